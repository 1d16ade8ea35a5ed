//! The widget's files (loader, frame script, wasm app, glue, styles), embedded from
//! `widget/dist/` by memory-serve: brotli (quality 11, at build time) and gzip variants chosen by
//! `Accept-Encoding`, strong `ETag`s with `304 Not Modified`, and `Vary: Accept-Encoding`.
//! Every file but the loader is also served on a content-hashed route that browsers may keep
//! for a year (`immutable`); the frame page names only those. The Leptos app is a set of files
//! that name each other by relative URL (the core's glue imports `__wasm_split.js`, which
//! fetches each panel's chunk, `split_<panel>.wasm`, on first use), so the build puts the set
//! under its version, `v/<version>/`, and that whole folder is cached for a year too. Served to
//! any origin: they are public, and `Timing-Allow-Origin` lets a merchant's page see what the
//! widget costs it.

use std::sync::LazyLock;

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use memory_serve::{CacheControl, Manifest, MemoryServe};
use tower_http::set_header::SetResponseHeaderLayer;

/// The loader is what the merchant's tag names, so its name cannot change with its content: a
/// release reaches every page within five minutes. Hashed routes are cached for a year.
const LOADER_CACHE: &str = "public, max-age=300";

/// The versioned app's files never change under their path (a new build is a new version).
const VERSIONED_CACHE: &str = "public, max-age=31536000, immutable";

/// Where the widget's files are served.
pub const PREFIX: &str = "/widget";

/// The folder of the versioned app, under [`PREFIX`]: `v/<version>/`.
const VERSIONED: &str = "/v/";

/// The app's core glue, the file that tells which version this relay carries.
const APP_GLUE: &str = "ringlink_widget.js";

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

/// The URL path of the app's versioned folder (`/widget/v/0123456789abcdef`), where the core,
/// `__wasm_split.js` and the panels' chunks are; `None` when the widget was not built in.
pub fn app_dir() -> Option<String> {
    MANIFEST.iter().find_map(|(route, _)| {
        let dir = route.strip_suffix(APP_GLUE)?.strip_suffix('/')?;
        let version = dir.strip_prefix(VERSIONED)?;
        (!version.is_empty() && !version.contains('/')).then(|| format!("{PREFIX}{dir}"))
    })
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
        .layer(middleware::from_fn(versioned_and_faults))
        .layer(header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .layer(header(
            HeaderName::from_static("cross-origin-resource-policy"),
            "cross-origin",
        ))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(HeaderName::from_static("timing-allow-origin"), "*"))
}

/// The versioned app's files are immutable; and the test fault hook may refuse a file once
/// (`faults::refuses_widget_file`), as a dropped fetch would.
async fn versioned_and_faults(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if crate::faults::refuses_widget_file(path) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "refused once by a test fault hook\n",
        )
            .into_response();
    }
    let versioned = path.starts_with(VERSIONED);
    let mut res = next.run(req).await;
    let found = res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED;
    if versioned && found {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(VERSIONED_CACHE),
        );
    }
    res
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
