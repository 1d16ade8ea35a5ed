//! Billing for CALL on a real relay's database (SQLite always, PostgreSQL when DATABASE_URL_PG
//! is set): payers, the ledger, longest-prefix tariffs, reservations under concurrency, extend
//! and settle to the unit, daily caps, the minimum balance, and the janitor after a restart.

mod support;

use std::time::Duration;

use ringlink_protocol::E164;
use ringlink_relay::admin_billing;
use ringlink_relay::billing::janitor::{ORPHAN_REASON, STALE_AFTER};
use ringlink_relay::billing::{
    now_ms, AccountId, Billing, BillingError, CallOutcome, Limit, NewCall, Payer, Policy,
    Reservation, Tariff,
};
use ringlink_relay::store::Store;
use support::*;

/// The merchant number the test calls go to (priced by the `+86` tariffs).
const MERCHANT: &str = "+8613900139000";

fn store(t: &TestRelay) -> Store {
    t.running.relay.store.clone()
}

/// No minimum balance, no daily cap: only the credit limits a call.
fn open_policy() -> Policy {
    Policy {
        min_start_balance: 0,
        member_daily_cap: None,
    }
}

fn tariff(prefix: &str, connect: i64, per_minute: i64, inc: &str) -> Tariff {
    Tariff::new(prefix, connect, per_minute, inc.parse().unwrap()).unwrap()
}

async fn ids(store: &Store) -> (i64, i64) {
    let member = store
        .member_by_number(&E164::new(ALICE).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let site = store.site_by_key(SITE).await.unwrap().unwrap().id;
    (member, site)
}

async fn new_call(store: &Store, public_id: &str, payer: AccountId) -> NewCall {
    let (member_id, site_id) = ids(store).await;
    NewCall {
        public_id: public_id.into(),
        member_id,
        site_id,
        button: "sales".into(),
        payer,
        member_number: E164::new(ALICE).unwrap(),
        merchant_number: E164::new(MERCHANT).unwrap(),
    }
}

/// Alice's account, credited with `amount`.
async fn alice_with(b: &Billing, amount: i64) -> AccountId {
    let (member, _) = ids(b.store()).await;
    let a = b.account_for(&Payer::Member(member)).await.unwrap();
    if amount > 0 {
        b.credit(a, amount, "test top-up").await.unwrap();
    }
    a
}

/// The ledger invariant: the cached balance equals the sum of the entries, and nothing
/// held exceeds it.
async fn assert_ledger_consistent(b: &Billing, a: AccountId) {
    let acct = b.account(a).await.unwrap();
    assert_eq!(
        acct.balance,
        b.ledger_sum(a).await.unwrap(),
        "balance = sum of entries"
    );
    assert!(acct.balance >= 0 && acct.reserved >= 0 && acct.reserved <= acct.balance);
}

fn ended_after(seconds: u64) -> CallOutcome {
    CallOutcome {
        reason: "member hung up".into(),
        bridged_seconds: Some(seconds),
    }
}

// covers CALL-7
both_dbs!(longest_prefix_wins, |t: TestRelay| async move {
    let b = Billing::new(store(&t));
    b.set_tariff(&tariff("+86", 10, 12, "60/60")).await.unwrap();
    b.set_tariff(&tariff("+86139", 5, 6, "1/1")).await.unwrap();
    b.set_tariff(&tariff("+8613", 7, 9, "30/6")).await.unwrap();
    assert_eq!(
        b.tariff_for("+8613900139000").await.unwrap().prefix,
        "+86139"
    );
    assert_eq!(
        b.tariff_for("+8613800138000").await.unwrap().prefix,
        "+8613"
    );
    assert_eq!(b.tariff_for("+861012345678").await.unwrap().prefix, "+86");
    let none = b.tariff_for("+442071234567").await.unwrap_err();
    assert!(matches!(none, BillingError::NoTariff(_)), "{none}");
    assert!(none.to_string().contains("no price"), "{none}");
    // Replacing a prefix's tariff keeps one row.
    b.set_tariff(&tariff("+86", 20, 12, "60/60")).await.unwrap();
    let all = b.tariffs().await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].connect_fee, 20);
});

// covers CALL-7
both_dbs!(
    concurrent_starts_never_overspend,
    |t: TestRelay| async move {
        let b = Billing::with_policy(store(&t), open_policy());
        // A first minute costs 10 + 90 = 100; 349 pays for three minutes and 26 s of a fourth call.
        b.set_tariff(&tariff("+86", 10, 90, "1/1")).await.unwrap();
        let alice = alice_with(&b, 349).await;
        let mut tasks = Vec::new();
        for i in 0..20 {
            let b = b.clone();
            let call = new_call(b.store(), &format!("race-{i}"), alice).await;
            tasks.push(tokio::spawn(async move { b.start_call(call).await }));
        }
        let mut started: Vec<Reservation> = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(r) => started.push(r),
                Err(BillingError::InsufficientBalance { .. }) => {}
                Err(e) => panic!("unexpected refusal: {e}"),
            }
        }
        let mut held: Vec<(i64, u64)> = started
            .iter()
            .map(|r| (r.reserved(), r.paid_until()))
            .collect();
        held.sort();
        assert_eq!(held, vec![(49, 26), (100, 60), (100, 60), (100, 60)]);
        let acct = b.account(alice).await.unwrap();
        assert_eq!((acct.balance, acct.reserved), (349, 349));
        assert_ledger_consistent(&b, alice).await;
        // Settling each at its paid-until second charges exactly what it held.
        for r in started {
            let (reserved, paid_until) = (r.reserved(), r.paid_until());
            let s = b.settle(r, ended_after(paid_until)).await.unwrap();
            assert_eq!((s.charge, s.released), (reserved, 0));
        }
        let acct = b.account(alice).await.unwrap();
        assert_eq!((acct.balance, acct.reserved), (0, 0));
        assert_ledger_consistent(&b, alice).await;
        assert_eq!(b.store().open_reservations(Some(alice.0)).await.unwrap(), 0);
    }
);

// covers CALL-7
both_dbs!(
    extend_then_settle_exact_to_the_unit,
    |t: TestRelay| async move {
        let b = Billing::new(store(&t));
        b.set_tariff(&tariff("+86", 10, 12, "30/6")).await.unwrap();
        let alice = alice_with(&b, 1000).await;
        let mut r = b
            .start_call(new_call(b.store(), "ext-1", alice).await)
            .await
            .unwrap();
        assert_eq!((r.reserved(), r.paid_until()), (22, 60));
        b.mark_bridged(&mut r, now_ms()).await.unwrap();
        let g = b.extend(&mut r).await.unwrap();
        assert_eq!((g.paid_until, g.reserved, g.limit), (120, 34, None));
        let g = b.extend(&mut r).await.unwrap();
        assert_eq!((g.paid_until, g.reserved, g.limit), (180, 46, None));
        assert_eq!(b.account(alice).await.unwrap().reserved, 46);
        assert_eq!(
            b.running_cost(&r, 95),
            30,
            "95 s bills 96 s: 10 + ceil(12 * 96 / 60)"
        );
        // Hanging up at the paid-until second charges exactly the hold.
        let s = b.settle(r, ended_after(180)).await.unwrap();
        assert_eq!((s.billed_seconds, s.charge, s.released), (180, 46, 0));
        assert_eq!(b.account(alice).await.unwrap().balance, 954);

        // A duration past paid-until (a late hang-up) is capped there.
        let mut r = b
            .start_call(new_call(b.store(), "ext-2", alice).await)
            .await
            .unwrap();
        b.mark_bridged(&mut r, now_ms()).await.unwrap();
        let s = b.settle(r, ended_after(75)).await.unwrap();
        assert_eq!((s.billed_seconds, s.charge, s.released), (60, 22, 0));

        // Hanging up early releases the rest; never bridged costs nothing.
        let mut r = b
            .start_call(new_call(b.store(), "ext-3", alice).await)
            .await
            .unwrap();
        b.extend(&mut r).await.unwrap();
        let s = b.settle(r, ended_after(95)).await.unwrap();
        assert_eq!((s.billed_seconds, s.charge, s.released), (95, 30, 4));
        let r = b
            .start_call(new_call(b.store(), "ext-4", alice).await)
            .await
            .unwrap();
        let s = b
            .settle(
                r,
                CallOutcome {
                    reason: "merchant busy".into(),
                    bridged_seconds: None,
                },
            )
            .await
            .unwrap();
        assert_eq!((s.billed_seconds, s.charge, s.released), (0, 0, 22));

        let acct = b.account(alice).await.unwrap();
        assert_eq!((acct.balance, acct.reserved), (1000 - 46 - 22 - 30, 0));
        assert_ledger_consistent(&b, alice).await;
    }
);

// covers CALL-7
both_dbs!(
    extend_reserves_what_is_left_and_reports_exact_seconds,
    |t: TestRelay| async move {
        let b = Billing::new(store(&t));
        // One fen a second after a 10 fen connect fee: 110 pays for exactly 100 s.
        b.set_tariff(&tariff("+86", 10, 60, "1/1")).await.unwrap();
        let alice = alice_with(&b, 110).await;
        let mut r = b
            .start_call(new_call(b.store(), "short-1", alice).await)
            .await
            .unwrap();
        assert_eq!((r.reserved(), r.paid_until(), r.limit()), (70, 60, None));
        b.mark_bridged(&mut r, now_ms()).await.unwrap();
        assert!(r.needs_extension(46));
        let g = b.extend(&mut r).await.unwrap();
        assert_eq!(
            (g.paid_until, g.reserved, g.limit),
            (100, 110, Some(Limit::Balance))
        );
        assert!(
            !r.needs_extension(99),
            "nothing more to get: the relay warns and hangs up at 100 s"
        );
        let again = b.extend(&mut r).await.unwrap();
        assert_eq!(again.paid_until, 100);
        let s = b.settle(r, ended_after(100)).await.unwrap();
        assert_eq!((s.charge, s.released), (110, 0));
        let acct = b.account(alice).await.unwrap();
        assert_eq!(
            (acct.balance, acct.reserved),
            (0, 0),
            "to the unit, never below zero"
        );
        assert_ledger_consistent(&b, alice).await;
    }
);

// covers CALL-7
both_dbs!(minimum_balance_to_start, |t: TestRelay| async move {
    let b = Billing::new(store(&t));
    b.set_tariff(&tariff("+86", 10, 12, "60/60")).await.unwrap();
    let alice = alice_with(&b, 99).await;
    let e = b
        .start_call(new_call(b.store(), "min-1", alice).await)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            BillingError::InsufficientBalance {
                available: 99,
                needed: 100
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "not enough credit to start a call: 0.99 CNY available, 1.00 CNY needed. Top up and try again."
    );
    assert!(
        b.call_record("min-1").await.unwrap().is_none(),
        "nothing written when refused"
    );
    b.credit(alice, 1, "one more fen").await.unwrap();
    let r = b
        .start_call(new_call(b.store(), "min-2", alice).await)
        .await
        .unwrap();
    b.settle(r, ended_after(0)).await.unwrap();
    assert_ledger_consistent(&b, alice).await;
});

// covers CALL-4, CALL-7
both_dbs!(
    daily_cap_refuses_start_and_extend,
    |t: TestRelay| async move {
        let b = Billing::with_policy(
            store(&t),
            Policy {
                min_start_balance: 0,
                member_daily_cap: Some(150),
            },
        );
        b.set_tariff(&tariff("+86", 10, 90, "60/60")).await.unwrap();
        let alice = alice_with(&b, 1000).await;
        let mut r = b
            .start_call(new_call(b.store(), "cap-1", alice).await)
            .await
            .unwrap();
        assert_eq!(r.reserved(), 100);
        b.mark_bridged(&mut r, now_ms()).await.unwrap();
        // The second minute (190 in all) would pass 150: the call ends at 60 s.
        let g = b.extend(&mut r).await.unwrap();
        assert_eq!((g.paid_until, g.limit), (60, Some(Limit::DailyCap)));
        let e = b
            .start_call(new_call(b.store(), "cap-2", alice).await)
            .await
            .unwrap_err();
        assert!(
            matches!(e, BillingError::DailyCapReached { cap: 150 }),
            "{e:?}"
        );
        assert!(e.to_string().contains("1.50 CNY"), "{e}");
        b.settle(r, ended_after(30)).await.unwrap();
        // Still 100 spent today: a second call still does not fit.
        let e = b
            .start_call(new_call(b.store(), "cap-3", alice).await)
            .await
            .unwrap_err();
        assert!(matches!(e, BillingError::DailyCapReached { .. }), "{e:?}");
        // An unused hold comes back under the cap; the account's own cap replaces the default.
        b.set_daily_cap(alice, Some(250)).await.unwrap();
        let r = b
            .start_call(new_call(b.store(), "cap-4", alice).await)
            .await
            .unwrap();
        b.settle(
            r,
            CallOutcome {
                reason: "no answer".into(),
                bridged_seconds: None,
            },
        )
        .await
        .unwrap();
        let acct = b.account(alice).await.unwrap();
        assert_eq!(
            acct.cap_used, 100,
            "an unanswered call gives its hold back to the cap"
        );
        let mut r = b
            .start_call(new_call(b.store(), "cap-5", alice).await)
            .await
            .unwrap();
        let g = b.extend(&mut r).await.unwrap();
        assert_eq!(g.limit, Some(Limit::DailyCap));
        b.settle(r, ended_after(60)).await.unwrap();
        assert_eq!(b.account(alice).await.unwrap().balance, 800);
        assert_ledger_consistent(&b, alice).await;
    }
);

// The relay is stopped mid-call (its process gone: nothing settled), a new relay starts on
// the same database, and the janitor settles the orphan from its last heartbeat.
// covers CALL-7
both_dbs!(
    janitor_settles_orphans_after_restart,
    |t: TestRelay| async move {
        let b = Billing::new(store(&t));
        b.set_tariff(&tariff("+86", 10, 12, "60/60")).await.unwrap();
        let alice = alice_with(&b, 1000).await;
        let mut r = b
            .start_call(new_call(b.store(), "orphan-1", alice).await)
            .await
            .unwrap();
        let bridged = now_ms() - 300_000;
        b.mark_bridged(&mut r, bridged).await.unwrap();
        b.extend(&mut r).await.unwrap();
        b.heartbeat_at(&r, bridged + 95_000).await.unwrap();
        let never_bridged = b
            .start_call(new_call(b.store(), "orphan-2", alice).await)
            .await
            .unwrap();
        b.heartbeat_at(&never_bridged, now_ms() - 200_000)
            .await
            .unwrap();
        let config = t.running.relay.config.clone();
        drop((r, never_bridged));
        t.running.shutdown().await;

        let again = ringlink_relay::start(config).await.unwrap();
        let b = Billing::new(again.relay.store.clone());
        let live = b
            .start_call(new_call(b.store(), "live-1", alice).await)
            .await
            .unwrap();
        // The new relay's own janitor may already have run at start-up; either way both
        // orphans end up settled, once.
        assert!(b.settle_orphans(STALE_AFTER).await.unwrap() <= 2);
        assert_eq!(
            b.settle_orphans(STALE_AFTER).await.unwrap(),
            0,
            "settled once"
        );
        let cdr = b.call_record("orphan-1").await.unwrap().unwrap();
        assert_eq!(cdr.state, "ended");
        assert_eq!(cdr.end_reason.as_deref(), Some(ORPHAN_REASON));
        // 95 s up to the last heartbeat bill two minutes: 10 + 2 * 12.
        assert_eq!((cdr.billed_seconds, cdr.charge), (Some(95), Some(34)));
        let cdr = b.call_record("orphan-2").await.unwrap().unwrap();
        assert_eq!((cdr.billed_seconds, cdr.charge), (Some(0), Some(0)));
        // The live call's heartbeat is fresh: untouched.
        assert_eq!(b.store().open_reservations(None).await.unwrap(), 1);
        b.heartbeat(&live).await.unwrap();
        b.settle(live, ended_after(0)).await.unwrap();
        assert_eq!(b.store().open_reservations(None).await.unwrap(), 0);
        let acct = b.account(alice).await.unwrap();
        assert_eq!((acct.balance, acct.reserved), (1000 - 34, 0));
        assert_ledger_consistent(&b, alice).await;
        again.shutdown().await;
    }
);

// covers CALL-7
both_dbs!(
    a_settled_call_cannot_be_billed_twice,
    |t: TestRelay| async move {
        let b = Billing::new(store(&t));
        b.set_tariff(&tariff("+86", 10, 12, "60/60")).await.unwrap();
        let alice = alice_with(&b, 1000).await;
        let mut r = b
            .start_call(new_call(b.store(), "once-1", alice).await)
            .await
            .unwrap();
        let bridged = now_ms() - 600_000;
        b.mark_bridged(&mut r, bridged).await.unwrap();
        b.heartbeat_at(&r, bridged + 30_000).await.unwrap();
        // Stale at once: the janitor settles it under the live relay's feet.
        assert_eq!(b.settle_orphans(Duration::from_secs(60)).await.unwrap(), 1);
        assert!(matches!(
            b.heartbeat(&r).await,
            Err(BillingError::AlreadySettled)
        ));
        assert!(matches!(
            b.extend(&mut r).await,
            Err(BillingError::AlreadySettled)
        ));
        let e = b.settle(r, ended_after(60)).await.unwrap_err();
        assert!(matches!(e, BillingError::AlreadySettled), "{e:?}");
        let dup = b
            .start_call(new_call(b.store(), "once-1", alice).await)
            .await
            .unwrap_err();
        assert!(dup.to_string().contains("already exists"), "{dup}");
        let acct = b.account(alice).await.unwrap();
        assert_eq!((acct.balance, acct.reserved), (1000 - 22, 0));
        assert_ledger_consistent(&b, alice).await;
    }
);

// covers CALL-4
both_dbs!(
    payers_are_members_merchants_and_sponsors,
    |t: TestRelay| async move {
        let b = Billing::with_policy(store(&t), open_policy());
        b.set_tariff(&tariff("+86", 10, 12, "60/60")).await.unwrap();
        let (member, site) = ids(b.store()).await;
        let alice = b.account_for(&Payer::Member(member)).await.unwrap();
        assert_eq!(
            b.account_for(&Payer::Member(member)).await.unwrap(),
            alice,
            "created once"
        );
        let shop = b.account_for(&Payer::Merchant(site)).await.unwrap();
        assert_ne!(shop, alice);
        let ad = b.create_sponsor("Acme ads").await.unwrap();
        assert_eq!(
            b.account_for(&Payer::SponsorNamed("Acme ads".into()))
                .await
                .unwrap(),
            ad
        );
        assert_eq!(b.account_for(&Payer::Sponsor(ad.0)).await.unwrap(), ad);
        assert!(b
            .create_sponsor("Acme ads")
            .await
            .unwrap_err()
            .to_string()
            .contains("already"));
        for (payer, says) in [
            (Payer::Member(999_999), "no member"),
            (Payer::Merchant(999_999), "no merchant site"),
            (Payer::Sponsor(alice.0), "no sponsor account"),
            (
                Payer::SponsorNamed("Nobody".into()),
                "sponsor create --name Nobody",
            ),
        ] {
            let e = b.account_for(&payer).await.unwrap_err();
            assert!(e.to_string().contains(says), "{payer:?}: {e}");
        }
        // The sponsor pays; the member's account is untouched.
        b.credit(ad, 500, "campaign budget").await.unwrap();
        let mut r = b
            .start_call(new_call(b.store(), "ad-1", ad).await)
            .await
            .unwrap();
        b.mark_bridged(&mut r, now_ms()).await.unwrap();
        b.settle(r, ended_after(42)).await.unwrap();
        assert_eq!(b.account(ad).await.unwrap().balance, 478);
        assert_eq!(b.account(alice).await.unwrap().balance, 0);
        let e = b
            .start_call(new_call(b.store(), "shop-1", shop).await)
            .await
            .unwrap_err();
        assert!(
            matches!(e, BillingError::InsufficientBalance { available: 0, .. }),
            "{e:?}"
        );
        assert_ledger_consistent(&b, ad).await;
    }
);

// covers CALL-7
both_dbs!(ledger_sum_equals_balance, |t: TestRelay| async move {
    let b = Billing::new(store(&t));
    b.set_tariff(&tariff("+86", 10, 12, "1/1")).await.unwrap();
    let alice = alice_with(&b, 500).await;
    assert_ledger_consistent(&b, alice).await;
    assert!(matches!(
        b.credit(alice, 0, "").await,
        Err(BillingError::BadAmount(_))
    ));
    assert!(matches!(
        b.credit(alice, -5, "").await,
        Err(BillingError::BadAmount(_))
    ));
    b.adjust(alice, -120, "refund of a test top-up")
        .await
        .unwrap();
    b.adjust(alice, 20, "goodwill").await.unwrap();
    let mut r = b
        .start_call(new_call(b.store(), "sum-1", alice).await)
        .await
        .unwrap();
    // 400 owned, 22 held: an adjustment may not take the balance under the hold.
    let e = b.adjust(alice, -390, "too much").await.unwrap_err();
    assert!(
        matches!(e, BillingError::BelowHeld { held: 22, .. }),
        "{e:?}"
    );
    b.adjust(alice, -378, "exactly down to the hold")
        .await
        .unwrap();
    b.mark_bridged(&mut r, now_ms()).await.unwrap();
    let s = b.settle(r, ended_after(61)).await.unwrap();
    assert_eq!(
        (s.billed_seconds, s.charge),
        (60, 22),
        "capped at what was held"
    );
    let acct = b.account(alice).await.unwrap();
    assert_eq!((acct.balance, acct.reserved), (0, 0));
    assert_ledger_consistent(&b, alice).await;
    let entries = b.ledger(alice, 10).await.unwrap();
    let kinds: Vec<_> = entries
        .iter()
        .map(|e| (e.kind.as_str(), e.amount))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("charge", -22),
            ("adjustment", -378),
            ("adjustment", 20),
            ("adjustment", -120),
            ("credit", 500)
        ]
    );
});

// covers CALL-7
both_dbs!(call_records_follow_the_call, |t: TestRelay| async move {
    let b = Billing::new(store(&t));
    b.set_tariff(&tariff("+86", 10, 12, "60/60")).await.unwrap();
    let alice = alice_with(&b, 1000).await;
    let (member, site) = ids(b.store()).await;
    let mut r = b
        .start_call(new_call(b.store(), "cdr-1", alice).await)
        .await
        .unwrap();
    let cdr = b.call_record("cdr-1").await.unwrap().unwrap();
    assert_eq!(
        (
            cdr.state.as_str(),
            cdr.member_id,
            cdr.site_id,
            cdr.button_key.as_str()
        ),
        ("started", member, site, "sales")
    );
    assert_eq!(
        (cdr.member_number.as_str(), cdr.merchant_number.as_str()),
        (ALICE, MERCHANT)
    );
    assert_eq!(
        (cdr.payer_account_id, cdr.tariff_prefix.as_str()),
        (alice.0, "+86")
    );
    let at = now_ms();
    b.mark_bridged(&mut r, at).await.unwrap();
    let cdr = b.call_record("cdr-1").await.unwrap().unwrap();
    assert_eq!(
        (cdr.state.as_str(), cdr.bridged_at),
        ("bridged", Some(at / 1000))
    );
    let end = CallOutcome::ended_at("merchant hung up", &r, at + 61_500);
    assert_eq!(end.bridged_seconds, Some(62));
    b.extend(&mut r).await.unwrap();
    b.settle(r, end).await.unwrap();
    let cdr = b.call_record("cdr-1").await.unwrap().unwrap();
    assert_eq!(cdr.state, "ended");
    assert_eq!(cdr.end_reason.as_deref(), Some("merchant hung up"));
    assert_eq!((cdr.billed_seconds, cdr.charge), (Some(62), Some(34)));
    assert!(cdr.ended_at.is_some());
    let r = b
        .start_call(new_call(b.store(), "cdr-2", alice).await)
        .await
        .unwrap();
    b.settle(
        r,
        CallOutcome {
            reason: "no answer".into(),
            bridged_seconds: None,
        },
    )
    .await
    .unwrap();
    let list = b.call_records(Some(member), 10).await.unwrap();
    let names: Vec<_> = list.iter().map(|c| c.public_id.as_str()).collect();
    assert_eq!(names, vec!["cdr-2", "cdr-1"]);
    assert_eq!(b.call_records(None, 1).await.unwrap().len(), 1);
    assert!(b.call_records(Some(999_999), 10).await.unwrap().is_empty());
});

/// The billing admin commands as `ringlink-relay admin` parses them.
#[derive(clap::Parser)]
struct AdminCli {
    #[command(subcommand)]
    cmd: AdminCmd,
}

#[derive(clap::Subcommand)]
enum AdminCmd {
    #[command(subcommand)]
    Account(admin_billing::AccountCmd),
    #[command(subcommand)]
    Sponsor(admin_billing::SponsorCmd),
    #[command(subcommand)]
    Tariff(admin_billing::TariffCmd),
    #[command(subcommand)]
    Calls(admin_billing::CallsCmd),
}

/// Runs one admin command line; Err carries clap's or the command's message.
async fn admin(t: &TestRelay, line: &[&str]) -> Result<String, String> {
    use clap::Parser;
    let args = std::iter::once("admin").chain(line.iter().copied());
    let cli = AdminCli::try_parse_from(args).map_err(|e| e.to_string())?;
    let relay = &t.running.relay;
    let out = match cli.cmd {
        AdminCmd::Account(c) => admin_billing::account(relay, c).await,
        AdminCmd::Sponsor(c) => admin_billing::sponsor(relay, c).await,
        AdminCmd::Tariff(c) => admin_billing::tariff(relay, c).await,
        AdminCmd::Calls(c) => admin_billing::calls(relay, c).await,
    };
    out.map_err(|e| e.to_string())
}

// covers CALL-4, CALL-7
both_dbs!(admin_commands_and_their_errors, |t: TestRelay| async move {
    let set = |inc: &'static str| {
        [
            "tariff",
            "set",
            "--prefix",
            "+86",
            "--connect-fee",
            "10",
            "--per-minute",
            "12",
            "--increments",
            inc,
        ]
    };
    let e = admin(&t, &set("60/x")).await.unwrap_err();
    assert!(e.contains("FIRST/NEXT"), "{e}");
    let out = admin(&t, &set("60/60")).await.unwrap();
    assert!(out.contains("a 1-minute call costs 0.22 CNY"), "{out}");
    let e = admin(
        &t,
        &[
            "tariff",
            "set",
            "--prefix",
            "86",
            "--connect-fee",
            "1",
            "--per-minute",
            "1",
        ],
    )
    .await
    .unwrap_err();
    assert!(e.contains("prefix '86'"), "{e}");
    let e = admin(
        &t,
        &[
            "tariff",
            "set",
            "--prefix",
            "+1",
            "--connect-fee",
            "-1",
            "--per-minute",
            "1",
        ],
    )
    .await
    .unwrap_err();
    assert!(e.contains("connect fee"), "{e}");
    let out = admin(&t, &["tariff", "list"]).await.unwrap();
    assert!(out.contains("+86\t10\t12\t60/60"), "{out}");

    let credit = |who: &'static str, name: &'static str, amount: &'static str| {
        [
            "account", "credit", who, name, "--amount", amount, "--note", "top-up",
        ]
    };
    let out = admin(&t, &credit("--member", ALICE, "1000")).await.unwrap();
    assert!(
        out.contains("credited 10.00 CNY to member +8613800138000"),
        "{out}"
    );
    let e = admin(&t, &credit("--member", ALICE, "-5"))
        .await
        .unwrap_err();
    assert!(e.contains("positive number of fen"), "{e}");
    let e = admin(&t, &credit("--member", "+8613700137000", "5"))
        .await
        .unwrap_err();
    assert!(e.contains("no member with number +8613700137000"), "{e}");
    let e = admin(&t, &credit("--site", "nope", "5")).await.unwrap_err();
    assert!(e.contains("no site with key 'nope'"), "{e}");
    let e = admin(&t, &credit("--sponsor", "Acme", "5"))
        .await
        .unwrap_err();
    assert!(e.contains("sponsor create --name Acme"), "{e}");
    let e = admin(
        &t,
        &[
            "account", "credit", "--member", ALICE, "--site", SITE, "--amount", "5",
        ],
    )
    .await
    .unwrap_err();
    assert!(e.contains("cannot be used with"), "{e}");
    let out = admin(&t, &["sponsor", "create", "--name", "Acme"])
        .await
        .unwrap();
    assert!(out.contains("sponsor 'Acme' created"), "{out}");
    admin(&t, &credit("--sponsor", "Acme", "500"))
        .await
        .unwrap();
    admin(&t, &credit("--site", SITE, "700")).await.unwrap();
    let out = admin(
        &t,
        &[
            "account", "adjust", "--site", SITE, "--amount", "-200", "--note", "refund",
        ],
    )
    .await
    .unwrap();
    assert!(out.contains("balance 5.00 CNY"), "{out}");
    let out = admin(
        &t,
        &["account", "set-cap", "--member", ALICE, "--daily", "300"],
    )
    .await
    .unwrap();
    assert!(out.contains("3.00 CNY"), "{out}");
    let e = admin(
        &t,
        &["account", "set-cap", "--member", ALICE, "--daily", "lots"],
    )
    .await
    .unwrap_err();
    assert!(e.contains("--daily 'lots'"), "{e}");

    let b = t.running.relay.calls.billing.clone();
    let (member, _) = ids(b.store()).await;
    let alice = b.account_for(&Payer::Member(member)).await.unwrap();
    let mut r = b
        .start_call(new_call(b.store(), "admin-1", alice).await)
        .await
        .unwrap();
    b.mark_bridged(&mut r, now_ms()).await.unwrap();
    let out = admin(&t, &["account", "show", "--member", ALICE])
        .await
        .unwrap();
    assert!(out.contains("balance     10.00 CNY (1000 fen)"), "{out}");
    assert!(
        out.contains("held        0.22 CNY by 1 call(s) in progress"),
        "{out}"
    );
    assert!(
        out.contains("daily cap   3.00 CNY; 0.22 CNY used today"),
        "{out}"
    );
    assert!(out.contains("equals the balance"), "{out}");
    b.settle(r, ended_after(30)).await.unwrap();
    let out = admin(&t, &["calls", "records", "--member", ALICE, "--limit", "5"])
        .await
        .unwrap();
    let row = out.lines().nth(1).unwrap_or_default();
    assert!(
        row.starts_with("admin-1\tended\t+8613800138000\t+8613900139000\tsales\t"),
        "{out}"
    );
    assert!(row.contains("\t30\t22\tmember hung up"), "{out}");
    let e = admin(&t, &["calls", "records", "--limit", "0"])
        .await
        .unwrap_err();
    assert!(e.contains("--limit"), "{e}");
});
