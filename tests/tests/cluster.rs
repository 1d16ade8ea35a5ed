//! Three relay processes as deployed (deploy/): one PostgreSQL, one nats-server, Debian's nginx
//! on loopback running the sample site file, clients speaking the protocol or the real
//! `ringlink-agent`. Needs nginx, nats-server and `DATABASE_URL_PG` (skipped with a reason
//! outside CI when one is missing).

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use ringlink_e2e::cluster::{
    device_of, http_get, Cluster, ALICE, BOB, PASSWORD, SHOP_ORIGIN, SITE,
};
use ringlink_e2e::live_client::{self, Widget, CLIENT_IP, REPLY_WITHIN};
use ringlink_e2e::{failover, nginx};
use ringlink_protocol::agent::{AgentMsg, CallUpdate, RelayToAgent};
use ringlink_protocol::call::{CallEvent, CallState};
use ringlink_protocol::widget::{Dial, RelayToWidget, WidgetMsg};
use ringlink_protocol::ErrorCode;

const RELAY_A: usize = 0;
const RELAY_B: usize = 1;
const RELAY_C: usize = 2;
/// A number the dry-run handset "dials".
const CALLEE: &str = "+8613912345678";
/// Where the member's phone really is: not the address nginx connects from.
const OWNER_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 6));
/// The agent must be back within this after its relay dies (#10 §Tests).
const FAILOVER_LIMIT: Duration = Duration::from_secs(5);
/// Wrong passwords per (number, address) before the pair is locked (relay/src/signin_guard.rs).
const FAILURES_PER_NUMBER_AT_ADDRESS: u32 = 5;

/// Alice's widget on relay A, signed in; with her session token.
async fn alice_on_a(cluster: &Cluster) -> (Widget, ringlink_protocol::secret::Secret) {
    let mut w = widget_via(cluster, cluster.relay_addr(RELAY_A), CLIENT_IP, &[]).await;
    let token = w
        .sign_in(ALICE, PASSWORD)
        .await
        .expect("sign in on A")
        .token;
    (w, token)
}

async fn widget_via(
    cluster: &Cluster,
    addr: std::net::SocketAddr,
    from: IpAddr,
    extra: &[(&str, String)],
) -> Widget {
    live_client::widget(
        addr,
        &cluster.widget_origin(addr),
        SHOP_ORIGIN,
        SITE,
        from,
        extra,
    )
    .await
    .unwrap_or_else(|e| panic!("widget socket through {addr} refused: {e}"))
}

// covers #10 §5 deployment: the sample nginx site file passes `nginx -t` as shipped
#[test]
fn the_sample_nginx_site_passes_nginx_t() {
    if !ringlink_e2e::require("nginx", nginx::binary().is_some(), "apt-get install nginx") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("nginx.conf");
    let site = ringlink_e2e::workspace().join(nginx::SAMPLE);
    std::fs::write(&main, nginx::main_config(dir.path(), &site)).unwrap();
    nginx::check(&main, dir.path()).unwrap_or_else(|e| panic!("{}: {e}", nginx::SAMPLE));
}

// covers #10 §5 deployment, DIAL-1, DIAL-2: three relays behind nginx, both sockets upgrade through it, and each
// relay counts sign-in failures under the client's address (trusted proxy), not nginx's
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_relays_behind_nginx_serve_both_sockets_and_see_the_clients_address() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let gate = cluster.nginx_addr();
    for i in 0..3 {
        assert_eq!(
            http_get(cluster.relay_addr(i), "/healthz").map(|r| r.0),
            Some(200),
            "relay {i}"
        );
    }
    assert_eq!(
        http_get(gate, "/healthz").map(|r| r.0),
        Some(200),
        "through nginx"
    );

    // Both sockets upgrade through nginx and speak the protocol.
    let creds = cluster.agent_login(&cluster.nginx_url(), ALICE, "gate handset");
    let (device, token) = device_of(&creds);
    let mut agent = live_client::agent(gate, &token, CLIENT_IP)
        .await
        .expect("agent socket through nginx");
    let welcome = agent
        .hello("gate handset")
        .await
        .expect("agent welcomed through nginx");
    assert_eq!(welcome.device, device);
    let mut w = widget_via(&cluster, gate, CLIENT_IP, &[]).await;
    w.sign_in(ALICE, PASSWORD)
        .await
        .expect("widget signs in through nginx");
    agent.close().await;
    w.close().await;
    // Closed sockets leave nginx's count (least_conn must see every relay empty again).
    tokio::time::sleep(Duration::from_millis(500)).await;

    // An attacker at 127.0.0.5 guesses Bob's password on one socket per relay (least_conn puts
    // three fresh sockets on three relays) and forges X-Forwarded-For with the owner's address.
    let forged = [("x-forwarded-for", OWNER_IP.to_string())];
    let mut attacker = Vec::new();
    for _ in 0..3 {
        attacker.push(widget_via(&cluster, gate, CLIENT_IP, &forged).await);
    }
    // The three relays check their passwords at once.
    let guesses = attacker.iter_mut().map(|a| async move {
        for _ in 0..FAILURES_PER_NUMBER_AT_ADDRESS {
            a.sign_in(BOB, "wrong guess")
                .await
                .expect_err("a wrong password is refused");
        }
        let e = a
            .sign_in(BOB, PASSWORD)
            .await
            .expect_err("the attacker's address is locked for Bob");
        assert_eq!(e.code, ErrorCode::RateLimited, "{e:?}");
    });
    futures_util::future::join_all(guesses).await;
    // Bob himself, at his own address, signs in on every relay: each relay counted the failures
    // under 127.0.0.5 (nginx's X-Forwarded-For entry), not under nginx's 127.0.0.1 and not under
    // the forged left-most entry.
    let mut owners = Vec::new();
    for n in 0..3 {
        let mut owner = widget_via(&cluster, gate, OWNER_IP, &[]).await;
        owner.sign_in(BOB, PASSWORD).await.unwrap_or_else(|e| {
            panic!("owner socket {n}: locked out by the attacker's failures: {e:?}")
        });
        // Kept open, so least_conn spreads the next owner socket to another relay.
        owners.push(owner);
    }
}

/// An agent of Alice connected straight to relay `i` with the protocol, welcomed.
async fn agent_on(cluster: &Cluster, i: usize, name: &str) -> (live_client::Agent, String) {
    let creds = cluster.agent_login(&cluster.relay_url(i), ALICE, name);
    let (device, token) = device_of(&creds);
    let mut agent = live_client::agent(cluster.relay_addr(i), &token, CLIENT_IP)
        .await
        .expect("agent socket");
    agent.hello(name).await.expect("agent welcomed");
    (agent, device)
}

/// Dials from `w` and returns the acceptance's call id; panics with the relay's answer.
async fn dial(w: &mut Widget, client_id: &str) -> String {
    let msg = WidgetMsg::Dial(Dial {
        number: CALLEE.into(),
        device: None,
        client_id: Some(client_id.into()),
    });
    match w.request(msg, REPLY_WITHIN).await {
        RelayToWidget::DialAccepted(a) => a.call_id,
        other => panic!("dial from relay A to an agent on relay C was answered {other:?} (needs DIAL on the live layer)"),
    }
}

async fn report(agent: &mut live_client::Agent, call_id: &str, state: CallState) {
    agent
        .send(AgentMsg::CallUpdate(CallUpdate {
            call_id: call_id.into(),
            state,
            detail: None,
        }))
        .await;
}

async fn next_state(w: &mut Widget, call_id: &str) -> CallEvent {
    w.wait_for(REPLY_WITHIN, |env| match &env.msg {
        RelayToWidget::CallState(e) if e.call_id == call_id => Some(e.clone()),
        _ => None,
    })
    .await
    .unwrap_or_else(|| panic!("no call state for {call_id} within {REPLY_WITHIN:?}"))
}

// covers #10 §2 DIAL on the live layer, DIAL-5: a widget on relay A dials an agent connected to relay C
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_widget_on_relay_a_dials_an_agent_on_relay_c() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let (mut agent, device) = agent_on(&cluster, RELAY_C, "handset on C").await;
    let (mut w, token) = alice_on_a(&cluster).await;
    let call_id = dial(&mut w, "cross-node-1").await;
    let order = agent
        .wait_for(REPLY_WITHIN, |env| match &env.msg {
            RelayToAgent::DialOrder(o) => Some(o.clone()),
            _ => None,
        })
        .await
        .expect("the agent on relay C got no dial order");
    assert_eq!(order.call_id, call_id);
    assert_eq!(order.number.as_str(), CALLEE);
    let sent = next_state(&mut w, &call_id).await;
    assert_eq!(sent.state, CallState::Sent);
    report(&mut agent, &call_id, CallState::Dialing).await;
    let e = next_state(&mut w, &call_id).await;
    assert_eq!(
        e.state,
        CallState::Dialing,
        "the handset's state reaches the widget on A"
    );
    // A widget opened on A now lists the agent on C among the member's connected phones.
    let mut second = widget_via(&cluster, cluster.relay_addr(RELAY_A), CLIENT_IP, &[]).await;
    second.resume(&token, None).await.expect("resume on A");
    let agents = second
        .wait_for(REPLY_WITHIN, |env| match &env.msg {
            RelayToWidget::Presence(p) => Some(p.agents.clone()),
            _ => None,
        })
        .await
        .expect("a presence after resume");
    assert!(
        agents.iter().any(|a| a.device == device),
        "the widget on relay A lists the agent on relay C: {agents:?}"
    );
}

// covers #10 §Tests kill -9 of the relay holding the agent, DIAL-3: the real agent is back through nginx
// within 5 s and every widget on a surviving relay is pushed its presence
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_the_agents_relay_reconnects_it_through_nginx_within_5_s() {
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    let (f, _agent) = failover::measure(&mut cluster).await;
    eprintln!(
        "fail-over: killed {}; agent reconnected after {:?} to {:?}; widget presence {:?}",
        cluster.nodes[f.killed].node_id, f.agent_reconnected, f.reconnected_to, f.widget_presence
    );
    let took = f.agent_reconnected.unwrap_or_else(|| {
        panic!(
            "the agent did not reconnect within {:?}:\n{}",
            failover::WAIT_AFTER_KILL,
            f.agent_log
        )
    });
    assert!(
        took <= FAILOVER_LIMIT,
        "the agent took {took:?} to reconnect (limit {FAILOVER_LIMIT:?})"
    );
    let to = f.reconnected_to.expect("a surviving relay holds the agent");
    assert_ne!(to, f.killed);
    for (i, seen) in &f.widget_presence {
        let seen = seen.unwrap_or_else(|| {
            panic!(
                "the widget on {} never saw the agent connected again",
                cluster.nodes[*i].node_id
            )
        });
        assert!(
            seen <= FAILOVER_LIMIT + Duration::from_secs(1),
            "widget on relay {i}: {seen:?}"
        );
    }
    // Once the dead relay's lease has run out and a survivor has cleaned up after it, the
    // member's widgets still show the phone, once: the cleanup took only what the dead relay held.
    let settled = f.killed_at + LEASE_CLEANUP;
    tokio::time::sleep_until(settled.into()).await;
    let survivor = f.reconnected_to.expect("checked above");
    let mut listed = listed_times(&cluster, survivor, &f).await;
    // A survivor slowed by the machine may bury the dead relay a little later: until then its
    // socket may still be listed beside the new one.
    while listed == 2 && f.killed_at.elapsed() < LEASE_CLEANUP * 2 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        listed = listed_times(&cluster, survivor, &f).await;
    }
    assert_eq!(listed, 1, "the phone is listed once after the cleanup");

    // The killed relay comes back on its port, serves again and shows the phone on another relay.
    cluster.restart(f.killed);
    assert_eq!(
        http_get(cluster.relay_addr(f.killed), "/healthz").map(|r| r.0),
        Some(200)
    );
    assert_eq!(
        listed_times(&cluster, f.killed, &f).await,
        1,
        "on the restarted relay"
    );
}

/// A dead relay's lease runs out and a survivor buries it within this of the kill
/// (relay/src/live/node.rs: a 5 s lease, renewed and checked every second), with slack for a
/// loaded machine.
const LEASE_CLEANUP: Duration = Duration::from_secs(9);

/// How many times a fresh widget of the member on relay `i` lists the fail-over's agent.
async fn listed_times(cluster: &Cluster, i: usize, f: &failover::Failover) -> usize {
    let mut w = widget_via(cluster, cluster.relay_addr(i), CLIENT_IP, &[]).await;
    w.resume(&f.session, None).await.expect("resume");
    let agents = w
        .wait_for(REPLY_WITHIN, |env| match &env.msg {
            RelayToWidget::Presence(p) => Some(p.agents.clone()),
            _ => None,
        })
        .await
        .expect("a presence after resume");
    agents.iter().filter(|a| a.device == f.device).count()
}

// covers #10 §1 streams: no call event a widget saw is lost or shown twice when it resumes with
// `since` on another relay
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_seen_call_event_is_lost_or_repeated_after_resume_on_another_relay() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let (mut agent, _device) = agent_on(&cluster, RELAY_C, "handset on C").await;
    let (mut w, token) = alice_on_a(&cluster).await;
    let call_id = dial(&mut w, "resume-1").await;
    let sent = next_state(&mut w, &call_id).await;
    assert_eq!(sent.state, CallState::Sent);
    report(&mut agent, &call_id, CallState::Dialing).await;
    let dialing = next_state(&mut w, &call_id).await;
    report(&mut agent, &call_id, CallState::Ringing).await;
    let ringing = next_state(&mut w, &call_id).await;
    assert_eq!(
        (dialing.state, ringing.state),
        (CallState::Dialing, CallState::Ringing)
    );
    assert!(
        sent.seq < dialing.seq && dialing.seq < ringing.seq,
        "{sent:?} {dialing:?} {ringing:?}"
    );

    // The tab goes away; the call goes on.
    w.close().await;
    report(&mut agent, &call_id, CallState::Active).await;
    report(&mut agent, &call_id, CallState::Ended).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    // It comes back through relay B with the last seq it saw.
    let mut back = widget_via(&cluster, cluster.relay_addr(RELAY_B), CLIENT_IP, &[]).await;
    back.resume(&token, Some(ringing.seq))
        .await
        .expect("resume on B");
    let frames = back.drain(Duration::from_secs(2)).await;
    let events: Vec<CallEvent> = frames
        .into_iter()
        .filter_map(|env| match env.msg {
            RelayToWidget::CallState(e) if e.call_id == call_id => Some(e),
            _ => None,
        })
        .collect();
    let states: Vec<CallState> = events.iter().map(|e| e.state).collect();
    assert_eq!(
        states,
        [CallState::Active, CallState::Ended],
        "after resume on B: {events:?}"
    );
    assert!(
        events.iter().all(|e| e.seq > ringing.seq),
        "nothing seen before is shown again: {events:?}"
    );
    assert!(events[0].seq < events[1].seq);

    // A second resume from an older point, on relay C, gets exactly the rest again.
    let mut again = widget_via(&cluster, cluster.relay_addr(RELAY_C), CLIENT_IP, &[]).await;
    again
        .resume(&token, Some(dialing.seq))
        .await
        .expect("resume on C");
    let states: Vec<CallState> = again
        .drain(Duration::from_secs(2))
        .await
        .into_iter()
        .filter_map(|env| match env.msg {
            RelayToWidget::CallState(e) if e.call_id == call_id => Some(e.state),
            _ => None,
        })
        .collect();
    assert_eq!(
        states,
        [CallState::Ringing, CallState::Active, CallState::Ended]
    );
}

// covers #10 §2 cluster-wide client-id de-duplication, DIAL-5: a dial retried with the same
// client id through another relay (the widget reconnected elsewhere) is answered with the first
// acceptance and the handset is ordered to dial once
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dial_retried_through_another_relay_dials_once() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let (mut agent, _device) = agent_on(&cluster, RELAY_C, "handset on C").await;
    let (mut w, token) = alice_on_a(&cluster).await;
    let first = dial(&mut w, "retry-1").await;
    w.close().await;
    let mut again = widget_via(&cluster, cluster.relay_addr(RELAY_B), CLIENT_IP, &[]).await;
    again.resume(&token, None).await.expect("resume on B");
    let second = dial(&mut again, "retry-1").await;
    assert_eq!(
        second, first,
        "the retry is answered with the first acceptance"
    );
    let orders: Vec<String> = agent
        .drain(Duration::from_secs(2))
        .await
        .into_iter()
        .filter_map(|env| match env.msg {
            RelayToAgent::DialOrder(o) => Some(o.call_id),
            _ => None,
        })
        .collect();
    assert_eq!(orders, [first], "the handset dials once");
}
