//! The staff console's page, `/console` (CHAT-6): a small HTML document of the relay's origin
//! (the only origin the console socket accepts) that loads the console app, and the app's files
//! under `/console/assets/`, embedded from `console/dist/` by memory-serve (brotli or gzip, strong
//! ETags). The page names only content-hashed files, cached for a year as `immutable`; the page
//! itself is revalidated on every load. Its policy allows the relay's own scripts, wasm, styles
//! and socket, and no framing.

use std::sync::{Arc, LazyLock};

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use memory_serve::{Asset, CacheControl, Manifest, MemoryServe};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::Relay;

/// Where the console's files are served.
pub const PREFIX: &str = "/console/assets";

fn serve() -> MemoryServe {
    let sets: &[(&str, &[Asset])] = include!(concat!(env!("OUT_DIR"), "/memory_serve_assets.rs"));
    let assets = sets
        .iter()
        .find(|(name, _)| *name == "console")
        .map(|(_, a)| *a)
        .unwrap_or_default();
    MemoryServe::new(assets)
        .index_file(None)
        .enable_brotli(true)
        .enable_gzip(true)
        .enable_hashed_routes(true)
        .cache_control(CacheControl::NoCache)
}

static MANIFEST: LazyLock<Manifest> = LazyLock::new(|| serve().manifest());

/// The URL path of a console file under its content-hashed name.
fn hashed(file: &str) -> Option<String> {
    MANIFEST
        .get(&format!("/{file}"))
        .map(|route| format!("{PREFIX}{route}"))
}

/// The routes under [`PREFIX`]; same-origin files, so no CORS header.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    serve()
        .into_router()
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
}

/// The console's policy: scripts, wasm, styles and the socket from the relay alone (the
/// socket's `ws:`/`wss:` of this origin named as well), nothing inline, never framed.
fn policy(own: &[String]) -> String {
    let sockets: Vec<String> = own
        .iter()
        .filter_map(|o| {
            o.strip_prefix("https://")
                .map(|h| format!("wss://{h}"))
                .or_else(|| o.strip_prefix("http://").map(|h| format!("ws://{h}")))
        })
        .filter(|s| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:[]/".contains(c))
        })
        .collect();
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         connect-src 'self' {}; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'",
        sockets.join(" ")
    )
}

pub async fn page(State(relay): State<Arc<Relay>>, headers: HeaderMap) -> Response {
    let own = super::widget_origin::relay_origins(&relay, &headers);
    let files = (
        hashed("ringlink_console.js"),
        hashed("ringlink_console_bg.wasm"),
        hashed("console.js"),
        hashed("console.css"),
    );
    let (status, html) = match files {
        (Some(app), Some(wasm), Some(boot), Some(css)) => (
            StatusCode::OK,
            format!(
                "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
                 <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
                 <meta name=\"robots\" content=\"noindex\"><title>Ringlink console</title>\
                 <link rel=\"stylesheet\" href=\"{css}\">\
                 <link rel=\"modulepreload\" href=\"{app}\">\
                 <link rel=\"preload\" href=\"{wasm}\" as=\"fetch\" type=\"application/wasm\" crossorigin>\
                 <script type=\"module\" src=\"{boot}\"></script></head>\
                 <body data-app=\"{app}\" data-wasm=\"{wasm}\"></body></html>\n"
            ),
        ),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>Ringlink console unavailable</title></head><body><h1>Console not built</h1>\
             <p>This relay was built without the staff console: run scripts/build-console.sh, \
             then rebuild the relay.</p></body></html>\n"
                .to_owned(),
        ),
    };
    let mut res = (status, html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("x-frame-options"),
        HeaderValue::from_static("DENY"),
    );
    if let Ok(v) = HeaderValue::from_str(&policy(&own)) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_only_this_origins_sockets() {
        let p = policy(&[
            "http://127.0.0.1:8080".into(),
            "https://relay.example".into(),
        ]);
        assert!(
            p.contains("connect-src 'self' ws://127.0.0.1:8080 wss://relay.example;"),
            "{p}"
        );
        assert!(p.contains("frame-ancestors 'none'"));
        assert!(p.contains("script-src 'self' 'wasm-unsafe-eval';"));
        let evil = policy(&["http://a.example; script-src *".into()]);
        assert!(!evil.contains("script-src *"), "{evil}");
    }
}
