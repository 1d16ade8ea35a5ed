//! Scenario 3: the same dial path through `nats-server` request/reply (Debian's package) as the
//! engine-level limit: M responders on `user.<i>.agent`, requests at R per second, latency from
//! the request's send to the responder's receipt, timestamp in the payload.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::dial::DialResult;
use crate::stats::{cpu_seconds, new_histogram, summarize};

/// Client connections the responders share (a relay fleet would have a few per node).
const RESPONDER_CONNECTIONS: usize = 4;

pub struct NatsProc {
    child: Child,
    pub port: u16,
}

impl NatsProc {
    pub fn start(core: usize) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new("taskset")
            .args([
                "-c",
                &core.to_string(),
                "nats-server",
                "-a",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting nats-server (apt-get install -y nats-server)")?;
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(10),
                "nats-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self { child, port })
    }
}

impl Drop for NatsProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn run(nats: &NatsProc, m: usize, rate: u32, secs: u64) -> Result<DialResult> {
    let url = format!("nats://127.0.0.1:{}", nats.port);
    let epoch = Instant::now();
    let (lat_tx, mut lat_rx) = mpsc::unbounded_channel::<u64>();
    let mut responders = Vec::new();
    for _ in 0..RESPONDER_CONNECTIONS {
        responders.push(async_nats::connect(&url).await?);
    }
    for i in 0..m {
        let client = responders[i % RESPONDER_CONNECTIONS].clone();
        let mut sub = client.subscribe(format!("user.{i}.agent")).await?;
        let lat_tx = lat_tx.clone();
        tokio::spawn(async move {
            while let Some(msg) = sub.next().await {
                let at = epoch.elapsed().as_nanos() as u64;
                if let Some(sent) = std::str::from_utf8(&msg.payload)
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
                {
                    let _ = lat_tx.send(at.saturating_sub(sent).max(1));
                }
                if let Some(reply) = msg.reply {
                    let _ = client.publish(reply, "accepted".into()).await;
                }
            }
        });
    }
    drop(lat_tx);
    for c in &responders {
        c.flush().await?;
    }
    let requester = async_nats::connect(&url).await?;
    let cpu0 = cpu_seconds(nats.child.id());
    let total = rate as u64 * secs;
    let start = Instant::now();
    let mut pending = Vec::with_capacity(total as usize);
    for k in 0..total {
        let due = start + Duration::from_secs_f64(k as f64 / rate as f64);
        tokio::time::sleep_until(due.into()).await;
        let client = requester.clone();
        let subject = format!("user.{}.agent", (k as usize) % m);
        let payload = (epoch.elapsed().as_nanos() as u64).to_string();
        pending.push(tokio::spawn(async move {
            client.request(subject, payload.into()).await.is_ok()
        }));
    }
    let mut refused = 0;
    for p in pending {
        if !p.await.unwrap_or(false) {
            refused += 1;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu = cpu_seconds(nats.child.id()) - cpu0;
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
        refused,
        latency: summarize(&h),
        relay_cpu_per_1000: cpu / (total as f64 / 1000.0),
    })
}
