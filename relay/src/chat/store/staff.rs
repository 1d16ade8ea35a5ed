//! Staff accounts (CHAT-6), their console sessions, and the agent state routing reads (CHAT-5):
//! state, open conversations (a counter changed only in the transaction that assigns or ends
//! a conversation, so it cannot drift), idle time and whether the console went away.

use ringlink_protocol::console::{AgentState, StaffRole, StaffView};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::flag;
use crate::store::{is_unique_violation, Result, Store, StoreError};

#[derive(Clone, Debug)]
pub struct StaffRow {
    pub id: i64,
    pub site_id: i64,
    pub account: String,
    pub name: String,
    pub number: Option<String>,
    pub role: StaffRole,
    pub sms_offline: bool,
    pub state: AgentState,
    pub state_since_ms: i64,
    pub open: u32,
    pub idle_since_ms: i64,
    pub away_since_ms: Option<i64>,
    pub on_call: bool,
    pub disabled: bool,
    pub password_hash: String,
}

impl StaffRow {
    pub fn view(&self) -> StaffView {
        StaffView {
            id: self.id,
            account: self.account.clone(),
            name: self.name.clone(),
            number: self.number.clone(),
            role: self.role,
            state: self.state,
            open: self.open,
            sms_offline: self.sms_offline,
        }
    }
}

const COLUMNS: &str = "id, site_id, account, name, number, role, sms_offline, state, \
    state_since_ms, open_count, idle_since_ms, away_since_ms, on_call_node, disabled_at, password_hash";

fn read(r: &AnyRow) -> Result<StaffRow> {
    let role: String = r.try_get("role")?;
    let state: String = r.try_get("state")?;
    Ok(StaffRow {
        id: r.try_get("id")?,
        site_id: r.try_get("site_id")?,
        account: r.try_get("account")?,
        name: r.try_get("name")?,
        number: r.try_get("number")?,
        role: StaffRole::parse(&role).unwrap_or(StaffRole::Agent),
        sms_offline: flag(r.try_get("sms_offline")?),
        state: AgentState::parse(&state).unwrap_or(AgentState::Offline),
        state_since_ms: r.try_get("state_since_ms")?,
        open: r.try_get::<i64, _>("open_count")?.max(0) as u32,
        idle_since_ms: r.try_get("idle_since_ms")?,
        away_since_ms: r.try_get("away_since_ms")?,
        on_call: r.try_get::<Option<String>, _>("on_call_node")?.is_some(),
        disabled: r.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
        password_hash: r.try_get("password_hash")?,
    })
}

/// A new staff account's fields.
pub struct NewStaff<'a> {
    pub site_id: i64,
    pub account: &'a str,
    pub password_hash: &'a str,
    pub name: &'a str,
    pub number: Option<&'a str>,
    pub role: StaffRole,
    pub sms_offline: bool,
}

impl Store {
    pub async fn create_staff(&self, s: &NewStaff<'_>) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO chat_staff (site_id, account, password_hash, name, number, role, \
             sms_offline, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(s.site_id)
        .bind(s.account)
        .bind(s.password_hash)
        .bind(s.name)
        .bind(s.number)
        .bind(s.role.as_str())
        .bind(s.sms_offline as i64)
        .bind(crate::store::now())
        .fetch_one(self.pool())
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!(
                    "the site already has a staff account '{}': choose another account name",
                    s.account
                ))
            } else {
                e.into()
            }
        })?;
        Ok(row.try_get("id")?)
    }

    /// Changes a staff member's name, number, role and SMS choice (and password, when given).
    pub async fn update_staff(
        &self,
        site_id: i64,
        id: i64,
        s: &NewStaff<'_>,
        new_password_hash: Option<&str>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE chat_staff SET name = $1, number = $2, role = $3, sms_offline = $4, \
             password_hash = COALESCE($5, password_hash) WHERE id = $6 AND site_id = $7",
        )
        .bind(s.name)
        .bind(s.number)
        .bind(s.role.as_str())
        .bind(s.sms_offline as i64)
        .bind(new_password_hash)
        .bind(id)
        .bind(site_id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Disables (or enables) an account; its sessions stop working at once.
    pub async fn disable_staff(&self, site_id: i64, id: i64, disabled: bool) -> Result<bool> {
        let at = disabled.then(crate::store::now);
        let done =
            sqlx::query("UPDATE chat_staff SET disabled_at = $1 WHERE id = $2 AND site_id = $3")
                .bind(at)
                .bind(id)
                .bind(site_id)
                .execute(self.pool())
                .await?;
        if disabled {
            sqlx::query("UPDATE chat_staff_sessions SET revoked_at = $1 WHERE staff_id = $2 AND revoked_at IS NULL")
                .bind(crate::store::now())
                .bind(id)
                .execute(self.pool())
                .await?;
        }
        Ok(done.rows_affected() == 1)
    }

    pub async fn staff_by_account(&self, site_id: i64, account: &str) -> Result<Option<StaffRow>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM chat_staff WHERE site_id = $1 AND account = $2"
        ))
        .bind(site_id)
        .bind(account)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(read).transpose()
    }

    pub async fn staff_by_id(&self, id: i64) -> Result<Option<StaffRow>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM chat_staff WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(read).transpose()
    }

    /// Every staff account of a site, by name.
    pub async fn staff_of_site(&self, site_id: i64) -> Result<Vec<StaffRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM chat_staff WHERE site_id = $1 AND disabled_at IS NULL ORDER BY name, id"
        ))
        .bind(site_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(read).collect()
    }

    pub async fn insert_staff_session(
        &self,
        staff_id: i64,
        hash: &str,
        expires_at: i64,
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO chat_staff_sessions (staff_id, token_hash, expires_at, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(staff_id)
        .bind(hash)
        .bind(expires_at)
        .bind(crate::store::now())
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("id")?)
    }

    /// The session behind a token hash: (session id, staff id, expires at, revoked).
    pub async fn staff_session(&self, hash: &str) -> Result<Option<(i64, i64, i64, bool)>> {
        let row = sqlx::query(
            "SELECT s.id, s.staff_id, s.expires_at, s.revoked_at, c.disabled_at \
             FROM chat_staff_sessions s JOIN chat_staff c ON c.id = s.staff_id WHERE s.token_hash = $1",
        )
        .bind(hash)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            let revoked = r.try_get::<Option<i64>, _>("revoked_at")?.is_some()
                || r.try_get::<Option<i64>, _>("disabled_at")?.is_some();
            Ok((
                r.try_get("id")?,
                r.try_get("staff_id")?,
                r.try_get("expires_at")?,
                revoked,
            ))
        })
        .transpose()
    }

    /// True while a session is neither revoked nor expired nor its account disabled.
    pub async fn staff_session_live(&self, session_id: i64) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 FROM chat_staff_sessions s JOIN chat_staff c ON c.id = s.staff_id \
             WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND c.disabled_at IS NULL",
        )
        .bind(session_id)
        .bind(crate::store::now())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.is_some())
    }

    pub async fn revoke_staff_session(&self, session_id: i64) -> Result<()> {
        sqlx::query("UPDATE chat_staff_sessions SET revoked_at = $1 WHERE id = $2")
            .bind(crate::store::now())
            .bind(session_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Sets an agent's state; returns false when it already was that state.
    pub async fn set_agent_state(
        &self,
        staff_id: i64,
        state: AgentState,
        at_ms: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE chat_staff SET state = $1, state_since_ms = $2 WHERE id = $3 AND state <> $1",
        )
        .bind(state.as_str())
        .bind(at_ms)
        .bind(staff_id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The console came back (`None`) or its last connection went away (`Some(ms)`).
    pub async fn set_staff_away(&self, staff_id: i64, since_ms: Option<i64>) -> Result<()> {
        sqlx::query("UPDATE chat_staff SET away_since_ms = $1 WHERE id = $2")
            .bind(since_ms)
            .bind(staff_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Marks the site's staff whose number is `number` as on a live CALL call held by relay
    /// `node` (`Some`), or off it (`None`): the merchant's line of a call button rings them
    /// (routing may skip them, `skip_on_call`). A dead relay's calls are cleared by
    /// `bury_chat_node`.
    pub async fn set_on_call_by_number(
        &self,
        site_id: i64,
        number: &str,
        node: Option<&str>,
    ) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE chat_staff SET on_call_node = $1 WHERE site_id = $2 AND number = $3",
        )
        .bind(node)
        .bind(site_id)
        .bind(number)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Agents not offline whose consoles have been away since before `before_ms`.
    pub async fn staff_away_before(&self, before_ms: i64) -> Result<Vec<StaffRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM chat_staff WHERE away_since_ms IS NOT NULL \
             AND away_since_ms <= $1 AND state <> 'offline'"
        ))
        .bind(before_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(read).collect()
    }

    /// Offline agents, offline since before `before_ms`, who still hold visitor conversations.
    pub async fn offline_staff_holding(&self, before_ms: i64) -> Result<Vec<StaffRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM chat_staff WHERE state = 'offline' AND state_since_ms <= $1 \
             AND open_count > 0"
        ))
        .bind(before_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(read).collect()
    }
}
