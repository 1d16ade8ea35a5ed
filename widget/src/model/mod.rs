//! What the panel shows, as plain data, and how each event changes it: the relay link, the
//! session, the member's phones (DIAL-3), the screen of the moment and the messages. DIAL lives
//! in [`dial`], CALL ("call me now") in [`call_me`], CHAT's panel in [`chat`]. Every change returns the work it asks for
//! ([`Out`]): frames to send, the token to keep or drop, events for the host page. No browser
//! code here, so it is tested natively.

mod account;
mod call_me;
mod call_words;
pub mod chat;
mod chat_flow;
mod dial;
mod host_page;
mod picked;
pub mod written_number;

pub use account::AccountFlow;
pub use call_me::{same_number, CallMeFlow, Step, TwoLegCall};
pub use chat_flow::{ChatAction, ChatPage};
pub use dial::CallView;
pub use picked::Picked;

use ringlink_protocol::account::CodePurpose;
use ringlink_protocol::secret::Secret;
use ringlink_protocol::widget::*;
use ringlink_protocol::{ErrorBody, ErrorCode};

use crate::i18n::{fill, Lang};
use crate::keypad::Key;

/// Which request a reply answers; the connection remembers it by the request's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asked {
    SignIn,
    Resume,
    SignOut,
    Dial,
    Pair,
    Ping,
    CallOptions,
    SendCode,
    VerifyCode,
    CallMe,
    HangUp,
    AskAccountCode,
    SignUp,
    ResetPassword,
    /// A chat request (CHAT); the chat panel's own model reads its answers.
    Chat,
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
            WidgetMsg::CallOptions(_) => Asked::CallOptions,
            WidgetMsg::SendCode(_) => Asked::SendCode,
            WidgetMsg::VerifyCode(_) => Asked::VerifyCode,
            WidgetMsg::CallMe(_) => Asked::CallMe,
            WidgetMsg::HangUp(_) => Asked::HangUp,
            WidgetMsg::AskAccountCode(_) => Asked::AskAccountCode,
            WidgetMsg::SignUp(_) => Asked::SignUp,
            WidgetMsg::ResetPassword(_) => Asked::ResetPassword,
            WidgetMsg::ChatOpen(_)
            | WidgetMsg::ChatSend(_)
            | WidgetMsg::ChatTyping(_)
            | WidgetMsg::ChatRead(_)
            | WidgetMsg::ChatEnd(_)
            | WidgetMsg::LeaveMessage(_) => Asked::Chat,
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
    /// Signed in, opened by a merchant's call button: the offer, the callback box, its code,
    /// the call and its progress (CALL-3 to CALL-7).
    CallMe,
    /// Signed out, getting an account or a new password by SMS code (#9 §2).
    Account,
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
    /// Tell the host page (`ringlink:call-progress`): a two-leg call moved on.
    CallProgress(TwoLegCall),
    /// Keep the chat's visitor id in the frame's `localStorage` (CHAT).
    SaveVisitor(String),
    /// The chat's unread count, for the bubble (0 clears it).
    Unread(u32),
    /// The chat's "no agent free" offer appeared: focus the panel placed moves to it.
    Offered,
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
    /// A click-to-dial number on the page: fill the number box and keep it shown; `button` is
    /// the merchant's "call me now" button for it (empty: none).
    Fill {
        number: String,
        button: String,
    },
    /// On a phone: the member lets the widget take over the shop's `tel:` links (or not).
    ChooseTelWidget(bool),
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
    /// A merchant's call button (`data-ringlink-call="sales"`): open the "call me" flow.
    CallButton(String),
    /// The visitor typed in the callback box (CALL-3).
    SetCallback(String),
    /// "Send code" to the number in the callback box.
    SendCode,
    /// The code from the SMS.
    VerifyCode(String),
    /// "Call me now", with a fresh client id.
    CallMe {
        client_id: String,
    },
    HangUp,
    /// Back to calling from the member's own phone.
    LeaveCallMe,
    /// One second passed: the connected call's clock moves on between pushes.
    Tick,
    /// "Create account" or "Forgot password?" on the sign-in form.
    StartAccount(CodePurpose),
    /// Back to the sign-in form.
    LeaveAccount,
    /// "Send code" to the typed number.
    AskAccountCode(String),
    /// The code from the SMS, the new password, and for a new account an optional name.
    FinishAccount {
        code: String,
        password: String,
        name: String,
    },
    /// "Use another number" on the code step.
    AccountOtherNumber,
    /// The chat tab and the visitor's chat (CHAT).
    Chat(ChatAction),
}

/// A number marked on the host page (`data-ringlink-dial`, or a `tel:` link).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageNumber {
    pub number: String,
    pub label: String,
    /// The merchant's "call me now" button for this number (`data-ringlink-button`, else the
    /// page's default); empty when there is none.
    pub button: String,
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
    /// The "call me" flow, while the panel was opened by a merchant's call button.
    pub call_me: Option<CallMeFlow>,
    /// Calls this panel started: the only ones the host page hears about (`host_page`).
    own_calls: Vec<String>,
    /// The number picked on the page, kept on screen with its native link (`picked`).
    pub picked: Option<Picked>,
    /// On a phone, the member chose to open the shop's `tel:` links here (`picked`).
    pub tel_widget: bool,
    /// "Create account" or "Forgot password?", while signed out.
    pub account: Option<AccountFlow>,
    /// The chat, from the visitor's first use of the chat tab (or a kept visitor id) on.
    pub chat: Option<chat::ChatModel>,
    /// The chat tab is chosen (else the call tab).
    pub chat_tab: bool,
    /// The panel is open (the chat is on screen only while it is and its tab is chosen).
    pub panel_open: bool,
    /// The chat's visitor id from the frame's storage, from an earlier page.
    pub kept_visitor: Option<String>,
    /// What the agent is told about the page (CHAT-8).
    pub chat_page: ChatPage,
    /// An agent's invitation (CHAT-9) that came before the socket was open: redeemed on open.
    pub chat_invite: Option<String>,
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
            call_me: None,
            own_calls: Vec::new(),
            picked: None,
            tel_widget: false,
            account: None,
            chat: None,
            chat_tab: false,
            panel_open: false,
            kept_visitor: None,
            chat_page: ChatPage::default(),
            chat_invite: None,
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
            Action::Fill { number, button } => self.pick(&number, &button),
            Action::ChooseTelWidget(on) => self.choose_tel_widget(on),
            Action::ChooseDevice(device) => self.device = Some(device),
            Action::Dial { client_id } => {
                self.new_action();
                return self.dial(client_id);
            }
            Action::DialPageNumber { number, client_id } => {
                self.new_action();
                self.number = number;
                return self.dial(client_id);
            }
            Action::Pair(code) => return self.pair(&code),
            Action::SignOut => return self.sign_out(),
            Action::SetPageNumbers(numbers) => self.page_numbers = numbers,
            Action::CallButton(button) => {
                self.new_action();
                return self.open_call_button(button);
            }
            Action::SetCallback(number) => self.set_callback(number),
            Action::SendCode => return self.send_code(),
            Action::VerifyCode(code) => return self.verify_code(&code),
            Action::CallMe { client_id } => return self.place_call(client_id),
            Action::HangUp => return self.hang_up(),
            Action::LeaveCallMe => self.leave_call_me(),
            Action::Tick => self.tick(),
            Action::StartAccount(purpose) => self.start_account(purpose),
            Action::LeaveAccount => self.leave_account(),
            Action::AskAccountCode(number) => return self.ask_account_code(&number),
            Action::FinishAccount {
                code,
                password,
                name,
            } => return self.finish_account(&code, &password, &name),
            Action::AccountOtherNumber => self.account_other_number(),
            Action::Chat(a) => return self.chat_action(a),
        }
        Vec::new()
    }

    pub fn screen(&self) -> Screen {
        match &self.session {
            Session::SignedOut if self.account.is_some() => Screen::Account,
            Session::SignedOut => Screen::SignIn,
            // A sign-in on its way keeps the form (and what was typed) on screen.
            Session::Waiting if self.token.is_none() => Screen::SignIn,
            Session::Waiting => Screen::Waiting,
            Session::SignedIn { .. } if self.call_me.is_some() => Screen::CallMe,
            Session::SignedIn { .. } if self.agents.is_empty() => Screen::NoPhone,
            Session::SignedIn { .. } => Screen::Dialer,
        }
    }

    /// `data-state` of the agent status line: `signed-out`, `connected` or `disconnected`; the
    /// line is hidden for `signed-out` and `call-me` (a two-leg call needs no phone agent).
    pub fn agent_state(&self) -> &'static str {
        match self.screen() {
            Screen::SignIn | Screen::Waiting | Screen::Account => "signed-out",
            Screen::CallMe => "call-me",
            Screen::NoPhone => "disconnected",
            Screen::Dialer => "connected",
        }
    }

    /// The agent status line (DIAL-3): not connected, or which phone will dial.
    pub fn agent_line(&self) -> String {
        let t = self.lang.text();
        match self.screen() {
            Screen::SignIn | Screen::Account => t.status_signed_out.to_owned(),
            Screen::Waiting => t.signing_in.to_owned(),
            Screen::NoPhone => t.not_connected.to_owned(),
            Screen::CallMe => String::new(),
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

    /// The sign-in form was sent and is not answered yet.
    pub fn signing_in(&self) -> bool {
        self.session == Session::Waiting && self.token.is_none()
    }

    /// The socket opened: resume the kept session, if any.
    pub fn connected(&mut self) -> Vec<Out> {
        self.link = Link::Open;
        let mut out = self.chat_connected();
        out.extend(self.resume());
        out
    }

    fn resume(&mut self) -> Vec<Out> {
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
        self.account_lost();
        // A sign-in in flight is lost with the socket; a resume is simply sent again.
        if self.session == Session::Waiting && self.token.is_none() {
            self.session = Session::SignedOut;
            self.error = Some(self.lang.text().lost_sign_in.to_owned());
        }
    }

    /// The visitor submitted the sign-in form (DIAL-2).
    pub fn sign_in(&mut self, number: &str, password: &str) -> Vec<Out> {
        // The button stays focusable while busy (`aria-disabled`): a second press waits.
        if self.signing_in() {
            return Vec::new();
        }
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
        // The call button stays chosen; its offer is asked again after the next sign-in.
        if let Some(flow) = &mut self.call_me {
            *flow = CallMeFlow::new(std::mem::take(&mut flow.button));
        }
    }

    /// A frame from the relay; `asked` is the request it answers, `None` for a push.
    pub fn frame(&mut self, asked: Option<Asked>, msg: RelayToWidget) -> Vec<Out> {
        let mut out = Vec::new();
        if self.account_frame(asked, &msg, &mut out) || self.chat_frame(&msg, &mut out) {
            return out;
        }
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
                self.call_me_resumed(&mut out);
            }
            RelayToWidget::SignedOut(_) | RelayToWidget::Pong(_) => {}
            // Chat frames before the chat is open (`chat_frame` takes them after).
            RelayToWidget::ChatOpened(_)
            | RelayToWidget::ChatSent(_)
            | RelayToWidget::ChatAck(_)
            | RelayToWidget::MessageLeft(_)
            | RelayToWidget::Line(_)
            | RelayToWidget::ChatStatus(_)
            | RelayToWidget::Typing(_)
            | RelayToWidget::Read(_)
            | RelayToWidget::Invited(_) => {}
            RelayToWidget::Presence(p) => {
                self.agents = p.agents;
                if let Some(d) = &self.device {
                    if !self.agents.iter().any(|a| &a.device == d) {
                        self.device = None;
                    }
                }
            }
            RelayToWidget::DialAccepted(_) | RelayToWidget::CallState(_) => {
                self.dial_frame(msg, &mut out)
            }
            RelayToWidget::CallOffer(_)
            | RelayToWidget::CodeSent(_)
            | RelayToWidget::NumberVerified(_)
            | RelayToWidget::CallPlaced(_)
            | RelayToWidget::HungUp(_)
            | RelayToWidget::CallProgress(_) => self.call_me_frame(msg, &mut out),
            RelayToWidget::Paired(p) => {
                self.error = None;
                self.notice = Some(fill(self.lang.text().paired, &p.name));
            }
            RelayToWidget::Error(e) => self.error(asked, &e, &mut out),
        }
        out
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
            (Some(a @ (Asked::AskAccountCode | Asked::SignUp | Asked::ResetPassword)), _) => {
                self.account_refused(a, e)
            }
            (Some(asked), _) => self.call_me_refused(asked, e),
            _ => {}
        }
        self.error = Some(text);
    }
}

#[cfg(test)]
mod panel_tests;
#[cfg(test)]
mod tests;
