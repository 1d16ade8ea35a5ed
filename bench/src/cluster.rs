//! Scenarios on several relay processes (the e2e harness `ringlink_e2e::cluster`: one
//! PostgreSQL from `DATABASE_URL_PG`, one nats-server, the relays, Debian's nginx):
//! - `cross_node_dial`: M widgets on relay A, their members' M agents on relay B, dial intents at
//!   R per second through NATS; compared in the same run with nats-server request/reply alone.
//! - `failover`: `kill -9` of the relay holding a real `ringlink-agent` (connected through
//!   nginx): time to the agent's reconnection and to a surviving widget's presence push.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use ringlink_e2e::cluster::{Cluster, Options};
use ringlink_e2e::failover::{self, Failover};

use crate::dial::DialResult;

/// Members seeded for the cross-node run take numbers under this prefix (the cluster's own
/// test members are +86138…/+86139…).
const BENCH_PREFIX: &str = "+86137";

/// Whether a cluster can be started here; says why not.
pub fn available() -> bool {
    if std::env::var("DATABASE_URL_PG").is_err() {
        eprintln!(
            "cluster scenarios: skipped, DATABASE_URL_PG is not set (scripts/start-postgres.sh)"
        );
        return false;
    }
    ringlink_e2e::cluster::peers_present()
}

/// The harness runs the binaries next to `relay_bin` (release for a real run).
fn use_binaries_of(relay_bin: &Path) -> Result<()> {
    let dir = relay_bin.parent().context("relay binary has no folder")?;
    for name in ["ringlink-relay", "ringlink-agent"] {
        anyhow::ensure!(
            dir.join(name).exists(),
            "{} is not built: cargo build {}-p ringlink-relay -p ringlink-agent",
            dir.join(name).display(),
            if dir.ends_with("release") {
                "--release "
            } else {
                ""
            }
        );
    }
    std::env::set_var("RINGLINK_BIN_DIR", dir);
    Ok(())
}

/// Widgets of `m` members on relay A, their agents on relay B; intents at `rate` for `secs`.
pub async fn cross_node_dial(
    relay_bin: &Path,
    m: usize,
    rate: u32,
    secs: u64,
) -> Result<DialResult> {
    use_binaries_of(relay_bin)?;
    let options = Options {
        relays: 2,
        public_url: false,
        env: vec![("RUST_LOG".into(), "error".into())],
    };
    // Blocking start-up on the bench's one thread: nothing else runs yet.
    let cluster = Cluster::start_with(options).context("the cluster's peers are missing")?;
    let store = crate::relay_proc::seed_members_at(&cluster.database_url, m, BENCH_PREFIX).await?;
    store.close().await;
    let (a, b) = (cluster.relay_addr(0), cluster.relay_addr(1));
    let mut widgets = Vec::with_capacity(m);
    let mut agents = Vec::with_capacity(m);
    for i in 0..m {
        agents.push(
            crate::conns::agent(b, i)
                .await
                .with_context(|| format!("agent {i} on relay B"))?,
        );
        widgets.push(
            crate::conns::widget(a, i)
                .await
                .with_context(|| format!("widget {i} on relay A"))?,
        );
    }
    let pids: Vec<u32> = (0..2).filter_map(|i| cluster.pid(i)).collect();
    let r = crate::dial::drive(widgets, agents, &pids, rate, secs).await?;
    drop(cluster);
    Ok(r)
}

/// One fail-over on a fresh three-relay cluster.
pub async fn failover_once(relay_bin: &Path) -> Result<Failover> {
    use_binaries_of(relay_bin)?;
    let mut cluster = Cluster::start().context("the cluster's peers are missing")?;
    let (f, _agent) = failover::measure(&mut cluster).await;
    Ok(f)
}

/// Milliseconds, or "-" when it did not happen within the wait.
pub fn ms(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| format!("{:.0}", d.as_secs_f64() * 1000.0))
}
