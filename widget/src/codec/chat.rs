//! The chat's relay frames (CHAT), read field by field like the rest of the codec: lines,
//! statuses, typing and read notices, and the answers to the visitor's requests.

use ringlink_protocol::chat::*;
use ringlink_protocol::secret::Secret;
use ringlink_protocol::widget::RelayToWidget;

use super::Json;

fn author<J: Json>(a: &J) -> Option<Author> {
    match a.field("kind")?.text()?.as_str() {
        "visitor" => Some(Author::Visitor),
        "system" => Some(Author::System),
        "staff" => Some(Author::Staff {
            id: a.field("id")?.int()?,
            name: a.field("name")?.text()?,
        }),
        _ => None,
    }
}

fn state(name: &str) -> Option<ConversationState> {
    match name {
        "waiting" => Some(ConversationState::Waiting),
        "active" => Some(ConversationState::Active),
        "ended" => Some(ConversationState::Ended),
        _ => None,
    }
}

pub(super) fn line<J: Json>(d: &J) -> Option<ChatLine> {
    let text = |k: &str| d.field(k).and_then(|v| v.text());
    let attachment = match d.field("attachment") {
        Some(a) => Some(AttachmentRef {
            id: a.field("id")?.text()?,
            name: a.field("name")?.text()?,
            mime: a.field("mime")?.text()?,
            bytes: a.field("bytes")?.uint()?,
        }),
        None => None,
    };
    Some(ChatLine {
        conversation: text("conversation")?,
        seq: d.field("seq")?.uint()?,
        author: author(&d.field("author")?)?,
        text: text("text")?,
        attachment,
        internal: d.field("internal").and_then(|v| v.flag()).unwrap_or(false),
        at: d.field("at")?.int()?,
        client_id: text("client_id"),
    })
}

fn status<J: Json>(d: &J) -> Option<ChatStatus> {
    let queue = match d.field("queue") {
        Some(q) => Some(QueuePlace {
            position: u32::try_from(q.field("position")?.uint()?).ok()?,
            wait_secs: u32::try_from(q.field("wait_secs")?.uint()?).ok()?,
        }),
        None => None,
    };
    let offer = match d.field("offer") {
        Some(o) => Some(NoAgentOffer {
            call_button: o.field("call_button").and_then(|v| v.text()),
            leave_message: o.field("leave_message")?.flag()?,
        }),
        None => None,
    };
    Some(ChatStatus {
        conversation: d.field("conversation")?.text()?,
        state: state(&d.field("state")?.text()?)?,
        agent: d.field("agent").and_then(|v| v.text()),
        queue,
        offer,
    })
}

/// A chat frame of type `kind`, or `None` when it is not one (or is malformed).
pub(super) fn decode<J: Json>(kind: &str, d: &J) -> Option<RelayToWidget> {
    let count = |k: &str| {
        d.field(k)
            .and_then(|v| v.uint())
            .and_then(|n| u32::try_from(n).ok())
    };
    Some(match kind {
        "chat_opened" => RelayToWidget::ChatOpened(ChatOpened {
            visitor: Secret::new(d.field("visitor")?.text()?),
            status: match d.field("status") {
                Some(s) => Some(status(&s)?),
                None => None,
            },
            agents_online: count("agents_online")?,
            unread: count("unread")?,
            offer: match d.field("offer") {
                Some(o) => Some(NoAgentOffer {
                    call_button: o.field("call_button").and_then(|v| v.text()),
                    leave_message: o.field("leave_message")?.flag()?,
                }),
                None => None,
            },
        }),
        "chat_sent" => RelayToWidget::ChatSent(ChatSent {
            line: line(&d.field("line")?)?,
        }),
        "chat_ack" => RelayToWidget::ChatAck(ChatAck {}),
        "message_left" => RelayToWidget::MessageLeft(MessageLeft {}),
        "line" => RelayToWidget::Line(line(d)?),
        "chat_status" => RelayToWidget::ChatStatus(status(d)?),
        "typing" => RelayToWidget::Typing(TypingNotice {
            conversation: d.field("conversation")?.text()?,
            who: author(&d.field("who")?)?,
            typing: d.field("typing")?.flag()?,
        }),
        "read" => RelayToWidget::Read(ReadNotice {
            conversation: d.field("conversation")?.text()?,
            who: author(&d.field("who")?)?,
            upto: d.field("upto")?.uint()?,
        }),
        "invited" => RelayToWidget::Invited(Invited {
            invite: d.field("invite")?.text()?,
            agent: d.field("agent")?.text()?,
            text: d.field("text")?.text()?,
        }),
        _ => return None,
    })
}
