//! Presence: which connection is where, on which node, with a state. One relay keeps it in
//! memory; several keep it in the shared database, where a node's rows outlive it only until a
//! surviving relay notices its lease ran out (`node`).

use std::collections::HashMap;
use std::sync::Mutex;

use ringlink_protocol::widget::AgentInfo;

use crate::store::live::PresenceRow;
use crate::store::{Store, StoreError};

pub enum Presence {
    /// One relay: rows by member, in joining order.
    Local(Mutex<HashMap<i64, Vec<PresenceRow>>>),
    /// Several relays: rows in the database they share.
    Shared(Store),
}

impl Presence {
    pub fn local() -> Self {
        Presence::Local(Mutex::new(HashMap::new()))
    }

    pub async fn join(&self, row: PresenceRow) -> Result<(), StoreError> {
        match self {
            Presence::Local(m) => {
                let mut m = m.lock().expect("presence lock");
                let rows = m.entry(row.member_id).or_default();
                rows.retain(|r| r.conn_key != row.conn_key);
                rows.push(row);
                Ok(())
            }
            Presence::Shared(store) => store.join_presence(&row).await,
        }
    }

    /// Removes a connection; true when it was present.
    pub async fn leave(&self, member_id: i64, conn_key: &str) -> Result<bool, StoreError> {
        match self {
            Presence::Local(m) => {
                let mut m = m.lock().expect("presence lock");
                let Some(rows) = m.get_mut(&member_id) else {
                    return Ok(false);
                };
                let before = rows.len();
                rows.retain(|r| r.conn_key != conn_key);
                let gone = rows.len() != before;
                if rows.is_empty() {
                    m.remove(&member_id);
                }
                Ok(gone)
            }
            Presence::Shared(store) => store.leave_presence(conn_key).await,
        }
    }

    /// A member's connections, oldest first.
    pub async fn of(&self, member_id: i64) -> Result<Vec<PresenceRow>, StoreError> {
        match self {
            Presence::Local(m) => Ok(m
                .lock()
                .expect("presence lock")
                .get(&member_id)
                .cloned()
                .unwrap_or_default()),
            Presence::Shared(store) => store.presence_of(member_id).await,
        }
    }

    /// A member's phone agents, one per device (its latest connection), the most recently
    /// connected last: a device that reconnected through another relay is listed once even
    /// while its old node's row waits to be cleaned up.
    pub async fn agents_of(&self, member_id: i64) -> Result<Vec<AgentInfo>, StoreError> {
        Ok(latest_per_device(self.of(member_id).await?)
            .into_iter()
            .filter_map(|r| serde_json::from_str(&r.info).ok())
            .collect())
    }

    /// The connection a dial goes to: the named device, or the most recently connected one.
    pub async fn pick_agent(
        &self,
        member_id: i64,
        device: Option<&str>,
    ) -> Result<Option<AgentInfo>, StoreError> {
        let agents = self.agents_of(member_id).await?;
        Ok(match device {
            Some(d) => agents.into_iter().find(|a| a.device == d),
            None => agents.into_iter().last(),
        })
    }
}

fn latest_per_device(rows: Vec<PresenceRow>) -> Vec<PresenceRow> {
    let mut out: Vec<PresenceRow> = Vec::with_capacity(rows.len());
    for r in rows {
        out.retain(|o| o.device != r.device);
        out.push(r);
    }
    out
}
