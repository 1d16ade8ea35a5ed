//! Ending sessions and devices in bulk: on a password change, on the operator's word, past the
//! per-member session cap, and purging rows that can no longer be used.

use ringlink_protocol::E164;

use super::{now, Result, Store, StoreError};

/// Expired or revoked device rows stay this long, so `admin device list` still shows them as
/// "expired" or "revoked" for a while; web sessions go as soon as they cannot be used.
pub const DEVICE_HISTORY_SECS: i64 = 30 * 86_400;

impl Store {
    /// Sets a new password hash and revokes every live token of the member, in one transaction:
    /// no token minted with the old password survives the change. Returns the tokens revoked.
    pub async fn set_member_password_and_revoke(
        &self,
        number: &E164,
        password_hash: &str,
    ) -> Result<u64> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query("UPDATE members SET password_hash = $1 WHERE number = $2")
            .bind(password_hash)
            .bind(number.as_str())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "no member with number {number}"
            )));
        }
        let revoked = sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND member_id = \
             (SELECT id FROM members WHERE number = $2)",
        )
        .bind(now())
        .bind(number.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(revoked)
    }

    /// Revokes every live session and device of the member with this number; returns how many.
    pub async fn revoke_member_tokens(&self, number: &E164) -> Result<u64> {
        let member = self
            .member_by_number(number)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no member with number {number}")))?;
        let done = sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE member_id = $2 AND revoked_at IS NULL",
        )
        .bind(now())
        .bind(member.id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Revokes the member's oldest live web sessions beyond the newest `keep`.
    pub async fn evict_old_sessions(&self, member_id: i64, keep: i64) -> Result<u64> {
        let t = now();
        let done = sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE member_id = $2 AND kind = 'web' \
             AND revoked_at IS NULL AND expires_at > $1 AND id NOT IN (\
               SELECT id FROM tokens WHERE member_id = $2 AND kind = 'web' \
               AND revoked_at IS NULL AND expires_at > $1 ORDER BY id DESC LIMIT $3)",
        )
        .bind(t)
        .bind(member_id)
        .bind(keep)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Deletes web sessions that expired or were revoked, and device rows that did so more
    /// than [`DEVICE_HISTORY_SECS`] ago. Returns the rows deleted.
    pub async fn purge_dead_tokens(&self) -> Result<u64> {
        let t = now();
        let done = sqlx::query(
            "DELETE FROM tokens WHERE \
             (kind = 'web' AND (expires_at <= $1 OR revoked_at IS NOT NULL)) \
             OR (kind = 'device' AND (expires_at <= $2 OR revoked_at <= $2))",
        )
        .bind(t)
        .bind(t - DEVICE_HISTORY_SECS)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Live web sessions of a member.
    pub async fn live_session_count(&self, member_id: i64) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM tokens WHERE member_id = $1 AND kind = 'web' \
             AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(member_id)
        .bind(now())
        .fetch_one(self.pool())
        .await?;
        Ok(sqlx::Row::try_get(&row, "n")?)
    }
}
