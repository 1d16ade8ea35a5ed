//! CALL's capacity and abuse limits on a real relay (#8 §5 Capacity, Heartbeats, Code SMS and
//! §6 Verification codes, SMS caps): a button takes calls up to its capacity, a call ringing
//! past the orphan limit is not settled under it, parallel code guesses get exactly the
//! allowed tries, and verification SMS are capped per site and in all, in the member's language.

mod support;

use std::time::Duration;

use ringlink_e2e::sipp::{have_sipp, Phone};
use ringlink_protocol::call_me::*;
use ringlink_protocol::widget::{RelayToWidget, WidgetMsg};
use ringlink_protocol::{ErrorCode, E164};
use ringlink_relay::billing::janitor::ORPHAN_REASON;
use ringlink_relay::billing::{Increments, Payer, Tariff};
use ringlink_relay::store::callbacks::CodeAttempt;
use ringlink_telephony::Route;
use support::calls::relay_with_phones;
use support::*;

fn call_me(callback: &str) -> WidgetMsg {
    WidgetMsg::CallMe(CallMe {
        button: "sales".into(),
        callback: callback.into(),
        client_id: None,
        lang: None,
    })
}

fn refusal(reply: RelayToWidget) -> (ErrorCode, String) {
    match reply {
        RelayToWidget::Error(e) => (e.code, e.message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The merchant pays 1 fen a second; its account holds plenty.
async fn merchant_pays(t: &TestRelay) {
    let r = &t.running.relay;
    let tariff = Tariff::new("+86", 0, 60, Increments::new(1, 1).unwrap()).unwrap();
    r.calls.billing.set_tariff(&tariff).await.unwrap();
    free_member_leg(&r.calls.billing).await;
    let site = r.store.site_by_key(SITE).await.unwrap().unwrap();
    let a = r
        .calls
        .billing
        .account_for(&Payer::Merchant(site.id))
        .await
        .unwrap();
    r.calls.billing.credit(a, 100_000, "budget").await.unwrap();
}

async fn set_capacity(t: &TestRelay, capacity: Option<u32>) {
    let r = &t.running.relay;
    let site = r.store.site_by_key(SITE).await.unwrap().unwrap();
    let mut b = r
        .store
        .call_button(site.id, "sales")
        .await
        .unwrap()
        .unwrap();
    b.capacity = capacity;
    r.store.set_call_button(&b).await.unwrap();
}

// covers #8 §5 Capacity: the merchant's number no longer counts per number; the button's
// capacity does. Member 1's call is live; member 2 is refused while the one line is busy, and
// is placed once the operator gives the button a second line.
each_db!(
    a_button_takes_calls_up_to_its_capacity,
    [sqlite: Sqlite, postgres: Postgres, two_relays: TwoRelays],
    |db: Db| async move {
        if !have_sipp() {
            return;
        }
        let members = Phone::answering("members", 2);
        let merchant = Phone::answering("merchant", 2);
        let Some(t) = relay_with_phones(db, &members, &merchant, PayerKind::Merchant, |c| {
            // Bob's +86139 number rings the same member phone.
            if let Some(tel) = c.telephony.as_mut() {
                tel.routes.push(Route {
                    prefix: "+86139".into(),
                    target: members.addr(),
                });
            }
        })
        .await
        else {
            return;
        };
        merchant_pays(&t).await;
        set_capacity(&t, Some(1)).await;
        let (mut alice, _) = t.signed_in_widget(ALICE).await;
        let (mut bob, _) = t.signed_in_widget(BOB).await;
        let RelayToWidget::CallPlaced(first) = alice.request(call_me(ALICE)).await else {
            panic!("Alice's call was not placed")
        };
        let (code, msg) = refusal(bob.request(call_me(BOB)).await);
        assert_eq!(code, ErrorCode::CallInProgress, "{msg}");
        assert!(
            msg.contains("lines are busy") && msg.contains("try again"),
            "{msg}"
        );

        set_capacity(&t, Some(2)).await;
        let second = bob.request(call_me(BOB)).await;
        let RelayToWidget::CallPlaced(second) = second else {
            panic!("with two lines Bob's call is placed while Alice's is live: {second:?}")
        };
        assert_eq!(t.running.relay.calls.live_count(), 2);
        for (w, id) in [(&mut alice, first.call_id), (&mut bob, second.call_id)] {
            let r = w.request(WidgetMsg::HangUp(HangUp { call_id: id })).await;
            assert!(matches!(r, RelayToWidget::HungUp(_)), "{r:?}");
        }
    }
);

// covers #8 §5 Heartbeats: a call ringing longer than orphan_after_secs before the bridge is
// heartbeated from placement, so the janitor does not settle it while it is live.
each_db!(
    a_long_ringing_call_is_not_settled_as_an_orphan,
    [sqlite: Sqlite, postgres: Postgres, two_relays: TwoRelays],
    |db: Db| async move {
        if !have_sipp() {
            return;
        }
        let member = Phone::scenario("member-rings", 1, "uas_ring_wait_cancel.xml");
        let merchant = Phone::answering("merchant", 1);
        let Some(t) = relay_with_phones(db, &member, &merchant, PayerKind::Merchant, |c| {
            // Orphans after 8 s (the janitor looks every 4 s); the member's phone rings 14 s.
            c.calls.orphan_after_secs = 8;
            if let Some(tel) = c.telephony.as_mut() {
                tel.ring_timeout_secs = 14;
            }
        })
        .await
        else {
            return;
        };
        merchant_pays(&t).await;
        let (mut w, _) = t.signed_in_widget(ALICE).await;
        let RelayToWidget::CallPlaced(placed) = w.request(call_me(ALICE)).await else {
            panic!("call not placed")
        };
        let billing = &t.running.relay.calls.billing;
        tokio::time::sleep(Duration::from_secs(13)).await;
        let record = billing.call_record(&placed.call_id).await.unwrap().unwrap();
        assert_ne!(
            record.end_reason.as_deref(),
            Some(ORPHAN_REASON),
            "the janitor settled a call that was still ringing: {record:?}"
        );
        assert_eq!(record.state, "started", "{record:?}");
        // The ring times out; the call ends as unanswered, settled by its own session.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let record = loop {
            let r = billing.call_record(&placed.call_id).await.unwrap().unwrap();
            if r.state == "ended" || std::time::Instant::now() > deadline {
                break r;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert_eq!(
            record.end_reason.as_deref(),
            Some("member_no_answer"),
            "{record:?}"
        );
        assert_eq!(record.charge, Some(0));
    }
);

// covers #8 §6 Verification codes: parallel wrong guesses get exactly CODE_ATTEMPTS tries
// PostgreSQL only: that is where the old read-then-write let parallel guesses through (SQLite
// has one writer). On SQLite this burst sometimes failed with "unable to open database
// file" on a loaded machine, a problem not yet understood (see the #8 closing note).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_code_guesses_get_exactly_the_allowed_tries() {
    let Some(t) = TestRelay::start(support::Db::Postgres).await else {
        return;
    };
    let store = t.running.relay.store.clone();
    let member = store
        .member_by_number(&E164::new(ALICE).unwrap())
        .await
        .unwrap()
        .unwrap();
    let number = E164::new("+8613700137000").unwrap();
    let now = ringlink_relay::store::now();
    store
        .put_number_code(member.id, &number, "hash", now + 600)
        .await
        .unwrap();
    let max = ringlink_relay::calls::verify::CODE_ATTEMPTS;
    let mut tasks = Vec::new();
    // Twice the allowed tries at once. (20 parallel writers on one SQLite file sometimes
    // failed on a loaded machine with "unable to open database file": an open problem.)
    for _ in 0..2 * max {
        let (store, number) = (store.clone(), number.clone());
        tasks.push(tokio::spawn(async move {
            store
                .take_code_attempt(member.id, &number, max, now)
                .await
                .unwrap()
        }));
    }
    let mut granted = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            CodeAttempt::Granted { attempts, .. } => granted.push(attempts),
            CodeAttempt::UsedUp => {}
            other => panic!("{other:?}"),
        }
    }
    granted.sort_unstable();
    assert_eq!(granted, (1..=max).collect::<Vec<_>>());
    // An expired code says so; a number without a code says so.
    assert_eq!(
        store
            .take_code_attempt(member.id, &number, max, now + 601)
            .await
            .unwrap(),
        CodeAttempt::Expired
    );
    let other = E164::new("+8613600136000").unwrap();
    assert_eq!(
        store
            .take_code_attempt(member.id, &other, max, now)
            .await
            .unwrap(),
        CodeAttempt::NoCode
    );
}

fn send_code(number: &str, lang: Option<&str>) -> WidgetMsg {
    WidgetMsg::SendCode(SendCode {
        number: number.into(),
        lang: lang.map(str::to_owned),
    })
}

// covers #8 §5 Code SMS and §6 SMS caps: the code SMS is in the member's language in one part;
// a site's hourly SMS cap refuses with a clear error, and another site still sends.
each_db!(
    sms_are_capped_per_site_and_in_the_members_language,
    [sqlite: Sqlite, postgres: Postgres, two_relays: TwoRelays],
    |db: Db| async move {
        let Some(t) = TestRelay::start_with(db, |c| {
            c.calls.sms_per_site_per_hour = 2;
        })
        .await
        else {
            return;
        };
        let r = &t.running.relay;
        let (mut w, _) = t.signed_in_widget(ALICE).await;
        let sent = w.request(send_code("+8613700137000", Some("en"))).await;
        assert!(matches!(sent, RelayToWidget::CodeSent(_)), "{sent:?}");
        let sent = w.request(send_code("+8613600136000", Some("zh"))).await;
        assert!(matches!(sent, RelayToWidget::CodeSent(_)), "{sent:?}");
        let outbox = r.gateways.sms().unwrap().as_dev().unwrap().outbox();
        let to = |n: &str| outbox.iter().find(|m| m.to.as_str() == n).unwrap();
        let (en, zh) = (to("+8613700137000"), to("+8613600136000"));
        assert!(en.text.starts_with("Your Ringlink code is"), "{}", en.text);
        assert!(!en.text.contains("验证码"), "{}", en.text);
        assert!(
            zh.text.contains("验证码") && !zh.text.contains("Your"),
            "{}",
            zh.text
        );
        for m in [en, zh] {
            assert_eq!(m.parts, 1, "one SMS part: {m:?}");
        }

        let (code, msg) = refusal(w.request(send_code("+8613500135000", None)).await);
        assert_eq!(code, ErrorCode::RateLimited, "{msg}");
        assert!(msg.contains("shop") && msg.contains("try again"), "{msg}");
        assert_eq!(
            r.gateways.sms().unwrap().as_dev().unwrap().outbox().len(),
            2
        );

        // Another site's page still sends.
        ringlink_relay::admin::create_site(
            &r.store,
            "Other shop",
            Some("site_other"),
            &["http://other.test".into()],
        )
        .await
        .unwrap();
        let mut other = t
            .widget_from("http://other.test", "site_other")
            .await
            .unwrap();
        let signed = other
            .request(WidgetMsg::SignIn(ringlink_protocol::widget::SignIn {
                number: BOB.into(),
                password: ringlink_protocol::secret::Secret::new(PASSWORD),
            }))
            .await;
        assert!(matches!(signed, RelayToWidget::SignedIn(_)), "{signed:?}");
        let sent = other.request(send_code("+8613500135000", None)).await;
        assert!(matches!(sent, RelayToWidget::CodeSent(_)), "{sent:?}");
    }
);
