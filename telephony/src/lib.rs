//! Ringlink telephony: the SIP back-to-back agent that places CALL's two legs, anchors and
//! bridges their RTP, plays prompts and decodes DTMF, behind the `CallControl` trait.
//!
//! - [`control`]: the `CallControl` trait and the order/handle/event/end types the relay uses.
//! - [`config`]: the `[telephony]` configuration and its defaults.
//! - `agent`: `SipAgent`, the rsipstack endpoint and the dispatch of incoming requests.
//! - `call`: one call's flow (leg A, prompts, leg B, bridge, hang-up).
//! - `leg`: one outgoing INVITE leg on rsipstack: progress, answer, CANCEL, BYE, INFO.
//! - [`media`]: the RTP anchor: players and the bridge.
//! - [`sip_log`]: the redacted, debug-only SIP packet log and the filter that silences rsipstack's.
//! - [`sdp`], [`rtp`], [`g711`], [`dtmf`], [`prompts`]: the pieces the media path is built of.

mod agent;
mod call;
pub mod config;
pub mod control;
pub mod dtmf;
mod error;
pub mod g711;
mod leg;
pub mod media;
pub mod prompts;
pub mod rtp;
pub mod sdp;
pub mod sip_log;

pub use agent::SipAgent;
pub use config::{Route, Secret, TelephonyConfig};
pub use control::{
    CallCommands, CallControl, CallEnd, CallEvent, CallHandle, CallOrder, Command,
    DetachedCommands, DtmfSource, EndReason, Lang, Leg, RtpStats,
};
pub use error::{CallError, TelephonyError};
pub use ringlink_protocol::E164;
pub use sip_log::QUIET_LOG_DIRECTIVES;
