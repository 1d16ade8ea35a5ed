//! The live layer's durable parts on real databases: numbered streams resumed with `since`, and
//! node leases: a relay that stops renewing is buried by a survivor within seconds, its
//! connections leave presence and its phones' dials in flight fail, and the widgets are told.

mod support;

use std::time::{Duration, Instant};

use ringlink_protocol::call::CallState;
use ringlink_protocol::widget::{AgentInfo, RelayToWidget};
use ringlink_relay::dial_log::LogOp;
use ringlink_relay::live::streams::member_stream;
use ringlink_relay::store::live::PresenceRow;
use sqlx::Row;
use support::*;

fn progress(call: &str) -> RelayToWidget {
    RelayToWidget::CallProgress(ringlink_protocol::call_me::CallProgress {
        call_id: call.into(),
        stage: ringlink_protocol::call_me::CallStage::CallingYou,
        seconds: None,
        cost: None,
        ends_in: None,
        reason: None,
        seq: 0,
        at: 0,
    })
}

fn seq_of(m: &RelayToWidget) -> u64 {
    match m {
        RelayToWidget::CallProgress(p) => p.seq,
        RelayToWidget::CallState(e) => e.seq,
        other => panic!("not an event: {other:?}"),
    }
}

// covers #10 §1 streams: append returns the number, `since` returns exactly what was missed, in
// order, from the database (so a restart or another relay gives the same), and streams are
// apart
both_dbs!(
    streams_number_events_and_replay_what_was_missed,
    |t: TestRelay| async move {
        let streams = &t.running.relay.live.streams;
        let mut seqs = Vec::new();
        for i in 0..4 {
            let m = streams
                .append(&member_stream(1), progress(&format!("c{i}")))
                .await
                .unwrap();
            seqs.push(seq_of(&m));
        }
        streams
            .append(&member_stream(2), progress("other"))
            .await
            .unwrap();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
        let missed = streams.since(&member_stream(1), seqs[1]).await.unwrap();
        let got: Vec<u64> = missed.iter().map(seq_of).collect();
        assert_eq!(got, seqs[2..], "the two after the one seen, in order");
        assert!(streams
            .since(&member_stream(1), seqs[3])
            .await
            .unwrap()
            .is_empty());
        let all = streams.since(&member_stream(2), 0).await.unwrap();
        assert!(matches!(&all[..], [RelayToWidget::CallProgress(p)] if p.call_id == "other"));
    }
);

async fn member_id(t: &TestRelay, number: &str) -> i64 {
    sqlx::query("SELECT id FROM members WHERE number = $1")
        .bind(number)
        .fetch_one(t.running.relay.store.pool())
        .await
        .unwrap()
        .get(0)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

// covers #10 §1 presence and leases: a relay whose lease runs out (it died holding a phone's
// connection and a dial in flight on it) is noticed by the surviving relays within a few
// seconds: the phone leaves presence and the dial fails, and the member's widget is told both;
// its live-call places are freed (covers #10 §2 shared limits)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_relays_connections_are_cleaned_up_within_seconds() {
    let Some(t) = TestRelay::start(Db::TwoRelays).await else {
        return;
    };
    let relay = &t.running.relay;
    let store = &relay.store;
    let (mut w, _) = t.signed_in_widget(ALICE).await;
    let alice = member_id(&t, ALICE).await;
    // What a relay "relay-dead" left behind: a lease about to run out, a phone in presence and
    // a dial ringing on it.
    store
        .renew_lease("relay-dead", now_ms() + 500)
        .await
        .unwrap();
    let info = AgentInfo {
        device: "dev_dead".into(),
        name: "alice phone".into(),
        backend: "at".into(),
        confirm: false,
    };
    store
        .join_presence(&PresenceRow {
            conn_key: "relay-dead/1".into(),
            node_id: "relay-dead".into(),
            member_id: alice,
            device: "dev_dead".into(),
            info: serde_json::to_string(&info).unwrap(),
            state: "normal".into(),
            joined_ms: now_ms(),
        })
        .await
        .unwrap();
    relay
        .dial_log
        .record(LogOp::Insert {
            public_id: "call_on_dead".into(),
            member_id: alice,
            device: "dev_dead".into(),
            number: BOB.into(),
            client_id: None,
            at: ringlink_relay::store::now(),
        })
        .await;
    relay.dial_log.flush().await;
    // ...and a two-leg call's live-call place.
    assert!(store
        .hold_slot("member:alice", 1, "cm_dead", "relay-dead", 3600)
        .await
        .unwrap());
    relay.live.publish_presence(alice).await;
    let shown = w.next().await.msg;
    assert!(
        matches!(&shown, RelayToWidget::Presence(p) if p.agents.len() == 1),
        "{shown:?}"
    );
    let started = Instant::now();
    let (mut gone, mut failed) = (None, None);
    while gone.is_none() || failed.is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "not cleaned up in 10 s"
        );
        match w.next_within(10).await.msg {
            RelayToWidget::Presence(p) if p.agents.is_empty() => gone = Some(started.elapsed()),
            RelayToWidget::CallState(e) if e.call_id == "call_on_dead" => {
                assert_eq!(e.state, CallState::Failed, "{e:?}");
                failed = Some(started.elapsed());
            }
            _ => {}
        }
    }
    eprintln!("dead relay noticed: presence after {gone:?}, dial failed after {failed:?}");
    let left = store.presence_of(alice).await.unwrap();
    assert!(left.is_empty(), "{left:?}");
    let deadline = Instant::now() + Duration::from_secs(3);
    while store.held("member:alice").await.unwrap() > 0 {
        assert!(
            Instant::now() < deadline,
            "the dead relay's live-call place was not freed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
