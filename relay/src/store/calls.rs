//! The dial log: every dial intent the relay forwarded and the last state its phone reported.

use sqlx::Row;

use super::{now, Result, Store};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialCallRow {
    pub public_id: String,
    pub device: String,
    pub number: String,
    pub state: String,
    pub detail: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Store {
    pub async fn insert_dial_call(
        &self,
        public_id: &str,
        member_id: i64,
        device: &str,
        number: &str,
        state: &str,
    ) -> Result<()> {
        let t = now();
        sqlx::query(
            "INSERT INTO dial_calls (public_id, member_id, device, number, state, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(public_id)
        .bind(member_id)
        .bind(device)
        .bind(number)
        .bind(state)
        .bind(t)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records a new state unless the call already reached a final one (a late or replayed
    /// update never overwrites how a call ended).
    pub async fn update_dial_call(
        &self,
        public_id: &str,
        state: &str,
        detail: Option<&str>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE dial_calls SET state = $1, detail = $2, updated_at = $3 \
             WHERE public_id = $4 AND state NOT IN ('ended', 'failed', 'declined')",
        )
        .bind(state)
        .bind(detail)
        .bind(now())
        .bind(public_id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn list_dial_calls(&self, member_id: i64, limit: i64) -> Result<Vec<DialCallRow>> {
        let rows = sqlx::query(
            "SELECT public_id, device, number, state, detail, created_at, updated_at FROM dial_calls \
             WHERE member_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(member_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DialCallRow {
                    public_id: r.try_get("public_id")?,
                    device: r.try_get("device")?,
                    number: r.try_get("number")?,
                    state: r.try_get("state")?,
                    detail: r.try_get("detail")?,
                    created_at: r.try_get("created_at")?,
                    updated_at: r.try_get("updated_at")?,
                })
            })
            .collect()
    }
}
