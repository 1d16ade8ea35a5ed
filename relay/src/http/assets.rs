//! The widget's files (loader, frame script, wasm app, glue, styles), embedded from
//! `widget/dist/` by memory-serve: brotli (quality 11, at build time) and gzip variants chosen by
//! `Accept-Encoding`, strong `ETag`s with `304 Not Modified`, and `Vary: Accept-Encoding`.
//! Every file but the loader is also served on a content-hashed route that browsers may keep
//! for a year (`immutable`); the frame page names only those. Served to any origin: they are
//! public, and `Timing-Allow-Origin` lets a merchant's page see what the widget costs it.

use std::sync::LazyLock;

use axum::http::{header, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use memory_serve::{CacheControl, Manifest, MemoryServe};
use tower_http::set_header::SetResponseHeaderLayer;

/// The loader is what the merchant's tag names, so its name cannot change with its content: a
/// release reaches every page within five minutes. Hashed routes are cached for a year.
const LOADER_CACHE: &str = "public, max-age=300";

/// Where the widget's files are served.
pub const PREFIX: &str = "/widget";

fn serve() -> MemoryServe {
    memory_serve::load!()
        .index_file(None)
        .enable_brotli(true)
        .enable_gzip(true)
        .enable_hashed_routes(true)
        .cache_control(CacheControl::Custom(LOADER_CACHE))
}

/// File name (as built, `frame.js`) to the route it is served on with its hash
/// (`/frame.0123456789abcdef.js`), relative to [`PREFIX`].
static MANIFEST: LazyLock<Manifest> = LazyLock::new(|| serve().manifest());

/// The URL path of a built widget file under its content-hashed name, or `None` when the
/// widget was not built into this relay.
pub fn hashed(file: &str) -> Option<String> {
    MANIFEST
        .get(&format!("/{file}"))
        .map(|route| format!("{PREFIX}{route}"))
}

/// Whether this relay was built with the widget (scripts/build-widget.sh before `cargo build`).
pub fn widget_built() -> bool {
    MANIFEST.get("/widget.js").is_some()
}

/// The routes under [`PREFIX`], with the headers every widget file carries.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    serve()
        .into_router()
        .layer(header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .layer(header(
            HeaderName::from_static("cross-origin-resource-policy"),
            "cross-origin",
        ))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(HeaderName::from_static("timing-allow-origin"), "*"))
}

/// What a request for a widget file that is not there gets: which file, and how to build it.
pub async fn missing(uri: Uri) -> Response {
    let path = uri.path();
    let msg = if widget_built() {
        format!("widget file '{path}' not found: the loader is {PREFIX}/widget.js\n")
    } else {
        format!(
            "widget file '{path}' not found: this relay was built without the widget; build it with scripts/build-widget.sh, then rebuild the relay\n"
        )
    };
    (StatusCode::NOT_FOUND, msg).into_response()
}
