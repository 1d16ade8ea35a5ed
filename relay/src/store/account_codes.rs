//! Sign-up and reset codes in flight (#9 §2): one per mobile number, stored hashed with expiry
//! and an attempt count; and the two ways a code is spent, each one transaction that uses the
//! code up: a new member, or a new password with every token of the member revoked.

use ringlink_protocol::account::CodePurpose;
use ringlink_protocol::E164;
use sqlx::Row;

use super::callbacks::CodeAttempt;
use super::{is_unique_violation, now, Result, Store, StoreError};

impl Store {
    /// Stores a fresh code for `number`, replacing any earlier one and its attempts.
    pub async fn put_account_code(
        &self,
        number: &E164,
        purpose: CodePurpose,
        code_hash: &str,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO account_codes (number, purpose, code_hash, expires_at, attempts) \
             VALUES ($1, $2, $3, $4, 0) ON CONFLICT (number) DO UPDATE SET \
             purpose = excluded.purpose, code_hash = excluded.code_hash, \
             expires_at = excluded.expires_at, attempts = 0",
        )
        .bind(number.as_str())
        .bind(purpose.as_str())
        .bind(code_hash)
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Takes one attempt at the number's code, atomically: one conditional UPDATE counts it only
    /// while the code is unexpired and has tries left, so parallel guesses never get more than
    /// `max_attempts` between them. The refusal says why.
    pub async fn take_account_code_attempt(
        &self,
        number: &E164,
        max_attempts: i64,
        now: i64,
    ) -> Result<CodeAttempt> {
        let row = sqlx::query(
            "UPDATE account_codes SET attempts = attempts + 1 \
             WHERE number = $1 AND attempts < $2 AND expires_at >= $3 \
             RETURNING code_hash, attempts",
        )
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
        let row = sqlx::query("SELECT expires_at FROM account_codes WHERE number = $1")
            .bind(number.as_str())
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            None => CodeAttempt::NoCode,
            Some(r) if r.try_get::<i64, _>("expires_at")? < now => CodeAttempt::Expired,
            Some(_) => CodeAttempt::UsedUp,
        })
    }

    /// Spends the code (it must still be `code_hash`) and creates the member, in one
    /// transaction. `Conflict` when the code was spent meanwhile or the number has a member.
    pub async fn sign_up_with_code(
        &self,
        number: &E164,
        code_hash: &str,
        password_hash: &str,
        display_name: Option<&str>,
    ) -> Result<i64> {
        let mut tx = self.pool().begin().await?;
        spend_code(&mut tx, number, code_hash).await?;
        let row = sqlx::query(
            "INSERT INTO members (number, password_hash, created_at, display_name) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(number.as_str())
        .bind(password_hash)
        .bind(now())
        .bind(display_name)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!("a member with number {number} already exists"))
            } else {
                e.into()
            }
        })?;
        let id: i64 = row.try_get("id")?;
        tx.commit().await?;
        Ok(id)
    }

    /// Spends the code, sets the member's new password and revokes every live session and
    /// device of theirs, in one transaction. Returns the member id and the tokens revoked.
    /// `NotFound` when the number has no member; `Conflict` when the code was spent meanwhile.
    pub async fn reset_password_with_code(
        &self,
        number: &E164,
        code_hash: &str,
        password_hash: &str,
    ) -> Result<(i64, u64)> {
        let mut tx = self.pool().begin().await?;
        spend_code(&mut tx, number, code_hash).await?;
        let row =
            sqlx::query("UPDATE members SET password_hash = $1 WHERE number = $2 RETURNING id")
                .bind(password_hash)
                .bind(number.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound(format!(
                "no member with number {number}"
            )));
        };
        let id: i64 = row.try_get("id")?;
        let revoked = sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE member_id = $2 AND revoked_at IS NULL",
        )
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok((id, revoked))
    }

    /// The display name a member gave at sign-up.
    pub async fn member_display_name(&self, member_id: i64) -> Result<Option<String>> {
        let row = sqlx::query("SELECT display_name FROM members WHERE id = $1")
            .bind(member_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => r.try_get("display_name")?,
            None => None,
        })
    }
}

/// Deletes the code if it is still the one checked: a code is good for one sign-up or reset,
/// even when two requests with it arrive together.
async fn spend_code(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    number: &E164,
    code_hash: &str,
) -> Result<()> {
    let done = sqlx::query("DELETE FROM account_codes WHERE number = $1 AND code_hash = $2")
        .bind(number.as_str())
        .bind(code_hash)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict(
            "this code was used already: ask for a new one".into(),
        ));
    }
    Ok(())
}
