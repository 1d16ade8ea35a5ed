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
