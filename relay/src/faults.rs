//! Fault hooks for tests, after Zed's collab test server: drop one socket abruptly, refuse
//! WebSocket upgrades for a while, fail the store's queries, refuse one widget file once. All
//! are off unless a test turns them on; each costs one atomic load (or an idle branch of a
//! socket's `select!`) on its path.
//! Timers are not advanced here: the relay runs on a multi-threaded runtime, where tokio's
//! paused clock is not available, so tests shorten the configured intervals instead.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

#[derive(Default)]
pub struct Faults {
    drop_widget: Notify,
    drop_agent: Notify,
    refuse_until: Mutex<Option<Instant>>,
}

impl Faults {
    /// Cuts one socket of `kind` (`widget` or `agent`) without a close frame, as a network
    /// loss would: the peer sees 1006. With no such socket open, the next one to listen goes.
    pub fn drop_one_socket(&self, kind: &str) {
        match kind {
            "agent" => self.drop_agent.notify_one(),
            _ => self.drop_widget.notify_one(),
        }
    }

    /// Resolves when a test cut one socket of `kind`.
    pub async fn socket_dropped(&self, kind: &str) {
        match kind {
            "agent" => self.drop_agent.notified().await,
            _ => self.drop_widget.notified().await,
        }
    }

    /// Every WebSocket upgrade is refused with 503 for `d`.
    pub fn refuse_upgrades_for(&self, d: Duration) {
        *self.refuse_until.lock().expect("faults lock") = Some(Instant::now() + d);
    }

    /// True while upgrades are being refused.
    pub fn refusing_upgrades(&self) -> bool {
        let mut until = self.refuse_until.lock().expect("faults lock");
        match *until {
            Some(t) if Instant::now() < t => true,
            Some(_) => {
                *until = None;
                false
            }
            None => false,
        }
    }
}

/// The variable that names a widget file to refuse once, for the end-to-end tests, which run
/// the relay binary: `RINGLINK_FAULT_REFUSE_WIDGET_FILE=split_dial.wasm`. Not a configuration
/// key (the configuration leaves `RINGLINK_*` names it does not know alone).
pub const REFUSE_WIDGET_FILE_VAR: &str = "RINGLINK_FAULT_REFUSE_WIDGET_FILE";

/// The file name to refuse, read once; `None` (the hook off) unless the variable is set.
static REFUSE_WIDGET_FILE: LazyLock<Option<String>> = LazyLock::new(|| {
    std::env::var(REFUSE_WIDGET_FILE_VAR)
        .ok()
        .filter(|n| !n.is_empty())
});
/// Set once the file was refused: the next request for it is served.
static WIDGET_FILE_REFUSED: AtomicBool = AtomicBool::new(false);

/// True (once per relay process) for the first request of the widget file named in
/// [`REFUSE_WIDGET_FILE_VAR`]: the relay answers it 503, as a fetch lost on the way would fail.
pub fn refuses_widget_file(path: &str) -> bool {
    let Some(name) = REFUSE_WIDGET_FILE.as_deref() else {
        return false;
    };
    path.rsplit('/').next() == Some(name) && !WIDGET_FILE_REFUSED.swap(true, Ordering::SeqCst)
}
