//! Ringlink SMS: the `SmsGateway` trait, an SMPP 3.4 client for a real SMSC, and a development
//! gateway that keeps an outbox instead of sending.
//!
//! Module map:
//! - [`config`]: the `[sms]` section of the relay's TOML, the password [`Secret`], and
//!   [`gateway_from_config`], which builds the configured gateway.
//! - [`error`]: [`SmsError`], every way a send or a start-up can fail, worded for the operator.
//! - [`gsm7`]: the GSM 03.38 default alphabet and its extension table, septet packing.
//! - [`parts`]: picks GSM-7 or UCS-2 for a text and splits long texts into concatenated parts
//!   with a UDH (8-bit reference, IEI 0x00).
//! - [`receipt`]: parses SMSC delivery receipts (`id:... stat:DELIVRD`) into [`DeliveryReport`]s.
//! - [`dev`]: [`DevGateway`], which logs each message and keeps a bounded in-memory outbox.
//! - [`smpp`]: [`SmppGateway`], the SMPP 3.4 transceiver client on `rusmppc`: bind, submit_sm,
//!   enquire_link, delivery receipts, rebind with backoff, throttling.

pub mod config;
pub mod dev;
pub mod error;
pub mod gsm7;
pub mod parts;
pub mod receipt;
pub mod smpp;

use futures_util::future::BoxFuture;
use ringlink_protocol::E164;
use serde::Serialize;
use tokio::sync::broadcast;

pub use config::{gateway_from_config, GatewayKind, Secret, SmsConfig};
pub use dev::{DevGateway, OutboxEntry};
pub use error::SmsError;
pub use parts::Encoding;
pub use receipt::{DeliveryReport, DeliveryState};
pub use smpp::SmppGateway;

/// `tracing` filter directives the relay should add after `RUST_LOG`: `rusmpp`'s codec logs
/// every PDU it encodes at debug level, and a bind PDU holds the SMSC password and a submit_sm
/// holds verification codes. Keeping those targets at `info` keeps both out of the logs even
/// when the rest of the process runs at debug.
pub const QUIET_LOG_DIRECTIVES: &[&str] = &["rusmpp=info", "rusmppc=info"];

/// Whether the installed `tracing` subscriber would print `rusmpp`'s codec debug lines (and
/// with them the SMSC password and message texts). The SMPP gateway warns at start when so.
pub fn codec_logs_secrets() -> bool {
    tracing::enabled!(target: "rusmpp::codec::encode", tracing::Level::DEBUG)
        || tracing::enabled!(target: "rusmpp::codec::decode", tracing::Level::DEBUG)
}

/// What the SMSC (or the dev outbox) accepted for one `send`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SmsReceipt {
    /// The SMSC message id of each part, in part order. Delivery reports name these ids; a
    /// long message gets one report per part.
    pub message_ids: Vec<String>,
    /// How the text was encoded (GSM-7 or UCS-2).
    pub encoding: Encoding,
}

/// Sends text messages to mobile numbers. Object-safe: the relay holds `Arc<dyn SmsGateway>`.
pub trait SmsGateway: Send + Sync + 'static {
    /// Sends `text` to `to`, split into concatenated parts when it is long. Resolves when the
    /// SMSC has accepted every part (not when the handset has it: see
    /// [`delivery_reports`](Self::delivery_reports)). Parts go out in order; when one fails,
    /// the error is returned and the parts before it have already been sent.
    fn send(&self, to: &E164, text: &str) -> BoxFuture<'_, Result<SmsReceipt, SmsError>>;

    /// Delivery reports from now on. A receiver that falls more than the channel's capacity
    /// behind loses the oldest reports (it sees `RecvError::Lagged`), so one slow consumer
    /// never holds up the SMSC link.
    fn delivery_reports(&self) -> broadcast::Receiver<DeliveryReport>;

    /// `"dev"` or `"smpp"`, for health pages and logs.
    fn kind(&self) -> &'static str;

    /// Whether a send now would go straight out: the dev gateway always; the SMPP gateway while
    /// bound to the SMSC.
    fn is_ready(&self) -> bool {
        true
    }

    /// The development gateway behind this handle, for the relay's dev outbox page.
    fn as_dev(&self) -> Option<&DevGateway> {
        None
    }
}

/// Milliseconds since the Unix epoch, for outbox and report timestamps.
pub(crate) fn now_unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::EnvFilter;

    #[test]
    fn quiet_directives_silence_the_codec() {
        let loud = tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new("debug"))
            .finish();
        tracing::subscriber::with_default(loud, || assert!(codec_logs_secrets()));
        let quiet = tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new(format!(
                "debug,{}",
                QUIET_LOG_DIRECTIVES.join(",")
            )))
            .finish();
        tracing::subscriber::with_default(quiet, || assert!(!codec_logs_secrets()));
    }
}
