//! The `CallControl` trait the relay drives, and the types that cross it: the order, the
//! handle (event stream plus commands), events, end reasons and RTP counters.

use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use ringlink_protocol::E164;
use tokio::sync::mpsc;

use crate::error::CallError;

/// Places CALL's two legs and reports their progress. Object-safe: the relay holds an
/// `Arc<dyn CallControl>`; the built-in [`crate::SipAgent`] is the first implementation.
pub trait CallControl: Send + Sync + 'static {
    /// Places leg A then leg B; returns at once with a handle (events stream the progress).
    fn place(&self, order: CallOrder) -> BoxFuture<'_, Result<CallHandle, CallError>>;
}

/// What to call: the member first, then the merchant.
#[derive(Clone, Debug)]
pub struct CallOrder {
    /// The relay's id for the call; used as the SIP Call-ID prefix of both legs.
    pub call_id: String,
    pub member: E164,
    pub merchant: E164,
    /// Language of the prompts played to the member.
    pub lang: Lang,
    /// Longest the bridged call may last; capped by `max_call_secs` in the config.
    pub max_duration: Duration,
    /// The leg whose account pays: the only one that hears the credit warning.
    pub payer_leg: Leg,
}

/// Prompt language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Zh,
    En,
}

/// The live call: its events in order, and the commands that steer it.
#[derive(Debug)]
pub struct CallHandle {
    pub events: mpsc::Receiver<CallEvent>,
    pub commands: CallCommands,
}

/// Events this many deep are kept for a slow reader; a call emits about ten plus DTMF.
pub const EVENT_QUEUE: usize = 64;
/// Commands are rare (hang-up, one credit warning): a short queue is plenty.
pub(crate) const COMMAND_QUEUE: usize = 16;

/// A command sent through [`CallCommands`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Hangup(EndReason),
    WarnCreditLow,
}

/// Steers a live call. Cheap to clone; commands to an ended call are ignored.
#[derive(Clone, Debug)]
pub struct CallCommands {
    pub(crate) tx: mpsc::Sender<Command>,
}

impl CallCommands {
    /// Ends the call on both legs (CANCEL if still ringing, else BYE) with `reason`.
    pub fn hangup(&self, reason: EndReason) {
        let _ = self.tx.try_send(Command::Hangup(reason));
    }

    /// Mixes the credit warning tone ([`crate::prompts::credit_warning_tone`]) into what the
    /// payer's leg hears, over the other party's speech; the other party hears nothing of it.
    pub fn warn_credit_low(&self) {
        let _ = self.tx.try_send(Command::WarnCreditLow);
    }

    /// Commands for a call that is not driven by anything (tests of the relay).
    pub fn detached() -> (Self, DetachedCommands) {
        let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
        (Self { tx }, DetachedCommands { rx })
    }
}

/// The receiving end of [`CallCommands::detached`], for fakes of [`CallControl`]: tells what
/// the relay asked.
#[derive(Debug)]
pub struct DetachedCommands {
    rx: mpsc::Receiver<Command>,
}

impl DetachedCommands {
    /// The next command the relay sent, `None` once every `CallCommands` clone is dropped.
    pub async fn next(&mut self) -> Option<Command> {
        self.rx.recv().await
    }
}

/// Which leg: A is the member, B the merchant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Leg {
    A,
    B,
}

/// Where a digit came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DtmfSource {
    /// RFC 4733 telephone-event in the RTP stream.
    Rfc4733,
    /// SIP INFO (`application/dtmf-relay` or `application/dtmf`).
    SipInfo,
}

/// Progress of a call, emitted as each thing happens.
#[derive(Clone, Debug, PartialEq)]
pub enum CallEvent {
    /// Leg A's INVITE is on the wire.
    CallingMember,
    MemberRinging,
    MemberAnswered,
    /// Leg B's INVITE is on the wire.
    CallingMerchant,
    MerchantRinging,
    /// Both legs answered and media flows: the billing clock starts here.
    Bridged,
    Dtmf {
        leg: Leg,
        digit: char,
        source: DtmfSource,
    },
    /// The last event of every call. A bridged call sends it the moment it is decided over (a
    /// BYE came, or it is being hung up), before our BYEs are answered.
    Ended(CallEnd),
}

/// How a call ended.
#[derive(Clone, Debug, PartialEq)]
pub struct CallEnd {
    pub reason: EndReason,
    pub bridged_at: Option<Instant>,
    pub ended_at: Instant,
    pub rtp: RtpStats,
}

/// RTP packets forwarded through the bridge, per direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RtpStats {
    /// Member to merchant.
    pub a_to_b: u64,
    /// Merchant to member.
    pub b_to_a: u64,
    /// Packets the agent itself sent to the member (prompts, ringback).
    pub played_to_a: u64,
    /// Packets the agent itself sent to the merchant (prompts).
    pub played_to_b: u64,
    /// RTP packets dropped because they came from an address neither peer's SDP names.
    pub dropped_foreign: u64,
}

/// Why a call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndReason {
    MemberNoAnswer,
    MemberBusy,
    MemberRejected,
    MemberHungUp,
    MerchantNoAnswer,
    MerchantBusy,
    MerchantRejected,
    MerchantHungUp,
    CreditExhausted,
    MaxDuration,
    /// The SIP trunk refused our credentials (401/407 after we sent them, or 403).
    TrunkAuthFailed,
    Cancelled,
    Shutdown,
    Failed(String),
}
