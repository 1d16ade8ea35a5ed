//! The visitor's side of CHAT, on the widget socket: opening the panel (a visitor id is minted
//! on the first open and is the visitor's credential), writing (the first line starts a
//! conversation and routes it, carrying what CHAT-8 asks), typing, read receipts, ending with a
//! rating, and leaving a message when no agent is free.

use ringlink_protocol::chat::*;
use ringlink_protocol::console::{ConversationKind, LeftMessage, RelayToConsole, VisitorInfo};
use ringlink_protocol::secret::Secret;
use ringlink_protocol::widget::RelayToWidget;
use ringlink_protocol::{ErrorBody, ErrorCode};

use super::lines::{self, Post, Writer};
use super::store::conversations::ConversationRow;
use super::store::site::VisitorRow;
use super::{assign, deliver, internal, visitor_key};
use crate::accounts::{hash_token, random_id, random_token};
use crate::Relay;

/// Lines a reopening panel is sent at most: a conversation longer than this shows its end.
pub const REPLAY_AT_MOST: i64 = 500;

/// A visitor a widget socket opened chat for.
#[derive(Clone, Debug)]
pub struct VisitorSession {
    pub visitor_id: i64,
    pub public_id: String,
    pub site_id: i64,
}

/// Opens the chat panel: finds the visitor by their id (or mints one), notes the page, and
/// returns the open conversation's status.
pub async fn open(
    relay: &Relay,
    site_id: i64,
    address: &str,
    member: Option<String>,
    req: &ChatOpen,
) -> Result<(VisitorSession, ChatOpened), ErrorBody> {
    let now = relay.chat.clock.now_ms();
    // An agent's invitation (CHAT-9) makes this panel the invited visitor's.
    let invited = match &req.invite {
        Some(code) => super::pageviews::redeem(relay, site_id, code).await?,
        None => None,
    };
    let offered = invited.or_else(|| req.visitor.clone());
    let known = match &offered {
        Some(t) => relay
            .store
            .chat_visitor_by_token(&hash_token(t.expose()))
            .await
            .map_err(internal)?
            .filter(|v| v.site_id == site_id),
        None => None,
    };
    let (mut v, token): (VisitorRow, Secret) = match (known, &offered) {
        (Some(v), Some(t)) => (v, t.clone()),
        _ => {
            let token = random_token();
            let public_id = format!("vis_{}", random_id(16));
            let v = relay
                .store
                .create_chat_visitor(site_id, &public_id, &hash_token(token.expose()), now)
                .await
                .map_err(internal)?;
            (v, token)
        }
    };
    v.page = req.page.clone().or(v.page);
    v.referrer = req.referrer.clone().or(v.referrer);
    v.lang = req.lang.clone().or(v.lang);
    v.ip = address.to_owned();
    v.member = member.or(v.member);
    relay
        .store
        .note_chat_visitor(&v, now)
        .await
        .map_err(internal)?;
    let session = VisitorSession {
        visitor_id: v.id,
        public_id: v.public_id.clone(),
        site_id,
    };
    let open = relay
        .store
        .open_conversation_of_visitor(v.id)
        .await
        .map_err(internal)?;
    let (status, unread) = match &open {
        Some(c) => (
            Some(assign::status(relay, c).await),
            unread(relay, c).await.map_err(internal)?,
        ),
        None => (None, 0),
    };
    let agents_online = assign::agents_online(relay, site_id).await;
    // Before the first line there is no conversation to carry the offer, so it comes here.
    let offer = if agents_online == 0 && status.is_none() {
        Some(ringlink_protocol::chat::NoAgentOffer {
            call_button: assign::settings(relay, site_id).await.call_button,
            leave_message: true,
        })
    } else {
        None
    };
    let opened = ChatOpened {
        visitor: token,
        status,
        agents_online,
        unread,
        offer,
    };
    Ok((session, opened))
}

/// The lines of the visitor's open conversation after `since` (internal notes never), for a
/// panel that reopens: read after the visitor's subscription started, so nothing falls
/// between; a line in both arrives twice with one `seq`, and the panel keeps the first.
///
/// With `since`, the lines after it, oldest first, at most [`REPLAY_AT_MOST`] (ask again from
/// the last to page on); without, the newest [`REPLAY_AT_MOST`] (a fresh tab shows the end).
pub async fn missed(relay: &Relay, v: &VisitorSession, since: Option<u64>) -> Vec<RelayToWidget> {
    let Ok(Some(c)) = relay.store.open_conversation_of_visitor(v.visitor_id).await else {
        return Vec::new();
    };
    let rows = match since {
        Some(since) => {
            relay
                .store
                .lines_after(&[c.id], since, REPLAY_AT_MOST)
                .await
        }
        None => relay.store.lines_before(c.id, None, REPLAY_AT_MOST).await,
    }
    .unwrap_or_default();
    let mut out = Vec::new();
    for l in rows.iter().filter(|l| !l.internal) {
        out.push(RelayToWidget::Line(
            lines::to_wire(relay, &c.public_id, l).await,
        ));
    }
    out
}

/// The visitor's line. The first one starts the conversation, with the visitor's address,
/// time, site, page, referrer and language for the agent (CHAT-8), and routes it (CHAT-4).
pub async fn send(
    relay: &Relay,
    v: &VisitorSession,
    req: &ChatSend,
) -> Result<ChatSent, ErrorBody> {
    let attachment_id = match &req.attachment {
        Some(a) => {
            Some(super::attachments::own_upload(relay, a, &visitor_key(v.visitor_id)).await?)
        }
        None => None,
    };
    let (c, fresh) = match relay
        .store
        .open_conversation_of_visitor(v.visitor_id)
        .await
        .map_err(internal)?
    {
        Some(c) => (c, false),
        None => (start_for(relay, v).await?, true),
    };
    let line = lines::post(
        relay,
        &c,
        Post {
            writer: Writer::Visitor,
            text: &req.text,
            client_id: Some(&req.client_id),
            attachment_id,
            internal: false,
            visitor: Some(&v.public_id),
        },
    )
    .await?;
    // The line's insert started the no-reply clock (CHAT-5) if it was not running.
    if fresh && !assign::route(relay, &c, None).await.map_err(internal)? {
        assign::push_status(relay, &c).await;
    }
    Ok(ChatSent { line })
}

/// A new conversation with what the agent is told about the visitor (CHAT-8).
pub(crate) async fn start_for(
    relay: &Relay,
    v: &VisitorSession,
) -> Result<ConversationRow, ErrorBody> {
    let row = relay
        .store
        .chat_visitor(v.visitor_id)
        .await
        .map_err(internal)?
        .ok_or_else(not_open)?;
    let site = relay
        .store
        .list_sites()
        .await
        .map_err(internal)?
        .into_iter()
        .find(|s| s.id == v.site_id)
        .map(|s| s.name)
        .unwrap_or_default();
    let now = relay.chat.clock.now_ms();
    let info = VisitorInfo {
        ip: row.ip,
        at: now,
        site,
        page: row.page,
        referrer: row.referrer,
        lang: row.lang,
        member: row.member,
    };
    let body = serde_json::to_string(&info).expect("visitor info serializes");
    relay
        .store
        .create_visitor_conversation(
            v.site_id,
            v.visitor_id,
            &format!("cv_{}", random_id(16)),
            &body,
            now,
        )
        .await
        .map_err(internal)
}

/// The lines of `c` its visitor has not read.
pub async fn unread(relay: &Relay, c: &ConversationRow) -> Result<u32, crate::store::StoreError> {
    relay.store.unread_count(c.id, "visitor", true).await
}

pub fn not_open() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::ChatNotOpen,
        "open the chat panel first (chat_open)",
    )
}

async fn current(relay: &Relay, v: &VisitorSession) -> Result<Option<ConversationRow>, ErrorBody> {
    relay
        .store
        .open_conversation_of_visitor(v.visitor_id)
        .await
        .map_err(internal)
}

/// Tells the agent the visitor is typing.
pub async fn typing(relay: &Relay, v: &VisitorSession, typing: bool) -> Result<ChatAck, ErrorBody> {
    if let Some(c) = current(relay, v).await? {
        if let Some(a) = c.agent_id {
            let n = TypingNotice {
                conversation: c.public_id.clone(),
                who: Author::Visitor,
                typing,
            };
            deliver::to_staff(relay, a, &RelayToConsole::Typing(n)).await;
        }
    }
    Ok(ChatAck {})
}

/// The visitor has read up to `upto`: the agent sees the receipt.
pub async fn read(relay: &Relay, v: &VisitorSession, upto: u64) -> Result<ChatAck, ErrorBody> {
    if let Some(c) = current(relay, v).await? {
        let upto = upto.min(c.last_seq);
        relay
            .store
            .set_read(c.id, "visitor", upto)
            .await
            .map_err(internal)?;
        if let Some(a) = c.agent_id {
            let n = ReadNotice {
                conversation: c.public_id.clone(),
                who: Author::Visitor,
                upto,
            };
            deliver::to_staff(relay, a, &RelayToConsole::Read(n)).await;
        }
    }
    Ok(ChatAck {})
}

/// The visitor ends the conversation (or rates the one that just ended).
pub async fn end(relay: &Relay, v: &VisitorSession, req: &ChatEnd) -> Result<ChatAck, ErrorBody> {
    let now = relay.chat.clock.now_ms();
    match current(relay, v).await? {
        Some(c) => {
            let freed = relay
                .store
                .end_conversation(c.id, now, req.rating, req.comment.as_deref())
                .await
                .map_err(internal)?;
            if let Some(agent) = freed {
                ended(relay, &c, agent).await;
            }
        }
        None => {
            // Rating the conversation an agent just closed.
            if let Some(r) = req.rating {
                if let Some(c) = last_ended(relay, v).await? {
                    relay
                        .store
                        .rate_conversation(c.id, r, req.comment.as_deref())
                        .await
                        .map_err(internal)?;
                }
            }
        }
    }
    Ok(ChatAck {})
}

async fn last_ended(
    relay: &Relay,
    v: &VisitorSession,
) -> Result<Option<ConversationRow>, ErrorBody> {
    let c = relay
        .store
        .latest_conversation_of_visitor(v.visitor_id)
        .await
        .map_err(internal)?;
    Ok(c.filter(|c| c.state == ConversationState::Ended))
}

/// After a visitor conversation ended: the visitor and agent are told, and the freed slot
/// serves the queue.
pub async fn ended(relay: &Relay, c: &ConversationRow, agent: Option<i64>) {
    let Ok(Some(now)) = relay.store.conversation_by_id(c.id).await else {
        return;
    };
    assign::push_status(relay, &now).await;
    if let Some(a) = agent {
        let s = assign::summary(relay, &now, a).await;
        deliver::to_staff(relay, a, &RelayToConsole::Conversation(s)).await;
    }
    if let Err(e) = assign::serve_queue(relay, c.site_id).await {
        tracing::warn!("chat queue not served: {e}");
    }
    if let Some(a) = agent {
        assign::push_colleague(relay, c.site_id, a).await;
    }
}

/// "Leave a message" while no agent is free: stored for the site's staff, who see it in the
/// console (now, if any are signed in, or when they come online).
pub async fn leave_message(
    relay: &Relay,
    site_id: i64,
    address: &str,
    req: &LeaveMessage,
) -> Result<MessageLeft, ErrorBody> {
    let now = relay.chat.clock.now_ms();
    let number = if req.reply_by_sms || !req.number.trim().is_empty() {
        relay
            .accounts
            .parse_number(&req.number)
            .map_err(|e| ErrorBody::new(ErrorCode::InvalidNumber, e.to_string()))?
            .to_string()
    } else {
        String::new()
    };
    let recent = relay
        .store
        .left_messages_from(address, now - 3_600_000)
        .await
        .map_err(internal)?;
    if recent >= i64::from(relay.chat.config.left_messages_per_hour) {
        return Err(ErrorBody {
            code: ErrorCode::RateLimited,
            message: "you have left several messages already: the shop will answer them".into(),
            retry_after: Some(3600),
        });
    }
    let id = format!("lm_{}", random_id(16));
    relay
        .store
        .insert_left_message(
            site_id,
            &id,
            &req.name,
            &number,
            &req.text,
            req.reply_by_sms,
            address,
            now,
        )
        .await
        .map_err(internal)?;
    let msg = LeftMessage {
        id,
        name: req.name.clone(),
        number,
        text: req.text.clone(),
        reply_by_sms: req.reply_by_sms,
        at: now,
        answered_by: None,
    };
    deliver::to_site_staff(relay, site_id, &RelayToConsole::LeftMessages(vec![msg])).await;
    Ok(MessageLeft {})
}

/// The visitor's last widget went away: their agent sees them gone once the grace
/// (`VISITOR_GONE_AFTER_MS`) passed without a new one, when replies are refused too; a page
/// navigation reconnects within it and shows nothing.
pub fn gone_after_grace(relay: std::sync::Arc<Relay>, v: VisitorSession) {
    let tasks = relay.tasks.clone();
    tasks.spawn(async move {
        let grace = super::desk::VISITOR_GONE_AFTER_MS.unsigned_abs() + 250;
        tokio::select! {
            _ = relay.shutdown.cancelled() => {}
            _ = tokio::time::sleep(std::time::Duration::from_millis(grace)) => {
                presence_changed(&relay, &v).await;
            }
        }
    });
}

/// The visitor's widget connected or went away: their agent's list shows whether they are here.
pub async fn presence_changed(relay: &Relay, v: &VisitorSession) {
    let Ok(Some(c)) = relay.store.open_conversation_of_visitor(v.visitor_id).await else {
        return;
    };
    if c.kind == ConversationKind::Visitor {
        if let Some(a) = c.agent_id {
            let s = assign::summary(relay, &c, a).await;
            deliver::to_staff(relay, a, &RelayToConsole::Conversation(s)).await;
        }
    }
}
