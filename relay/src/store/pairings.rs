//! Pairings: a phone agent asks for a short code, the signed-in member confirms it in the
//! widget, and the agent collects its device token once with a secret only it knows.

use sqlx::Row;

use super::{is_unique_violation, now, Result, Store, StoreError};

/// Where a pairing stands when the agent polls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PairingState {
    /// Unknown or expired secret.
    Gone,
    Pending,
    /// Confirmed by this member; the row is gone now, so the token is handed out once.
    Confirmed {
        member_id: i64,
        device_id: String,
        device_name: String,
    },
}

impl Store {
    pub async fn insert_pairing(
        &self,
        code: &str,
        secret_hash: &str,
        device_id: &str,
        device_name: &str,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query("DELETE FROM pairings WHERE expires_at < $1")
            .bind(now())
            .execute(self.pool())
            .await?;
        sqlx::query(
            "INSERT INTO pairings (code, secret_hash, device_id, device_name, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(code)
        .bind(secret_hash)
        .bind(device_id)
        .bind(device_name)
        .bind(now())
        .bind(expires_at)
        .execute(self.pool())
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict("pairing code collision; try again".into())
            } else {
                e.into()
            }
        })?;
        Ok(())
    }

    /// Binds a live, unconfirmed code to the member. Returns the device id and name, or `None`
    /// when the code is unknown, expired or already confirmed.
    pub async fn confirm_pairing(
        &self,
        code: &str,
        member_id: i64,
    ) -> Result<Option<(String, String)>> {
        let row = sqlx::query(
            "UPDATE pairings SET member_id = $1 WHERE code = $2 AND member_id IS NULL AND expires_at > $3 \
             RETURNING device_id, device_name",
        )
        .bind(member_id)
        .bind(code)
        .bind(now())
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some((r.try_get("device_id")?, r.try_get("device_name")?)))
    }

    /// Looks a pairing up by the agent's secret; a confirmed one is removed as it is returned.
    pub async fn take_pairing(&self, secret_hash: &str) -> Result<PairingState> {
        let row = sqlx::query(
            "DELETE FROM pairings WHERE secret_hash = $1 AND member_id IS NOT NULL AND expires_at > $2 \
             RETURNING member_id, device_id, device_name",
        )
        .bind(secret_hash)
        .bind(now())
        .fetch_optional(self.pool())
        .await?;
        if let Some(r) = row {
            return Ok(PairingState::Confirmed {
                member_id: r.try_get("member_id")?,
                device_id: r.try_get("device_id")?,
                device_name: r.try_get("device_name")?,
            });
        }
        let pending =
            sqlx::query("SELECT 1 AS one FROM pairings WHERE secret_hash = $1 AND expires_at > $2")
                .bind(secret_hash)
                .bind(now())
                .fetch_optional(self.pool())
                .await?;
        Ok(if pending.is_some() {
            PairingState::Pending
        } else {
            PairingState::Gone
        })
    }
}
