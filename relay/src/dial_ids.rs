//! DIAL client ids: what a retried dial (same client id: a reconnect, a double click, a second
//! tab) is answered. A placed dial is remembered once it was really placed and its retry gets the
//! same acceptance, undialled; a refused dial is remembered with its refusal, so its retry is
//! told the truth instead of an acceptance for a call that never happened. A retry that arrives
//! while the first is still being decided waits for that answer. Both memories are bounded: a
//! flood of refused dials can neither grow memory nor push out the ids of dials really placed.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ringlink_protocol::widget::DialAccepted;
use ringlink_protocol::{ErrorBody, ErrorCode, E164};
use tokio::sync::OnceCell;

use crate::remembered::Remembered;
use crate::store::{Store, StoreError};

/// Placed dials remembered at most. The per-minute limit allows 200 per member in the default
/// ten minutes, so this covers 250 members dialling flat out; past it the oldest id is
/// forgotten, and its retry is dialled again with its own dial-log row.
pub const PLACED_REMEMBERED: usize = 50_000;
/// Refusals remembered at most. A refusal costs nothing to make again, so this stays small:
/// 60,000 rate-limited dials hold no more than this many.
pub const REFUSALS_REMEMBERED: usize = 10_000;

/// What a dial was answered.
pub type Outcome = Result<DialAccepted, ErrorBody>;

type Key = (i64, String);

pub struct DialIds {
    inner: Mutex<Inner>,
}

struct Inner {
    placed: Remembered<Key, DialAccepted>,
    refused: Remembered<Key, ErrorBody>,
    /// Dials being decided right now; a retry waits on the same cell.
    deciding: HashMap<Key, Arc<OnceCell<Outcome>>>,
}

/// How many answers are held, for tests and metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held {
    pub placed: usize,
    pub refused: usize,
    pub deciding: usize,
}

impl DialIds {
    /// Remembers for `memory` the client ids of dials placed in that time before a restart,
    /// so a retry that spans the restart is still dialled once.
    pub async fn load(store: &Store, memory: Duration) -> Result<Self, StoreError> {
        let now = crate::store::now();
        let since = now - memory.as_secs() as i64;
        let mut placed = Remembered::new(memory, PLACED_REMEMBERED);
        let mut rows = store.recent_client_dials(since).await?;
        rows.sort_by_key(|(_, _, row)| row.created_at);
        for (member_id, client_id, row) in rows {
            let Ok(number) = E164::new(&row.number) else {
                continue;
            };
            let accepted = DialAccepted {
                call_id: row.public_id,
                number,
                device: row.device,
            };
            let age = Duration::from_secs(now.saturating_sub(row.created_at).max(0) as u64);
            let at = Instant::now().checked_sub(age).unwrap_or_else(Instant::now);
            placed.insert_at((member_id, client_id), accepted, at);
        }
        Ok(Self {
            inner: Mutex::new(Inner {
                placed,
                refused: Remembered::new(memory, REFUSALS_REMEMBERED),
                deciding: HashMap::new(),
            }),
        })
    }

    /// Answers a dial once per client id: the remembered answer if there is one, else the
    /// outcome of `decide` (which places the dial), remembered for the retries.
    pub async fn once<F, Fut>(&self, member_id: i64, client_id: Option<&str>, decide: F) -> Outcome
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Outcome>,
    {
        let Some(client_id) = client_id else {
            return decide().await;
        };
        let key = (member_id, client_id.to_owned());
        let cell = {
            let mut inner = self.lock();
            if let Some(accepted) = inner.placed.get(&key) {
                tracing::info!(call = %accepted.call_id, "replayed dial answered without dialling again");
                return Ok(accepted);
            }
            if let Some(refusal) = inner.refused.get(&key) {
                return Err(refusal);
            }
            inner.deciding.entry(key.clone()).or_default().clone()
        };
        let deciding = Deciding {
            ids: self,
            key: &key,
            cell: &cell,
        };
        let outcome = cell.get_or_init(decide).await.clone();
        let mut inner = self.lock();
        match &outcome {
            Ok(accepted) => inner.placed.insert(key.clone(), accepted.clone()),
            Err(refusal) if decided(refusal) => inner.refused.insert(key.clone(), refusal.clone()),
            Err(_) => {}
        }
        drop(inner);
        drop(deciding);
        outcome
    }

    pub fn held(&self) -> Held {
        let inner = self.lock();
        Held {
            placed: inner.placed.len(),
            refused: inner.refused.len(),
            deciding: inner.deciding.len(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("dial ids lock")
    }
}

/// A refusal that is the answer to this dial for good. "Your phone is not connected" and
/// internal errors are not: nothing was decided, and a retry may well be placed.
fn decided(refusal: &ErrorBody) -> bool {
    !matches!(
        refusal.code,
        ErrorCode::AgentNotConnected | ErrorCode::Internal
    )
}

/// Ends a dial's "being decided" entry however its request ends (a dropped connection too).
struct Deciding<'a> {
    ids: &'a DialIds,
    key: &'a Key,
    cell: &'a Arc<OnceCell<Outcome>>,
}

impl Drop for Deciding<'_> {
    fn drop(&mut self) {
        let mut inner = self.ids.lock();
        if inner
            .deciding
            .get(self.key)
            .is_some_and(|c| Arc::ptr_eq(c, self.cell))
        {
            inner.deciding.remove(self.key);
        }
    }
}
