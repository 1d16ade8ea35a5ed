//! Test harness: a real relay on 127.0.0.1:0 over SQLite (always) or PostgreSQL (when
//! `DATABASE_URL_PG` is set; under `CI=true` it must be), with real WebSocket clients.
#![allow(dead_code)]

pub mod calls;
pub mod chat;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use ringlink_protocol::agent::{AgentMsg, Hello, RelayToAgent};
use ringlink_protocol::secret::Secret;
use ringlink_protocol::widget::{RelayToWidget, SignIn, WidgetMsg};
use ringlink_protocol::{encode, Envelope};
use ringlink_relay::{Config, Running};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const ORIGIN: &str = "http://shop.test";
pub const SITE: &str = "site_test";
pub const ALICE: &str = "+8613800138000";
pub const BOB: &str = "+8613900139000";
pub const PASSWORD: &str = "correct horse";

pub enum Db {
    Sqlite,
    Postgres,
    /// Two relays sharing one PostgreSQL database and one nats-server (#10): widgets connect
    /// to the first, phone agents to the second, so every dial and every call event crosses
    /// the bus.
    TwoRelays,
}

/// A nats-server of this test alone (subjects carry member ids, which every test's fresh
/// database reuses), stopped when dropped.
pub struct Nats {
    child: std::process::Child,
    pub url: String,
}

impl Nats {
    /// `None` (with a printed reason) when nats-server is not installed outside CI.
    pub fn start() -> Option<Self> {
        let found = std::process::Command::new("nats-server")
            .arg("--version")
            .output()
            .is_ok();
        if !found {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("CI=true but nats-server is not installed: run scripts/setup.sh test");
            }
            eprintln!("skipped: nats-server is not installed (apt install nats-server)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start nats-server");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "nats-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Self {
            child,
            url: format!("nats://127.0.0.1:{port}"),
        })
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The second relay of [`Db::TwoRelays`], where phone agents connect.
pub struct Peer {
    pub running: Running,
    pub base: String,
    _dir: tempfile::TempDir,
    _nats: Nats,
}

/// One test per backend in the list (`sqlite: Sqlite, postgres: Postgres, two_relays:
/// TwoRelays`), each given a fresh [`TestRelay`]; a backend the environment lacks is skipped
/// with a printed reason (a failure under `CI=true`).
#[macro_export]
macro_rules! each_relay {
    ($name:ident, [$($test:ident: $db:ident),+], $body:expr) => {
        mod $name {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(t) = support::TestRelay::start(support::Db::$db).await else {
                        return;
                    };
                    ($body)(t).await;
                }
            )+
        }
    };
}

/// One test per backend in the list, each given its [`Db`] (the body starts its own relay).
#[macro_export]
macro_rules! each_db {
    ($name:ident, [$($test:ident: $db:ident),+], $body:expr) => {
        mod $name {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    ($body)(support::Db::$db).await;
                }
            )+
        }
    };
}

/// Runs `body` against a fresh relay on each backend the environment provides.
#[macro_export]
macro_rules! both_dbs {
    ($name:ident, $body:expr) => {
        $crate::each_relay!($name, [sqlite: Sqlite, postgres: Postgres], $body);
    };
}

/// Runs `body` on one relay over SQLite, one over PostgreSQL, and two relays sharing
/// PostgreSQL and nats-server (widgets on one, agents on the other).
#[macro_export]
macro_rules! both_buses {
    ($name:ident, $body:expr) => {
        $crate::each_relay!(
            $name,
            [sqlite: Sqlite, postgres: Postgres, two_relays: TwoRelays],
            $body
        );
    };
}

pub struct TestRelay {
    pub running: Running,
    pub base: String,
    _dir: tempfile::TempDir,
    /// With [`Db::TwoRelays`]: the relay phone agents connect to.
    pub peer: Option<Peer>,
}

async fn fresh_pg_database(url: &str) -> String {
    use sqlx::Connection;
    let name = format!(
        "rl_test_{}",
        ringlink_relay::accounts::random_id(10).to_lowercase()
    );
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .expect("connect to DATABASE_URL_PG");
    sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(url);
    format!("{base}/{name}")
}

impl TestRelay {
    /// `None` (with a printed reason) when PostgreSQL is not configured outside CI.
    pub async fn start(db: Db) -> Option<Self> {
        Self::start_with(db, |_| {}).await
    }

    pub async fn start_with(db: Db, tweak: impl FnOnce(&mut Config)) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            listen: "127.0.0.1:0".into(),
            data_dir: dir.path().into(),
            // Test clients rarely ping: 3 s keeps revocation rechecks quick while a debug-build
            // argon2 under a loaded machine cannot keep a socket silent for three beats (9 s).
            heartbeat_secs: 3,
            ..Config::default()
        };
        let nats = match db {
            Db::TwoRelays => Some(Nats::start()?),
            _ => None,
        };
        if let Some(n) = &nats {
            config.live.nats_url = Some(n.url.clone());
            config.live.node_id = Some("relay-a".into());
        }
        if let Db::Postgres | Db::TwoRelays = db {
            match std::env::var("DATABASE_URL_PG") {
                Ok(url) => config.database_url = fresh_pg_database(&url).await,
                Err(_) if std::env::var("CI").as_deref() == Ok("true") => {
                    panic!("CI=true but DATABASE_URL_PG is not set: PostgreSQL tests cannot be skipped in CI")
                }
                Err(_) => {
                    eprintln!(
                        "skipped: DATABASE_URL_PG is not set (run scripts/start-postgres.sh)"
                    );
                    return None;
                }
            }
        }
        tweak(&mut config);
        let peer_config = nats.is_some().then(|| config.clone());
        let running = ringlink_relay::start(config).await.unwrap();
        let base = format!("127.0.0.1:{}", running.addr.port());
        let peer = match (peer_config, nats) {
            (Some(mut c), Some(nats)) => {
                let dir = tempfile::tempdir().unwrap();
                c.data_dir = dir.path().into();
                c.live.node_id = Some("relay-b".into());
                let running = ringlink_relay::start(c).await.unwrap();
                let base = format!("127.0.0.1:{}", running.addr.port());
                Some(Peer {
                    running,
                    base,
                    _dir: dir,
                    _nats: nats,
                })
            }
            _ => None,
        };
        let relay = &running.relay;
        ringlink_relay::admin::create_site(&relay.store, "Test shop", Some(SITE), &[ORIGIN.into()])
            .await
            .unwrap();
        for n in [ALICE, BOB] {
            relay
                .accounts
                .create_member(n, &Secret::new(PASSWORD))
                .await
                .unwrap();
        }
        Some(Self {
            running,
            base,
            _dir: dir,
            peer,
        })
    }

    /// Wraps a relay started by the test itself (already seeded, e.g. after a restart).
    pub fn adopt(running: Running, dir: tempfile::TempDir) -> Self {
        let base = format!("127.0.0.1:{}", running.addr.port());
        Self {
            running,
            base,
            _dir: dir,
            peer: None,
        }
    }

    /// Stops the relay (flushing its dial log) and starts a new one on the same database and
    /// data folder, with `tweak` applied to its configuration.
    /// With two relays, the second restarts too, with the same change.
    pub async fn restart_with(self, tweak: impl Fn(&mut Config)) -> Self {
        let mut config = self.running.relay.config.clone();
        config.listen = "127.0.0.1:0".into();
        tweak(&mut config);
        self.running.shutdown().await;
        let mut t = Self::adopt(ringlink_relay::start(config).await.unwrap(), self._dir);
        t.peer = match self.peer {
            Some(p) => {
                let mut config = p.running.relay.config.clone();
                config.listen = "127.0.0.1:0".into();
                tweak(&mut config);
                p.running.shutdown().await;
                let running = ringlink_relay::start(config).await.unwrap();
                let base = format!("127.0.0.1:{}", running.addr.port());
                Some(Peer { running, base, ..p })
            }
            None => None,
        };
        t
    }

    /// Lets go of the relay without stopping it (a crash test drops its runtime next) and
    /// keeps its data folder.
    pub fn into_dir(self) -> tempfile::TempDir {
        self._dir
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://{}{path}", self.base)
    }

    /// The relay's own origin: the widget socket opens only from its frame page.
    pub fn own_origin(&self) -> String {
        format!("http://{}", self.base)
    }

    /// A widget socket for `site`, opened as the relay's frame does when it sits on a page of
    /// `origin` (`&parent=origin`, `Origin:` the relay's own).
    pub async fn widget_from(
        &self,
        origin: &str,
        site: &str,
    ) -> Result<Client<WidgetMsg, RelayToWidget>, tokio_tungstenite::tungstenite::Error> {
        self.widget_raw(&self.own_origin(), Some(origin), site)
            .await
    }

    /// A widget socket with an arbitrary `Origin` header and `parent` (none: left out).
    pub async fn widget_raw(
        &self,
        origin: &str,
        parent: Option<&str>,
        site: &str,
    ) -> Result<Client<WidgetMsg, RelayToWidget>, tokio_tungstenite::tungstenite::Error> {
        let mut url = format!("ws://{}/v1/widget/ws?site={site}", self.base);
        if let Some(p) = parent {
            url.push_str("&parent=");
            url.push_str(p);
        }
        let mut req = url.into_client_request().unwrap();
        req.headers_mut().insert("origin", origin.parse().unwrap());
        req.headers_mut()
            .insert("sec-websocket-protocol", "ringlink.v1".parse().unwrap());
        let (ws, _) = tokio_tungstenite::connect_async(req).await?;
        Ok(Client::new(ws))
    }

    /// A widget socket on the second relay (with [`Db::TwoRelays`]; else on the only one).
    pub async fn peer_widget(&self) -> Client<WidgetMsg, RelayToWidget> {
        let base = self.peer.as_ref().map_or(&self.base, |p| &p.base);
        let url = format!("ws://{base}/v1/widget/ws?site={SITE}&parent={ORIGIN}");
        let mut req = url.into_client_request().unwrap();
        req.headers_mut()
            .insert("origin", format!("http://{base}").parse().unwrap());
        req.headers_mut()
            .insert("sec-websocket-protocol", "ringlink.v1".parse().unwrap());
        let (ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        Client::new(ws)
    }

    /// A widget on the second relay signed in as `number`, its first presence consumed.
    pub async fn peer_signed_in_widget(&self, number: &str) -> Client<WidgetMsg, RelayToWidget> {
        let mut w = self.peer_widget().await;
        let reply = w
            .request(WidgetMsg::SignIn(SignIn {
                number: number.into(),
                password: Secret::new(PASSWORD),
            }))
            .await;
        assert!(matches!(reply, RelayToWidget::SignedIn(_)), "{reply:?}");
        let presence = w.next().await;
        assert!(
            matches!(presence.msg, RelayToWidget::Presence(_)),
            "{presence:?}"
        );
        w
    }

    pub async fn widget(&self) -> Client<WidgetMsg, RelayToWidget> {
        self.widget_from(ORIGIN, SITE).await.unwrap()
    }

    /// A widget signed in as `number`, with the first presence frame consumed.
    pub async fn signed_in_widget(
        &self,
        number: &str,
    ) -> (Client<WidgetMsg, RelayToWidget>, Secret) {
        let mut w = self.widget().await;
        let reply = w
            .request(WidgetMsg::SignIn(SignIn {
                number: number.into(),
                password: Secret::new(PASSWORD),
            }))
            .await;
        let RelayToWidget::SignedIn(s) = reply else {
            panic!("sign-in failed: {reply:?}")
        };
        let presence = w.next().await;
        assert!(
            matches!(presence.msg, RelayToWidget::Presence(_)),
            "{presence:?}"
        );
        (w, s.token)
    }

    /// A device token for `number`, minted as `ringlink-agent login` would get it.
    pub async fn device_token(&self, number: &str, name: &str) -> (String, Secret) {
        let relay = &self.running.relay;
        let (id, token) = relay
            .accounts
            .sign_in(
                number,
                &Secret::new(PASSWORD),
                "test",
                ringlink_relay::store::tokens::TokenKind::Device,
                name,
            )
            .await
            .unwrap();
        (id.public_id, token)
    }

    pub async fn agent_with(
        &self,
        token: &str,
    ) -> Result<Client<AgentMsg, RelayToAgent>, tokio_tungstenite::tungstenite::Error> {
        let base = self.peer.as_ref().map_or(&self.base, |p| &p.base);
        let mut req = format!("ws://{base}/v1/agent/ws")
            .into_client_request()
            .unwrap();
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        req.headers_mut()
            .insert("sec-websocket-protocol", "ringlink.v1".parse().unwrap());
        let (ws, _) = tokio_tungstenite::connect_async(req).await?;
        Ok(Client::new(ws))
    }

    /// A connected agent that said hello; returns its device id too.
    pub async fn agent(
        &self,
        number: &str,
        name: &str,
    ) -> (Client<AgentMsg, RelayToAgent>, String) {
        let (device, token) = self.device_token(number, name).await;
        let mut a = self.agent_with(token.expose()).await.unwrap();
        let hello = Hello {
            name: name.into(),
            backend: "at".into(),
            confirm: false,
            version: "test".into(),
        };
        let reply = a.request(AgentMsg::Hello(hello)).await;
        assert!(matches!(reply, RelayToAgent::Welcome(_)), "{reply:?}");
        (a, device)
    }
}

/// A protocol client over a real WebSocket.
pub struct Client<Out, In> {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    _p: std::marker::PhantomData<(Out, In)>,
}

impl<Out: serde::Serialize, In: serde::de::DeserializeOwned + std::fmt::Debug> Client<Out, In> {
    fn new(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Self {
        Self {
            ws,
            next_id: 0,
            _p: std::marker::PhantomData,
        }
    }

    /// A client over a socket a test opened itself.
    pub fn from_ws(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Self {
        Self::new(ws)
    }

    pub async fn send(&mut self, msg: Out) -> u64 {
        self.next_id += 1;
        self.raw(&encode(&Envelope::request(self.next_id, msg)))
            .await;
        self.next_id
    }

    pub async fn raw(&mut self, text: &str) {
        self.ws.send(Message::Text(text.into())).await.unwrap();
    }

    /// The next protocol frame (5 s at most).
    pub async fn next(&mut self) -> Envelope<In> {
        self.next_within(5).await
    }

    /// The next protocol frame, waiting at most `secs`.
    pub async fn next_within(&mut self, secs: u64) -> Envelope<In> {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(secs), self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("no frame within {secs} s"))
                .expect("socket closed")
                .expect("socket error");
            if let Message::Text(t) = msg {
                return serde_json::from_str(t.as_str())
                    .unwrap_or_else(|e| panic!("bad frame {t}: {e}"));
            }
        }
    }

    /// Sends a request and returns the reply to it, skipping pushes.
    pub async fn request(&mut self, msg: Out) -> In {
        let id = self.send(msg).await;
        loop {
            let env = self.next().await;
            if env.re == Some(id) {
                return env.msg;
            }
        }
    }

    /// Waits for the close frame and returns its code and reason.
    pub async fn closed(&mut self) -> (u16, String) {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(10), self.ws.next())
                .await
                .expect("no close within 10 s");
            match msg {
                Some(Ok(Message::Close(Some(f)))) => return (f.code.into(), f.reason.to_string()),
                Some(Ok(Message::Close(None))) | None => return (1005, String::new()),
                Some(Err(e)) => return (1006, e.to_string()),
                _ => continue,
            }
        }
    }

    /// True when nothing arrives for `ms`.
    pub async fn quiet_for(&mut self, ms: u64) -> bool {
        tokio::time::timeout(Duration::from_millis(ms), self.ws.next())
            .await
            .is_err()
    }
}

/// The tariff prefix of [`ALICE`]'s numbers, the member leg (leg A) in the tests.
pub const MEMBER_LEG_PREFIX: &str = "+86138";

/// Prices leg A (calls to [`ALICE`]'s `+86138` numbers) at nothing, so a test's `+86` tariff
/// prices the merchant's leg alone, as tests written before leg A was priced expect.
pub async fn free_member_leg(b: &ringlink_relay::billing::Billing) {
    use ringlink_relay::billing::{Increments, Tariff};
    let free = Tariff::new(MEMBER_LEG_PREFIX, 0, 0, Increments::new(1, 1).unwrap()).unwrap();
    b.set_tariff(&free).await.unwrap();
}
