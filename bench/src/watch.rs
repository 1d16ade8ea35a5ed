//! Scenario `watch` (CHAT-9): N page views, each holding the loader's `/v1/visitor/watch` socket
//! on its own page URL, and what each costs the relay (RSS) and the kernel, against N idle phone
//! agents on a fresh relay in the same run; then, with one console signed in, how long a new
//! page view's "browsing now" push takes to reach it while the N are open.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use futures_util::StreamExt;
use ringlink_protocol::console::{RelayToConsole, StaffRole};
use ringlink_protocol::secret::Secret;
use ringlink_protocol::Envelope;
use ringlink_relay::chat::store::staff::NewStaff;
use serde::Serialize;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::conns::{self, Ws};
use crate::idle::{self, IdleResult};
use crate::relay_proc::{self, RelayProc, ORIGIN};
use crate::stats::spread;

/// New page views timed against the console per run.
const PUSH_SAMPLES: usize = 10;
const PUSH_SAMPLES_QUICK: usize = 3;

/// The "browsing now" pushes a new page view caused, as the console received them.
#[derive(Debug, Serialize, Clone)]
pub struct PushResult {
    /// Page views open when each sample was taken (the N, then one more per sample).
    pub open_page_views: usize,
    /// The watch socket's TCP connect → the console's receipt of the list naming its page.
    pub open_to_console_ms: Vec<f64>,
    /// Rows and bytes of the last such list (the relay lists `LISTED_AT_MOST` = 200 at most).
    pub rows: usize,
    pub frame_bytes: usize,
}

#[derive(Debug, Serialize, Clone)]
pub struct WatchRun {
    pub watch: IdleResult,
    pub agent: IdleResult,
    /// Relay RSS per watch socket ÷ relay RSS per idle agent connection.
    pub rss_ratio: f64,
    pub push: Option<PushResult>,
}

/// Seeds one database (members for the agent peer, one staff account for the console), then
/// for each N (`--watch`) and run: a fresh relay holding N page views, then a fresh one holding
/// N agents.
pub async fn scenario(
    cli: &crate::Cli,
    binary: &Path,
    runs: usize,
    fd_limit: u64,
    core: usize,
) -> Result<serde_json::Value> {
    let quick = cli.quick;
    let ns: Vec<usize> = cli
        .watch
        .clone()
        .unwrap_or(if quick { vec![50] } else { vec![1_000, 5_000] })
        .into_iter()
        .map(|n| crate::cap_to_fd_limit("watch sockets", n, 1, fd_limit))
        .collect();
    let seeded = crate::tempdir()?;
    let most = ns.iter().copied().max().unwrap_or(0);
    let t = Instant::now();
    seed(&seeded, most).await?;
    eprintln!(
        "watch: seeded {most} members and one agent in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let fresh = || -> Result<(RelayProc, crate::Scratch)> {
        let dir = crate::tempdir()?;
        std::fs::copy(seeded.join("ringlink.db"), dir.join("ringlink.db"))?;
        Ok((RelayProc::start(binary, &dir, core)?, dir))
    };
    let samples = if quick {
        PUSH_SAMPLES_QUICK
    } else {
        PUSH_SAMPLES
    };
    let mut all = Vec::new();
    for &n in &ns {
        let mut rs = Vec::new();
        for _ in 0..runs {
            let (relay, _dir) = fresh()?;
            let (watch, held) = idle::hold(&relay, n, conns::watch).await?;
            report_short("page views", n, &watch);
            // The console signs in after the memory is read: its pushes (one list per page
            // view opened) would otherwise sit in the relay's buffers.
            let push = match push_latency(&relay, n, samples).await {
                Ok(p) => Some(p),
                Err(e) => {
                    eprintln!("watch N={n}: console push not measured: {e:#}");
                    None
                }
            };
            drop(held);
            drop(relay);
            let (relay, _dir) = fresh()?;
            let agent = idle::run(&relay, n).await?;
            report_short("idle agents", n, &agent);
            let rss_ratio = if agent.rss_per_conn > 0.0 {
                watch.rss_per_conn / agent.rss_per_conn
            } else {
                f64::NAN
            };
            rs.push(WatchRun {
                watch,
                agent,
                rss_ratio,
                push,
            });
        }
        all.push((n, rs));
    }
    print(&all);
    let rows: Vec<_> = all
        .iter()
        .map(|(n, rs)| {
            let ratio = spread(&rs.iter().map(|r| r.rss_ratio).collect::<Vec<_>>());
            json!({"n": n, "runs": rs, "rss_ratio": ratio})
        })
        .collect();
    Ok(json!(rows))
}

fn report_short(what: &str, n: usize, r: &IdleResult) {
    if let Some(e) = &r.first_error {
        eprintln!(
            "watch N={n}: {} of {n} {what} connected; first error: {e}",
            r.connected
        );
    }
}

/// The bench site (its allowed origin is `ORIGIN`, which the page views send), `members`
/// phone-agent members, and staff account `agent0` for the console.
async fn seed(dir: &Path, members: usize) -> Result<()> {
    let store = relay_proc::seed_members(dir, members, "+86139").await?;
    let site = store
        .site_by_key(relay_proc::SITE)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the bench site was not created"))?;
    anyhow::ensure!(
        site.origins.iter().any(|o| o == ORIGIN),
        "the bench site does not allow {ORIGIN}"
    );
    let hash =
        ringlink_relay::accounts::hash_password(&Secret::new(crate::chat_peers::PASSWORD)).await?;
    store
        .create_staff(&NewStaff {
            site_id: site.id,
            account: "agent0",
            password_hash: &hash,
            name: "Agent 0",
            number: None,
            role: StaffRole::Agent,
            sms_offline: false,
        })
        .await?;
    relay_proc::checkpoint_and_close(store).await
}

/// Signs the console in with N page views open, lets its sign-in pushes pass, then opens
/// `samples` more page views one at a time, each timed from its connect to the console's
/// receipt of a "browsing now" list naming its page.
async fn push_latency(relay: &RelayProc, n: usize, samples: usize) -> Result<PushResult> {
    let mut console = crate::chat_peers::console(relay.addr, 0).await?;
    while let Ok(m) = tokio::time::timeout(Duration::from_millis(500), console.next()).await {
        if !matches!(m, Some(Ok(_))) {
            bail!("the console closed while settling");
        }
    }
    let (mut ms, mut rows, mut frame_bytes, mut kept) = (Vec::new(), 0, 0, Vec::new());
    for k in 0..samples {
        let page = format!("{ORIGIN}/checkout/step-{k}?from=bench");
        let started = Instant::now();
        let (ws, seen) = tokio::join!(
            conns::watch_page(relay.addr, &page, n + k),
            list_naming(&mut console, &page)
        );
        kept.push(ws?);
        let (at, r, b) = seen?;
        ms.push(at.duration_since(started).as_secs_f64() * 1000.0);
        (rows, frame_bytes) = (r, b);
    }
    Ok(PushResult {
        open_page_views: n,
        open_to_console_ms: ms,
        rows,
        frame_bytes,
    })
}

/// Reads the console until a `visitors_now` push lists `page`: when, its rows and its bytes.
async fn list_naming(console: &mut Ws, page: &str) -> Result<(Instant, usize, usize)> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let text = match tokio::time::timeout(left, console.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => t,
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => return Err(e.into()),
            Ok(None) => bail!("the console closed"),
            Err(_) => bail!("no \"browsing now\" list named {page} within 30 s"),
        };
        let at = Instant::now();
        let env: Envelope<RelayToConsole> = serde_json::from_str(&text)?;
        if let RelayToConsole::VisitorsNow(list) = env.msg {
            if list.iter().any(|v| v.page == page) {
                return Ok((at, list.len(), text.len()));
            }
        }
    }
}

fn kb(r: &IdleResult) -> f64 {
    r.rss_per_conn / 1024.0
}

pub fn print(all: &[(usize, Vec<WatchRun>)]) {
    println!("\n## page-view watch sockets (CHAT-9) against idle phone agents, a fresh relay each\n| N | socket | connected | open all (s) | relay RSS per conn (KB) | kernel TCP buffers per conn (KB) | kernel slab per conn, both ends (KB) | relay RSS total (MiB) |\n|---|---|---|---|---|---|---|---|");
    for (n, rs) in all {
        for (label, pick) in [
            (
                "page view (watch)",
                (|r: &WatchRun| &r.watch) as fn(&WatchRun) -> &IdleResult,
            ),
            ("idle phone agent", |r: &WatchRun| &r.agent),
        ] {
            let f = |g: &dyn Fn(&IdleResult) -> f64| {
                spread(&rs.iter().map(|r| g(pick(r))).collect::<Vec<_>>())
            };
            println!(
                "| {n} | {label} | {} | {} | {} | {} | {} | {} |",
                f(&|r| r.connected as f64),
                f(&|r| r.connect_secs),
                f(&kb),
                f(&|r| r.kernel_per_conn / 1024.0),
                f(&|r| r.slab_per_conn / 1024.0),
                f(&|r| r.relay_rss_after as f64 / 1048576.0)
            );
        }
    }
    println!("\n| N | watch ÷ agent, relay RSS per conn | new page view → console's \"browsing now\" (ms, median of the samples per run) | slowest sample (ms) | list pushed (rows, KB) |\n|---|---|---|---|---|");
    for (n, rs) in all {
        let ratio = spread(&rs.iter().map(|r| r.rss_ratio).collect::<Vec<_>>());
        let pushes: Vec<&PushResult> = rs.iter().filter_map(|r| r.push.as_ref()).collect();
        let (median, slowest, size) = match pushes.last() {
            Some(last) => (
                spread(
                    &pushes
                        .iter()
                        .map(|p| spread(&p.open_to_console_ms).median)
                        .collect::<Vec<_>>(),
                )
                .to_string(),
                format!(
                    "{:.1}",
                    pushes
                        .iter()
                        .flat_map(|p| p.open_to_console_ms.iter().copied())
                        .fold(0.0, f64::max)
                ),
                format!("{}, {:.1}", last.rows, last.frame_bytes as f64 / 1024.0),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        let ratio = if (ratio.max - ratio.min).abs() < 0.005 {
            format!("{:.2}", ratio.median)
        } else {
            format!("{:.2} ({:.2}–{:.2})", ratio.median, ratio.min, ratio.max)
        };
        println!("| {n} | {ratio} | {median} | {slowest} | {size} |");
    }
}
