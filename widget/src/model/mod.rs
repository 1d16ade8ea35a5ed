//! What the panel shows, as plain data, and how each event changes it: the relay link, the
//! session, the member's phones (DIAL-3), the number box, the current call and the messages.
//! Every change returns the work it asks for ([`Out`]): frames to send, the token to keep or drop,
//! events for the host page. No browser code here, so it is tested natively.

use ringlink_protocol::call::{CallEvent, CallState};
use ringlink_protocol::secret::Secret;
use ringlink_protocol::widget::*;
use ringlink_protocol::{ErrorBody, ErrorCode};

use crate::i18n::{fill, Lang};
use crate::keypad::{self, Key};

/// Which request a reply answers; the connection remembers it by the request's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asked {
    SignIn,
    Resume,
    SignOut,
    Dial,
    Pair,
    Ping,
}

impl Asked {
    pub fn of(msg: &WidgetMsg) -> Asked {
        match msg {
            WidgetMsg::SignIn(_) => Asked::SignIn,
            WidgetMsg::Resume(_) => Asked::Resume,
            WidgetMsg::SignOut(_) => Asked::SignOut,
            WidgetMsg::Dial(_) => Asked::Dial,
            WidgetMsg::ConfirmPairing(_) => Asked::Pair,
            WidgetMsg::Ping(_) => Asked::Ping,
        }
    }
}

/// The WebSocket to the relay, as the visitor should understand it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    Connecting,
    Open,
    /// The first connection failed: the relay refused this page's origin or site key (or is
    /// down). Retries continue.
    Refused,
    /// Connected before, lost now; retrying.
    Reconnecting,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Session {
    SignedOut,
    /// A sign-in or resume is on its way.
    Waiting,
    SignedIn {
        member: String,
    },
}

/// The main area of the panel. Views rebuild only when this changes, so typing never loses focus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    SignIn,
    Waiting,
    /// Signed in, no phone agent connected (DIAL-3): the message and the pairing box.
    NoPhone,
    /// Signed in with a phone connected: number box, keypad, dial button (DIAL-4).
    Dialer,
}

/// The call the panel follows: the latest one by sequence number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallView {
    pub call_id: String,
    pub number: String,
    pub state: CallState,
    pub detail: Option<String>,
}

/// The state's wire name (`data-state` of the call-state line, `state` of the host-page event).
pub fn state_name(state: CallState) -> &'static str {
    match state {
        CallState::Sent => "sent",
        CallState::Confirming => "confirming",
        CallState::Dialing => "dialing",
        CallState::Ringing => "ringing",
        CallState::Active => "active",
        CallState::Ended => "ended",
        CallState::Failed => "failed",
        CallState::Declined => "declined",
    }
}

/// Work the model asks the browser side to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Out {
    Send(WidgetMsg),
    /// Keep the session token in `sessionStorage` (only after the visitor signed in).
    SaveToken(String),
    ForgetToken,
    /// Tell the host page (`ringlink:call-state`).
    CallState(CallView),
}

/// Everything that can happen to the panel: the connection's events and the visitor's actions.
/// The app sends each one through [`Model::apply`], one path for all changes.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Connected,
    Disconnected {
        ever_open: bool,
    },
    Frame(Option<Asked>, RelayToWidget),
    SignIn {
        number: String,
        password: String,
    },
    Press(Key),
    /// The visitor typed in the number box.
    SetNumber(String),
    /// A click-to-dial number on the page: fill the number box.
    Fill(String),
    ChooseDevice(String),
    /// "Call from my phone", with a fresh client id.
    Dial {
        client_id: String,
    },
    /// A quick-dial button for a number marked on the page.
    DialPageNumber {
        number: String,
        client_id: String,
    },
    Pair(String),
    SignOut,
    SetPageNumbers(Vec<PageNumber>),
}

/// A number marked on the host page (`data-ringlink-dial`, or a `tel:` link).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageNumber {
    pub number: String,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub lang: Lang,
    pub link: Link,
    pub session: Session,
    /// The session token, also kept in `sessionStorage`.
    token: Option<String>,
    /// The member's connected phone agents, from the latest presence push.
    pub agents: Vec<AgentInfo>,
    /// The phone chosen to dial when more than one is connected.
    pub device: Option<String>,
    /// The number box.
    pub number: String,
    pub call: Option<CallView>,
    /// The last call-event sequence seen: sent with `Resume` so missed states come again.
    last_seq: Option<u64>,
    /// A dial sent but not yet answered; sent again (same `client_id`) after a reconnect.
    dial_in_flight: Option<Dial>,
    /// The text of the alert region.
    pub error: Option<String>,
    /// A quiet confirmation ("Paired with …").
    pub notice: Option<String>,
    /// Numbers marked on the host page, shown as quick-dial buttons.
    pub page_numbers: Vec<PageNumber>,
}

impl Model {
    /// A fresh panel; `token` is a session kept from earlier in this tab.
    pub fn new(lang: Lang, token: Option<String>) -> Self {
        Self {
            lang,
            link: Link::Connecting,
            session: if token.is_some() {
                Session::Waiting
            } else {
                Session::SignedOut
            },
            token,
            agents: Vec::new(),
            device: None,
            number: String::new(),
            call: None,
            last_seq: None,
            dial_in_flight: None,
            error: None,
            notice: None,
            page_numbers: Vec::new(),
        }
    }

    /// Applies one action; returns the work it asks for.
    pub fn apply(&mut self, action: Action) -> Vec<Out> {
        match action {
            Action::Connected => return self.connected(),
            Action::Disconnected { ever_open } => self.disconnected(ever_open),
            Action::Frame(asked, msg) => return self.frame(asked, msg),
            Action::SignIn { number, password } => return self.sign_in(&number, &password),
            Action::Press(key) => self.press(key),
            Action::SetNumber(number) => self.number = number,
            Action::Fill(number) => {
                self.number = number.trim().to_owned();
                self.error = None;
            }
            Action::ChooseDevice(device) => self.device = Some(device),
            Action::Dial { client_id } => return self.dial(client_id),
            Action::DialPageNumber { number, client_id } => {
                self.number = number;
                return self.dial(client_id);
            }
            Action::Pair(code) => return self.pair(&code),
            Action::SignOut => return self.sign_out(),
            Action::SetPageNumbers(numbers) => self.page_numbers = numbers,
        }
        Vec::new()
    }

    pub fn screen(&self) -> Screen {
        match &self.session {
            Session::SignedOut => Screen::SignIn,
            // A sign-in on its way keeps the form (and what was typed) on screen.
            Session::Waiting if self.token.is_none() => Screen::SignIn,
            Session::Waiting => Screen::Waiting,
            Session::SignedIn { .. } if self.agents.is_empty() => Screen::NoPhone,
            Session::SignedIn { .. } => Screen::Dialer,
        }
    }

    /// `data-state` of the agent status line: `signed-out`, `connected` or `disconnected`.
    pub fn agent_state(&self) -> &'static str {
        match self.screen() {
            Screen::SignIn | Screen::Waiting => "signed-out",
            Screen::NoPhone => "disconnected",
            Screen::Dialer => "connected",
        }
    }

    /// The agent status line (DIAL-3): not connected, or which phone will dial.
    pub fn agent_line(&self) -> String {
        let t = self.lang.text();
        match self.screen() {
            Screen::SignIn => t.status_signed_out.to_owned(),
            Screen::Waiting => t.signing_in.to_owned(),
            Screen::NoPhone => t.not_connected.to_owned(),
            Screen::Dialer => {
                let Some(agent) = self.chosen_agent() else {
                    return String::new();
                };
                let line = if agent.confirm {
                    t.phone_confirms
                } else {
                    t.phone_ready
                };
                fill(line, &agent.name)
            }
        }
    }

    /// The phone that will dial: the chosen one, else the first the relay listed.
    pub fn chosen_agent(&self) -> Option<&AgentInfo> {
        let chosen = self
            .device
            .as_ref()
            .and_then(|d| self.agents.iter().find(|a| &a.device == d));
        chosen.or(self.agents.first())
    }

    /// The line above the form when the relay is not reachable; `None` when connected.
    pub fn link_line(&self) -> Option<&'static str> {
        let t = self.lang.text();
        match self.link {
            Link::Open => None,
            Link::Connecting => Some(t.connecting),
            Link::Refused => Some(t.refused),
            Link::Reconnecting => Some(t.reconnecting),
        }
    }

    /// The call-state line: the state in words, the number, and the phone's detail.
    pub fn call_line(&self) -> Option<String> {
        let call = self.call.as_ref()?;
        let mut line = format!("{} · {}", self.lang.call_state(call.state), call.number);
        // A decline's detail only repeats what the state already says.
        let detail = call.detail.as_deref().filter(|d| !d.is_empty());
        if let Some(detail) = detail.filter(|_| call.state != CallState::Declined) {
            line.push_str(" (");
            line.push_str(detail);
            line.push(')');
        }
        Some(line)
    }

    /// The sign-in form was sent and is not answered yet.
    pub fn signing_in(&self) -> bool {
        self.session == Session::Waiting && self.token.is_none()
    }

    pub fn dial_pending(&self) -> bool {
        self.dial_in_flight.is_some()
    }

    /// The socket opened: resume the kept session, if any.
    pub fn connected(&mut self) -> Vec<Out> {
        self.link = Link::Open;
        match &self.token {
            Some(token) => {
                self.session = Session::Waiting;
                vec![Out::Send(WidgetMsg::Resume(Resume {
                    token: Secret::new(token.clone()),
                    since: self.last_seq,
                }))]
            }
            None => Vec::new(),
        }
    }

    /// The socket closed. `ever_open` tells a lost link from a first connection that failed.
    pub fn disconnected(&mut self, ever_open: bool) {
        self.link = if ever_open {
            Link::Reconnecting
        } else {
            Link::Refused
        };
        // A sign-in in flight is lost with the socket; a resume is simply sent again.
        if self.session == Session::Waiting && self.token.is_none() {
            self.session = Session::SignedOut;
            self.error = Some(self.lang.text().lost_sign_in.to_owned());
        }
    }

    /// The visitor submitted the sign-in form (DIAL-2).
    pub fn sign_in(&mut self, number: &str, password: &str) -> Vec<Out> {
        let number = number.trim();
        if number.is_empty() || password.is_empty() {
            self.error = Some(self.lang.text().need_number_and_password.to_owned());
            return Vec::new();
        }
        self.error = None;
        self.notice = None;
        self.session = Session::Waiting;
        vec![Out::Send(WidgetMsg::SignIn(SignIn {
            number: number.to_owned(),
            password: Secret::new(password),
        }))]
    }

    /// A keypad key was pressed (DIAL-4).
    pub fn press(&mut self, key: Key) {
        self.number = keypad::press(&self.number, key);
    }

    /// The visitor asked their phone to dial the number box (DIAL-4, DIAL-5). `client_id` is
    /// fresh for each dial, so a retry after a reconnect never dials twice.
    pub fn dial(&mut self, client_id: String) -> Vec<Out> {
        let number = self.number.trim();
        if number.is_empty() {
            self.error = Some(self.lang.text().need_number.to_owned());
            return Vec::new();
        }
        self.error = None;
        let dial = Dial {
            number: number.to_owned(),
            device: self.chosen_agent().map(|a| a.device.clone()),
            client_id: Some(client_id),
        };
        self.dial_in_flight = Some(dial.clone());
        vec![Out::Send(WidgetMsg::Dial(dial))]
    }

    /// The visitor typed the code `ringlink-agent pair` showed.
    pub fn pair(&mut self, code: &str) -> Vec<Out> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.is_empty() {
            self.error = Some(self.lang.text().need_code.to_owned());
            return Vec::new();
        }
        self.error = None;
        vec![Out::Send(WidgetMsg::ConfirmPairing(ConfirmPairing {
            code,
        }))]
    }

    /// Signs out here at once; the relay revokes the token when the frame arrives.
    pub fn sign_out(&mut self) -> Vec<Out> {
        let mut out = Vec::new();
        if self.link == Link::Open && matches!(self.session, Session::SignedIn { .. }) {
            out.push(Out::Send(WidgetMsg::SignOut(SignOut {})));
        }
        self.forget_session(&mut out);
        self.error = None;
        out
    }

    fn forget_session(&mut self, out: &mut Vec<Out>) {
        if self.token.take().is_some() {
            out.push(Out::ForgetToken);
        }
        self.session = Session::SignedOut;
        self.agents.clear();
        self.device = None;
        self.call = None;
        self.dial_in_flight = None;
        self.notice = None;
    }

    /// A frame from the relay; `asked` is the request it answers, `None` for a push.
    pub fn frame(&mut self, asked: Option<Asked>, msg: RelayToWidget) -> Vec<Out> {
        let mut out = Vec::new();
        match msg {
            RelayToWidget::SignedIn(s) => {
                if asked == Some(Asked::SignIn) {
                    let token = s.token.expose().to_owned();
                    self.token = Some(token.clone());
                    out.push(Out::SaveToken(token));
                }
                self.session = Session::SignedIn {
                    member: s.member.to_string(),
                };
                self.error = None;
                // A dial the lost socket never answered goes again; its client_id makes the
                // relay answer with the first acceptance instead of dialling twice.
                if let Some(dial) = self.dial_in_flight.clone() {
                    out.push(Out::Send(WidgetMsg::Dial(dial)));
                }
            }
            RelayToWidget::SignedOut(_) | RelayToWidget::Pong(_) => {}
            RelayToWidget::Presence(p) => {
                self.agents = p.agents;
                if let Some(d) = &self.device {
                    if !self.agents.iter().any(|a| &a.device == d) {
                        self.device = None;
                    }
                }
            }
            RelayToWidget::DialAccepted(a) => {
                self.dial_in_flight = None;
                let known = self.call.as_ref().is_some_and(|c| c.call_id == a.call_id);
                if !known {
                    let call = CallView {
                        call_id: a.call_id,
                        number: a.number.to_string(),
                        state: CallState::Sent,
                        detail: None,
                    };
                    self.call = Some(call.clone());
                    out.push(Out::CallState(call));
                }
            }
            RelayToWidget::CallState(ev) => {
                if let Some(call) = self.call_event(ev) {
                    out.push(Out::CallState(call));
                }
            }
            RelayToWidget::Paired(p) => {
                self.error = None;
                self.notice = Some(fill(self.lang.text().paired, &p.name));
            }
            RelayToWidget::Error(e) => self.error(asked, &e, &mut out),
        }
        out
    }

    /// Follows a call event unless it was seen already (a resume sends missed events again).
    fn call_event(&mut self, ev: CallEvent) -> Option<CallView> {
        if self.last_seq.is_some_and(|seen| ev.seq <= seen) {
            return None;
        }
        self.last_seq = Some(ev.seq);
        let call = CallView {
            call_id: ev.call_id,
            number: ev.number.to_string(),
            state: ev.state,
            detail: ev.detail,
        };
        // The relay's `sent` repeats what the acceptance already showed.
        if self.call.as_ref() == Some(&call) {
            return None;
        }
        self.call = Some(call.clone());
        Some(call)
    }

    fn error(&mut self, asked: Option<Asked>, e: &ErrorBody, out: &mut Vec<Out>) {
        let text = self.lang.error(e);
        match (asked, e.code) {
            (_, ErrorCode::TokenExpired | ErrorCode::TokenRevoked | ErrorCode::NotSignedIn) => {
                self.forget_session(out);
            }
            (Some(Asked::SignIn), _) => self.session = Session::SignedOut,
            // Could not resume for another reason (relay trouble): keep the token for the next
            // connection, show the form meanwhile.
            (Some(Asked::Resume), _) => self.session = Session::SignedOut,
            (Some(Asked::Dial), _) => self.dial_in_flight = None,
            _ => {}
        }
        self.error = Some(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringlink_protocol::E164;

    fn phone(name: &str, confirm: bool) -> AgentInfo {
        AgentInfo {
            device: format!("dev-{name}"),
            name: name.into(),
            backend: "at".into(),
            confirm,
        }
    }

    fn signed_in(agents: Vec<AgentInfo>) -> Model {
        let mut m = Model::new(Lang::En, None);
        m.connected();
        m.sign_in("13800138000", "demo-password-1");
        m.frame(
            Some(Asked::SignIn),
            RelayToWidget::SignedIn(SignedIn {
                token: Secret::new("tok"),
                member: E164::new("+8613800138000").unwrap(),
                expires_at: 0,
            }),
        );
        m.frame(None, RelayToWidget::Presence(Presence { agents }));
        m
    }

    fn event(seq: u64, state: CallState) -> RelayToWidget {
        RelayToWidget::CallState(CallEvent {
            call_id: "c1".into(),
            number: E164::new("+861065529988").unwrap(),
            device: "dev-Pixel 8".into(),
            state,
            detail: None,
            seq,
            at: 0,
        })
    }

    #[test]
    fn sign_in_keeps_the_token_only_after_the_visitor_signs_in() {
        // covers DIAL-2
        let mut m = Model::new(Lang::En, None);
        assert_eq!(
            m.connected(),
            vec![],
            "nothing sent, nothing stored before sign-in"
        );
        assert_eq!(m.screen(), Screen::SignIn);
        assert_eq!(m.agent_state(), "signed-out");
        let out = m.sign_in(" 13800138000 ", "demo-password-1");
        assert!(matches!(&out[..], [Out::Send(WidgetMsg::SignIn(s))] if s.number == "13800138000"));
        assert_eq!(
            m.screen(),
            Screen::SignIn,
            "the form stays while signing in"
        );
        assert!(m.signing_in());
        let out = m.frame(
            Some(Asked::SignIn),
            RelayToWidget::SignedIn(SignedIn {
                token: Secret::new("tok"),
                member: E164::new("+8613800138000").unwrap(),
                expires_at: 0,
            }),
        );
        assert_eq!(out, vec![Out::SaveToken("tok".into())]);
        assert!(
            matches!(m.session, Session::SignedIn { ref member } if member == "+8613800138000")
        );
    }

    #[test]
    fn wrong_password_shows_the_relay_message() {
        // covers DIAL-2, CALL-2: wrong credentials end the flow with a message
        let mut m = Model::new(Lang::En, None);
        m.connected();
        assert!(m.sign_in("138", "").is_empty(), "both fields are needed");
        assert!(m.error.is_some());
        m.sign_in("13800138000", "wrong-password");
        let e = ErrorBody::new(ErrorCode::BadCredentials, "wrong number or password");
        assert_eq!(
            m.frame(Some(Asked::SignIn), RelayToWidget::Error(e)),
            vec![]
        );
        assert_eq!(m.screen(), Screen::SignIn);
        assert_eq!(m.error.as_deref(), Some("Wrong number or password."));
    }

    #[test]
    fn a_kept_token_resumes_and_an_expired_one_is_dropped() {
        // covers DIAL-2
        let mut m = Model::new(Lang::En, Some("old".into()));
        assert_eq!(m.screen(), Screen::Waiting);
        let out = m.connected();
        assert!(
            matches!(&out[..], [Out::Send(WidgetMsg::Resume(r))] if r.token.expose() == "old" && r.since.is_none())
        );
        let e = ErrorBody::new(
            ErrorCode::TokenExpired,
            "your session expired: sign in again",
        );
        let out = m.frame(Some(Asked::Resume), RelayToWidget::Error(e));
        assert_eq!(out, vec![Out::ForgetToken]);
        assert_eq!(m.screen(), Screen::SignIn);
        assert_eq!(m.connected(), vec![], "no resume with a dropped token");
    }

    #[test]
    fn presence_switches_between_the_message_and_the_dial_button() {
        // covers DIAL-3
        let mut m = signed_in(vec![]);
        assert_eq!(m.screen(), Screen::NoPhone);
        assert_eq!(m.agent_state(), "disconnected");
        assert!(m.agent_line().contains("not connected"));
        m.frame(
            None,
            RelayToWidget::Presence(Presence {
                agents: vec![phone("Pixel 8", true)],
            }),
        );
        assert_eq!(m.screen(), Screen::Dialer);
        assert_eq!(m.agent_state(), "connected");
        assert_eq!(m.agent_line(), "Pixel 8 — asks before dialling");
        m.frame(None, RelayToWidget::Presence(Presence { agents: vec![] }));
        assert_eq!(m.agent_state(), "disconnected");
    }

    #[test]
    fn dialling_sends_the_number_box_to_the_chosen_phone() {
        // covers DIAL-4, DIAL-5
        let mut m = signed_in(vec![phone("Pixel 8", false), phone("Old", false)]);
        assert!(m.dial("x".into()).is_empty(), "an empty box is not sent");
        assert_eq!(m.error.as_deref(), Some(Lang::En.text().need_number));
        for d in [0, 1, 0, 6, 5, 5, 2, 9, 9, 8, 8] {
            m.press(Key::Digit(d));
        }
        m.device = Some("dev-Old".into());
        let out = m.dial("client-1".into());
        let [Out::Send(WidgetMsg::Dial(dial))] = &out[..] else {
            panic!("{out:?}")
        };
        assert_eq!(dial.number, "01065529988");
        assert_eq!(dial.device.as_deref(), Some("dev-Old"));
        assert_eq!(dial.client_id.as_deref(), Some("client-1"));
        assert!(m.dial_pending());
        assert!(m.error.is_none());
    }

    #[test]
    fn a_dial_lost_with_the_socket_is_sent_again_with_the_same_client_id() {
        // covers DIAL-5: a reconnect never loses or doubles a dial
        let mut m = signed_in(vec![phone("Pixel 8", false)]);
        m.number = "13900139000".into();
        m.dial("client-7".into());
        m.disconnected(true);
        assert_eq!(m.link, Link::Reconnecting);
        let out = m.connected();
        assert!(matches!(&out[..], [Out::Send(WidgetMsg::Resume(_))]));
        let out = m.frame(
            Some(Asked::Resume),
            RelayToWidget::SignedIn(SignedIn {
                token: Secret::new("tok"),
                member: E164::new("+8613800138000").unwrap(),
                expires_at: 0,
            }),
        );
        assert!(
            matches!(&out[..], [Out::Send(WidgetMsg::Dial(d))] if d.client_id.as_deref() == Some("client-7")),
            "{out:?}"
        );
    }

    #[test]
    fn call_states_are_followed_once_in_order() {
        // covers DIAL-5, DIAL-6
        let mut m = signed_in(vec![phone("Pixel 8", true)]);
        let out = m.frame(
            Some(Asked::Dial),
            RelayToWidget::DialAccepted(DialAccepted {
                call_id: "c1".into(),
                number: E164::new("+861065529988").unwrap(),
                device: "dev-Pixel 8".into(),
            }),
        );
        assert!(matches!(&out[..], [Out::CallState(c)] if c.state == CallState::Sent));
        assert_eq!(
            m.frame(None, event(1, CallState::Sent)),
            vec![],
            "told once"
        );
        m.frame(None, event(2, CallState::Confirming));
        assert_eq!(m.call.as_ref().unwrap().state, CallState::Confirming);
        assert_eq!(
            m.frame(None, event(2, CallState::Confirming)),
            vec![],
            "seen"
        );
        m.frame(None, event(3, CallState::Declined));
        let line = m.call_line().unwrap();
        assert!(line.contains("nothing was dialled"), "{line}");
        assert!(line.contains("+861065529988"), "{line}");
        assert_eq!(m.frame(None, event(3, CallState::Active)), vec![]);
    }

    #[test]
    fn state_names_match_the_wire() {
        // covers DIAL-5: the page shows the states the phone reports, by their wire names
        use CallState::*;
        for state in [
            Sent, Confirming, Dialing, Ringing, Active, Ended, Failed, Declined,
        ] {
            let wire = serde_json::to_value(state).unwrap();
            assert_eq!(wire.as_str(), Some(state_name(state)));
        }
    }

    #[test]
    fn dial_errors_say_what_to_do() {
        // covers DIAL-3, DIAL-4
        let mut m = signed_in(vec![phone("Pixel 8", false)]);
        m.number = "12".into();
        m.dial("c".into());
        let e = ErrorBody::new(
            ErrorCode::InvalidNumber,
            "'12' is not a phone number that can be dialled in region CN: check the digits",
        );
        m.frame(Some(Asked::Dial), RelayToWidget::Error(e));
        assert!(!m.dial_pending());
        assert!(m.error.as_deref().unwrap().contains("check the digits"));
        assert_eq!(m.screen(), Screen::Dialer, "still signed in");
    }

    #[test]
    fn a_revoked_session_signs_out_and_a_first_failed_connect_is_refused() {
        // covers DIAL-2
        let mut m = signed_in(vec![phone("Pixel 8", false)]);
        let e = ErrorBody::new(ErrorCode::TokenRevoked, "your session ended: sign in again");
        assert_eq!(
            m.frame(None, RelayToWidget::Error(e)),
            vec![Out::ForgetToken]
        );
        assert_eq!(m.screen(), Screen::SignIn);
        let mut fresh = Model::new(Lang::En, None);
        fresh.disconnected(false);
        assert_eq!(fresh.link_line(), Some(Lang::En.text().refused));
    }

    #[test]
    fn sign_out_forgets_everything_at_once() {
        // covers DIAL-2
        let mut m = signed_in(vec![phone("Pixel 8", false)]);
        let out = m.sign_out();
        assert_eq!(
            out,
            vec![Out::Send(WidgetMsg::SignOut(SignOut {})), Out::ForgetToken]
        );
        assert_eq!(m.screen(), Screen::SignIn);
        assert!(m.agents.is_empty());
    }

    #[test]
    fn page_numbers_fill_the_box_or_dial_at_once() {
        // covers DIAL-4: a number clicked on the page, or a call button in the panel
        let mut m = signed_in(vec![phone("Pixel 8", false)]);
        m.apply(Action::Fill(" +86 10 6552 9988 ".into()));
        assert_eq!(m.number, "+86 10 6552 9988");
        let out = m.apply(Action::DialPageNumber {
            number: "+86 510 8766 1122".into(),
            client_id: "c9".into(),
        });
        assert!(
            matches!(&out[..], [Out::Send(WidgetMsg::Dial(d))] if d.number == "+86 510 8766 1122")
        );
        m.apply(Action::SetNumber("1".into()));
        m.apply(Action::Press(Key::Digit(2)));
        assert_eq!(m.number, "12");
    }

    #[test]
    fn pairing_sends_the_code_and_says_which_phone() {
        // covers DIAL-1: a phone paired from the page
        let mut m = signed_in(vec![]);
        assert!(m.pair("  ").is_empty());
        let out = m.pair("AB12 CD34");
        assert!(
            matches!(&out[..], [Out::Send(WidgetMsg::ConfirmPairing(p))] if p.code == "AB12CD34")
        );
        m.frame(
            Some(Asked::Pair),
            RelayToWidget::Paired(Paired {
                device: "d".into(),
                name: "Pixel 8".into(),
            }),
        );
        assert!(m.notice.as_deref().unwrap().contains("Pixel 8"));
    }
}
