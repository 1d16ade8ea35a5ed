//! The relay's REST API for agents: sign-in with number and password (DIAL-1) and pairing by a
//! code the member types into the widget. Also the relay address rules (http/https, and the
//! matching ws/wss address of the agent socket). Plain `http://` is for a relay on this machine
//! only, and no request follows a redirect: the password and the device token go nowhere but
//! the address the owner typed.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ringlink_protocol::rest::{
    AgentLogin, DeviceGrant, PairPoll, PairStart, PairStarted, PairStatus,
};
use ringlink_protocol::{ErrorBody, ErrorCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A relay answers sign-in in well under a second; 30 s covers a slow mobile network.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Never poll a pairing faster than this, whatever the relay says.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("'{0}' is not a relay address: use https://host (or http://127.0.0.1:port for a relay on this machine)")]
    BadUrl(String),
    #[error("refusing '{0}': over plain http:// the password and the device token would cross the network readable by anyone on the way; use https://, or http:// only for a relay on this machine (127.0.0.1, ::1, localhost)")]
    InsecureUrl(String),
    #[error("the relay answered with a redirect (HTTP {status}) to {location}; credentials are never sent after a redirect: if that address is your relay, use it with --relay")]
    Redirected { status: u16, location: String },
    /// The relay said no, with a reason for people.
    #[error("{}", .body.message)]
    Refused { status: u16, body: ErrorBody },
    #[error("the relay answered HTTP {status} without an explanation; check the --relay address")]
    Status { status: u16 },
    #[error("cannot reach the relay at {url}: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("the relay's reply could not be read ({0}); is --relay a Ringlink relay?")]
    BadReply(String),
    #[error("the pairing code expired before it was confirmed; run `ringlink-agent pair` again for a new code")]
    PairingExpired,
}

/// Checks and normalises a relay base URL: `https://host[:port][/prefix]`, or `http://` for a
/// loopback host, no trailing slash.
pub fn relay_base(url: &str) -> Result<String, RelayError> {
    let url = url.trim().trim_end_matches('/');
    let bad = || RelayError::BadUrl(url.to_owned());
    if url.contains(char::is_whitespace) {
        return Err(bad());
    }
    let parsed = reqwest::Url::parse(url).map_err(|_| bad())?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad());
    }
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(bad)?;
    match parsed.scheme() {
        "https" => Ok(url.to_owned()),
        "http" if is_loopback(host) => Ok(url.to_owned()),
        "http" => Err(RelayError::InsecureUrl(url.to_owned())),
        _ => Err(bad()),
    }
}

/// `localhost`, `127.x.x.x` or `[::1]`: the relay runs on this machine.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The agent socket of a relay: `http` becomes `ws`, `https` becomes `wss`.
pub fn agent_ws_url(base: &str) -> Result<String, RelayError> {
    let base = relay_base(base)?;
    let ws = match base.strip_prefix("https://") {
        Some(rest) => format!("wss://{rest}"),
        None => format!("ws://{}", &base["http://".len()..]),
    };
    Ok(format!("{ws}/v1/agent/ws"))
}

/// A client for one relay.
pub struct RelayClient {
    base: String,
    http: reqwest::Client,
}

impl RelayClient {
    pub fn new(relay: &str) -> Result<Self, RelayError> {
        let base = relay_base(relay)?;
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("ringlink-agent/", env!("CARGO_PKG_VERSION")))
            // A redirect would carry the password (307/308 resend the body) to an address the
            // owner never typed.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|source| RelayError::Unreachable {
                url: base.clone(),
                source,
            })?;
        Ok(Self { base, http })
    }

    /// The normalised base URL, as stored in the credentials file.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub async fn login(&self, req: &AgentLogin) -> Result<DeviceGrant, RelayError> {
        self.post("/v1/agent/login", req).await
    }

    pub async fn pair_start(&self, req: &PairStart) -> Result<PairStarted, RelayError> {
        self.post("/v1/agent/pair", req).await
    }

    pub async fn pair_poll(&self, req: &PairPoll) -> Result<PairStatus, RelayError> {
        self.post("/v1/agent/pair/poll", req).await
    }

    async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<R, RelayError> {
        let url = format!("{}{path}", self.base);
        let resp = self
            .http
            .post(&url)
            .json(body)
            .send()
            .await
            .map_err(|source| RelayError::Unreachable {
                url: url.clone(),
                source,
            })?;
        let status = resp.status();
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(200).collect::<String>());
        let bytes = resp
            .bytes()
            .await
            .map_err(|source| RelayError::Unreachable { url, source })?;
        if status.is_redirection() {
            return Err(RelayError::Redirected {
                status: status.as_u16(),
                location: location.unwrap_or_else(|| "an unnamed address".into()),
            });
        }
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| RelayError::BadReply(e.to_string()));
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => Err(RelayError::Refused {
                status: status.as_u16(),
                body,
            }),
            Err(_) => Err(RelayError::Status {
                status: status.as_u16(),
            }),
        }
    }
}

/// Pairs this device: asks for a code, hands it to `show` (which prints it for the owner), then
/// polls until the member confirms it in the widget or the code expires.
pub async fn pair(
    client: &RelayClient,
    device_name: &str,
    show: impl FnOnce(&PairStarted),
) -> Result<DeviceGrant, RelayError> {
    let started = client
        .pair_start(&PairStart {
            device_name: device_name.to_owned(),
        })
        .await?;
    show(&started);
    let interval = Duration::from_secs(started.poll_interval_secs).max(MIN_POLL_INTERVAL);
    let poll = PairPoll {
        poll_secret: started.poll_secret.clone(),
    };
    loop {
        if unix_now() > started.expires_at {
            return Err(RelayError::PairingExpired);
        }
        tokio::time::sleep(interval).await;
        match client.pair_poll(&poll).await {
            Ok(PairStatus::Confirmed(grant)) => return Ok(grant),
            Ok(PairStatus::Pending) => {}
            Err(RelayError::Refused { body, .. }) if body.code == ErrorCode::PairingCodeInvalid => {
                return Err(RelayError::PairingExpired)
            }
            Err(RelayError::Refused { body, .. }) if body.code == ErrorCode::RateLimited => {
                let wait = Duration::from_secs(body.retry_after.unwrap_or(5));
                tracing::warn!("the relay asks to slow down: {}", body.message);
                tokio::time::sleep(wait).await;
            }
            Err(e @ RelayError::Refused { .. }) => return Err(e),
            // A blip in the network while the member types the code: keep polling.
            Err(e) => tracing::warn!("pairing poll failed, retrying: {e}"),
        }
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_addresses_map_to_the_agent_socket() {
        assert_eq!(
            agent_ws_url("http://127.0.0.1:8080/").unwrap(),
            "ws://127.0.0.1:8080/v1/agent/ws"
        );
        assert_eq!(
            agent_ws_url("https://relay.example.com").unwrap(),
            "wss://relay.example.com/v1/agent/ws"
        );
        assert!(relay_base("relay.example.com").is_err());
        // covers #8 §6 phone agent: http:// only on loopback
        assert!(matches!(
            relay_base("http://relay.example.com"),
            Err(RelayError::InsecureUrl(_))
        ));
        assert!(matches!(
            relay_base("http://192.168.1.10:8080"),
            Err(RelayError::InsecureUrl(_))
        ));
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:8080",
            "http://[::1]:8080",
            "https://relay.example.com/rl",
        ] {
            assert!(relay_base(ok).is_ok(), "{ok}");
        }
        assert!(relay_base("https://user:pw@relay.example.com").is_err());
        assert!(relay_base("ftp://x").is_err());
        assert!(relay_base("http://").is_err());
    }
}
