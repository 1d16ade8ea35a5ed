//! The widget's files (loader, wasm app, glue, styles), embedded in the binary from
//! `widget/dist/` or read from `widget_dir`. Served to any origin: they are public.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::Relay;

#[derive(RustEmbed)]
#[folder = "../widget/dist/"]
#[exclude = ".keep"]
struct WidgetAssets;

/// The loader is what the tag names (and `frame.js` what the frame page names), so it must
/// update quickly after a release; the files they load can be cached longer.
const LOADER_MAX_AGE: u32 = 300;
const ASSET_MAX_AGE: u32 = 3600;

pub async fn widget_file(State(relay): State<Arc<Relay>>, Path(path): Path<String>) -> Response {
    if path.split('/').any(|p| p == ".." || p.is_empty()) || path.contains('\\') {
        return (StatusCode::BAD_REQUEST, "bad widget path\n").into_response();
    }
    let bytes: Option<Vec<u8>> = match &relay.config.widget_dir {
        Some(dir) => tokio::fs::read(dir.join(&path)).await.ok(),
        None => WidgetAssets::get(&path).map(|f| f.data.into_owned()),
    };
    let Some(bytes) = bytes else {
        let msg = format!(
            "widget file '{path}' not found: build the widget with scripts/build-widget.sh, then rebuild the relay\n"
        );
        return (StatusCode::NOT_FOUND, msg).into_response();
    };
    let mime = if path.ends_with(".wasm") {
        "application/wasm".to_owned()
    } else {
        mime_guess::from_path(&path)
            .first_or_octet_stream()
            .essence_str()
            .to_owned()
    };
    let max_age = if path == "widget.js" || path == "frame.js" {
        LOADER_MAX_AGE
    } else {
        ASSET_MAX_AGE
    };
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, format!("public, max-age={max_age}")),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*".to_owned()),
            (
                header::HeaderName::from_static("cross-origin-resource-policy"),
                "cross-origin".to_owned(),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            // Lets a merchant's page (and the frame) measure what the widget costs it.
            (
                header::HeaderName::from_static("timing-allow-origin"),
                "*".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response()
}
