//! Tests of what #9 asks of the panel: the picked number and its "call me now" offer (§4),
//! the `tel:` choice (§3), stale results (§5), numbers as written and the Chinese panel (§5).

use super::*;
use ringlink_protocol::call::{CallEvent, CallState};
use ringlink_protocol::call_me::{CallOffer, CallProgress, CallStage, PayerKind};
use ringlink_protocol::E164;

fn signed_in(lang: Lang, agents: Vec<AgentInfo>) -> Model {
    let mut m = Model::new(lang, None);
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

fn phone() -> AgentInfo {
    AgentInfo {
        device: "dev-1".into(),
        name: "Pixel 8".into(),
        backend: "at".into(),
        confirm: false,
    }
}

fn state(seq: u64, state: CallState, detail: Option<&str>) -> RelayToWidget {
    RelayToWidget::CallState(CallEvent {
        call_id: "c1".into(),
        number: E164::new("+861065529988").unwrap(),
        device: "dev-1".into(),
        state,
        detail: detail.map(Into::into),
        seq,
        at: 0,
    })
}

fn fill(m: &mut Model, number: &str, button: &str) {
    m.apply(Action::Fill {
        number: number.into(),
        button: button.into(),
    });
}

#[test]
fn a_picked_number_stays_shown_with_its_native_link() {
    // covers #9 §3 tel: links and §4: the tapped number is shown, formatted, one tap from a
    // native dial, on the sign-in screen too
    let mut m = Model::new(Lang::En, None);
    fill(&mut m, "+8613900139000", "");
    assert_eq!(m.screen(), Screen::SignIn);
    let picked = m.picked.clone().expect("the number is kept");
    assert_eq!(picked.shown, "139 0013 9000");
    assert_eq!(picked.href, "tel:+8613900139000");
    assert_eq!(m.call_me_offer(), None, "no button, no offer");
}

#[test]
fn no_phone_offers_call_me_for_the_numbers_button_or_the_default() {
    // covers #9 §4 call me now: offered when the merchant has a button for that number (its
    // own first) or a default one; never without one
    let mut m = signed_in(Lang::En, vec![]);
    assert_eq!(m.screen(), Screen::NoPhone);
    m.page_numbers = vec![PageNumber {
        number: "+86 10 6552 9988".into(),
        label: "Front desk".into(),
        button: "desk".into(),
    }];
    fill(&mut m, "+861065529988", "sales");
    assert_eq!(m.call_me_offer(), Some("desk"), "the number's own button");
    fill(&mut m, "+8651087661123", "sales");
    assert_eq!(m.call_me_offer(), Some("sales"), "the page's default");
    fill(&mut m, "+8651087661123", "");
    assert_eq!(m.call_me_offer(), None);
    // Taking the offer opens "call me now" for that button.
    fill(&mut m, "+861065529988", "");
    let button = m.call_me_offer().unwrap().to_owned();
    let out = m.apply(Action::CallButton(button));
    assert!(matches!(&out[..], [Out::Send(WidgetMsg::CallOptions(o))] if o.button == "desk"));
    assert_eq!(m.screen(), Screen::CallMe);
}

#[test]
fn the_tel_choice_counts_only_while_signed_in() {
    // covers #9 §3: the loader may take over tel: links only for a signed-in member who chose it
    let mut m = Model::new(Lang::En, None);
    m.apply(Action::ChooseTelWidget(true));
    assert!(!m.takes_tel_links(), "signed out: tel: links stay native");
    let mut m = signed_in(Lang::En, vec![phone()]);
    assert!(!m.takes_tel_links(), "not chosen");
    m.apply(Action::ChooseTelWidget(true));
    assert!(m.takes_tel_links());
    m.apply(Action::SignOut);
    assert!(!m.takes_tel_links(), "signed out again");
}

#[test]
fn a_finished_calls_box_clears_when_a_new_action_starts() {
    // covers #9 §5 stale results: "Call ended" goes when a new dial, number or call button
    // starts, and is never shown inside "call me now"
    let mut m = signed_in(Lang::En, vec![phone()]);
    m.frame(None, state(1, CallState::Active, None));
    fill(&mut m, "+8613900139000", "");
    assert!(m.call.is_some(), "a live call stays on screen");
    m.frame(None, state(2, CallState::Ended, None));
    assert!(m.call_line().unwrap().contains("Call ended"));
    fill(&mut m, "+8613900139000", "");
    assert!(m.call.is_none(), "a picked number starts anew");

    m.frame(None, state(3, CallState::Ended, None));
    m.apply(Action::Dial {
        client_id: "w2".into(),
    });
    assert!(m.call.is_none(), "a new dial starts anew");

    m.frame(None, state(4, CallState::Failed, None));
    assert!(m.shows_call_box());
    m.apply(Action::CallButton("sales".into()));
    assert!(m.call.is_none(), "a call button starts anew");
    assert!(!m.shows_call_box(), "no DIAL box inside call me now");
}

#[test]
fn the_call_line_writes_the_number_as_people_do() {
    // covers #9 §5 numbers: never raw E.164 in the call state
    let mut m = signed_in(Lang::En, vec![phone()]);
    m.frame(None, state(1, CallState::Ringing, None));
    let line = m.call_line().unwrap();
    assert!(line.contains("010 6552 9988"), "{line}");
    assert!(!line.contains("+86"), "{line}");
}

#[test]
fn the_dry_run_note_is_said_in_chinese() {
    // covers #9 §5 language: the dry-run note is translated; other English details are left out
    let mut m = signed_in(Lang::Zh, vec![phone()]);
    m.frame(
        None,
        state(1, CallState::Ended, Some("dry run: nothing was dialled")),
    );
    let line = m.call_line().unwrap();
    assert!(line.contains("演示模式"), "{line}");
    m.frame(
        None,
        state(2, CallState::Failed, Some("modem said NO CARRIER")),
    );
    let line = m.call_line().unwrap();
    assert!(!has_english(&line), "{line}");
    let mut en = signed_in(Lang::En, vec![phone()]);
    en.frame(
        None,
        state(1, CallState::Failed, Some("modem said NO CARRIER")),
    );
    assert!(en.call_line().unwrap().contains("NO CARRIER"));
}

#[test]
fn a_running_call_says_when_the_merchant_pays() {
    // covers #9 §5 cost: while the call runs, no running cost for the member, and who pays
    for (payer, words) in [
        (PayerKind::Merchant, "the shop pays"),
        (PayerKind::Sponsor, "sponsored"),
    ] {
        let mut m = signed_in(Lang::En, vec![]);
        m.apply(Action::CallButton("sales".into()));
        m.frame(
            Some(Asked::CallOptions),
            RelayToWidget::CallOffer(CallOffer {
                button: "sales".into(),
                label: "Sales".into(),
                callback: E164::new("+8613800138000").unwrap(),
                verified: vec![],
                payer,
                sponsor: None,
                per_minute: None,
                connect_fee: None,
                member_per_minute: None,
                member_connect_fee: None,
                currency: "CNY".into(),
            }),
        );
        m.apply(Action::CallMe {
            client_id: "w1".into(),
        });
        m.frame(
            Some(Asked::CallMe),
            RelayToWidget::CallPlaced(ringlink_protocol::call_me::CallPlaced {
                call_id: "k1".into(),
                callback: E164::new("+8613800138000").unwrap(),
                label: "Sales".into(),
                payer,
            }),
        );
        m.frame(
            None,
            RelayToWidget::CallProgress(CallProgress {
                call_id: "k1".into(),
                stage: CallStage::Connected,
                seconds: Some(42),
                cost: Some(42),
                ends_in: None,
                reason: None,
                seq: 1,
                at: 0,
            }),
        );
        let clock = m.call_clock().unwrap();
        assert!(
            clock.starts_with("0:42") && clock.contains(words),
            "{clock}"
        );
        assert!(!clock.contains('¥'), "no running cost: {clock}");
    }
}

/// English words in Chinese text: runs of two or more ASCII letters.
fn has_english(text: &str) -> bool {
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_alphabetic() { run + 1 } else { 0 };
        if run >= 2 {
            return true;
        }
    }
    false
}

#[test]
fn the_chinese_panel_has_no_english() {
    // covers #9 §5 language: every string of the Chinese panel is Chinese, apart from the
    // product's own name (Ringlink) and the names of phone systems people know by them
    use crate::i18n::{CALL_ZH, PHONE_ZH, ZH};
    let allowed = ["Ringlink", "Termux", "Linux"];
    // Template slots (`{name}`) hold the member's or merchant's own data, not panel words.
    let strip = |s: &str| {
        let mut out = String::new();
        let mut slot = false;
        for c in s.chars() {
            match c {
                '{' => slot = true,
                '}' => slot = false,
                c if !slot => out.push(c),
                _ => {}
            }
        }
        allowed.iter().fold(out, |s, a| s.replace(a, ""))
    };
    let mut all: Vec<&str> = vec![
        ZH.title,
        ZH.close,
        ZH.sign_in_intro,
        ZH.number_label,
        ZH.password_label,
        ZH.sign_in,
        ZH.signing_in,
        ZH.need_number_and_password,
        ZH.signed_in_as,
        ZH.sign_out,
        ZH.status_signed_out,
        ZH.not_connected,
        ZH.phone_ready,
        ZH.phone_confirms,
        ZH.choose_phone,
        ZH.pair_heading,
        ZH.pair_label,
        ZH.pair_submit,
        ZH.need_code,
        ZH.paired,
        ZH.number_to_call,
        ZH.keypad,
        ZH.backspace,
        ZH.dial,
        ZH.dial_sending,
        ZH.need_number,
        ZH.page_numbers,
        ZH.call_page_number,
        ZH.connecting,
        ZH.reconnecting,
        ZH.refused,
        ZH.lost_sign_in,
        PHONE_ZH.dial_natively,
        PHONE_ZH.call_me_offer,
        PHONE_ZH.setup,
        PHONE_ZH.setup_link,
        PHONE_ZH.tel_choice,
        PHONE_ZH.dry_run,
        PHONE_ZH.pairing_invalid,
        PHONE_ZH.paid_by_merchant,
        PHONE_ZH.paid_by_sponsor,
        CALL_ZH.title,
        CALL_ZH.sign_in_intro,
        CALL_ZH.loading,
        CALL_ZH.pay_member,
        CALL_ZH.pay_merchant,
        CALL_ZH.pay_sponsor_plain,
        CALL_ZH.callback_label,
        CALL_ZH.callback_hint,
        CALL_ZH.needs_code,
        CALL_ZH.call_me,
        CALL_ZH.hang_up,
        CALL_ZH.ended,
    ];
    for state in [
        CallState::Sent,
        CallState::Confirming,
        CallState::Dialing,
        CallState::Ringing,
        CallState::Active,
        CallState::Ended,
        CallState::Failed,
        CallState::Declined,
    ] {
        all.push(Lang::Zh.call_state(state));
    }
    for s in all {
        assert!(!has_english(&strip(s)), "English in the Chinese panel: {s}");
    }
    // A Chinese panel's lines made from relay data: only the merchant's typed names are kept.
    let mut m = signed_in(Lang::Zh, vec![]);
    assert!(!has_english(&strip(&m.agent_line())));
    m.frame(
        Some(Asked::Pair),
        RelayToWidget::Error(ErrorBody::new(
            ErrorCode::PairingCodeInvalid,
            "run `ringlink-agent pair` again",
        )),
    );
    assert!(!has_english(m.error.as_deref().unwrap()));
}
