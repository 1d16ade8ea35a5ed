//! Test harness: SIPp peers as child processes on free loopback ports, and an agent routed to
//! them by prefix (member `+86138...`, merchant `+86755...`).
#![allow(dead_code)]

pub mod logs;

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ringlink_telephony::{
    CallControl, CallEnd, CallEvent, CallHandle, CallOrder, Lang, Route, SipAgent, TelephonyConfig,
    E164,
};
use tokio_util::sync::CancellationToken;

pub const MEMBER: &str = "+8613800138000";
pub const MERCHANT: &str = "+8675500000000";
/// SIPp's own guard: no test peer outlives this.
const SIPP_TIMEOUT: &str = "20s";
/// The longest a test waits for a call to end.
pub const CALL_LIMIT: Duration = Duration::from_secs(20);

/// True when SIPp is installed. Without it the SIPp tests skip, except under `CI=true`.
pub fn sipp_or_skip(test: &str) -> bool {
    let ok = Command::new("sipp")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !ok {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{test}: sipp is not installed (apt-get install -y sip-tester) and CI=true");
        }
        eprintln!(
            "SKIPPED {test}: sipp not found; install it with `apt-get install -y sip-tester`"
        );
    }
    ok
}

pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An even port with the next three also free (SIPp echo uses port and port+2).
pub fn free_media_port() -> u16 {
    for _ in 0..200 {
        let p = 40_000 + 2 * (rand::random::<u16>() % 9_000);
        let socks: Vec<_> = (0..4)
            .filter_map(|i| UdpSocket::bind(("127.0.0.1", p + i)).ok())
            .collect();
        if socks.len() == 4 {
            return p;
        }
    }
    panic!("no free media port");
}

fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sipp")
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// One SIPp UAS process; killed on drop.
pub struct Sipp {
    child: Option<Child>,
    pub port: u16,
    pub media_port: u16,
    pub logs: PathBuf,
    name: String,
}

impl Sipp {
    /// Starts `sipp -sf <scenario>` as a UAS on a free loopback port for one call.
    pub fn uas(scenario: &str, extra: &[&str]) -> Sipp {
        let port = free_udp_port();
        let media_port = free_media_port();
        let logs = std::env::temp_dir().join(format!(
            "ringlink-sipp-{}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed),
            scenario.trim_end_matches(".xml")
        ));
        std::fs::create_dir_all(&logs).unwrap();
        let log = |n: &str| logs.join(n).to_string_lossy().into_owned();
        let child = Command::new("sipp")
            .current_dir(scenario_dir())
            .args([
                "-sf",
                scenario,
                "-i",
                "127.0.0.1",
                "-mi",
                "127.0.0.1",
                "-m",
                "1",
                "-nostdin",
            ])
            .args(["-p", &port.to_string(), "-mp", &media_port.to_string()])
            .args(["-timeout", SIPP_TIMEOUT, "-timeout_error"])
            .args(["-trace_msg", "-message_file", &log("messages.log")])
            .args(["-trace_err", "-error_file", &log("errors.log")])
            .args(["-trace_screen", "-screen_file", &log("screen.log")])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(logs.join("stderr.log")).unwrap())
            .spawn()
            .expect("spawn sipp");
        // Give SIPp a moment to bind its port before the agent sends to it.
        std::thread::sleep(Duration::from_millis(300));
        Sipp {
            child: Some(child),
            port,
            media_port,
            logs,
            name: scenario.into(),
        }
    }

    pub fn target(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Waits for SIPp to finish its one call; panics with its logs unless it exited 0.
    pub async fn expect_success(mut self) {
        let status = self.wait(Duration::from_secs(25)).await;
        if !status.is_some_and(|s| s.success()) {
            panic!("sipp {} ended with {status:?}\n{}", self.name, self.dump());
        }
    }

    async fn wait(&mut self, limit: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        let child = self.child.as_mut()?;
        while start.elapsed() < limit {
            if let Some(s) = child.try_wait().ok()? {
                return Some(s);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    pub fn read_log(&self, name: &str) -> String {
        std::fs::read_to_string(self.logs.join(name)).unwrap_or_default()
    }

    pub fn dump(&self) -> String {
        let mut out = String::new();
        for f in ["stderr.log", "errors.log", "messages.log", "screen.log"] {
            let text = self.read_log(f);
            let tail: String = text
                .chars()
                .rev()
                .take(6000)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            out.push_str(&format!("--- {} {f} ---\n{tail}\n", self.name));
        }
        out
    }
}

impl Drop for Sipp {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Config routing the member and merchant prefixes to the two SIPp peers, with short timeouts.
pub fn config(member: &Sipp, merchant: &Sipp) -> TelephonyConfig {
    let base = 20_000 + 2 * (rand::random::<u16>() % 4_000);
    TelephonyConfig {
        sip_listen: "127.0.0.1:0".parse().unwrap(),
        rtp_port_min: base,
        rtp_port_max: base + 199,
        trunk: Some("127.0.0.1:9".into()),
        routes: vec![
            Route {
                prefix: "+86138".into(),
                target: member.target(),
            },
            Route {
                prefix: "+86755".into(),
                target: merchant.target(),
            },
        ],
        ring_timeout_secs: 3,
        answer_timeout_secs: 3,
        hangup_timeout_secs: 3,
        ..Default::default()
    }
}

pub async fn start(config: TelephonyConfig) -> (Arc<SipAgent>, CancellationToken) {
    let shutdown = CancellationToken::new();
    let agent = SipAgent::start(config, shutdown.clone())
        .await
        .expect("agent starts");
    (agent, shutdown)
}

pub fn order(id: &str) -> CallOrder {
    CallOrder {
        call_id: id.into(),
        member: E164::new(MEMBER).unwrap(),
        merchant: E164::new(MERCHANT).unwrap(),
        lang: Lang::En,
        max_duration: Duration::from_secs(60),
        payer_leg: ringlink_telephony::Leg::A,
    }
}

pub async fn place(agent: &Arc<SipAgent>, id: &str) -> CallHandle {
    agent.place(order(id)).await.expect("call placed")
}

/// Collects events until `Ended` (or panics after [`CALL_LIMIT`]).
pub async fn until_end(handle: &mut CallHandle) -> (Vec<CallEvent>, CallEnd) {
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + CALL_LIMIT;
    loop {
        let ev = tokio::time::timeout_at(deadline, handle.events.recv())
            .await
            .unwrap_or_else(|_| panic!("call did not end in time; events so far: {events:?}"))
            .expect("event stream ends with Ended");
        if let CallEvent::Ended(end) = ev {
            return (events, end);
        }
        events.push(ev);
    }
}

/// Waits for one event matching `pred`, returning the events seen before it.
pub async fn until(handle: &mut CallHandle, pred: impl Fn(&CallEvent) -> bool) -> Vec<CallEvent> {
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + CALL_LIMIT;
    loop {
        let ev = tokio::time::timeout_at(deadline, handle.events.recv())
            .await
            .unwrap_or_else(|_| panic!("event did not come; events so far: {events:?}"))
            .unwrap_or_else(|| panic!("call ended first; events: {events:?}"));
        let hit = pred(&ev);
        events.push(ev);
        if hit {
            return events;
        }
    }
}
