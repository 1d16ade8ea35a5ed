//! Fail-over of a phone agent, measured on a cluster: the real `ringlink-agent` connects through
//! nginx, a widget of its member sits on every relay, the relay holding the agent is `kill -9`ed,
//! and the clock runs until the agent is welcomed again (its own log) and until each surviving
//! widget is pushed a presence that lists the agent. The end-to-end test asserts on it; the
//! benchmark's `failover` scenario reports it.

use std::time::{Duration, Instant};

use ringlink_protocol::widget::RelayToWidget;

use crate::cluster::{device_of, AgentProc, Cluster, ALICE, PASSWORD, SHOP_ORIGIN, SITE};
use crate::live_client::{self, Widget, CLIENT_IP};

/// The gauge each relay keeps of its own agent sockets.
pub const AGENT_SOCKETS: &str = "ringlink_ws_connections{kind=\"agent\"}";
/// How long the measurement waits for the agent and for each widget after the kill.
pub const WAIT_AFTER_KILL: Duration = Duration::from_secs(15);
/// A first connection (a debug build, a loaded machine) is welcomed within this.
const FIRST_CONNECT: Duration = Duration::from_secs(30);

/// What one fail-over took.
#[derive(Debug, Clone)]
pub struct Failover {
    /// The relay that was killed (index into the cluster's nodes).
    pub killed: usize,
    /// From the kill to the agent's next welcome; `None` when it did not come back in time.
    pub agent_reconnected: Option<Duration>,
    /// The relay the agent came back to, by its own agent-socket gauge.
    pub reconnected_to: Option<usize>,
    /// Per surviving relay: from the kill to its widget's presence push listing the agent.
    pub widget_presence: Vec<(usize, Option<Duration>)>,
    /// The agent's log, for a failing test's message.
    pub agent_log: String,
    /// The moment of the kill.
    pub killed_at: Instant,
    /// The agent's device id and the widgets' session (to look again afterwards).
    pub device: String,
    pub session: ringlink_protocol::secret::Secret,
}

/// The relay whose agent-socket gauge reads `n`, if exactly one does.
pub fn holder_of_agent(cluster: &mut Cluster) -> Option<usize> {
    let holders: Vec<usize> = (0..cluster.nodes.len())
        .filter(|&i| cluster.is_running(i) && cluster.metric(i, AGENT_SOCKETS) == Some(1.0))
        .collect();
    (holders.len() == 1).then(|| holders[0])
}

/// A widget of Alice on relay `i`, signed in (or resumed with `token`), its first presence read.
pub async fn widget_on(
    cluster: &Cluster,
    i: usize,
    token: Option<&ringlink_protocol::secret::Secret>,
) -> (Widget, ringlink_protocol::secret::Secret) {
    let addr = cluster.relay_addr(i);
    let origin = cluster.widget_origin(addr);
    let mut w = live_client::widget(addr, &origin, SHOP_ORIGIN, SITE, CLIENT_IP, &[])
        .await
        .unwrap_or_else(|e| panic!("widget socket on relay {i}: {e}"));
    let signed = match token {
        Some(t) => w.resume(t, None).await,
        None => w.sign_in(ALICE, PASSWORD).await,
    }
    .unwrap_or_else(|e| panic!("widget on relay {i} not signed in: {e:?}"));
    w.wait_for(live_client::REPLY_WITHIN, |env| {
        matches!(env.msg, RelayToWidget::Presence(_)).then_some(())
    })
    .await
    .unwrap_or_else(|| panic!("no first presence on relay {i}"));
    (w, signed.token)
}

/// Runs one fail-over on `cluster` (fresh: no agent of Alice yet); the agent keeps running
/// while the returned process lives.
pub async fn measure(cluster: &mut Cluster) -> (Failover, AgentProc) {
    let creds = cluster.agent_login(&cluster.nginx_url(), ALICE, "failover handset");
    let (device, _) = device_of(&creds);
    let (first, token) = widget_on(cluster, 0, None).await;
    let mut widgets = vec![(0, first)];
    for i in 1..cluster.nodes.len() {
        widgets.push((i, widget_on(cluster, i, Some(&token)).await.0));
    }
    let agent = AgentProc::start(&creds);
    crate::procs::wait_until("the agent's first welcome", FIRST_CONNECT, || {
        agent.connected(1)
    });
    let killed = crate::procs::wait_until(
        "one relay counting the agent's socket",
        Duration::from_secs(10),
        || holder_of_agent(cluster),
    );
    // Whatever was pushed before the kill does not count.
    for (_, w) in widgets.iter_mut() {
        w.drain(Duration::from_millis(300)).await;
    }
    let survivors: Vec<(usize, Widget)> =
        widgets.into_iter().filter(|(i, _)| *i != killed).collect();

    let at = cluster.kill(killed);
    let watch = survivors.into_iter().map(|(i, mut w)| {
        let device = device.clone();
        tokio::spawn(async move {
            let seen = w
                .wait_for(WAIT_AFTER_KILL, |env| match &env.msg {
                    RelayToWidget::Presence(p) if p.agents.iter().any(|a| a.device == device) => {
                        Some(Instant::now())
                    }
                    _ => None,
                })
                .await;
            (i, seen.map(|t| t - at), w)
        })
    });
    let watch: Vec<_> = watch.collect();
    let mut agent_reconnected = None;
    while at.elapsed() < WAIT_AFTER_KILL {
        if let Some(t) = agent.connected(2) {
            agent_reconnected = Some(t - at);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut widget_presence = Vec::new();
    for w in watch {
        let (i, took, _w) = w.await.expect("widget watch");
        widget_presence.push((i, took));
    }
    // The new relay counts the socket once its welcome is sent: within moments.
    let mut reconnected_to = None;
    let asked = Instant::now();
    while agent_reconnected.is_some() && asked.elapsed() < Duration::from_secs(5) {
        reconnected_to = holder_of_agent(cluster);
        if reconnected_to.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let f = Failover {
        killed,
        agent_reconnected,
        reconnected_to,
        widget_presence,
        agent_log: agent.log(),
        killed_at: at,
        device,
        session: token,
    };
    (f, agent)
}
