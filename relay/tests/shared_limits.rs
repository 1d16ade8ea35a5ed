//! Limits shared across relays (#10 §2): two relays on one PostgreSQL database (two `Relay`s,
//! each with its own node id) count every rate limit that guards money or SMS, and every live-call limit,
//! together. With a cap of N, N takes pass spread over both relays and the next is refused on
//! the other one; a parallel burst through both takes exactly the cap; a dead relay's live
//! slots are freed by `release_node`; a refund gives a hit back. On the old in-process counters
//! each relay had its own maps, so every "refused on the other relay" below passed. The store's
//! counters and slots themselves (refunds, expiry, purge) are tested on both databases.

mod support;

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use ringlink_protocol::account::{AskAccountCode, CodePurpose};
use ringlink_protocol::widget::{RelayToWidget, WidgetMsg};
use ringlink_protocol::{ErrorBody, ErrorCode, E164};
use ringlink_relay::calls::guard::Line;
use ringlink_relay::calls::limits::SmsKind;
use ringlink_relay::signup::CODES_PER_NUMBER_PER_HOUR;
use ringlink_relay::store::counters::TakeError;
use ringlink_relay::{Config, Relay};
use support::*;

const HOUR: Duration = Duration::from_secs(3600);

/// Small caps, each met by its own test step.
fn caps(c: &mut Config) {
    let k = &mut c.calls;
    (k.per_member_per_hour, k.per_address_per_hour) = (2, 3);
    (k.per_destination_per_hour, k.per_prefix_per_hour) = (4, 5);
    (k.codes_per_number_per_hour, k.codes_per_member_per_hour) = (2, 3);
    (
        k.sms_per_site_per_hour,
        k.sms_per_hour,
        k.sms_per_prefix_per_hour,
    ) = (4, 6, 3);
}

/// Runs `body` with a [`Pair`] on PostgreSQL, the database several relays share (one relay
/// runs on SQLite). On SQLite, two relays' pools on one file in one test process sometimes fail
/// a statement with SQLITE_CANTOPEN, the open problem relay/tests/live_claims.rs notes (what I
/// traced of it is in /work/notes/limits.md); the switched limits run on SQLite in
/// `refunds_expiry_and_purge` here and in call_limits.rs, call_me.rs and signup.rs.
macro_rules! on_postgres_pair {
    ($name:ident, $body:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let Some(p) = Pair::start(Db::Postgres, caps).await else {
                return;
            };
            ($body)(p).await;
        }
    };
}

/// Relay A serving (node "node-a"), and relay B started on the same database and data folder
/// (node "node-b").
struct Pair {
    a: TestRelay,
    b: TestRelay,
}

impl Pair {
    async fn start(db: Db, tweak: impl Fn(&mut Config)) -> Option<Self> {
        let a = TestRelay::start_with(db, |c| {
            tweak(c);
            c.live.node_id = Some("node-a".into());
        })
        .await?;
        let mut config = a.running.relay.config.clone();
        config.listen = "127.0.0.1:0".into();
        config.live.node_id = Some("node-b".into());
        let b = ringlink_relay::start(config).await.unwrap();
        let b = TestRelay::adopt(b, tempfile::tempdir().unwrap());
        Some(Self { a, b })
    }

    /// Relay A for even `i`, B for odd: takes alternate between them.
    fn relay(&self, i: usize) -> &Arc<Relay> {
        if i.is_multiple_of(2) {
            &self.a.running.relay
        } else {
            &self.b.running.relay
        }
    }
}

fn n(s: &str) -> E164 {
    E164::new(s).unwrap()
}

/// A number in its own 7-digit block (its own prefix), one per `i`.
fn num(i: usize) -> E164 {
    n(&format!("+8613{i:03}000000"))
}

fn refused_rate(r: Result<impl std::fmt::Debug, ErrorBody>, words: &str) {
    let e = r.expect_err("the relay that did not count the others' hits let one more through");
    assert_eq!(e.code, ErrorCode::RateLimited, "{e:?}");
    assert!(e.message.contains(words), "{}", e.message);
    assert!(e.retry_after.unwrap_or(0) > 0, "{e:?}");
}

async fn call(r: &Relay, member: i64, address: &str, to: &E164) -> Result<(), ErrorBody> {
    let count = r.calls.guard.check_call(member, address, to).await?;
    r.calls.guard.count_call(count);
    Ok(())
}

/// These SMS are verification codes, as sign-up and CALL send them.
const CODE: SmsKind = SmsKind::Verification;
// covers #10 §2 shared limits: calls per member, client address, destination number and number
// prefix per hour; codes per number and per member; SMS per range, per site and in all; each
// with a cap of N taken alternately on two relays, the N+1st refused on the other one.
on_postgres_pair!(
    every_rate_limit_is_shared_by_two_relays,
    |p: Pair| async move {
        // Calls per member (cap 2): distinct addresses and numbers, so only this limit is met.
        for i in 0..2 {
            call(p.relay(i), 1, &format!("10.0.1.{i}"), &num(100 + i))
                .await
                .unwrap();
        }
        refused_rate(
            call(p.relay(1), 1, "10.0.1.9", &num(109)).await,
            "calls from your account",
        );
        // Per client address (cap 3).
        for i in 0..3 {
            call(p.relay(i), 10 + i as i64, "10.0.2.1", &num(200 + i))
                .await
                .unwrap();
        }
        refused_rate(
            call(p.relay(0), 19, "10.0.2.1", &num(209)).await,
            "calls from your network",
        );
        // Per destination number (cap 4).
        let to = num(300);
        for i in 0..4 {
            call(p.relay(i), 20 + i as i64, &format!("10.0.3.{i}"), &to)
                .await
                .unwrap();
        }
        refused_rate(
            call(p.relay(1), 29, "10.0.3.9", &to).await,
            "calls to +8613300000000",
        );
        // Per number prefix (cap 5): numbers of one block.
        for i in 0..5 {
            let to = n(&format!("+86134000000{i:02}"));
            call(p.relay(i), 30 + i as i64, &format!("10.0.4.{i}"), &to)
                .await
                .unwrap();
        }
        refused_rate(
            call(p.relay(0), 39, "10.0.4.9", &n("+8613400000099")).await,
            "numbers like this one",
        );
        // A refused call counted nothing: member 39's own limit still has both its calls.
        call(p.relay(1), 39, "10.0.4.10", &num(410)).await.unwrap();

        // Codes per number (cap 2) and per member (cap 3).
        let g = |i: usize| p.relay(i).calls.guard.clone();
        for i in 0..2 {
            g(i).count_code(50 + i as i64, &num(500)).await.unwrap();
        }
        refused_rate(
            g(0).count_code(59, &num(500)).await,
            "codes sent to +8613500000000",
        );
        for i in 0..3 {
            g(i).count_code(60, &num(600 + i)).await.unwrap();
        }
        refused_rate(g(1).count_code(60, &num(609)).await, "codes requested");

        // SMS per site per hour (cap 4 on site 7), in all (cap 6), per range (cap 3).
        let sms = |i: usize| &p.relay(i).calls.sms_caps;
        for i in 0..4 {
            sms(i).take(7, &num(700 + i), CODE).await.unwrap();
        }
        refused_rate(sms(0).take(7, &num(709), CODE).await, "this shop's page");
        for i in 0..2 {
            sms(i)
                .take(8 + i as i64, &num(800 + i), CODE)
                .await
                .unwrap();
        }
        refused_rate(sms(0).take(20, &num(809), CODE).await, "this service");
        sms(1).give_back(9, &num(801)).await;
        sms(0)
            .take(21, &num(810), CODE)
            .await
            .expect("a given-back SMS frees its place on every relay");
    }
);

// covers #10 §2 shared limits: SMS per number range, and sign-up's codes per number, through
// widgets on two relays (what a visitor asking for codes sees).
on_postgres_pair!(sign_up_codes_and_ranges_are_shared, |p: Pair| async move {
    for i in 0..3 {
        p.relay(i)
            .calls
            .sms_caps
            .take(99, &n(&format!("+86135100000{i:02}")), CODE)
            .await
            .unwrap();
    }
    refused_rate(
        p.relay(1)
            .calls
            .sms_caps
            .take(99, &n("+8613510000099"), CODE)
            .await,
        "this range of numbers",
    );

    let ask = |number: &str| {
        WidgetMsg::AskAccountCode(AskAccountCode {
            number: number.into(),
            purpose: CodePurpose::SignUp,
            lang: None,
        })
    };
    let (mut wa, mut wb) = (p.a.widget().await, p.b.widget().await);
    for i in 0..CODES_PER_NUMBER_PER_HOUR {
        let w = if i.is_multiple_of(2) {
            &mut wa
        } else {
            &mut wb
        };
        let r = w.request(ask("+8613700137000")).await;
        assert!(matches!(r, RelayToWidget::CodeSent(_)), "{r:?}");
    }
    let other = if CODES_PER_NUMBER_PER_HOUR.is_multiple_of(2) {
        &mut wb
    } else {
        &mut wa
    };
    match other.request(ask("+8613700137000")).await {
        RelayToWidget::Error(e) => {
            assert_eq!(e.code, ErrorCode::RateLimited);
            assert!(
                e.message.contains("sent to +8613700137000"),
                "{}",
                e.message
            );
        }
        r => panic!("the other relay sent a code past the number's cap: {r:?}"),
    }
});

// covers #10 §2 live-call limits: a member's live call, the member's number and a button's
// capacity hold on both relays; the call's end frees them everywhere; `release_node` frees
// what a dead relay held and nothing of the living one's.
on_postgres_pair!(live_calls_are_limited_across_relays, |p: Pair| async move {
    let (ga, gb) = (
        p.a.running.relay.calls.guard.clone(),
        p.b.running.relay.calls.guard.clone(),
    );
    let line = |capacity| Line {
        site_id: 1,
        key: "sales",
        capacity,
    };
    let alice = n("+8613800138000");
    let on_a = ga.enter(1, &alice, line(2)).await.unwrap();
    let e = gb
        .enter(1, &n("+8613900139000"), line(2))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::CallInProgress);
    assert!(
        e.message.contains("you already have a call"),
        "{}",
        e.message
    );
    let e = gb.enter(2, &alice, line(2)).await.unwrap_err();
    assert!(
        e.message.contains("your number is already on a call"),
        "{}",
        e.message
    );
    let second = gb.enter(3, &n("+8613700137000"), line(2)).await.unwrap();
    let e = ga
        .enter(4, &n("+8613600136000"), line(2))
        .await
        .unwrap_err();
    assert!(
        e.message.contains("lines are busy (2 calls at once)"),
        "{}",
        e.message
    );
    // The refusals held nothing: member 4 and its number were freed with the refusal.
    second.release().await;
    let on_b = gb.enter(4, &n("+8613600136000"), line(2)).await.unwrap();
    on_a.release().await;
    ga.enter(2, &alice, line(2))
        .await
        .expect("the ended call's places are free")
        .release()
        .await;

    // Relay B dies holding member 4's call: relay A frees its slots, and only its slots.
    let dead = p.b.running.relay.config.live.node_id();
    assert_eq!(dead, "node-b");
    let on_a = ga.enter(5, &n("+8613500135000"), line(2)).await.unwrap();
    assert!(ga.enter(4, &n("+8613400134000"), line(2)).await.is_err());
    let store = &p.a.running.relay.store;
    assert_eq!(
        store.release_node(&dead).await.unwrap(),
        3,
        "member, number, button"
    );
    std::mem::forget(on_b);
    let again = ga.enter(4, &n("+8613400134000"), line(2)).await.unwrap();
    let e = gb
        .enter(5, &n("+8613300133000"), line(3))
        .await
        .unwrap_err();
    assert!(
        e.message.contains("you already have a call"),
        "node-a's slots were kept: {}",
        e.message
    );
    on_a.release().await;
    again.release().await;

    // Dropping a slot without `release` still frees it (the spawned fallback).
    drop(ga.enter(6, &n("+8613200132000"), line(1)).await.unwrap());
    let mut freed = false;
    for _ in 0..50 {
        if let Ok(s) = gb.enter(7, &n("+8613100131000"), line(1)).await {
            s.release().await;
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(freed, "a dropped slot was never freed");
});

// covers #10 §2 give_back refunds, expiry and purge: a refund frees a hit for the next take;
// an expired slot is free to take over before any purge; the purge deletes only expired rows.
both_dbs!(refunds_expiry_and_purge, |t: TestRelay| async move {
    let store = &t.running.relay.store;
    for _ in 0..3 {
        store.take("refund", 3, HOUR).await.unwrap();
    }
    let retry_after = match store.take("refund", 3, HOUR).await {
        Err(TakeError::Full { retry_after }) => retry_after,
        other => panic!("a fourth hit passed a cap of 3: {other:?}"),
    };
    assert!(
        retry_after > 3000 && retry_after <= 5 * 900,
        "{retry_after}"
    );
    store.give_back("refund").await.unwrap();
    assert_eq!(store.take("refund", 3, HOUR).await.unwrap().used, 3);
    assert!(store.take("refund", 3, HOUR).await.is_err());
    assert!(
        store.take("zero", 0, HOUR).await.is_err(),
        "a cap of 0 takes nothing"
    );

    assert!(store
        .hold_slot("short", 1, "h1", "node-x", 2)
        .await
        .unwrap());
    assert!(store
        .hold_slot("kept", 1, "h3", "node-x", 600)
        .await
        .unwrap());
    assert!(!store
        .hold_slot("short", 1, "h2", "node-x", 2)
        .await
        .unwrap());
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert!(
        store
            .hold_slot("short", 1, "h2", "node-x", 600)
            .await
            .unwrap(),
        "expired: taken over"
    );
    assert!(store.hold_slot("gone", 1, "h4", "node-x", 1).await.unwrap());
    store
        .take("window", 1, Duration::from_secs(1))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5100)).await;
    assert_eq!(
        store.purge_limits().await.unwrap(),
        2,
        "the expired counter and slot"
    );
    assert_eq!(store.held("kept").await.unwrap(), 1);
    assert_eq!(store.held("short").await.unwrap(), 1);
    assert!(store
        .take("window", 1, Duration::from_secs(1))
        .await
        .is_ok());
});

// covers #10 §2 atomic under a burst: 50 concurrent takes of one counter with a cap of 5, and
// 50 concurrent holds of a scope with capacity 5, half through each relay, win exactly 5; and
// the SMS caps under a burst of 24 through both relays send exactly the service's hourly cap.
// PostgreSQL, where several relays meet: on SQLite, parallel writers from two pools sometimes
// fail with SQLITE_CANTOPEN, the open problem relay/tests/live_claims.rs notes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parallel_burst_takes_exactly_the_cap() {
    let Some(p) = Pair::start(Db::Postgres, |c| c.calls.sms_per_hour = 5).await else {
        return;
    };
    let takes = (0..50).map(|i| {
        let store = p.relay(i).store.clone();
        async move { store.take("burst", 5, HOUR).await.is_ok() }
    });
    let won = join_all(takes.map(tokio::spawn)).await;
    assert_eq!(won.into_iter().filter(|w| *w.as_ref().unwrap()).count(), 5);

    let holds = (0..50).map(|i| {
        let store = p.relay(i).store.clone();
        async move {
            let node = if i.is_multiple_of(2) {
                "node-a"
            } else {
                "node-b"
            };
            store
                .hold_slot("button:1:sales", 5, &format!("call{i}"), node, 600)
                .await
                .unwrap()
        }
    });
    let held = join_all(holds.map(tokio::spawn)).await;
    assert_eq!(held.into_iter().filter(|h| *h.as_ref().unwrap()).count(), 5);

    let sms = (0..24).map(|i| {
        let relay = p.relay(i).clone();
        async move {
            relay
                .calls
                .sms_caps
                .take(i as i64 % 3, &num(i), CODE)
                .await
                .is_ok()
        }
    });
    let sent = join_all(sms.map(tokio::spawn)).await;
    assert_eq!(sent.into_iter().filter(|s| *s.as_ref().unwrap()).count(), 5);
}
