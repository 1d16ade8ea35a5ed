//! Tests of the session, the link and DIAL: sign-in and resume, presence, dialling, call states,
//! pairing and the page's numbers.

use super::*;
use ringlink_protocol::call::{CallEvent, CallState};
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
    assert!(matches!(m.session, Session::SignedIn { ref member } if member == "+8613800138000"));
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
    assert!(line.contains("010 6552 9988"), "{line}"); // covers #9 §5 numbers
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
        assert_eq!(wire.as_str(), Some(state.as_str()));
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
    m.apply(Action::Fill {
        number: " +86 10 6552 9988 ".into(),
        button: String::new(),
    });
    // covers #9 §5 numbers: the box shows it as written; the dial sends what the page wrote
    assert_eq!(m.number, "010 6552 9988");
    let out = m.apply(Action::Dial {
        client_id: "c8".into(),
    });
    assert!(matches!(&out[..], [Out::Send(WidgetMsg::Dial(d))] if d.number == "+86 10 6552 9988"));
    m.frame(
        Some(Asked::Dial),
        RelayToWidget::DialAccepted(DialAccepted {
            call_id: "c8".into(),
            number: E164::new("+861065529988").unwrap(),
            device: "dev-Pixel 8".into(),
        }),
    );
    let out = m.apply(Action::DialPageNumber {
        number: "+86 510 8766 1122".into(),
        client_id: "c9".into(),
    });
    assert!(matches!(&out[..], [Out::Send(WidgetMsg::Dial(d))] if d.number == "+86 510 8766 1122"));
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
    assert!(matches!(&out[..], [Out::Send(WidgetMsg::ConfirmPairing(p))] if p.code == "AB12CD34"));
    m.frame(
        Some(Asked::Pair),
        RelayToWidget::Paired(Paired {
            device: "d".into(),
            name: "Pixel 8".into(),
        }),
    );
    assert!(m.notice.as_deref().unwrap().contains("Pixel 8"));
}
