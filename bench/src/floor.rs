//! Scenario 4: a plain tokio-tungstenite forwarder as the floor for our stack: widget `i`'s text
//! frames go to agent `i`, no protocol, no database. Run as `ringlink-bench floor-server` on the
//! server's core; measured with the same schedule and clock as the relay.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;

use crate::dial::DialResult;
use crate::stats::{cpu_seconds, new_histogram, summarize};

type Agents = Arc<Mutex<HashMap<usize, mpsc::UnboundedSender<Message>>>>;

/// The forwarder server (blocks forever).
// tungstenite's handshake callback type fixes the large error type; it is not ours to shrink.
#[allow(clippy::result_large_err)]
pub async fn serve(listen: &str) -> Result<()> {
    let listener = TcpListener::bind(listen).await?;
    let agents: Agents = Arc::default();
    loop {
        let (stream, _) = listener.accept().await?;
        let agents = agents.clone();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let mut path = String::new();
            let ws =
                tokio_tungstenite::accept_hdr_async(stream, |req: &Request, resp: Response| {
                    path = req.uri().path().to_owned();
                    Ok(resp)
                })
                .await;
            let Ok(ws) = ws else { return };
            let (mut tx, mut rx) = ws.split();
            let id = |p: &str| p.rsplit('/').next().and_then(|n| n.parse::<usize>().ok());
            if let Some(i) = path.strip_prefix("/a/").and(id(&path)) {
                let (out_tx, mut out_rx) = mpsc::unbounded_channel();
                agents.lock().unwrap().insert(i, out_tx);
                while let Some(m) = out_rx.recv().await {
                    if tx.send(m).await.is_err() {
                        break;
                    }
                }
            } else if let Some(i) = id(&path) {
                while let Some(Ok(m)) = rx.next().await {
                    if m.is_text() {
                        let target = agents.lock().unwrap().get(&i).cloned();
                        if let Some(t) = target {
                            let _ = t.send(m);
                        }
                    }
                }
            }
        });
    }
}

pub struct FloorProc {
    child: std::process::Child,
    pub addr: SocketAddr,
}

impl FloorProc {
    pub fn start(core: usize) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let child = std::process::Command::new("taskset")
            .args(["-c", &core.to_string()])
            .arg(crate::self_exe())
            .args(["floor-server", "--listen", &addr.to_string()])
            .spawn()
            .context("starting the floor server")?;
        let started = Instant::now();
        while std::net::TcpStream::connect(addr).is_err() {
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(10),
                "floor server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self { child, addr })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for FloorProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn run(floor: &FloorProc, m: usize, rate: u32, secs: u64) -> Result<DialResult> {
    let epoch = Instant::now();
    let (lat_tx, mut lat_rx) = mpsc::unbounded_channel::<u64>();
    let mut widgets = Vec::with_capacity(m);
    for i in 0..m {
        let a = crate::conns::connect(floor.addr, &format!("ws://{}/a/{i}", floor.addr), &[], i)
            .await?;
        let lat_tx = lat_tx.clone();
        tokio::spawn(async move {
            let (_tx, mut rx) = a.split();
            while let Some(Ok(Message::Text(t))) = rx.next().await {
                let at = epoch.elapsed().as_nanos() as u64;
                if let Ok(sent) = t.as_str().parse::<u64>() {
                    let _ = lat_tx.send(at.saturating_sub(sent).max(1));
                }
            }
        });
        let w = crate::conns::connect(floor.addr, &format!("ws://{}/w/{i}", floor.addr), &[], i)
            .await?;
        widgets.push(w.split().0);
    }
    drop(lat_tx);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let cpu0 = cpu_seconds(floor.child.id());
    let total = rate as u64 * secs;
    let start = Instant::now();
    for k in 0..total {
        let due = start + Duration::from_secs_f64(k as f64 / rate as f64);
        tokio::time::sleep_until(due.into()).await;
        let stamp = (epoch.elapsed().as_nanos() as u64).to_string();
        let _ = widgets[(k as usize) % m]
            .send(Message::Text(stamp.into()))
            .await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let cpu = cpu_seconds(floor.child.id()) - cpu0;
    let mut h = new_histogram();
    while let Ok(ns) = lat_rx.try_recv() {
        h.record(ns)?;
    }
    Ok(DialResult {
        agents: m,
        rate,
        secs,
        sent: total,
        delivered: h.len(),
        refused: 0,
        latency: summarize(&h),
        relay_cpu_per_1000: cpu / (total as f64 / 1000.0),
    })
}
