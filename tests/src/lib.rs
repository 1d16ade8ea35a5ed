//! End-to-end harness: starts the real binaries (relay, demo shop, phone agent) and real peers
//! (Chromium over WebDriver, a socat pseudo-terminal modem, SIPp phones), each killed when dropped. A peer
//! that is missing skips the test with a printed reason, except under `CI=true`, where it fails.
//! `cluster` runs several relays as deployed (PostgreSQL, nats-server, Debian's nginx in front),
//! `live_client` speaks the widget and agent protocol to them, `failover` times a `kill -9`,
//! `chat_flow` drives whole chats with visitors in the widget and agents in the console.

pub mod axe;
pub mod browser;
pub mod chat_flow;
pub mod cluster;
pub mod console;
pub mod failover;
pub mod live_client;
pub mod modem;
pub mod nginx;
pub mod procs;
pub mod shop;
pub mod sipp;
pub mod weight;

use std::path::PathBuf;

/// Whether a missing peer fails the test (CI) or skips it (a developer's machine).
pub fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Returns false (after printing why) when the test should be skipped; panics in CI.
pub fn require(what: &str, present: bool, how: &str) -> bool {
    if present {
        return true;
    }
    let msg = format!("{what} is missing: {how}");
    if in_ci() {
        panic!("CI=true and {msg}");
    }
    eprintln!("skipped: {msg}");
    false
}

/// True when `program` is on PATH (or is an existing path).
pub fn on_path(program: &str) -> bool {
    which(program).is_some()
}

pub fn which(program: &str) -> Option<PathBuf> {
    let p = PathBuf::from(program);
    if p.is_absolute() {
        return p.exists().then_some(p);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(program))
            .find(|f| f.is_file())
    })
}

/// The workspace root (this crate lives in `tests/`).
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// A binary of the workspace, built by `cargo build --workspace --bins` into the same target
/// directory as this test.
/// `RINGLINK_BIN_DIR` names another folder (the bench runs the release binaries).
pub fn binary(name: &str) -> PathBuf {
    let dir = match std::env::var_os("RINGLINK_BIN_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let exe = std::env::current_exe().expect("test executable path");
            exe.parent()
                .and_then(|d| d.parent())
                .expect("target dir")
                .to_path_buf()
        }
    };
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo build --workspace --bins` first (scripts/test.sh does)",
        path.display()
    );
    path
}
