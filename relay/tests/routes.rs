//! The widget socket's routing table, checked from outside: every request the table marks as a
//! member's is refused to a socket that has not signed in, with `not_signed_in`, and nothing
//! of it happens. The samples below must cover the table exactly, so a new member request
//! without a sample fails this test until it is added.

mod support;

use std::collections::BTreeSet;

use ringlink_protocol::call_me::{CallMe, CallOptions, HangUp, SendCode, VerifyCode};
use ringlink_protocol::widget::{ConfirmPairing, Dial, Ping, RelayToWidget, WidgetMsg};
use ringlink_protocol::ErrorCode;
use ringlink_relay::{Role, WIDGET_ROUTES};
use support::*;

/// One well-formed request of every member route, by the table's name for it.
fn member_samples() -> Vec<(&'static str, WidgetMsg)> {
    vec![
        (
            "Dial",
            WidgetMsg::Dial(Dial {
                number: "13900139000".into(),
                device: None,
                client_id: None,
            }),
        ),
        (
            "ConfirmPairing",
            WidgetMsg::ConfirmPairing(ConfirmPairing {
                code: "ABCD2345".into(),
            }),
        ),
        (
            "CallOptions",
            WidgetMsg::CallOptions(CallOptions {
                button: "sales".into(),
            }),
        ),
        (
            "SendCode",
            WidgetMsg::SendCode(SendCode {
                number: BOB.into(),
                lang: None,
            }),
        ),
        (
            "VerifyCode",
            WidgetMsg::VerifyCode(VerifyCode {
                number: BOB.into(),
                code: "123456".into(),
            }),
        ),
        (
            "CallMe",
            WidgetMsg::CallMe(CallMe {
                button: "sales".into(),
                callback: BOB.into(),
                client_id: None,
                lang: None,
            }),
        ),
        (
            "HangUp",
            WidgetMsg::HangUp(HangUp {
                call_id: "cm_x".into(),
            }),
        ),
    ]
}

// covers #10 §3 one dispatch: the table names who may send each request, and every member
// request is refused before sign-in (the check written once, in the table's grammar)
both_dbs!(
    member_requests_need_a_signed_in_member,
    |t: TestRelay| async move {
        let samples = member_samples();
        let sampled: BTreeSet<&str> = samples.iter().map(|(n, _)| *n).collect();
        let members: BTreeSet<&str> = WIDGET_ROUTES
            .iter()
            .filter(|(_, r)| *r == Role::Member)
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(
            sampled, members,
            "every member route in WIDGET_ROUTES needs a sample here"
        );
        assert!(
            WIDGET_ROUTES
                .iter()
                .any(|(n, r)| *n == "SignIn" && *r == Role::Guest),
            "signing in is open to guests"
        );
        let mut w = t.widget().await;
        for (name, msg) in samples {
            let reply = w.request(msg).await;
            assert!(
                matches!(&reply, RelayToWidget::Error(e) if e.code == ErrorCode::NotSignedIn),
                "{name} before sign-in: {reply:?}"
            );
        }
        // A guest route still answers on the same socket.
        let pong = w.request(WidgetMsg::Ping(Ping {})).await;
        assert!(matches!(pong, RelayToWidget::Pong(_)), "{pong:?}");
    }
);

/// One well-formed request of every visitor route (chat before `chat_open`).
fn visitor_samples() -> Vec<(&'static str, WidgetMsg)> {
    use ringlink_protocol::chat::*;
    vec![
        (
            "ChatSend",
            WidgetMsg::ChatSend(ChatSend {
                text: "hi".into(),
                client_id: "1".into(),
                attachment: None,
            }),
        ),
        (
            "ChatTyping",
            WidgetMsg::ChatTyping(ChatTyping { typing: true }),
        ),
        ("ChatRead", WidgetMsg::ChatRead(ChatRead { upto: 1 })),
        (
            "ChatEnd",
            WidgetMsg::ChatEnd(ChatEnd {
                rating: None,
                comment: None,
            }),
        ),
    ]
}

/// One well-formed request of every staff route of the console socket.
fn staff_samples() -> Vec<(&'static str, ringlink_protocol::console::ConsoleMsg)> {
    use ringlink_protocol::console::*;
    let conv = || "cv_X".to_owned();
    vec![
        (
            "SetState",
            ConsoleMsg::SetState(SetState {
                state: AgentState::Busy,
            }),
        ),
        (
            "StaffSend",
            ConsoleMsg::StaffSend(StaffSend {
                conversation: conv(),
                text: "x".into(),
                client_id: "1".into(),
                attachment: None,
                internal: false,
            }),
        ),
        (
            "StaffTyping",
            ConsoleMsg::StaffTyping(StaffTyping {
                conversation: conv(),
                typing: true,
            }),
        ),
        (
            "StaffRead",
            ConsoleMsg::StaffRead(StaffRead {
                conversation: conv(),
                upto: 1,
            }),
        ),
        (
            "CloseConversation",
            ConsoleMsg::CloseConversation(CloseConversation {
                conversation: conv(),
            }),
        ),
        (
            "Transfer",
            ConsoleMsg::Transfer(Transfer {
                conversation: conv(),
                to: 1,
                note: String::new(),
            }),
        ),
        (
            "AnswerTransfer",
            ConsoleMsg::AnswerTransfer(AnswerTransfer {
                conversation: conv(),
                accept: true,
            }),
        ),
        (
            "OpenColleague",
            ConsoleMsg::OpenColleague(OpenColleague { staff: 1 }),
        ),
        (
            "InviteVisitor",
            ConsoleMsg::InviteVisitor(InviteVisitor {
                pageview: "pv_X".into(),
                text: "hi".into(),
            }),
        ),
        (
            "GetHistory",
            ConsoleMsg::GetHistory(GetHistory {
                conversation: conv(),
                before: None,
            }),
        ),
        (
            "SearchChats",
            ConsoleMsg::SearchChats(SearchChats { query: "x".into() }),
        ),
        (
            "AnswerLeftMessage",
            ConsoleMsg::AnswerLeftMessage(AnswerLeftMessage {
                id: "lm_X".into(),
                text: "x".into(),
            }),
        ),
    ]
}

// covers CHAT-6, #11 tenants: every chat request of the widget needs an open chat panel, and
// every console request but sign-in and ping needs a staff session; new routes without a
// sample fail here
both_dbs!(chat_requests_need_their_role, |t: TestRelay| async move {
    let sampled: BTreeSet<&str> = visitor_samples().iter().map(|(n, _)| *n).collect();
    let visitors: BTreeSet<&str> = WIDGET_ROUTES
        .iter()
        .filter(|(_, r)| *r == Role::Visitor)
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(
        sampled, visitors,
        "every visitor route in WIDGET_ROUTES needs a sample here"
    );
    let mut w = t.widget().await;
    for (name, msg) in visitor_samples() {
        let reply = w.request(msg).await;
        assert!(
            matches!(&reply, RelayToWidget::Error(e) if e.code == ErrorCode::ChatNotOpen),
            "{name} before chat_open: {reply:?}"
        );
    }
    let sampled: BTreeSet<&str> = staff_samples().iter().map(|(n, _)| *n).collect();
    let staff: BTreeSet<&str> = ringlink_relay::CONSOLE_ROUTES
        .iter()
        .filter(|(_, r)| *r == Role::Staff)
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(
        sampled, staff,
        "every staff route in CONSOLE_ROUTES needs a sample here"
    );
    let guests: BTreeSet<&str> = ringlink_relay::CONSOLE_ROUTES
        .iter()
        .filter(|(_, r)| *r == Role::Guest)
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(
        guests,
        BTreeSet::from(["Ping", "StaffResume", "StaffSignIn"]),
        "only signing in is open on the console"
    );
    let mut c = support::chat::console(&t).await;
    for (name, msg) in staff_samples() {
        let reply = c.request(msg).await;
        assert!(
            matches!(&reply, ringlink_protocol::console::RelayToConsole::Error(e) if e.code == ErrorCode::NotStaff),
            "{name} before staff sign-in: {reply:?}"
        );
    }
});
