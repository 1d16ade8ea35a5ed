//! Cluster-wide claims for the live layer: one row per claimed key, with its expiry. The
//! database is shared by every relay, so a conditional insert is the one place where exactly one
//! of them can win.

use super::{now, Result, Store};

impl Store {
    /// Claims `key` for `ttl_secs`: true when this call took it (a new key, or one whose claim
    /// had expired), false while someone else's claim holds.
    pub async fn claim(&self, key: &str, ttl_secs: i64) -> Result<bool> {
        let now = now();
        let until = now + ttl_secs.max(1);
        // Take over an expired claim, or insert a new one; either way one statement that only
        // one concurrent caller can win.
        let taken = sqlx::query(
            "INSERT INTO live_claims (claim_key, expires_at) VALUES ($1, $2) \
             ON CONFLICT (claim_key) DO UPDATE SET expires_at = excluded.expires_at \
             WHERE live_claims.expires_at <= $3",
        )
        .bind(key)
        .bind(until)
        .bind(now)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(taken == 1)
    }

    /// Forgets claims that expired: the table holds only the last few minutes' client ids.
    pub async fn purge_claims(&self) -> Result<u64> {
        let done = sqlx::query("DELETE FROM live_claims WHERE expires_at <= $1")
            .bind(now())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
