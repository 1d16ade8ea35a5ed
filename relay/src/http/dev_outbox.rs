//! The development SMS outbox at `/dev/outbox`: what the dev gateway would have sent (codes,
//! notices), newest first, so the demo works with no SMSC. Served only when `http.dev_outbox` is
//! on, with the dev gateway, with no trusted proxy, and only to loopback clients: the messages
//! hold verification codes.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::Relay;

pub async fn page(
    State(relay): State<Arc<Relay>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response {
    // The config refuses dev_outbox with trusted proxies or SMPP; checked again here so no
    // path can serve codes through a proxy (every proxied visitor would look local).
    if !relay.config.http.dev_outbox || relay.config.http.trusts_forwarded() {
        return (
            StatusCode::NOT_FOUND,
            "no dev outbox: it is off (set http.dev_outbox = true on a development relay)\n",
        )
            .into_response();
    }
    let Some(dev) = relay.gateways.sms().and_then(|g| g.as_dev()) else {
        return (
            StatusCode::NOT_FOUND,
            "no dev outbox: this relay sends SMS through an SMSC\n",
        )
            .into_response();
    };
    if !peer.ip().is_loopback() {
        return (
            StatusCode::FORBIDDEN,
            "the dev outbox is shown only on the relay's own machine (it holds codes)\n",
        )
            .into_response();
    }
    let mut rows = String::new();
    for m in dev.outbox() {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:?} × {}</td></tr>",
            m.at_unix_ms / 1000,
            escape(m.to.as_str()),
            escape(&m.text),
            m.encoding,
            m.parts
        ));
    }
    Html(format!(
        "<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=3>\
         <title>Ringlink dev SMS outbox</title><h1>Dev SMS outbox</h1>\
         <p>Messages the relay would have sent by SMS (newest first; refreshes every 3 s).</p>\
         <table border=1 cellpadding=4><tr><th>at (unix)</th><th>to</th><th>text</th><th>encoding</th></tr>{rows}</table>"
    ))
    .into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
