//! The dial log: every dial intent the relay forwarded and the last state its phone reported.

use sqlx::Row;

use super::{Result, Store};

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
    /// Dials made with a client id since `since` (Unix seconds): (member, client id, call).
    pub async fn recent_client_dials(&self, since: i64) -> Result<Vec<(i64, String, DialCallRow)>> {
        let rows = sqlx::query(
            "SELECT member_id, client_id, public_id, device, number, state, detail, created_at, updated_at \
             FROM dial_calls WHERE client_id IS NOT NULL AND created_at >= $1",
        )
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("member_id")?,
                    r.try_get("client_id")?,
                    dial_call_row(r)?,
                ))
            })
            .collect()
    }

    /// Writes a batch of dial-log operations in one transaction, in order. Every dial placed
    /// gets its row, also one that reuses an old client id (`0006` made that index non-unique).
    pub async fn write_dial_log(&self, ops: &[crate::dial_log::LogOp]) -> Result<()> {
        use crate::dial_log::LogOp;
        let mut tx = self.pool().begin().await?;
        for op in ops {
            match op {
                LogOp::Insert {
                    public_id,
                    member_id,
                    device,
                    number,
                    client_id,
                    at,
                } => {
                    sqlx::query(
                        "INSERT INTO dial_calls (public_id, member_id, device, number, state, client_id, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, 'sent', $5, $6, $6) ON CONFLICT DO NOTHING",
                    )
                    .bind(public_id)
                    .bind(member_id)
                    .bind(device)
                    .bind(number)
                    .bind(client_id.as_deref())
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                }
                LogOp::State {
                    public_id,
                    state,
                    detail,
                    at,
                } => {
                    sqlx::query(
                        "UPDATE dial_calls SET state = $1, detail = $2, updated_at = $3 \
                         WHERE public_id = $4 AND state NOT IN ('ended', 'failed', 'declined')",
                    )
                    .bind(state)
                    .bind(detail.as_deref())
                    .bind(at)
                    .bind(public_id)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// How many dials `member_id` placed since `since` (Unix seconds): the daily cap's count.
    pub async fn count_dials_since(&self, member_id: i64, since: i64) -> Result<u32> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM dial_calls WHERE member_id = $1 AND created_at >= $2",
        )
        .bind(member_id)
        .bind(since)
        .fetch_one(self.pool())
        .await?;
        let n: i64 = row.try_get("n")?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
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
