//! The `[sms]` section of the relay's TOML: which gateway, how to reach and bind to the SMSC,
//! and the limits; the password [`Secret`]; and [`gateway_from_config`], which builds the
//! configured gateway.
//!
//! ```toml
//! [sms]
//! gateway = "smpp"          # or "dev" (the default): log and keep an outbox, send nothing
//! host = "smsc.example.net"
//! port = 2775
//! system_id = "ringlink"
//! password = "secret"       # at most 8 characters (SMPP 3.4); never logged
//! source_addr = "Ringlink"  # a sender name (at most 11 letters) or a number
//! max_per_second = 10
//! ```

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::dev::{DevGateway, DEFAULT_OUTBOX_CAPACITY};
use crate::error::SmsError;
use crate::smpp::SmppGateway;
use crate::SmsGateway;

/// The standard SMPP port (IANA 2775).
pub const DEFAULT_PORT: u16 = 2775;
/// submit_sm per second unless configured: a common contract rate for a small account, and
/// slow enough that a burst of codes does not trip the SMSC's own throttling.
pub const DEFAULT_MAX_PER_SECOND: u32 = 10;
/// enquire_link interval: well under the 60 s idle timeout many SMSCs and NATs apply.
pub const DEFAULT_ENQUIRE_LINK_SECS: u64 = 30;
/// How long a submit_sm may wait for its response before the send fails as a timeout.
pub const DEFAULT_RESPONSE_TIMEOUT_SECS: u64 = 10;
/// How long a send waits for a (re)bind before failing clearly: long enough to ride out an
/// SMSC restart, short enough that a person waiting for a code gets an answer.
pub const DEFAULT_BIND_WAIT_SECS: u64 = 10;
/// Parts per message: a runaway template must not send (and bill) a 255-part message.
pub const DEFAULT_MAX_PARTS: u8 = 10;

// SMPP 3.4 field sizes (section 4.1), without the terminating NUL.
const MAX_SYSTEM_ID: usize = 15;
const MAX_PASSWORD: usize = 8;
const MAX_SYSTEM_TYPE: usize = 12;
const MAX_SOURCE_ADDR: usize = 20;
/// Alphanumeric sender ids show at most 11 characters on handsets (GSM 03.40 address field).
const MAX_ALPHANUMERIC_SOURCE: usize = 11;

/// Which gateway sends SMS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GatewayKind {
    /// Log and keep an outbox; send nothing. The default, so the demo needs no SMSC.
    #[default]
    Dev,
    /// An SMPP 3.4 SMSC.
    Smpp,
}

/// The SMSC password: `Debug` prints stars and there is no `Display`, so it cannot reach a log
/// by accident (the relay's config also never serializes the `[sms]` table).
pub use ringlink_protocol::secret::Secret;

/// The `[sms]` section. Every key has a default; unknown keys are refused so a typo is caught.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    /// `"dev"` (default) or `"smpp"`.
    pub gateway: GatewayKind,
    /// SMSC host name or address.
    pub host: String,
    /// SMSC port.
    pub port: u16,
    /// SMPP system_id (at most 15 characters).
    pub system_id: String,
    /// SMPP password (at most 8 characters). Never logged.
    pub password: Secret,
    /// SMPP system_type (at most 12 characters; empty is usual).
    pub system_type: String,
    /// Sender shown on the handset: digits (a number) or letters (an alphanumeric sender id,
    /// at most 11 characters).
    pub source_addr: String,
    /// Override the source TON (default: 5 alphanumeric for letters, 1 international for digits).
    pub source_addr_ton: Option<u8>,
    /// Override the source NPI (default: 0 unknown for letters, 1 ISDN for digits).
    pub source_addr_npi: Option<u8>,
    /// submit_sm per second at most (each part counts).
    pub max_per_second: u32,
    /// Seconds between enquire_link keep-alives.
    pub enquire_link_secs: u64,
    /// Seconds to wait for a submit_sm_resp.
    pub response_timeout_secs: u64,
    /// Seconds a send waits for the gateway to (re)bind before failing.
    pub bind_wait_secs: u64,
    /// Most parts one message may be split into.
    pub max_parts: u8,
    /// Pack GSM-7 text eight septets to seven octets. Most SMSCs want it unpacked (false).
    pub gsm7_packed: bool,
    /// Ask the SMSC for delivery receipts (registered_delivery 1).
    pub delivery_receipts: bool,
    /// Messages the dev gateway keeps for its outbox page.
    pub dev_outbox_size: usize,
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            gateway: GatewayKind::Dev,
            host: "127.0.0.1".into(),
            port: DEFAULT_PORT,
            system_id: String::new(),
            password: Secret::default(),
            system_type: String::new(),
            source_addr: "Ringlink".into(),
            source_addr_ton: None,
            source_addr_npi: None,
            max_per_second: DEFAULT_MAX_PER_SECOND,
            enquire_link_secs: DEFAULT_ENQUIRE_LINK_SECS,
            response_timeout_secs: DEFAULT_RESPONSE_TIMEOUT_SECS,
            bind_wait_secs: DEFAULT_BIND_WAIT_SECS,
            max_parts: DEFAULT_MAX_PARTS,
            gsm7_packed: false,
            delivery_receipts: true,
            dev_outbox_size: DEFAULT_OUTBOX_CAPACITY,
        }
    }
}

impl SmsConfig {
    /// `host:port`, for messages.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    pub fn enquire_link_interval(&self) -> Duration {
        Duration::from_secs(self.enquire_link_secs)
    }

    pub fn response_timeout(&self) -> Duration {
        Duration::from_secs(self.response_timeout_secs)
    }

    pub fn bind_wait(&self) -> Duration {
        Duration::from_secs(self.bind_wait_secs)
    }

    /// Whether the sender is a number (digits, optional leading +) rather than a name.
    pub fn source_is_numeric(&self) -> bool {
        let digits = self.source_addr.trim_start_matches('+');
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    }

    /// Checks the keys the chosen gateway needs, with a message that names the key to fix.
    pub fn validate(&self) -> Result<(), SmsError> {
        let bad = |msg: String| Err(SmsError::Config(msg));
        if self.max_parts == 0 {
            return bad("[sms] max_parts must be at least 1".into());
        }
        if self.gateway == GatewayKind::Dev {
            return Ok(());
        }
        let checks: [(&str, &str, usize); 3] = [
            ("system_id", &self.system_id, MAX_SYSTEM_ID),
            ("password", self.password.expose(), MAX_PASSWORD),
            ("system_type", &self.system_type, MAX_SYSTEM_TYPE),
        ];
        for (key, value, max) in checks {
            if value.len() > max || !value.is_ascii() {
                return bad(format!(
                    "[sms] {key} must be at most {max} ASCII characters (SMPP 3.4 limit)"
                ));
            }
        }
        if self.system_id.is_empty() {
            return bad("[sms] system_id is required when gateway = \"smpp\"".into());
        }
        if self.host.trim().is_empty() || self.port == 0 {
            return bad("[sms] host and port must name the SMSC".into());
        }
        let source_max = if self.source_is_numeric() {
            MAX_SOURCE_ADDR
        } else {
            MAX_ALPHANUMERIC_SOURCE
        };
        if self.source_addr.is_empty()
            || self.source_addr.len() > source_max
            || !self.source_addr.is_ascii()
        {
            return bad(format!(
                "[sms] source_addr must be 1 to {source_max} ASCII characters (a number or a sender name of at most {MAX_ALPHANUMERIC_SOURCE} letters)"
            ));
        }
        if self.max_per_second == 0 {
            return bad("[sms] max_per_second must be at least 1".into());
        }
        if self.enquire_link_secs == 0 || self.response_timeout_secs == 0 {
            return bad(
                "[sms] enquire_link_secs and response_timeout_secs must be at least 1".into(),
            );
        }
        Ok(())
    }
}

/// Builds the configured gateway. The SMPP gateway binds in the background and keeps
/// rebinding until `shutdown` is cancelled; it does not wait for the first bind, so the relay
/// starts even while the SMSC is down (sends then wait `bind_wait_secs`, then fail clearly).
/// For the dev gateway, [`SmsGateway::as_dev`] gives the outbox.
pub async fn gateway_from_config(
    cfg: &SmsConfig,
    shutdown: CancellationToken,
) -> Result<Arc<dyn SmsGateway>, SmsError> {
    cfg.validate()?;
    Ok(match cfg.gateway {
        GatewayKind::Dev => {
            Arc::new(DevGateway::new(cfg.dev_outbox_size).with_max_parts(cfg.max_parts))
        }
        GatewayKind::Smpp => Arc::new(SmppGateway::start(cfg, shutdown)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_toml() {
        let cfg: SmsConfig = toml::from_str("").expect("empty section");
        assert_eq!(cfg, SmsConfig::default());
        assert_eq!(cfg.gateway, GatewayKind::Dev);
        let cfg: SmsConfig = toml::from_str(
            r#"
            gateway = "smpp"
            host = "smsc.example.net"
            system_id = "ringlink"
            password = "s3cret"
            source_addr = "+8610000"
            max_per_second = 5
            "#,
        )
        .expect("smpp section");
        assert_eq!(cfg.gateway, GatewayKind::Smpp);
        assert_eq!(cfg.port, DEFAULT_PORT);
        assert!(cfg.source_is_numeric());
        cfg.validate().expect("valid");
        let printed = format!("{cfg:?}");
        assert!(
            !printed.contains("s3cret"),
            "password not in Debug: {printed}"
        );
        assert!(printed.contains("***"));
    }

    #[tokio::test]
    async fn dev_is_the_default_gateway() {
        let gateway = gateway_from_config(&SmsConfig::default(), CancellationToken::new())
            .await
            .expect("dev gateway");
        assert_eq!(gateway.kind(), "dev");
        assert!(gateway.is_ready());
        assert!(gateway.as_dev().expect("dev outbox").outbox().is_empty());
        let bad = SmsConfig {
            max_parts: 0,
            ..SmsConfig::default()
        };
        let err = gateway_from_config(&bad, CancellationToken::new()).await;
        assert!(matches!(err, Err(SmsError::Config(_))));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        let err = toml::from_str::<SmsConfig>("sytem_id = \"x\"").expect_err("typo refused");
        assert!(err.to_string().contains("sytem_id"), "{err}");
        assert!(toml::from_str::<SmsConfig>("gateway = \"http\"").is_err());
        let mut cfg = SmsConfig {
            gateway: GatewayKind::Smpp,
            system_id: "ringlink".into(),
            ..SmsConfig::default()
        };
        cfg.validate().expect("valid");
        cfg.password = Secret::new("far-too-long");
        let err = cfg.validate().expect_err("long password");
        assert!(err.to_string().contains("password"));
        assert!(!err.to_string().contains("far-too-long"));
        cfg.password = Secret::new("ok");
        cfg.source_addr = "RinglinkShopCN".into();
        assert!(cfg.validate().is_err(), "12-letter sender refused");
        cfg.source_addr = "Ringlink".into();
        cfg.system_id.clear();
        assert!(cfg.validate().is_err(), "system_id required");
    }
}
