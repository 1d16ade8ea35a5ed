//! Tests of a placed two-leg call: its progress stages and the charge (CALL-6, CALL-7), why it
//! ended, each refusal in words, and its retry after a reconnect (CALL-5).

use super::*;

#[test]
fn progress_stages_are_shown_live_and_told_to_the_page() {
    // covers CALL-6: calling you, connecting, ringing, connected with time and cost
    let mut m = placed(PayerKind::Member);
    assert_eq!(flow(&m).step(), Step::Live);
    assert_eq!(m.progress_line().as_deref(), Some("Calling your phone…"));
    let out = push(&mut m, progress(5, CallStage::CallingYou));
    assert!(matches!(&out[..], [Out::CallProgress(c)] if c.stage == CallStage::CallingYou));
    push(&mut m, progress(6, CallStage::ConnectingMerchant));
    assert_eq!(m.progress_line().as_deref(), Some("Connecting Sales…"));
    push(&mut m, progress(7, CallStage::MerchantRinging));
    assert_eq!(m.progress_line().as_deref(), Some("Sales is ringing…"));
    assert_eq!(m.call_clock(), None);
    assert!(!m.ticking());
    let mut p = progress(8, CallStage::Connected);
    p.seconds = Some(42);
    p.cost = Some(12);
    push(&mut m, p);
    assert_eq!(
        format!("{} {}", m.progress_line().unwrap(), m.call_clock().unwrap()),
        "Connected 0:42 · ¥0.12"
    );
    assert!(m.ticking());
    m.apply(Action::Tick);
    assert_eq!(m.call_clock().as_deref(), Some("0:43 · ¥0.12"));
    assert!(
        push(&mut m, progress(7, CallStage::MerchantRinging)).is_empty(),
        "an old push is not followed"
    );
    assert_eq!(m.progress_line().as_deref(), Some("Connected"));
    assert!(
        m.apply(Action::LeaveCallMe).is_empty() && m.screen() == Screen::CallMe,
        "a live call stays on screen"
    );
    assert!(
        m.apply(Action::CallButton("support".into())).is_empty(),
        "another button does not replace a live call"
    );
    assert_eq!(flow(&m).button, "sales");
    let out = m.apply(Action::HangUp);
    assert!(matches!(&out[..], [Out::Send(WidgetMsg::HangUp(h))] if h.call_id == "k1"));
    assert_eq!(flow(&m).busy, Some(Asked::HangUp));
    assert!(m.apply(Action::HangUp).is_empty(), "hung up once");
}

#[test]
fn credit_low_and_the_end_with_its_charge() {
    // covers CALL-7: warned before credit runs out; the charge is said at the end
    let mut m = placed(PayerKind::Member);
    let mut p = progress(9, CallStage::CreditLow);
    p.seconds = Some(50);
    p.cost = Some(12);
    p.ends_in = Some(55);
    push(&mut m, p);
    assert_eq!(
        m.progress_line().as_deref(),
        Some("Credit runs out in 55 s")
    );
    assert_eq!(m.call_clock().as_deref(), Some("0:50 · ¥0.12"));
    let mut p = progress(10, CallStage::Ended);
    p.seconds = Some(65);
    p.cost = Some(24);
    p.reason = CallEndReason::parse("member_hung_up");
    let out = push(&mut m, p);
    assert!(
        matches!(&out[..], [Out::CallProgress(c)] if c.stage == CallStage::Ended && c.cost == Some(24))
    );
    assert_eq!(
        m.progress_line().as_deref(),
        Some("Call ended: 1:05, charged ¥0.24")
    );
    assert!(!m.ticking());
    assert_eq!(flow(&m).step(), Step::Confirm, "ready to call again");
    let mut p = progress(11, CallStage::Ended);
    p.call_id = "old".into();
    assert!(
        push(&mut m, p).is_empty(),
        "an unknown call's end is not shown"
    );
    // Credit exhausted, in Chinese.
    let mut m = placed(PayerKind::Member);
    m.lang = Lang::Zh;
    let mut p = progress(12, CallStage::Ended);
    p.seconds = Some(180);
    p.cost = Some(36);
    p.reason = CallEndReason::parse("credit_exhausted");
    push(&mut m, p);
    assert_eq!(
        m.progress_line().as_deref(),
        Some("您的余额已用完。通话已结束：3:00，扣费 ¥0.36")
    );
}

#[test]
fn failures_say_why_in_words() {
    // covers CALL-6: busy, no answer and failures are told as reasons, not codes
    for (reason, words) in [
        (
            "merchant_busy",
            "Sales is busy. Try again in a few minutes.",
        ),
        (
            "merchant_no_answer",
            "Sales did not answer. Try again later.",
        ),
        (
            "member_no_answer",
            "You did not answer the call to your phone.",
        ),
        (
            "failed",
            "The call could not be connected. Try again later.",
        ),
    ] {
        let mut m = placed(PayerKind::Member);
        let mut p = progress(3, CallStage::Ended);
        p.reason = CallEndReason::parse(reason);
        push(&mut m, p);
        let line = m.progress_line().unwrap();
        assert!(line.starts_with(words), "{reason}: {line}");
        assert!(line.ends_with("Nothing was charged."), "{line}");
    }
    let mut m = placed(PayerKind::Merchant);
    let mut p = progress(3, CallStage::Ended);
    p.seconds = Some(30);
    p.reason = CallEndReason::parse("merchant_hung_up");
    push(&mut m, p);
    assert_eq!(
        m.progress_line().as_deref(),
        Some("Call ended: 0:30, free for you")
    );
}

#[test]
fn each_refusal_is_shown_with_what_to_do() {
    // covers CALL-3, CALL-4, CALL-5: refusals of the offer and of the call, in words
    for (code, hint) in [
        (
            ErrorCode::NumberNotVerified,
            "Send a code to this number first.",
        ),
        (
            ErrorCode::DestinationNotAllowed,
            "Use another mobile number.",
        ),
        (
            ErrorCode::InsufficientBalance,
            "Top up your balance, then try again.",
        ),
        (
            ErrorCode::CallInProgress,
            "Hang up the other call, or wait for it to end.",
        ),
        (ErrorCode::Unavailable, "Try again later"),
    ] {
        let mut m = offered(PayerKind::Member);
        m.apply(Action::CallMe {
            client_id: "w1".into(),
        });
        refuse(&mut m, Asked::CallMe, code, "the relay's reason");
        let error = m.error.clone().unwrap();
        assert!(error.starts_with("The relay's reason."), "{error}");
        assert!(error.contains(hint), "{code:?}: {error}");
        assert!(
            !Lang::Zh.error(&ErrorBody::new(code, "x")).is_ascii(),
            "{code:?}"
        );
        let step = flow(&m).step();
        if code == ErrorCode::NumberNotVerified {
            assert_eq!(step, Step::NeedCode, "the relay's word wins");
        } else {
            assert_eq!(step, Step::Confirm, "{code:?}: the member can try again");
        }
    }
    for code in [
        ErrorCode::UnknownButton,
        ErrorCode::Unavailable,
        ErrorCode::RateLimited,
    ] {
        let mut m = signed_in(Lang::En);
        m.apply(Action::CallButton("nope".into()));
        refuse(&mut m, Asked::CallOptions, code, "no such button");
        assert_eq!(flow(&m).step(), Step::NoOffer);
        assert!(m.error.as_deref().unwrap().starts_with("No such button."));
    }
    let mut m = signed_in(Lang::En);
    m.apply(Action::CallButton("nope".into()));
    refuse(&mut m, Asked::CallOptions, ErrorCode::UnknownButton, "x");
    assert!(m.error.clone().unwrap().contains("Tell the shop"));
    assert!(
        flow(&m).button.is_empty(),
        "no retry for a button that does not exist"
    );
    let mut m = signed_in(Lang::En);
    m.apply(Action::CallButton("sales".into()));
    refuse(&mut m, Asked::CallOptions, ErrorCode::Unavailable, "x");
    assert_eq!(
        flow(&m).button,
        "sales",
        "retry stays for a passing trouble"
    );
}

#[test]
fn a_call_lost_with_the_socket_is_sent_again_with_the_same_client_id() {
    // covers CALL-5: a reconnect never loses or doubles a call
    let mut m = offered(PayerKind::Member);
    m.apply(Action::CallMe {
        client_id: "w9".into(),
    });
    m.disconnected(true);
    m.connected();
    let out = m.frame(
        Some(Asked::Resume),
        RelayToWidget::SignedIn(SignedIn {
            token: Secret::new("tok"),
            member: n("+8613800138000"),
            expires_at: 0,
        }),
    );
    assert!(
        matches!(&out[..], [Out::Send(WidgetMsg::CallMe(c))] if c.client_id.as_deref() == Some("w9")),
        "{out:?}"
    );
}

#[test]
fn leaving_goes_back_to_the_dialer_and_a_push_brings_a_live_call_back() {
    // covers CALL-6: a call placed in another tab is followed here too
    let mut m = offered(PayerKind::Member);
    m.apply(Action::LeaveCallMe);
    assert!(m.call_me.is_none());
    assert_eq!(m.screen(), Screen::NoPhone);
    push(&mut m, progress(4, CallStage::MerchantRinging));
    assert_eq!(m.screen(), Screen::CallMe);
    assert_eq!(m.progress_line().as_deref(), Some("The shop is ringing…"));
    let out = m.apply(Action::HangUp);
    assert!(matches!(&out[..], [Out::Send(WidgetMsg::HangUp(_))]));
    refuse(
        &mut m,
        Asked::HangUp,
        ErrorCode::UnknownCall,
        "no such call",
    );
    assert!(!flow(&m).live());
}
