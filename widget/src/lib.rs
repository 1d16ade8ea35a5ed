//! The Ringlink widget: a Leptos app that runs in the relay's frame page (`/widget/frame`, script
//! `frame/frame.js`), which the loader (`loader/widget.js`) puts on the merchant page when the
//! visitor reaches for the call bubble: the sign-in, the socket and the token stay on the
//! relay's origin. Signs the member in, shows whether their phone agent is connected (DIAL-3),
//! dials through it (DIAL-4, DIAL-5) and follows the call; or, opened by a merchant's call
//! button, has the relay call the member and then the merchant ("call me now", CALL-3 to CALL-7)
//! and follows that call and its cost.
//!
//! Plain logic (built and tested natively too):
//! - [`i18n`]: Chinese and English strings, and the choice between them.
//! - [`keypad`]: the virtual keypad's keys and editing rules.
//! - [`backoff`]: reconnect delays, 1 s to 30 s with jitter.
//! - [`figures`]: money in minor units and call time, as a person reads them.
//! - [`model`]: what the panel shows and how each relay frame changes it (DIAL and CALL).
//! - [`codec`]: frames to and from the protocol's types, checked against its serde derives.
//! - `model::host_page`: which calls the host page hears about (only those started here).
//! - `model::written_number`: phone numbers as people write them, and their `tel:` links.
//! - [`panels`]: which lazily loaded panel the model needs, and where each one's chunk is.
//!
//! Browser side (`wasm32` only):
//! - `app`: the mounted app: signals, the work the model asks for, the host-page callback.
//! - `connection`: the WebSocket: request ids, queued frames, pings, reconnects.
//! - `panel`: the panel shell: header, status, alert region, focus and Escape.
//! - `panel_loader`: the split points, one per panel (`dial`, `call_me`): each panel's views
//!   are a wasm chunk fetched on first use; the core is the shell, connection, codec, sign-in.
//! - `sign_in`, `sign_up` (sign-up and reset by SMS code), `picked`: core parts of the panel;
//!   `dialer`, `pairing`, `no_phone`, `call_status` (the DIAL chunk) and `call_me` (the CALL
//!   chunk): the lazily loaded ones.
//! - [`mount`] and `Widget`: what the frame script calls.

pub mod backoff;
pub mod codec;
pub mod figures;
pub mod i18n;
pub mod keypad;
pub mod model;
pub mod panels;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod call_me;
#[cfg(target_arch = "wasm32")]
mod call_status;
#[cfg(target_arch = "wasm32")]
mod chat_compose;
#[cfg(target_arch = "wasm32")]
mod chat_files;
#[cfg(target_arch = "wasm32")]
mod chat_view;
#[cfg(target_arch = "wasm32")]
mod connection;
#[cfg(target_arch = "wasm32")]
mod dialer;
#[cfg(target_arch = "wasm32")]
mod no_phone;
#[cfg(target_arch = "wasm32")]
mod pairing;
#[cfg(target_arch = "wasm32")]
mod panel;
#[cfg(target_arch = "wasm32")]
mod panel_loader;
#[cfg(target_arch = "wasm32")]
mod picked;
#[cfg(target_arch = "wasm32")]
mod sign_in;
#[cfg(target_arch = "wasm32")]
mod sign_up;

#[cfg(target_arch = "wasm32")]
pub use app::{mount, Widget};
