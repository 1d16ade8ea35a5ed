//! The Ringlink relay: an axum HTTP and WebSocket hub between merchant pages (the widget) and
//! members' phone agents. A library with a thin `main`.
//!
//! - [`config`]: layered configuration (defaults, TOML file, `RINGLINK_*` environment).
//! - [`store`]: SQLite/PostgreSQL storage and migrations.
//! - [`accounts`]: passwords, sign-in throttling, session and device tokens.
//! - [`throttle`]: in-memory rate limits.
//! - [`signin_guard`]: sign-in limits per (number, address), per number and per address.
//! - [`password_gate`]: argon2 behind a semaphore with a bounded queue.
//! - [`token_janitor`]: deletes dead session and device rows.
//! - [`names`]: refusing control and bidi characters in names and labels.
//! - [`live`]: the live layer: bus, durable streams, presence and node leases; [`live_keeper`]
//!   renews and purges.
//! - [`dial`]: DIAL routing from a member's widget to that member's own phone agent;
//!   [`dial_agent`]: a phone agent's connection as DIAL sees it.
//! - [`dial_policy`], [`dial_cap`], [`dial_ids`]: DIAL's fraud controls (`[dial]`): where a
//!   member may dial, how many a day, and what a retried dial is answered.
//! - [`destination`]: region and line-class rules shared by CALL and DIAL.
//! - [`dial_log`]: the ordered, batched writer of the dial log.
//! - [`remembered`]: answers kept under client request ids for retries, expiring in O(1).
//! - [`pairing`]: pairing a phone agent by a short code.
//! - [`billing`]: CALL billing: accounts, ledger, tariffs, reservations, settlement.
//! - [`signup`]: sign-up and forgotten passwords by SMS code.
//! - [`gateways`]: the SMS gateway and call control, started once for every domain.
//! - [`calls`]: CALL ("call me now"): checks, verification codes, the live two-leg call.
//! - [`chat`]: CHAT: visitors, staff, routing, the queue, conversations and their lines.
//! - [`admin`]: operator tasks behind `ringlink-relay admin`.
//! - [`admin_billing`]: billing's operator tasks: accounts, sponsors, tariffs, call records.
//! - [`telemetry`]: logs and Prometheus metrics.
//! - `http`: routes, REST and WebSocket handlers, widget assets.
//! - `serve`: the accept loop: timeouts, connection caps ([`connection_caps`]), bounded shutdown.
//! - [`faults`]: fault hooks for tests (drop a socket, refuse upgrades, fail queries).
//! - [`forwarded`]: the client address behind trusted proxies ([`http_config`]).

pub mod accounts;
pub mod admin;
pub mod admin_billing;
pub mod billing;
pub mod calls;
pub mod chat;
pub mod config;
mod config_env;
pub mod connection_caps;
pub mod destination;
pub mod dial;
pub mod dial_agent;
pub mod dial_cap;
pub mod dial_ids;
pub mod dial_log;
pub mod dial_policy;
pub mod faults;
pub mod forwarded;
pub mod gateways;
mod http;
/// The widget's and the console's routing tables: every request and who may send it.
pub use http::{Role, CONSOLE_ROUTES, WIDGET_ROUTES};
pub mod http_config;
pub mod live;
pub mod live_keeper;
pub mod names;
pub mod pairing;
pub mod password_gate;
pub mod remembered;
mod serve;
pub mod session_site;
pub mod signin_guard;
pub mod signup;
pub mod store;
pub mod telemetry;
pub mod throttle;
pub mod token_janitor;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use config::Config;
use store::Store;

/// How long open connections, WebSockets and live calls get to finish after a shutdown signal;
/// then what is left is cut and the process exits.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Everything a request handler can reach.
pub struct Relay {
    pub config: Config,
    pub store: Store,
    pub accounts: accounts::Accounts,
    /// The live layer: who is connected where, and how to reach them.
    pub live: live::Live,
    pub dial_log: dial_log::DialLog,
    pub dial_ids: dial_ids::DialIds,
    pub dial_cap: dial_cap::DailyCap,
    /// Per relay, in memory: a dial guards neither money nor SMS (see [`throttle`]).
    pub dial_throttle: throttle::Throttle,
    /// The pairing throttles: per relay, in memory, as they guard neither money nor SMS.
    pub pair_start_throttle: throttle::Throttle,
    /// Per relay, in memory (see `pair_start_throttle`).
    pub pair_confirm_throttle: throttle::Throttle,
    /// Per relay, in memory (see `pair_start_throttle`).
    pub pair_poll_throttle: throttle::Throttle,
    /// The SMS gateway and call control, for every domain.
    pub gateways: gateways::Gateways,
    /// CALL: billing, the abuse controls, the calls in flight here.
    pub calls: calls::Calls,
    /// Sign-up and reset codes' per-number and per-address limits.
    pub signup: signup::Signup,
    /// CHAT: its clock and the keeper's nudge.
    pub chat: chat::Chat,
    /// Failed console sign-ins per account and address (per relay, in memory: guards no money).
    pub staff_throttle: throttle::Throttle,
    /// Cancelled on shutdown: every socket closes with 1001.
    pub shutdown: CancellationToken,
    /// Open WebSocket tasks, awaited on shutdown.
    pub tasks: TaskTracker,
    /// Fault hooks for tests; off unless a test turns them on.
    pub faults: faults::Faults,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Gateways(#[from] gateways::GatewayError),
    #[error(
        "the live layer could not start (check [live] nats_url and that nats-server runs): {0}"
    )]
    Live(#[from] live::BusError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

/// A relay running in this process.
pub struct Running {
    pub addr: SocketAddr,
    pub relay: Arc<Relay>,
    server: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting, closes every socket with a reason, and waits for them.
    pub async fn shutdown(self) {
        self.relay.shutdown.cancel();
        let _ = self.server.await;
    }

    /// Resolves when the server stops.
    pub async fn wait(self) {
        let _ = self.server.await;
    }
}

impl Relay {
    /// Opens and migrates the database and builds the state.
    pub async fn open(config: Config) -> Result<Arc<Self>, StartError> {
        // libphonenumber's metadata (~8 MB) loads on first use in ~100 ms: load it now on a
        // blocking thread, not in the first member's dial, which stalled every request queued
        // behind it (dial p99 88 ms -> 9 ms). Not awaited: the relay is healthy meanwhile.
        let region = config.default_region.clone();
        drop(tokio::task::spawn_blocking(move || {
            ringlink_protocol::number::parse_number("+8613800138000", &region)
        }));
        let store = Store::open(&config.database_url()).await?;
        store.migrate().await?;
        let accounts = accounts::Accounts::new(
            store.clone(),
            &config.default_region,
            config.session_ttl_hours * 3600,
            config.device_ttl_days * 86_400,
        );
        let dial_log = dial_log::DialLog::start(store.clone());
        let memory = Duration::from_secs(config.dial.client_id_memory_secs);
        let dial_ids = dial_ids::DialIds::load(&store, memory).await?;
        let dial_cap = dial_cap::DailyCap::new(config.dial.daily_cap, store.clone());
        let live = live::Live::start(&config.live, &store).await?;
        let calls = calls::Calls::new(&config.calls, store.clone(), live.node_id.clone());
        Ok(Arc::new(Self {
            gateways: gateways::Gateways::default(),
            calls,
            signup: signup::Signup::default(),
            chat: chat::Chat::new(config.chat.clone()),
            staff_throttle: chat::staff::sign_in_throttle(),
            dial_log,
            dial_ids,
            dial_cap,
            accounts,
            store,
            live,
            dial_throttle: throttle::Throttle::new(dial::DIALS_PER_MINUTE, dial::DIAL_WINDOW),
            pair_start_throttle: throttle::Throttle::new(pairing::STARTS_PER_HOUR, pairing::HOUR),
            pair_confirm_throttle: throttle::Throttle::new(
                pairing::CONFIRMS_PER_HOUR,
                pairing::HOUR,
            ),
            pair_poll_throttle: throttle::Throttle::new(pairing::POLLS_PER_MINUTE, pairing::MINUTE),
            shutdown: CancellationToken::new(),
            tasks: TaskTracker::new(),
            faults: faults::Faults::default(),
            config,
        }))
    }
}

/// Opens the database, binds `config.listen` and serves until [`Running::shutdown`] or the
/// relay's shutdown token is cancelled.
pub async fn start(config: Config) -> Result<Running, StartError> {
    telemetry::install_metrics();
    let listener = TcpListener::bind(&config.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.listen.clone(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.listen.clone(),
        source,
    })?;
    let relay = Relay::open(config).await?;
    relay.store.spawn_checkpointer(relay.shutdown.clone());
    token_janitor::spawn(relay.store.clone(), relay.shutdown.clone());
    live_keeper::spawn(relay.clone());
    calls::spawn_janitor(&relay);
    // Chat sockets this node held before a crash or restart are gone.
    chat::node_gone(&relay, &relay.live.node_id.clone()).await;
    chat::keeper::spawn(&relay);
    relay
        .gateways
        .connect(&relay.config, relay.shutdown.clone())
        .await?;
    let total = serve::fit_connections_to_file_limit(relay.config.http.max_connections);
    let caps = connection_caps::ConnectionCaps::new(
        total,
        relay.config.http.max_connections_per_address,
        relay.config.http.proxy_peers(),
    );
    let options = || serve::ServeOptions {
        header_read_timeout: relay.config.http.header_read_timeout(),
        caps: caps.clone(),
        grace: SHUTDOWN_GRACE,
    };
    let stop = relay.shutdown.clone();
    let mut servers = vec![tokio::spawn(serve::serve(
        listener,
        http::router(relay.clone()),
        options(),
        stop.clone(),
    ))];
    if let Some(metrics_addr) = relay.config.http.metrics_listen {
        let listener =
            TcpListener::bind(metrics_addr)
                .await
                .map_err(|source| StartError::Bind {
                    addr: metrics_addr.to_string(),
                    source,
                })?;
        tracing::info!(addr = %metrics_addr, "metrics listening");
        servers.push(tokio::spawn(serve::serve(
            listener,
            http::metrics_router(relay.clone()),
            options(),
            stop.clone(),
        )));
    }
    let state = relay.clone();
    let server = tokio::spawn(async move {
        stop.cancelled().await;
        let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
        // Live calls end with the relay: both legs get BYE and each call settles.
        state
            .calls
            .hang_up_all(ringlink_telephony::EndReason::Shutdown);
        state.tasks.close();
        if tokio::time::timeout_at(deadline, state.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("some sockets did not close within {SHUTDOWN_GRACE:?}");
        }
        while state.calls.live_count() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Each listener stops accepting at once and cuts its connections at the same deadline.
        for s in servers {
            let _ = s.await;
        }
        state.dial_log.flush().await;
        state.store.close().await;
    });
    tracing::info!(%addr, "relay listening");
    Ok(Running {
        addr,
        relay,
        server,
    })
}
