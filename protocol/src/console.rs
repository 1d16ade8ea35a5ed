//! Staff console <-> relay messages, on `GET /v1/console/ws` (subprotocol `ringlink.v1`), opened
//! by the relay's own console page (`/console`): staff sign-in (CHAT-6), the agent's state
//! (CHAT-5), visitor and colleague conversations side by side (CHAT-1, CHAT-3), transfers,
//! internal notes, visitors browsing now (CHAT-9) and search.

use serde::{Deserialize, Serialize};

use crate::chat::*;
use crate::envelope::Validate;
use crate::error::{check_len, ErrorBody};
use crate::limits::*;
use crate::secret::Secret;

/// An agent's state (CHAT-5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Takes new visitors.
    Normal,
    /// No new visitors; keeps the current ones.
    Busy,
    /// No visitors; open ones move to other agents after the grace period.
    Offline,
}

impl AgentState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Busy => "busy",
            Self::Offline => "offline",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Normal, Self::Busy, Self::Offline]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// What a staff member may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Serves visitors and talks to colleagues.
    Agent,
    /// Also manages staff, settings, canned responses and the site's CALL setup.
    Admin,
}

impl StaffRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Agent, Self::Admin]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A staff member as colleagues see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StaffView {
    pub id: i64,
    pub account: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    pub role: StaffRole,
    pub state: AgentState,
    /// Visitor conversations this agent is serving now.
    pub open: u32,
    /// Colleagues' lines reach them by SMS while they are offline (CHAT-7).
    #[serde(default)]
    pub sms_offline: bool,
}

/// What the first message told the agent about the visitor (CHAT-8). `ip` is filled only for
/// staff; the visitor never sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct VisitorInfo {
    pub ip: String,
    /// Unix milliseconds of the first message.
    pub at: i64,
    /// The site's name (the company it was sent from).
    pub site: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// A signed-in member's number; anonymous visitors have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
}

/// Visitor or colleague conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    Visitor,
    Colleague,
}

/// A conversation in the agent's list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ConversationSummary {
    pub id: String,
    pub kind: ConversationKind,
    pub state: ConversationState,
    /// The agent serving a visitor conversation, or the colleague on the other side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colleague: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor: Option<VisitorInfo>,
    /// Whether the visitor has a connection open now (CHAT-7: a visitor who left cannot be
    /// written to).
    pub visitor_here: bool,
    pub last_seq: u64,
    pub unread: u32,
    /// A transfer to this agent waiting for an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<TransferOffer>,
}

/// A colleague asked this agent to take a conversation over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TransferOffer {
    pub conversation: String,
    pub from: i64,
    pub note: String,
    /// Unix milliseconds; unanswered by then, the conversation stays with `from`.
    pub expires_at: i64,
}

/// A page view of the site now (CHAT-9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BrowsingVisitor {
    pub pageview: String,
    pub page: String,
    /// The page's title, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Unix milliseconds.
    pub since: i64,
}

/// A message a visitor left while no agent was free.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LeftMessage {
    pub id: String,
    pub name: String,
    pub number: String,
    pub text: String,
    pub reply_by_sms: bool,
    pub at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<i64>,
}

// ---- Requests --------------------------------------------------------------------------------

/// Sign in with the account a merchant admin issued (CHAT-6). Answered by [`StaffSignedIn`];
/// the agent starts in the normal state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StaffSignIn {
    /// The site's public key.
    pub site: String,
    pub account: String,
    pub password: Secret,
}

/// Resume a staff session after a reconnect; lines after `since` are pushed. Answered by
/// [`StaffSignedIn`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StaffResume {
    pub token: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StaffSignedIn {
    /// Keep it out of logs; also the bearer token of the console's REST calls.
    pub token: Secret,
    pub me: StaffView,
    pub site_name: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Change the agent's state. Answered by [`StateSet`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SetState {
    pub state: AgentState,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StateSet {
    pub state: AgentState,
}

/// A line from staff into one of their conversations. Answered by [`ChatSent`] once stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StaffSend {
    pub conversation: String,
    pub text: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<String>,
    /// An internal note the visitor never sees.
    #[serde(default)]
    pub internal: bool,
}

/// Typing in a conversation. Answered by [`ChatAck`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StaffTyping {
    pub conversation: String,
    pub typing: bool,
}

/// Read up to `upto`. Answered by [`ChatAck`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StaffRead {
    pub conversation: String,
    pub upto: u64,
}

/// Close a visitor conversation. Answered by [`ChatAck`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CloseConversation {
    pub conversation: String,
}

/// Ask a colleague to take a visitor conversation over, with a note. Answered by [`ChatAck`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    pub conversation: String,
    pub to: i64,
    pub note: String,
}

/// Accept or decline a transfer offered to this agent. Answered by [`ChatAck`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AnswerTransfer {
    pub conversation: String,
    pub accept: bool,
}

/// Open (or find) the conversation with a colleague (CHAT-3). Answered by [`Opened`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct OpenColleague {
    pub staff: i64,
}

/// Open a conversation with a visitor browsing the site (CHAT-9). Answered by [`Opened`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct InviteVisitor {
    pub pageview: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Opened {
    pub conversation: ConversationSummary,
}

/// A page of a conversation's lines, newest last, before `before` (all when absent). Answered
/// by [`History`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct GetHistory {
    pub conversation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct History {
    pub conversation: String,
    pub lines: Vec<ChatLine>,
}

/// Search the site's stored conversations. Answered by [`SearchHits`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SearchChats {
    pub query: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SearchHits {
    pub lines: Vec<ChatLine>,
}

/// Answer a left message (by SMS when the visitor asked). Answered by [`ChatAck`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AnswerLeftMessage {
    pub id: String,
    pub text: String,
}

/// Everything the console sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum ConsoleMsg {
    StaffSignIn(StaffSignIn),
    StaffResume(StaffResume),
    Ping(crate::widget::Ping),
    SetState(SetState),
    StaffSend(StaffSend),
    StaffTyping(StaffTyping),
    StaffRead(StaffRead),
    CloseConversation(CloseConversation),
    Transfer(Transfer),
    AnswerTransfer(AnswerTransfer),
    OpenColleague(OpenColleague),
    InviteVisitor(InviteVisitor),
    GetHistory(GetHistory),
    SearchChats(SearchChats),
    AnswerLeftMessage(AnswerLeftMessage),
}

impl Validate for ConsoleMsg {
    fn validate(&self) -> Result<(), ErrorBody> {
        let conv = |c: &str| check_len("conversation", c, 1, MAX_ID);
        match self {
            ConsoleMsg::StaffSignIn(m) => {
                check_len("site", &m.site, 1, MAX_ID)?;
                check_len("account", &m.account, 1, MAX_DISPLAY_NAME)?;
                check_len("password", m.password.expose(), 1, MAX_PASSWORD)
            }
            ConsoleMsg::StaffResume(m) => check_len("token", m.token.expose(), 1, MAX_TOKEN),
            ConsoleMsg::Ping(_) | ConsoleMsg::SetState(_) | ConsoleMsg::OpenColleague(_) => Ok(()),
            ConsoleMsg::StaffSend(m) => {
                conv(&m.conversation)?;
                validate_text(&m.text, m.attachment.is_some())?;
                check_len("client_id", &m.client_id, 1, MAX_ID)?;
                validate_opt("attachment", &m.attachment, MAX_ID)
            }
            ConsoleMsg::StaffTyping(m) => conv(&m.conversation),
            ConsoleMsg::StaffRead(m) => conv(&m.conversation),
            ConsoleMsg::CloseConversation(m) => conv(&m.conversation),
            ConsoleMsg::Transfer(m) => {
                conv(&m.conversation)?;
                check_len("note", &m.note, 0, MAX_CHAT_TEXT)
            }
            ConsoleMsg::AnswerTransfer(m) => conv(&m.conversation),
            ConsoleMsg::InviteVisitor(m) => {
                check_len("pageview", &m.pageview, 1, MAX_ID)?;
                validate_text(&m.text, false)
            }
            ConsoleMsg::GetHistory(m) => conv(&m.conversation),
            ConsoleMsg::SearchChats(m) => check_len("query", &m.query, 1, MAX_DISPLAY_NAME),
            ConsoleMsg::AnswerLeftMessage(m) => {
                check_len("id", &m.id, 1, MAX_ID)?;
                validate_text(&m.text, false)
            }
        }
    }
}

/// Everything the relay sends to the console.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum RelayToConsole {
    StaffSignedIn(StaffSignedIn),
    Pong(crate::widget::Pong),
    StateSet(StateSet),
    ChatSent(ChatSent),
    ChatAck(ChatAck),
    Opened(Opened),
    History(History),
    SearchHits(SearchHits),
    /// Push: every open conversation of this agent (after sign-in).
    Conversations(Vec<ConversationSummary>),
    /// Push: one conversation changed (assigned, moved, closed, visitor left or came back).
    Conversation(ConversationSummary),
    /// Push: a conversation this agent no longer holds (moved to a colleague).
    ConversationGone(String),
    /// Push: a new line in one of this agent's conversations.
    Line(ChatLine),
    Typing(TypingNotice),
    Read(ReadNotice),
    /// Push: the site's staff and their states (at sign-in, and when an admin changes the list).
    Colleagues(Vec<StaffView>),
    /// Push: one staff member of the site changed (state, or how many conversations they
    /// hold): replaces the entry with that id, or adds it.
    Colleague(StaffView),
    /// Push: page views of the site now (CHAT-9).
    VisitorsNow(Vec<BrowsingVisitor>),
    /// Push: a colleague offers this agent a conversation.
    TransferOffer(TransferOffer),
    /// Push: messages visitors left while nobody was free.
    LeftMessages(Vec<LeftMessage>),
    Error(ErrorBody),
}

impl Validate for RelayToConsole {
    fn validate(&self) -> Result<(), ErrorBody> {
        Ok(())
    }
}
