//! Widget <-> relay messages, on `GET /v1/widget/ws?site=SITE_KEY&parent=PAGE_ORIGIN`
//! (subprotocol `ringlink.v1`), opened by the relay's own widget frame. Before the upgrade the
//! relay checks that the Origin is its own and that `parent` is on the site's allow-list.

use serde::{Deserialize, Serialize};

use crate::account::*;
use crate::call::CallEvent;
use crate::call_me::*;
use crate::chat::*;
use crate::envelope::Validate;
use crate::error::{check_len, ErrorBody};
use crate::limits::*;
use crate::number::E164;
use crate::secret::Secret;

/// Sign in with number and password (DIAL-2, CALL-2). Answered by [`SignedIn`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// As typed; read in the relay's default region when it has no `+`.
    pub number: String,
    pub password: Secret,
}

/// Resume a session with a token from an earlier [`SignedIn`]. Answered by [`SignedIn`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Resume {
    pub token: Secret,
    /// The last call-event `seq` this widget saw; events after it are sent again (a reconnect
    /// loses nothing the relay still holds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<u64>,
}

/// End the session; its token stops working. Answered by [`SignedOut`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SignOut {}

/// Ask the member's own handset to dial (DIAL-4, DIAL-5). Answered by [`DialAccepted`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Dial {
    /// As typed or as marked on the page.
    pub number: String,
    /// Which of the member's devices should dial; the most recently connected when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Chosen by the widget for this dial; a retry with the same id (after a reconnect) is
    /// answered with the first acceptance and never dials twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// Confirm the code a phone agent printed with `ringlink-agent pair`. Answered by [`Paired`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ConfirmPairing {
    pub code: String,
}

/// Keep-alive. Answered by [`Pong`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Ping {}

/// Everything the widget sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum WidgetMsg {
    SignIn(SignIn),
    Resume(Resume),
    SignOut(SignOut),
    Dial(Dial),
    ConfirmPairing(ConfirmPairing),
    Ping(Ping),
    CallOptions(CallOptions),
    SendCode(SendCode),
    VerifyCode(VerifyCode),
    CallMe(CallMe),
    HangUp(HangUp),
    AskAccountCode(AskAccountCode),
    SignUp(SignUp),
    ResetPassword(ResetPassword),
    ChatOpen(ChatOpen),
    ChatSend(ChatSend),
    ChatTyping(ChatTyping),
    ChatRead(ChatRead),
    ChatEnd(ChatEnd),
    LeaveMessage(LeaveMessage),
}

impl Validate for WidgetMsg {
    fn validate(&self) -> Result<(), ErrorBody> {
        match self {
            WidgetMsg::SignIn(m) => {
                check_len("number", &m.number, 1, MAX_NUMBER_INPUT)?;
                check_len("password", m.password.expose(), 1, MAX_PASSWORD)
            }
            WidgetMsg::Resume(m) => check_len("token", m.token.expose(), 1, MAX_TOKEN),
            WidgetMsg::Dial(m) => {
                check_len("number", &m.number, 1, MAX_NUMBER_INPUT)?;
                if let Some(d) = &m.device {
                    check_len("device", d, 1, MAX_ID)?;
                }
                match &m.client_id {
                    Some(c) => check_len("client_id", c, 1, MAX_ID),
                    None => Ok(()),
                }
            }
            WidgetMsg::ConfirmPairing(m) => check_len("code", &m.code, 1, 2 * PAIRING_CODE_LEN),
            WidgetMsg::SignOut(_) | WidgetMsg::Ping(_) => Ok(()),
            WidgetMsg::CallOptions(m) => validate_button(&m.button),
            WidgetMsg::SendCode(m) => check_len("number", &m.number, 1, MAX_NUMBER_INPUT),
            WidgetMsg::VerifyCode(m) => {
                check_len("number", &m.number, 1, MAX_NUMBER_INPUT)?;
                validate_code(&m.code)
            }
            WidgetMsg::CallMe(m) => {
                validate_button(&m.button)?;
                validate_lang(m.lang.as_deref())?;
                check_len("callback", &m.callback, 1, MAX_NUMBER_INPUT)?;
                match &m.client_id {
                    Some(c) => check_len("client_id", c, 1, MAX_ID),
                    None => Ok(()),
                }
            }
            WidgetMsg::HangUp(m) => check_len("call_id", &m.call_id, 1, MAX_ID),
            WidgetMsg::AskAccountCode(m) => validate_ask(m),
            WidgetMsg::SignUp(m) => validate_sign_up(m),
            WidgetMsg::ResetPassword(m) => validate_reset(m),
            WidgetMsg::ChatOpen(m) => validate_open(m),
            WidgetMsg::ChatSend(m) => validate_send(m),
            WidgetMsg::ChatTyping(_) | WidgetMsg::ChatRead(_) => Ok(()),
            WidgetMsg::ChatEnd(m) => validate_end(m),
            WidgetMsg::LeaveMessage(m) => validate_leave(m),
        }
    }
}

/// The member's session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SignedIn {
    /// Send it with [`Resume`] after a reconnect or page load. Keep it out of logs.
    pub token: Secret,
    pub member: E164,
    /// Unix seconds.
    pub expires_at: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SignedOut {}

/// The relay forwarded the dial instruction to a phone agent; call states follow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DialAccepted {
    pub call_id: String,
    /// The number as the handset will dial it.
    pub number: E164,
    pub device: String,
}

/// A phone agent the member paired.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Paired {
    pub device: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Pong {}

/// One connected phone agent of the signed-in member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AgentInfo {
    pub device: String,
    pub name: String,
    /// Dialer backend: `at`, `modemmanager`, `command`, `dry-run`.
    pub backend: String,
    /// The agent asks its owner before dialling (DIAL-6).
    pub confirm: bool,
}

/// The member's connected phone agents, sent after sign-in and on every change (DIAL-3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Presence {
    pub agents: Vec<AgentInfo>,
}

/// Everything the relay sends to the widget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum RelayToWidget {
    SignedIn(SignedIn),
    SignedOut(SignedOut),
    DialAccepted(DialAccepted),
    Paired(Paired),
    Pong(Pong),
    /// Push: the member's connected agents.
    Presence(Presence),
    /// Push: a call changed state.
    CallState(CallEvent),
    CallOffer(CallOffer),
    CodeSent(CodeSent),
    NumberVerified(NumberVerified),
    CallPlaced(CallPlaced),
    HungUp(HungUp),
    /// Push: a two-leg call moved on (CALL).
    CallProgress(CallProgress),
    ChatOpened(ChatOpened),
    ChatSent(ChatSent),
    ChatAck(ChatAck),
    MessageLeft(MessageLeft),
    /// Push: a line in the visitor's conversation (CHAT-1).
    Line(ChatLine),
    /// Push: the visitor's conversation changed (agent, queue place, offer, ended).
    ChatStatus(ChatStatus),
    /// Push: the agent is typing.
    Typing(TypingNotice),
    /// Push: the agent read the visitor's lines.
    Read(ReadNotice),
    /// Push, on the loader's page-view socket: an agent invites this visitor to chat (CHAT-9).
    Invited(Invited),
    /// The reply to a request that failed, or a push explaining a closed connection.
    Error(ErrorBody),
}

impl Validate for RelayToWidget {
    fn validate(&self) -> Result<(), ErrorBody> {
        Ok(())
    }
}
