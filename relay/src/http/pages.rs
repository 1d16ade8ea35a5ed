//! What the relay's own HTML pages share (`/` in [`super::home`], `/help/phone` in
//! [`super::help_phone`]): the page's language (`?lang=`, then `Accept-Language`), escaping,
//! the frame of the page and its headers: a strict Content-Security-Policy (no script at all,
//! the one stylesheet allowed by its hash), no framing, no sniffing.

use std::sync::OnceLock;

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The pages' only style, inline and allowed by its hash: no file to fetch, nothing else runs.
const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1d2330}\
code,pre{font:14px ui-monospace,monospace;background:#f2f4f7;border-radius:4px}\
pre{padding:.75rem;overflow-x:auto;white-space:pre-wrap}code{padding:0 .2rem}pre code{padding:0}\
nav a{margin-right:1rem}h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}.note{color:#5b6475}";

/// The language of a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageLang {
    En,
    Zh,
}

impl PageLang {
    /// `?lang=zh|en` wins; then the first `zh` or `en` in `Accept-Language` (browsers list
    /// languages in order of preference); English otherwise.
    pub fn choose(query: Option<&str>, headers: &HeaderMap) -> Self {
        let read = |tag: &str| {
            let tag = tag.trim().to_ascii_lowercase();
            if tag == "zh" || tag.starts_with("zh-") {
                Some(Self::Zh)
            } else if tag == "en" || tag.starts_with("en-") {
                Some(Self::En)
            } else {
                None
            }
        };
        if let Some(l) = query.and_then(read) {
            return l;
        }
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.split(',')
                    .filter_map(|part| read(part.split(';').next().unwrap_or_default()))
                    .next()
            })
            .unwrap_or(Self::En)
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Zh => "zh",
        }
    }

    /// The other language, for the switch link.
    pub fn other(self) -> Self {
        match self {
            Self::En => Self::Zh,
            Self::Zh => Self::En,
        }
    }

    /// The other language's name, written in itself.
    pub fn name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Zh => "中文",
        }
    }
}

/// Text made safe for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn csp() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let hash = STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
        format!(
            "default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
    })
}

/// A whole page: `body` is HTML the caller escaped.
pub fn page(lang: PageLang, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n{body}\n</body></html>\n",
        lang.code(),
        escape(title),
    );
    let mut res = html.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    if let Ok(v) = HeaderValue::from_str(csp()) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, v.parse().unwrap());
        h
    }

    #[test]
    fn the_query_wins_then_the_browser_order() {
        let zh = accept("zh-CN,zh;q=0.9,en;q=0.8");
        assert_eq!(PageLang::choose(None, &zh), PageLang::Zh);
        assert_eq!(PageLang::choose(Some("en"), &zh), PageLang::En);
        assert_eq!(
            PageLang::choose(None, &accept("fr-FR, en-GB;q=0.5")),
            PageLang::En
        );
        assert_eq!(
            PageLang::choose(Some("xx"), &HeaderMap::new()),
            PageLang::En
        );
    }

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape("<script>\"a\" & 'b'"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;"
        );
    }
}
