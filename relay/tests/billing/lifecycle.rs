//! Billing across a call's whole life: the janitor after a restart, settling once, who pays,
//! the ledger's sum, and the call record's transitions.

use super::*;

// The relay is stopped mid-call (its process gone: nothing settled), a new relay starts on
// the same database, and the janitor settles the orphan from its last heartbeat.
// covers CALL-7
both_dbs!(
    janitor_settles_orphans_after_restart,
    |t: TestRelay| async move {
        let b = Billing::new(store(&t));
        b.set_tariff(&tariff("+86", 10, 12, "60/60")).await.unwrap();
        free_member_leg(&b).await;
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
        free_member_leg(&b).await;
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
        free_member_leg(&b).await;
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
    free_member_leg(&b).await;
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
    free_member_leg(&b).await;
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
