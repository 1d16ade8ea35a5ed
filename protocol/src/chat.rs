//! CHAT messages the visitor's widget and the staff console share: a conversation's lines, who
//! wrote them, typing and read notices, the conversation's status (agent, queue place, the
//! "no agent free" offer), and the visitor's requests on the widget socket (CHAT-1, CHAT-8).

use serde::{Deserialize, Serialize};

use crate::error::{bad_field, check_len, ErrorBody};
use crate::limits::*;
use crate::secret::Secret;

/// Who wrote a line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Author {
    /// The site's visitor (anonymous, or a member who signed in).
    Visitor,
    /// A staff member, by the name the visitor sees (CHAT-6: name, account or number).
    Staff { id: i64, name: String },
    /// The relay: "Li is now serving you", "the visitor left".
    System,
}

/// A file attached to a line: an image or a PDF, its type checked by content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AttachmentRef {
    /// Random; fetched from `/v1/chat/attachments/{id}` by the conversation's parties only.
    pub id: String,
    pub name: String,
    /// `image/png`, `image/jpeg`, `image/gif`, `image/webp` or `application/pdf`.
    pub mime: String,
    pub bytes: u64,
}

/// One stored line of a conversation (CHAT-2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ChatLine {
    /// The conversation's public id.
    pub conversation: String,
    /// Grows within a conversation (with gaps); resume with the last one seen.
    pub seq: u64,
    pub author: Author,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<AttachmentRef>,
    /// An internal note: staff see it, the visitor never does.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
    /// Unix milliseconds, when the relay stored it.
    pub at: i64,
    /// The sender's id for this line: a retry with the same id is stored once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// Where a visitor's conversation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConversationState {
    /// Waiting in the site's queue for an agent.
    Waiting,
    /// An agent is serving it.
    Active,
    /// Closed by either side, or the visitor left for good.
    Ended,
}

/// A visitor's place in the queue when every agent is full (CHAT-4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct QueuePlace {
    /// 1 is next.
    pub position: u32,
    /// A rough estimate from recent conversations' handling times.
    pub wait_secs: u32,
}

/// No agent can take the visitor: what the panel offers instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NoAgentOffer {
    /// The merchant's "call me back" button (a CALL button key), when it chose one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_button: Option<String>,
    /// "Leave a message" is always offered.
    pub leave_message: bool,
}

/// The visitor's conversation now: pushed on every change (an agent took it, it moved to
/// another agent, the queue moved, it ended).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ChatStatus {
    pub conversation: String,
    pub state: ConversationState,
    /// The agent's name as the visitor sees it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueuePlace>,
    /// Set when no agent is online to take the visitor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<NoAgentOffer>,
}

/// Someone in the conversation started or stopped typing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TypingNotice {
    pub conversation: String,
    pub who: Author,
    pub typing: bool,
}

/// The other side has read the conversation up to `upto` (read receipts).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ReadNotice {
    pub conversation: String,
    pub who: Author,
    pub upto: u64,
}

/// Pushed on the loader's page-view socket (CHAT-9): an agent opened a chat with this page
/// view. The loader opens the panel with `invite`, and the panel's `chat_open` redeems it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Invited {
    pub invite: String,
    pub agent: String,
    pub text: String,
}

// ---- The visitor's requests on the widget socket --------------------------------------------

/// Open the chat panel. A visitor id is minted on the first open and kept in the frame's
/// storage; it is the visitor's credential, so it is a secret. Answered by [`ChatOpened`], then
/// the lines after `since` are pushed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ChatOpen {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor: Option<Secret>,
    /// The page the visitor is on, its referrer and the browser's language (CHAT-8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// The last line seen; what came after is pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<u64>,
    /// An agent's invitation to this page view (CHAT-9), from the loader's light connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ChatOpened {
    /// Keep it (frame storage) and send it with the next [`ChatOpen`].
    pub visitor: Secret,
    /// The visitor's open conversation, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ChatStatus>,
    /// Agents who could answer now (normal or busy): 0 means the "no agent" offer.
    pub agents_online: u32,
    /// Lines of the open conversation the visitor has not read.
    pub unread: u32,
    /// With nobody online and no conversation yet: what the panel offers, with the merchant's
    /// "call me back" button when it chose one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<NoAgentOffer>,
}

/// A line from the visitor. The first one starts a conversation and is routed (CHAT-4).
/// Answered by [`ChatSent`] once it is stored: acknowledged means kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ChatSend {
    pub text: String,
    /// Chosen by the sender; a retry after a reconnect is stored once.
    pub client_id: String,
    /// An attachment uploaded first (`POST /v1/chat/attachments`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<String>,
}

/// The stored line, as everyone in the conversation sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ChatSent {
    pub line: ChatLine,
}

/// The visitor is typing (or stopped). Answered by [`ChatAck`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ChatTyping {
    pub typing: bool,
}

/// The visitor read up to `upto`. Answered by [`ChatAck`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ChatRead {
    pub upto: u64,
}

/// The visitor ends the conversation, with an optional rating 1..=5. Answered by [`ChatAck`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ChatEnd {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// "Leave a message" when no agent is free: agents see it when they come online, and can answer
/// by SMS if the visitor asked. Answered by [`MessageLeft`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LeaveMessage {
    pub name: String,
    /// As typed; checked as a phone number when `reply_by_sms` is set.
    pub number: String,
    pub text: String,
    #[serde(default)]
    pub reply_by_sms: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MessageLeft {}

/// A chat request done, with nothing more to say.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ChatAck {}

// ---- Checks ---------------------------------------------------------------------------------

pub(crate) fn validate_text(text: &str, attachment: bool) -> Result<(), ErrorBody> {
    check_len("text", text, if attachment { 0 } else { 1 }, MAX_CHAT_TEXT)?;
    if !attachment && text.trim().is_empty() {
        return Err(bad_field("text", "is blank: type a message first"));
    }
    Ok(())
}

pub(crate) fn validate_opt(field: &str, v: &Option<String>, max: usize) -> Result<(), ErrorBody> {
    match v {
        Some(v) => check_len(field, v, 0, max),
        None => Ok(()),
    }
}

pub(crate) fn validate_open(m: &ChatOpen) -> Result<(), ErrorBody> {
    if let Some(v) = &m.visitor {
        check_len("visitor", v.expose(), 1, MAX_TOKEN)?;
    }
    validate_opt("page", &m.page, MAX_URL)?;
    validate_opt("referrer", &m.referrer, MAX_URL)?;
    validate_opt("lang", &m.lang, 35)?;
    validate_opt("invite", &m.invite, MAX_ID)
}

pub(crate) fn validate_send(m: &ChatSend) -> Result<(), ErrorBody> {
    validate_text(&m.text, m.attachment.is_some())?;
    check_len("client_id", &m.client_id, 1, MAX_ID)?;
    validate_opt("attachment", &m.attachment, MAX_ID)
}

pub(crate) fn validate_end(m: &ChatEnd) -> Result<(), ErrorBody> {
    if let Some(r) = m.rating {
        if !(1..=5).contains(&r) {
            return Err(bad_field("rating", format!("must be 1 to 5, got {r}")));
        }
    }
    validate_opt("comment", &m.comment, MAX_CHAT_TEXT)
}

pub(crate) fn validate_leave(m: &LeaveMessage) -> Result<(), ErrorBody> {
    check_len("name", &m.name, 1, MAX_DISPLAY_NAME)?;
    check_len("number", &m.number, 0, MAX_NUMBER_INPUT)?;
    if m.reply_by_sms && m.number.trim().is_empty() {
        return Err(bad_field("number", "is needed for a reply by SMS"));
    }
    validate_text(&m.text, false)
}
