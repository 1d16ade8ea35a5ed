//! The demo merchant shop: a few product pages that paste the Ringlink tag, show the merchant's
//! numbers marked for one-click dialling, carry `tel:` links the widget enhances, and a "call me
//! now" button for the `sales` key (the number behind it lives in the relay's configuration).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// Where the shop's pages point the tag.
#[derive(Clone, Debug)]
pub struct ShopConfig {
    /// The relay's base URL, e.g. `http://127.0.0.1:8080`.
    pub relay_url: String,
    /// The site key from `ringlink-relay admin site create`.
    pub site_key: String,
    /// `zh` or `en`; empty lets the widget follow the browser.
    pub lang: String,
    /// The tag carries `data-ringlink-invite` (CHAT-9: agents see who browses and can invite).
    pub invite: bool,
}

const LAYOUT: &str = include_str!("../pages/layout.html");
const HOME: &str = include_str!("../pages/home.html");
const TEA: &str = include_str!("../pages/tea.html");
const KETTLE: &str = include_str!("../pages/kettle.html");
const CUPS: &str = include_str!("../pages/cups.html");

/// The products: path, title, page body.
const PAGES: [(&str, &str, &str); 4] = [
    ("", "Lotus Tea House", HOME),
    ("tea", "Longjing green tea", TEA),
    ("kettle", "Clay kettle", KETTLE),
    ("cups", "Celadon cups", CUPS),
];

/// The shop's routes.
pub fn app(config: ShopConfig) -> Router {
    Router::new()
        .route(
            "/",
            get(|s: State<ShopConfig>| page(s, Path(String::new()))),
        )
        .route("/products/{name}", get(page))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(config)
}

/// The CSP the README tells merchants to send: the relay only for the loader script and the
/// frame; no `'wasm-unsafe-eval'`, no `connect-src` for the relay (#8 §1). The browser tests run
/// under it.
/// With `data-ringlink-invite` the page itself opens the relay's page-view socket, so the
/// relay's `ws:`/`wss:` origin goes into `connect-src` too.
pub fn merchant_csp(relay_url: &str, invite: bool) -> String {
    let relay = relay_url.trim_end_matches('/');
    let connect = if invite {
        let ws = relay.replacen("http", "ws", 1);
        format!("; connect-src 'self' {ws}")
    } else {
        String::new()
    };
    format!(
        "default-src 'self'; script-src 'self' {relay}; frame-src {relay}; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:{connect}"
    )
}

async fn page(State(config): State<ShopConfig>, Path(name): Path<String>) -> Response {
    match render(&config, &name) {
        Some(html) => (
            [
                (header::CACHE_CONTROL, "no-store".to_owned()),
                (
                    header::CONTENT_SECURITY_POLICY,
                    merchant_csp(&config.relay_url, config.invite),
                ),
            ],
            Html(html),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Html("<h1>No such product</h1><a href=\"/\">Back to the shop</a>"),
        )
            .into_response(),
    }
}

/// One page with the tag filled in; `None` for an unknown product.
pub fn render(config: &ShopConfig, name: &str) -> Option<String> {
    let (_, title, body) = PAGES.iter().find(|(path, _, _)| *path == name)?;
    let lang = if config.lang.is_empty() {
        String::new()
    } else {
        format!(" data-lang=\"{}\"", escape(&config.lang))
    };
    Some(
        LAYOUT
            .replace("{{TITLE}}", title)
            .replace("{{BODY}}", body)
            .replace("{{RELAY}}", &escape(config.relay_url.trim_end_matches('/')))
            .replace("{{SITE_KEY}}", &escape(&config.site_key))
            .replace("{{LANG}}", &lang)
            .replace(
                "{{INVITE}}",
                if config.invite {
                    " data-ringlink-invite"
                } else {
                    ""
                },
            ),
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ShopConfig {
        ShopConfig {
            relay_url: "http://relay.test:8080/".into(),
            site_key: "demo".into(),
            lang: String::new(),
            invite: false,
        }
    }

    #[test]
    fn the_merchant_csp_names_the_relay_for_the_loader_and_the_frame_only() {
        // covers #8 §1 merchant CSP: no wasm-unsafe-eval and no connect-src on the shop's pages
        let csp = merchant_csp("http://relay.test:8080/", false);
        assert!(
            csp.contains("script-src 'self' http://relay.test:8080;"),
            "{csp}"
        );
        assert!(csp.contains("frame-src http://relay.test:8080;"), "{csp}");
        assert!(
            !csp.contains("wasm-unsafe-eval") && !csp.contains("connect-src"),
            "{csp}"
        );
    }

    #[test]
    fn an_inviting_shop_lets_the_page_connect_to_the_relay() {
        // covers CHAT-9: data-ringlink-invite on the tag, and the page-view socket in the CSP
        let html = render(
            &ShopConfig {
                invite: true,
                ..config()
            },
            "tea",
        )
        .unwrap();
        assert!(
            html.contains(r#"data-tel="enhance" data-ringlink-invite async>"#),
            "{html}"
        );
        let csp = merchant_csp("http://relay.test:8080/", true);
        assert!(
            csp.ends_with("; connect-src 'self' ws://relay.test:8080"),
            "{csp}"
        );
    }

    #[test]
    fn every_page_pastes_the_tag_once() {
        // covers CALL-1, DIAL-4: every shop page carries the one tag and marked numbers
        for (path, _, _) in PAGES {
            let html = render(&config(), path).unwrap();
            let tag = r#"<script src="http://relay.test:8080/widget/widget.js" data-site="demo" data-tel="enhance" async></script>"#;
            assert_eq!(html.matches(tag).count(), 1, "{path}");
            assert!(
                html.contains("data-ringlink-dial="),
                "{path} shows a number to dial"
            );
            assert!(!html.contains("{{"), "{path} has an unfilled placeholder");
            assert_eq!(
                html.contains(r#"data-ringlink-call="sales""#),
                !path.is_empty(),
                "{path}: product pages offer \"call me now\", by button key only"
            );
        }
        assert!(render(&config(), "nothing").is_none());
    }

    #[test]
    fn config_values_are_escaped() {
        let c = ShopConfig {
            site_key: "\"><script>".into(),
            lang: "zh".into(),
            ..config()
        };
        let html = render(&c, "").unwrap();
        assert!(!html.contains("\"><script>"));
        assert!(html.contains(r#"data-lang="zh""#));
    }
}
