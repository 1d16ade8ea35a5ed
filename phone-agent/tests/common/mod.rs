//! Helpers shared by the agent's tests: skipping when a peer program is missing (failing instead
//! under `CI=true`), the socat + `at_modem.py` modem, and collecting reported call states.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ringlink_agent::dialer::{place_call, Dialer, Reporter};
use ringlink_protocol::agent::CallUpdate;
use ringlink_protocol::call::CallState;
use ringlink_protocol::E164;
use tokio::sync::mpsc;

/// True when `program` is on PATH. When it is not: under `CI=true` the test fails, elsewhere it
/// prints why it is skipped and the caller returns.
pub fn require(program: &str, install: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
        .unwrap_or(false);
    if found {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{program} is required in CI: {install}");
    }
    eprintln!("SKIPPED: {program} is not installed ({install})");
    false
}

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

pub fn number() -> E164 {
    E164::new("+8613800138000").unwrap()
}

/// A stand-in handset modem: `socat` makes a pseudo-terminal and runs `tests/peers/at_modem.py`
/// on its far end, since no real modem can be attached to this machine.
pub struct FakeModem {
    pub device: PathBuf,
    pub log: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl FakeModem {
    pub fn start(scenario: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let device = dir.path().join("modem");
        let log = dir.path().join("modem.log");
        std::fs::write(&log, "").unwrap();
        let script = workspace().join("tests/peers/at_modem.py");
        let exec = format!(
            "EXEC:python3 {} --log {} --scenario {scenario} --ring-secs 0.5 --talk-secs 1",
            script.display(),
            log.display()
        );
        let child = Command::new("socat")
            .arg(format!("PTY,link={},raw,echo=0", device.display()))
            .arg(exec)
            .stdin(Stdio::null())
            .spawn()
            .expect("cannot start socat");
        let start = Instant::now();
        while !device.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "no modem pty after 5 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self {
            device,
            log,
            child,
            _dir: dir,
        }
    }

    /// Every command line the modem received, in order.
    pub fn commands(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for FakeModem {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Places one call on `dialer` and returns every state reported, in order.
pub async fn call_states(dialer: &dyn Dialer) -> Vec<(CallState, Option<String>)> {
    let (tx, mut rx) = mpsc::channel(64);
    let mut reporter = Reporter::new("call-1", tx);
    place_call(dialer, &number(), &mut reporter).await;
    drop(reporter);
    let mut states = Vec::new();
    while let Some(CallUpdate {
        call_id,
        state,
        detail,
    }) = rx.recv().await
    {
        assert_eq!(call_id, "call-1");
        states.push((state, detail));
    }
    states
}

pub fn states_only(states: &[(CallState, Option<String>)]) -> Vec<CallState> {
    states.iter().map(|(s, _)| *s).collect()
}
