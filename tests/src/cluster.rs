//! Several relay processes as deployed (deploy/): one fresh PostgreSQL database, one
//! nats-server, N `ringlink-relay serve` configured by environment only (each its own node id and
//! port), seeded with the `ringlink-relay admin` CLI, behind Debian's nginx running the sample
//! site file. A relay can be `kill -9`ed and started again; everything stops when dropped.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::nginx::Nginx;
use crate::procs::{free_port, wait_for_port, Proc};
use crate::{binary, on_path, require};

/// The seeded merchant site and the page origin its widget may sit on.
pub const SITE: &str = "site_test";
pub const SHOP_ORIGIN: &str = "http://shop.test";
/// The two seeded members and their password.
pub const ALICE: &str = "+8613800138000";
pub const BOB: &str = "+8613900139000";
pub const PASSWORD: &str = "correct horse";

/// A debug-build relay on a loaded 2-core machine migrates and serves within this.
const START_WITHIN: Duration = Duration::from_secs(30);
/// Heartbeat of the test relays: long enough that test clients need not ping during a test,
/// short enough that a socket cut without a close is noticed within a test's span.
const HEARTBEAT_SECS: &str = "10";

/// How the cluster is set up.
#[derive(Clone, Debug)]
pub struct Options {
    pub relays: usize,
    /// Give the relays `RINGLINK_PUBLIC_URL` = nginx's address, as deploy/ says. Without it a
    /// widget socket's `Origin` must match the `Host` it was sent to (the bench's clients).
    pub public_url: bool,
    /// More `RINGLINK_*` variables for every relay.
    pub env: Vec<(String, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            relays: 3,
            public_url: true,
            env: Vec::new(),
        }
    }
}

/// nats-server (Debian's package) on a free loopback port.
pub struct Nats {
    _proc: Proc,
    pub port: u16,
}

impl Nats {
    pub fn start() -> Self {
        let port = free_port();
        let mut cmd = Command::new("nats-server");
        cmd.args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let proc = Proc::spawn("nats-server", &mut cmd);
        wait_for_port(&format!("127.0.0.1:{port}"), Duration::from_secs(10));
        Self { _proc: proc, port }
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

/// One relay of the cluster: its name, port and (while running) process.
pub struct Node {
    pub node_id: String,
    pub port: u16,
    proc: Option<Proc>,
    log: PathBuf,
}

pub struct Cluster {
    pub nats: Nats,
    pub database_url: String,
    pub nodes: Vec<Node>,
    nginx: Option<Nginx>,
    options: Options,
    /// nginx's port, chosen before the relays start (their public URL names it).
    nginx_port: u16,
    pub dir: tempfile::TempDir,
}

/// Whether the peers a cluster needs are here; prints why not, and panics under `CI=true`.
pub fn peers_present() -> bool {
    require(
        "nats-server",
        on_path("nats-server"),
        "apt-get install nats-server",
    ) && require(
        "nginx",
        crate::nginx::binary().is_some(),
        "apt-get install nginx",
    ) && require("psql", on_path("psql"), "apt-get install postgresql-client")
        && require(
            "DATABASE_URL_PG",
            std::env::var("DATABASE_URL_PG").is_ok(),
            "run scripts/start-postgres.sh and export DATABASE_URL_PG",
        )
}

/// A new, empty database next to `DATABASE_URL_PG`'s; returns its URL.
pub fn fresh_database(server_url: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "rl_cluster_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let out = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", server_url, "-c"])
        .arg(format!("CREATE DATABASE {name}"))
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "CREATE DATABASE failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let base = server_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap_or(server_url);
    format!("{base}/{name}")
}

impl Cluster {
    /// Three relays, as the deployment files describe. `None` (with a printed reason) when a
    /// peer is missing outside CI.
    pub fn start() -> Option<Self> {
        Self::start_with(Options::default())
    }

    pub fn start_with(options: Options) -> Option<Self> {
        if !peers_present() {
            return None;
        }
        let started = Instant::now();
        let dir = tempfile::tempdir().unwrap();
        let database_url = fresh_database(&std::env::var("DATABASE_URL_PG").unwrap());
        let nats = Nats::start();
        let mut cluster = Self {
            nats,
            database_url,
            nodes: Vec::new(),
            nginx: None,
            nginx_port: free_port(),
            options: options.clone(),
            dir,
        };
        cluster.seed();
        let seeded = started.elapsed();
        for i in 0..options.relays {
            let node_id = format!("relay-{}", (b'a' + i as u8) as char);
            let log = cluster.dir.path().join(format!("{node_id}.log"));
            cluster.nodes.push(Node {
                node_id,
                port: free_port(),
                proc: None,
                log,
            });
        }
        // Start them all, then wait: the three migrate and warm up in parallel.
        for i in 0..cluster.nodes.len() {
            cluster.spawn_relay(i);
        }
        for i in 0..cluster.nodes.len() {
            cluster.wait_healthy(i);
        }
        let ports: Vec<u16> = cluster.nodes.iter().map(|n| n.port).collect();
        let nginx = Nginx::start_on(cluster.dir.path(), &ports, cluster.nginx_port);
        cluster.nginx = Some(nginx);
        let gate = cluster.nginx_addr();
        crate::procs::wait_until("health through nginx", START_WITHIN, || {
            (http_get(gate, "/healthz").map(|r| r.0) == Some(200)).then_some(())
        });
        eprintln!(
            "cluster of {} relays up in {:.1} s (seeded in {:.1} s)",
            options.relays,
            started.elapsed().as_secs_f64(),
            seeded.as_secs_f64()
        );
        Some(cluster)
    }

    /// The variables every relay gets (and the admin CLI, for the database).
    fn relay_env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("RINGLINK_DATABASE_URL".into(), self.database_url.clone()),
            ("RINGLINK_LIVE__NATS_URL".into(), self.nats.url()),
            (
                "RINGLINK_HTTP__TRUSTED_PROXIES".into(),
                "127.0.0.1/32".into(),
            ),
            ("RINGLINK_HEARTBEAT_SECS".into(), HEARTBEAT_SECS.into()),
            (
                "RINGLINK_DATA_DIR".into(),
                self.dir.path().display().to_string(),
            ),
            ("RUST_LOG".into(), "info".into()),
        ];
        if self.options.public_url {
            env.push(("RINGLINK_PUBLIC_URL".into(), self.nginx_url()));
        }
        env.extend(self.options.env.iter().cloned());
        env
    }

    /// `ringlink-relay admin ARGS` on the cluster's database; returns stdout.
    pub fn admin(&self, args: &[&str], stdin: Option<&str>) -> String {
        let mut cmd = Command::new(binary("ringlink-relay"));
        cmd.arg("admin").args(args).envs(self.relay_env());
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run ringlink-relay admin");
        if let Some(text) = stdin {
            writeln!(child.stdin.take().unwrap(), "{text}").unwrap();
        }
        drop(child.stdin.take());
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "ringlink-relay admin {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The site and the two members, with the operator's CLI.
    fn seed(&self) {
        let site = [
            "site",
            "create",
            "--name",
            "Test shop",
            "--key",
            SITE,
            "--origin",
            SHOP_ORIGIN,
        ];
        // The schema first (each CLI run would migrate), then the three records at once.
        self.admin(&["site", "list"], None);
        std::thread::scope(|s| {
            s.spawn(|| self.admin(&site, None));
            for number in [ALICE, BOB] {
                s.spawn(move || {
                    self.admin(&["member", "create", "--number", number], Some(PASSWORD))
                });
            }
        });
    }

    fn spawn_relay(&mut self, i: usize) {
        let env = self.relay_env();
        let node = &mut self.nodes[i];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log)
            .unwrap();
        let mut cmd = Command::new(binary("ringlink-relay"));
        cmd.arg("serve")
            .envs(env)
            .env("RINGLINK_LISTEN", format!("127.0.0.1:{}", node.port))
            .env("RINGLINK_LIVE__NODE_ID", &node.node_id)
            .stdout(Stdio::null())
            .stderr(log);
        node.proc = Some(Proc::spawn(&node.node_id, &mut cmd));
    }

    fn wait_healthy(&mut self, i: usize) {
        let addr = self.relay_addr(i);
        let start = Instant::now();
        loop {
            if http_get(addr, "/healthz").map(|r| r.0) == Some(200) {
                return;
            }
            let node = &mut self.nodes[i];
            if let Some(p) = node.proc.as_mut() {
                if !p.is_running() {
                    panic!(
                        "{} exited during start-up:\n{}",
                        node.node_id,
                        tail(&node.log)
                    );
                }
            }
            if start.elapsed() > START_WITHIN {
                panic!(
                    "{} not healthy within {START_WITHIN:?}:\n{}",
                    node.node_id,
                    tail(&node.log)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `kill -9` relay `i` and reap it; returns the moment it was killed.
    pub fn kill(&mut self, i: usize) -> Instant {
        let mut proc = self.nodes[i].proc.take().expect("relay is running");
        let at = Instant::now();
        proc.child.kill().expect("SIGKILL the relay");
        let _ = proc.child.wait();
        at
    }

    /// Starts relay `i` again on its port and node id; returns once it is healthy.
    pub fn restart(&mut self, i: usize) {
        assert!(self.nodes[i].proc.is_none(), "relay {i} is still running");
        self.spawn_relay(i);
        self.wait_healthy(i);
    }

    /// Relay `i`'s process id while it runs (the bench reads its CPU time).
    pub fn pid(&self, i: usize) -> Option<u32> {
        self.nodes[i].proc.as_ref().map(|p| p.child.id())
    }

    pub fn is_running(&mut self, i: usize) -> bool {
        self.nodes[i].proc.as_mut().is_some_and(Proc::is_running)
    }

    pub fn relay_addr(&self, i: usize) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.nodes[i].port))
    }

    /// Relay `i`'s own URL, bypassing nginx.
    pub fn relay_url(&self, i: usize) -> String {
        format!("http://{}", self.relay_addr(i))
    }

    pub fn nginx_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.nginx_port))
    }

    /// nginx's URL: the cluster's public address.
    pub fn nginx_url(&self) -> String {
        format!("http://{}", self.nginx_addr())
    }

    /// The origin the relays' frame page has, which widget sockets must send: nginx's with a
    /// public URL, else the host the socket is opened to.
    pub fn widget_origin(&self, addr: SocketAddr) -> String {
        if self.options.public_url {
            self.nginx_url()
        } else {
            format!("http://{addr}")
        }
    }

    /// The last lines relay `i` logged (for a failing test's message).
    pub fn log_tail(&self, i: usize) -> String {
        tail(&self.nodes[i].log)
    }

    /// A value of `name` (with labels, as exposed: `ringlink_ws_connections{kind="agent"}`)
    /// in relay `i`'s `/metrics`.
    pub fn metric(&self, i: usize, name: &str) -> Option<f64> {
        let (status, body) = http_get(self.relay_addr(i), "/metrics")?;
        if status != 200 {
            return None;
        }
        body.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
    }

    /// `ringlink-agent login` through `relay_url` as `number`; returns the credentials file.
    pub fn agent_login(&self, relay_url: &str, number: &str, name: &str) -> PathBuf {
        let creds = self.dir.path().join(format!(
            "agent-{}-{}.json",
            name.replace(' ', "-"),
            free_port()
        ));
        let mut login = Command::new(binary("ringlink-agent"))
            .arg("--credentials")
            .arg(&creds)
            .args(["login", "--relay", relay_url, "--number", number])
            .args(["--name", name, "--password-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run ringlink-agent login");
        writeln!(login.stdin.take().unwrap(), "{PASSWORD}").unwrap();
        let out = login.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "ringlink-agent login failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        creds
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for node in &self.nodes {
                eprintln!(
                    "--- {} log (last lines) ---\n{}",
                    node.node_id,
                    tail(&node.log)
                );
            }
        }
    }
}

/// What `ringlink-agent login` stored: the device id and its bearer token.
pub fn device_of(creds: &Path) -> (String, String) {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(creds).unwrap()).unwrap();
    (
        v["device"].as_str().unwrap().to_owned(),
        v["device_token"].as_str().unwrap().to_owned(),
    )
}

/// A running `ringlink-agent run --backend dry-run`, its log lines stamped as they arrive.
pub struct AgentProc {
    _proc: Proc,
    lines: Arc<Mutex<Vec<(Instant, String)>>>,
}

/// The agent's log line once the relay welcomed it (phone-agent/src/session.rs).
pub const AGENT_CONNECTED: &str = "connected to the relay; waiting for dial orders";

impl AgentProc {
    pub fn start(creds: &Path) -> Self {
        let mut cmd = Command::new(binary("ringlink-agent"));
        cmd.arg("--credentials")
            .arg(creds)
            .args(["run", "--backend", "dry-run"])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut proc = Proc::spawn("ringlink-agent", &mut cmd);
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let err = proc.child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push((Instant::now(), line));
            }
        });
        Self { _proc: proc, lines }
    }

    /// When the agent logged its `n`-th welcome (1-based), if it has.
    pub fn connected(&self, n: usize) -> Option<Instant> {
        let lines = self.lines.lock().unwrap();
        lines
            .iter()
            .filter(|(_, l)| l.contains(AGENT_CONNECTED))
            .nth(n - 1)
            .map(|(t, _)| *t)
    }

    /// Everything the agent logged so far.
    pub fn log(&self) -> String {
        let lines = self.lines.lock().unwrap();
        lines
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// One blocking `GET path` over HTTP/1.0: status and body, or `None` when nothing answered.
pub fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut reply = String::new();
    s.read_to_string(&mut reply).ok()?;
    let status = reply.split(' ').nth(1)?.parse().ok()?;
    let body = reply
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

/// The last 40 lines of a log file.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
