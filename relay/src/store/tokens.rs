//! Session and device tokens: opaque random strings handed out once, stored only as SHA-256
//! hashes, each with an expiry and a revocation time. Devices are tokens of kind `device`.

use ringlink_protocol::E164;
use sqlx::Row;

use super::{now, Result, Store, StoreError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A widget session (DIAL-2).
    Web,
    /// A phone agent (DIAL-1).
    Device,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Web => "web",
            TokenKind::Device => "device",
        }
    }
}

/// A stored token, looked up by its hash.
#[derive(Clone, Debug)]
pub struct TokenRow {
    pub id: i64,
    pub public_id: String,
    pub member_id: i64,
    pub number: E164,
    pub kind: TokenKind,
    pub label: String,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

/// A device as listed to its owner or an admin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRow {
    pub public_id: String,
    pub label: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub last_seen_at: Option<i64>,
}

impl Store {
    pub async fn insert_token(
        &self,
        member_id: i64,
        kind: TokenKind,
        public_id: &str,
        label: &str,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO tokens (public_id, member_id, token_hash, kind, label, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(public_id)
        .bind(member_id)
        .bind(token_hash)
        .bind(kind.as_str())
        .bind(label)
        .bind(now())
        .bind(expires_at)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("id")?)
    }

    /// `(revoked_at, expires_at)` of a token, for rechecking live connections.
    pub async fn token_state(&self, id: i64) -> Result<Option<(Option<i64>, i64)>> {
        let row = sqlx::query("SELECT revoked_at, expires_at FROM tokens WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| Ok((r.try_get("revoked_at")?, r.try_get("expires_at")?)))
            .transpose()
    }

    /// True while the token is neither revoked nor expired.
    pub async fn token_is_live(&self, id: i64) -> Result<bool> {
        Ok(matches!(self.token_state(id).await?, Some((None, expires)) if expires > now()))
    }

    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<TokenRow>> {
        let row = sqlx::query(
            "SELECT t.id, t.public_id, t.member_id, m.number, t.kind, t.label, t.expires_at, t.revoked_at \
             FROM tokens t JOIN members m ON m.id = t.member_id WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        let number: String = r.try_get("number")?;
        let kind: String = r.try_get("kind")?;
        Ok(Some(TokenRow {
            id: r.try_get("id")?,
            public_id: r.try_get("public_id")?,
            member_id: r.try_get("member_id")?,
            number: E164::new(&number)
                .map_err(|e| StoreError::Conflict(format!("stored number is corrupt: {e}")))?,
            kind: if kind == "device" {
                TokenKind::Device
            } else {
                TokenKind::Web
            },
            label: r.try_get("label")?,
            expires_at: r.try_get("expires_at")?,
            revoked_at: r.try_get("revoked_at")?,
        }))
    }

    /// Revokes a token by its public id; `member_id` limits it to that member's tokens.
    pub async fn revoke_token(&self, public_id: &str, member_id: Option<i64>) -> Result<()> {
        let done = sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE public_id = $2 AND revoked_at IS NULL \
             AND ($3 < 0 OR member_id = $3)",
        )
        .bind(now())
        .bind(public_id)
        .bind(member_id.unwrap_or(-1))
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "no active device or session '{public_id}'"
            )));
        }
        Ok(())
    }

    pub async fn touch_token(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE tokens SET last_seen_at = $1 WHERE id = $2")
            .bind(now())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn list_devices(&self, member_id: i64) -> Result<Vec<DeviceRow>> {
        let rows = sqlx::query(
            "SELECT public_id, label, created_at, expires_at, revoked_at, last_seen_at FROM tokens \
             WHERE member_id = $1 AND kind = 'device' ORDER BY created_at, id",
        )
        .bind(member_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DeviceRow {
                    public_id: r.try_get("public_id")?,
                    label: r.try_get("label")?,
                    created_at: r.try_get("created_at")?,
                    expires_at: r.try_get("expires_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                    last_seen_at: r.try_get("last_seen_at")?,
                })
            })
            .collect()
    }

    /// True when `device` (a public id) is one of the member's devices, active or not.
    pub async fn member_owns_device(&self, member_id: i64, device: &str) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM tokens WHERE member_id = $1 AND public_id = $2 AND kind = 'device'",
        )
        .bind(member_id)
        .bind(device)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.is_some())
    }
}
