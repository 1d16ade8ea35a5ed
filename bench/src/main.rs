//! `ringlink-bench`: measures the relay against its anchors in one run and prints the figures.
//! The relay (and each anchor server) runs pinned to core 0, the load generator to core 1.
//!
//! - `relay_proc`: seeding and starting the relay binary. `conns`: agent and widget clients.
//! - `idle`, `dial`, `nats`, `floor`, `weight`, `calls`, `chat`: the scenarios. `stats`: histograms and
//!   /proc. `cluster`: `cross_node_dial` and `failover` on several relays (asked for by name;
//!   they need PostgreSQL, nats-server and nginx). For CALL: `call_setup` (seeding, placing calls), `sip_phone` (the bench's SIP UAS),
//!   `rtp_probe` (G.711 test streams), `rtp_floor` (the plain UDP forwarder). For CHAT:
//!   `chat` (the sweep and its table), `chat_peers` (the relay's staff and visitors, socket.io),
//!   `watch` (CHAT-9's page-view sockets against idle agents). `scratch`: scratch directories
//!   and child processes.

mod call_setup;
mod calls;
mod chat;
mod chat_peers;
mod cluster;
mod conns;
mod dial;
mod floor;
mod idle;
mod nats;
mod relay_proc;
mod rtp_floor;
mod rtp_probe;
mod scratch;
mod sip_phone;
mod stats;
mod watch;
mod weight;

use scratch::{die_with_parent, self_exe, tempdir, Scratch};

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use serde_json::json;

use stats::spread;

#[derive(Parser)]
#[command(
    name = "ringlink-bench",
    about = "Benchmarks the Ringlink relay against nats-server and a plain WebSocket forwarder"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// Seconds, tiny N: proves the harness works (CI runs this).
    #[arg(long)]
    quick: bool,
    /// Repetitions of each measurement (median and spread are reported).
    #[arg(long)]
    runs: Option<usize>,
    /// Idle connection counts.
    #[arg(long, value_delimiter = ',')]
    idle: Option<Vec<usize>>,
    /// Connected widget/agent pairs for the latency scenarios.
    #[arg(long)]
    agents: Option<usize>,
    /// Dial intent rates per second.
    #[arg(long, value_delimiter = ',')]
    rates: Option<Vec<u32>>,
    /// Seconds per latency run.
    #[arg(long)]
    secs: Option<u64>,
    /// CALL: concurrent bridged call counts (grown until p99 > 20 ms or loss > 1 %).
    #[arg(long, value_delimiter = ',')]
    call_counts: Option<Vec<usize>>,
    /// CALL: offered call setup rates per second.
    #[arg(long, value_delimiter = ',')]
    setup_rates: Option<Vec<u32>>,
    /// CHAT: visitors (over a third as many agents).
    #[arg(long)]
    visitors: Option<usize>,
    /// CHAT: offered visitor line rates per second.
    #[arg(long, value_delimiter = ',')]
    chat_rates: Option<Vec<u32>>,
    /// CHAT: paths to measure (relay, socketio, floor).
    #[arg(long, value_delimiter = ',', default_value = "relay,socketio,floor")]
    chat_paths: Vec<String>,
    /// CHAT-9: page-view watch sockets held (and as many idle agents, the peer).
    #[arg(long, value_delimiter = ',')]
    watch: Option<Vec<usize>>,
    /// Scenarios to run.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "startup,idle,dial,nats,floor,weight,calls,chat,watch"
    )]
    scenarios: Vec<String>,
    #[arg(long)]
    relay_bin: Option<PathBuf>,
    /// Where the JSON results go.
    #[arg(long, default_value = "target/bench/results.json")]
    out: PathBuf,
}

#[derive(Subcommand)]
enum Cmd {
    /// The plain tokio-tungstenite forwarder (started by the benchmark itself).
    FloorServer {
        #[arg(long)]
        listen: String,
    },
    /// The plain tokio UDP forwarder for CALL's RTP floor (started by the benchmark itself).
    RtpFloorServer {
        #[arg(long)]
        pairs: usize,
    },
}

const SERVER_CORE: usize = 0;
const LOAD_CORE: usize = 1;

fn main() -> Result<()> {
    let cli = Cli::parse();
    if let Some(Cmd::FloorServer { listen }) = &cli.command {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        return rt.block_on(floor::serve(listen));
    }
    if let Some(Cmd::RtpFloorServer { pairs }) = &cli.command {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        return rt.block_on(rtp_floor::serve(*pairs));
    }
    // More sockets than the default 1024: raise the soft limit to the hard one (root may raise both).
    let _ = rlimit::Resource::NOFILE.set(1 << 20, 1 << 20);
    let (soft, hard) = rlimit::Resource::NOFILE.get()?;
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    if let Some(core) = cores.iter().find(|c| c.id == LOAD_CORE) {
        core_affinity::set_for_current(*core);
    }
    eprintln!(
        "machine: {} cores, open-file limit {soft}/{hard}",
        cores.len()
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(cli, soft))
}

/// File descriptors kept back from the open-file limit for the relay's own files, the database,
/// the listener and the bench's timers.
const FD_RESERVE: u64 = 500;

/// Caps connection counts to what the open-file limit lets the relay hold (each connection is
/// one descriptor in the relay and one in the bench), saying so when it cuts.
fn cap_to_fd_limit(what: &str, wanted: usize, per_unit: u64, fd_limit: u64) -> usize {
    let most = (fd_limit.saturating_sub(FD_RESERVE) / per_unit) as usize;
    if wanted > most {
        eprintln!(
            "{what}: {wanted} asked, {most} possible: the open-file limit is {fd_limit} and cannot be raised here"
        );
        most
    } else {
        wanted
    }
}

async fn run(cli: Cli, fd_limit: u64) -> Result<()> {
    let quick = cli.quick;
    let runs = cli.runs.unwrap_or(if quick { 1 } else { 3 });
    let idle_ns = cli.idle.clone().unwrap_or(if quick {
        vec![200]
    } else {
        vec![1_000, 10_000, 50_000]
    });
    let mut idle_ns: Vec<usize> = idle_ns
        .into_iter()
        .map(|n| cap_to_fd_limit("idle connections", n, 1, fd_limit))
        .collect();
    idle_ns.dedup();
    let m = cli.agents.unwrap_or(if quick { 50 } else { 10_000 });
    let m = cap_to_fd_limit("widget/agent pairs", m, 2, fd_limit);
    let rates = cli.rates.clone().unwrap_or(if quick {
        vec![200]
    } else {
        vec![500, 1_000, 2_000]
    });
    let secs = cli.secs.unwrap_or(if quick { 2 } else { 10 });
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let binary = cli
        .relay_bin
        .clone()
        .unwrap_or_else(|| relay_proc::default_binary(&workspace));
    anyhow::ensure!(
        binary.exists(),
        "{} is not built: cargo build --release -p ringlink-relay",
        binary.display()
    );
    let want = |s: &str| cli.scenarios.iter().any(|x| x == s);
    println!(
        "# ringlink-bench ({}), relay {}",
        if quick { "quick" } else { "full" },
        binary.display()
    );
    let mut results = serde_json::Map::new();

    // A seeded database, copied fresh for every relay start (CALL seeds its own).
    let seeded = tempdir()?;
    let members = idle_ns.iter().copied().chain([m]).max().unwrap_or(m);
    if ["startup", "idle", "dial"].iter().any(|s| want(s)) {
        let t = Instant::now();
        relay_proc::seed(&seeded, members).await?;
        eprintln!(
            "seeded {members} members in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let fresh_relay = || -> Result<(relay_proc::RelayProc, Scratch)> {
        let dir = tempdir()?;
        std::fs::copy(seeded.join("ringlink.db"), dir.join("ringlink.db"))?;
        Ok((
            relay_proc::RelayProc::start(&binary, &dir, SERVER_CORE)?,
            dir,
        ))
    };

    if want("startup") {
        let (mut ms, mut rss) = (Vec::new(), Vec::new());
        for _ in 0..runs.max(3) {
            let t = Instant::now();
            let (relay, _dir) = fresh_relay()?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            std::thread::sleep(std::time::Duration::from_millis(300));
            rss.push(stats::rss_bytes(relay.pid()) as f64 / 1048576.0);
        }
        println!(
            "\n## start-up\n| serve → healthy (ms) | idle RSS (MiB) |\n|---|---|\n| {} | {} |",
            spread(&ms),
            spread(&rss)
        );
        results.insert(
            "startup".into(),
            json!({"ms": spread(&ms), "idle_rss_mib": spread(&rss)}),
        );
    }

    if want("idle") {
        println!("\n## idle phone-agent connections\n| N | connected | relay RSS per conn (KB) | kernel TCP buffers per conn (KB) | kernel slab per conn, both ends (KB) | relay RSS total (MiB) |\n|---|---|---|---|---|---|");
        let mut rows = Vec::new();
        for &n in &idle_ns {
            let (mut per, mut kern, mut slab, mut total, mut ok) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new(), 0);
            for _ in 0..runs {
                let (relay, _dir) = fresh_relay()?;
                let r = idle::run(&relay, n).await?;
                if let Some(e) = &r.first_error {
                    eprintln!(
                        "idle N={n}: {} of {n} connected; first error: {e}",
                        r.connected
                    );
                }
                per.push(r.rss_per_conn / 1024.0);
                kern.push(r.kernel_per_conn / 1024.0);
                slab.push(r.slab_per_conn / 1024.0);
                total.push(r.relay_rss_after as f64 / 1048576.0);
                ok = r.connected;
                rows.push(r);
            }
            println!(
                "| {n} | {ok} | {} | {} | {} | {} |",
                spread(&per),
                spread(&kern),
                spread(&slab),
                spread(&total)
            );
        }
        results.insert("idle".into(), serde_json::to_value(rows)?);
    }

    let mut latency_table = Vec::new();
    for (name, label) in [
        ("dial", "ringlink relay"),
        ("nats", "nats-server request/reply"),
        ("floor", "tokio-tungstenite forwarder"),
    ] {
        if !want(name) {
            continue;
        }
        for &rate in &rates {
            let mut runs_out = Vec::new();
            for _ in 0..runs {
                let r = match name {
                    "dial" => {
                        let (relay, _dir) = fresh_relay()?;
                        dial::run(&relay, m, rate, secs).await?
                    }
                    "nats" => {
                        nats::run(&nats::NatsProc::start(SERVER_CORE)?, m, rate, secs).await?
                    }
                    _ => floor::run(&floor::FloorProc::start(SERVER_CORE)?, m, rate, secs).await?,
                };
                runs_out.push(r);
            }
            latency_table.push((name, label, rate, runs_out));
        }
    }
    if !latency_table.is_empty() {
        println!("\n## dial latency, widget send → agent receipt ({m} pairs, {secs} s per run)\n| path | rate/s | delivered | p50 µs | p99 µs | p99.9 µs | max µs | server CPU s per 1k |\n|---|---|---|---|---|---|---|---|");
        for (_, label, rate, rs) in &latency_table {
            let f = |g: &dyn Fn(&dial::DialResult) -> f64| {
                spread(&rs.iter().map(g).collect::<Vec<_>>())
            };
            println!(
                "| {label} | {rate} | {} | {} | {} | {} | {} | {} |",
                f(&|r| r.delivered as f64),
                f(&|r| r.latency.p50_us),
                f(&|r| r.latency.p99_us),
                f(&|r| r.latency.p999_us),
                f(&|r| r.latency.max_us),
                f(&|r| r.relay_cpu_per_1000)
            );
        }
        let p99 = |name: &str, rate: u32| {
            latency_table
                .iter()
                .find(|(n, _, r, _)| *n == name && *r == rate)
                .map(|(_, _, _, rs)| {
                    spread(&rs.iter().map(|r| r.latency.p99_us).collect::<Vec<_>>()).median
                })
        };
        println!("\n| rate/s | ours p99 ÷ nats p99 | ours p99 ÷ floor p99 |\n|---|---|---|");
        for &rate in &rates {
            let ours = p99("dial", rate);
            let ratio = |other: Option<f64>| match (ours, other) {
                (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
                _ => "-".into(),
            };
            println!(
                "| {rate} | {} | {} |",
                ratio(p99("nats", rate)),
                ratio(p99("floor", rate))
            );
        }
        let as_json: Vec<_> = latency_table
            .iter()
            .map(|(n, _, rate, rs)| json!({"path": n, "rate": rate, "runs": rs}))
            .collect();
        results.insert("latency".into(), json!(as_json));
    }

    if (want("cross_node_dial") || want("failover")) && cluster::available() {
        results.insert(
            "cluster".into(),
            cluster_scenarios(&cli, &binary, m, &rates, secs, runs).await?,
        );
    }

    if want("weight") {
        match weight::run(&binary).await? {
            Some(w) => {
                weight::print(&w);
                results.insert("weight".into(), serde_json::to_value(&w)?);
            }
            None => eprintln!("weight: skipped (no Chromium)"),
        }
    }

    if want("calls") {
        let plan = calls::Plan {
            strict: quick,
            setup_rates: cli.setup_rates.clone().unwrap_or(if quick {
                vec![10]
            } else {
                vec![50, 100, 200, 400, 600, 800]
            }),
            setup_secs: if quick { 1 } else { 5 },
            counts: cli.call_counts.clone().unwrap_or(if quick {
                vec![4]
            } else {
                vec![10, 50, 100, 200, 400, 800, 1200, 1600, 2400]
            }),
            secs: if quick { 1 } else { secs },
        };
        results.insert(
            "calls".into(),
            calls::run(&binary, &plan, SERVER_CORE).await?,
        );
    }

    if want("chat") {
        results.insert(
            "chat".into(),
            chat_scenario(&cli, &binary, runs, fd_limit).await?,
        );
    }

    if want("watch") {
        let w = watch::scenario(&cli, &binary, runs, fd_limit, SERVER_CORE).await?;
        results.insert("watch".into(), w);
    }

    if let Some(dir) = cli.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&cli.out, serde_json::to_string_pretty(&results)?)
        .with_context(|| format!("writing {}", cli.out.display()))?;
    println!("\nresults written to {}", cli.out.display());
    Ok(())
}

/// `cross_node_dial` (against nats-server request/reply in the same run) and `failover`.
async fn cluster_scenarios(
    cli: &Cli,
    binary: &std::path::Path,
    m: usize,
    rates: &[u32],
    secs: u64,
    runs: usize,
) -> Result<serde_json::Value> {
    let want = |s: &str| cli.scenarios.iter().any(|x| x == s);
    let mut out = serde_json::Map::new();
    if want("cross_node_dial") {
        println!("\n## cross-node dial, widget on relay A → NATS → agent on relay B ({m} pairs, {secs} s per run)\n| path | rate/s | delivered | refused | p50 µs | p99 µs | p99.9 µs | server CPU s per 1k |\n|---|---|---|---|---|---|---|---|");
        let mut rows = Vec::new();
        for &rate in rates {
            let (mut ours, mut anchor) = (Vec::new(), Vec::new());
            for _ in 0..runs {
                ours.push(cluster::cross_node_dial(binary, m, rate, secs).await?);
                anchor.push(nats::run(&nats::NatsProc::start(SERVER_CORE)?, m, rate, secs).await?);
            }
            for (label, rs) in [
                ("two relays over NATS", &ours),
                ("nats-server request/reply", &anchor),
            ] {
                let f = |g: &dyn Fn(&dial::DialResult) -> f64| {
                    spread(&rs.iter().map(g).collect::<Vec<_>>())
                };
                println!(
                    "| {label} | {rate} | {} | {} | {} | {} | {} | {} |",
                    f(&|r| r.delivered as f64),
                    f(&|r| r.refused as f64),
                    f(&|r| r.latency.p50_us),
                    f(&|r| r.latency.p99_us),
                    f(&|r| r.latency.p999_us),
                    f(&|r| r.relay_cpu_per_1000)
                );
            }
            let p99 = |rs: &[dial::DialResult]| {
                spread(&rs.iter().map(|r| r.latency.p99_us).collect::<Vec<_>>()).median
            };
            let ratio = if p99(&anchor) > 0.0 {
                p99(&ours) / p99(&anchor)
            } else {
                f64::NAN
            };
            println!("| cross-node p99 ÷ nats p99 | {rate} | {ratio:.2} | | | | | |");
            rows.push(
                json!({"rate": rate, "cross_node": ours, "nats": anchor, "p99_ratio": ratio}),
            );
        }
        out.insert("cross_node_dial".into(), json!(rows));
    }
    if want("failover") {
        println!("\n## fail-over: kill -9 of the relay holding a real ringlink-agent (3 relays behind nginx)\n| run | killed | kill → agent reconnected (ms) | kill → presence on each surviving widget (ms) |\n|---|---|---|---|");
        let mut rows = Vec::new();
        for run in 1..=runs {
            let f = cluster::failover_once(binary).await?;
            let widgets: Vec<String> = f
                .widget_presence
                .iter()
                .map(|(i, d)| format!("relay {i}: {}", cluster::ms(*d)))
                .collect();
            println!(
                "| {run} | relay {} | {} | {} |",
                f.killed,
                cluster::ms(f.agent_reconnected),
                widgets.join(", ")
            );
            rows.push(json!({
                "killed": f.killed,
                "agent_reconnected_ms": f.agent_reconnected.map(|d| d.as_secs_f64() * 1000.0),
                "reconnected_to": f.reconnected_to,
                "widget_presence_ms": f.widget_presence.iter().map(|(i, d)| json!({"relay": i, "ms": d.map(|d| d.as_secs_f64() * 1000.0)})).collect::<Vec<_>>(),
            }));
        }
        out.insert("failover".into(), json!(rows));
    }
    Ok(serde_json::Value::Object(out))
}

/// CHAT (#11): the sweep of offered rates on the relay, socket.io and the forwarder.
async fn chat_scenario(
    cli: &Cli,
    binary: &std::path::Path,
    runs: usize,
    fd_limit: u64,
) -> Result<serde_json::Value> {
    use chat::Path;
    let quick = cli.quick;
    let visitors = cli.visitors.unwrap_or(if quick { 6 } else { 300 });
    let visitors = cap_to_fd_limit("chat visitors and agents", visitors, 3, fd_limit);
    let agents = visitors.div_ceil(chat_peers::PER_AGENT);
    let rates = cli.chat_rates.clone().unwrap_or(if quick {
        vec![100]
    } else {
        vec![500, 1_000, 2_000, 4_000]
    });
    let secs = cli.secs.unwrap_or(if quick { 1 } else { 10 });
    let mut paths = Vec::new();
    for name in &cli.chat_paths {
        let path = match name.as_str() {
            "relay" => Path::Relay,
            "socketio" => Path::SocketIo,
            "floor" => Path::Floor,
            other => anyhow::bail!("unknown chat path {other}: relay, socketio or floor"),
        };
        if path == Path::SocketIo {
            if let Some(why) = chat_peers::socketio_missing() {
                anyhow::ensure!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
                eprintln!("chat: socket.io skipped: {why}");
                continue;
            }
        }
        paths.push(path);
    }
    let mut rows = Vec::new();
    for &rate in &rates {
        // The paths alternate within a rate, so a noisy minute hits all of them alike.
        let mut per_path: Vec<Vec<chat::ChatResult>> = vec![Vec::new(); paths.len()];
        for _ in 0..runs {
            for (i, &path) in paths.iter().enumerate() {
                let r =
                    chat_peers::run_once(path, binary, visitors, rate, secs, SERVER_CORE).await?;
                eprintln!(
                    "chat {path:?} {rate}/s: {} of {} delivered, p99 {:.0} µs (load {:.1})",
                    r.delivered, r.sent, r.latency.p99_us, r.load_average
                );
                per_path[i].push(r);
            }
        }
        for (path, rs) in paths.iter().zip(per_path) {
            rows.push((*path, rate, rs));
        }
    }
    rows.sort_by_key(|(p, rate, _)| (paths.iter().position(|x| x == p), *rate));
    chat::print(&rows, visitors, agents, secs);
    let best: Vec<_> = paths
        .iter()
        .map(|&p| json!({"path": p, "best": chat::best_rate(&rows, p).map(|(rate, got)| json!({"rate": rate, "achieved_per_sec": got}))}))
        .collect();
    let as_json: Vec<_> = rows
        .iter()
        .map(|(p, rate, rs)| json!({"path": p, "rate": rate, "runs": rs}))
        .collect();
    Ok(
        json!({"visitors": visitors, "agents": agents, "secs": secs, "sweep": as_json, "best_under_50ms_p99": best}),
    )
}
