//! Scenario 2: M widgets and M phone agents connected; dial intents at R per second. Latency is
//! from the widget's send to the agent's receipt (both ends in this process, one clock), and the
//! relay's CPU seconds per 1,000 intents.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use futures_util::{SinkExt, StreamExt};
use ringlink_protocol::agent::RelayToAgent;
use ringlink_protocol::widget::{Dial, RelayToWidget, WidgetMsg};
use ringlink_protocol::{encode, Envelope};
use serde::Serialize;
use tokio::sync::{mpsc, Semaphore};
use tokio_tungstenite::tungstenite::Message;

use crate::relay_proc::RelayProc;
use crate::stats::{cpu_seconds, new_histogram, summarize, Latency};

#[derive(Debug, Serialize, Clone)]
pub struct DialResult {
    pub agents: usize,
    pub rate: u32,
    pub secs: u64,
    pub sent: u64,
    pub delivered: u64,
    pub refused: u64,
    pub latency: Latency,
    pub relay_cpu_per_1000: f64,
}

enum Seen {
    /// The widget learned the call id of its request sent at `ns`.
    Sent(String, u64),
    /// The agent received the order for this call at `ns`.
    Received(String, u64),
    Refused,
}

/// Connects M widget/agent pairs.
pub async fn connect_pairs(
    relay: &RelayProc,
    m: usize,
) -> Result<(Vec<crate::conns::Ws>, Vec<crate::conns::Ws>)> {
    let gate = Arc::new(Semaphore::new(200));
    let mut tasks = Vec::with_capacity(m);
    for i in 0..m {
        let permit = gate.clone().acquire_owned().await?;
        let addr = relay.addr;
        tasks.push(tokio::spawn(async move {
            let a = crate::conns::agent(addr, i).await;
            let w = crate::conns::widget(addr, i).await;
            drop(permit);
            Ok::<_, anyhow::Error>((w?, a?))
        }));
    }
    let (mut widgets, mut agents) = (Vec::with_capacity(m), Vec::with_capacity(m));
    for t in tasks {
        let (w, a) = t.await??;
        widgets.push(w);
        agents.push(a);
    }
    Ok((widgets, agents))
}

pub async fn run(relay: &RelayProc, m: usize, rate: u32, secs: u64) -> Result<DialResult> {
    let (widgets, agents) = connect_pairs(relay, m).await?;
    drive(widgets, agents, &[relay.pid()], rate, secs).await
}

/// Dials from `widgets[i]` to member i's agent `agents[i]` at `rate` per second for `secs`;
/// the server CPU is the sum over `pids` (one relay, or the two relays of a cross-node run).
pub async fn drive(
    widgets: Vec<crate::conns::Ws>,
    agents: Vec<crate::conns::Ws>,
    pids: &[u32],
    rate: u32,
    secs: u64,
) -> Result<DialResult> {
    let m = widgets.len();
    let epoch = Instant::now();
    let ns = move || epoch.elapsed().as_nanos() as u64;
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel();
    let mut triggers = Vec::with_capacity(m);
    for (w, a) in widgets.into_iter().zip(agents) {
        let (trig_tx, trig_rx) = mpsc::unbounded_channel::<()>();
        triggers.push(trig_tx);
        tokio::spawn(widget_task(w, trig_rx, seen_tx.clone(), ns));
        tokio::spawn(agent_task(a, seen_tx.clone(), ns));
    }
    drop(seen_tx);

    let cpu_all = || pids.iter().map(|&p| cpu_seconds(p)).sum::<f64>();
    let cpu0 = cpu_all();
    let total = rate as u64 * secs;
    let start = Instant::now();
    for k in 0..total {
        // Open-loop schedule: intent k goes at k/R seconds whatever the replies do.
        let due = start + Duration::from_secs_f64(k as f64 / rate as f64);
        tokio::time::sleep_until(due.into()).await;
        let _ = triggers[(k as usize) % m].send(());
    }
    // Let the last intents land.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let cpu = cpu_all() - cpu0;
    drop(triggers);

    let mut sent: HashMap<String, u64> = HashMap::new();
    let mut received: HashMap<String, u64> = HashMap::new();
    let mut refused = 0;
    while let Ok(s) = seen_rx.try_recv() {
        match s {
            Seen::Sent(id, t) => drop(sent.insert(id, t)),
            Seen::Received(id, t) => drop(received.insert(id, t)),
            Seen::Refused => refused += 1,
        }
    }
    let mut h = new_histogram();
    for (id, t_recv) in &received {
        if let Some(t_sent) = sent.get(id) {
            h.record(t_recv.saturating_sub(*t_sent).max(1))?;
        }
    }
    Ok(DialResult {
        agents: m,
        rate,
        secs,
        sent: total,
        delivered: h.len(),
        refused,
        latency: summarize(&h),
        relay_cpu_per_1000: cpu / (total as f64 / 1000.0),
    })
}

async fn widget_task(
    ws: crate::conns::Ws,
    mut trig: mpsc::UnboundedReceiver<()>,
    seen: mpsc::UnboundedSender<Seen>,
    ns: impl Fn() -> u64,
) {
    let (mut tx, mut rx) = ws.split();
    loop {
        tokio::select! {
            t = trig.recv() => {
                if t.is_none() { break }
                // The request id is the send time: the timestamp travels in the frame.
                let dial = WidgetMsg::Dial(Dial { number: "+8613800138000".into(), device: None, client_id: Some(format!("b{}", ns())) });
                if tx.send(Message::Text(encode(&Envelope::request(ns(), dial)).into())).await.is_err() { break }
            }
            m = rx.next() => match m {
                Some(Ok(Message::Text(t))) => {
                    if let Ok(env) = serde_json::from_str::<Envelope<RelayToWidget>>(t.as_str()) {
                        match env.msg {
                            RelayToWidget::DialAccepted(a) => { let _ = seen.send(Seen::Sent(a.call_id, env.re.unwrap_or(0))); }
                            RelayToWidget::Error(_) => { let _ = seen.send(Seen::Refused); }
                            _ => {}
                        }
                    }
                }
                Some(Ok(_)) => {}
                _ => break,
            }
        }
    }
}

async fn agent_task(ws: crate::conns::Ws, seen: mpsc::UnboundedSender<Seen>, ns: impl Fn() -> u64) {
    let (_tx, mut rx) = ws.split();
    while let Some(Ok(m)) = rx.next().await {
        if let Message::Text(t) = m {
            let at = ns();
            if let Ok(env) = serde_json::from_str::<Envelope<RelayToAgent>>(t.as_str()) {
                if let RelayToAgent::DialOrder(o) = env.msg {
                    if seen.send(Seen::Received(o.call_id, at)).is_err() {
                        break;
                    }
                }
            }
        }
    }
}
