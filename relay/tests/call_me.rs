//! CALL through the relay on a real port, with SIPp phones as the member and the merchant:
//! the call is placed, bridged and billed; credit that runs out ends both legs at the computed
//! second with an exact ledger; and every refusal says why.

mod support;

use std::time::Duration;

use ringlink_e2e::sipp::{have_sipp, Phone};
use ringlink_protocol::call_me::*;
use ringlink_protocol::widget::{RelayToWidget, WidgetMsg};
use ringlink_protocol::ErrorCode;
use ringlink_relay::billing::{AccountKind, Increments, Payer, Tariff};
use ringlink_relay::store::call_buttons::CallButton;
use support::calls::relay_with_phones;
use support::*;

/// One fen a second, charged by the second (1/1 increments), no connect fee.
async fn per_second_tariff(t: &TestRelay, per_minute: i64) {
    let tariff = Tariff::new("+86", 0, per_minute, Increments::new(1, 1).unwrap()).unwrap();
    t.running
        .relay
        .calls
        .billing
        .set_tariff(&tariff)
        .await
        .unwrap();
    free_member_leg(&t.running.relay.calls.billing).await;
}

/// Both legs by the second, no connect fees: the merchant's number (`+86`) at `merchant_pm`
/// and the member's (`+86138`, Alice) at `member_pm` minor units a minute.
async fn two_leg_tariff(t: &TestRelay, merchant_pm: i64, member_pm: i64) {
    let billing = &t.running.relay.calls.billing;
    let by_second = Increments::new(1, 1).unwrap();
    for (prefix, pm) in [("+86", merchant_pm), (MEMBER_LEG_PREFIX, member_pm)] {
        let tariff = Tariff::new(prefix, 0, pm, by_second).unwrap();
        billing.set_tariff(&tariff).await.unwrap();
    }
}

async fn member_account(t: &TestRelay, number: &str) -> ringlink_relay::billing::AccountId {
    let r = &t.running.relay;
    let m = r
        .store
        .member_by_number(&ringlink_protocol::E164::new(number).unwrap())
        .await
        .unwrap()
        .unwrap();
    r.calls
        .billing
        .account_for(&Payer::Member(m.id))
        .await
        .unwrap()
}

fn call_me(callback: &str) -> WidgetMsg {
    WidgetMsg::CallMe(CallMe {
        button: "sales".into(),
        callback: callback.into(),
        client_id: None,
        lang: None,
    })
}

/// Progress pushes of `call` until it ends (the call must end within `secs`), each with the
/// moment it arrived.
async fn follow(
    w: &mut Client<WidgetMsg, RelayToWidget>,
    call: &str,
    secs: u64,
) -> Vec<(std::time::Instant, CallProgress)> {
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline
            .saturating_duration_since(std::time::Instant::now())
            .as_secs()
            .max(1);
        if let RelayToWidget::CallProgress(p) = w.next_within(left).await.msg {
            if p.call_id == call {
                let done = p.stage.is_final();
                seen.push((std::time::Instant::now(), p));
                if done {
                    return seen;
                }
            }
        }
    }
}

// covers CALL-3, CALL-4, CALL-5, CALL-6, CALL-7: the member's own number is offered, the relay
// calls the member then the merchant and bridges them; the member pays by the second and the
// credit runs out mid-call: both legs get BYE at the computed second and the ledger is exact.
// covers #8 §5 Leg A: both legs are priced; the offer shows both prices, the credit pays for
// both legs' seconds, and the record shows each leg's tariff and cost.
each_db!(
    credit_runs_out_mid_call_and_ledger_is_exact,
    [sqlite: Sqlite, postgres: Postgres, two_relays: TwoRelays],
    |db: Db| async move {
        if !have_sipp() {
            return;
        }
        let member = Phone::answering("member", 1);
        let merchant = Phone::answering("merchant", 1);
        // The start balance must cover min_talk_secs at the tariff: 5 s here, so 100 fen starts.
        let Some(t) = relay_with_phones(db, &member, &merchant, PayerKind::Member, |c| {
            c.calls.min_talk_secs = 5;
        })
        .await
        else {
            return;
        };
        // 12 fen a second for the merchant's leg and 8 for the member's: 20 fen a second, so
        // 100 fen (the minimum to start) pays for exactly 5 seconds of both legs.
        two_leg_tariff(&t, 720, 480).await;
        let account = member_account(&t, ALICE).await;
        let billing = &t.running.relay.calls.billing;
        billing.credit(account, 100, "test top-up").await.unwrap();

        let (mut w, _) = t.signed_in_widget(ALICE).await;
        let offer = w
            .request(WidgetMsg::CallOptions(CallOptions {
                button: "sales".into(),
            }))
            .await;
        let RelayToWidget::CallOffer(offer) = offer else {
            panic!("{offer:?}")
        };
        assert_eq!(
            offer.callback.as_str(),
            ALICE,
            "the member's own number is offered (CALL-3)"
        );
        assert_eq!(
            (
                offer.payer,
                offer.per_minute,
                offer.connect_fee,
                offer.member_per_minute,
                offer.member_connect_fee
            ),
            (PayerKind::Member, Some(720), Some(0), Some(480), Some(0)),
            "the offer shows both legs' prices"
        );

        let placed = w.request(call_me(ALICE)).await;
        let RelayToWidget::CallPlaced(placed) = placed else {
            panic!("{placed:?}")
        };
        let steps = follow(&mut w, &placed.call_id, 40).await;
        let stages: Vec<CallStage> = steps.iter().map(|(_, p)| p.stage).collect();
        for s in [
            CallStage::CallingYou,
            CallStage::ConnectingMerchant,
            CallStage::Connected,
            CallStage::CreditLow,
        ] {
            assert!(stages.contains(&s), "{s:?} missing from {stages:?}");
        }
        let (ended_at, end) = steps.last().unwrap();
        assert_eq!(end.reason, Some(CallEndReason::CreditExhausted), "{end:?}");
        assert_eq!((end.seconds, end.cost), (Some(5), Some(100)), "{end:?}");
        // The legs are hung up at the paid second (the goodbye prompt plays inside it).
        let connected_at = steps
            .iter()
            .find(|(_, p)| p.stage == CallStage::Connected)
            .unwrap()
            .0;
        let talked = ended_at.duration_since(connected_at);
        assert!(
            (Duration::from_millis(4500)..Duration::from_millis(6500)).contains(&talked),
            "the call lasted {talked:?}, credit paid for 5 s"
        );

        let acc = billing.account(account).await.unwrap();
        assert_eq!((acc.balance, acc.reserved), (0, 0), "{acc:?}");
        assert_eq!(billing.ledger_sum(account).await.unwrap(), 0);
        let record = billing.call_record(&placed.call_id).await.unwrap().unwrap();
        assert_eq!(
            (
                record.billed_seconds,
                record.charge,
                record.tariff_prefix.as_str(),
                record.merchant_charge,
                record.member_tariff_prefix.as_deref(),
                record.member_charge
            ),
            (
                Some(5),
                Some(100),
                "+86",
                Some(60),
                Some(MEMBER_LEG_PREFIX),
                Some(40)
            ),
            "{record:?}"
        );
        assert!(
            member.passed(Duration::from_secs(10)).await,
            "the member's phone got BYE"
        );
        assert!(
            merchant.passed(Duration::from_secs(10)).await,
            "the merchant's phone got BYE"
        );
    }
);

// covers #8 §5 hang-up billing: the member presses "hang up" and the merchant's carrier never
// answers our BYE: the record's billed seconds stop at the hang-up, not when the BYE times out,
// and the panel shows the end at once.
// covers #10 §2 hang-up from anywhere: the member presses "hang up" in a second widget, which
// with two relays is on the other relay: the request goes to the call's subject and the relay
// holding the SIP dialog ends it; another member's hang-up of it is refused.
each_db!(
    hang_up_bills_to_the_hang_up_although_the_carrier_ignores_bye,
    [sqlite: Sqlite, postgres: Postgres, two_relays: TwoRelays],
    |db: Db| async move {
        if !have_sipp() {
            return;
        }
        let member = Phone::answering("member", 1);
        let merchant = Phone::scenario("merchant-ignores-bye", 1, "uas_answer_ignore_bye.xml");
        let Some(t) = relay_with_phones(db, &member, &merchant, PayerKind::Member, |_| {}).await
        else {
            return;
        };
        // 20 fen a second, plenty of credit: only the hang-up ends this call.
        per_second_tariff(&t, 1200).await;
        let account = member_account(&t, ALICE).await;
        let billing = &t.running.relay.calls.billing;
        billing
            .credit(account, 10_000, "test top-up")
            .await
            .unwrap();
        let (mut w, _) = t.signed_in_widget(ALICE).await;
        // Signed in before the call: a sign-in's argon2 takes a second in a debug build.
        let mut bob = t.peer_signed_in_widget(BOB).await;
        let mut other = t.peer_signed_in_widget(ALICE).await;
        let RelayToWidget::CallPlaced(placed) = w.request(call_me(ALICE)).await else {
            panic!("call refused")
        };
        loop {
            if let RelayToWidget::CallProgress(p) = w.next_within(20).await.msg {
                assert!(!p.stage.is_final(), "ended before connecting: {p:?}");
                if p.stage == CallStage::Connected {
                    break;
                }
            }
        }
        let hang_up = || {
            WidgetMsg::HangUp(HangUp {
                call_id: placed.call_id.clone(),
            })
        };
        let refused = bob.request(hang_up()).await;
        assert!(
            matches!(&refused, RelayToWidget::Error(e) if e.code == ErrorCode::UnknownCall),
            "another member cannot hang up this call: {refused:?}"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
        let asked = std::time::Instant::now();
        let hung = other.request(hang_up()).await;
        assert!(matches!(hung, RelayToWidget::HungUp(_)), "{hung:?}");
        let steps = follow(&mut w, &placed.call_id, 30).await;
        let (reported, end) = steps.last().unwrap();
        assert_eq!(end.reason, Some(CallEndReason::MemberHungUp), "{end:?}");
        eprintln!(
            "hang-up after 2 s of talk: ended push {:?} later, billed {:?} s, charge {:?}",
            reported.duration_since(asked),
            end.seconds,
            end.cost
        );
        // The panel says "ended" at once, not when the unanswered BYE gives up (5 s)...
        assert!(
            reported.duration_since(asked) < Duration::from_secs(2),
            "ended {:?} after the hang-up",
            reported.duration_since(asked)
        );
        // ...and 2 s of talk (and the started third second) is all that is billed.
        assert!(
            matches!(end.seconds, Some(2 | 3)),
            "billed {:?} s for 2 s of talk",
            end.seconds
        );
        let record = billing.call_record(&placed.call_id).await.unwrap().unwrap();
        let billed = end.seconds.map(|s| s as i64);
        assert_eq!(record.billed_seconds, billed, "{record:?}");
        assert_eq!(record.charge, billed.map(|s| s * 20));
        let acc = billing.account(account).await.unwrap();
        assert_eq!(acc.reserved, 0, "{acc:?}");
        assert_eq!(billing.ledger_sum(account).await.unwrap(), acc.balance);
    }
);

// covers CALL-4: a merchant-paid button; the merchant's line is busy: the member is told, the
// call costs nothing and the hold goes back to the merchant.
each_db!(
    merchant_busy_costs_nothing,
    [sqlite: Sqlite, postgres: Postgres, two_relays: TwoRelays], |db: Db| async move {
    if !have_sipp() {
        return;
    }
    let member = Phone::answering("member", 1);
    let merchant = Phone::scenario("merchant-busy", 1, "uas_busy.xml");
    let Some(t) = relay_with_phones(db, &member, &merchant, PayerKind::Merchant, |_| {}).await
    else {
        return;
    };
    per_second_tariff(&t, 60).await;
    let r = &t.running.relay;
    let site = r.store.site_by_key(SITE).await.unwrap().unwrap();
    let account = r
        .calls
        .billing
        .account_for(&Payer::Merchant(site.id))
        .await
        .unwrap();
    r.calls
        .billing
        .credit(account, 500, "merchant budget")
        .await
        .unwrap();
    let (mut w, _) = t.signed_in_widget(ALICE).await;
    let RelayToWidget::CallPlaced(placed) = w.request(call_me(ALICE)).await else {
        panic!("call refused")
    };
    assert_eq!(placed.payer, PayerKind::Merchant);
    let steps = follow(&mut w, &placed.call_id, 30).await;
    let (_, end) = steps.last().unwrap();
    assert_eq!(end.reason, Some(CallEndReason::MerchantBusy), "{steps:?}");
    assert_eq!(end.cost, Some(0));
    let acc = r.calls.billing.account(account).await.unwrap();
    assert_eq!(
        (acc.balance, acc.reserved, acc.kind),
        (500, 0, AccountKind::Merchant)
    );
});

// covers CALL-3, CALL-4, CALL-8: each refusal says what was wrong, and nothing is called.
each_db!(
    refusals_say_why,
    [sqlite: Sqlite, postgres: Postgres, two_relays: TwoRelays], |db: Db| async move {
    if !have_sipp() {
        return;
    }
    let member = Phone::answering("member", 1);
    let merchant = Phone::answering("merchant", 1);
    let Some(t) = relay_with_phones(db, &member, &merchant, PayerKind::Member, |c| {
        c.calls.per_member_per_hour = 1;
    })
    .await
    else {
        return;
    };
    per_second_tariff(&t, 60).await;
    let r = &t.running.relay;
    let (mut w, _) = t.signed_in_widget(ALICE).await;
    let code_of = |reply: RelayToWidget| match reply {
        RelayToWidget::Error(e) => (e.code, e.message),
        other => panic!("expected a refusal, got {other:?}"),
    };

    // A button the merchant never set up.
    let (code, msg) = code_of(
        w.request(WidgetMsg::CallMe(CallMe {
            button: "nope".into(),
            callback: ALICE.into(),
            client_id: None,
            lang: None,
        }))
        .await,
    );
    assert_eq!(code, ErrorCode::UnknownButton, "{msg}");
    // Another merchant's button is not this page's (wrong tenant).
    let other = ringlink_relay::admin::create_site(
        &r.store,
        "Other shop",
        Some("site_other"),
        &["http://other.test".into()],
    )
    .await
    .unwrap();
    r.store
        .set_call_button(&CallButton {
            site_id: other.id,
            key: "vip".into(),
            label: "VIP".into(),
            number: ringlink_protocol::E164::new("+861065520000").unwrap(),
            payer: PayerKind::Merchant,
            sponsor: None,
            capacity: None,
        })
        .await
        .unwrap();
    let (code, _) = code_of(
        w.request(WidgetMsg::CallOptions(CallOptions {
            button: "vip".into(),
        }))
        .await,
    );
    assert_eq!(
        code,
        ErrorCode::UnknownButton,
        "a button of another site is not offered"
    );
    // A number the member has not verified.
    let (code, msg) = code_of(w.request(call_me("+8613700137000")).await);
    assert_eq!(code, ErrorCode::NumberNotVerified, "{msg}");
    assert!(msg.contains("code"), "{msg}");
    // Not a phone number at all.
    let (code, _) = code_of(w.request(call_me("call me maybe")).await);
    assert_eq!(code, ErrorCode::InvalidNumber);
    // A premium-rate number is refused before any SMS is sent to it.
    let (code, msg) = code_of(
        w.request(WidgetMsg::SendCode(SendCode {
            number: "+611900123456".into(),
            lang: None,
        }))
        .await,
    );
    assert_eq!(code, ErrorCode::DestinationNotAllowed, "{msg}");
    // An empty balance: nothing is called.
    let (code, msg) = code_of(w.request(call_me(ALICE)).await);
    assert_eq!(code, ErrorCode::InsufficientBalance, "{msg}");
    assert!(msg.contains("Top up"), "{msg}");
    let records = r.calls.billing.call_records(None, 10).await.unwrap();
    assert!(
        records.is_empty(),
        "refused calls leave no record: {records:?}"
    );

    // Verify a second number by SMS code (the dev gateway's outbox stands in for the handset).
    let sent = w
        .request(WidgetMsg::SendCode(SendCode {
            number: "137 0013 7000".into(),
            lang: None,
        }))
        .await;
    assert!(
        matches!(sent, RelayToWidget::CodeSent(ref s) if s.number.as_str() == "+8613700137000"),
        "{sent:?}"
    );
    let outbox = r.gateways.sms().unwrap().as_dev().unwrap().outbox();
    let text = &outbox[0].text;
    let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
    let (c, _) = code_of(
        w.request(WidgetMsg::VerifyCode(VerifyCode {
            number: "+8613700137000".into(),
            code: "000000".into(),
        }))
        .await,
    );
    assert_eq!(c, ErrorCode::CodeInvalid);
    let ok = w
        .request(WidgetMsg::VerifyCode(VerifyCode {
            number: "+8613700137000".into(),
            code: code.clone(),
        }))
        .await;
    assert!(
        matches!(ok, RelayToWidget::NumberVerified(_)),
        "{ok:?} (code {code} from '{text}')"
    );
    let RelayToWidget::CallOffer(offer) = w
        .request(WidgetMsg::CallOptions(CallOptions {
            button: "sales".into(),
        }))
        .await
    else {
        panic!("no offer")
    };
    assert!(
        offer
            .verified
            .iter()
            .any(|n| n.as_str() == "+8613700137000"),
        "{offer:?}"
    );

    // Too many calls too fast: the member's hourly allowance is 1 here.
    let account = member_account(&t, ALICE).await;
    r.calls
        .billing
        .credit(account, 1000, "top-up")
        .await
        .unwrap();
    let first = w.request(call_me(ALICE)).await;
    let RelayToWidget::CallPlaced(first) = first else {
        panic!("{first:?}")
    };
    let (code, msg) = code_of(w.request(call_me(ALICE)).await);
    assert!(
        code == ErrorCode::RateLimited || code == ErrorCode::CallInProgress,
        "{code:?}: {msg}"
    );
    w.request(WidgetMsg::HangUp(HangUp {
        call_id: first.call_id.clone(),
    }))
    .await;
    follow(&mut w, &first.call_id, 30).await;
    let (code, msg) = code_of(w.request(call_me(ALICE)).await);
    assert_eq!(code, ErrorCode::RateLimited, "{msg}");
    // Another member cannot hang up Alice's call (wrong tenant).
    let (mut bob, _) = t.signed_in_widget(BOB).await;
    let (code, _) = code_of(
        bob.request(WidgetMsg::HangUp(HangUp {
            call_id: first.call_id,
        }))
        .await,
    );
    assert_eq!(code, ErrorCode::UnknownCall);
});

// covers #10 §2 cluster-wide client ids: a CallMe retried with the same client id through a
// second widget (with two relays, through the other relay), at the same moment as the first,
// places and bills exactly one call; both get the same answer.
each_db!(
    call_me_retried_through_another_relay_places_one_call,
    [sqlite: Sqlite, postgres: Postgres, two_relays: TwoRelays],
    |db: Db| async move {
        if !have_sipp() {
            return;
        }
        let member = Phone::answering("member", 1);
        let merchant = Phone::answering("merchant", 1);
        let Some(t) = relay_with_phones(db, &member, &merchant, PayerKind::Member, |_| {}).await
        else {
            return;
        };
        per_second_tariff(&t, 60).await;
        let account = member_account(&t, ALICE).await;
        let billing = &t.running.relay.calls.billing;
        billing
            .credit(account, 10_000, "test top-up")
            .await
            .unwrap();
        let (mut a, _) = t.signed_in_widget(ALICE).await;
        let mut b = t.peer_signed_in_widget(ALICE).await;
        let tap = || {
            WidgetMsg::CallMe(CallMe {
                button: "sales".into(),
                callback: ALICE.into(),
                client_id: Some("tap-99".into()),
                lang: None,
            })
        };
        let (first, retry) = tokio::join!(a.request(tap()), b.request(tap()));
        let (RelayToWidget::CallPlaced(first), RelayToWidget::CallPlaced(retry)) = (&first, &retry)
        else {
            panic!("both must be told the call was placed: {first:?} / {retry:?}")
        };
        assert_eq!(first.call_id, retry.call_id, "one call, one answer");
        let live = t.running.relay.calls.live_count()
            + t.peer
                .as_ref()
                .map_or(0, |p| p.running.relay.calls.live_count());
        assert_eq!(live, 1, "exactly one two-leg call is in flight");
        let again = b.request(tap()).await;
        assert!(
            matches!(&again, RelayToWidget::CallPlaced(p) if p.call_id == first.call_id),
            "a later retry gets the first answer too: {again:?}"
        );
        let hung = a
            .request(WidgetMsg::HangUp(HangUp {
                call_id: first.call_id.clone(),
            }))
            .await;
        assert!(matches!(hung, RelayToWidget::HungUp(_)), "{hung:?}");
        let steps = follow(&mut a, &first.call_id, 30).await;
        assert!(steps.last().unwrap().1.stage.is_final());
        let acc = billing.account(account).await.unwrap();
        assert_eq!(acc.reserved, 0, "{acc:?}");
    }
);
