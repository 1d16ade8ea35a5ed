//! `[telephony]` configuration: listen and media addresses, the trunk and its routes by prefix,
//! credentials, and every timeout with its default and the reason for it.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

/// 30 s of ringing is about six rings: long enough to reach a phone in a pocket, short enough
/// that a member who walked away is not billed for a dead line.
pub const DEFAULT_RING_TIMEOUT_SECS: u64 = 30;
/// A trunk that has not said anything (not even 100 Trying) in 8 s is unreachable; waiting the
/// full SIP Timer B (32 s) would leave the member staring at a spinner.
pub const DEFAULT_ANSWER_TIMEOUT_SECS: u64 = 8;
/// Hard cap on a bridged call when the order asks for more: four hours stops a stuck call from
/// running (and billing) forever.
pub const DEFAULT_MAX_CALL_SECS: u64 = 4 * 3600;
/// A BYE or CANCEL that gets no answer in 5 s is treated as done: the call is over for us.
pub const DEFAULT_HANGUP_TIMEOUT_SECS: u64 = 5;
/// No RTP from either leg for 60 s while bridged means a dead path (NAT timeout, crashed
/// phone); end the call rather than bill silence.
pub const DEFAULT_MEDIA_TIMEOUT_SECS: u64 = 60;
/// Loopback by default: an agent exposed to the Internet must be configured on purpose.
pub const DEFAULT_SIP_LISTEN: &str = "127.0.0.1:5060";
/// RFC 3551 suggests even ports in 16384-32767 for RTP; 16384..=16999 gives ~300 calls.
pub const DEFAULT_RTP_PORT_MIN: u16 = 16384;
pub const DEFAULT_RTP_PORT_MAX: u16 = 16999;

/// A password that never prints (`Debug` shows stars), shared with the rest of Ringlink.
pub use ringlink_protocol::secret::Secret;

/// A destination prefix (E.164, with `+`) and the SIP target (`host:port`) that serves it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub prefix: String,
    pub target: String,
}

/// The `[telephony]` table. Every key has a default; unknown keys are refused so a typo does
/// not silently fall back to a default.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelephonyConfig {
    /// Local SIP UDP address (`127.0.0.1:0` picks a free port).
    pub sip_listen: SocketAddr,
    /// Address put in Via/Contact/SDP when behind NAT; defaults to the listen address.
    pub public_addr: Option<std::net::IpAddr>,
    /// RTP port range (inclusive); each call uses two even ports.
    pub rtp_port_min: u16,
    pub rtp_port_max: u16,
    /// Default SIP target (`host:port`) for numbers no route matches.
    pub trunk: Option<String>,
    /// Optional outbound proxy (`host:port`): every INVITE goes there with a Route to it.
    pub outbound_proxy: Option<String>,
    /// Digest credentials for 401/407 challenges from the trunk.
    pub username: Option<String>,
    pub password: Secret,
    /// Optional realm to bind the credentials to; empty answers any realm.
    pub realm: Option<String>,
    /// The number or user part shown as the caller (From) on both legs.
    pub caller_id: String,
    /// Routes by destination prefix; the longest matching prefix wins.
    pub routes: Vec<Route>,
    pub ring_timeout_secs: u64,
    pub answer_timeout_secs: u64,
    pub max_call_secs: u64,
    pub hangup_timeout_secs: u64,
    pub media_timeout_secs: u64,
    /// User-Agent header value.
    pub user_agent: String,
}

impl Default for TelephonyConfig {
    fn default() -> Self {
        Self {
            sip_listen: DEFAULT_SIP_LISTEN.parse().expect("valid default address"),
            public_addr: None,
            rtp_port_min: DEFAULT_RTP_PORT_MIN,
            rtp_port_max: DEFAULT_RTP_PORT_MAX,
            trunk: None,
            outbound_proxy: None,
            username: None,
            password: Secret::default(),
            realm: None,
            caller_id: "ringlink".into(),
            routes: Vec::new(),
            ring_timeout_secs: DEFAULT_RING_TIMEOUT_SECS,
            answer_timeout_secs: DEFAULT_ANSWER_TIMEOUT_SECS,
            max_call_secs: DEFAULT_MAX_CALL_SECS,
            hangup_timeout_secs: DEFAULT_HANGUP_TIMEOUT_SECS,
            media_timeout_secs: DEFAULT_MEDIA_TIMEOUT_SECS,
            user_agent: concat!("ringlink-telephony/", env!("CARGO_PKG_VERSION")).into(),
        }
    }
}

impl TelephonyConfig {
    pub fn ring_timeout(&self) -> Duration {
        Duration::from_secs(self.ring_timeout_secs)
    }
    pub fn answer_timeout(&self) -> Duration {
        Duration::from_secs(self.answer_timeout_secs)
    }
    pub fn max_call(&self) -> Duration {
        Duration::from_secs(self.max_call_secs)
    }
    pub fn hangup_timeout(&self) -> Duration {
        Duration::from_secs(self.hangup_timeout_secs)
    }
    pub fn media_timeout(&self) -> Duration {
        Duration::from_secs(self.media_timeout_secs)
    }

    /// The SIP target for `number`: the longest matching route prefix, else the trunk.
    pub fn target_for(&self, number: &str) -> Option<&str> {
        self.routes
            .iter()
            .filter(|r| number.starts_with(&r.prefix))
            .max_by_key(|r| r.prefix.len())
            .map(|r| r.target.as_str())
            .or(self.trunk.as_deref())
    }

    /// Refuses settings that cannot work, with what to change.
    pub fn validate(&self) -> Result<(), String> {
        if self.rtp_port_min > self.rtp_port_max || self.rtp_port_max - self.rtp_port_min < 3 {
            return Err(format!(
                "rtp_port_min..rtp_port_max ({}..{}) must span at least 4 ports",
                self.rtp_port_min, self.rtp_port_max
            ));
        }
        if self.trunk.is_none() && self.routes.is_empty() {
            return Err("set `trunk` or at least one entry in `routes`".into());
        }
        if self.username.is_some() && self.password.is_empty() {
            return Err("`username` is set but `password` is empty".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins_and_trunk_is_fallback() {
        let cfg = TelephonyConfig {
            trunk: Some("10.0.0.1:5060".into()),
            routes: vec![
                Route {
                    prefix: "+86".into(),
                    target: "a:1".into(),
                },
                Route {
                    prefix: "+86138".into(),
                    target: "b:2".into(),
                },
            ],
            ..Default::default()
        };
        assert_eq!(cfg.target_for("+8613800138000"), Some("b:2"));
        assert_eq!(cfg.target_for("+8610123456"), Some("a:1"));
        assert_eq!(cfg.target_for("+4420123456"), Some("10.0.0.1:5060"));
    }

    #[derive(Debug, Deserialize)]
    struct RelayToml {
        telephony: TelephonyConfig,
    }

    #[test]
    fn reads_the_relay_table_with_defaults() {
        let text = r#"
            [telephony]
            sip_listen = "0.0.0.0:5060"
            public_addr = "203.0.113.5"
            trunk = "sip.example.net:5060"
            outbound_proxy = "proxy.example.net:5060"
            username = "acct"
            password = "pw"
            caller_id = "+8657100000000"
            routes = [{ prefix = "+86138", target = "127.0.0.1:5071" }]
            ring_timeout_secs = 25
        "#;
        let cfg = toml::from_str::<RelayToml>(text).unwrap().telephony;
        assert_eq!(cfg.ring_timeout(), Duration::from_secs(25));
        assert_eq!(cfg.answer_timeout_secs, DEFAULT_ANSWER_TIMEOUT_SECS);
        assert_eq!(cfg.password.expose(), "pw");
        assert_eq!(cfg.target_for("+8613812345678"), Some("127.0.0.1:5071"));
        assert_eq!(
            cfg.target_for("+8613912345678"),
            Some("sip.example.net:5060")
        );
        assert!(cfg.validate().is_ok());
    }

    #[test]
    fn unknown_keys_and_unusable_settings_are_refused() {
        let err = toml::from_str::<RelayToml>(
            "[telephony]
ring_timeout = 3
",
        )
        .unwrap_err();
        assert!(err.to_string().contains("ring_timeout"), "{err}");
        let err = toml::from_str::<RelayToml>(
            "[telephony]\nroutes = [{ prefix = \"+1\", target = \"a:1\", via = \"x\" }]\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("via"), "{err}");
        assert!(TelephonyConfig::default()
            .validate()
            .unwrap_err()
            .contains("trunk"));
        let cfg = TelephonyConfig {
            trunk: Some("a:1".into()),
            username: Some("u".into()),
            ..Default::default()
        };
        assert!(cfg.validate().unwrap_err().contains("password"));
    }

    #[test]
    fn password_never_prints() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        let cfg = TelephonyConfig {
            password: s,
            ..Default::default()
        };
        assert!(!format!("{cfg:?}").contains("hunter2"));
    }
}
