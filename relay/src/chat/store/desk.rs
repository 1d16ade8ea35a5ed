//! What the console's admin pages read and keep: canned responses, and the conversation rows
//! the dashboard's figures are computed from.

use sqlx::Row;

use crate::store::{Result, Store};

#[derive(Clone, Debug, serde::Serialize)]
pub struct CannedRow {
    pub id: i64,
    pub title: String,
    pub text: String,
    /// An attachment's public id sent along with the text, and its file name.
    pub attachment: Option<String>,
    pub attachment_name: Option<String>,
}

/// One visitor conversation's times, for the dashboard.
#[derive(Clone, Debug)]
pub struct ConversationTimes {
    pub created_ms: i64,
    pub queued_ms: Option<i64>,
    pub assigned_ms: Option<i64>,
    pub first_response_ms: Option<i64>,
    pub agent_id: Option<i64>,
    pub rating: Option<i64>,
}

impl Store {
    pub async fn canned_of_site(&self, site_id: i64) -> Result<Vec<CannedRow>> {
        let rows = sqlx::query(
            "SELECT c.id, c.title, c.text, a.public_id, a.name FROM chat_canned c \
             LEFT JOIN chat_attachments a ON a.id = c.attachment_id WHERE c.site_id = $1 ORDER BY c.title, c.id",
        )
        .bind(site_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CannedRow {
                    id: r.try_get("id")?,
                    title: r.try_get("title")?,
                    text: r.try_get("text")?,
                    attachment: r.try_get("public_id")?,
                    attachment_name: r.try_get("name")?,
                })
            })
            .collect()
    }

    pub async fn add_canned(
        &self,
        site_id: i64,
        title: &str,
        text: &str,
        attachment_id: Option<i64>,
    ) -> Result<i64> {
        let r = sqlx::query(
            "INSERT INTO chat_canned (site_id, title, text, attachment_id) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(site_id)
        .bind(title)
        .bind(text)
        .bind(attachment_id)
        .fetch_one(self.pool())
        .await?;
        Ok(r.try_get("id")?)
    }

    /// The store id of the file of one of the site's canned responses, by its public id.
    pub async fn canned_attachment(&self, site_id: i64, public_id: &str) -> Result<Option<i64>> {
        let r = sqlx::query(
            "SELECT a.id FROM chat_canned c JOIN chat_attachments a ON a.id = c.attachment_id \
             WHERE c.site_id = $1 AND a.public_id = $2 LIMIT 1",
        )
        .bind(site_id)
        .bind(public_id)
        .fetch_optional(self.pool())
        .await?;
        r.map(|r| r.try_get("id")).transpose().map_err(Into::into)
    }

    /// A copy of attachment `id` under `public_id` for `uploader` to send once: each
    /// conversation a canned file goes to gets its own, which only its parties may read.
    pub async fn copy_attachment(
        &self,
        id: i64,
        public_id: &str,
        uploader: &str,
        at_ms: i64,
    ) -> Result<i64> {
        let r = sqlx::query(
            "INSERT INTO chat_attachments (public_id, site_id, conversation_id, uploader, name, mime, size, body, created_ms) \
             SELECT $1, site_id, NULL, $2, name, mime, size, body, $3 FROM chat_attachments WHERE id = $4 \
             RETURNING id",
        )
        .bind(public_id)
        .bind(uploader)
        .bind(at_ms)
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(r.try_get("id")?)
    }

    pub async fn remove_canned(&self, site_id: i64, id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM chat_canned WHERE site_id = $1 AND id = $2")
            .bind(site_id)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The site's visitor conversations started since `since_ms` (at most 10,000, newest).
    pub async fn conversation_times(
        &self,
        site_id: i64,
        since_ms: i64,
    ) -> Result<Vec<ConversationTimes>> {
        let rows = sqlx::query(
            "SELECT created_ms, queued_ms, assigned_ms, first_response_ms, agent_id, rating \
             FROM chat_conversations WHERE site_id = $1 AND kind = 'visitor' AND created_ms >= $2 \
             ORDER BY created_ms DESC LIMIT 10000",
        )
        .bind(site_id)
        .bind(since_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ConversationTimes {
                    created_ms: r.try_get("created_ms")?,
                    queued_ms: r.try_get("queued_ms")?,
                    assigned_ms: r.try_get("assigned_ms")?,
                    first_response_ms: r.try_get("first_response_ms")?,
                    agent_id: r.try_get("agent_id")?,
                    rating: r.try_get("rating")?,
                })
            })
            .collect()
    }
}
