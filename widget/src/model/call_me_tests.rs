//! Tests of the "call me now" flow: the offer with the callback number (CALL-3), who pays
//! (CALL-4), a changed number and its SMS code, and the helpers the progress tests share.

use super::*;
use crate::i18n::Lang;
use crate::model::{Action, Screen};
use ringlink_protocol::secret::Secret;
use ringlink_protocol::widget::{SignedIn, WidgetMsg};
use ringlink_protocol::E164;

fn n(s: &str) -> E164 {
    E164::new(s).unwrap()
}

fn offer(payer: PayerKind) -> CallOffer {
    CallOffer {
        button: "sales".into(),
        label: "Sales".into(),
        callback: n("+8613800138000"),
        verified: vec![n("+8613800138000")],
        payer,
        sponsor: None,
        per_minute: (payer == PayerKind::Member).then_some(12),
        connect_fee: (payer == PayerKind::Member).then_some(10),
        member_per_minute: (payer == PayerKind::Member).then_some(0),
        member_connect_fee: (payer == PayerKind::Member).then_some(0),
        currency: "CNY".into(),
    }
}

fn signed_in(lang: Lang) -> Model {
    let mut m = Model::new(lang, None);
    m.connected();
    m.sign_in("13800138000", "demo-password-1");
    m.frame(
        Some(Asked::SignIn),
        RelayToWidget::SignedIn(SignedIn {
            token: Secret::new("tok"),
            member: n("+8613800138000"),
            expires_at: 0,
        }),
    );
    m
}

/// Signed in, "Sales" pressed and its offer shown.
fn offered(payer: PayerKind) -> Model {
    let mut m = signed_in(Lang::En);
    let out = m.apply(Action::CallButton("sales".into()));
    assert!(
        matches!(&out[..], [Out::Send(WidgetMsg::CallOptions(o))] if o.button == "sales"),
        "{out:?}"
    );
    m.frame(
        Some(Asked::CallOptions),
        RelayToWidget::CallOffer(offer(payer)),
    );
    m
}

fn flow(m: &Model) -> &CallMeFlow {
    m.call_me.as_ref().unwrap()
}

fn progress(seq: u64, stage: CallStage) -> CallProgress {
    CallProgress {
        call_id: "k1".into(),
        stage,
        seconds: None,
        cost: None,
        ends_in: None,
        reason: None,
        seq,
        at: 0,
    }
}

fn push(m: &mut Model, p: CallProgress) -> Vec<Out> {
    m.frame(None, RelayToWidget::CallProgress(p))
}

/// Offered, "call me now" pressed and placed as call `k1`.
fn placed(payer: PayerKind) -> Model {
    let mut m = offered(payer);
    m.apply(Action::CallMe {
        client_id: "w1".into(),
    });
    m.frame(
        Some(Asked::CallMe),
        RelayToWidget::CallPlaced(CallPlaced {
            call_id: "k1".into(),
            callback: n("+8613800138000"),
            label: "Sales".into(),
            payer,
        }),
    );
    m
}

fn refuse(m: &mut Model, asked: Asked, code: ErrorCode, message: &str) {
    let e = ErrorBody::new(code, message);
    m.frame(Some(asked), RelayToWidget::Error(e));
}

#[test]
fn the_offer_shows_the_callback_number_to_confirm() {
    // covers CALL-3: the box is pre-filled with the number on file; confirming calls it
    let mut m = offered(PayerKind::Member);
    assert_eq!(m.screen(), Screen::CallMe);
    assert_eq!(m.agent_state(), "call-me", "no phone agent needed");
    // covers #9 §5 numbers: the box shows the number as people write it, the relay gets E.164
    assert_eq!(flow(&m).callback, "138 0013 8000");
    assert_eq!(flow(&m).step(), Step::Confirm);
    assert_eq!(m.offer_heading().as_deref(), Some("Call Sales"));
    let out = m.apply(Action::CallMe {
        client_id: "w1".into(),
    });
    let [Out::Send(WidgetMsg::CallMe(c))] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(c.button, "sales");
    assert_eq!(c.callback, "+8613800138000");
    assert_eq!(c.client_id.as_deref(), Some("w1"));
    assert_eq!(flow(&m).step(), Step::Placing);
    assert_eq!(m.progress_line().as_deref(), Some("Placing the call…"));
}

#[test]
fn signing_in_after_the_button_asks_for_the_offer() {
    // covers CALL-2, CALL-3: a call button pressed while signed out asks after sign-in
    let mut m = Model::new(Lang::En, None);
    m.connected();
    assert!(m.apply(Action::CallButton("sales".into())).is_empty());
    assert_eq!(m.screen(), Screen::SignIn);
    m.sign_in("13800138000", "pw");
    let out = m.frame(
        Some(Asked::SignIn),
        RelayToWidget::SignedIn(SignedIn {
            token: Secret::new("tok"),
            member: n("+8613800138000"),
            expires_at: 0,
        }),
    );
    assert!(out
        .iter()
        .any(|o| matches!(o, Out::Send(WidgetMsg::CallOptions(c)) if c.button == "sales")));
    assert_eq!(flow(&m).step(), Step::Loading);
}

#[test]
fn who_pays_is_said_before_calling() {
    // covers CALL-4: member (price and connect fee), merchant, sponsor
    let m = offered(PayerKind::Member);
    assert_eq!(
        m.payer_line().as_deref(),
        Some("You pay ¥0.12/min + ¥0.10 to connect.")
    );
    let m = offered(PayerKind::Merchant);
    assert_eq!(
        m.payer_line().as_deref(),
        Some("Free for you, paid by the merchant.")
    );
    let mut m = signed_in(Lang::Zh);
    m.apply(Action::CallButton("sales".into()));
    let mut o = offer(PayerKind::Sponsor);
    o.sponsor = Some("茶博会".into());
    m.frame(Some(Asked::CallOptions), RelayToWidget::CallOffer(o));
    assert_eq!(m.payer_line().as_deref(), Some("免费，由茶博会赞助。"));
    let mut m = offered(PayerKind::Member);
    m.call_me
        .as_mut()
        .unwrap()
        .offer
        .as_mut()
        .unwrap()
        .connect_fee = Some(0);
    assert_eq!(
        m.payer_line().as_deref(),
        Some("You pay ¥0.12/min."),
        "no connect fee"
    );
}

#[test]
fn the_offer_shows_both_legs_prices_when_the_members_line_costs_too() {
    // covers #8 §5 Leg A: the offer shows the merchant's leg and the member's leg
    let priced = |lang, pm: Option<i64>, fee: Option<i64>| {
        let mut m = signed_in(lang);
        m.apply(Action::CallButton("sales".into()));
        let mut o = offer(PayerKind::Member);
        o.member_per_minute = pm;
        o.member_connect_fee = fee;
        m.frame(Some(Asked::CallOptions), RelayToWidget::CallOffer(o));
        m.payer_line().unwrap()
    };
    assert_eq!(
        priced(Lang::En, Some(6), Some(5)),
        "You pay ¥0.12/min + ¥0.10 to connect for the shop's line \
         and ¥0.06/min + ¥0.05 to connect for your line."
    );
    assert_eq!(
        priced(Lang::Zh, Some(6), Some(0)),
        "由您支付：商家线路 ¥0.12/分钟，接通费 ¥0.10；您的线路 ¥0.06/分钟。"
    );
    // A free member leg, or an older relay that does not send it, reads as before.
    for (pm, fee) in [(Some(0), Some(0)), (None, None)] {
        assert_eq!(
            priced(Lang::En, pm, fee),
            "You pay ¥0.12/min + ¥0.10 to connect.",
            "{pm:?} {fee:?}"
        );
    }
}

#[test]
fn a_changed_number_needs_a_code_and_the_code_enables_the_call() {
    // covers CALL-3: a new callback number is verified by SMS code before it is called
    let mut m = offered(PayerKind::Member);
    m.apply(Action::SetCallback("139 0013 9000".into()));
    assert_eq!(flow(&m).step(), Step::NeedCode);
    assert!(
        m.apply(Action::CallMe {
            client_id: "w1".into()
        })
        .is_empty(),
        "an unverified number is not called"
    );
    assert!(m.error.as_deref().unwrap().contains("code"));
    let out = m.apply(Action::SendCode);
    assert!(
        matches!(&out[..], [Out::Send(WidgetMsg::SendCode(s))] if s.number == "139 0013 9000" && s.lang.as_deref() == Some(m.lang.code()))
    );
    assert_eq!(flow(&m).busy, Some(Asked::SendCode));
    assert!(m.apply(Action::SendCode).is_empty(), "one code at a time");
    m.frame(
        Some(Asked::SendCode),
        RelayToWidget::CodeSent(CodeSent {
            number: n("+8613900139000"),
            expires_in: 300,
        }),
    );
    assert_eq!(flow(&m).step(), Step::EnterCode);
    assert_eq!(
        m.notice.as_deref(),
        Some("Code sent to 139 0013 9000. It works for 5 min.")
    );
    assert!(m.apply(Action::VerifyCode(" ".into())).is_empty());
    assert_eq!(m.error.as_deref(), Some("Type the code from the SMS."));
    let out = m.apply(Action::VerifyCode("12 34 56".into()));
    assert!(
        matches!(&out[..], [Out::Send(WidgetMsg::VerifyCode(v))] if v.number == "+8613900139000" && v.code == "123456"),
        "{out:?}"
    );
    m.frame(
        Some(Asked::VerifyCode),
        RelayToWidget::NumberVerified(NumberVerified {
            number: n("+8613900139000"),
        }),
    );
    assert_eq!(flow(&m).step(), Step::Confirm);
    assert!(m.error.is_none());
    let out = m.apply(Action::CallMe {
        client_id: "w2".into(),
    });
    assert!(
        matches!(&out[..], [Out::Send(WidgetMsg::CallMe(c))] if c.callback == "+8613900139000")
    );
    // Changing back to the number on file needs no code.
    let mut m = offered(PayerKind::Member);
    m.apply(Action::SetCallback("1380013800".into()));
    assert_eq!(flow(&m).step(), Step::NeedCode);
    m.apply(Action::SetCallback("138 0013 8000".into()));
    assert_eq!(flow(&m).step(), Step::Confirm);
}

#[test]
fn typed_numbers_match_their_verified_form() {
    // covers CALL-3: the number on file, however it is typed, needs no new code
    let on_file = "+8613800138000";
    for typed in [
        "+8613800138000",
        "+86 138 0013 8000",
        "008613800138000",
        "13800138000",
        "138-0013-8000",
    ] {
        assert!(same_number(typed, on_file), "{typed}");
    }
    assert!(same_number("010 6552 9988", "+861065529988"));
    for typed in [
        "",
        "8000",
        "+13800138000",
        "13900139000",
        "+86 139 0013 9000",
    ] {
        assert!(!same_number(typed, on_file), "{typed}");
    }
}

#[test]
fn code_errors_are_shown_clearly() {
    // covers CALL-3: wrong code, too many tries, a number that cannot be called
    let mut m = offered(PayerKind::Member);
    m.apply(Action::SetCallback("12".into()));
    m.apply(Action::SendCode);
    refuse(
        &mut m,
        Asked::SendCode,
        ErrorCode::InvalidNumber,
        "'12' is not a phone number: check the digits",
    );
    assert_eq!(flow(&m).busy, None);
    assert!(m.error.as_deref().unwrap().contains("check the digits"));
    m.apply(Action::SetCallback("13900139000".into()));
    m.apply(Action::SendCode);
    let mut e = ErrorBody::new(ErrorCode::RateLimited, "too many codes");
    e.retry_after = Some(42);
    m.frame(Some(Asked::SendCode), RelayToWidget::Error(e.clone()));
    assert_eq!(
        m.error.as_deref(),
        Some("Too many codes. Try again in 42 s.")
    );
    assert_eq!(Lang::Zh.error(&e), "尝试次数过多，请 42 秒后再试。");
    m.frame(
        Some(Asked::SendCode),
        RelayToWidget::CodeSent(CodeSent {
            number: n("+8613900139000"),
            expires_in: 300,
        }),
    );
    m.apply(Action::VerifyCode("000000".into()));
    refuse(
        &mut m,
        Asked::VerifyCode,
        ErrorCode::CodeInvalid,
        "the code is wrong or expired",
    );
    assert_eq!(
        m.error.as_deref(),
        Some("The code is wrong or expired. Check the SMS, or send a new code.")
    );
    assert_eq!(flow(&m).step(), Step::EnterCode, "the code box stays");
    assert_eq!(flow(&m).busy, None);
}

#[path = "call_progress_tests.rs"]
mod progress;
