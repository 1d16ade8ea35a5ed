//! Numbered, durable streams: an event is appended in the store (so every relay and every
//! restart sees the same numbers), then published to whoever is connected. A reconnecting
//! client sends the last number it saw (`since`) and gets what it missed. They replace hub.rs's
//! 64 events per member in memory, which a restart or another relay lost.

use ringlink_protocol::widget::RelayToWidget;

use crate::store::{Store, StoreError};

/// Events handed to one reconnecting widget at most: a member has a handful of calls in flight,
/// each with under ten states, and a widget away longer only needs the latest.
pub const REPLAY_AT_MOST: i64 = 200;
/// Events are kept this long (the janitor purges older ones): a widget away longer than a day
/// starts afresh.
pub const KEEP_SECS: i64 = 24 * 3600;

/// The stream of a member's call states and CALL progress.
pub fn member_stream(member_id: i64) -> String {
    format!("member.{member_id}")
}

/// Sets the sequence number inside the events that carry one.
fn numbered(msg: &mut RelayToWidget, seq: u64) {
    match msg {
        RelayToWidget::CallState(e) => e.seq = seq,
        RelayToWidget::CallProgress(p) => p.seq = seq,
        _ => {}
    }
}

#[derive(Clone)]
pub struct Streams {
    store: Store,
}

impl Streams {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Appends `msg` to `stream` and returns it numbered.
    pub async fn append(
        &self,
        stream: &str,
        mut msg: RelayToWidget,
    ) -> Result<RelayToWidget, StoreError> {
        let body = serde_json::to_string(&msg).expect("protocol types always serialize");
        let seq = self
            .store
            .append_event(stream, &body, crate::store::now())
            .await?;
        numbered(&mut msg, seq);
        Ok(msg)
    }

    /// What `stream` holds after `since`, oldest first.
    pub async fn since(&self, stream: &str, since: u64) -> Result<Vec<RelayToWidget>, StoreError> {
        let rows = self
            .store
            .events_since(stream, since, REPLAY_AT_MOST)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(seq, body)| {
                let mut msg: RelayToWidget = serde_json::from_str(&body).ok()?;
                numbered(&mut msg, seq);
                Some(msg)
            })
            .collect())
    }
}
