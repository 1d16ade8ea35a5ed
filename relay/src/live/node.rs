//! Node leases: every relay of a scaled-out deployment renews its lease in the shared database
//! every [`RENEW_EVERY`]; one whose lease ran out ([`LEASE`]) has died (`kill -9`, a power cut, a
//! network split), and the first surviving relay to notice removes what it held from presence
//! and tells the members' widgets. The domains then clean up their own parts (live-call slots;
//! the billing janitor settles its calls).

use std::collections::BTreeSet;
use std::time::Duration;

use super::Live;
use crate::billing::now_ms;
use crate::store::live::PresenceRow;
use crate::store::StoreError;

/// How long a node's lease lasts without renewal: a dead relay is noticed within this plus
/// [`RENEW_EVERY`]. Five missed renewals, so a database pause of a few seconds is not a death.
pub const LEASE: Duration = Duration::from_secs(5);
/// How often a relay renews its lease and looks for lapsed ones.
pub const RENEW_EVERY: Duration = Duration::from_secs(1);

impl Live {
    /// Renews this relay's lease.
    pub async fn renew_lease(&self) -> Result<(), StoreError> {
        let Some(store) = self.shared_store() else {
            return Ok(());
        };
        let until = now_ms() + LEASE.as_millis() as i64;
        store.renew_lease(&self.node_id, until).await
    }

    /// Buries every node whose lease ran out (each by exactly one relay): its presence rows go
    /// and the members who had a connection there get fresh presence. Returns the nodes this
    /// relay buried, with the connections they held, for the domains' own cleanup.
    pub async fn bury_lapsed(&self) -> Result<Vec<(String, Vec<PresenceRow>)>, StoreError> {
        let Some(store) = self.shared_store() else {
            return Ok(Vec::new());
        };
        let now = now_ms();
        let mut buried = Vec::new();
        for node in store.lapsed_nodes(now).await? {
            if node == self.node_id || !store.bury_node(&node, now).await? {
                continue;
            }
            let rows = store.clear_node_presence(&node).await?;
            tracing::warn!(node = %node, connections = rows.len(), "a relay's lease ran out: its connections were removed");
            let members: BTreeSet<i64> = rows.iter().map(|r| r.member_id).collect();
            for m in members {
                self.publish_presence(m).await;
            }
            metrics::counter!("ringlink_live_nodes_buried_total").increment(1);
            buried.push((node, rows));
        }
        Ok(buried)
    }

    fn shared_store(&self) -> Option<&crate::store::Store> {
        match &self.presence {
            super::presence::Presence::Shared(store) => Some(store),
            super::presence::Presence::Local(_) => None,
        }
    }
}
