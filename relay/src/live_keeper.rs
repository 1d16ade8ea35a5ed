//! Keeps the live layer of one relay tidy: renews its node lease and buries lapsed nodes every
//! second (several relays), and purges stream events and client-id claims past their time every
//! few minutes.

use std::sync::Arc;
use std::time::Duration;

use crate::live::node::RENEW_EVERY;
use crate::live::streams::KEEP_SECS;
use crate::Relay;

/// Old events and expired claims are deleted this often; they are never served meanwhile
/// (claims check their expiry, replays are bounded), this only keeps the tables small.
pub const PURGE_EVERY: Duration = Duration::from_secs(300);

/// Runs until the relay shuts down.
pub fn spawn(relay: Arc<Relay>) {
    tokio::spawn(async move {
        let mut lease = tokio::time::interval(RENEW_EVERY);
        lease.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut purge = tokio::time::interval(PURGE_EVERY);
        loop {
            tokio::select! {
                _ = relay.shutdown.cancelled() => break,
                _ = lease.tick(), if relay.live.is_shared() => {
                    if let Err(e) = relay.live.renew_lease().await {
                        tracing::warn!("node lease not renewed: {e}");
                        continue;
                    }
                    match relay.live.bury_lapsed().await {
                        Ok(nodes) => for (node, held) in nodes {
                            crate::dial_agent::node_buried(&relay, &node, &held).await;
                            crate::chat::node_gone(&relay, &node).await;
                            // Its calls' SIP dialogs died with it: their live-call places go.
                            match relay.store.release_node(&node).await {
                                Ok(n) if n > 0 => tracing::warn!(node = %node, slots = n, "freed a lost relay's live-call places"),
                                Ok(_) => {}
                                Err(e) => tracing::warn!("a lost relay's live-call places not freed: {e}"),
                            }
                        },
                        Err(e) => tracing::warn!("looking for lapsed relays failed: {e}"),
                    }
                }
                _ = purge.tick() => {
                    let before = crate::store::now() - KEEP_SECS;
                    if let Err(e) = relay.store.purge_events(before).await {
                        tracing::warn!("purging old call events failed: {e}");
                    }
                    if let Err(e) = relay.store.purge_claims().await {
                        tracing::warn!("purging expired claims failed: {e}");
                    }
                }
            }
        }
    });
}
