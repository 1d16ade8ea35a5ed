//! Callback numbers: the numbers each member proved by SMS code that the relay may call them on
//! (CALL-3), and the codes in flight, stored hashed with expiry and an attempt count.

use ringlink_protocol::E164;
use sqlx::Row;

use super::{now, Result, Store, StoreError};

/// The outcome of taking one attempt at a code in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeAttempt {
    /// The attempt is counted: compare with `code_hash`; `attempts` includes this one.
    Granted { code_hash: String, attempts: i64 },
    /// No code was sent to this number.
    NoCode,
    /// The code expired.
    Expired,
    /// Every attempt of the code is used.
    UsedUp,
}

impl Store {
    pub async fn verified_numbers(&self, member_id: i64) -> Result<Vec<E164>> {
        let rows = sqlx::query(
            "SELECT number FROM callback_numbers WHERE member_id = $1 ORDER BY verified_at DESC",
        )
        .bind(member_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let n: String = r.try_get("number")?;
                E164::new(&n)
                    .map_err(|e| StoreError::Conflict(format!("stored number is corrupt: {e}")))
            })
            .collect()
    }

    pub async fn is_verified_number(&self, member_id: i64, number: &E164) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM callback_numbers WHERE member_id = $1 AND number = $2",
        )
        .bind(member_id)
        .bind(number.as_str())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.is_some())
    }

    /// Stores a fresh code for (member, number), replacing any earlier one and its attempts.
    pub async fn put_number_code(
        &self,
        member_id: i64,
        number: &E164,
        code_hash: &str,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO number_codes (member_id, number, code_hash, expires_at, attempts) \
             VALUES ($1, $2, $3, $4, 0) ON CONFLICT (member_id, number) DO UPDATE SET \
             code_hash = excluded.code_hash, expires_at = excluded.expires_at, attempts = 0",
        )
        .bind(member_id)
        .bind(number.as_str())
        .bind(code_hash)
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Takes one attempt at the code, atomically: a single conditional UPDATE counts the attempt
    /// only while the code is unexpired and has attempts left, so parallel guesses can never get
    /// more than `max_attempts` between them. The refusal says why.
    pub async fn take_code_attempt(
        &self,
        member_id: i64,
        number: &E164,
        max_attempts: i64,
        now: i64,
    ) -> Result<CodeAttempt> {
        let row = sqlx::query(
            "UPDATE number_codes SET attempts = attempts + 1 \
             WHERE member_id = $1 AND number = $2 AND attempts < $3 AND expires_at >= $4 \
             RETURNING code_hash, attempts",
        )
        .bind(member_id)
        .bind(number.as_str())
        .bind(max_attempts)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        if let Some(row) = row {
            return Ok(CodeAttempt::Granted {
                code_hash: row.try_get("code_hash")?,
                attempts: row.try_get("attempts")?,
            });
        }
        let row =
            sqlx::query("SELECT expires_at FROM number_codes WHERE member_id = $1 AND number = $2")
                .bind(member_id)
                .bind(number.as_str())
                .fetch_optional(self.pool())
                .await?;
        Ok(match row {
            None => CodeAttempt::NoCode,
            Some(r) if r.try_get::<i64, _>("expires_at")? < now => CodeAttempt::Expired,
            Some(_) => CodeAttempt::UsedUp,
        })
    }

    /// Marks the number verified for the member and drops its code, in one transaction.
    pub async fn verify_number(&self, member_id: i64, number: &E164) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM number_codes WHERE member_id = $1 AND number = $2")
            .bind(member_id)
            .bind(number.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO callback_numbers (member_id, number, verified_at) VALUES ($1, $2, $3) \
             ON CONFLICT (member_id, number) DO NOTHING",
        )
        .bind(member_id)
        .bind(number.as_str())
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
