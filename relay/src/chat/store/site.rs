//! What else a site's chat keeps: its settings, which chat sockets are connected on which
//! relay node, visitors, messages left while no agent was free, attachments (in the database,
//! so every relay serves them) and page views for agent-started chats.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::flag;
use crate::store::{Result, Store};

#[derive(Clone, Debug)]
pub struct VisitorRow {
    pub id: i64,
    pub site_id: i64,
    pub public_id: String,
    pub page: Option<String>,
    pub referrer: Option<String>,
    pub lang: Option<String>,
    pub ip: String,
    pub member: Option<String>,
}

fn read_visitor(r: &AnyRow) -> Result<VisitorRow> {
    Ok(VisitorRow {
        id: r.try_get("id")?,
        site_id: r.try_get("site_id")?,
        public_id: r.try_get("public_id")?,
        page: r.try_get("page")?,
        referrer: r.try_get("referrer")?,
        lang: r.try_get("lang")?,
        ip: r.try_get("ip")?,
        member: r.try_get("member")?,
    })
}

#[derive(Clone, Debug)]
pub struct LeftRow {
    pub public_id: String,
    pub name: String,
    pub number: String,
    pub text: String,
    pub reply_by_sms: bool,
    pub at_ms: i64,
    pub answered_by: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct AttachmentRow {
    pub id: i64,
    pub public_id: String,
    pub site_id: i64,
    pub conversation_id: Option<i64>,
    pub uploader: String,
    pub name: String,
    pub mime: String,
    pub size: u64,
}

const ATTACHMENT: &str = "id, public_id, site_id, conversation_id, uploader, name, mime, size";

fn read_attachment(r: &AnyRow) -> Result<AttachmentRow> {
    Ok(AttachmentRow {
        id: r.try_get("id")?,
        public_id: r.try_get("public_id")?,
        site_id: r.try_get("site_id")?,
        conversation_id: r.try_get("conversation_id")?,
        uploader: r.try_get("uploader")?,
        name: r.try_get("name")?,
        mime: r.try_get("mime")?,
        size: r.try_get::<i64, _>("size")?.max(0) as u64,
    })
}

impl Store {
    pub async fn chat_settings(&self, site_id: i64) -> Result<Option<String>> {
        let r = sqlx::query("SELECT body FROM chat_settings WHERE site_id = $1")
            .bind(site_id)
            .fetch_optional(self.pool())
            .await?;
        r.map(|r| Ok(r.try_get("body")?)).transpose()
    }

    pub async fn put_chat_settings(&self, site_id: i64, body: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO chat_settings (site_id, body) VALUES ($1, $2) \
             ON CONFLICT (site_id) DO UPDATE SET body = excluded.body",
        )
        .bind(site_id)
        .bind(body)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    // ---- connections ----

    pub async fn add_chat_connection(
        &self,
        conn_key: &str,
        node_id: &str,
        who: &str,
        at_ms: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO chat_connections (conn_key, node_id, who, joined_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (conn_key) DO UPDATE SET who = excluded.who, joined_ms = excluded.joined_ms",
        )
        .bind(conn_key)
        .bind(node_id)
        .bind(who)
        .bind(at_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Removes one connection; returns how many `who` still has (on any relay).
    pub async fn remove_chat_connection(&self, conn_key: &str, who: &str) -> Result<i64> {
        sqlx::query("DELETE FROM chat_connections WHERE conn_key = $1")
            .bind(conn_key)
            .execute(self.pool())
            .await?;
        self.chat_connections_of(who).await
    }

    pub async fn chat_connections_of(&self, who: &str) -> Result<i64> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM chat_connections WHERE who = $1")
            .bind(who)
            .fetch_one(self.pool())
            .await?;
        Ok(r.try_get("n")?)
    }

    /// Forgets a dead relay's chat sockets, its page views and the live calls it held (an agent
    /// on one of them is no longer on a call); returns whose sockets they were.
    pub async fn bury_chat_node(&self, node_id: &str) -> Result<Vec<String>> {
        sqlx::query("UPDATE chat_staff SET on_call_node = NULL WHERE on_call_node = $1")
            .bind(node_id)
            .execute(self.pool())
            .await?;
        let rows = sqlx::query("DELETE FROM chat_connections WHERE node_id = $1 RETURNING who")
            .bind(node_id)
            .fetch_all(self.pool())
            .await?;
        sqlx::query("DELETE FROM chat_pageviews WHERE node_id = $1")
            .bind(node_id)
            .execute(self.pool())
            .await?;
        rows.iter().map(|r| Ok(r.try_get("who")?)).collect()
    }

    // ---- visitors ----

    pub async fn create_chat_visitor(
        &self,
        site_id: i64,
        public_id: &str,
        token_hash: &str,
        at_ms: i64,
    ) -> Result<VisitorRow> {
        let r = sqlx::query(
            "INSERT INTO chat_visitors (site_id, public_id, token_hash, created_ms, last_seen_ms) \
             VALUES ($1, $2, $3, $4, $4) RETURNING id, site_id, public_id, page, referrer, lang, ip, member",
        )
        .bind(site_id)
        .bind(public_id)
        .bind(token_hash)
        .bind(at_ms)
        .fetch_one(self.pool())
        .await?;
        read_visitor(&r)
    }

    pub async fn chat_visitor_by_token(&self, token_hash: &str) -> Result<Option<VisitorRow>> {
        let r = sqlx::query(
            "SELECT id, site_id, public_id, page, referrer, lang, ip, member FROM chat_visitors WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        r.as_ref().map(read_visitor).transpose()
    }

    pub async fn chat_visitor(&self, id: i64) -> Result<Option<VisitorRow>> {
        let r = sqlx::query(
            "SELECT id, site_id, public_id, page, referrer, lang, ip, member FROM chat_visitors WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        r.as_ref().map(read_visitor).transpose()
    }

    /// What the visitor's widget reported on opening (CHAT-8), and where they connect from.
    pub async fn note_chat_visitor(&self, v: &VisitorRow, at_ms: i64) -> Result<()> {
        sqlx::query(
            "UPDATE chat_visitors SET page = $1, referrer = $2, lang = $3, ip = $4, member = $5, \
             last_seen_ms = $6 WHERE id = $7",
        )
        .bind(&v.page)
        .bind(&v.referrer)
        .bind(&v.lang)
        .bind(&v.ip)
        .bind(&v.member)
        .bind(at_ms)
        .bind(v.id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Gives a visitor a new token (an invitation redeemed: the one minted with it is unknown).
    pub async fn set_visitor_token(&self, id: i64, token_hash: &str) -> Result<()> {
        sqlx::query("UPDATE chat_visitors SET token_hash = $1 WHERE id = $2")
            .bind(token_hash)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The visitor's widget went away now (their "left" clock starts).
    pub async fn touch_chat_visitor(&self, id: i64, at_ms: i64) -> Result<()> {
        sqlx::query("UPDATE chat_visitors SET last_seen_ms = $1 WHERE id = $2")
            .bind(at_ms)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn visitor_last_seen(&self, id: i64) -> Result<Option<i64>> {
        let r = sqlx::query("SELECT last_seen_ms FROM chat_visitors WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        r.map(|r| Ok(r.try_get("last_seen_ms")?)).transpose()
    }

    // ---- left messages ----

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_left_message(
        &self,
        site_id: i64,
        public_id: &str,
        name: &str,
        number: &str,
        text: &str,
        reply_by_sms: bool,
        ip: &str,
        at_ms: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO chat_left_messages (site_id, public_id, name, number, text, reply_by_sms, ip, at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(site_id)
        .bind(public_id)
        .bind(name)
        .bind(number)
        .bind(text)
        .bind(reply_by_sms as i64)
        .bind(ip)
        .bind(at_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Messages left with a site since `since_ms`, newest first, at most 100.
    pub async fn left_messages(&self, site_id: i64, since_ms: i64) -> Result<Vec<LeftRow>> {
        let rows = sqlx::query(
            "SELECT public_id, name, number, text, reply_by_sms, at_ms, answered_by FROM chat_left_messages \
             WHERE site_id = $1 AND at_ms >= $2 ORDER BY at_ms DESC LIMIT 100",
        )
        .bind(site_id)
        .bind(since_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LeftRow {
                    public_id: r.try_get("public_id")?,
                    name: r.try_get("name")?,
                    number: r.try_get("number")?,
                    text: r.try_get("text")?,
                    reply_by_sms: flag(r.try_get("reply_by_sms")?),
                    at_ms: r.try_get("at_ms")?,
                    answered_by: r.try_get("answered_by")?,
                })
            })
            .collect()
    }

    /// Marks a left message answered (once); returns it when this call did.
    pub async fn answer_left_message(
        &self,
        site_id: i64,
        public_id: &str,
        staff_id: i64,
        at_ms: i64,
    ) -> Result<Option<LeftRow>> {
        let done = sqlx::query(
            "UPDATE chat_left_messages SET answered_by = $1, answered_ms = $2 \
             WHERE site_id = $3 AND public_id = $4 AND answered_by IS NULL",
        )
        .bind(staff_id)
        .bind(at_ms)
        .bind(site_id)
        .bind(public_id)
        .execute(self.pool())
        .await?;
        if done.rows_affected() != 1 {
            return Ok(None);
        }
        let rows = self.left_messages(site_id, 0).await?;
        Ok(rows.into_iter().find(|r| r.public_id == public_id))
    }

    /// Left messages from one address since `since_ms` (the per-address cap).
    pub async fn left_messages_from(&self, ip: &str, since_ms: i64) -> Result<i64> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n FROM chat_left_messages WHERE ip = $1 AND at_ms >= $2",
        )
        .bind(ip)
        .bind(since_ms)
        .fetch_one(self.pool())
        .await?;
        Ok(r.try_get("n")?)
    }

    // ---- attachments ----

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_attachment(
        &self,
        public_id: &str,
        site_id: i64,
        conversation_id: Option<i64>,
        uploader: &str,
        name: &str,
        mime: &str,
        body: &[u8],
        at_ms: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO chat_attachments (public_id, site_id, conversation_id, uploader, name, mime, size, body, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(public_id)
        .bind(site_id)
        .bind(conversation_id)
        .bind(uploader)
        .bind(name)
        .bind(mime)
        .bind(body.len() as i64)
        .bind(body.to_vec())
        .bind(at_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn attachment(&self, public_id: &str) -> Result<Option<AttachmentRow>> {
        let r = sqlx::query(&format!(
            "SELECT {ATTACHMENT} FROM chat_attachments WHERE public_id = $1"
        ))
        .bind(public_id)
        .fetch_optional(self.pool())
        .await?;
        r.as_ref().map(read_attachment).transpose()
    }

    pub async fn attachment_by_id(&self, id: i64) -> Result<Option<AttachmentRow>> {
        let r = sqlx::query(&format!(
            "SELECT {ATTACHMENT} FROM chat_attachments WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        r.as_ref().map(read_attachment).transpose()
    }

    pub async fn attachment_body(&self, id: i64) -> Result<Vec<u8>> {
        let r = sqlx::query("SELECT body FROM chat_attachments WHERE id = $1")
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        Ok(r.try_get("body")?)
    }

    /// Binds an uploaded attachment to the conversation its line went into.
    pub async fn bind_attachment(&self, id: i64, conversation_id: i64) -> Result<()> {
        sqlx::query("UPDATE chat_attachments SET conversation_id = $1 WHERE id = $2 AND conversation_id IS NULL")
            .bind(conversation_id)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn uploads_since(&self, uploader: &str, since_ms: i64) -> Result<i64> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n FROM chat_attachments WHERE uploader = $1 AND created_ms >= $2",
        )
        .bind(uploader)
        .bind(since_ms)
        .fetch_one(self.pool())
        .await?;
        Ok(r.try_get("n")?)
    }
}

/// A page view of a site now (CHAT-9).
#[derive(Clone, Debug)]
pub struct PageviewRow {
    pub public_id: String,
    pub site_id: i64,
    pub page: String,
    /// The page's `document.title`, when it has one.
    pub title: Option<String>,
    pub referrer: Option<String>,
    pub lang: Option<String>,
    pub since_ms: i64,
    /// `CODE_HASH VISITOR_ID` once an agent invited this page view; `redeemed` after.
    pub invite: Option<String>,
}

fn read_pageview(r: &AnyRow) -> Result<PageviewRow> {
    Ok(PageviewRow {
        public_id: r.try_get("public_id")?,
        site_id: r.try_get("site_id")?,
        page: r.try_get("page")?,
        title: r.try_get("title")?,
        referrer: r.try_get("referrer")?,
        lang: r.try_get("lang")?,
        since_ms: r.try_get("since_ms")?,
        invite: r.try_get("invite")?,
    })
}

const PAGEVIEW: &str = "public_id, site_id, page, title, referrer, lang, since_ms, invite";

impl Store {
    pub async fn add_pageview(&self, p: &PageviewRow, node_id: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO chat_pageviews (public_id, site_id, node_id, page, title, referrer, lang, since_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&p.public_id)
        .bind(p.site_id)
        .bind(node_id)
        .bind(&p.page)
        .bind(&p.title)
        .bind(&p.referrer)
        .bind(&p.lang)
        .bind(p.since_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn remove_pageview(&self, public_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM chat_pageviews WHERE public_id = $1")
            .bind(public_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// A site's page views now, newest first, at most `limit`.
    pub async fn pageviews_of_site(&self, site_id: i64, limit: i64) -> Result<Vec<PageviewRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {PAGEVIEW} FROM chat_pageviews WHERE site_id = $1 ORDER BY since_ms DESC LIMIT $2"
        ))
        .bind(site_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(read_pageview).collect()
    }

    pub async fn pageview(&self, public_id: &str) -> Result<Option<PageviewRow>> {
        let r = sqlx::query(&format!(
            "SELECT {PAGEVIEW} FROM chat_pageviews WHERE public_id = $1"
        ))
        .bind(public_id)
        .fetch_optional(self.pool())
        .await?;
        r.as_ref().map(read_pageview).transpose()
    }

    /// Records an invitation on a page view that has none yet; false when it had one.
    pub async fn invite_pageview(&self, public_id: &str, invite: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE chat_pageviews SET invite = $1 WHERE public_id = $2 AND invite IS NULL",
        )
        .bind(invite)
        .bind(public_id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Takes an invitation by its code (once): the page view it was on.
    pub async fn redeem_invite(&self, site_id: i64, code: &str) -> Result<Option<PageviewRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {PAGEVIEW} FROM chat_pageviews WHERE site_id = $1 AND invite LIKE $2"
        ))
        .bind(site_id)
        .bind(format!("{code} %"))
        .fetch_all(self.pool())
        .await?;
        let Some(p) = rows.iter().map(read_pageview).next().transpose()? else {
            return Ok(None);
        };
        let done = sqlx::query(
            "UPDATE chat_pageviews SET invite = 'redeemed' WHERE public_id = $1 AND invite = $2",
        )
        .bind(&p.public_id)
        .bind(&p.invite)
        .execute(self.pool())
        .await?;
        Ok((done.rows_affected() == 1).then_some(p))
    }
}
