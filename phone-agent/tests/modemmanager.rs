//! The ModemManager backend against a fake ModemManager served with zbus on a private
//! `dbus-daemon --session` bus. The fake is a stand-in for a real modem, which cannot run on
//! this machine: it exports the same object paths, interfaces, methods, properties and the
//! `StateChanged` signal, and plays a scripted call.

mod common;

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{call_states, require, states_only};
use ringlink_agent::dialer::modemmanager::{
    Bus, ModemManagerDialer, ROOT_PATH, SERVICE, VOICE_INTERFACE,
};
use ringlink_protocol::call::CallState::*;
use zbus::object_server::SignalEmitter;
use zbus::zvariant::{OwnedObjectPath, OwnedValue};
use zbus::{fdo, interface, ObjectServer};

const MODEM_PATH: &str = "/org/freedesktop/ModemManager1/Modem/0";

/// A private message bus, killed when dropped.
struct PrivateBus {
    address: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl PrivateBus {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("bus");
        let address = format!("unix:path={}", socket.display());
        let child = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile"])
            .arg(format!("--address={address}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // It complains that it cannot raise its fd limit when not root-capable: noise.
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start dbus-daemon");
        let start = Instant::now();
        while !socket.exists() {
            assert!(start.elapsed() < Duration::from_secs(5), "no bus after 5 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self {
            address,
            child,
            _dir: dir,
        }
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the fake modem saw.
#[derive(Default)]
struct Seen {
    numbers: Vec<String>,
    hangups: usize,
    deleted: usize,
}

/// One scripted state change: (MMCallState, MMCallStateReason, delay before it).
type Script = Vec<(i32, u32, u64)>;

struct FakeVoice {
    script: Script,
    seen: Arc<Mutex<Seen>>,
}

#[interface(name = "org.freedesktop.ModemManager1.Modem.Voice")]
impl FakeVoice {
    async fn create_call(
        &self,
        #[zbus(object_server)] server: &ObjectServer,
        properties: HashMap<String, OwnedValue>,
    ) -> fdo::Result<OwnedObjectPath> {
        let number = properties
            .get("number")
            .and_then(|v| String::try_from(v.try_clone().ok()?).ok())
            .ok_or_else(|| fdo::Error::InvalidArgs("number is required".into()))?;
        let id = {
            let mut seen = self.seen.lock().unwrap();
            seen.numbers.push(number);
            seen.numbers.len()
        };
        let path =
            OwnedObjectPath::try_from(format!("/org/freedesktop/ModemManager1/Call/{id}")).unwrap();
        let call = FakeCall {
            script: self.script.clone(),
            seen: self.seen.clone(),
            state: Arc::new(Mutex::new((0, 0))),
        };
        server.at(&path, call).await?;
        Ok(path)
    }

    async fn delete_call(
        &self,
        #[zbus(object_server)] server: &ObjectServer,
        path: OwnedObjectPath,
    ) -> fdo::Result<()> {
        server.remove::<FakeCall, _>(&path).await?;
        self.seen.lock().unwrap().deleted += 1;
        Ok(())
    }
}

struct FakeCall {
    script: Script,
    seen: Arc<Mutex<Seen>>,
    /// (MMCallState, MMCallStateReason)
    state: Arc<Mutex<(i32, u32)>>,
}

impl FakeCall {
    async fn move_to(
        state: &Mutex<(i32, u32)>,
        emitter: &SignalEmitter<'_>,
        new: i32,
        reason: u32,
    ) {
        let old = std::mem::replace(&mut *state.lock().unwrap(), (new, reason)).0;
        let _ = FakeCall::call_state_changed(emitter, old, new, reason).await;
    }
}

#[interface(name = "org.freedesktop.ModemManager1.Call")]
impl FakeCall {
    async fn start(&self, #[zbus(signal_emitter)] emitter: SignalEmitter<'_>) -> fdo::Result<()> {
        let emitter = emitter.into_owned();
        let (script, state) = (self.script.clone(), self.state.clone());
        tokio::spawn(async move {
            for (new, reason, delay_ms) in script {
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                if state.lock().unwrap().0 == 7 {
                    return;
                }
                FakeCall::move_to(&state, &emitter, new, reason).await;
            }
        });
        Ok(())
    }

    async fn hangup(&self, #[zbus(signal_emitter)] emitter: SignalEmitter<'_>) -> fdo::Result<()> {
        self.seen.lock().unwrap().hangups += 1;
        FakeCall::move_to(&self.state, &emitter, 7, 4).await;
        Ok(())
    }

    #[zbus(property)]
    fn state(&self) -> i32 {
        self.state.lock().unwrap().0
    }

    #[zbus(property)]
    fn state_reason(&self) -> i32 {
        self.state.lock().unwrap().1 as i32
    }

    /// `StateChanged` (the `State` property already owns the name `state_changed`).
    #[zbus(signal, name = "StateChanged")]
    async fn call_state_changed(
        emitter: &SignalEmitter<'_>,
        old: i32,
        new: i32,
        reason: u32,
    ) -> zbus::Result<()>;
}

/// Starts the private bus and a fake ModemManager on it that plays `script` for every call.
async fn fake_modemmanager(script: Script) -> (PrivateBus, zbus::Connection, Arc<Mutex<Seen>>) {
    let bus = PrivateBus::start();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let voice = FakeVoice {
        script,
        seen: seen.clone(),
    };
    let conn = zbus::connection::Builder::address(bus.address.as_str())
        .unwrap()
        .serve_at(ROOT_PATH, zbus::fdo::ObjectManager)
        .unwrap()
        .serve_at(MODEM_PATH, voice)
        .unwrap()
        .name(SERVICE)
        .unwrap()
        .build()
        .await
        .expect("the fake ModemManager cannot join the bus");
    (bus, conn, seen)
}

fn have_dbus() -> bool {
    require("dbus-daemon", "apt-get install -y dbus")
}

// covers DIAL-5: CreateCall gets the E.164 number; the states follow the Call's StateChanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_call_follows_the_modem_states() {
    if !have_dbus() {
        return;
    }
    let script = vec![(1, 1, 50), (2, 1, 150), (4, 3, 150), (7, 4, 200)];
    let (bus, _conn, seen) = fake_modemmanager(script).await;
    let dialer = ModemManagerDialer::new(Bus::Address(bus.address.clone()));
    let states = call_states(&dialer).await;
    assert_eq!(
        states_only(&states),
        [Dialing, Ringing, Active, Ended],
        "{states:?}"
    );
    assert!(states[3].1.as_deref().unwrap().contains("terminated"));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.numbers, ["+8613800138000"]);
    assert_eq!((seen.hangups, seen.deleted), (0, 1));
    assert_eq!(VOICE_INTERFACE, "org.freedesktop.ModemManager1.Modem.Voice");
}

// covers DIAL-5: terminated before it was active is a failure, with the reason in words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_line_fails_with_the_reason() {
    if !have_dbus() {
        return;
    }
    let (bus, _conn, _seen) = fake_modemmanager(vec![(1, 1, 50), (7, 5, 100)]).await;
    let dialer = ModemManagerDialer::new(Bus::Address(bus.address.clone()));
    let states = call_states(&dialer).await;
    assert_eq!(states_only(&states), [Dialing, Failed], "{states:?}");
    assert!(states[1].1.as_deref().unwrap().contains("refused or busy"));
}

// covers DIAL-5: a call nobody answers is hung up after the setup timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_call_is_hung_up_after_the_timeout() {
    if !have_dbus() {
        return;
    }
    let (bus, _conn, seen) = fake_modemmanager(vec![(1, 1, 50), (2, 1, 50)]).await;
    let dialer = ModemManagerDialer::new(Bus::Address(bus.address.clone()))
        .with_setup_timeout(Duration::from_millis(700));
    let states = call_states(&dialer).await;
    assert_eq!(
        states_only(&states),
        [Dialing, Ringing, Failed],
        "{states:?}"
    );
    assert!(states[2].1.as_deref().unwrap().contains("not answered"));
    assert_eq!(seen.lock().unwrap().hangups, 1);
}

// covers DIAL-5: no ModemManager on the bus: the call fails with a reason, it does not hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_modemmanager_fails_the_call() {
    if !have_dbus() {
        return;
    }
    let bus = PrivateBus::start();
    let dialer = ModemManagerDialer::new(Bus::Address(bus.address.clone()));
    let states = call_states(&dialer).await;
    assert_eq!(states_only(&states), [Failed], "{states:?}");
    assert!(states[0].1.as_deref().unwrap().starts_with("ModemManager"));
}
