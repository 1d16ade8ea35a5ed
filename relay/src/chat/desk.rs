//! The agent's side of CHAT, on the console socket: what a signed-in console is sent first,
//! states (CHAT-5), replies and internal notes, typing and read receipts, closing, transfers
//! with a note and an accept timer, and colleague conversations (CHAT-3, CHAT-7). History and
//! search are in [`super::archive`], SMS in [`super::sms`].

use ringlink_protocol::chat::*;
use ringlink_protocol::console::*;
use ringlink_protocol::widget::RelayToWidget;
use ringlink_protocol::{ErrorBody, ErrorCode, E164};

use super::lines::{self, Post, Writer};
use super::staff::StaffIdentity;
use super::store::conversations::ConversationRow;
use super::{assign, deliver, internal, staff_key, unknown_conversation, visitor_key};
use crate::accounts::random_id;
use crate::Relay;

/// A visitor whose last widget closed this long ago has left (CHAT-7): a reload or a
/// navigation to the next page reconnects well within it.
pub const VISITOR_GONE_AFTER_MS: i64 = 20_000;
/// Lines a reconnecting console is sent at most; it fetches older ones with `get_history`.
pub const REPLAY_AT_MOST: i64 = 1000;
/// SMS a staff member may send per hour from the chat (answers to left messages, colleague
/// notices), on top of the site's and the service's SMS caps.
pub const SMS_PER_STAFF_HOUR: u32 = 20;
/// Left messages shown to a console that signs in: the last week's.
const LEFT_MESSAGES_FOR_MS: i64 = 7 * 24 * 3_600_000;

/// What a console is sent after sign-in: its conversations, colleagues, recent left messages,
/// and (resuming) the lines after `since`. Coming online also serves the site's queue.
pub async fn signed_in(
    relay: &Relay,
    me: &StaffIdentity,
    since: Option<u64>,
) -> Vec<RelayToConsole> {
    let mut out = Vec::new();
    let convs = relay
        .store
        .conversations_of_staff(me.staff_id)
        .await
        .unwrap_or_default();
    let mut list = Vec::new();
    for c in &convs {
        list.push(assign::summary(relay, c, me.staff_id).await);
    }
    out.push(RelayToConsole::Conversations(list));
    if let Ok(staff) = relay.store.staff_of_site(me.site_id).await {
        out.push(RelayToConsole::Colleagues(
            staff.iter().map(|s| s.view()).collect(),
        ));
    }
    let now = relay.chat.clock.now_ms();
    if let Ok(left) = relay
        .store
        .left_messages(me.site_id, now - LEFT_MESSAGES_FOR_MS)
        .await
    {
        out.push(RelayToConsole::LeftMessages(
            left.into_iter()
                .map(|l| LeftMessage {
                    id: l.public_id,
                    name: l.name,
                    number: l.number,
                    text: l.text,
                    reply_by_sms: l.reply_by_sms,
                    at: l.at_ms,
                    answered_by: l.answered_by,
                })
                .collect(),
        ));
    }
    if let Ok(list) = super::pageviews::visitors_now(relay, me.site_id).await {
        out.push(RelayToConsole::VisitorsNow(list));
    }
    if let Some(since) = since {
        let ids: Vec<i64> = convs.iter().map(|c| c.id).collect();
        let by_id: std::collections::HashMap<i64, &ConversationRow> =
            convs.iter().map(|c| (c.id, c)).collect();
        for l in relay
            .store
            .lines_after(&ids, since, REPLAY_AT_MOST)
            .await
            .unwrap_or_default()
        {
            if let Some(c) = by_id.get(&l.conversation_id) {
                out.push(RelayToConsole::Line(
                    lines::to_wire(relay, &c.public_id, &l).await,
                ));
            }
        }
    }
    if let Err(e) = assign::serve_queue(relay, me.site_id).await {
        tracing::warn!("chat queue not served: {e}");
    }
    assign::push_colleague(relay, me.site_id, me.staff_id).await;
    out
}

/// Changes the agent's state. Normal serves the queue; offline starts the grace period after
/// which the keeper moves the agent's visitors (CHAT-5).
pub async fn set_state(
    relay: &Relay,
    me: &StaffIdentity,
    state: AgentState,
) -> Result<StateSet, ErrorBody> {
    let now = relay.chat.clock.now_ms();
    relay
        .store
        .set_agent_state(me.staff_id, state, now)
        .await
        .map_err(internal)?;
    if state == AgentState::Normal {
        assign::serve_queue(relay, me.site_id)
            .await
            .map_err(internal)?;
    }
    assign::push_colleague(relay, me.site_id, me.staff_id).await;
    // Waiting visitors' offers change when the last agent leaves or the first arrives.
    let _ = assign::push_queue(relay, me.site_id).await;
    relay.chat.wake.notify_one();
    Ok(StateSet { state })
}

/// One of this staff member's conversations by its public id; another site's, or one they are
/// not part of, reads as unknown (no id guessing across tenants).
pub(super) async fn mine(
    relay: &Relay,
    me: &StaffIdentity,
    public_id: &str,
) -> Result<ConversationRow, ErrorBody> {
    let c = relay
        .store
        .conversation_by_public(public_id)
        .await
        .map_err(internal)?
        .filter(|c| c.site_id == me.site_id)
        .ok_or_else(unknown_conversation)?;
    if c.has_staff(me.staff_id) || c.transfer_to == Some(me.staff_id) {
        Ok(c)
    } else {
        Err(unknown_conversation())
    }
}

/// True while the visitor has a widget open, or closed one moments ago (a navigation).
pub async fn visitor_here(relay: &Relay, c: &ConversationRow) -> bool {
    let Some(v) = c.visitor_id else { return false };
    if relay
        .store
        .chat_connections_of(&visitor_key(v))
        .await
        .unwrap_or(0)
        > 0
    {
        return true;
    }
    let seen = relay
        .store
        .visitor_last_seen(v)
        .await
        .ok()
        .flatten()
        .unwrap_or(0);
    relay.chat.clock.now_ms() - seen < VISITOR_GONE_AFTER_MS
}

/// A line from staff: a reply or internal note to a visitor they serve, or a line to a colleague.
pub async fn send(
    relay: &Relay,
    me: &StaffIdentity,
    req: &StaffSend,
) -> Result<ChatSent, ErrorBody> {
    let c = mine(relay, me, &req.conversation).await?;
    let attachment_id = match &req.attachment {
        Some(a) => Some(
            super::attachments::staff_file(relay, me.site_id, a, &staff_key(me.staff_id)).await?,
        ),
        None => None,
    };
    let state = relay
        .store
        .staff_by_id(me.staff_id)
        .await
        .map_err(internal)?
        .map(|s| s.state)
        .unwrap_or(AgentState::Offline);
    match c.kind {
        ConversationKind::Visitor => {
            if c.state != ConversationState::Active || c.agent_id != Some(me.staff_id) {
                return Err(ErrorBody::new(
                    ErrorCode::UnknownConversation,
                    "this conversation is no longer yours: it ended or moved to a colleague",
                ));
            }
            if !req.internal && !visitor_here(relay, &c).await {
                return Err(ErrorBody::new(
                    ErrorCode::VisitorLeft,
                    "the visitor has left the site, so this line cannot reach them; add an internal note instead",
                ));
            }
        }
        ConversationKind::Colleague => {
            if state == AgentState::Offline {
                return Err(ErrorBody::new(
                    ErrorCode::NotStaff,
                    "you are offline: go normal or busy to talk with colleagues",
                ));
            }
        }
    }
    let line = lines::post(
        relay,
        &c,
        Post {
            writer: Writer::Staff {
                id: me.staff_id,
                name: &me.name,
            },
            text: &req.text,
            client_id: Some(&req.client_id),
            attachment_id,
            internal: req.internal && c.kind == ConversationKind::Visitor,
            visitor: None,
        },
    )
    .await?;
    if c.kind == ConversationKind::Visitor && !req.internal {
        relay
            .store
            .mark_answered(c.id, relay.chat.clock.now_ms())
            .await
            .map_err(internal)?;
    }
    if c.kind == ConversationKind::Colleague {
        if let Some(other) = other_staff(me, &c) {
            colleague_away(relay, me, other, &req.text).await;
        }
    }
    Ok(ChatSent { line })
}

/// A line to a colleague who is offline waits for their next sign-in (it is stored and shows
/// as unread), or goes by SMS when they chose that and have a number (CHAT-7).
async fn colleague_away(relay: &Relay, me: &StaffIdentity, other: i64, text: &str) {
    let Ok(Some(o)) = relay.store.staff_by_id(other).await else {
        return;
    };
    let online = relay
        .store
        .chat_connections_of(&staff_key(other))
        .await
        .unwrap_or(0)
        > 0;
    if online && o.state != AgentState::Offline {
        return;
    }
    if !o.sms_offline {
        return;
    }
    let Some(number) = o.number.as_deref().and_then(|n| E164::new(n).ok()) else {
        return;
    };
    let body = format!(
        "{}: {}",
        me.name,
        text.chars().take(140).collect::<String>()
    );
    if let Err(e) = super::sms::send(relay, me, &number, &body).await {
        tracing::info!(staff = other, "colleague SMS not sent: {}", e.message);
    }
}

pub async fn typing(
    relay: &Relay,
    me: &StaffIdentity,
    req: &StaffTyping,
) -> Result<ChatAck, ErrorBody> {
    let c = mine(relay, me, &req.conversation).await?;
    let who = Author::Staff {
        id: me.staff_id,
        name: me.name.clone(),
    };
    let n = TypingNotice {
        conversation: c.public_id.clone(),
        who,
        typing: req.typing,
    };
    to_other_side(
        relay,
        me,
        &c,
        RelayToWidget::Typing(n.clone()),
        RelayToConsole::Typing(n),
    )
    .await;
    Ok(ChatAck {})
}

/// The other side of `me` in `c`: the visitor of a visitor conversation, the colleague of a
/// colleague one.
fn other_staff(me: &StaffIdentity, c: &ConversationRow) -> Option<i64> {
    if c.agent_id == Some(me.staff_id) {
        c.colleague_id
    } else {
        c.agent_id
    }
}

/// Sends a notice (typing, read) to the other side of `me` in `c`.
async fn to_other_side(
    relay: &Relay,
    me: &StaffIdentity,
    c: &ConversationRow,
    to_visitor: RelayToWidget,
    to_staff: RelayToConsole,
) {
    match c.kind {
        ConversationKind::Visitor => {
            if let Some(v) = lines::visitor_public(relay, c).await {
                deliver::to_visitor(relay, &v, to_visitor).await;
            }
        }
        ConversationKind::Colleague => {
            if let Some(o) = other_staff(me, c) {
                deliver::to_staff(relay, o, &to_staff).await;
            }
        }
    }
}

pub async fn read(
    relay: &Relay,
    me: &StaffIdentity,
    req: &StaffRead,
) -> Result<ChatAck, ErrorBody> {
    let c = mine(relay, me, &req.conversation).await?;
    let upto = req.upto.min(c.last_seq);
    relay
        .store
        .set_read(c.id, &staff_key(me.staff_id), upto)
        .await
        .map_err(internal)?;
    let who = Author::Staff {
        id: me.staff_id,
        name: me.name.clone(),
    };
    let n = ReadNotice {
        conversation: c.public_id.clone(),
        who,
        upto,
    };
    to_other_side(
        relay,
        me,
        &c,
        RelayToWidget::Read(n.clone()),
        RelayToConsole::Read(n),
    )
    .await;
    Ok(ChatAck {})
}

pub async fn close(
    relay: &Relay,
    me: &StaffIdentity,
    req: &CloseConversation,
) -> Result<ChatAck, ErrorBody> {
    let c = mine(relay, me, &req.conversation).await?;
    if c.kind != ConversationKind::Visitor || c.agent_id != Some(me.staff_id) {
        return Err(unknown_conversation());
    }
    let now = relay.chat.clock.now_ms();
    if let Some(agent) = relay
        .store
        .end_conversation(c.id, now, None, None)
        .await
        .map_err(internal)?
    {
        super::visitor::ended(relay, &c, agent).await;
    }
    Ok(ChatAck {})
}

/// Offers a visitor conversation to a colleague of the same site, with a note; unanswered
/// within the site's `transfer_secs`, it stays with this agent.
pub async fn transfer(
    relay: &Relay,
    me: &StaffIdentity,
    req: &Transfer,
) -> Result<ChatAck, ErrorBody> {
    let c = mine(relay, me, &req.conversation).await?;
    if c.kind != ConversationKind::Visitor || c.agent_id != Some(me.staff_id) {
        return Err(unknown_conversation());
    }
    let to = relay
        .store
        .staff_by_id(req.to)
        .await
        .map_err(internal)?
        .filter(|s| s.site_id == me.site_id && s.id != me.staff_id && !s.disabled)
        .ok_or_else(|| ErrorBody::new(ErrorCode::BadField, "no such colleague on this site"))?;
    if to.state == AgentState::Offline {
        return Err(ErrorBody::new(
            ErrorCode::BadField,
            format!("{} is offline: choose a colleague who is online", to.name),
        ));
    }
    let s = assign::settings(relay, me.site_id).await;
    let until = relay.chat.clock.now_ms() + i64::from(s.transfer_secs) * 1000;
    if !relay
        .store
        .set_transfer(c.id, me.staff_id, Some((to.id, &req.note, until)))
        .await
        .map_err(internal)?
    {
        return Err(unknown_conversation());
    }
    let offer = TransferOffer {
        conversation: c.public_id.clone(),
        from: me.staff_id,
        note: req.note.clone(),
        expires_at: until,
    };
    deliver::to_staff(relay, to.id, &RelayToConsole::TransferOffer(offer)).await;
    Ok(ChatAck {})
}

pub async fn answer_transfer(
    relay: &Relay,
    me: &StaffIdentity,
    req: &AnswerTransfer,
) -> Result<ChatAck, ErrorBody> {
    let c = mine(relay, me, &req.conversation).await?;
    let (Some(from), Some(to)) = (c.agent_id, c.transfer_to) else {
        return Err(ErrorBody::new(
            ErrorCode::UnknownConversation,
            "that transfer is no longer open",
        ));
    };
    if to != me.staff_id {
        return Err(unknown_conversation());
    }
    if !req.accept {
        relay
            .store
            .set_transfer(c.id, from, None)
            .await
            .map_err(internal)?;
        let s = assign::summary(relay, &c, from).await;
        deliver::to_staff(relay, from, &RelayToConsole::Conversation(s)).await;
        return Ok(ChatAck {});
    }
    let now = relay.chat.clock.now_ms();
    if !relay
        .store
        .hand_over(c.id, from, me.staff_id, now)
        .await
        .map_err(internal)?
    {
        return Err(ErrorBody::new(
            ErrorCode::UnknownConversation,
            "that transfer is no longer open",
        ));
    }
    deliver::to_staff(
        relay,
        from,
        &RelayToConsole::ConversationGone(c.public_id.clone()),
    )
    .await;
    if let Ok(Some(now_c)) = relay.store.conversation_by_id(c.id).await {
        let s = assign::summary(relay, &now_c, me.staff_id).await;
        deliver::to_staff(relay, me.staff_id, &RelayToConsole::Conversation(s)).await;
        let text = format!("{} is now serving you", me.name);
        let _ = lines::post(
            relay,
            &now_c,
            Post {
                writer: Writer::System,
                text: &text,
                client_id: None,
                attachment_id: None,
                internal: false,
                visitor: None,
            },
        )
        .await;
        assign::push_status(relay, &now_c).await;
    }
    for s in [from, me.staff_id] {
        assign::push_colleague(relay, me.site_id, s).await;
    }
    Ok(ChatAck {})
}

pub async fn open_colleague(
    relay: &Relay,
    me: &StaffIdentity,
    req: &OpenColleague,
) -> Result<Opened, ErrorBody> {
    let other = relay
        .store
        .staff_by_id(req.staff)
        .await
        .map_err(internal)?
        .filter(|s| s.site_id == me.site_id && s.id != me.staff_id)
        .ok_or_else(|| ErrorBody::new(ErrorCode::BadField, "no such colleague on this site"))?;
    let c = relay
        .store
        .colleague_conversation(
            me.site_id,
            me.staff_id,
            other.id,
            &format!("cc_{}", random_id(16)),
            relay.chat.clock.now_ms(),
        )
        .await
        .map_err(internal)?;
    // The colleague's console lists it now: a line for a conversation it does not know would
    // have nowhere to show.
    let theirs = assign::summary(relay, &c, other.id).await;
    deliver::to_staff(relay, other.id, &RelayToConsole::Conversation(theirs)).await;
    Ok(Opened {
        conversation: assign::summary(relay, &c, me.staff_id).await,
    })
}
