//! The Ringlink phone agent: the companion program on the member's handset. It signs in (DIAL-1)
//! or pairs by code, keeps one outbound WebSocket to the relay, and dials on the relay's orders
//! (DIAL-5), asking its owner first when told to (DIAL-6). It never needs an inbound port.
//!
//! - [`error`]: the agent's top-level error and `Result` alias.
//! - [`credentials`]: the credentials file holding the device token, written owner-only.
//! - [`relay_api`]: the relay's REST API for agents: sign-in and pairing by code.
//! - [`backoff`]: reconnect delays, exponential with jitter.
//! - [`confirm`]: the "Dial … now? [y/N]" prompt (DIAL-6).
//! - [`calls`]: one dial order at a time: confirm, dial, report call states.
//! - [`session`]: the WebSocket connection loop: hello, heartbeats, orders, reconnects.
//! - [`dialer`]: the `Dialer` trait and its backends (AT modem, ModemManager, command, dry run).

pub mod backoff;
pub mod calls;
pub mod confirm;
pub mod credentials;
pub mod dialer;
pub mod error;
pub mod relay_api;
pub mod session;

pub use error::{Error, Result};

/// The agent's version, sent in `hello` for support.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
