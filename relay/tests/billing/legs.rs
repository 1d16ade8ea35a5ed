//! Both legs priced (#8 §5 Leg A): the member's number and the merchant's number each by their
//! longest tariff prefix, held, charged and recorded to the unit, on both databases.

use super::*;

/// Leg B, the merchant's number (`+86139…`): 10 fen to connect, 12 a minute, 60/60.
fn merchant_leg() -> Tariff {
    tariff("+86139", 10, 12, "60/60")
}

/// Leg A, Alice's number (`+86138…`): 5 fen to connect, 1 fen a second, 1/1.
fn member_leg() -> Tariff {
    tariff(MEMBER_LEG_PREFIX, 5, 60, "1/1")
}

async fn both_legs_priced(b: &Billing) {
    b.set_tariff(&merchant_leg()).await.unwrap();
    b.set_tariff(&member_leg()).await.unwrap();
}

// covers #8 §5 Leg A: holds, extends and the settlement cover both legs, exact to the fen
both_dbs!(
    both_legs_are_held_charged_and_recorded_exactly,
    |t: TestRelay| async move {
        let b = Billing::with_policy(store(&t), open_policy());
        both_legs_priced(&b).await;
        let alice = alice_with(&b, 200).await;
        let mut r = b
            .start_call(new_call(b.store(), "legs-1", alice).await)
            .await
            .unwrap();
        // First minute: leg B 10 + 12 = 22, leg A 5 + 60 = 65. Leg B alone held 22.
        assert_eq!((r.paid_until(), r.reserved()), (60, 87));
        assert_eq!(r.price().member.prefix, MEMBER_LEG_PREFIX);
        assert_eq!(r.price().merchant.prefix, "+86139");
        assert_eq!(b.running_cost(&r, 1), 22 + 6);
        // The janitor reads the same two legs back from the reservation.
        let row = store(&t).reservation(r.call_id()).await.unwrap().unwrap();
        assert_eq!(&row.price, r.price());
        b.mark_bridged(&mut r, now_ms()).await.unwrap();
        let g = b.extend(&mut r).await.unwrap();
        assert_eq!((g.paid_until, g.reserved, g.limit), (120, 34 + 125, None));
        // 200 fen: leg B's third minute (46) leaves 154 for leg A, 5 + 149 s.
        let g = b.extend(&mut r).await.unwrap();
        assert_eq!(
            (g.paid_until, g.reserved, g.limit),
            (149, 200, Some(Limit::Balance))
        );
        assert_eq!(r.price().charge(149), 200);
        assert!(
            r.price().charge(150) > 200,
            "149 s is exactly what 200 pays"
        );
        // A late hang-up is capped at the paid second: exactly the hold is charged.
        let s = b.settle(r, ended_after(170)).await.unwrap();
        assert_eq!(
            (s.billed_seconds, s.charge, s.member_leg, s.released),
            (149, 200, 154, 0)
        );
        let acct = b.account(alice).await.unwrap();
        assert_eq!((acct.balance, acct.reserved), (0, 0));
        assert_ledger_consistent(&b, alice).await;
        let cdr = b.call_record("legs-1").await.unwrap().unwrap();
        assert_eq!(
            (
                cdr.tariff_prefix.as_str(),
                cdr.member_tariff_prefix.as_deref(),
                cdr.billed_seconds,
                cdr.charge,
                cdr.merchant_charge,
                cdr.member_charge,
            ),
            (
                "+86139",
                Some(MEMBER_LEG_PREFIX),
                Some(149),
                Some(200),
                Some(46),
                Some(154)
            )
        );

        // An early hang-up releases the rest: 61 s cost 34 (leg B) + 66 (leg A).
        b.credit(alice, 500, "top-up").await.unwrap();
        let mut r = b
            .start_call(new_call(b.store(), "legs-2", alice).await)
            .await
            .unwrap();
        b.mark_bridged(&mut r, now_ms()).await.unwrap();
        b.extend(&mut r).await.unwrap();
        assert_eq!(r.reserved(), 159);
        let s = b.settle(r, ended_after(61)).await.unwrap();
        assert_eq!((s.charge, s.member_leg, s.released), (100, 66, 59));
        assert_eq!(b.account(alice).await.unwrap().balance, 400);
        assert_ledger_consistent(&b, alice).await;
        let cdr = b.call_record("legs-2").await.unwrap().unwrap();
        assert_eq!(
            (cdr.charge, cdr.merchant_charge, cdr.member_charge),
            (Some(100), Some(34), Some(66))
        );
    }
);

// covers #8 §5 Leg A: the start balance pays min_talk_secs on both legs
both_dbs!(
    the_start_balance_covers_both_legs,
    |t: TestRelay| async move {
        let b = Billing::with_policy(
            store(&t),
            Policy {
                min_talk_secs: 60,
                ..Policy::open()
            },
        );
        both_legs_priced(&b).await;
        // A minute costs 87 on both legs; leg B alone (the old start balance) was 22.
        let alice = alice_with(&b, 86).await;
        let e = b
            .start_call(new_call(b.store(), "legs-short", alice).await)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                BillingError::InsufficientBalance {
                    available: 86,
                    needed: 87
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("0.87 CNY needed"), "{e}");
        assert!(b.call_record("legs-short").await.unwrap().is_none());
        b.credit(alice, 1, "one more fen").await.unwrap();
        let r = b
            .start_call(new_call(b.store(), "legs-ok", alice).await)
            .await
            .unwrap();
        assert_eq!((r.paid_until(), r.reserved()), (60, 87));
        b.settle(r, ended_after(0)).await.unwrap();
        assert_ledger_consistent(&b, alice).await;
    }
);

// covers #8 §5 Leg A: a member number with no price is refused before anything is held
both_dbs!(
    a_member_number_without_a_price_is_refused,
    |t: TestRelay| async move {
        let b = Billing::with_policy(store(&t), open_policy());
        b.set_tariff(&merchant_leg()).await.unwrap();
        let alice = alice_with(&b, 1000).await;
        let e = b
            .start_call(new_call(b.store(), "legs-none", alice).await)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, BillingError::NoTariff(n) if n == ALICE),
            "{e:?}"
        );
        assert!(b.call_record("legs-none").await.unwrap().is_none());
        assert_eq!(b.account(alice).await.unwrap().reserved, 0);
    }
);
