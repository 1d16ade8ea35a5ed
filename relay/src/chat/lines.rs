//! A line, stored once and then delivered to everyone in its conversation: the visitor's
//! widgets (never an internal note) and the staff console(s) of the agent or colleagues. The
//! sender's reply is the stored line: acknowledged means kept (CHAT-2).

use ringlink_protocol::chat::{AttachmentRef, Author, ChatLine};
use ringlink_protocol::console::{ConversationKind, RelayToConsole};
use ringlink_protocol::widget::RelayToWidget;
use ringlink_protocol::ErrorBody;

use super::store::conversations::ConversationRow;
use super::store::lines::{LineRow, NewLine};
use super::{deliver, internal};
use crate::Relay;

/// A line as the wire shows it.
pub async fn to_wire(relay: &Relay, conversation: &str, l: &LineRow) -> ChatLine {
    let author = match (l.sender.as_str(), l.author_staff) {
        ("visitor", _) => Author::Visitor,
        (_, Some(id)) => Author::Staff {
            id,
            name: l.author_name.clone().unwrap_or_default(),
        },
        _ => Author::System,
    };
    let attachment = match l.attachment_id {
        Some(id) => match relay.store.attachment_by_id(id).await {
            Ok(Some(a)) => Some(AttachmentRef {
                id: a.public_id,
                name: a.name,
                mime: a.mime,
                bytes: a.size,
            }),
            _ => None,
        },
        None => None,
    };
    ChatLine {
        conversation: conversation.to_owned(),
        seq: l.seq,
        author,
        text: l.text.clone(),
        attachment,
        internal: l.internal,
        at: l.at_ms,
        client_id: l.client_id.clone(),
    }
}

/// Who wrote a line being posted.
pub enum Writer<'a> {
    Visitor,
    Staff { id: i64, name: &'a str },
    System,
}

/// A line to post.
pub struct Post<'a> {
    pub writer: Writer<'a>,
    pub text: &'a str,
    pub client_id: Option<&'a str>,
    pub attachment_id: Option<i64>,
    pub internal: bool,
    /// The visitor's public id when the caller knows it (saves a lookup per line).
    pub visitor: Option<&'a str>,
}

/// Stores the line and, when it is new, delivers it. A retry with the same client id gets the
/// stored line back and delivers nothing twice.
pub async fn post(relay: &Relay, c: &ConversationRow, p: Post<'_>) -> Result<ChatLine, ErrorBody> {
    let sender = match p.writer {
        Writer::Visitor => "visitor".to_owned(),
        Writer::Staff { id, .. } => super::staff_key(id),
        Writer::System => "system".to_owned(),
    };
    let (author_staff, author_name) = match p.writer {
        Writer::Staff { id, name } => (Some(id), Some(name)),
        _ => (None, None),
    };
    let at_ms = relay.chat.clock.now_ms();
    let (row, fresh) = relay
        .store
        .insert_line(&NewLine {
            conversation_id: c.id,
            sender: &sender,
            author_staff,
            author_name,
            text: p.text,
            attachment_id: p.attachment_id,
            internal: p.internal,
            at_ms,
            client_id: p.client_id,
        })
        .await
        .map_err(internal)?;
    let line = to_wire(relay, &c.public_id, &row).await;
    if fresh {
        if let Some(a) = p.attachment_id {
            let _ = relay.store.bind_attachment(a, c.id).await;
        }
        deliver_line_to(relay, c, &line, p.visitor).await;
    }
    Ok(line)
}

/// Sends a stored line to the conversation's parties (`visitor`: the visitor's public id, when
/// known).
async fn deliver_line_to(
    relay: &Relay,
    c: &ConversationRow,
    line: &ChatLine,
    visitor: Option<&str>,
) {
    let staff_msg = RelayToConsole::Line(line.clone());
    match c.kind {
        ConversationKind::Visitor => {
            if !line.internal {
                let v = match visitor {
                    Some(v) => Some(v.to_owned()),
                    None => visitor_public(relay, c).await,
                };
                if let Some(v) = v {
                    deliver::to_visitor(relay, &v, RelayToWidget::Line(line.clone())).await;
                }
            }
            if let Some(a) = c.agent_id {
                deliver::to_staff(relay, a, &staff_msg).await;
            }
        }
        ConversationKind::Colleague => {
            for s in [c.agent_id, c.colleague_id].into_iter().flatten() {
                deliver::to_staff(relay, s, &staff_msg).await;
            }
        }
    }
}

/// The visitor's public id (their bus subject), for a visitor conversation.
pub async fn visitor_public(relay: &Relay, c: &ConversationRow) -> Option<String> {
    let id = c.visitor_id?;
    match relay.store.chat_visitor(id).await {
        Ok(v) => v.map(|v| v.public_id),
        Err(e) => {
            tracing::warn!("chat visitor lookup failed: {e}");
            None
        }
    }
}
