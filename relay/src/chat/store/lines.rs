//! Lines and read marks. A line is stored once per (conversation, sender, client id), so a
//! retry after a reconnect returns the line already stored instead of a second copy.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::flag;
use crate::store::{Result, Store};

#[derive(Clone, Debug)]
pub struct LineRow {
    pub seq: u64,
    pub conversation_id: i64,
    /// `visitor`, `staff:ID` or `system`.
    pub sender: String,
    pub author_staff: Option<i64>,
    pub author_name: Option<String>,
    pub text: String,
    pub attachment_id: Option<i64>,
    pub internal: bool,
    pub at_ms: i64,
    pub client_id: Option<String>,
}

/// A line to store.
pub struct NewLine<'a> {
    pub conversation_id: i64,
    pub sender: &'a str,
    pub author_staff: Option<i64>,
    pub author_name: Option<&'a str>,
    pub text: &'a str,
    pub attachment_id: Option<i64>,
    pub internal: bool,
    pub at_ms: i64,
    pub client_id: Option<&'a str>,
}

const COLUMNS: &str = "seq, conversation_id, sender, author_staff, author_name, text, \
    attachment_id, internal, at_ms, client_id";

fn read(r: &AnyRow) -> Result<LineRow> {
    Ok(LineRow {
        seq: r.try_get::<i64, _>("seq")?.max(0) as u64,
        conversation_id: r.try_get("conversation_id")?,
        sender: r.try_get("sender")?,
        author_staff: r.try_get("author_staff")?,
        author_name: r.try_get("author_name")?,
        text: r.try_get("text")?,
        attachment_id: r.try_get("attachment_id")?,
        internal: flag(r.try_get("internal")?),
        at_ms: r.try_get("at_ms")?,
        client_id: r.try_get("client_id")?,
    })
}

impl Store {
    /// Stores a line; returns it and whether it is new (false: the same client id was stored
    /// before, and that line is returned). The insert is one statement, so the common case is
    /// one round trip; its trigger (migration 0018) moves the conversation's `last_seq` and,
    /// for a visitor's line, starts the no-reply clock in the same statement.
    pub async fn insert_line(&self, l: &NewLine<'_>) -> Result<(LineRow, bool)> {
        let row = sqlx::query(&format!(
            "INSERT INTO chat_lines (conversation_id, sender, author_staff, author_name, text, \
             attachment_id, internal, at_ms, client_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (conversation_id, sender, client_id) DO NOTHING RETURNING {COLUMNS}"
        ))
        .bind(l.conversation_id)
        .bind(l.sender)
        .bind(l.author_staff)
        .bind(l.author_name)
        .bind(l.text)
        .bind(l.attachment_id)
        .bind(l.internal as i64)
        .bind(l.at_ms)
        .bind(l.client_id)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            // A retry: this client id was stored before.
            let r = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM chat_lines WHERE conversation_id = $1 AND sender = $2 AND client_id = $3"
            ))
            .bind(l.conversation_id)
            .bind(l.sender)
            .bind(l.client_id)
            .fetch_one(self.pool())
            .await?;
            return Ok((read(&r)?, false));
        };
        Ok((read(&row)?, true))
    }

    /// Lines of the given conversations after `since`, oldest first, at most `limit`.
    pub async fn lines_after(
        &self,
        conversation_ids: &[i64],
        since: u64,
        limit: i64,
    ) -> Result<Vec<LineRow>> {
        if conversation_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = conversation_ids.iter().map(i64::to_string).collect();
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM chat_lines WHERE conversation_id IN ({}) AND seq > $1 \
             ORDER BY seq LIMIT $2",
            ids.join(",")
        ))
        .bind(since as i64)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(read).collect()
    }

    /// The newest `limit` lines of a conversation before `before` (all when `None`), oldest
    /// first.
    pub async fn lines_before(
        &self,
        conversation_id: i64,
        before: Option<u64>,
        limit: i64,
    ) -> Result<Vec<LineRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM chat_lines WHERE conversation_id = $1 AND seq < $2 \
             ORDER BY seq DESC LIMIT $3"
        ))
        .bind(conversation_id)
        .bind(before.map(|b| b as i64).unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut lines: Vec<LineRow> = rows.iter().map(read).collect::<Result<_>>()?;
        lines.reverse();
        Ok(lines)
    }

    /// Records that `reader` has read up to `upto` (never backwards).
    pub async fn set_read(&self, conversation_id: i64, reader: &str, upto: u64) -> Result<()> {
        sqlx::query(
            "INSERT INTO chat_reads (conversation_id, reader, upto) VALUES ($1, $2, $3) \
             ON CONFLICT (conversation_id, reader) DO UPDATE SET upto = \
             CASE WHEN chat_reads.upto > excluded.upto THEN chat_reads.upto ELSE excluded.upto END",
        )
        .bind(conversation_id)
        .bind(reader)
        .bind(upto as i64)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Lines `reader` has not read, not counting their own (nor internal notes for a visitor).
    pub async fn unread_count(
        &self,
        conversation_id: i64,
        reader: &str,
        visitor: bool,
    ) -> Result<u32> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM chat_lines l WHERE l.conversation_id = $1 AND l.sender <> $2 \
             AND ($3 = 0 OR l.internal = 0) AND l.seq > COALESCE((SELECT upto FROM chat_reads r \
             WHERE r.conversation_id = $1 AND r.reader = $2), 0)",
        )
        .bind(conversation_id)
        .bind(reader)
        .bind(visitor as i64)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get::<i64, _>("n")?.max(0) as u32)
    }

    /// Lines of a site's conversations containing `query`, newest first (CHAT-2's search).
    pub async fn search_lines(
        &self,
        site_id: i64,
        query: &str,
        limit: i64,
    ) -> Result<Vec<LineRow>> {
        let pattern = format!(
            "%{}%",
            query
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let rows = sqlx::query(&format!(
            "SELECT {} FROM chat_lines l JOIN chat_conversations c ON c.id = l.conversation_id \
             WHERE c.site_id = $1 AND LOWER(l.text) LIKE LOWER($2) ESCAPE '\\' ORDER BY l.seq DESC LIMIT $3",
            COLUMNS.split(", ").map(|c| format!("l.{c}")).collect::<Vec<_>>().join(", ")
        ))
        .bind(site_id)
        .bind(pattern)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(read).collect()
    }
}
