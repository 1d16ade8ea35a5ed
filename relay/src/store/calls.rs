//! The dial log: every dial intent the relay forwarded and the last state its phone reported.

use sqlx::Row;

use super::{is_unique_violation, now, Result, Store};

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
    /// Records a dial. With a `client_id` the widget already used, nothing is inserted and the
    /// first call is returned instead (`Ok(Some(existing))`).
    pub async fn insert_dial_call(
        &self,
        public_id: &str,
        member_id: i64,
        device: &str,
        number: &str,
        state: &str,
        client_id: Option<&str>,
    ) -> Result<Option<DialCallRow>> {
        let t = now();
        let inserted = sqlx::query(
            "INSERT INTO dial_calls (public_id, member_id, device, number, state, client_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(public_id)
        .bind(member_id)
        .bind(device)
        .bind(number)
        .bind(state)
        .bind(client_id)
        .bind(t)
        .execute(self.pool())
        .await;
        match (inserted, client_id) {
            (Ok(_), _) => Ok(None),
            (Err(e), Some(client_id)) if is_unique_violation(&e) => {
                Ok(self.dial_call_by_client_id(member_id, client_id).await?)
            }
            (Err(e), _) => Err(e.into()),
        }
    }

    /// The member's dial made with this client id, if any.
    pub async fn dial_call_by_client_id(
        &self,
        member_id: i64,
        client_id: &str,
    ) -> Result<Option<DialCallRow>> {
        let row = sqlx::query(
            "SELECT public_id, device, number, state, detail, created_at, updated_at FROM dial_calls \
             WHERE member_id = $1 AND client_id = $2",
        )
        .bind(member_id)
        .bind(client_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| dial_call_row(&r)).transpose()
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
        rows.iter().map(dial_call_row).collect()
    }
}

fn dial_call_row(r: &sqlx::any::AnyRow) -> Result<DialCallRow> {
    Ok(DialCallRow {
        public_id: r.try_get("public_id")?,
        device: r.try_get("device")?,
        number: r.try_get("number")?,
        state: r.try_get("state")?,
        detail: r.try_get("detail")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}
