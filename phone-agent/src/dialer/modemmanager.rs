//! ModemManager over D-Bus, as on Linux phones (PinePhone, Librem 5): find the first modem with
//! voice support, `Modem.Voice.CreateCall({"number"})`, `Call.Start()`, then follow the call's
//! `StateChanged` signal.
//!
//! | MMCallState                 | state                                              |
//! |-----------------------------|----------------------------------------------------|
//! | 1 dialing                   | dialing                                            |
//! | 2 ringing-out               | ringing                                            |
//! | 4 active (5 held)           | active                                             |
//! | 7 terminated                | ended if it was active, else failed; detail names the MMCallStateReason |
//! | not active within 120 s     | failed, and the agent hangs up                     |

use std::collections::HashMap;
use std::time::Duration;

use futures_util::StreamExt;
use ringlink_protocol::call::CallState;
use ringlink_protocol::E164;
use zbus::proxy::CacheProperties;
use zbus::zvariant::{OwnedObjectPath, Value};
use zbus::Connection;

use super::{BoxFuture, DialError, Dialer, Progress, Reporter};

/// Environment variable naming the bus to use instead of the system bus (tests, containers).
pub const BUS_ENV: &str = "RINGLINK_DBUS_ADDRESS";
pub const SERVICE: &str = "org.freedesktop.ModemManager1";
pub const ROOT_PATH: &str = "/org/freedesktop/ModemManager1";
pub const VOICE_INTERFACE: &str = "org.freedesktop.ModemManager1.Modem.Voice";
/// From `Start` to an answer; as for AT modems, past this the call is dead.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(120);

// MMCallState values (ModemManager-enums.h).
pub const MM_CALL_STATE_DIALING: i32 = 1;
pub const MM_CALL_STATE_RINGING_OUT: i32 = 2;
pub const MM_CALL_STATE_ACTIVE: i32 = 4;
pub const MM_CALL_STATE_HELD: i32 = 5;
pub const MM_CALL_STATE_TERMINATED: i32 = 7;

#[zbus::proxy(
    interface = "org.freedesktop.ModemManager1.Modem.Voice",
    default_service = "org.freedesktop.ModemManager1"
)]
trait Voice {
    fn create_call(&self, properties: HashMap<&str, Value<'_>>) -> zbus::Result<OwnedObjectPath>;
    fn delete_call(&self, path: &zbus::zvariant::ObjectPath<'_>) -> zbus::Result<()>;
}

#[zbus::proxy(
    interface = "org.freedesktop.ModemManager1.Call",
    default_service = "org.freedesktop.ModemManager1"
)]
trait Call {
    fn start(&self) -> zbus::Result<()>;
    fn hangup(&self) -> zbus::Result<()>;
    /// `StateChanged`; named apart from the `State` property's own change stream.
    #[zbus(signal, name = "StateChanged")]
    fn call_state_changed(&self, old_state: i32, new_state: i32, reason: u32) -> zbus::Result<()>;
    #[zbus(property)]
    fn state(&self) -> zbus::Result<i32>;
    #[zbus(property)]
    fn state_reason(&self) -> zbus::Result<i32>;
}

/// Which bus ModemManager is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bus {
    System,
    /// A D-Bus address such as `unix:path=/tmp/bus`.
    Address(String),
}

impl Bus {
    /// The system bus, unless [`BUS_ENV`] names another.
    pub fn from_env() -> Self {
        match std::env::var(BUS_ENV) {
            Ok(a) if !a.trim().is_empty() => Bus::Address(a),
            _ => Bus::System,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ModemManagerDialer {
    bus: Bus,
    setup_timeout: Duration,
}

impl ModemManagerDialer {
    pub fn new(bus: Bus) -> Self {
        Self {
            bus,
            setup_timeout: SETUP_TIMEOUT,
        }
    }

    /// How long a call may take to be answered (default [`SETUP_TIMEOUT`]).
    pub fn with_setup_timeout(mut self, limit: Duration) -> Self {
        self.setup_timeout = limit;
        self
    }

    async fn connect(&self) -> zbus::Result<Connection> {
        match &self.bus {
            Bus::System => Connection::system().await,
            Bus::Address(a) => {
                zbus::connection::Builder::address(a.as_str())?
                    .build()
                    .await
            }
        }
    }

    async fn run(&self, number: &E164, reporter: &mut Reporter) -> Result<Progress, DialError> {
        let conn = self.connect().await?;
        let modem = find_voice_modem(&conn).await?;
        tracing::info!(modem = %modem.as_str(), "dialling through ModemManager");
        let voice = VoiceProxy::builder(&conn).path(modem)?.build().await?;
        let props = HashMap::from([("number", Value::from(number.as_str()))]);
        let path = voice.create_call(props).await?;
        let call = CallProxy::builder(&conn)
            .path(path.clone())?
            .cache_properties(CacheProperties::No)
            .build()
            .await?;
        // Subscribe before starting, so no state change is missed.
        let mut changes = call.receive_call_state_changed().await?;
        call.start().await?;
        let mut follow = Follow::default();
        let mut result = None;
        let initial = call.state().await?;
        if initial == MM_CALL_STATE_TERMINATED {
            let reason = call.state_reason().await.unwrap_or(0);
            result = Some(Ok(follow.terminated(reason.max(0) as u32)));
        } else if let Some(state) = follow.step(initial) {
            reporter.report(state, None).await;
        }
        let deadline = tokio::time::Instant::now() + self.setup_timeout;
        while result.is_none() {
            let next = if follow.active {
                changes.next().await
            } else {
                match tokio::time::timeout_at(deadline, changes.next()).await {
                    Ok(next) => next,
                    Err(_) => {
                        result = Some(Err(DialError::SetupTimeout(self.setup_timeout)));
                        break;
                    }
                }
            };
            let Some(signal) = next else {
                result = Some(Err(DialError::BusClosed));
                break;
            };
            let args = signal.args()?;
            if args.new_state == MM_CALL_STATE_TERMINATED {
                result = Some(Ok(follow.terminated(args.reason)));
            } else if let Some(state) = follow.step(args.new_state) {
                reporter.report(state, None).await;
            }
        }
        let result = result.expect("the loop ends with a result");
        if result.is_err() {
            if let Err(e) = call.hangup().await {
                tracing::warn!("could not hang up: {e}");
            }
        }
        if let Err(e) = voice.delete_call(&path.as_ref()).await {
            tracing::debug!("could not delete the finished call object: {e}");
        }
        result
    }
}

impl Dialer for ModemManagerDialer {
    fn backend(&self) -> &'static str {
        "modemmanager"
    }

    fn dial<'a>(
        &'a self,
        number: &'a E164,
        reporter: &'a mut Reporter,
    ) -> BoxFuture<'a, Result<Progress, DialError>> {
        Box::pin(self.run(number, reporter))
    }
}

/// Where a call stands while its states arrive.
#[derive(Default)]
struct Follow {
    active: bool,
}

impl Follow {
    /// The state to report for a non-final MMCallState, if any.
    fn step(&mut self, mm_state: i32) -> Option<CallState> {
        match mm_state {
            MM_CALL_STATE_DIALING => Some(CallState::Dialing),
            MM_CALL_STATE_RINGING_OUT => Some(CallState::Ringing),
            MM_CALL_STATE_ACTIVE | MM_CALL_STATE_HELD => {
                self.active = true;
                Some(CallState::Active)
            }
            _ => None,
        }
    }

    fn terminated(&self, reason: u32) -> Progress {
        let why = reason_text(reason);
        if self.active {
            Progress::ended(Some(format!("call ended ({why})")))
        } else {
            Progress::failed(format!("call not connected ({why})"))
        }
    }
}

/// MMCallStateReason in words.
pub fn reason_text(reason: u32) -> &'static str {
    match reason {
        1 => "outgoing started",
        2 => "incoming new",
        3 => "accepted",
        4 => "terminated",
        5 => "refused or busy",
        6 => "error",
        7 => "audio setup failed",
        8 => "transferred",
        9 => "deflected",
        _ => "unknown reason",
    }
}

/// The first modem (by object path) that offers the Voice interface.
async fn find_voice_modem(conn: &Connection) -> Result<OwnedObjectPath, DialError> {
    let manager = zbus::fdo::ObjectManagerProxy::builder(conn)
        .destination(SERVICE)?
        .path(ROOT_PATH)?
        .build()
        .await?;
    let objects = match manager.get_managed_objects().await {
        Ok(objects) => objects,
        Err(zbus::fdo::Error::ServiceUnknown(m) | zbus::fdo::Error::NameHasNoOwner(m)) => {
            return Err(DialError::NotRunning(m))
        }
        Err(e) => return Err(e.into()),
    };
    let mut modems: Vec<OwnedObjectPath> = objects
        .into_iter()
        .filter(|(_, ifaces)| ifaces.keys().any(|i| i.as_str() == VOICE_INTERFACE))
        .map(|(path, _)| path)
        .collect();
    modems.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    modems.into_iter().next().ok_or(DialError::NoVoiceModem)
}
