//! Test support: a Python virtualenv with PyPI `smpp34` (made once under the target dir and
//! reused), and the `peers/smsc.py` SMSC run on a loopback port, its JSON-line events read back.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// Making the venv and installing smpp34 (one small wheel): generous for a slow mirror, but
/// bounded so a hung pip fails the run instead of stalling it.
const VENV_SETUP_TIMEOUT: Duration = Duration::from_secs(240);
/// The SMSC script prints "ready" once listening; Python start-up takes well under a second.
const PEER_READY_TIMEOUT: Duration = Duration::from_secs(15);
/// The smpp34 release the peer script was written against.
const SMPP34_REQUIREMENT: &str = "smpp34==1.5.0";

/// The venv's python, or `None` (after printing why) when Python, venv or smpp34 cannot be
/// had. With `CI=true` that is a failure instead.
pub fn python() -> Option<PathBuf> {
    init_tracing();
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(prepare_venv) {
        Ok(path) => Some(path.clone()),
        Err(reason) => {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true");
            assert!(!ci, "SMSC peer unavailable under CI: {reason}");
            // Straight to fd 2, once: libtest would swallow eprintln! from a passing test.
            static TOLD: std::sync::Once = std::sync::Once::new();
            TOLD.call_once(|| {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIP ringlink-sms SMSC peer tests: {reason} (needs python3 with venv and pip, and PyPI {SMPP34_REQUIREMENT}; set CI=true to make this a failure)"
                );
            });
            None
        }
    }
}

fn venv_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("ringlink-sms-smsc-venv")
}

fn prepare_venv() -> Result<PathBuf, String> {
    let dir = venv_dir();
    let python = dir.join("bin").join("python");
    if python.exists() && run(&python, &["-c", "import smpp34"]).is_ok() {
        return Ok(python);
    }
    // Build beside the final place and rename, so two test processes never share a half-made
    // venv (a venv's python finds its packages through pyvenv.cfg next to it, so it moves).
    let staging = dir.with_extension(format!("staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    if let Err(e) = build_venv(&staging) {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    if python.exists() && run(&python, &["-c", "import smpp34"]).is_ok() {
        // Another test process finished first: keep its venv, which may be in use.
        let _ = std::fs::remove_dir_all(&staging);
    } else {
        let _ = std::fs::remove_dir_all(&dir);
        if std::fs::rename(&staging, &dir).is_err() {
            let _ = std::fs::remove_dir_all(&staging);
        }
    }
    run(&python, &["-c", "import smpp34"]).map_err(|e| format!("smpp34 does not import ({e})"))?;
    Ok(python)
}

fn build_venv(staging: &Path) -> Result<(), String> {
    let staging_str = staging.to_str().ok_or("target dir path is not UTF-8")?;
    run(Path::new("python3"), &["-m", "venv", staging_str]).map_err(|e| {
        format!("python3 -m venv failed ({e}); on Debian: apt-get install -y python3-venv")
    })?;
    let pip = [
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        SMPP34_REQUIREMENT,
    ];
    run(&staging.join("bin").join("python"), &pip)
        .map_err(|e| format!("pip install {SMPP34_REQUIREMENT} failed ({e})"))
}

/// Runs a command to completion within [`VENV_SETUP_TIMEOUT`].
fn run(program: &Path, args: &[&str]) -> Result<(), String> {
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    let deadline = Instant::now() + VENV_SETUP_TIMEOUT;
    loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) if status.success() => return Ok(()),
            Some(status) => {
                let mut err = String::new();
                if let Some(mut stderr) = child.stderr.take() {
                    use std::io::Read;
                    let _ = stderr.read_to_string(&mut err);
                }
                let tail: String = err.lines().last().unwrap_or("").chars().take(300).collect();
                return Err(format!("{status}: {tail}"));
            }
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {VENV_SETUP_TIMEOUT:?}"));
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// Logs to the test output, filtered by `RUST_LOG` (nothing by default).
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// A free loopback port (bound and released; the peer binds it right after).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local addr").port()
}

/// A running `smsc.py`.
pub struct Smsc {
    child: Child,
    events: mpsc::UnboundedReceiver<Value>,
    pub port: u16,
}

impl Smsc {
    /// Starts the SMSC on `port` with extra script arguments and waits for "ready".
    pub async fn start(python: &Path, port: u16, args: &[&str]) -> Smsc {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/smsc.py");
        let mut child = Command::new(python)
            .arg(script)
            .arg("--port")
            .arg(port.to_string())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn smsc.py");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, events) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                match serde_json::from_str::<Value>(&line) {
                    Ok(value) => {
                        if tx.send(value).is_err() {
                            break;
                        }
                    }
                    Err(_) => eprintln!("smsc.py: {line}"),
                }
            }
        });
        let mut smsc = Smsc {
            child,
            events,
            port,
        };
        smsc.next("ready", PEER_READY_TIMEOUT).await;
        smsc
    }

    /// The next event of `kind`, skipping others; panics after `timeout`.
    pub async fn next(&mut self, kind: &str, timeout: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) if event["event"] == kind => return event,
                Ok(Some(_)) => continue,
                Ok(None) => panic!("smsc.py exited before a {kind:?} event"),
                Err(_) => panic!("no {kind:?} event from smsc.py within {timeout:?}"),
            }
        }
    }

    /// Events that have already arrived, without waiting.
    pub fn drain(&mut self) -> Vec<Value> {
        std::iter::from_fn(|| self.events.try_recv().ok()).collect()
    }

    /// Freezes (`true`) or thaws (`false`) the SMSC process: a hung SMSC whose TCP stays open.
    pub fn freeze(&self, frozen: bool) {
        let pid = self.child.id().expect("smsc.py running").to_string();
        let signal = if frozen { "-STOP" } else { "-CONT" };
        let status = std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {signal} {pid}");
    }

    /// Kills the SMSC process and waits for it to go.
    pub async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }
}

/// Decodes a hex string from the peer.
pub fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}
