//! Frames in and out, in the protocol crate's types, without serde's derive machinery: in the
//! browser, decoding the adjacently tagged enums through serde_json cost more than the whole rest
//! of the app (about 40 KB brotli). Outgoing frames are written here; incoming frames are parsed
//! by the browser's `JSON.parse` and read field by field through [`Json`]. Native tests check
//! both directions against serde_json and the protocol's derives, so the two cannot drift.

use ringlink_protocol::account::{AskAccountCode, ResetPassword, SignUp};
use ringlink_protocol::call::{CallEvent, CallState};
use ringlink_protocol::call_me::*;
use ringlink_protocol::chat::*;
use ringlink_protocol::secret::Secret;
use ringlink_protocol::widget::*;
use ringlink_protocol::{ErrorBody, ErrorCode, E164};

/// A parsed JSON value: a `JsValue` from `JSON.parse` in the browser, `serde_json::Value` in tests.
pub trait Json: Sized {
    /// The member `key` of an object; `None` when absent or `null`.
    fn field(&self, key: &str) -> Option<Self>;
    fn text(&self) -> Option<String>;
    /// A non-negative whole number.
    fn uint(&self) -> Option<u64>;
    fn int(&self) -> Option<i64>;
    fn flag(&self) -> Option<bool>;
    fn items(&self) -> Option<Vec<Self>>;
}

/// Reads one relay frame: the request it answers (`re`), and the message. `None` for a frame
/// this widget cannot read (an unknown type, a missing field, a malformed number).
pub fn decode<J: Json>(frame: &J) -> Option<(Option<u64>, RelayToWidget)> {
    let re = frame.field("re").and_then(|r| r.uint());
    let msg = frame.field("msg")?;
    let kind = msg.field("type")?.text()?;
    let data = msg.field("data")?;
    let text = |k: &str| data.field(k).and_then(|v| v.text());
    let number = |k: &str| E164::new(&text(k)?).ok();
    let msg = match kind.as_str() {
        "signed_in" => RelayToWidget::SignedIn(SignedIn {
            token: Secret::new(text("token")?),
            member: number("member")?,
            expires_at: data.field("expires_at")?.int()?,
        }),
        "signed_out" => RelayToWidget::SignedOut(SignedOut {}),
        "dial_accepted" => RelayToWidget::DialAccepted(DialAccepted {
            call_id: text("call_id")?,
            number: number("number")?,
            device: text("device")?,
        }),
        "paired" => RelayToWidget::Paired(Paired {
            device: text("device")?,
            name: text("name")?,
        }),
        "pong" => RelayToWidget::Pong(Pong {}),
        "presence" => {
            let mut agents = Vec::new();
            for a in data.field("agents")?.items()? {
                let text = |k: &str| a.field(k).and_then(|v| v.text());
                agents.push(AgentInfo {
                    device: text("device")?,
                    name: text("name")?,
                    backend: text("backend")?,
                    confirm: a.field("confirm")?.flag()?,
                });
            }
            RelayToWidget::Presence(Presence { agents })
        }
        "call_state" => RelayToWidget::CallState(CallEvent {
            call_id: text("call_id")?,
            number: number("number")?,
            device: text("device")?,
            state: call_state(&text("state")?)?,
            detail: text("detail"),
            seq: data.field("seq")?.uint()?,
            at: data.field("at")?.int()?,
        }),
        "call_offer" => {
            let mut verified = Vec::new();
            for n in data.field("verified")?.items()? {
                verified.push(E164::new(&n.text()?).ok()?);
            }
            RelayToWidget::CallOffer(CallOffer {
                button: text("button")?,
                label: text("label")?,
                callback: number("callback")?,
                verified,
                payer: payer(&text("payer")?)?,
                sponsor: text("sponsor"),
                per_minute: data.field("per_minute").and_then(|v| v.int()),
                connect_fee: data.field("connect_fee").and_then(|v| v.int()),
                member_per_minute: data.field("member_per_minute").and_then(|v| v.int()),
                member_connect_fee: data.field("member_connect_fee").and_then(|v| v.int()),
                currency: text("currency")?,
            })
        }
        "code_sent" => RelayToWidget::CodeSent(CodeSent {
            number: number("number")?,
            expires_in: data.field("expires_in")?.uint()?,
        }),
        "number_verified" => RelayToWidget::NumberVerified(NumberVerified {
            number: number("number")?,
        }),
        "call_placed" => RelayToWidget::CallPlaced(CallPlaced {
            call_id: text("call_id")?,
            callback: number("callback")?,
            label: text("label")?,
            payer: payer(&text("payer")?)?,
        }),
        "hung_up" => RelayToWidget::HungUp(HungUp {}),
        "call_progress" => RelayToWidget::CallProgress(CallProgress {
            call_id: text("call_id")?,
            stage: stage(&text("stage")?)?,
            seconds: data.field("seconds").and_then(|v| v.uint()),
            cost: data.field("cost").and_then(|v| v.int()),
            ends_in: data.field("ends_in").and_then(|v| v.uint()),
            reason: text("reason").map(|r| end_reason(&r)),
            seq: data.field("seq")?.uint()?,
            at: data.field("at")?.int()?,
        }),
        "error" => RelayToWidget::Error(ErrorBody {
            code: error_code(&text("code")?),
            message: text("message")?,
            retry_after: data.field("retry_after").and_then(|v| v.uint()),
        }),
        other => return chat::decode(other, &data).map(|m| (re, m)),
    };
    Some((re, msg))
}

const CALL_STATES: [CallState; 8] = [
    CallState::Sent,
    CallState::Confirming,
    CallState::Dialing,
    CallState::Ringing,
    CallState::Active,
    CallState::Ended,
    CallState::Failed,
    CallState::Declined,
];

fn call_state(name: &str) -> Option<CallState> {
    CALL_STATES.into_iter().find(|s| s.as_str() == name)
}

const STAGES: [CallStage; 6] = [
    CallStage::CallingYou,
    CallStage::ConnectingMerchant,
    CallStage::MerchantRinging,
    CallStage::Connected,
    CallStage::CreditLow,
    CallStage::Ended,
];

fn stage(name: &str) -> Option<CallStage> {
    STAGES.into_iter().find(|s| s.as_str() == name)
}

/// Reasons added after this widget was built read as `failed`, as the protocol asks.
fn end_reason(name: &str) -> CallEndReason {
    CallEndReason::parse(name).unwrap_or(CallEndReason::Failed)
}

fn payer(name: &str) -> Option<PayerKind> {
    PayerKind::parse(name)
}

/// Every error code (the decoder looks names up here).
pub(crate) const ERROR_CODES: [ErrorCode; 32] = [
    ErrorCode::BadFrame,
    ErrorCode::FrameTooLarge,
    ErrorCode::BadField,
    ErrorCode::InvalidNumber,
    ErrorCode::NotSignedIn,
    ErrorCode::BadCredentials,
    ErrorCode::RateLimited,
    ErrorCode::TokenExpired,
    ErrorCode::TokenRevoked,
    ErrorCode::AgentNotConnected,
    ErrorCode::NotYourDevice,
    ErrorCode::PairingCodeInvalid,
    ErrorCode::OriginNotAllowed,
    ErrorCode::UnknownSite,
    ErrorCode::UnknownCall,
    ErrorCode::UnknownButton,
    ErrorCode::NumberNotVerified,
    ErrorCode::CodeInvalid,
    ErrorCode::AccountExists,
    ErrorCode::NoAccount,
    ErrorCode::WeakPassword,
    ErrorCode::DestinationNotAllowed,
    ErrorCode::InsufficientBalance,
    ErrorCode::CallInProgress,
    ErrorCode::Unavailable,
    ErrorCode::UnknownConversation,
    ErrorCode::VisitorLeft,
    ErrorCode::NotStaff,
    ErrorCode::NotAdmin,
    ErrorCode::ChatNotOpen,
    ErrorCode::AttachmentRefused,
    ErrorCode::Internal,
];

/// The wire name of an error code; the match is exhaustive, so a new code fails to compile here.
fn error_code_name(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::BadFrame => "bad_frame",
        ErrorCode::FrameTooLarge => "frame_too_large",
        ErrorCode::BadField => "bad_field",
        ErrorCode::InvalidNumber => "invalid_number",
        ErrorCode::NotSignedIn => "not_signed_in",
        ErrorCode::BadCredentials => "bad_credentials",
        ErrorCode::RateLimited => "rate_limited",
        ErrorCode::TokenExpired => "token_expired",
        ErrorCode::TokenRevoked => "token_revoked",
        ErrorCode::AgentNotConnected => "agent_not_connected",
        ErrorCode::NotYourDevice => "not_your_device",
        ErrorCode::PairingCodeInvalid => "pairing_code_invalid",
        ErrorCode::OriginNotAllowed => "origin_not_allowed",
        ErrorCode::UnknownSite => "unknown_site",
        ErrorCode::UnknownCall => "unknown_call",
        ErrorCode::UnknownButton => "unknown_button",
        ErrorCode::NumberNotVerified => "number_not_verified",
        ErrorCode::CodeInvalid => "code_invalid",
        ErrorCode::AccountExists => "account_exists",
        ErrorCode::NoAccount => "no_account",
        ErrorCode::WeakPassword => "weak_password",
        ErrorCode::DestinationNotAllowed => "destination_not_allowed",
        ErrorCode::InsufficientBalance => "insufficient_balance",
        ErrorCode::CallInProgress => "call_in_progress",
        ErrorCode::Unavailable => "unavailable",
        ErrorCode::UnknownConversation => "unknown_conversation",
        ErrorCode::VisitorLeft => "visitor_left",
        ErrorCode::NotStaff => "not_staff",
        ErrorCode::NotAdmin => "not_admin",
        ErrorCode::ChatNotOpen => "chat_not_open",
        ErrorCode::AttachmentRefused => "attachment_refused",
        ErrorCode::Internal => "internal",
    }
}

/// Codes added after this widget was built read as `internal`, as the protocol asks.
fn error_code(name: &str) -> ErrorCode {
    ERROR_CODES
        .into_iter()
        .find(|c| error_code_name(*c) == name)
        .unwrap_or(ErrorCode::Internal)
}

/// Writes request `id` as a frame, exactly as `ringlink_protocol::encode` would. Every struct is
/// taken apart field by field, so a field added to the protocol fails to compile here.
pub fn encode(id: u64, msg: &WidgetMsg) -> String {
    let mut w = Writer(String::with_capacity(96));
    w.raw("{\"id\":");
    w.raw(&id.to_string());
    w.raw(",\"msg\":{\"type\":\"");
    let kind = match msg {
        WidgetMsg::SignIn(_) => "sign_in",
        WidgetMsg::Resume(_) => "resume",
        WidgetMsg::SignOut(_) => "sign_out",
        WidgetMsg::Dial(_) => "dial",
        WidgetMsg::ConfirmPairing(_) => "confirm_pairing",
        WidgetMsg::Ping(_) => "ping",
        WidgetMsg::CallOptions(_) => "call_options",
        WidgetMsg::SendCode(_) => "send_code",
        WidgetMsg::VerifyCode(_) => "verify_code",
        WidgetMsg::CallMe(_) => "call_me",
        WidgetMsg::HangUp(_) => "hang_up",
        WidgetMsg::AskAccountCode(_) => "ask_account_code",
        WidgetMsg::SignUp(_) => "sign_up",
        WidgetMsg::ResetPassword(_) => "reset_password",
        WidgetMsg::ChatOpen(_) => "chat_open",
        WidgetMsg::ChatSend(_) => "chat_send",
        WidgetMsg::ChatTyping(_) => "chat_typing",
        WidgetMsg::ChatRead(_) => "chat_read",
        WidgetMsg::ChatEnd(_) => "chat_end",
        WidgetMsg::LeaveMessage(_) => "leave_message",
    };
    w.raw(kind);
    w.raw("\",\"data\":{");
    match msg {
        WidgetMsg::SignIn(SignIn { number, password }) => {
            w.field("number", Some(number));
            w.field("password", Some(password.expose()));
        }
        WidgetMsg::Resume(Resume { token, since }) => {
            w.field("token", Some(token.expose()));
            w.uint("since", *since);
        }
        WidgetMsg::Dial(Dial {
            number,
            device,
            client_id,
        }) => {
            w.field("number", Some(number));
            w.field("device", device.as_deref());
            w.field("client_id", client_id.as_deref());
        }
        WidgetMsg::ConfirmPairing(ConfirmPairing { code }) => w.field("code", Some(code)),
        WidgetMsg::SignOut(SignOut {}) | WidgetMsg::Ping(Ping {}) => {}
        WidgetMsg::CallOptions(CallOptions { button }) => w.field("button", Some(button)),
        WidgetMsg::SendCode(SendCode { number, lang }) => {
            w.field("number", Some(number));
            w.field("lang", lang.as_deref());
        }
        WidgetMsg::VerifyCode(VerifyCode { number, code }) => {
            w.field("number", Some(number));
            w.field("code", Some(code));
        }
        WidgetMsg::CallMe(CallMe {
            button,
            callback,
            client_id,
            lang,
        }) => {
            w.field("button", Some(button));
            w.field("callback", Some(callback));
            w.field("client_id", client_id.as_deref());
            w.field("lang", lang.as_deref());
        }
        WidgetMsg::HangUp(HangUp { call_id }) => w.field("call_id", Some(call_id)),
        WidgetMsg::AskAccountCode(AskAccountCode {
            number,
            purpose,
            lang,
        }) => {
            w.field("number", Some(number));
            w.field("purpose", Some(purpose.as_str()));
            w.field("lang", lang.as_deref());
        }
        WidgetMsg::SignUp(SignUp {
            number,
            code,
            password,
            name,
        }) => {
            w.field("number", Some(number));
            w.field("code", Some(code));
            w.field("password", Some(password.expose()));
            w.field("name", name.as_deref());
        }
        WidgetMsg::ResetPassword(ResetPassword {
            number,
            code,
            password,
        }) => {
            w.field("number", Some(number));
            w.field("code", Some(code));
            w.field("password", Some(password.expose()));
        }
        WidgetMsg::ChatOpen(ChatOpen {
            visitor,
            page,
            referrer,
            lang,
            since,
            invite,
        }) => {
            w.field("visitor", visitor.as_ref().map(Secret::expose));
            w.field("page", page.as_deref());
            w.field("referrer", referrer.as_deref());
            w.field("lang", lang.as_deref());
            w.uint("since", *since);
            w.field("invite", invite.as_deref());
        }
        WidgetMsg::ChatSend(ChatSend {
            text,
            client_id,
            attachment,
        }) => {
            w.field("text", Some(text));
            w.field("client_id", Some(client_id));
            w.field("attachment", attachment.as_deref());
        }
        WidgetMsg::ChatTyping(ChatTyping { typing }) => w.flag("typing", *typing),
        WidgetMsg::ChatRead(ChatRead { upto }) => w.uint("upto", Some(*upto)),
        WidgetMsg::ChatEnd(ChatEnd { rating, comment }) => {
            w.uint("rating", rating.map(u64::from));
            w.field("comment", comment.as_deref());
        }
        WidgetMsg::LeaveMessage(LeaveMessage {
            name,
            number,
            text,
            reply_by_sms,
        }) => {
            w.field("name", Some(name));
            w.field("number", Some(number));
            w.field("text", Some(text));
            w.flag("reply_by_sms", *reply_by_sms);
        }
    }
    w.raw("}}}");
    w.0
}

struct Writer(String);

impl Writer {
    fn raw(&mut self, s: &str) {
        self.0.push_str(s);
    }

    fn key(&mut self, key: &str) {
        if !self.0.ends_with('{') {
            self.0.push(',');
        }
        self.0.push('"');
        self.0.push_str(key);
        self.0.push_str("\":");
    }

    /// `"key":123`; nothing for `None`.
    fn uint(&mut self, key: &str, value: Option<u64>) {
        let Some(value) = value else { return };
        self.key(key);
        self.0.push_str(&value.to_string());
    }

    fn flag(&mut self, key: &str, value: bool) {
        self.key(key);
        self.0.push_str(if value { "true" } else { "false" });
    }

    /// `"key":"value"`, after a comma unless it is the first member; nothing for `None`.
    fn field(&mut self, key: &str, value: Option<&str>) {
        let Some(value) = value else { return };
        if !self.0.ends_with('{') {
            self.0.push(',');
        }
        self.0.push('"');
        self.0.push_str(key);
        self.0.push_str("\":\"");
        for c in value.chars() {
            match c {
                '"' => self.0.push_str("\\\""),
                '\\' => self.0.push_str("\\\\"),
                '\n' => self.0.push_str("\\n"),
                '\r' => self.0.push_str("\\r"),
                '\t' => self.0.push_str("\\t"),
                c if (c as u32) < 0x20 => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    self.0.push_str("\\u00");
                    self.0.push(HEX[(c as usize) >> 4] as char);
                    self.0.push(HEX[(c as usize) & 15] as char);
                }
                c => self.0.push(c),
            }
        }
        self.0.push('"');
    }
}

mod chat;
#[cfg(test)]
mod tests;
