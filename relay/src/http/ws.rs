//! WebSocket plumbing shared by widget and agent sockets: the subprotocol check, frame decoding
//! with clear errors, sending, and closing with a reason a person can read.

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::http::HeaderMap;
use ringlink_protocol::envelope::Validate;
use ringlink_protocol::{decode, encode, Envelope, ErrorBody, ErrorCode, SUBPROTOCOL};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Transport cap on one WebSocket message. Frames above the protocol's 16 KiB limit but below
/// this get a `frame_too_large` error and the connection stays; above it the socket is closed
/// with 1009, since the bytes are not even read.
pub const MAX_WS_MESSAGE: usize = 64 * 1024;

/// Read chunk per socket. tungstenite's default (128 KiB, allocated up front) made an idle
/// connection cost ~159 KB of relay RSS; our frames are small, and a bigger one is just read in
/// several chunks.
pub const READ_BUFFER: usize = 2 * 1024;
/// Bytes gathered before a write is flushed.
pub const WRITE_BUFFER: usize = 2 * 1024;
/// A peer that stops reading may make the relay buffer at most this much before its socket
/// errors and closes, so one slow client cannot grow memory without bound.
pub const MAX_WRITE_BUFFER: usize = 256 * 1024;

/// Applies the relay's limits to an upgrade.
pub fn limits(upgrade: axum::extract::ws::WebSocketUpgrade) -> axum::extract::ws::WebSocketUpgrade {
    upgrade
        .protocols([ringlink_protocol::SUBPROTOCOL])
        .max_message_size(MAX_WS_MESSAGE)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
}

pub const CLOSE_NORMAL: u16 = 1000;
pub const CLOSE_GOING_AWAY: u16 = 1001;
pub const CLOSE_POLICY: u16 = 1008;
pub const CLOSE_TOO_BIG: u16 = 1009;

/// The refusal of an upgrade while a test's fault hook refuses them (503).
pub fn refused_by_fault(relay: &crate::Relay) -> Option<ErrorBody> {
    relay.faults.refusing_upgrades().then(|| {
        ErrorBody::new(
            ErrorCode::Unavailable,
            "the relay is not taking new connections right now; reconnect in a moment",
        )
    })
}

/// True when the client offered `ringlink.v1`.
pub fn offers_subprotocol(headers: &HeaderMap) -> bool {
    headers
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == SUBPROTOCOL)
}

pub fn no_subprotocol() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::BadFrame,
        format!(
            "offer the WebSocket subprotocol '{SUBPROTOCOL}': this relay speaks only that version"
        ),
    )
}

/// What arrived on the socket.
pub enum Incoming<M> {
    Frame(Envelope<M>),
    /// A frame that could not be used; reply with the error (paired with its id if known).
    Bad(Option<u64>, ErrorBody),
    /// Control frames: proof of life, nothing to answer.
    Alive,
    /// The socket is closed or broke; `Some` when it was the transport size cap.
    Gone(Option<String>),
}

pub fn classify<M: DeserializeOwned + Validate>(
    msg: Option<Result<Message, axum::Error>>,
) -> Incoming<M> {
    match msg {
        Some(Ok(Message::Text(text))) => match decode::<M>(text.as_str()) {
            Ok(env) => Incoming::Frame(env),
            Err((id, e)) => {
                metrics::counter!("ringlink_frames_rejected_total").increment(1);
                Incoming::Bad(id, e)
            }
        },
        Some(Ok(Message::Binary(_))) => Incoming::Bad(
            None,
            ErrorBody::new(
                ErrorCode::BadFrame,
                "binary frames are not understood: send JSON text frames",
            ),
        ),
        Some(Ok(Message::Ping(_) | Message::Pong(_))) => Incoming::Alive,
        Some(Ok(Message::Close(_))) | None => Incoming::Gone(None),
        Some(Err(e)) => {
            let text = e.to_string();
            let too_big =
                text.contains("too long") || text.contains("Space limit") || text.contains("size");
            Incoming::Gone(too_big.then(|| format!("frame exceeds {MAX_WS_MESSAGE} bytes")))
        }
    }
}

/// Sends one frame; false when the socket is gone.
pub async fn send<M: Serialize>(socket: &mut WebSocket, env: &Envelope<M>) -> bool {
    socket.send(Message::Text(encode(env).into())).await.is_ok()
}

/// Sends a frame encoded earlier (from an outbox); false when the socket is gone.
pub async fn send_frame(socket: &mut WebSocket, frame: crate::live::Frame) -> bool {
    socket.send(Message::Text(frame)).await.is_ok()
}

/// How long a peer gets to take the relay's answer to its Close frame.
const CLOSE_ANSWER_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// After the peer's Close frame (or any end of the loop): sends the Close answer the WebSocket
/// library queued, so the peer sees its own close code rather than 1006.
pub async fn finish(socket: &mut WebSocket) {
    use futures_util::SinkExt;
    let _ = tokio::time::timeout(CLOSE_ANSWER_WAIT, socket.flush()).await;
}

/// Closes with a code and a reason (at most 123 bytes, the WebSocket limit).
pub async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let mut reason = reason.to_owned();
    while reason.len() > 123 {
        reason.pop();
    }
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}
