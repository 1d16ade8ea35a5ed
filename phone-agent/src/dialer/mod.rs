//! Dialer backends behind one trait, the [`Reporter`] that turns their progress into call-state
//! updates, and [`place_call`], which makes sure every call ends in a final state (`ended` or
//! `failed`) whatever the backend did.
//!
//! - [`at`]: an AT-command modem on a serial port; [`at_codes`] reads its replies.
//! - [`modemmanager`]: ModemManager over D-Bus (Linux phones).
//! - [`command`]: a command template (`termux-telephony-call {number}`, `adb shell am start …`).
//! - [`dry_run`]: dials nothing; walks through the states for demos and tests.

pub mod at;
pub mod at_codes;
pub mod command;
pub mod dry_run;
pub mod modemmanager;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use ringlink_protocol::agent::CallUpdate;
use ringlink_protocol::call::CallState;
use ringlink_protocol::limits::MAX_DETAIL;
use ringlink_protocol::E164;
use tokio::sync::mpsc;

pub use at::AtDialer;
pub use command::CommandDialer;
pub use dry_run::DryRun;
pub use modemmanager::ModemManagerDialer;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A state with a detail for people ("BUSY", "handed to the phone's dialer").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub state: CallState,
    pub detail: Option<String>,
}

impl Progress {
    pub fn new(state: CallState, detail: Option<String>) -> Self {
        Self { state, detail }
    }
    pub fn ended(detail: Option<String>) -> Self {
        Self::new(CallState::Ended, detail)
    }
    pub fn failed(detail: impl Into<String>) -> Self {
        Self::new(CallState::Failed, Some(detail.into()))
    }
}

/// Why a backend could not go on. Reported as `failed` with this text as the detail.
#[derive(Debug, thiserror::Error)]
pub enum DialError {
    #[error("cannot open the modem at {device}: {source}")]
    OpenModem {
        device: String,
        #[source]
        source: tokio_serial::Error,
    },
    #[error("the modem connection broke: {0}")]
    Io(#[from] std::io::Error),
    #[error("the modem did not answer {command} within {} s", .after.as_secs())]
    NoReply { command: String, after: Duration },
    #[error("the modem refused {command}: {reply}")]
    Refused { command: String, reply: String },
    #[error("the call was not answered within {} s; hung up", .0.as_secs())]
    SetupTimeout(Duration),
    #[error("ModemManager: {0}")]
    DBus(#[from] zbus::Error),
    #[error("ModemManager: {0}")]
    DBusFdo(#[from] zbus::fdo::Error),
    #[error("ModemManager is not running on the bus ({0}); start it with `systemctl start ModemManager`")]
    NotRunning(String),
    #[error("ModemManager lists no modem with voice support; check `mmcli -L` and that the modem is enabled")]
    NoVoiceModem,
    #[error("ModemManager went away during the call")]
    BusClosed,
    #[error("cannot run '{program}': {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the dial command '{program}' did not finish within {} s; stopped it", .after.as_secs())]
    CommandTimeout { program: String, after: Duration },
}

/// Sends one call's states to the relay. States only move forward: repeats (a modem polled every
/// 500 ms says "ringing" many times), late arrivals (a D-Bus signal for "dialing" after the call
/// was seen active) and anything after a final state are dropped. Details are trimmed to the
/// protocol's limit.
pub struct Reporter {
    call_id: String,
    tx: mpsc::Sender<CallUpdate>,
    last: Option<CallState>,
}

impl Reporter {
    pub fn new(call_id: impl Into<String>, tx: mpsc::Sender<CallUpdate>) -> Self {
        Self {
            call_id: call_id.into(),
            tx,
            last: None,
        }
    }

    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// The last state reported, if any.
    pub fn last(&self) -> Option<CallState> {
        self.last
    }

    pub async fn report(&mut self, state: CallState, detail: Option<String>) {
        if let Some(last) = self.last {
            if last.is_final() || rank(state) <= rank(last) {
                return;
            }
        }
        self.last = Some(state);
        let detail = detail.map(|d| d.chars().take(MAX_DETAIL).collect::<String>());
        tracing::info!(call = %self.call_id, ?state, detail = detail.as_deref().unwrap_or(""), "call state");
        let update = CallUpdate {
            call_id: self.call_id.clone(),
            state,
            detail,
        };
        // The receiver lives as long as the agent; if it is gone the agent is stopping.
        let _ = self.tx.send(update).await;
    }

    pub async fn progress(&mut self, p: Progress) {
        self.report(p.state, p.detail).await
    }
}

/// Order of states in a call's life; final states share the last rank.
fn rank(state: CallState) -> u8 {
    match state {
        CallState::Sent => 0,
        CallState::Confirming => 1,
        CallState::Dialing => 2,
        CallState::Ringing => 3,
        CallState::Active => 4,
        CallState::Ended | CallState::Failed | CallState::Declined => 5,
    }
}

/// A way of placing a call on this handset.
pub trait Dialer: Send + Sync {
    /// The backend's name as sent in `hello`: `at`, `modemmanager`, `command` or `dry-run`.
    fn backend(&self) -> &'static str;

    /// Dials `number`, reporting `dialing`, `ringing` and `active` as the backend learns of
    /// them, and returns how the call ended (`ended` or `failed`). An error means the backend
    /// itself broke; [`place_call`] reports it as `failed`.
    fn dial<'a>(
        &'a self,
        number: &'a E164,
        reporter: &'a mut Reporter,
    ) -> BoxFuture<'a, Result<Progress, DialError>>;
}

/// Runs one call on `dialer` and always finishes with a final state.
pub async fn place_call(dialer: &dyn Dialer, number: &E164, reporter: &mut Reporter) {
    let end = match dialer.dial(number, reporter).await {
        Ok(p) if p.state.is_final() => p,
        Ok(p) => {
            tracing::error!(state = ?p.state, "backend returned a state that is not final");
            Progress::failed(format!("the {} backend stopped early", dialer.backend()))
        }
        Err(e) => {
            tracing::warn!(call = %reporter.call_id(), "dial failed: {e}");
            Progress::failed(e.to_string())
        }
    };
    reporter.progress(end).await;
}
