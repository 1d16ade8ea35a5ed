//! Every message that crosses a Ringlink wire: WebSocket frames between the widget, the relay and
//! the phone agent, and the REST bodies the agent uses to sign in and pair. Pure types plus
//! validation; no I/O. Builds for `wasm32` (default features off) and native.
//!
//! - [`account`]: sign-up and password reset by SMS code.
//! - [`limits`]: size limits on frames and fields, with their reasons.
//! - [`number`]: E.164 phone numbers and parsing of what people type.
//! - [`envelope`]: the frame envelope (`id`, `re`, `msg`), decoding with clear errors.
//! - [`error`]: the error codes and bodies every side shows to people.
//! - [`call`]: call states reported by the phone agent and shown in the widget.
//! - [`call_me`]: CALL ("call me now") requests and two-leg call progress.
//! - [`call_end`]: why a two-leg call ended.
//! - [`chat`]: CHAT lines, statuses and the visitor's requests.
//! - [`console`]: staff console <-> relay messages (CHAT).
//! - [`widget`]: widget <-> relay messages.
//! - [`agent`]: phone agent <-> relay messages.
//! - [`rest`]: REST bodies for agent sign-in and pairing.
//! - [`request`]: pairs every request type with its response type.
//! - [`schema`]: the published JSON Schema (feature `schema`).

pub mod account;
pub mod agent;
pub mod call;
pub mod call_end;
pub mod call_me;
pub mod chat;
pub mod console;
pub mod envelope;
pub mod error;
pub mod limits;
pub mod number;
pub mod request;
pub mod rest;
#[cfg(feature = "schema")]
pub mod schema;
pub mod secret;
pub mod widget;

pub use envelope::{decode, encode, Envelope};
pub use error::{ErrorBody, ErrorCode};
pub use number::E164;

/// WebSocket subprotocol that carries this version of the protocol. A client that does not offer
/// it is refused, so old and new clients never misread each other.
pub const SUBPROTOCOL: &str = "ringlink.v1";
