//! Billing for CALL on a real relay's database (SQLite always, PostgreSQL when DATABASE_URL_PG
//! is set): payers, the ledger, longest-prefix tariffs, reservations under concurrency, extend
//! and settle to the unit, daily caps, the minimum balance, and the janitor after a restart.

#[path = "billing/admin.rs"]
mod admin;
#[path = "billing/caps.rs"]
mod caps;
#[path = "billing/legs.rs"]
mod legs;
#[path = "billing/lifecycle.rs"]
mod lifecycle;
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
    Policy::open()
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
        free_member_leg(&b).await;
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
    concurrent_extends_share_the_last_credit,
    |t: TestRelay| async move {
        let b = Billing::with_policy(store(&t), open_policy());
        // 1.5 fen a second after a 10 fen connect fee: the next second costs 1 or 2 fen.
        b.set_tariff(&tariff("+86", 10, 90, "1/1")).await.unwrap();
        free_member_leg(&b).await;
        let alice = alice_with(&b, 1000).await;
        let mut started = Vec::new();
        for i in 0..4 {
            let call = new_call(b.store(), &format!("share-{i}"), alice).await;
            started.push(b.start_call(call).await.unwrap());
        }
        let mut tasks = Vec::new();
        for mut r in started {
            let b = b.clone();
            tasks.push(tokio::spawn(async move {
                b.mark_bridged(&mut r, now_ms()).await.unwrap();
                while r.limit().is_none() {
                    b.extend(&mut r).await.unwrap();
                }
                r
            }));
        }
        let mut calls = Vec::new();
        for task in tasks {
            calls.push(task.await.unwrap());
        }
        let acct = b.account(alice).await.unwrap();
        let held: i64 = calls.iter().map(|r| r.reserved()).sum();
        assert_eq!((acct.balance, acct.reserved), (1000, held));
        assert!(
            acct.balance - acct.reserved <= 1,
            "what is left buys no call another second"
        );
        for r in calls {
            let (paid_until, reserved) = (r.paid_until(), r.reserved());
            assert_eq!(r.price().charge(paid_until), reserved);
            let s = b.settle(r, ended_after(paid_until)).await.unwrap();
            assert_eq!(s.charge, reserved);
        }
        let acct = b.account(alice).await.unwrap();
        assert_eq!((acct.balance, acct.reserved), (1000 - held, 0));
        assert_ledger_consistent(&b, alice).await;
    }
);

// covers CALL-7
both_dbs!(
    extend_then_settle_exact_to_the_unit,
    |t: TestRelay| async move {
        let b = Billing::new(store(&t));
        b.set_tariff(&tariff("+86", 10, 12, "30/6")).await.unwrap();
        free_member_leg(&b).await;
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
        free_member_leg(&b).await;
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
    free_member_leg(&b).await;
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
                member_daily_cap: Some(150),
                ..Policy::open()
            },
        );
        b.set_tariff(&tariff("+86", 10, 90, "60/60")).await.unwrap();
        free_member_leg(&b).await;
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

// covers CALL-7
both_dbs!(
    settling_at_paid_until_charges_exactly_the_hold,
    |t: TestRelay| async move {
        let b = Billing::with_policy(store(&t), open_policy());
        let alice = alice_with(&b, 0).await;
        let mut n = 0;
        for (connect, per_minute, inc) in [
            (10, 12, "60/60"),
            (7, 13, "1/1"),
            (3, 35, "30/6"),
            (0, 1, "60/60"),
        ] {
            let tariff = tariff("+86", connect, per_minute, inc);
            b.set_tariff(&tariff).await.unwrap();
            free_member_leg(&b).await;
            for top_up in [1, 21, 22, 23, 57, 100, 131, 250] {
                b.credit(alice, top_up, "sweep").await.unwrap();
                let balance = b.account(alice).await.unwrap().balance;
                n += 1;
                let mut r = match b
                    .start_call(new_call(b.store(), &format!("sweep-{n}"), alice).await)
                    .await
                {
                    Ok(r) => r,
                    Err(BillingError::InsufficientBalance { available, .. }) => {
                        assert_eq!(
                            tariff.seconds_for(available),
                            0,
                            "{tariff:?} refused {available}"
                        );
                        continue;
                    }
                    Err(e) => panic!("{e}"),
                };
                b.mark_bridged(&mut r, now_ms()).await.unwrap();
                while r.limit().is_none() {
                    b.extend(&mut r).await.unwrap();
                }
                // Everything the balance could pay for in whole increments, and not a second more.
                let paid_until = r.paid_until();
                assert_eq!(
                    paid_until,
                    tariff.seconds_for(balance),
                    "{tariff:?} balance {balance}"
                );
                assert_eq!(r.reserved(), tariff.charge(paid_until));
                assert!(
                    paid_until == ringlink_relay::billing::MAX_CALL_SECONDS
                        || tariff.charge(paid_until + 1) > balance
                );
                let held = r.reserved();
                let s = b.settle(r, ended_after(paid_until)).await.unwrap();
                assert_eq!(
                    (s.billed_seconds, s.charge, s.released),
                    (paid_until, held, 0)
                );
                let acct = b.account(alice).await.unwrap();
                assert_eq!((acct.balance, acct.reserved), (balance - held, 0));
                assert_ledger_consistent(&b, alice).await;
            }
        }
    }
);
