//! Scenario `chat` (#11): V visitors over V/3 agents; visitor lines at an offered rate
//! (open-loop), latency from the line's scheduled send to the agent's receipt, one clock. The
//! relay stores every line before it pushes it; the socket.io room server (`chat_peers`) and the
//! plain tokio-tungstenite forwarder (`floor`) keep nothing. Each rate gets a fresh server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use futures_util::{SinkExt, StreamExt};
use ringlink_protocol::chat::{Author, ChatSend};
use ringlink_protocol::console::RelayToConsole;
use ringlink_protocol::widget::{RelayToWidget, WidgetMsg};
use ringlink_protocol::{encode, Envelope};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::conns::Ws;
use crate::stats::{cpu_seconds, new_histogram, spread, summarize, Latency};

/// The highest p99 (µs) a rate may have to count as sustained (#11's bar).
pub const P99_BAR_US: f64 = 50_000.0;

/// Who carries the lines, and how each speaks on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Path {
    /// The relay: `chat_send` on the widget socket, `line` pushes on the console socket.
    Relay,
    /// socket.io 4 over its WebSocket transport: `42<ack>["msg",..]`, pushes `42["line",..]`.
    SocketIo,
    /// The plain forwarder: the bare timestamp as a text frame.
    Floor,
}

impl Path {
    pub fn label(self) -> &'static str {
        match self {
            Path::Relay => "ringlink relay (stored)",
            Path::SocketIo => "socket.io 4.8.1 room (not stored)",
            Path::Floor => "tokio-tungstenite forwarder",
        }
    }

    /// The visitor's `k`-th line, carrying its scheduled send time `stamp` (ns since the epoch).
    fn line(self, stamp: u64, k: u64) -> String {
        match self {
            Path::Relay => encode(&Envelope::request(
                stamp,
                WidgetMsg::ChatSend(ChatSend {
                    text: stamp.to_string(),
                    client_id: format!("b{k}"),
                    attachment: None,
                }),
            )),
            Path::SocketIo => format!("42{stamp}[\"msg\",\"{stamp}\"]"),
            Path::Floor => stamp.to_string(),
        }
    }

    /// The stamp of a line an agent received.
    fn received(self, text: &str) -> Option<u64> {
        match self {
            // Only `line` pushes are parsed: staff lists and the like go by unread.
            Path::Relay if !text.contains("\"line\"") => None,
            Path::Relay => match serde_json::from_str::<Envelope<RelayToConsole>>(text)
                .ok()?
                .msg
            {
                RelayToConsole::Line(l) if l.author == Author::Visitor => l.text.parse().ok(),
                _ => None,
            },
            Path::SocketIo => {
                let (event, stamp) =
                    serde_json::from_str::<(String, String)>(text.strip_prefix("42")?).ok()?;
                (event == "line").then(|| stamp.parse().ok())?
            }
            Path::Floor => text.parse().ok(),
        }
    }

    /// The stamp of a line the server acknowledged to its visitor (stored, for the relay).
    fn acked(self, text: &str) -> Option<u64> {
        match self {
            Path::Relay => {
                let env = serde_json::from_str::<Envelope<RelayToWidget>>(text).ok()?;
                matches!(env.msg, RelayToWidget::ChatSent(_))
                    .then_some(env.re)
                    .flatten()
            }
            Path::SocketIo => {
                let rest = text.strip_prefix("43")?;
                let end = rest.find('[').unwrap_or(rest.len());
                rest[..end].parse().ok()
            }
            Path::Floor => None,
        }
    }

    /// engine.io's heartbeat: the server's ping `2` wants a pong `3`.
    fn pong(self, text: &str) -> Option<&'static str> {
        (self == Path::SocketIo && text == "2").then_some("3")
    }
}

/// One path at one offered rate.
#[derive(Debug, Serialize, Clone)]
pub struct ChatResult {
    pub path: Path,
    pub visitors: usize,
    pub agents: usize,
    pub rate: u32,
    pub secs: u64,
    pub sent: u64,
    /// Lines the agents received (within two seconds after the last send; one in `--quick`).
    pub delivered: u64,
    /// Lines received within the sending window, per second.
    pub achieved_per_sec: f64,
    /// Scheduled send → agent receipt.
    pub latency: Latency,
    /// Scheduled send → the server's acknowledgement to the visitor (none for the forwarder).
    pub ack: Option<Latency>,
    pub server_cpu_per_1000: f64,
    /// The machine's 1-minute load average after the run (2 cores: above 2, others were busy).
    pub load_average: f64,
}

/// Sends from `visitors[k % V]` at `rate` per second for `secs`; `agents` are read for the
/// lines. `pid` is the server whose CPU time is counted.
pub async fn drive(
    path: Path,
    visitors: Vec<Ws>,
    agents: Vec<Ws>,
    pid: u32,
    rate: u32,
    secs: u64,
) -> Result<ChatResult> {
    let (v, a) = (visitors.len(), agents.len());
    let epoch = Instant::now();
    let ns = Arc::new(move || epoch.elapsed().as_nanos() as u64);
    let (got_tx, mut got_rx) = mpsc::unbounded_channel::<(u64, u64)>();
    let (ack_tx, mut ack_rx) = mpsc::unbounded_channel::<(u64, u64)>();
    for ws in agents {
        tokio::spawn(agent_task(path, ws, got_tx.clone(), ns.clone()));
    }
    let mut triggers = Vec::with_capacity(v);
    for ws in visitors {
        let (tx, rx) = mpsc::unbounded_channel::<(u64, u64)>();
        triggers.push(tx);
        tokio::spawn(visitor_task(path, ws, rx, ack_tx.clone(), ns.clone()));
    }
    drop((got_tx, ack_tx));

    let cpu0 = cpu_seconds(pid);
    let total = rate as u64 * secs;
    let start = Instant::now();
    for k in 0..total {
        // Open-loop: line k is due at k/R whatever the replies do, and carries its due time,
        // so a late send (a busy load generator) counts as latency, not as a lighter load.
        let due = start + Duration::from_secs_f64(k as f64 / rate as f64);
        tokio::time::sleep_until(due.into()).await;
        let stamp = due.duration_since(epoch).as_nanos() as u64;
        let _ = triggers[(k as usize) % v].send((stamp, k));
    }
    let window_end = (start + Duration::from_secs(secs))
        .duration_since(epoch)
        .as_nanos() as u64;
    // Two seconds for the last lines to land (one in a one-second smoke run).
    tokio::time::sleep(Duration::from_secs(secs.clamp(1, 2))).await;
    let cpu = cpu_seconds(pid) - cpu0;
    drop(triggers);

    let (mut h, mut in_window) = (new_histogram(), 0u64);
    while let Ok((stamp, at)) = got_rx.try_recv() {
        h.record(at.saturating_sub(stamp).max(1))?;
        in_window += u64::from(at <= window_end);
    }
    let mut acks = new_histogram();
    while let Ok((stamp, at)) = ack_rx.try_recv() {
        acks.record(at.saturating_sub(stamp).max(1))?;
    }
    Ok(ChatResult {
        path,
        visitors: v,
        agents: a,
        rate,
        secs,
        sent: total,
        delivered: h.len(),
        achieved_per_sec: in_window as f64 / secs as f64,
        latency: summarize(&h),
        ack: (path != Path::Floor).then(|| summarize(&acks)),
        server_cpu_per_1000: cpu / (total as f64 / 1000.0),
        load_average: crate::stats::load_average(),
    })
}

async fn agent_task(
    path: Path,
    mut ws: Ws,
    got: mpsc::UnboundedSender<(u64, u64)>,
    ns: Arc<impl Fn() -> u64>,
) {
    while let Some(Ok(m)) = ws.next().await {
        let Message::Text(t) = m else { continue };
        let at = ns();
        if let Some(p) = path.pong(t.as_str()) {
            let _ = ws.send(Message::Text(p.into())).await;
        } else if let Some(stamp) = path.received(t.as_str()) {
            if got.send((stamp, at)).is_err() {
                break;
            }
        }
    }
}

async fn visitor_task(
    path: Path,
    ws: Ws,
    mut trig: mpsc::UnboundedReceiver<(u64, u64)>,
    acked: mpsc::UnboundedSender<(u64, u64)>,
    ns: Arc<impl Fn() -> u64>,
) {
    let (mut tx, mut rx) = ws.split();
    loop {
        tokio::select! {
            t = trig.recv() => {
                let Some((stamp, k)) = t else { break };
                if tx.send(Message::Text(path.line(stamp, k).into())).await.is_err() { break }
            }
            m = rx.next() => match m {
                Some(Ok(Message::Text(t))) => {
                    let at = ns();
                    if let Some(p) = path.pong(t.as_str()) {
                        let _ = tx.send(Message::Text(p.into())).await;
                    } else if let Some(stamp) = path.acked(t.as_str()) {
                        let _ = acked.send((stamp, at));
                    }
                }
                Some(Ok(_)) => {}
                _ => break,
            }
        }
    }
}

/// The highest offered rate whose median p99 met the bar, with its achieved rate.
pub fn best_rate(rows: &[(Path, u32, Vec<ChatResult>)], path: Path) -> Option<(u32, f64)> {
    rows.iter()
        .filter(|(p, _, rs)| *p == path && median(rs, |r| r.latency.p99_us) <= P99_BAR_US)
        .filter(|(_, _, rs)| median(rs, |r| r.delivered as f64) >= 0.99 * rs[0].sent as f64)
        .map(|(_, rate, rs)| (*rate, median(rs, |r| r.achieved_per_sec)))
        .max_by_key(|(rate, _)| *rate)
}

fn median(rs: &[ChatResult], f: impl Fn(&ChatResult) -> f64) -> f64 {
    spread(&rs.iter().map(f).collect::<Vec<_>>()).median
}

/// Prints the sweep's table and the verdict line per path.
pub fn print(rows: &[(Path, u32, Vec<ChatResult>)], visitors: usize, agents: usize, secs: u64) {
    println!("\n## chat delivery, visitor send → agent `line` ({visitors} visitors over {agents} agents, {secs} s per rate)\n| path | offered/s | achieved msgs/s | delivered | p50 µs | p99 µs | p99.9 µs | ack p99 µs | server CPU s per 1k |\n|---|---|---|---|---|---|---|---|---|");
    for (path, rate, rs) in rows {
        let f = |g: &dyn Fn(&ChatResult) -> f64| spread(&rs.iter().map(g).collect::<Vec<_>>());
        let ack = if *path == Path::Floor {
            "-".to_string()
        } else {
            f(&|r| r.ack.map_or(f64::NAN, |a| a.p99_us)).to_string()
        };
        println!(
            "| {} | {rate} | {} | {} of {} | {} | {} | {} | {ack} | {} |",
            path.label(),
            f(&|r| r.achieved_per_sec),
            f(&|r| r.delivered as f64),
            rs[0].sent,
            f(&|r| r.latency.p50_us),
            f(&|r| r.latency.p99_us),
            f(&|r| r.latency.p999_us),
            f(&|r| r.server_cpu_per_1000)
        );
    }
    println!("\n| path | highest offered rate with p99 ≤ 50 ms (and ≥ 99 % delivered) | achieved msgs/s there |\n|---|---|---|");
    for path in [Path::Relay, Path::SocketIo, Path::Floor] {
        if !rows.iter().any(|(p, _, _)| *p == path) {
            continue;
        }
        match best_rate(rows, path) {
            Some((rate, got)) => println!("| {} | {rate} | {got:.0} |", path.label()),
            None => println!("| {} | none of the rates | - |", path.label()),
        }
    }
}
