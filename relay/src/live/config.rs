//! The live layer's configuration (`[live]`): which bus carries frames between relays, and the
//! name this relay goes by among them.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LiveConfig {
    /// `nats://host:4222` to run several relays behind a load balancer, sharing one NATS and one
    /// PostgreSQL (`RINGLINK_LIVE__NATS_URL`). Unset: the in-process bus of one relay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nats_url: Option<String>,
    /// This relay's name among several (`RINGLINK_LIVE__NODE_ID`): presence and calls are held
    /// under it, and a surviving relay cleans up after a node whose lease ran out. Unset: the
    /// host name and process id, so every process differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_id: Option<String>,
}

/// Longest node id: it goes into presence rows and logs.
pub const MAX_NODE_ID: usize = 64;

impl LiveConfig {
    /// The node id in use: the configured one, or host name and process id.
    pub fn node_id(&self) -> String {
        match &self.node_id {
            Some(id) => id.clone(),
            None => {
                let host = std::fs::read_to_string("/etc/hostname")
                    .ok()
                    .map(|h| h.trim().to_owned())
                    .filter(|h| !h.is_empty())
                    .unwrap_or_else(|| "relay".into());
                let host: String = host
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .take(40)
                    .collect();
                format!("{host}-{}", std::process::id())
            }
        }
    }

    /// A node id must be short, printable ASCII without spaces.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(id) = &self.node_id {
            let ok = !id.is_empty()
                && id.len() <= MAX_NODE_ID
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !ok {
                return Err(format!(
                    "live.node_id {id:?} must be 1 to {MAX_NODE_ID} letters, digits, '-', '_' or '.'"
                ));
            }
        }
        if let Some(url) = &self.nats_url {
            if !(url.starts_with("nats://") || url.starts_with("tls://")) {
                return Err(format!(
                    "live.nats_url {url:?} must start with nats:// or tls:// (for example nats://127.0.0.1:4222)"
                ));
            }
        }
        Ok(())
    }
}
