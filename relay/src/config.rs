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
        }
    }
}

/// Prefix of the environment variables that override the file: `RINGLINK_LISTEN`, …
pub const ENV_PREFIX: &str = "RINGLINK_";

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
        for (var, value) in env {
            let Some(key) = var.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let key = key.to_ascii_lowercase();
            if !KEYS.contains(&key.as_str()) {
                continue; // other programs' RINGLINK_* variables (the agent's) are not ours
            }
            let parsed = env_value(&key, &value).map_err(|why| ConfigError::Env {
                var: var.clone(),
                value: value.clone(),
                key: key.clone(),
                why,
            })?;
            table.insert(key, parsed);
        }
        let config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.to_string()))?;
        config.check()?;
        Ok(config)
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

/// Every key the relay knows, for environment overrides.
const KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "default_region",
    "session_ttl_hours",
    "device_ttl_days",
    "heartbeat_secs",
    "sign_in_within_secs",
    "log_format",
    "widget_dir",
    "trust_forwarded_for",
    "public_url",
];

fn env_value(key: &str, value: &str) -> Result<toml::Value, String> {
    match key {
        "session_ttl_hours" | "device_ttl_days" | "heartbeat_secs" | "sign_in_within_secs" => value
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| "expected a whole number".into()),
        "trust_forwarded_for" => value
            .parse::<bool>()
            .map(toml::Value::Boolean)
            .map_err(|_| "expected true or false".into()),
        _ => Ok(toml::Value::String(value.into())),
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
}
