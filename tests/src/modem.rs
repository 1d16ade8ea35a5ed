//! A handset modem on a pseudo-terminal: `socat` makes the pty pair and runs
//! `tests/peers/at_modem.py` on the far end. This is a stand-in: no real modem can be attached to
//! this machine, so a small AT responder answers as one would.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::procs::{wait_until, Proc};

pub struct Modem {
    pub device: PathBuf,
    pub log: PathBuf,
    _proc: Proc,
}

impl Modem {
    /// Starts a modem answering calls per `scenario` (`answer`, `busy`, `no-answer`).
    pub fn start(dir: &std::path::Path, scenario: &str) -> Self {
        let device = dir.join("modem");
        let log = dir.join("modem.log");
        std::fs::write(&log, "").unwrap();
        let script = crate::workspace().join("tests/peers/at_modem.py");
        let exec = format!(
            "EXEC:python3 {} --log {} --scenario {scenario} --ring-secs 1 --talk-secs 2",
            script.display(),
            log.display()
        );
        let proc = Proc::spawn(
            "socat",
            Command::new("socat")
                .arg(format!("PTY,link={},raw,echo=0", device.display()))
                .arg(exec),
        );
        wait_until("the modem pty", Duration::from_secs(5), || {
            device.exists().then_some(())
        });
        Self {
            device,
            log,
            _proc: proc,
        }
    }

    /// Every AT command the modem received, in order.
    pub fn commands(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}
