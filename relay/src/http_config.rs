//! The `[http]` configuration section: how the HTTP server treats connections (timeouts, caps),
//! which proxies' `X-Forwarded-For` it believes, and the optional development and metrics
//! endpoints.

use std::net::SocketAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// A request head (request line and headers) must arrive within this many seconds; the same
/// timer runs while a keep-alive connection waits for its next request. Ten seconds is ample for
/// a phone on a slow link and keeps a slowloris connection from holding a socket for long.
pub const DEFAULT_HEADER_READ_TIMEOUT_SECS: u64 = 10;
/// Connections open at once in total (HTTP and WebSocket). Further connections are answered 503
/// and closed. Lowered at start to fit the open-file limit (see [`FD_RESERVE`]).
pub const DEFAULT_MAX_CONNECTIONS: usize = 16_384;
/// Connections open at once from one client address. A household or an office behind one NAT
/// opens a few widget and agent sockets; a slowloris attacker opens thousands.
pub const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: usize = 64;
/// File descriptors kept free for everything that is not a client connection: the database
/// pool, SIP and RTP sockets of live calls, the SMPP link, widget files, logs.
pub const FD_RESERVE: u64 = 256;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Seconds a client gets to send a whole request head, and the longest an idle keep-alive
    /// connection stays open.
    pub header_read_timeout_secs: u64,
    /// Connections open at once in total.
    pub max_connections: usize,
    /// Connections open at once per client address (connections from a trusted proxy count only
    /// toward the total).
    pub max_connections_per_address: usize,
    /// Proxies whose `X-Forwarded-For` is believed, as CIDRs (`"10.0.0.0/8"`, `"::1/128"`): the
    /// client is the right-most address not in this list. Empty: the socket peer is the client.
    pub trusted_proxies: Vec<IpNet>,
    /// Alternatively, the number of proxies in front of the relay (nginx alone: 1): the client is
    /// that many hops from the right of the chain the last proxy delivers. 0: none.
    pub trusted_proxy_hops: usize,
    /// Serve the dev SMS outbox at `/dev/outbox` (verification codes, in clear). Development
    /// only: refused with an SMPP gateway and whenever a forwarded address is trusted.
    pub dev_outbox: bool,
    /// When set, `/metrics` asks for `Authorization: Bearer <token>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_token: Option<String>,
    /// When set, `/metrics` is served only on this address (e.g. `127.0.0.1:9100`), not on
    /// `listen`.
    pub metrics_listen: Option<SocketAddr>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            header_read_timeout_secs: DEFAULT_HEADER_READ_TIMEOUT_SECS,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_address: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
            trusted_proxies: Vec::new(),
            trusted_proxy_hops: 0,
            dev_outbox: false,
            metrics_token: None,
            metrics_listen: None,
        }
    }
}

impl HttpConfig {
    pub fn header_read_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.header_read_timeout_secs)
    }

    /// True when some proxy's `X-Forwarded-For` is believed.
    pub fn trusts_forwarded(&self) -> bool {
        !self.trusted_proxies.is_empty() || self.trusted_proxy_hops > 0
    }

    /// Socket peers that are our proxies, exempt from the per-address connection cap: the
    /// listed CIDRs, or with a hop count every peer (all traffic then comes through the proxy).
    pub fn proxy_peers(&self) -> Vec<IpNet> {
        if self.trusted_proxy_hops > 0 {
            let any = |ip: std::net::IpAddr| IpNet::new(ip, 0).expect("prefix 0 fits any address");
            return vec![any([0u8; 4].into()), any([0u16; 8].into())];
        }
        self.trusted_proxies.clone()
    }

    /// What is wrong with this section, in words an operator can act on.
    pub fn check(&self, sms_gateway_is_dev: bool) -> Result<(), String> {
        if self.header_read_timeout_secs == 0 {
            return Err("http.header_read_timeout_secs must be above zero".into());
        }
        if self.max_connections == 0 || self.max_connections_per_address == 0 {
            return Err(
                "http.max_connections and http.max_connections_per_address must be above zero"
                    .into(),
            );
        }
        if !self.trusted_proxies.is_empty() && self.trusted_proxy_hops > 0 {
            return Err("set either http.trusted_proxies (CIDRs) or http.trusted_proxy_hops (a count), not both".into());
        }
        if self.dev_outbox && !sms_gateway_is_dev {
            return Err("http.dev_outbox needs the dev SMS gateway; with a real gateway ([sms] gateway = \"smpp\") the codes go to handsets, remove http.dev_outbox".into());
        }
        if self.dev_outbox && self.trusts_forwarded() {
            return Err("http.dev_outbox is for a development relay on loopback and cannot be combined with trusted proxies (a proxy makes every visitor look local); remove one of them".into());
        }
        if self.metrics_token.as_deref() == Some("") {
            return Err(
                "http.metrics_token is empty; set a long random token or remove the key".into(),
            );
        }
        Ok(())
    }
}
