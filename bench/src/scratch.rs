//! What the benchmark leaves nowhere: scratch directories removed when dropped, children that
//! die with it, and its own executable for starting its server subcommands.

use std::path::PathBuf;

use anyhow::Result;

/// A scratch directory removed when dropped.
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn tempdir() -> Result<Scratch> {
    let dir = std::env::temp_dir().join(format!(
        "ringlink-bench-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(Scratch(dir))
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Makes a child started with `cmd` die with the benchmark (a killed run leaves no relay or
/// forwarder behind on its pinned core).
pub fn die_with_parent(cmd: &mut std::process::Command) -> &mut std::process::Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        })
    }
}

/// This program, for starting its own server subcommands (through `taskset`, so not
/// `/proc/self/exe`): `/proc/<pid>/exe` still runs when a rebuild has replaced the file on disk
/// mid-run (the shared target directory).
pub fn self_exe() -> PathBuf {
    PathBuf::from(format!("/proc/{}/exe", std::process::id()))
}
