//! Relay configuration: one struct, filled from defaults, then a TOML file, then `RINGLINK_*`
//! environment variables. Unknown keys in the file are reported, never silently ignored.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Why configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("environment variable {var}={value:?} is not valid for '{key}': {why}")]
    Env {
        var: String,
        value: String,
        key: String,
        why: String,
    },
    #[error("configuration is invalid: {0}")]
    Invalid(String),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the relay listens on.
    pub listen: String,
    /// Where the SQLite database lives when no `database_url` is given.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; empty means `sqlite://<data_dir>/ringlink.db`.
    pub database_url: String,
    /// ISO region for numbers typed without a country code.
    pub default_region: String,
    /// Web sessions last this long (hours): a month, so members are not asked every visit.
    pub session_ttl_hours: i64,
    /// Device tokens last this long (days): a phone agent stays signed in for a year unless revoked.
    pub device_ttl_days: i64,
    /// Agents and widgets ping this often; the relay drops a connection silent for three times as
    /// long and rechecks the token on every ping (so a revoked device goes within one interval).
    /// 25 s keeps NAT mappings alive without waking a phone too often.
    pub heartbeat_secs: u64,
    /// A widget socket that has neither signed in nor resumed a session this long after it
    /// opened is closed (pings do not keep it): an unsigned socket costs the relay memory and
    /// gives nothing. 30 s is time to type a number and password; the widget reconnects.
    pub sign_in_within_secs: u64,
    /// `text` or `json` log lines.
    pub log_format: String,
    /// Gone: the widget is embedded, compressed and hashed at the relay's build. Refused with
    /// a message saying so (it used to serve files from a folder, uncompressed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub widget_dir: Option<PathBuf>,
    /// Replaced by `http.trusted_proxies` / `http.trusted_proxy_hops`: `true` is refused with a
    /// message naming them (it believed the client-written first `X-Forwarded-For` entry).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub trust_forwarded_for: bool,
    /// The HTTP server (`[http]`): timeouts, connection caps, trusted proxies, dev outbox,
    /// metrics access.
    pub http: crate::http_config::HttpConfig,
    /// The relay's public URL as browsers see it (`https://relay.example`). The widget socket
    /// accepts only this origin: the relay's own frame. Unset: the request's own `Host`.
    pub public_url: Option<String>,
    /// CALL: who may be called, how often, and for how long (`[calls]` in the file).
    pub calls: CallsConfig,
    /// DIAL: which numbers a member's phone dials, which after asking, and how many a day.
    pub dial: crate::dial_policy::DialConfig,
    /// CALL's SIP trunk (`[telephony]`); without it CALL requests are refused as unavailable.
    #[serde(skip_serializing)]
    pub telephony: Option<ringlink_telephony::TelephonyConfig>,
    /// The SMS gateway (`[sms]`): `gateway = "dev"` (the default: an outbox at /dev/outbox on
    /// loopback) or `"smpp"` with the SMSC's address and credentials.
    #[serde(skip_serializing)]
    pub sms: ringlink_sms::SmsConfig,
    /// The live layer (`[live]`): the NATS URL for several relays, and this relay's node id.
    pub live: crate::live::config::LiveConfig,
    /// CHAT's relay-wide limits (`[chat]`): attachment size, sweep interval, retention.
    pub chat: crate::chat::ChatConfig,
}

/// CALL's abuse controls. Calls cost money and ring strangers' phones: every limit here is on
/// by default and errs on the side of refusing.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallsConfig {
    /// Regions (ISO codes) whose numbers the relay calls.
    pub allowed_regions: Vec<String>,
    /// Line classes (libphonenumber's names) the relay calls. Premium-rate, shared-cost,
    /// personal, pager, UAN, voicemail and unknown numbers are left out: they are how toll fraud
    /// makes money.
    pub allowed_classes: Vec<String>,
    /// Calls a member may start per hour: a person calls a few merchants an hour at most.
    pub per_member_per_hour: u32,
    /// Calls per client address per hour (several members may share a NAT).
    pub per_address_per_hour: u32,
    /// Calls to one callback number per hour: the relay must not become a way to ring someone
    /// over and over.
    pub per_destination_per_hour: u32,
    /// Calls to numbers sharing their first `prefix_digits` digits per hour (number-range
    /// pumping spreads over a block of numbers).
    pub per_prefix_per_hour: u32,
    pub prefix_digits: usize,
    /// Live calls at once per member, and per member number called (the merchant's side is
    /// limited by its button's capacity instead).
    pub live_per_member: usize,
    pub live_per_destination: usize,
    /// Calls at once through one call button unless the button has its own capacity
    /// (`admin button set --capacity N`): how many lines the merchant answers.
    pub button_capacity: u32,
    /// The longest a call may last, seconds.
    pub max_call_secs: u64,
    /// SMS verification codes per callback number per hour, and per member per hour.
    pub codes_per_number_per_hour: u32,
    pub codes_per_member_per_hour: u32,
    /// Credit (minor units) a payer needs to start a call.
    pub min_start_balance: i64,
    /// A member account's daily spend cap (minor units); 0 for none.
    pub member_daily_cap: i64,
    /// Merchant and sponsor accounts' daily spend cap unless the account has its own (minor
    /// units); 0 for none. Money, abuse and limits: see [`crate::calls::limits`].
    pub merchant_daily_cap: i64,
    pub sponsor_daily_cap: i64,
    /// Minutes a day one member may talk on one merchant's or sponsor's account; 0 for none.
    pub member_share_minutes: u64,
    /// The talk time a call must be able to pay for to start, seconds at the call's tariff.
    pub min_talk_secs: u64,
    /// Verification SMS the relay sends per hour and per day in all, and per site.
    pub sms_per_hour: u32,
    pub sms_per_day: u32,
    pub sms_per_site_per_hour: u32,
    pub sms_per_site_per_day: u32,
    /// Verification SMS per hour to numbers sharing their first `prefix_digits` digits.
    pub sms_per_prefix_per_hour: u32,
    /// A call whose relay has not refreshed its reservation for this long is settled by the
    /// janitor (billed up to its last heartbeat). Live calls refresh every quarter of it.
    pub orphan_after_secs: u64,
}

impl Default for CallsConfig {
    fn default() -> Self {
        Self {
            allowed_regions: crate::destination::default_regions(),
            allowed_classes: crate::destination::default_classes(),
            per_member_per_hour: 10,
            per_address_per_hour: 30,
            per_destination_per_hour: 5,
            per_prefix_per_hour: 60,
            prefix_digits: 7,
            live_per_member: 1,
            live_per_destination: 1,
            button_capacity: crate::calls::limits::DEFAULT_BUTTON_CAPACITY,
            max_call_secs: 3600,
            codes_per_number_per_hour: 3,
            codes_per_member_per_hour: 5,
            min_start_balance: crate::billing::DEFAULT_MIN_START_BALANCE,
            member_daily_cap: crate::billing::DEFAULT_MEMBER_DAILY_CAP,
            merchant_daily_cap: crate::calls::limits::DEFAULT_MERCHANT_DAILY_CAP,
            sponsor_daily_cap: crate::calls::limits::DEFAULT_MERCHANT_DAILY_CAP,
            member_share_minutes: crate::calls::limits::DEFAULT_MEMBER_SHARE_MINUTES,
            min_talk_secs: crate::calls::limits::DEFAULT_MIN_TALK_SECS,
            sms_per_hour: crate::calls::limits::DEFAULT_SMS_PER_HOUR,
            sms_per_day: crate::calls::limits::DEFAULT_SMS_PER_DAY,
            sms_per_site_per_hour: crate::calls::limits::DEFAULT_SMS_PER_SITE_PER_HOUR,
            sms_per_site_per_day: crate::calls::limits::DEFAULT_SMS_PER_SITE_PER_DAY,
            sms_per_prefix_per_hour: crate::calls::limits::DEFAULT_SMS_PER_PREFIX_PER_HOUR,
            orphan_after_secs: crate::billing::janitor::STALE_AFTER.as_secs(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            database_url: String::new(),
            default_region: "CN".into(),
            session_ttl_hours: 24 * 30,
            device_ttl_days: 365,
            heartbeat_secs: 25,
            sign_in_within_secs: 30,
            log_format: "text".into(),
            widget_dir: None,
            trust_forwarded_for: false,
            http: crate::http_config::HttpConfig::default(),
            public_url: None,
            calls: CallsConfig::default(),
            dial: crate::dial_policy::DialConfig::default(),
            telephony: None,
            sms: ringlink_sms::SmsConfig::default(),
            live: crate::live::config::LiveConfig::default(),
            chat: crate::chat::ChatConfig::default(),
        }
    }
}

pub use crate::config_env::ENV_PREFIX;

impl Config {
    /// Defaults, then `file` (if given), then environment variables from `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut table = match toml::Value::try_from(Config::default()) {
            Ok(toml::Value::Table(t)) => t,
            _ => unreachable!("Config serializes to a table"),
        };
        let defaults = table.clone();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.into(),
                source,
            })?;
            let from_file: toml::Table = text.parse().map_err(|source| ConfigError::Parse {
                path: path.into(),
                source,
            })?;
            for (k, v) in from_file {
                table.insert(k, v);
            }
        }
        let overrides =
            crate::config_env::apply(&mut table, &defaults, env).map_err(|b| ConfigError::Env {
                var: b.var,
                value: b.value,
                key: b.key,
                why: b.why,
            })?;
        let config = Self::from_table(table, &overrides)?;
        config.check()?;
        Ok(config)
    }

    /// The typed configuration; a variable whose type was guessed (no default says it) is tried
    /// as text when the guess does not fit (`RINGLINK_SMS__PASSWORD=123456`).
    fn from_table(
        mut table: toml::Table,
        overrides: &[crate::config_env::Override],
    ) -> Result<Self, ConfigError> {
        let parse = |t: &toml::Table| toml::Value::Table(t.clone()).try_into::<Config>();
        let mut error = match parse(&table) {
            Ok(c) => return Ok(c),
            Err(e) => e.to_string(),
        };
        // Each pass fixes at most one key; the errors come in the table's order, not the env's.
        let mut open: Vec<_> = overrides.iter().filter(|o| o.guessed).collect();
        while let Some(i) = open.iter().position(|o| {
            let key = o.path.last().map(String::as_str).unwrap_or("");
            error.contains(&format!("`{}`", o.path.join("."))) || error.contains(key)
        }) {
            let o = open.remove(i);
            let mut t = table.clone();
            crate::config_env::as_text(&mut t, o);
            match parse(&t) {
                Ok(c) => return Ok(c),
                Err(e) => {
                    table = t;
                    error = e.to_string();
                }
            }
        }
        // The message may quote a value, and one without a default may be a secret.
        for o in overrides.iter().filter(|o| o.guessed && o.raw.len() > 2) {
            error = error.replace(&o.raw, &format!("(the value of {})", o.var));
        }
        Err(ConfigError::Invalid(error))
    }

    fn check(&self) -> Result<(), ConfigError> {
        ringlink_protocol::number::check_region(&self.default_region)
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        if self.heartbeat_secs == 0
            || self.sign_in_within_secs == 0
            || self.session_ttl_hours <= 0
            || self.device_ttl_days <= 0
        {
            return Err(ConfigError::Invalid(
                "heartbeat_secs, sign_in_within_secs, session_ttl_hours and device_ttl_days must be above zero".into(),
            ));
        }
        self.live.validate().map_err(ConfigError::Invalid)?;
        if let Some(t) = &self.telephony {
            t.validate()
                .map_err(|e| ConfigError::Invalid(format!("[telephony]: {e}")))?;
        }
        if self.calls.button_capacity == 0 {
            return Err(ConfigError::Invalid(
                "calls.button_capacity must be at least 1 (calls at once through one button)"
                    .into(),
            ));
        }
        if self.calls.orphan_after_secs < 8 {
            return Err(ConfigError::Invalid(
                "calls.orphan_after_secs must be at least 8 (live calls refresh every quarter of it)".into(),
            ));
        }
        for region in &self.calls.allowed_regions {
            ringlink_protocol::number::check_region(region)
                .map_err(|e| ConfigError::Invalid(format!("calls.allowed_regions: {e}")))?;
        }
        if let Some(dir) = &self.widget_dir {
            return Err(ConfigError::Invalid(format!(
                "widget_dir ({}) is gone: the relay embeds the widget at its build, compressed and \
                 content-hashed. Remove it; to serve another widget, run scripts/build-widget.sh and \
                 rebuild the relay",
                dir.display()
            )));
        }
        if self.trust_forwarded_for {
            return Err(ConfigError::Invalid(
                "trust_forwarded_for is gone: it believed the client-written first X-Forwarded-For entry. \
                 Remove it and list your proxies instead, in [http]: trusted_proxies = [\"127.0.0.1/32\"] \
                 (CIDRs) or trusted_proxy_hops = 1 (nginx alone in front)"
                    .into(),
            ));
        }
        let dev_sms = self.sms.gateway == ringlink_sms::GatewayKind::Dev;
        self.http.check(dev_sms).map_err(ConfigError::Invalid)?;
        crate::destination::check_classes("calls.allowed_classes", &self.calls.allowed_classes)
            .map_err(ConfigError::Invalid)?;
        self.dial.check().map_err(ConfigError::Invalid)?;
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(ConfigError::Invalid(
                "log_format must be 'text' or 'json'".into(),
            ));
        }
        Ok(())
    }

    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}/ringlink.db", self.data_dir.display())
        } else {
            self.database_url.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn file_then_env_override_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relay.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:9000\"\ndefault_region = \"US\"\n",
        )
        .unwrap();
        let c = Config::load(Some(&path), env(&[("RINGLINK_DEFAULT_REGION", "GB")])).unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.default_region, "GB");
        assert_eq!(c.heartbeat_secs, 25);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relay.toml");
        std::fs::write(&path, "lisen = \"0.0.0.0:9000\"\n").unwrap();
        let e = Config::load(Some(&path), env(&[])).unwrap_err().to_string();
        assert!(e.contains("lisen"), "{e}");
        let e = Config::load(None, env(&[("RINGLINK_HEARTBEAT_SECS", "soon")])).unwrap_err();
        assert!(e.to_string().contains("RINGLINK_HEARTBEAT_SECS"), "{e}");
        let e = Config::load(None, env(&[("RINGLINK_DEFAULT_REGION", "ZZ")])).unwrap_err();
        assert!(e.to_string().contains("ZZ"), "{e}");
    }

    // covers #9 §1: the folder that served the widget uncompressed is refused with the way out
    #[test]
    fn widget_dir_is_refused_with_the_way_out() {
        let e = Config::load(None, env(&[("RINGLINK_WIDGET_DIR", "/srv/widget")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("widget_dir") && e.contains("build-widget.sh"),
            "{e}"
        );
    }

    // covers #10 §4: nested keys from the environment, typed by their defaults
    #[test]
    fn nested_keys_come_from_the_environment() {
        let c = Config::load(
            None,
            env(&[
                ("RINGLINK_CALLS__PER_MEMBER_PER_HOUR", "7"),
                ("RINGLINK_CALLS__ALLOWED_REGIONS", "CN, US"),
                ("RINGLINK_HTTP__METRICS_TOKEN", "123456"),
                ("RINGLINK_SIGN_IN_WITHIN_SECS", "45"),
                ("RINGLINK_CONFIG", "/not/a/key"),
                ("RINGLINK_RELAY", "agent's, not ours"),
            ]),
        )
        .unwrap();
        assert_eq!(c.calls.per_member_per_hour, 7);
        assert_eq!(c.calls.allowed_regions, ["CN", "US"]);
        assert_eq!(
            c.http.metrics_token.as_deref(),
            Some("123456"),
            "a numeric secret stays text"
        );
        assert_eq!(c.sign_in_within_secs, 45);
    }

    // covers #10 §4: the NATS URL and node id come from the environment; a bad one is refused
    #[test]
    fn the_live_layer_comes_from_the_environment() {
        let c = Config::load(
            None,
            env(&[
                ("RINGLINK_LIVE__NATS_URL", "nats://10.0.0.5:4222"),
                ("RINGLINK_LIVE__NODE_ID", "relay-b"),
            ]),
        )
        .unwrap();
        assert_eq!(c.live.nats_url.as_deref(), Some("nats://10.0.0.5:4222"));
        assert_eq!(c.live.node_id(), "relay-b");
        let e = Config::load(None, env(&[("RINGLINK_LIVE__NODE_ID", "relay b")])).unwrap_err();
        assert!(e.to_string().contains("live.node_id"), "{e}");
        let e = Config::load(None, env(&[("RINGLINK_LIVE__NATS_URL", "10.0.0.5")])).unwrap_err();
        assert!(e.to_string().contains("nats://"), "{e}");
        assert!(Config::default().live.node_id().contains('-'));
    }

    // covers #10 §4: a bad nested value names the variable; a section cannot be set as a value
    #[test]
    fn bad_nested_values_are_named() {
        let e = Config::load(
            None,
            env(&[("RINGLINK_CALLS__PER_MEMBER_PER_HOUR", "many")]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("RINGLINK_CALLS__PER_MEMBER_PER_HOUR") && e.contains("whole number"),
            "{e}"
        );
        let e = Config::load(None, env(&[("RINGLINK_CALLS", "x")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("section"), "{e}");
        let e = Config::load(None, env(&[("RINGLINK_CALLS__NO_SUCH_KEY", "1")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no_such_key"), "{e}");
    }

    // covers #10 §4: a section without defaults (the SIP trunk) set wholly from the environment
    #[test]
    fn the_trunk_comes_from_the_environment() {
        let c = Config::load(
            None,
            env(&[
                ("RINGLINK_TELEPHONY__TRUNK", "10.0.0.5:5060"),
                ("RINGLINK_TELEPHONY__USERNAME", "4001"),
                ("RINGLINK_TELEPHONY__PASSWORD", "987654"),
                ("RINGLINK_TELEPHONY__RING_TIMEOUT_SECS", "40"),
            ]),
        )
        .unwrap();
        let t = c.telephony.expect("telephony from the environment");
        assert_eq!(t.trunk.as_deref(), Some("10.0.0.5:5060"));
        assert_eq!(t.username.as_deref(), Some("4001"));
        assert_eq!(t.ring_timeout_secs, 40);
        let e = Config::load(
            None,
            env(&[
                ("RINGLINK_TELEPHONY__PASSWORD", "987654"),
                ("RINGLINK_TELEPHONY__RING_TIMEOUT_SECS", "soon"),
            ]),
        )
        .unwrap_err()
        .to_string();
        assert!(!e.contains("987654"), "a secret in an error: {e}");
    }
}
