//! Members: identified by a verified E.164 mobile number (INBOX-1), with an argon2id password hash.

use ringlink_protocol::E164;
use sqlx::Row;

use super::{is_unique_violation, now, Result, Store, StoreError};

#[derive(Clone, Debug)]
pub struct MemberRow {
    pub id: i64,
    pub number: E164,
    pub password_hash: String,
}

impl Store {
    pub async fn create_member(&self, number: &E164, password_hash: &str) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO members (number, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(number.as_str())
        .bind(password_hash)
        .bind(now())
        .fetch_one(self.pool())
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!("a member with number {number} already exists"))
            } else {
                e.into()
            }
        })?;
        Ok(row.try_get("id")?)
    }

    pub async fn member_by_number(&self, number: &E164) -> Result<Option<MemberRow>> {
        let row = sqlx::query("SELECT id, number, password_hash FROM members WHERE number = $1")
            .bind(number.as_str())
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| member_row(&r)).transpose()
    }

    pub async fn member_by_id(&self, id: i64) -> Result<Option<MemberRow>> {
        let row = sqlx::query("SELECT id, number, password_hash FROM members WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| member_row(&r)).transpose()
    }
}

fn member_row(r: &sqlx::any::AnyRow) -> Result<MemberRow> {
    let number: String = r.try_get("number")?;
    Ok(MemberRow {
        id: r.try_get("id")?,
        number: E164::new(&number)
            .map_err(|e| StoreError::Conflict(format!("stored number is corrupt: {e}")))?,
        password_hash: r.try_get("password_hash")?,
    })
}
