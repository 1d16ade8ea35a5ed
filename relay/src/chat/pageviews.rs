//! Agent-started chats (CHAT-9). When the merchant opts in (`data-ringlink-invite` on the
//! tag), the loader keeps one light socket per page view, without the wasm app, reporting the
//! page. Agents see "visitors now" and can open a conversation with one: the relay mints that
//! visitor, starts the conversation with the agent's line, and pushes a one-time invitation to
//! the page view; the loader opens the panel with it, and the panel's `chat_open` redeems it.

use ringlink_protocol::chat::Invited;
use ringlink_protocol::console::{BrowsingVisitor, InviteVisitor, Opened, RelayToConsole};
use ringlink_protocol::widget::RelayToWidget;
use ringlink_protocol::{ErrorBody, ErrorCode};

use super::lines::{self, Post, Writer};
use super::staff::StaffIdentity;
use super::store::site::PageviewRow;
use super::{assign, deliver, internal};
use crate::accounts::{hash_token, random_id, random_token};
use crate::Relay;

/// Page views listed to agents at most: the newest. A busy shop has more, and agents can
/// only talk to so many.
pub const LISTED_AT_MOST: i64 = 200;

/// The subject a page view's socket listens on.
pub fn subject_id(pageview: &str) -> String {
    format!("pv.{pageview}")
}

/// Who is browsing the site now, not yet invited, newest first.
pub async fn visitors_now(
    relay: &Relay,
    site_id: i64,
) -> Result<Vec<BrowsingVisitor>, crate::store::StoreError> {
    let rows = relay
        .store
        .pageviews_of_site(site_id, LISTED_AT_MOST)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|p| p.invite.is_none())
        .map(|p| BrowsingVisitor {
            pageview: p.public_id,
            page: p.page,
            title: p.title,
            referrer: p.referrer,
            lang: p.lang,
            since: p.since_ms,
        })
        .collect())
}

/// Tells every console of the site who is browsing now.
pub async fn push_visitors_now(relay: &Relay, site_id: i64) {
    if let Ok(list) = visitors_now(relay, site_id).await {
        deliver::to_site_staff(relay, site_id, &RelayToConsole::VisitorsNow(list)).await;
    }
}

/// A page view opened its socket.
pub async fn join(
    relay: &Relay,
    site_id: i64,
    page: String,
    title: Option<String>,
    referrer: Option<String>,
    lang: Option<String>,
) -> Result<PageviewRow, ErrorBody> {
    let p = PageviewRow {
        public_id: format!("pv_{}", random_id(16)),
        site_id,
        page,
        title,
        referrer,
        lang,
        since_ms: relay.chat.clock.now_ms(),
        invite: None,
    };
    relay
        .store
        .add_pageview(&p, &relay.live.node_id)
        .await
        .map_err(internal)?;
    push_visitors_now(relay, site_id).await;
    Ok(p)
}

pub async fn leave(relay: &Relay, p: &PageviewRow) {
    let _ = relay.store.remove_pageview(&p.public_id).await;
    push_visitors_now(relay, p.site_id).await;
}

/// An agent opens a conversation with a browsing visitor: the conversation is theirs at once,
/// with their line first, and the page view is invited.
pub async fn invite(
    relay: &Relay,
    me: &StaffIdentity,
    req: &InviteVisitor,
) -> Result<Opened, ErrorBody> {
    let p = relay
        .store
        .pageview(&req.pageview)
        .await
        .map_err(internal)?
        .filter(|p| p.site_id == me.site_id)
        .ok_or_else(|| ErrorBody::new(ErrorCode::VisitorLeft, "that visitor has left the site"))?;
    if p.invite.is_some() {
        return Err(ErrorBody::new(
            ErrorCode::BadField,
            "a colleague has invited this visitor already",
        ));
    }
    let now = relay.chat.clock.now_ms();
    // The visitor's real token is minted when the panel redeems the invitation.
    let token = random_token();
    let v = relay
        .store
        .create_chat_visitor(
            me.site_id,
            &format!("vis_{}", random_id(16)),
            &hash_token(token.expose()),
            now,
        )
        .await
        .map_err(internal)?;
    let mut row = v.clone();
    row.page = Some(p.page.clone());
    row.referrer = p.referrer.clone();
    row.lang = p.lang.clone();
    relay
        .store
        .note_chat_visitor(&row, now)
        .await
        .map_err(internal)?;
    let session = super::visitor::VisitorSession {
        visitor_id: v.id,
        public_id: v.public_id.clone(),
        site_id: me.site_id,
    };
    let c = super::visitor::start_for(relay, &session).await?;
    // The inviting agent takes it whatever their load: they chose to.
    if !relay
        .store
        .take_conversation(c.id, me.staff_id, now)
        .await
        .map_err(internal)?
    {
        return Err(ErrorBody::new(
            ErrorCode::Internal,
            "the conversation could not be opened; try again",
        ));
    }
    let c = relay
        .store
        .conversation_by_id(c.id)
        .await
        .map_err(internal)?
        .ok_or_else(super::unknown_conversation)?;
    lines::post(
        relay,
        &c,
        Post {
            writer: Writer::Staff {
                id: me.staff_id,
                name: &me.name,
            },
            text: &req.text,
            client_id: None,
            attachment_id: None,
            internal: false,
            visitor: Some(&v.public_id),
        },
    )
    .await?;
    let code = random_id(24);
    // Only the code's hash is kept; the code travels only to this page view's own socket.
    if !relay
        .store
        .invite_pageview(&p.public_id, &format!("{} {}", hash_token(&code), v.id))
        .await
        .map_err(internal)?
    {
        return Err(ErrorBody::new(
            ErrorCode::BadField,
            "a colleague has invited this visitor already",
        ));
    }
    let push = RelayToWidget::Invited(Invited {
        invite: code,
        agent: me.name.clone(),
        text: req.text.clone(),
    });
    deliver::to_visitor(relay, &subject_id(&p.public_id), push).await;
    push_visitors_now(relay, me.site_id).await;
    assign::push_colleague(relay, me.site_id, me.staff_id).await;
    Ok(Opened {
        conversation: assign::summary(relay, &c, me.staff_id).await,
    })
}

/// The panel's `chat_open` with an invitation: the invited visitor's token, once.
pub async fn redeem(
    relay: &Relay,
    site_id: i64,
    code: &str,
) -> Result<Option<ringlink_protocol::secret::Secret>, ErrorBody> {
    let Some(p) = relay
        .store
        .redeem_invite(site_id, &hash_token(code))
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    let Some(visitor_id) = p
        .invite
        .as_deref()
        .and_then(|i| i.split(' ').nth(1))
        .and_then(|v| v.parse().ok())
    else {
        return Ok(None);
    };
    let token = random_token();
    relay
        .store
        .set_visitor_token(visitor_id, &hash_token(token.expose()))
        .await
        .map_err(internal)?;
    Ok(Some(token))
}
