//! The live layer's rows: stream events (numbered, resumed with `since`), presence (which
//! connection is on which node, with a state) and node leases. Every relay of a deployment
//! shares these tables, so they are where one relay learns what another holds.

use sqlx::Row;

use super::{Result, Store};

/// One connection in presence: a phone agent today, visitors and staff with CHAT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresenceRow {
    /// Node and connection: unique across the deployment.
    pub conn_key: String,
    pub node_id: String,
    pub member_id: i64,
    pub device: String,
    /// The connection's own description (an agent's `AgentInfo` as JSON).
    pub info: String,
    /// `normal`, `busy` or `offline` (agents of CHAT); phone agents are `normal`.
    pub state: String,
    pub joined_ms: i64,
}

impl Store {
    /// Appends `body` to `stream` and returns its sequence number.
    pub async fn append_event(&self, stream: &str, body: &str, at: i64) -> Result<u64> {
        let row = sqlx::query(
            "INSERT INTO live_events (stream, body, at) VALUES ($1, $2, $3) RETURNING seq",
        )
        .bind(stream)
        .bind(body)
        .bind(at)
        .fetch_one(self.pool())
        .await?;
        let seq: i64 = row.try_get(0)?;
        Ok(seq as u64)
    }

    /// The events of `stream` after `since`, oldest first, at most `limit` (the newest ones
    /// when there are more).
    pub async fn events_since(
        &self,
        stream: &str,
        since: u64,
        limit: i64,
    ) -> Result<Vec<(u64, String)>> {
        let rows = sqlx::query(
            "SELECT seq, body FROM live_events WHERE stream = $1 AND seq > $2 \
             ORDER BY seq DESC LIMIT $3",
        )
        .bind(stream)
        .bind(since as i64)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut out = rows
            .iter()
            .map(|r| Ok((r.try_get::<i64, _>(0)? as u64, r.try_get(1)?)))
            .collect::<Result<Vec<_>>>()?;
        out.reverse();
        Ok(out)
    }

    /// Forgets events older than `before` (Unix seconds).
    pub async fn purge_events(&self, before: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM live_events WHERE at < $1")
            .bind(before)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn join_presence(&self, p: &PresenceRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO live_presence (conn_key, node_id, member_id, device, info, state, joined_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (conn_key) DO UPDATE SET state = excluded.state, info = excluded.info",
        )
        .bind(&p.conn_key)
        .bind(&p.node_id)
        .bind(p.member_id)
        .bind(&p.device)
        .bind(&p.info)
        .bind(&p.state)
        .bind(p.joined_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Removes one connection; true when it was there.
    pub async fn leave_presence(&self, conn_key: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM live_presence WHERE conn_key = $1")
            .bind(conn_key)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// A member's connections, oldest first.
    pub async fn presence_of(&self, member_id: i64) -> Result<Vec<PresenceRow>> {
        let rows = sqlx::query(
            "SELECT conn_key, node_id, member_id, device, info, state, joined_ms \
             FROM live_presence WHERE member_id = $1 ORDER BY joined_ms, conn_key",
        )
        .bind(member_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(presence_row).collect()
    }

    /// Renews this node's lease until `until_ms`.
    pub async fn renew_lease(&self, node_id: &str, until_ms: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO live_nodes (node_id, lease_until_ms) VALUES ($1, $2) \
             ON CONFLICT (node_id) DO UPDATE SET lease_until_ms = excluded.lease_until_ms",
        )
        .bind(node_id)
        .bind(until_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Nodes whose lease ran out before `now_ms`.
    pub async fn lapsed_nodes(&self, now_ms: i64) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT node_id FROM live_nodes WHERE lease_until_ms < $1")
            .bind(now_ms)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// Takes a lapsed node's place for cleaning it up: true for exactly one relay (the lease is
    /// deleted only while it is still lapsed, so a node that came back keeps it).
    pub async fn bury_node(&self, node_id: &str, now_ms: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM live_nodes WHERE node_id = $1 AND lease_until_ms < $2")
            .bind(node_id)
            .bind(now_ms)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes every connection a node held; returns them.
    pub async fn clear_node_presence(&self, node_id: &str) -> Result<Vec<PresenceRow>> {
        let rows = sqlx::query(
            "DELETE FROM live_presence WHERE node_id = $1 \
             RETURNING conn_key, node_id, member_id, device, info, state, joined_ms",
        )
        .bind(node_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(presence_row).collect()
    }

    /// Keeps `answer` under a claim this relay took, for retries that find the claim.
    pub async fn keep_claim_answer(&self, key: &str, answer: &str) -> Result<()> {
        sqlx::query("UPDATE live_claims SET answer = $2 WHERE claim_key = $1")
            .bind(key)
            .bind(answer)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The answer kept under a live claim (`None`: no claim, or its first request is still
    /// being decided).
    pub async fn claim_answer(&self, key: &str) -> Result<Option<String>> {
        let row =
            sqlx::query("SELECT answer FROM live_claims WHERE claim_key = $1 AND expires_at > $2")
                .bind(key)
                .bind(super::now())
                .fetch_optional(self.pool())
                .await?;
        Ok(match row {
            Some(r) => r.try_get(0)?,
            None => None,
        })
    }

    /// Lets go of a claim whose request was refused, so a retry is decided afresh.
    pub async fn release_claim(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM live_claims WHERE claim_key = $1")
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

impl Store {
    /// Dials of `device` still in flight (not ended, failed or declined) that started after
    /// `since` (Unix seconds): (call id, member, number).
    pub async fn open_dials_of_device(
        &self,
        device: &str,
        since: i64,
    ) -> Result<Vec<(String, i64, String)>> {
        let rows = sqlx::query(
            "SELECT public_id, member_id, number FROM dial_calls WHERE device = $1              AND created_at >= $2 AND state NOT IN ('ended', 'failed', 'declined')",
        )
        .bind(device)
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }
}

fn presence_row(r: &sqlx::any::AnyRow) -> Result<PresenceRow> {
    Ok(PresenceRow {
        conn_key: r.try_get(0)?,
        node_id: r.try_get(1)?,
        member_id: r.try_get(2)?,
        device: r.try_get(3)?,
        info: r.try_get(4)?,
        state: r.try_get(5)?,
        joined_ms: r.try_get(6)?,
    })
}
