//! The janitor: settles reservations left open by a relay that stopped mid-call (crash, kill,
//! power cut), so their payers get the unused credit back and the call records end.
//!
//! A live call's relay refreshes its reservation's heartbeat every [`HEARTBEAT_EVERY`]. A
//! reservation whose heartbeat is older than [`STALE_AFTER`] is an orphan: it is settled as if
//! the call ended at its last heartbeat, charging the seconds from the bridge up to that heartbeat
//! (capped at what was paid for; nothing if it never bridged), with the end reason
//! [`ORPHAN_REASON`]. The call may have run a little past that heartbeat; that time is not
//! charged. The settlement is guarded by the heartbeat it read, so a call whose relay is alive
//! after all (a slow heartbeat, another relay behind the same PostgreSQL) is never settled under
//! it. Run at start-up and every [`JANITOR_EVERY`].

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{now_ms, seconds_between, Billing, BillingError, HEARTBEAT_EVERY};
use crate::store::billing::SettleCall;

/// A reservation is orphaned when its heartbeat is this old: four missed heartbeats, so a
/// relay stalled by a slow database for a minute is not mistaken for a dead one.
pub const STALE_AFTER: Duration = Duration::from_secs(HEARTBEAT_EVERY.as_secs() * 4 + 10);

/// How often the janitor looks for orphans: a dead relay's holds come back to their payers
/// within `STALE_AFTER + JANITOR_EVERY`.
pub const JANITOR_EVERY: Duration = Duration::from_secs(30);

/// The end reason written on a call record the janitor settled.
pub const ORPHAN_REASON: &str = "relay stopped during the call; billed up to its last heartbeat";

/// A call the janitor settled.
#[derive(Clone, Debug)]
pub struct SettledOrphan {
    pub public_id: String,
    pub billed_seconds: u64,
    pub charge: i64,
}

impl Billing {
    /// Settles every open reservation whose heartbeat is older than `stale_after`. Returns how
    /// many were settled.
    pub async fn settle_orphans(&self, stale_after: Duration) -> Result<usize, BillingError> {
        Ok(self.settle_orphans_listed(stale_after).await?.len())
    }

    /// [`Billing::settle_orphans`], naming each call settled, so its member can be told.
    pub async fn settle_orphans_listed(
        &self,
        stale_after: Duration,
    ) -> Result<Vec<SettledOrphan>, BillingError> {
        let stale_ms = i64::try_from(stale_after.as_millis()).unwrap_or(i64::MAX);
        let cutoff = now_ms().saturating_sub(stale_ms);
        let mut settled = Vec::new();
        for r in self.store.stale_reservations(cutoff).await? {
            let billed = r
                .bridged_at_ms
                .map(|b| seconds_between(b, r.alive_at_ms).min(r.paid_until))
                .unwrap_or(0);
            let done = self
                .store
                .settle_call(&SettleCall {
                    call_id: r.call_id,
                    public_id: &r.public_id,
                    legs: r.price.legs(billed),
                    billed_seconds: billed,
                    reason: ORPHAN_REASON,
                    alive_at_most_ms: r.alive_at_ms,
                })
                .await?;
            if let Some(s) = done {
                tracing::warn!(
                    call = %r.public_id,
                    billed_seconds = billed,
                    charge = s.charge,
                    released = s.released,
                    "settled an orphaned call reservation"
                );
                settled.push(SettledOrphan {
                    public_id: r.public_id.clone(),
                    billed_seconds: billed,
                    charge: s.charge,
                });
            }
        }
        Ok(settled)
    }

    /// Runs [`Billing::settle_orphans`] with `stale_after` (normally [`STALE_AFTER`]) now and
    /// every [`JANITOR_EVERY`] until `stop`; each call settled goes to `told` (the relay tells
    /// its member's widgets).
    pub fn spawn_janitor(
        &self,
        stale_after: Duration,
        stop: CancellationToken,
        told: Option<tokio::sync::mpsc::UnboundedSender<SettledOrphan>>,
    ) -> tokio::task::JoinHandle<()> {
        let billing = self.clone();
        // Look at least twice per orphan limit, so an orphan waits at most 1.5 limits.
        let every = JANITOR_EVERY.min(stale_after / 2);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tick.tick() => match billing.settle_orphans_listed(stale_after).await {
                        Ok(list) if list.is_empty() => {}
                        Ok(list) => {
                            tracing::warn!(settled = list.len(), "janitor settled calls a stopped relay left open");
                            for o in list {
                                if let Some(tx) = &told {
                                    let _ = tx.send(o);
                                }
                            }
                        }
                        Err(e) => tracing::warn!("billing janitor failed: {e}"),
                    }
                }
            }
        })
    }
}
