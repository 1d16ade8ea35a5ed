//! The token janitor: deletes session and device rows that can no longer be used (expired or
//! revoked; see [`crate::store::revocation`]), at start and then every hour, so the tokens
//! table does not grow with every sign-in forever; and, on the same tick, rate-limit counters
//! whose hits all left their window and expired live-call slots ([`Store::purge_limits`]).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::store::Store;

/// How often dead token rows are deleted. A dead row is never accepted anyway; this only keeps
/// the table small.
pub const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Runs until `stop` is cancelled.
pub fn spawn(store: Store, stop: CancellationToken) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PURGE_EVERY);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tick.tick() => {
                    match store.purge_dead_tokens().await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(rows = n, "purged expired and revoked tokens"),
                        Err(e) => tracing::warn!("purging expired tokens failed: {e}"),
                    }
                    match store.purge_limits().await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(rows = n, "purged expired rate-limit counters and slots"),
                        Err(e) => tracing::warn!("purging rate-limit counters failed: {e}"),
                    }
                }
            }
        }
    });
}
