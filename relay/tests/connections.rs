//! Connections as an attacker holds them: slow heads, idle keep-alives, too many sockets from one
//! address, and a shutdown while they are open. Also who may read `/metrics` and `/dev/outbox`.

mod support;

use std::time::{Duration, Instant};

use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the relay closes the socket; `None` if it is still open after `limit`.
async fn closed_within(s: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(got),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

async fn slow_head(t: &TestRelay) -> TcpStream {
    let mut s = TcpStream::connect(&t.base).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\nX-Slow: ")
        .await
        .unwrap();
    s
}

// covers #8 §4 slow requests: header-read timeout
#[tokio::test]
async fn a_request_head_that_never_finishes_is_cut_after_the_header_timeout() {
    let t = TestRelay::start_with(Db::Sqlite, |c| c.http.header_read_timeout_secs = 1)
        .await
        .unwrap();
    let mut s = slow_head(&t).await;
    let started = Instant::now();
    // Trickling bytes does not reset the timer.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _ = s.write_all(b"a").await;
    }
    let got = closed_within(&mut s, Duration::from_secs(5)).await;
    assert!(got.is_some(), "a slow head was still open after 6 s");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

// covers #8 §4 slow requests: keep-alive (idle) timeout
#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let t = TestRelay::start_with(Db::Sqlite, |c| c.http.header_read_timeout_secs = 1)
        .await
        .unwrap();
    let mut s = TcpStream::connect(&t.base).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n")
        .await
        .unwrap();
    let got = closed_within(&mut s, Duration::from_secs(4))
        .await
        .expect("an idle keep-alive connection was still open after 4 s");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

// covers #8 §4 slow requests: connections per client address are capped
#[tokio::test]
async fn connections_past_the_per_address_cap_are_refused_and_healthz_recovers() {
    let t = TestRelay::start_with(Db::Sqlite, |c| {
        c.http.max_connections_per_address = 5;
        c.http.header_read_timeout_secs = 2;
    })
    .await
    .unwrap();
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(slow_head(&t).await);
    }
    let mut sixth = TcpStream::connect(&t.base).await.unwrap();
    let got = closed_within(&mut sixth, Duration::from_secs(1))
        .await
        .expect("the connection past the cap was not closed");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    // The slow heads time out, their places free up, and the address is served again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let ok = reqwest::get(t.http("/healthz")).await.unwrap();
    assert_eq!(ok.status(), 200);
}

// covers #8 §4 slow requests: connections in total are capped
#[tokio::test]
async fn connections_past_the_total_cap_are_refused() {
    let t = TestRelay::start_with(Db::Sqlite, |c| c.http.max_connections = 3)
        .await
        .unwrap();
    // Three live sockets that sent their requests: nothing may be cut for a fourth.
    let _held = [t.widget().await, t.widget().await, t.widget().await];
    let mut fourth = TcpStream::connect(&t.base).await.unwrap();
    let got = closed_within(&mut fourth, Duration::from_secs(1))
        .await
        .expect("the connection past the total cap was not closed");
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 503"));
}

// covers #8 §4 slow requests: slow heads from many addresses cannot lock everyone out
#[tokio::test]
async fn when_full_the_oldest_slow_head_is_cut_for_a_new_visitor() {
    let t = TestRelay::start_with(Db::Sqlite, |c| {
        c.http.max_connections = 3;
        c.http.header_read_timeout_secs = 3600;
    })
    .await
    .unwrap();
    let mut oldest = slow_head(&t).await;
    let _others = [slow_head(&t).await, slow_head(&t).await];
    tokio::time::sleep(Duration::from_millis(100)).await;
    let ok = reqwest::get(t.http("/healthz")).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert!(
        closed_within(&mut oldest, Duration::from_secs(1))
            .await
            .is_some(),
        "the oldest slow head was not cut"
    );
}

// covers #8 §4 slow requests: a widget WebSocket holds its place and upgrades still work
#[tokio::test]
async fn a_widget_upgrade_works_through_the_new_server_and_counts_as_a_connection() {
    let t = TestRelay::start_with(Db::Sqlite, |c| c.http.max_connections_per_address = 2)
        .await
        .unwrap();
    let _w1 = t.widget().await;
    let _w2 = t.widget().await;
    assert!(
        t.widget_from(ORIGIN, SITE).await.is_err(),
        "a third socket from the address went past a cap of two"
    );
    drop(_w1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_w3, _) = t.signed_in_widget(ALICE).await;
}

// covers #8 §4 shutdown: slow heads cannot hold the process past the grace period
#[tokio::test]
async fn shutdown_with_slow_heads_open_ends_within_the_grace_period() {
    let t = TestRelay::start_with(Db::Sqlite, |c| c.http.header_read_timeout_secs = 3600)
        .await
        .unwrap();
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(slow_head(&t).await);
    }
    let (mut widget, _) = t.signed_in_widget(ALICE).await;
    let started = Instant::now();
    let done = tokio::time::timeout(
        ringlink_relay::SHUTDOWN_GRACE + Duration::from_secs(3),
        t.running.shutdown(),
    )
    .await;
    assert!(
        done.is_ok(),
        "shutdown still waiting after {:?}",
        started.elapsed()
    );
    // The signed-in socket was told why, rather than cut.
    let (code, _) = widget.closed().await;
    assert_eq!(code, 1001);
    for mut s in held {
        assert!(closed_within(&mut s, Duration::from_secs(1))
            .await
            .is_some());
    }
}

// covers #8 §4 /metrics: behind a bearer token
#[tokio::test]
async fn metrics_behind_a_token_need_it() {
    let t = TestRelay::start_with(Db::Sqlite, |c| {
        c.http.metrics_token = Some("s3cret-metrics-token".into())
    })
    .await
    .unwrap();
    let client = reqwest::Client::new();
    let bare = client.get(t.http("/metrics")).send().await.unwrap();
    assert_eq!(bare.status(), 401);
    let wrong = client
        .get(t.http("/metrics"))
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = client
        .get(t.http("/metrics"))
        .bearer_auth("s3cret-metrics-token")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    assert!(right.text().await.unwrap().contains("ringlink_"));
}

// covers #8 §4 /metrics: on a separate listen address
#[tokio::test]
async fn metrics_on_their_own_address_are_not_on_the_public_one() {
    let port = ringlink_e2e::procs::free_port();
    let metrics_addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let t = TestRelay::start_with(Db::Sqlite, |c| c.http.metrics_listen = Some(metrics_addr))
        .await
        .unwrap();
    let public = reqwest::get(t.http("/metrics")).await.unwrap();
    assert_eq!(public.status(), 404);
    let private = reqwest::get(format!("http://{metrics_addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(private.status(), 200);
}

// covers #8 §4 /dev/outbox: off unless enabled for development
#[tokio::test]
async fn the_dev_outbox_is_off_unless_enabled() {
    let t = TestRelay::start(Db::Sqlite).await.unwrap();
    let off = reqwest::get(t.http("/dev/outbox")).await.unwrap();
    assert_eq!(off.status(), 404);
    assert!(off.text().await.unwrap().contains("http.dev_outbox"));
    let t = TestRelay::start_with(Db::Sqlite, |c| c.http.dev_outbox = true)
        .await
        .unwrap();
    let on = reqwest::get(t.http("/dev/outbox")).await.unwrap();
    assert_eq!(on.status(), 200);
}

// covers #8 §4 /dev/outbox: refused with trusted proxies and with a real gateway
#[test]
fn the_dev_outbox_cannot_be_combined_with_proxies_or_smpp() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.toml");
    let load = |text: &str| {
        std::fs::write(&path, text).unwrap();
        ringlink_relay::Config::load(Some(&path), Vec::new()).map(|_| ())
    };
    let e = load("[http]\ndev_outbox = true\ntrusted_proxy_hops = 1\n").unwrap_err();
    assert!(e.to_string().contains("trusted proxies"), "{e}");
    let e = load("[http]\ndev_outbox = true\n[sms]\ngateway = \"smpp\"\nsystem_id = \"x\"\n")
        .unwrap_err();
    assert!(e.to_string().contains("real gateway"), "{e}");
    load("[http]\ndev_outbox = true\n").unwrap();
}

// covers #8 §4 trust_forwarded_for: the old key is refused with what to use instead
#[test]
fn the_old_trust_forwarded_for_key_names_its_replacement() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.toml");
    std::fs::write(&path, "trust_forwarded_for = true\n").unwrap();
    let e = ringlink_relay::Config::load(Some(&path), Vec::new()).unwrap_err();
    assert!(e.to_string().contains("trusted_proxies"), "{e}");
    let env = vec![(
        "RINGLINK_TRUST_FORWARDED_FOR".to_string(),
        "true".to_string(),
    )];
    let e = ringlink_relay::Config::load(None, env).unwrap_err();
    assert!(e.to_string().contains("trusted_proxy_hops"), "{e}");
    // `false` says what the default already is, and still loads.
    std::fs::write(
        &path,
        "trust_forwarded_for = false\n[http]\ntrusted_proxies = [\"10.0.0.0/8\"]\n",
    )
    .unwrap();
    let c = ringlink_relay::Config::load(Some(&path), Vec::new()).unwrap();
    assert!(c.http.trusts_forwarded());
    std::fs::write(&path, "[http]\ntrusted_proxies = [\"not a cidr\"]\n").unwrap();
    let e = ringlink_relay::Config::load(Some(&path), Vec::new()).unwrap_err();
    assert!(e.to_string().contains("trusted_proxies"), "{e}");
}

/// Starts pairings with `X-Forwarded-For` set by `xff(i)`; the status of each.
async fn pair_starts(t: &TestRelay, n: usize, xff: impl Fn(usize) -> String) -> Vec<u16> {
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for i in 0..n {
        let r = client
            .post(t.http("/v1/agent/pair"))
            .header("x-forwarded-for", xff(i))
            .json(&serde_json::json!({ "device_name": "phone" }))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    statuses
}

// covers #8 §4 trust_forwarded_for: a client cannot choose its address by writing the header
#[tokio::test]
async fn behind_a_proxy_a_forged_first_hop_does_not_escape_per_address_limits() {
    let t = TestRelay::start_with(Db::Sqlite, |c| c.http.trusted_proxy_hops = 1)
        .await
        .unwrap();
    // The client writes a new address each time; the proxy appends the real one.
    let statuses = pair_starts(&t, 31, |i| {
        format!("10.9.{}.{}, 203.0.113.7", i / 250, i % 250)
    })
    .await;
    assert!(statuses[..30].iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(
        statuses[30], 429,
        "the 31st start from one address went through"
    );
    // Another real client is not affected.
    let other = pair_starts(&t, 1, |_| "203.0.113.8".into()).await;
    assert_eq!(other, vec![200]);
}

// covers #8 §4 trust_forwarded_for: garbage and 60 KB fake hops count as the proxy's peer
#[tokio::test]
async fn garbage_forwarded_addresses_count_as_the_socket_peer() {
    let t = TestRelay::start_with(Db::Sqlite, |c| {
        c.http.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]
    })
    .await
    .unwrap();
    let statuses = pair_starts(&t, 31, |i| format!("{}{i}", "x".repeat(60_000))).await;
    assert!(statuses[..30].iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(statuses[30], 429);
}

// covers #8 §4 slow requests: the proxy's own connections are not capped per address
#[tokio::test]
async fn behind_a_proxy_its_connections_count_only_toward_the_total() {
    for tweak in [
        (|c: &mut ringlink_relay::Config| c.http.trusted_proxy_hops = 1) as fn(&mut _),
        |c| c.http.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()],
    ] {
        let t = TestRelay::start_with(Db::Sqlite, |c| {
            tweak(c);
            c.http.max_connections_per_address = 2;
        })
        .await
        .unwrap();
        let _sockets = [t.widget().await, t.widget().await, t.widget().await];
    }
}
