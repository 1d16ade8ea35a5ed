//! HTTP routes of the relay. Handlers decode, authorize, call a domain module, encode; no
//! business rule lives here.

mod agent_api;
mod agent_ws;
mod api;
mod assets;
mod chat_files;
mod console_api;
mod console_calls;
mod console_page;
mod console_ws;
mod dev_outbox;
mod help_phone;
mod home;
mod metrics_access;
mod pages;
mod pageview_ws;
pub(crate) mod routes;
mod socket;
mod visitor_api;
mod widget_frame;
mod widget_origin;
mod widget_ws;
mod ws;

pub use console_ws::CONSOLE_ROUTES;
pub use routes::Role;
pub use widget_ws::WIDGET_ROUTES;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

use crate::Relay;

/// REST bodies are small JSON documents; anything bigger is refused before it is read.
const MAX_BODY_BYTES: usize = 16 * 1024;

pub fn router(relay: Arc<Relay>) -> Router {
    let mut router = Router::new();
    if relay.config.http.metrics_listen.is_none() {
        router = router.route("/metrics", get(metrics_access::guarded));
    }
    router
        .route("/", get(home::page_for))
        .route("/help/phone", get(help_phone::page_for))
        .route("/healthz", get(health))
        .route("/v1/agent/login", post(agent_api::login))
        .route("/v1/agent/pair", post(agent_api::pair_start))
        .route("/v1/agent/pair/poll", post(agent_api::pair_poll))
        .route("/v1/agent/ws", get(agent_ws::upgrade))
        .route("/v1/widget/ws", get(widget_ws::upgrade))
        .route("/v1/console/ws", get(console_ws::upgrade))
        .route(
            "/v1/chat/attachments",
            post(chat_files::upload).layer(DefaultBodyLimit::max(
                relay.config.chat.max_attachment_bytes + 1,
            )),
        )
        .route("/v1/chat/attachments/{id}", get(chat_files::download))
        .route("/v1/chat/transcript", get(visitor_api::transcript))
        .route("/v1/chat/unread", get(visitor_api::unread))
        .route("/v1/visitor/watch", get(pageview_ws::upgrade))
        .route(
            "/v1/console/staff",
            get(console_api::list_staff).post(console_api::add_staff),
        )
        .route(
            "/v1/console/staff/{id}",
            axum::routing::put(console_api::edit_staff).delete(console_api::remove_staff),
        )
        .route(
            "/v1/console/settings",
            get(console_api::get_settings).put(console_api::put_settings),
        )
        .route(
            "/v1/console/canned",
            get(console_api::list_canned).post(console_api::add_canned),
        )
        .route(
            "/v1/console/canned/{id}",
            axum::routing::delete(console_api::remove_canned),
        )
        .route(
            "/v1/console/transcript/{id}",
            get(console_api::staff_transcript),
        )
        .route("/v1/console/dashboard", get(console_api::dashboard))
        .route("/v1/console/calls", get(console_calls::calls))
        .route("/console", get(console_page::page))
        .nest(console_page::PREFIX, console_page::router())
        .route("/widget/frame", get(widget_frame::page))
        .nest(assets::PREFIX, assets::router())
        .route("/dev/outbox", get(dev_outbox::page))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(relay)
}

/// `/metrics` alone, for `http.metrics_listen`.
pub fn metrics_router(relay: Arc<Relay>) -> Router {
    Router::new()
        .route("/metrics", get(metrics_access::guarded))
        .with_state(relay)
}

/// Any other address: a widget file that is not there says how to get it.
async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    if uri.path().starts_with("/widget/") {
        return assets::missing(uri).await;
    }
    (
        StatusCode::NOT_FOUND,
        "not found: this relay serves /, /widget/widget.js and /healthz\n",
    )
        .into_response()
}

async fn health(State(relay): State<Arc<Relay>>) -> impl IntoResponse {
    match relay.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n"),
        Err(e) => {
            tracing::error!("health check failed: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n")
        }
    }
}

async fn metrics(State(relay): State<Arc<Relay>>) -> impl IntoResponse {
    let (agents, widgets) = relay.live.counts();
    metrics::gauge!("ringlink_agents_connected").set(agents as f64);
    metrics::gauge!("ringlink_widgets_signed_in").set(widgets as f64);
    metrics::gauge!("ringlink_calls_live").set(relay.calls.live_count() as f64);
    crate::telemetry::render()
}

/// The client's address: the socket peer, or behind trusted proxies the right-most hop they did
/// not write (see [`crate::forwarded`]). Always an IP address, so it is a bounded throttle key.
fn client_address(relay: &Relay, peer: SocketAddr, headers: &axum::http::HeaderMap) -> String {
    crate::forwarded::client_ip(&relay.config.http, peer, headers).to_string()
}
