//! Frames in and out, in the protocol crate's types, without serde's derive machinery: in the
//! browser, decoding the adjacently tagged enums through serde_json cost more than the whole rest
//! of the app (about 40 KB brotli). Outgoing frames are written here; incoming frames are parsed
//! by the browser's `JSON.parse` and read field by field through [`Json`]. Native tests check
//! both directions against serde_json and the protocol's derives, so the two cannot drift.

use ringlink_protocol::call::{CallEvent, CallState};
use ringlink_protocol::secret::Secret;
use ringlink_protocol::widget::*;
use ringlink_protocol::{ErrorBody, ErrorCode, E164};

use crate::model::state_name;

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
        "error" => RelayToWidget::Error(ErrorBody {
            code: error_code(&text("code")?),
            message: text("message")?,
            retry_after: data.field("retry_after").and_then(|v| v.uint()),
        }),
        _ => return None,
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
    CALL_STATES.into_iter().find(|s| state_name(*s) == name)
}

const ERROR_CODES: [ErrorCode; 16] = [
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
            if let Some(since) = since {
                w.raw(",\"since\":");
                w.raw(&since.to_string());
            }
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
    }
    w.raw("}}}");
    w.0
}

struct Writer(String);

impl Writer {
    fn raw(&mut self, s: &str) {
        self.0.push_str(s);
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

#[cfg(test)]
mod tests {
    use super::*;
    use ringlink_protocol::Envelope;
    use serde_json::Value;

    impl Json for Value {
        fn field(&self, key: &str) -> Option<Self> {
            self.get(key).filter(|v| !v.is_null()).cloned()
        }
        fn text(&self) -> Option<String> {
            self.as_str().map(str::to_owned)
        }
        fn uint(&self) -> Option<u64> {
            self.as_u64()
        }
        fn int(&self) -> Option<i64> {
            self.as_i64()
        }
        fn flag(&self) -> Option<bool> {
            self.as_bool()
        }
        fn items(&self) -> Option<Vec<Self>> {
            self.as_array().cloned()
        }
    }

    fn number(n: &str) -> E164 {
        E164::new(n).unwrap()
    }

    /// One of every message the relay sends.
    fn relay_messages() -> Vec<RelayToWidget> {
        let mut all = vec![
            RelayToWidget::SignedIn(SignedIn {
                token: Secret::new("tok-\"quoted\""),
                member: number("+8613800138000"),
                expires_at: 1_900_000_000,
            }),
            RelayToWidget::SignedOut(SignedOut {}),
            RelayToWidget::DialAccepted(DialAccepted {
                call_id: "c1".into(),
                number: number("+861065529988"),
                device: "d1".into(),
            }),
            RelayToWidget::Paired(Paired {
                device: "d1".into(),
                name: "Pixel 8".into(),
            }),
            RelayToWidget::Pong(Pong {}),
            RelayToWidget::Presence(Presence { agents: vec![] }),
            RelayToWidget::Presence(Presence {
                agents: vec![AgentInfo {
                    device: "d1".into(),
                    name: "Pixel 8".into(),
                    backend: "at".into(),
                    confirm: true,
                }],
            }),
        ];
        for (i, state) in CALL_STATES.into_iter().enumerate() {
            all.push(RelayToWidget::CallState(CallEvent {
                call_id: "c1".into(),
                number: number("+861065529988"),
                device: "d1".into(),
                state,
                detail: (i % 2 == 0).then(|| "BUSY".to_owned()),
                seq: i as u64 + 1,
                at: 1_800_000_000,
            }));
        }
        for code in ERROR_CODES {
            all.push(RelayToWidget::Error(ErrorBody {
                code,
                message: "what to do next".into(),
                retry_after: (code == ErrorCode::RateLimited).then_some(30),
            }));
        }
        all
    }

    #[test]
    fn every_relay_message_reads_as_serde_writes_it() {
        // covers DIAL-3, DIAL-5: presence and call states reach the page unchanged
        for msg in relay_messages() {
            for env in [
                Envelope::push(msg.clone()),
                Envelope::reply(Some(42), msg.clone()),
            ] {
                let wire: Value = serde_json::from_str(&ringlink_protocol::encode(&env)).unwrap();
                assert_eq!(decode(&wire), Some((env.re, msg.clone())), "{wire}");
            }
        }
    }

    #[test]
    fn unreadable_frames_are_refused_and_new_error_codes_read_as_internal() {
        let frame = |s: &str| decode(&serde_json::from_str::<Value>(s).unwrap());
        assert_eq!(frame(r#"{"msg":{"type":"launch","data":{}}}"#), None);
        assert_eq!(
            frame(r#"{"msg":{"type":"paired","data":{"device":"d"}}}"#),
            None
        );
        assert_eq!(
            frame(
                r#"{"msg":{"type":"dial_accepted","data":{"call_id":"c","number":"12","device":"d"}}}"#
            ),
            None,
            "numbers must be E.164"
        );
        let (_, msg) =
            frame(r#"{"msg":{"type":"error","data":{"code":"brand_new","message":"m"}}}"#).unwrap();
        assert!(matches!(msg, RelayToWidget::Error(e) if e.code == ErrorCode::Internal));
    }

    #[test]
    fn every_request_is_written_as_serde_writes_it() {
        // covers DIAL-2, DIAL-4, DIAL-5: what the relay decodes is what the widget meant
        let msgs = [
            WidgetMsg::SignIn(SignIn {
                number: "138 0013 8000".into(),
                password: Secret::new("pa\"ss\\w\nord\u{1}密码"),
            }),
            WidgetMsg::Resume(Resume {
                token: Secret::new("tok"),
                since: None,
            }),
            WidgetMsg::Resume(Resume {
                token: Secret::new("tok"),
                since: Some(17),
            }),
            WidgetMsg::SignOut(SignOut {}),
            WidgetMsg::Dial(Dial {
                number: "010 6552 9988".into(),
                device: None,
                client_id: None,
            }),
            WidgetMsg::Dial(Dial {
                number: "+8613900139000".into(),
                device: Some("d1".into()),
                client_id: Some("w1".into()),
            }),
            WidgetMsg::ConfirmPairing(ConfirmPairing {
                code: "AB12CD34".into(),
            }),
            WidgetMsg::Ping(Ping {}),
        ];
        for (i, msg) in msgs.into_iter().enumerate() {
            let ours = encode(i as u64, &msg);
            let theirs = ringlink_protocol::encode(&Envelope::request(i as u64, msg.clone()));
            let ours_v: Value = serde_json::from_str(&ours).unwrap();
            assert_eq!(
                ours_v,
                serde_json::from_str::<Value>(&theirs).unwrap(),
                "{ours}"
            );
            let back = ringlink_protocol::decode::<WidgetMsg>(&ours).unwrap();
            assert_eq!(back.msg, msg);
        }
    }

    #[test]
    fn wire_names_match_the_derives() {
        for code in ERROR_CODES {
            assert_eq!(
                serde_json::to_value(code).unwrap().as_str(),
                Some(error_code_name(code))
            );
        }
        for state in CALL_STATES {
            assert_eq!(call_state(state_name(state)), Some(state));
        }
    }
}
