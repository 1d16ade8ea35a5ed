//! The live bus across relays (#10 §1), on a real nats-server with JetStream: two connections
//! stand for two relays. What one publishes reaches subscribers of the other; a request from one
//! is answered on the other; nobody subscribed is "not connected" at once; a claim has one winner
//! across both.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use ringlink_e2e::procs::{free_port, wait_for_port, Proc};
use ringlink_e2e::{on_path, require};
use ringlink_relay::live::nats::NatsBus;
use ringlink_relay::live::{Bus, Frame, RequestError, Subject};
use ringlink_relay::store::Store;

const CLAIM_TTL: i64 = 60;

/// A nats-server with JetStream on a free loopback port, and its URL; `None` (skipped, reason
/// printed; a failure under CI) when nats-server is not installed.
fn nats_server(dir: &std::path::Path) -> Option<(Proc, String)> {
    if !require(
        "nats-server",
        on_path("nats-server"),
        "apt-get install -y nats-server (scripts/setup.sh test does)",
    ) {
        return None;
    }
    let port = free_port();
    let server = Proc::spawn(
        "nats-server",
        Command::new("nats-server").args([
            "-js",
            "-a",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-sd",
            &dir.display().to_string(),
        ]),
    );
    wait_for_port(&format!("127.0.0.1:{port}"), Duration::from_secs(10));
    Some((server, format!("nats://127.0.0.1:{port}")))
}

fn f(s: &str) -> Frame {
    Frame::from(s.to_owned())
}

// covers #10 §1 NATS bus: publish, request/reply and no-responders across two relays; claims
// cluster-wide
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_relays_share_one_bus() {
    let dir = tempfile::tempdir().unwrap();
    let Some((_server, url)) = nats_server(dir.path()) else {
        return;
    };
    let db = format!("sqlite://{}/relays.db", dir.path().display());
    let store = Store::open(&db).await.unwrap();
    store.migrate().await.unwrap();
    // Two relays: two NATS connections, two pools on the one database file.
    let store_b = Store::open(&db).await.unwrap();
    let a = NatsBus::connect(&url).await.unwrap();
    let b = NatsBus::connect(&url).await.unwrap();

    // A member's widget on relay B hears a call state published on relay A.
    let widgets = Subject::WidgetsOf(5);
    let mut on_b = b.subscribe(&widgets).await.unwrap();
    a.publish(&widgets, f("{\"state\":\"ringing\"}"))
        .await
        .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), on_b.next())
        .await
        .expect("delivered across relays")
        .unwrap();
    assert_eq!(got.frame.as_str(), "{\"state\":\"ringing\"}");

    // No agent anywhere: "not connected", at once.
    let agents = Subject::AgentsOf(5);
    let start = Instant::now();
    let e = a.request(&agents, f("dial"), Duration::from_secs(5)).await;
    assert_eq!(e, Err(RequestError::NoResponders));
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );

    // The agent on relay B answers a dial sent from relay A.
    let mut agent = b.subscribe(&agents).await.unwrap();
    let answering = tokio::spawn(async move {
        let d = agent.next().await.unwrap();
        assert_eq!(d.frame.as_str(), "dial");
        d.reply
            .expect("a request can be answered")
            .answer(f("placed"));
        agent
    });
    let answer = a.request(&agents, f("dial"), Duration::from_secs(5)).await;
    assert_eq!(answer.unwrap().as_str(), "placed");
    let agent = answering.await.unwrap();

    // The agent goes away: its subscription ends with it.
    drop(agent);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let e = a.request(&agents, f("dial"), Duration::from_secs(2)).await;
    assert_eq!(e, Err(RequestError::NoResponders), "unsubscribed on drop");

    // One client id retried through both relays at once: one claim wins (claims are rows in
    // the database the relays share).
    let (sa, sb) = (store.clone(), store_b.clone());
    let claims = (0..8).map(|i| {
        let s = if i % 2 == 0 { sa.clone() } else { sb.clone() };
        tokio::spawn(async move { s.claim("call-me:5:client-1", CLAIM_TTL).await.unwrap() })
    });
    let mut won = 0;
    for c in claims {
        won += usize::from(c.await.unwrap());
    }
    assert_eq!(won, 1, "exactly one relay may place it");
    assert!(store_b
        .claim("call-me:5:client-2", CLAIM_TTL)
        .await
        .unwrap());
    // An expired claim is taken over.
    assert!(store.claim("short", 1).await.unwrap());
    assert!(!store_b.claim("short", 1).await.unwrap());
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(
        store_b.claim("short", 1).await.unwrap(),
        "expired, taken over"
    );
}
