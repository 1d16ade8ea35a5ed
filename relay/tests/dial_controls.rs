//! DIAL's fraud controls (#8 §3) through the relay on a real port: the destination policy, the
//! confirm flag for numbers outside it, the daily cap under a parallel burst and across a
//! restart, and what a retried or reused client id is answered.

mod support;

use std::time::Duration;

use ringlink_protocol::agent::{AgentMsg, RelayToAgent};
use ringlink_protocol::widget::{Dial, RelayToWidget, WidgetMsg};
use ringlink_protocol::{ErrorBody, ErrorCode};
use ringlink_relay::dial::DIALS_PER_MINUTE;
use ringlink_relay::dial_ids::REFUSALS_REMEMBERED;
use support::*;

/// A heartbeat long enough that the test's silent agent is not dropped during a long run.
const QUIET_OK: u64 = 120;

fn dial_with(number: &str, client_id: Option<&str>) -> WidgetMsg {
    WidgetMsg::Dial(Dial {
        number: number.into(),
        device: None,
        client_id: client_id.map(str::to_owned),
    })
}

fn dial(number: &str) -> WidgetMsg {
    dial_with(number, None)
}

fn refusal(reply: RelayToWidget) -> ErrorBody {
    match reply {
        RelayToWidget::Error(e) => e,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The member's dial log rows (number, state), newest first, once every write is in.
async fn log_rows(t: &TestRelay, number: &str) -> Vec<(String, String)> {
    let relay = &t.running.relay;
    relay.dial_log.flush().await;
    let member = relay
        .store
        .member_by_number(&ringlink_protocol::E164::new(number).unwrap())
        .await
        .unwrap()
        .unwrap();
    relay
        .store
        .list_dial_calls(member.id, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.number, c.state))
        .collect()
}

/// The next dial order the agent receives.
async fn order(agent: &mut Client<AgentMsg, RelayToAgent>) -> ringlink_protocol::agent::DialOrder {
    match agent.next().await.msg {
        RelayToAgent::DialOrder(o) => o,
        other => panic!("expected a dial order, got {other:?}"),
    }
}

// covers #8 §3 destination policy, DIAL-5: the AU, US and UK premium-rate numbers the attack used, and a
// Spanish shared-cost one, are refused by default, never reach the phone and leave no dial.
both_buses!(
    premium_rate_and_shared_cost_numbers_are_refused,
    |t: TestRelay| async move {
        let t = t.restart_with(|c| c.heartbeat_secs = QUIET_OK).await;
        let (mut w, _) = t.signed_in_widget(ALICE).await;
        let (mut agent, _) = t.agent(ALICE, "alice phone").await;
        let _presence = w.next().await;
        for (number, class) in [
            ("+61 1900 123 456", "premium-rate"),
            ("+1 900 555 0199", "premium-rate"),
            ("+44 909 879 0000", "premium-rate"),
            ("+34 901 123 456", "shared-cost"),
        ] {
            let e = refusal(w.request(dial(number)).await);
            assert_eq!(e.code, ErrorCode::DestinationNotAllowed, "{number}");
            assert!(
                e.message.contains(class) && e.message.contains("does not dial"),
                "{number}: {}",
                e.message
            );
        }
        assert!(agent.quiet_for(300).await, "the phone was sent nothing");
        assert!(log_rows(&t, ALICE).await.is_empty());
        // A home number still goes straight through, without asking.
        let RelayToWidget::DialAccepted(_) = w.request(dial("13900139000")).await else {
            panic!()
        };
        assert!(!order(&mut agent).await.confirm);
    }
);

// covers #8 §3 confirm by default, DIAL-6: a number outside the allowed regions (a US line) is sent with
// `confirm: true`, so the agent asks its owner (phone-agent/tests/confirm.rs shows it asks).
both_buses!(
    numbers_outside_the_policy_are_sent_to_confirm,
    |t: TestRelay| async move {
        let t = t.restart_with(|c| c.heartbeat_secs = QUIET_OK).await;
        let (mut w, _) = t.signed_in_widget(ALICE).await;
        let (mut agent, _) = t.agent(ALICE, "alice phone").await;
        let _presence = w.next().await;
        let RelayToWidget::DialAccepted(acc) = w.request(dial("+1 201 555 0123")).await else {
            panic!()
        };
        let o = order(&mut agent).await;
        assert_eq!(o.call_id, acc.call_id);
        assert!(
            o.confirm,
            "the owner is asked before a foreign number is dialled"
        );
        let RelayToWidget::DialAccepted(_) = w.request(dial("010 6552 9988")).await else {
            panic!()
        };
        assert!(!order(&mut agent).await.confirm, "home numbers are not");
    }
);

// covers #8 §3 destination policy (confirm_outside = false), DIAL-5: numbers outside the policy are refused outright.
both_buses!(
    strict_policy_refuses_numbers_outside_it,
    |t: TestRelay| async move {
        let t = t.restart_with(|c| c.heartbeat_secs = QUIET_OK).await;
        let t = t.restart_with(|c| c.dial.confirm_outside = false).await;
        let (mut w, _) = t.signed_in_widget(ALICE).await;
        let (mut agent, _) = t.agent(ALICE, "alice phone").await;
        let _presence = w.next().await;
        let e = refusal(w.request(dial("+1 201 555 0123")).await);
        assert_eq!(e.code, ErrorCode::DestinationNotAllowed);
        assert!(e.message.contains("region US"), "{}", e.message);
        assert!(agent.quiet_for(300).await);
    }
);

// covers #8 §3 daily cap, DIAL-5: a parallel burst from three tabs places exactly the cap, the rest are
// refused with when dialling opens again, and a restart does not reset the count.
both_buses!(
    daily_cap_holds_under_a_parallel_burst_and_a_restart,
    |t: TestRelay| async move {
        let t = t.restart_with(|c| c.heartbeat_secs = QUIET_OK).await;
        const CAP: u32 = 5;
        let t = t.restart_with(|c| c.dial.daily_cap = CAP).await;
        let (_agent, _) = t.agent(ALICE, "alice phone").await;
        let mut tabs = Vec::new();
        for _ in 0..3 {
            tabs.push(t.signed_in_widget(ALICE).await.0);
        }
        let burst = tabs.into_iter().map(|mut w| {
            tokio::spawn(async move {
                let ids: Vec<u64> = {
                    let mut ids = Vec::new();
                    for _ in 0..6 {
                        ids.push(w.send(dial("13900139000")).await);
                    }
                    ids
                };
                let mut replies = Vec::new();
                while replies.len() < ids.len() {
                    let env = w.next().await;
                    if env.re.is_some_and(|re| ids.contains(&re)) {
                        replies.push(env.msg);
                    }
                }
                replies
            })
        });
        let mut accepted = 0;
        for tab in futures_util::future::join_all(burst).await {
            for reply in tab.unwrap() {
                match reply {
                    RelayToWidget::DialAccepted(_) => accepted += 1,
                    RelayToWidget::Error(e) => {
                        assert_eq!(e.code, ErrorCode::RateLimited);
                        assert!(e.message.contains("today"), "{}", e.message);
                        assert!(e.retry_after.is_some_and(|s| s <= 86_400));
                    }
                    other => panic!("{other:?}"),
                }
            }
        }
        assert_eq!(accepted, CAP, "18 parallel dials placed exactly the cap");
        assert_eq!(log_rows(&t, ALICE).await.len(), CAP as usize);

        let t = t.restart_with(|_| {}).await;
        let (_agent, _) = t.agent(ALICE, "alice phone").await;
        let (mut w, _) = t.signed_in_widget(ALICE).await;
        let e = refusal(w.request(dial("13900139000")).await);
        assert!(
            e.message.contains("today"),
            "the restart kept the count: {}",
            e.message
        );
        // Bob's day is his own.
        let (_bob_agent, _) = t.agent(BOB, "bob phone").await;
        let (mut b, _) = t.signed_in_widget(BOB).await;
        assert!(matches!(
            b.request(dial("13800138000")).await,
            RelayToWidget::DialAccepted(_)
        ));
    }
);

// covers #8 §3 client ids, DIAL-5: a rate-limited dial's retry is told it was rate-limited, not
// `dial_accepted` for a call that never happened.
both_buses!(
    retry_of_a_rate_limited_dial_gets_the_refusal,
    |t: TestRelay| async move {
        let t = t.restart_with(|c| c.heartbeat_secs = QUIET_OK).await;
        let (mut w, _) = t.signed_in_widget(ALICE).await;
        let (mut agent, _) = t.agent(ALICE, "alice phone").await;
        let _presence = w.next().await;
        for _ in 0..DIALS_PER_MINUTE {
            let RelayToWidget::DialAccepted(_) = w.request(dial("13900139000")).await else {
                panic!()
            };
            let _ = order(&mut agent).await;
        }
        let first = refusal(w.request(dial_with("13900139000", Some("late-1"))).await);
        assert_eq!(first.code, ErrorCode::RateLimited);
        let (mut w2, _) = t.signed_in_widget(ALICE).await;
        let again = refusal(w2.request(dial_with("13900139000", Some("late-1"))).await);
        assert_eq!(again.code, ErrorCode::RateLimited, "{again:?}");
        assert!(agent.quiet_for(300).await, "nothing was dialled");
        assert_eq!(log_rows(&t, ALICE).await.len(), DIALS_PER_MINUTE as usize);
    }
);

// covers #8 §3 client ids, DIAL-5: an id reused after the memory window is a new dial, and it has its
// own dial-log row (the unique index used to drop it from `admin calls`).
both_buses!(
    old_client_id_reused_after_the_window_logs_a_row,
    |t: TestRelay| async move {
        let t = t.restart_with(|c| c.heartbeat_secs = QUIET_OK).await;
        let t = t.restart_with(|c| c.dial.client_id_memory_secs = 1).await;
        let (mut w, _) = t.signed_in_widget(ALICE).await;
        let (mut agent, _) = t.agent(ALICE, "alice phone").await;
        let _presence = w.next().await;
        let RelayToWidget::DialAccepted(first) =
            w.request(dial_with("13900139000", Some("tap-1"))).await
        else {
            panic!()
        };
        let _ = order(&mut agent).await;
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let RelayToWidget::DialAccepted(second) =
            w.request(dial_with("13900139000", Some("tap-1"))).await
        else {
            panic!()
        };
        assert_ne!(second.call_id, first.call_id);
        assert_eq!(order(&mut agent).await.call_id, second.call_id);
        assert_eq!(
            log_rows(&t, ALICE).await.len(),
            2,
            "every dial placed is logged"
        );
    }
);

// covers #8 §3 client ids, DIAL-5: two tabs sending the same dial at the same moment dial it once.
both_buses!(
    parallel_retries_of_one_dial_dial_it_once,
    |t: TestRelay| async move {
        let t = t.restart_with(|c| c.heartbeat_secs = QUIET_OK).await;
        let (mut agent, _) = t.agent(ALICE, "alice phone").await;
        let mut tabs = Vec::new();
        for _ in 0..4 {
            tabs.push(t.signed_in_widget(ALICE).await.0);
        }
        let replies = futures_util::future::join_all(tabs.into_iter().map(|mut w| {
            tokio::spawn(async move { w.request(dial_with("13900139000", Some("dbl"))).await })
        }))
        .await;
        let ids: Vec<String> = replies
            .into_iter()
            .map(|r| match r.unwrap() {
                RelayToWidget::DialAccepted(a) => a.call_id,
                other => panic!("{other:?}"),
            })
            .collect();
        assert!(ids.iter().all(|id| id == &ids[0]), "{ids:?}");
        let _ = order(&mut agent).await;
        assert!(agent.quiet_for(300).await, "dialled once");
        assert_eq!(log_rows(&t, ALICE).await.len(), 1);
    }
);

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

// covers #8 §3 bounded ids, DIAL-5: 60,000 rate-limited dials, each with its own client id, hold no more
// than REFUSALS_REMEMBERED refusals, and push out none of the dials really placed.
// The flood is refused before the store is reached, so one database is enough.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_thousand_refused_dials_keep_the_memory_bounded() {
    {
        // The daily cap keeps every flood dial refused however long the flood takes (a slow
        // machine may outlast the per-minute window).
        let t = TestRelay::start_with(Db::Sqlite, |c| {
            c.heartbeat_secs = 10 * QUIET_OK;
            c.dial.daily_cap = DIALS_PER_MINUTE;
        })
        .await
        .unwrap();
        const FLOOD: usize = 60_000;
        const CHUNK: usize = 1_000;
        let (mut w, _) = t.signed_in_widget(ALICE).await;
        let (mut agent, _) = t.agent(ALICE, "alice phone").await;
        let _presence = w.next().await;
        for i in 0..DIALS_PER_MINUTE {
            let id = format!("placed-{i}");
            let RelayToWidget::DialAccepted(_) =
                w.request(dial_with("13900139000", Some(&id))).await
            else {
                panic!()
            };
            let _ = order(&mut agent).await;
        }
        let before = rss_kib();
        for chunk in 0..FLOOD / CHUNK {
            let mut last = 0;
            for i in 0..CHUNK {
                let id = format!("flood-{}", chunk * CHUNK + i);
                last = w.send(dial_with("13900139000", Some(&id))).await;
            }
            loop {
                let env = w.next().await;
                if let RelayToWidget::Error(e) = &env.msg {
                    assert_eq!(e.code, ErrorCode::RateLimited);
                }
                if env.re == Some(last) {
                    break;
                }
            }
        }
        let held = t.running.relay.dial_ids.held();
        eprintln!(
            "after {FLOOD} refused dials: {held:?}, test process RSS {before} KiB -> {} KiB",
            rss_kib()
        );
        assert_eq!(
            held.refused, REFUSALS_REMEMBERED,
            "the bound was reached and held"
        );
        assert_eq!(
            held.placed, DIALS_PER_MINUTE as usize,
            "placed dials were kept"
        );
        assert_eq!(held.deciding, 0);
        // The first placed dial is still answered from memory, not dialled again.
        let RelayToWidget::DialAccepted(_) =
            w.request(dial_with("13900139000", Some("placed-0"))).await
        else {
            panic!()
        };
        assert!(agent.quiet_for(300).await);
    }
}
