//! The chat scenario's servers and their clients: the relay seeded with a site and its staff
//! accounts (consoles signed in, visitors' conversations opened and routed before the clock
//! starts), the socket.io room server (`bench/peers/socketio-chat.js`, pinned like the relay),
//! and the plain forwarder with visitor `v` → agent `v / 3`.

use std::net::SocketAddr;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use ringlink_protocol::chat::{ChatOpen, ChatSend};
use ringlink_protocol::console::{ConsoleMsg, RelayToConsole, StaffRole, StaffSignIn};
use ringlink_protocol::secret::Secret;
use ringlink_protocol::widget::{RelayToWidget, WidgetMsg};
use ringlink_protocol::{encode, Envelope};
use ringlink_relay::chat::store::staff::NewStaff;
use ringlink_relay::store::Store;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

use crate::chat::{ChatResult, Path};
use crate::conns::{connect, Ws};
use crate::relay_proc::{RelayProc, ORIGIN, SITE};

/// Visitor conversations an agent serves at once: the relay's default capacity.
pub const PER_AGENT: usize = 3;
pub const PASSWORD: &str = "bench-staff-password";
/// Connections being set up at once.
const SETUP_GATE: usize = 50;
/// Staff sign-ins at once: the relay's password gate queues 32 and refuses more ("busy").
const SIGN_IN_GATE: usize = 16;

/// Where `scripts/setup.sh test` installs socket.io (`RINGLINK_NPM_DIR` overrides).
pub fn npm_dir() -> PathBuf {
    if let Ok(d) = std::env::var("RINGLINK_NPM_DIR") {
        return PathBuf::from(d);
    }
    let cache = std::env::var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache")
        });
    cache.join("ringlink-npm")
}

/// Why socket.io cannot run here, if it cannot.
pub fn socketio_missing() -> Option<String> {
    let module = npm_dir().join("node_modules/socket.io/package.json");
    if !module.exists() {
        return Some(format!(
            "{} is missing: run scripts/setup.sh test",
            module.display()
        ));
    }
    let node = std::process::Command::new("node").arg("--version").output();
    (!node.is_ok_and(|o| o.status.success())).then(|| "node is not installed".into())
}

/// One path at one rate on a fresh server: set up, connect, drive.
pub async fn run_once(
    path: Path,
    relay_bin: &FsPath,
    visitors: usize,
    rate: u32,
    secs: u64,
    core: usize,
) -> Result<ChatResult> {
    let agents = visitors.div_ceil(PER_AGENT);
    match path {
        Path::Relay => {
            let dir = crate::tempdir()?;
            seed(&dir, agents).await?;
            let relay = RelayProc::start(relay_bin, &dir, core)?;
            let consoles = connect_all(agents, SIGN_IN_GATE, |i| console(relay.addr, i)).await?;
            let widgets =
                connect_all(visitors, SETUP_GATE, |v| visitor(relay.addr, agents + v)).await?;
            let consoles = settle(consoles).await?;
            crate::chat::drive(path, widgets, consoles, relay.pid(), rate, secs).await
        }
        Path::SocketIo => {
            let server = SocketIoProc::start(core)?;
            let addr = server.addr;
            let a = connect_all(agents, SETUP_GATE, |i| socketio(addr, "agent", i, i)).await?;
            let w = connect_all(visitors, SETUP_GATE, |v| {
                socketio(addr, "visitor", v / PER_AGENT, agents + v)
            })
            .await?;
            tokio::time::sleep(Duration::from_millis(200)).await;
            crate::chat::drive(path, w, a, server.child.id(), rate, secs).await
        }
        Path::Floor => {
            let floor = crate::floor::FloorProc::start(core)?;
            let addr = floor.addr;
            let url = move |who: &str, n: usize| format!("ws://{addr}/{who}/{n}");
            let a = connect_all(agents, SETUP_GATE, |i| {
                let u = url("a", i);
                async move { connect(addr, &u, &[], i).await }
            })
            .await?;
            let w = connect_all(visitors, SETUP_GATE, |v| {
                let u = url("w", v / PER_AGENT);
                async move { connect(addr, &u, &[], agents + v).await }
            })
            .await?;
            tokio::time::sleep(Duration::from_millis(200)).await;
            crate::chat::drive(path, w, a, floor.pid(), rate, secs).await
        }
    }
}

/// Reads every console until it has been quiet for a second: each routed conversation pushes
/// the agent who took it to every console of the site (`assign::push_colleague`; before
/// a635b4c, the whole staff list), so setting up V conversations over A agents queues V × A
/// pushes, which must not land in the run.
async fn settle(consoles: Vec<Ws>) -> Result<Vec<Ws>> {
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(consoles.len());
    for mut ws in consoles {
        tasks.push(tokio::spawn(async move {
            let (mut frames, mut bytes) = (0u64, 0u64);
            while let Ok(m) = tokio::time::timeout(Duration::from_secs(1), ws.next()).await {
                match m {
                    Some(Ok(m)) => {
                        frames += 1;
                        bytes += m.len() as u64;
                    }
                    _ => anyhow::bail!("a console closed while settling"),
                }
            }
            Ok((ws, frames, bytes))
        }));
    }
    let (mut out, mut frames, mut bytes) = (Vec::with_capacity(tasks.len()), 0, 0);
    for t in tasks {
        let (ws, f, b) = t.await??;
        out.push(ws);
        frames += f;
        bytes += b;
    }
    eprintln!(
        "chat: consoles settled in {:.1} s after {frames} set-up pushes ({:.1} MB)",
        started.elapsed().as_secs_f64(),
        bytes as f64 / 1e6
    );
    Ok(out)
}

/// `n` connections made by `make(i)`, at most `at_once` at a time, in order.
async fn connect_all<F, Fut>(n: usize, at_once: usize, make: F) -> Result<Vec<Ws>>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<Ws>> + Send + 'static,
{
    let gate = Arc::new(Semaphore::new(at_once));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let permit = gate.clone().acquire_owned().await?;
        let fut = make(i);
        tasks.push(tokio::spawn(async move {
            let ws = fut.await;
            drop(permit);
            ws
        }));
    }
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await??);
    }
    Ok(out)
}

/// The bench site with `agents` staff accounts (one password hash for all) and chat settings
/// that keep every conversation with its first agent for the whole run.
async fn seed(dir: &FsPath, agents: usize) -> Result<()> {
    let store = Store::open(&format!("sqlite://{}/ringlink.db", dir.display())).await?;
    store.migrate().await?;
    let site =
        ringlink_relay::admin::create_site(&store, "Bench", Some(SITE), &[ORIGIN.into()]).await?;
    store
        .put_chat_settings(
            site.id,
            &format!(r#"{{"capacity":{PER_AGENT},"no_reply_secs":86400,"grace_secs":86400}}"#),
        )
        .await?;
    let hash = ringlink_relay::accounts::hash_password(&Secret::new(PASSWORD)).await?;
    for i in 0..agents {
        let (account, name) = (format!("agent{i}"), format!("Agent {i}"));
        store
            .create_staff(&NewStaff {
                site_id: site.id,
                account: &account,
                password_hash: &hash,
                name: &name,
                number: None,
                role: StaffRole::Agent,
                sms_offline: false,
            })
            .await?;
    }
    crate::relay_proc::checkpoint_and_close(store).await
}

async fn next_text(ws: &mut Ws, what: &str) -> Result<String> {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return Ok(t.to_string()),
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => return Err(e.into()),
            Ok(None) => bail!("{what}: closed"),
            Err(_) => bail!("{what}: no answer within 30 s"),
        }
    }
}

/// A relay socket the way the relay's own pages open it: `Origin` the relay's own.
async fn relay_socket(addr: SocketAddr, url: &str, i: usize) -> Result<Ws> {
    connect(
        addr,
        url,
        &[
            ("origin", format!("http://{addr}")),
            ("sec-websocket-protocol", "ringlink.v1".into()),
        ],
        i,
    )
    .await
}

/// Agent `i`'s console, signed in (normal: routing gives it visitors).
pub async fn console(addr: SocketAddr, i: usize) -> Result<Ws> {
    let mut ws = relay_socket(addr, &format!("ws://{addr}/v1/console/ws"), i).await?;
    let sign_in = ConsoleMsg::StaffSignIn(StaffSignIn {
        site: SITE.into(),
        account: format!("agent{i}"),
        password: Secret::new(PASSWORD),
    });
    for _ in 0..30 {
        let frame = encode(&Envelope::request(1, sign_in.clone()));
        ws.send(Message::Text(frame.into())).await?;
        loop {
            let env: Envelope<RelayToConsole> =
                serde_json::from_str(&next_text(&mut ws, "staff sign-in").await?)?;
            match env.msg {
                RelayToConsole::StaffSignedIn(_) => return Ok(ws),
                // The password gate is full: wait as told and ask again.
                RelayToConsole::Error(e) if e.retry_after.is_some() => {
                    let secs = e.retry_after.unwrap_or(1);
                    tokio::time::sleep(Duration::from_secs(secs)).await;
                    break;
                }
                RelayToConsole::Error(e) => bail!("agent{i} not signed in: {}", e.message),
                _ => {}
            }
        }
    }
    bail!("agent{i} not signed in: the relay stayed busy")
}

/// A visitor with the chat open whose first line was stored (so the conversation is routed to
/// an agent before the clock starts); `i` picks the source address.
async fn visitor(addr: SocketAddr, i: usize) -> Result<Ws> {
    let url = format!("ws://{addr}/v1/widget/ws?site={SITE}&parent={ORIGIN}");
    let mut ws = relay_socket(addr, &url, i).await?;
    for (id, msg) in [
        (1, WidgetMsg::ChatOpen(ChatOpen::default())),
        (
            2,
            WidgetMsg::ChatSend(ChatSend {
                text: "hello".into(),
                client_id: "first".into(),
                attachment: None,
            }),
        ),
    ] {
        ws.send(Message::Text(encode(&Envelope::request(id, msg)).into()))
            .await?;
        loop {
            let env: Envelope<RelayToWidget> =
                serde_json::from_str(&next_text(&mut ws, "chat open").await?)?;
            match env.msg {
                RelayToWidget::Error(e) => bail!("visitor {i}: {}", e.message),
                _ if env.re == Some(id) => break,
                _ => {}
            }
        }
    }
    Ok(ws)
}

/// A socket.io client in `room` as `role`, past engine.io's open and socket.io's connect.
async fn socketio(addr: SocketAddr, role: &str, room: usize, i: usize) -> Result<Ws> {
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket&role={role}&room={room}");
    let mut ws = connect(addr, &url, &[], i).await?;
    let open = next_text(&mut ws, "engine.io open").await?;
    anyhow::ensure!(open.starts_with('0'), "engine.io open expected, got {open}");
    ws.send(Message::Text("40".into())).await?;
    let connected = next_text(&mut ws, "socket.io connect").await?;
    anyhow::ensure!(
        connected.starts_with("40"),
        "socket.io connect expected, got {connected}"
    );
    Ok(ws)
}

/// `node bench/peers/socketio-chat.js` pinned to a core; killed when dropped.
pub struct SocketIoProc {
    pub child: std::process::Child,
    pub addr: SocketAddr,
}

impl SocketIoProc {
    /// Started on a free port (tried three times: a port picked free can be taken meanwhile).
    pub fn start(core: usize) -> Result<Self> {
        let mut last = None;
        for _ in 0..3 {
            match Self::start_once(core) {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("tried"))
    }

    fn start_once(core: usize) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/socketio-chat.js");
        let mut cmd = std::process::Command::new("taskset");
        crate::die_with_parent(&mut cmd);
        let child = cmd
            .args(["-c", &core.to_string(), "node"])
            .arg(&script)
            .arg(port.to_string())
            .env("NODE_PATH", npm_dir().join("node_modules"))
            .env("NODE_ENV", "production")
            .stdout(std::process::Stdio::null())
            .spawn()
            .context("starting the socket.io peer (node)")?;
        let mut server = Self { child, addr };
        let started = Instant::now();
        while std::net::TcpStream::connect(addr).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                bail!("the socket.io peer exited during start-up: {status}");
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(10),
                "the socket.io peer did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }
}

impl Drop for SocketIoProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
