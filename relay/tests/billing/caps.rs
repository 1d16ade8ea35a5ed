//! Daily caps and shares under parallel starts, and the start balance from the tariff
//! (#8 §5 Caps and Prompts), on both databases.

use super::*;

/// The test site's merchant account, credited with `amount`.
async fn merchant_with(b: &Billing, amount: i64) -> AccountId {
    let (_, site) = ids(b.store()).await;
    let a = b.account_for(&Payer::Merchant(site)).await.unwrap();
    b.credit(a, amount, "merchant budget").await.unwrap();
    a
}

/// Starts `n` calls on `payer` at once; the results in any order.
async fn parallel_starts(
    b: &Billing,
    payer: AccountId,
    n: usize,
    tag: &str,
) -> Vec<Result<Reservation, BillingError>> {
    let mut tasks = Vec::new();
    for i in 0..n {
        let b = b.clone();
        let call = new_call(b.store(), &format!("{tag}-{i}"), payer).await;
        tasks.push(tokio::spawn(async move { b.start_call(call).await }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

// covers #8 §5 Caps: a merchant account has a default daily cap, held atomically
both_dbs!(
    merchant_default_daily_cap_holds_under_parallel_starts,
    |t: TestRelay| async move {
        let b = Billing::with_policy(
            store(&t),
            Policy {
                merchant_daily_cap: Some(300),
                ..Policy::open()
            },
        );
        // A minute costs 60: the 300 cap pays for five first chunks.
        b.set_tariff(&tariff("+86", 0, 60, "1/1")).await.unwrap();
        free_member_leg(&b).await;
        let merchant = merchant_with(&b, 100_000).await;
        let results = parallel_starts(&b, merchant, 12, "cap").await;
        let held: i64 = results
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|r| r.reserved())
            .sum();
        assert_eq!(held, 300, "{results:?}");
        for e in results.iter().filter_map(|r| r.as_ref().err()) {
            assert!(
                matches!(e, BillingError::DailyCapReached { cap: 300 }),
                "{e}"
            );
            assert!(e.to_string().contains("spending limit"), "{e}");
        }
        let a = b.account(merchant).await.unwrap();
        assert_eq!((a.reserved, a.cap_used), (300, 300), "{a:?}");
        assert_ledger_consistent(&b, merchant).await;
    }
);

// covers #8 §5 Caps: each member has a daily share of merchant-paid minutes, held atomically
both_dbs!(
    member_share_of_merchant_minutes_holds_under_parallel_starts,
    |t: TestRelay| async move {
        let b = Billing::with_policy(
            store(&t),
            Policy {
                member_share_secs: Some(150),
                ..Policy::open()
            },
        );
        b.set_tariff(&tariff("+86", 0, 60, "1/1")).await.unwrap();
        free_member_leg(&b).await;
        let merchant = merchant_with(&b, 100_000).await;
        let (member, _) = ids(b.store()).await;
        let results = parallel_starts(&b, merchant, 10, "share").await;
        let mut paid: Vec<u64> = results
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|r| r.paid_until())
            .collect();
        paid.sort_unstable();
        // 150 s: two full minutes and the last 30 s.
        assert_eq!(paid, vec![30, 60, 60], "{results:?}");
        for e in results.iter().filter_map(|r| r.as_ref().err()) {
            assert!(matches!(e, BillingError::ShareUsed { minutes: 2 }), "{e}");
        }
        let day = ringlink_relay::billing::utc_day(now_ms());
        let store = b.store();
        assert_eq!(
            store
                .member_share_used(merchant.0, member, day)
                .await
                .unwrap(),
            150
        );
        // Settling a call that talked 10 of its 60 s gives 50 s of the share back.
        let mut live: Vec<Reservation> = results.into_iter().filter_map(Result::ok).collect();
        let mut r = live.remove(0);
        let short = r.paid_until() == 30;
        b.mark_bridged(&mut r, now_ms() - 10_000).await.unwrap();
        b.settle(r, ended_after(10)).await.unwrap();
        let back = if short { 20 } else { 50 };
        assert_eq!(
            store
                .member_share_used(merchant.0, member, day)
                .await
                .unwrap(),
            150 - back
        );
        // The share left is held by the next call, and extending past it is refused.
        let mut next = b
            .start_call(new_call(store, "share-next", merchant).await)
            .await
            .unwrap();
        assert_eq!(next.paid_until(), back);
        assert_eq!(next.limit(), Some(Limit::Share));
        b.mark_bridged(&mut next, now_ms()).await.unwrap();
        let g = b.extend(&mut next).await.unwrap();
        assert_eq!((g.paid_until, g.limit), (back, Some(Limit::Share)));
        // The member's own account is not limited by the share.
        let alice = alice_with(&b, 10_000).await;
        let own = parallel_starts(&b, alice, 3, "own").await;
        assert!(own.iter().all(Result::is_ok), "{own:?}");
        for r in live.into_iter().chain([next]) {
            b.settle(r, ended_after(0)).await.unwrap();
        }
        assert_ledger_consistent(&b, merchant).await;
    }
);

// covers #8 §5 Prompts: the start balance covers a useful minimum talk time at the tariff
both_dbs!(
    start_balance_covers_a_minimum_talk_time,
    |t: TestRelay| async move {
        let b = Billing::with_policy(
            store(&t),
            Policy {
                min_start_balance: 100,
                min_talk_secs: 60,
                ..Policy::open()
            },
        );
        // 2 fen a second: 60 s cost 120, more than the fixed 100 minimum.
        b.set_tariff(&tariff("+86", 0, 120, "1/1")).await.unwrap();
        free_member_leg(&b).await;
        let alice = alice_with(&b, 110).await;
        let e = b
            .start_call(new_call(b.store(), "short-1", alice).await)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                BillingError::InsufficientBalance {
                    available: 110,
                    needed: 120
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("1.20 CNY needed"), "{e}");
        assert!(b.call_records(None, 10).await.unwrap().is_empty());
        b.credit(alice, 10, "top-up").await.unwrap();
        let r = b
            .start_call(new_call(b.store(), "short-2", alice).await)
            .await
            .unwrap();
        assert_eq!(r.paid_until(), 60);
        b.settle(r, ended_after(0)).await.unwrap();
        assert_ledger_consistent(&b, alice).await;
    }
);
