//! Scenario 1: hold N idle phone-agent connections and read what each costs the relay (RSS) and
//! the kernel (TCP socket memory, both loopback ends), from /proc. [`hold`] does the same for
//! any kind of socket (`watch` holds page views with it).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::conns::Ws;
use crate::relay_proc::RelayProc;
use crate::stats::{kernel_slab, rss_bytes, tcp_socket_memory};

/// Handshakes in flight at once: enough to fill the relay's core, few enough not to hit the
/// listen backlog.
const CONNECT_CONCURRENCY: usize = 200;

#[derive(Debug, Serialize, Clone)]
pub struct IdleResult {
    pub n: usize,
    pub connected: usize,
    pub connect_secs: f64,
    pub relay_rss_before: u64,
    pub relay_rss_after: u64,
    pub rss_per_conn: f64,
    pub kernel_per_conn: f64,
    /// Growth of the kernel's slab per connection, both loopback ends and the client's files.
    pub slab_per_conn: f64,
    pub first_error: Option<String>,
}

pub async fn run(relay: &RelayProc, n: usize) -> Result<IdleResult> {
    Ok(hold(relay, n, crate::conns::agent).await?.0)
}

/// Opens `n` sockets with `open(addr, i)` and reads the relay's and the kernel's memory 2 s
/// after the last one; the sockets are returned still open.
pub async fn hold<F, Fut>(relay: &RelayProc, n: usize, open: F) -> Result<(IdleResult, Vec<Ws>)>
where
    F: Fn(SocketAddr, usize) -> Fut,
    Fut: Future<Output = Result<Ws>> + Send + 'static,
{
    let rss0 = rss_bytes(relay.pid());
    let sock0 = tcp_socket_memory();
    let slab0 = kernel_slab();
    let gate = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let permit = gate.clone().acquire_owned().await?;
        let fut = open(relay.addr, i);
        tasks.push(tokio::spawn(async move {
            let r = fut.await;
            drop(permit);
            r
        }));
    }
    let mut held = Vec::with_capacity(n);
    let mut first_error = None;
    for t in tasks {
        match t.await? {
            Ok(ws) => held.push(ws),
            Err(e) => {
                first_error.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
    let connect_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss1 = rss_bytes(relay.pid());
    let sock1 = tcp_socket_memory();
    let slab1 = kernel_slab();
    let connected = held.len().max(1);
    let result = IdleResult {
        n,
        connected: held.len(),
        connect_secs,
        relay_rss_before: rss0,
        relay_rss_after: rss1,
        rss_per_conn: rss1.saturating_sub(rss0) as f64 / connected as f64,
        kernel_per_conn: sock1.saturating_sub(sock0) as f64 / connected as f64,
        slab_per_conn: slab1.saturating_sub(slab0) as f64 / connected as f64,
        first_error,
    };
    Ok((result, held))
}
