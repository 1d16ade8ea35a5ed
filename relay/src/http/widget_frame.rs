//! The widget's frame page, `/widget/frame?site=KEY` (#8 §1): a small HTML document of the
//! relay's origin that loads the Leptos app, so the sign-in form, the WebSocket and the session
//! token live where no script of the merchant page can reach them. Only the site's own origins
//! may frame it (`frame-ancestors`); its own CSP allows the wasm and nothing else. The app is
//! the core module of the build's versioned folder (`/widget/v/<version>/`); its panels'
//! chunks come from the same folder on first use, under the same policy: `__wasm_split.js` is a
//! script of the relay (`script-src 'self'`), each chunk a `fetch` of it (`connect-src 'self'`)
//! compiled in the frame (`'wasm-unsafe-eval'`). With `&badge=1` it is the loader's hidden
//! badge frame: the frame script alone, which asks for the chat's unread count.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::Relay;

/// The frame page names the site's origins, which change when the merchant edits them: it is
/// revalidated on every load (the loader itself is cached for five minutes).
const FRAME_CACHE: &str = "no-cache";

/// The frame's own policy: its scripts, the wasm (compiled here, never on the merchant page), its
/// stylesheet and its socket, all from the relay; nothing inline.
const FRAME_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'";

pub async fn page(
    State(relay): State<Arc<Relay>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(key) = query.get("site").filter(|k| !k.is_empty()) else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "This address needs ?site=SITE_KEY: widget.js opens it with the data-site of the tag.",
        );
    };
    let site = match relay.store.site_by_key(key).await {
        Ok(Some(site)) => site,
        Ok(None) => {
            return refusal(
                StatusCode::NOT_FOUND,
                &format!(
                    "No site has the key '{}'. Check data-site in the tag, or create the site with: ringlink-relay admin site create",
                    escape(key)
                ),
            )
        }
        Err(e) => {
            tracing::error!("frame page: site lookup failed: {e}");
            return refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "The relay cannot reach its database; try again shortly.",
            );
        }
    };
    let origins: Vec<&str> = site
        .origins
        .iter()
        .map(String::as_str)
        .filter(|o| is_plain_origin(o))
        .collect();
    // Content-hashed names and the versioned app folder (both cached for a year); the app and
    // the wasm are preloaded while frame.js waits for the loader's hello, so the panel is
    // usable sooner. The app's glue is named by its plain path in the folder: the chunks'
    // loader imports it by that relative name, and one module must not load under two URLs.
    let asset = |file: &str| {
        super::assets::hashed(file).unwrap_or_else(|| format!("{}/{file}", super::assets::PREFIX))
    };
    let dir = super::assets::app_dir().unwrap_or_else(|| super::assets::PREFIX.to_owned());
    let (app, wasm) = (
        format!("{dir}/ringlink_widget.js"),
        format!("{dir}/ringlink_widget_bg.wasm"),
    );
    // `&badge=1`: the loader's hidden badge frame after a navigation, which only asks for the
    // chat's unread count; it loads no app, no wasm and no stylesheet.
    let badge = query.get("badge").is_some_and(|b| b == "1");
    let preload = if badge {
        String::new()
    } else {
        format!(
            "<link rel=\"stylesheet\" href=\"{css}\">\
             <link rel=\"modulepreload\" href=\"{app}\">\
             <link rel=\"preload\" href=\"{wasm}\" as=\"fetch\" type=\"application/wasm\" crossorigin>",
            css = asset("widget.css"),
        )
    };
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>Ringlink</title>{preload}\
         <script type=\"module\" src=\"{frame}\"></script></head>\
         <body data-site=\"{site}\" data-origins=\"{origins}\" data-app=\"{app}\" data-wasm=\"{wasm}\"{mode}></body></html>\n",
        frame = asset("frame.js"),
        site = escape(&site.key),
        origins = escape(&origins.join(" ")),
        mode = if badge { " data-badge" } else { "" },
    );
    with_headers(StatusCode::OK, html, &frame_ancestors(&origins))
}

/// `frame-ancestors` with exactly the site's origins; `'none'` when it has none.
fn frame_ancestors(origins: &[&str]) -> String {
    if origins.is_empty() {
        "frame-ancestors 'none'".into()
    } else {
        format!("frame-ancestors {}", origins.join(" "))
    }
}

/// An origin that can go into a CSP header and an attribute as it is: `scheme://host[:port]`
/// with no space, quote, semicolon or comma that could start another directive.
fn is_plain_origin(o: &str) -> bool {
    o.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            && !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A plain page saying what was wrong; nobody may frame it either.
fn refusal(status: StatusCode, message: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Ringlink: {}</title></head>\
         <body><h1>Ringlink widget unavailable</h1><p>{message}</p></body></html>\n",
        status.canonical_reason().unwrap_or("error")
    );
    with_headers(status, html, "frame-ancestors *")
}

fn with_headers(status: StatusCode, html: String, ancestors: &str) -> Response {
    let csp = format!("{FRAME_CSP}; {ancestors}");
    let mut res = (status, html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(FRAME_CACHE));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_origins_reach_the_header() {
        assert!(is_plain_origin("https://shop.example"));
        assert!(is_plain_origin("http://127.0.0.1:8080"));
        assert!(!is_plain_origin("https://a.example; script-src *"));
        assert!(!is_plain_origin("https://a.example,https://b"));
        assert!(!is_plain_origin("*"));
        assert_eq!(frame_ancestors(&[]), "frame-ancestors 'none'");
    }
}
