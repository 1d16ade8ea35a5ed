//! What the console's admin pages read and keep: canned responses, and the conversation rows
//! the dashboard's figures are computed from.

use sqlx::Row;

use crate::store::{Result, Store};

#[derive(Clone, Debug, serde::Serialize)]
pub struct CannedRow {
    pub id: i64,
    pub title: String,
    pub text: String,
    /// An attachment's public id sent along with the text.
    pub attachment: Option<String>,
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
            "SELECT c.id, c.title, c.text, a.public_id FROM chat_canned c \
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
