//! Conversations: visitor ones (waiting in the queue, then served by one agent at a time) and
//! colleague ones (two staff members). Assigning and ending change the agent's open count in
//! the same transaction, by a conditional UPDATE, so concurrent routing on several relays can
//! never put an agent over capacity.

use ringlink_protocol::chat::ConversationState;
use ringlink_protocol::console::ConversationKind;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::store::{Result, Store};

#[derive(Clone, Debug)]
pub struct ConversationRow {
    pub id: i64,
    pub public_id: String,
    pub site_id: i64,
    pub kind: ConversationKind,
    pub visitor_id: Option<i64>,
    pub agent_id: Option<i64>,
    pub colleague_id: Option<i64>,
    pub state: ConversationState,
    /// What the first line told the agent (CHAT-8), as JSON `VisitorInfo`.
    pub info: Option<String>,
    pub queued_ms: Option<i64>,
    pub assigned_ms: Option<i64>,
    pub awaiting_since_ms: Option<i64>,
    pub transfer_to: Option<i64>,
    pub transfer_note: Option<String>,
    pub transfer_until_ms: Option<i64>,
    pub last_seq: u64,
    pub created_ms: i64,
}

impl ConversationRow {
    /// True when `staff_id` takes part (serves it, or is the colleague in it).
    pub fn has_staff(&self, staff_id: i64) -> bool {
        self.agent_id == Some(staff_id) || self.colleague_id == Some(staff_id)
    }
}

const COLUMNS: &str = "id, public_id, site_id, kind, visitor_id, agent_id, colleague_id, state, \
    info, queued_ms, assigned_ms, awaiting_since_ms, transfer_to, transfer_note, \
    transfer_until_ms, last_seq, created_ms";

fn read(r: &AnyRow) -> Result<ConversationRow> {
    let kind: String = r.try_get("kind")?;
    let state: String = r.try_get("state")?;
    Ok(ConversationRow {
        id: r.try_get("id")?,
        public_id: r.try_get("public_id")?,
        site_id: r.try_get("site_id")?,
        kind: if kind == "colleague" {
            ConversationKind::Colleague
        } else {
            ConversationKind::Visitor
        },
        visitor_id: r.try_get("visitor_id")?,
        agent_id: r.try_get("agent_id")?,
        colleague_id: r.try_get("colleague_id")?,
        state: match state.as_str() {
            "waiting" => ConversationState::Waiting,
            "active" => ConversationState::Active,
            _ => ConversationState::Ended,
        },
        info: r.try_get("info")?,
        queued_ms: r.try_get("queued_ms")?,
        assigned_ms: r.try_get("assigned_ms")?,
        awaiting_since_ms: r.try_get("awaiting_since_ms")?,
        transfer_to: r.try_get("transfer_to")?,
        transfer_note: r.try_get("transfer_note")?,
        transfer_until_ms: r.try_get("transfer_until_ms")?,
        last_seq: r.try_get::<i64, _>("last_seq")?.max(0) as u64,
        created_ms: r.try_get("created_ms")?,
    })
}

impl Store {
    /// A visitor's new conversation, waiting in the queue from `now_ms`.
    pub async fn create_visitor_conversation(
        &self,
        site_id: i64,
        visitor_id: i64,
        public_id: &str,
        info: &str,
        now_ms: i64,
    ) -> Result<ConversationRow> {
        let row = sqlx::query(&format!(
            "INSERT INTO chat_conversations (public_id, site_id, kind, visitor_id, state, info, \
             queued_ms, created_ms) VALUES ($1, $2, 'visitor', $3, 'waiting', $4, $5, $5) \
             RETURNING {COLUMNS}"
        ))
        .bind(public_id)
        .bind(site_id)
        .bind(visitor_id)
        .bind(info)
        .bind(now_ms)
        .fetch_one(self.pool())
        .await?;
        read(&row)
    }

    /// The conversation between two colleagues, made on first use.
    pub async fn colleague_conversation(
        &self,
        site_id: i64,
        a: i64,
        b: i64,
        public_id: &str,
        now_ms: i64,
    ) -> Result<ConversationRow> {
        let (lo, hi) = (a.min(b), a.max(b));
        let find = format!(
            "SELECT {COLUMNS} FROM chat_conversations WHERE kind = 'colleague' AND site_id = $1 \
             AND agent_id = $2 AND colleague_id = $3"
        );
        if let Some(r) = sqlx::query(&find)
            .bind(site_id)
            .bind(lo)
            .bind(hi)
            .fetch_optional(self.pool())
            .await?
        {
            return read(&r);
        }
        sqlx::query(
            "INSERT INTO chat_conversations (public_id, site_id, kind, agent_id, colleague_id, \
             state, created_ms) VALUES ($1, $2, 'colleague', $3, $4, 'active', $5)",
        )
        .bind(public_id)
        .bind(site_id)
        .bind(lo)
        .bind(hi)
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        let r = sqlx::query(&find)
            .bind(site_id)
            .bind(lo)
            .bind(hi)
            .fetch_one(self.pool())
            .await?;
        read(&r)
    }

    pub async fn conversation_by_public(&self, public_id: &str) -> Result<Option<ConversationRow>> {
        let r = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM chat_conversations WHERE public_id = $1"
        ))
        .bind(public_id)
        .fetch_optional(self.pool())
        .await?;
        r.as_ref().map(read).transpose()
    }

    pub async fn conversation_by_id(&self, id: i64) -> Result<Option<ConversationRow>> {
        let r = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM chat_conversations WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        r.as_ref().map(read).transpose()
    }

    /// The visitor's conversation that has not ended, if any.
    pub async fn open_conversation_of_visitor(
        &self,
        visitor_id: i64,
    ) -> Result<Option<ConversationRow>> {
        let r = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM chat_conversations WHERE visitor_id = $1 AND state <> 'ended' \
             ORDER BY id DESC LIMIT 1"
        ))
        .bind(visitor_id)
        .fetch_optional(self.pool())
        .await?;
        r.as_ref().map(read).transpose()
    }

    /// The visitor's latest conversation, in any state.
    pub async fn latest_conversation_of_visitor(
        &self,
        visitor_id: i64,
    ) -> Result<Option<ConversationRow>> {
        let r = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM chat_conversations WHERE visitor_id = $1 ORDER BY id DESC LIMIT 1"
        ))
        .bind(visitor_id)
        .fetch_optional(self.pool())
        .await?;
        r.as_ref().map(read).transpose()
    }

    /// Gives a waiting conversation to an agent, if they are still normal with room. False
    /// when either changed since routing looked (another relay got there first).
    pub async fn assign_conversation(
        &self,
        conversation_id: i64,
        staff_id: i64,
        capacity: u32,
        now_ms: i64,
    ) -> Result<bool> {
        let mut tx = self.pool().begin().await?;
        let slot = sqlx::query(
            "UPDATE chat_staff SET open_count = open_count + 1, idle_since_ms = $1 \
             WHERE id = $2 AND state = 'normal' AND open_count < $3 AND disabled_at IS NULL",
        )
        .bind(now_ms)
        .bind(staff_id)
        .bind(capacity as i64)
        .execute(&mut *tx)
        .await?;
        if slot.rows_affected() != 1 {
            return Ok(false);
        }
        let conv = sqlx::query(
            "UPDATE chat_conversations SET agent_id = $1, state = 'active', assigned_ms = $2, \
             transfer_to = NULL, transfer_note = NULL, transfer_until_ms = NULL \
             WHERE id = $3 AND state = 'waiting'",
        )
        .bind(staff_id)
        .bind(now_ms)
        .bind(conversation_id)
        .execute(&mut *tx)
        .await?;
        if conv.rows_affected() != 1 {
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Gives a waiting conversation to the agent who started it (CHAT-9), whatever their load.
    pub async fn take_conversation(
        &self,
        conversation_id: i64,
        staff_id: i64,
        now_ms: i64,
    ) -> Result<bool> {
        let mut tx = self.pool().begin().await?;
        let conv = sqlx::query(
            "UPDATE chat_conversations SET agent_id = $1, state = 'active', assigned_ms = $2              WHERE id = $3 AND state = 'waiting'",
        )
        .bind(staff_id)
        .bind(now_ms)
        .bind(conversation_id)
        .execute(&mut *tx)
        .await?;
        if conv.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE chat_staff SET open_count = open_count + 1, idle_since_ms = $1 WHERE id = $2",
        )
        .bind(now_ms)
        .bind(staff_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Takes an active conversation back from `staff_id` into the queue, keeping its place
    /// (its original queue time). False when it was not theirs any more.
    pub async fn unassign_conversation(&self, conversation_id: i64, staff_id: i64) -> Result<bool> {
        let mut tx = self.pool().begin().await?;
        let conv = sqlx::query(
            "UPDATE chat_conversations SET agent_id = NULL, state = 'waiting', \
             transfer_to = NULL, transfer_note = NULL, transfer_until_ms = NULL \
             WHERE id = $1 AND agent_id = $2 AND state = 'active' AND kind = 'visitor'",
        )
        .bind(conversation_id)
        .bind(staff_id)
        .execute(&mut *tx)
        .await?;
        if conv.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE chat_staff SET open_count = open_count - 1 WHERE id = $1 AND open_count > 0",
        )
        .bind(staff_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Hands an active conversation from one agent to another who accepted it (a transfer):
    /// the taker may be busy (they chose to), never offline.
    pub async fn hand_over(
        &self,
        conversation_id: i64,
        from: i64,
        to: i64,
        now_ms: i64,
    ) -> Result<bool> {
        let mut tx = self.pool().begin().await?;
        let slot = sqlx::query(
            "UPDATE chat_staff SET open_count = open_count + 1, idle_since_ms = $1 \
             WHERE id = $2 AND state <> 'offline' AND disabled_at IS NULL",
        )
        .bind(now_ms)
        .bind(to)
        .execute(&mut *tx)
        .await?;
        if slot.rows_affected() != 1 {
            return Ok(false);
        }
        let conv = sqlx::query(
            "UPDATE chat_conversations SET agent_id = $1, assigned_ms = $2, transfer_to = NULL, \
             transfer_note = NULL, transfer_until_ms = NULL, awaiting_since_ms = NULL \
             WHERE id = $3 AND agent_id = $4 AND state = 'active' AND transfer_to = $1",
        )
        .bind(to)
        .bind(now_ms)
        .bind(conversation_id)
        .bind(from)
        .execute(&mut *tx)
        .await?;
        if conv.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE chat_staff SET open_count = open_count - 1 WHERE id = $1 AND open_count > 0",
        )
        .bind(from)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Ends a visitor conversation (once); returns the agent whose slot it freed, if any.
    pub async fn end_conversation(
        &self,
        conversation_id: i64,
        now_ms: i64,
        rating: Option<u8>,
        comment: Option<&str>,
    ) -> Result<Option<Option<i64>>> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(
            "UPDATE chat_conversations SET state = 'ended', ended_ms = $1, \
             rating = COALESCE($2, rating), comment = COALESCE($3, comment), \
             transfer_to = NULL, awaiting_since_ms = NULL \
             WHERE id = $4 AND state <> 'ended' AND kind = 'visitor' RETURNING agent_id",
        )
        .bind(now_ms)
        .bind(rating.map(i64::from))
        .bind(comment)
        .bind(conversation_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let agent: Option<i64> = row.try_get("agent_id")?;
        if let Some(a) = agent {
            sqlx::query(
                "UPDATE chat_staff SET open_count = open_count - 1, idle_since_ms = $1 \
                 WHERE id = $2 AND open_count > 0",
            )
            .bind(now_ms)
            .bind(a)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Some(agent))
    }

    /// A rating given after the end (the visitor rates on the closing screen).
    pub async fn rate_conversation(
        &self,
        conversation_id: i64,
        rating: u8,
        comment: Option<&str>,
    ) -> Result<()> {
        sqlx::query("UPDATE chat_conversations SET rating = $1, comment = COALESCE($2, comment) WHERE id = $3")
            .bind(i64::from(rating))
            .bind(comment)
            .bind(conversation_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The site's waiting conversations, first come first.
    pub async fn waiting_of_site(&self, site_id: i64) -> Result<Vec<ConversationRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM chat_conversations WHERE site_id = $1 AND state = 'waiting' \
             ORDER BY queued_ms, id"
        ))
        .bind(site_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(read).collect()
    }

    /// Sites with anyone waiting (the keeper serves their queues).
    pub async fn sites_with_waiting(&self) -> Result<Vec<i64>> {
        let rows =
            sqlx::query("SELECT DISTINCT site_id FROM chat_conversations WHERE state = 'waiting'")
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(|r| Ok(r.try_get("site_id")?)).collect()
    }

    /// A staff member's open conversations: visitors they serve and colleague ones.
    pub async fn conversations_of_staff(&self, staff_id: i64) -> Result<Vec<ConversationRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM chat_conversations WHERE state = 'active' AND \
             (agent_id = $1 OR colleague_id = $1 OR transfer_to = $1) ORDER BY id"
        ))
        .bind(staff_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(read).collect()
    }

    /// The agent's active visitor conversations.
    pub async fn visitors_of_agent(&self, staff_id: i64) -> Result<Vec<ConversationRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM chat_conversations WHERE state = 'active' AND kind = 'visitor' \
             AND agent_id = $1 ORDER BY id"
        ))
        .bind(staff_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(read).collect()
    }

    /// The agent answered at `ms`: nothing waits, and the first answer's time is kept.
    pub async fn mark_answered(&self, conversation_id: i64, ms: i64) -> Result<()> {
        sqlx::query(
            "UPDATE chat_conversations SET awaiting_since_ms = NULL,              first_response_ms = COALESCE(first_response_ms, $1) WHERE id = $2",
        )
        .bind(ms)
        .bind(conversation_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A conversation that moved to a new agent: a visitor still waiting for an answer waits
    /// from now, so the new agent gets the whole no-reply time.
    pub async fn restart_awaiting(&self, conversation_id: i64, ms: i64) -> Result<()> {
        sqlx::query(
            "UPDATE chat_conversations SET awaiting_since_ms = $1 WHERE id = $2 AND awaiting_since_ms IS NOT NULL",
        )
        .bind(ms)
        .bind(conversation_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Active visitor conversations whose visitor has waited for an answer since before `before_ms`.
    pub async fn silent_conversations(&self, before_ms: i64) -> Result<Vec<ConversationRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM chat_conversations WHERE state = 'active' AND kind = 'visitor' \
             AND awaiting_since_ms IS NOT NULL AND awaiting_since_ms <= $1"
        ))
        .bind(before_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(read).collect()
    }

    pub async fn set_transfer(
        &self,
        conversation_id: i64,
        from: i64,
        to: Option<(i64, &str, i64)>,
    ) -> Result<bool> {
        let (to_id, note, until) = match to {
            Some((t, n, u)) => (Some(t), Some(n), Some(u)),
            None => (None, None, None),
        };
        let done = sqlx::query(
            "UPDATE chat_conversations SET transfer_to = $1, transfer_note = $2, transfer_until_ms = $3 \
             WHERE id = $4 AND agent_id = $5 AND state = 'active'",
        )
        .bind(to_id)
        .bind(note)
        .bind(until)
        .bind(conversation_id)
        .bind(from)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Transfers nobody answered before `now_ms`.
    pub async fn expired_transfers(&self, now_ms: i64) -> Result<Vec<ConversationRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM chat_conversations WHERE transfer_to IS NOT NULL AND transfer_until_ms <= $1"
        ))
        .bind(now_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(read).collect()
    }

    /// Recent handling time in the site (ms per ended conversation, over the last 20), for the
    /// queue's wait estimate.
    pub async fn recent_handling_ms(&self, site_id: i64) -> Result<Option<i64>> {
        let rows = sqlx::query(
            "SELECT ended_ms - assigned_ms AS took FROM chat_conversations WHERE site_id = $1 \
             AND state = 'ended' AND assigned_ms IS NOT NULL AND ended_ms IS NOT NULL \
             ORDER BY ended_ms DESC LIMIT 20",
        )
        .bind(site_id)
        .fetch_all(self.pool())
        .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut sum = 0i64;
        for r in &rows {
            sum += r.try_get::<i64, _>("took")?.max(0);
        }
        Ok(Some(sum / rows.len() as i64))
    }

    /// Deletes conversations ended before `before_ms`, with their lines (retention).
    pub async fn purge_conversations(&self, before_ms: i64) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM chat_conversations WHERE state = 'ended' AND ended_ms < $1")
                .bind(before_ms)
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected())
    }
}
