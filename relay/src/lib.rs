//! The Ringlink relay: an axum HTTP and WebSocket hub between merchant pages (the widget) and
//! members' phone agents. A library with a thin `main`.
//!
//! - [`config`]: layered configuration (defaults, TOML file, `RINGLINK_*` environment).
//! - [`store`]: SQLite/PostgreSQL storage and migrations.
//! - [`accounts`]: passwords, sign-in throttling, session and device tokens.
//! - [`throttle`]: in-memory rate limits.
//! - [`hub`]: live presence of agents and widgets, calls in flight.
//! - [`dial`]: DIAL routing from a member's widget to that member's own phone agent.
//! - [`dial_policy`], [`dial_cap`], [`dial_ids`]: DIAL's fraud controls (`[dial]`): where a
//!   member may dial, how many a day, and what a retried dial is answered.
//! - [`destination`]: region and line-class rules shared by CALL and DIAL.
//! - [`dial_log`]: the ordered, batched writer of the dial log.
//! - [`remembered`]: answers kept under client request ids for retries, expiring in O(1).
//! - [`pairing`]: pairing a phone agent by a short code.
//! - [`billing`]: CALL billing: accounts, ledger, tariffs, reservations, settlement.
//! - [`calls`]: CALL ("call me now"): checks, verification codes, the live two-leg call.
//! - [`admin`]: operator tasks behind `ringlink-relay admin`.
//! - [`admin_billing`]: billing's operator tasks: accounts, sponsors, tariffs, call records.
//! - [`telemetry`]: logs and Prometheus metrics.
//! - `http`: routes, REST and WebSocket handlers, widget assets.

pub mod accounts;
pub mod admin;
pub mod admin_billing;
pub mod billing;
pub mod calls;
pub mod config;
pub mod destination;
pub mod dial;
pub mod dial_cap;
pub mod dial_ids;
pub mod dial_log;
pub mod dial_policy;
mod http;
pub mod hub;
pub mod pairing;
pub mod remembered;
pub mod store;
pub mod telemetry;
pub mod throttle;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use config::Config;
use store::Store;

/// How long open WebSockets get to close after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Everything a request handler can reach.
pub struct Relay {
    pub config: Config,
    pub store: Store,
    pub accounts: accounts::Accounts,
    pub hub: hub::Hub,
    pub dial_log: dial_log::DialLog,
    pub dial_ids: dial_ids::DialIds,
    pub dial_cap: dial_cap::DailyCap,
    pub dial_throttle: throttle::Throttle,
    pub pair_start_throttle: throttle::Throttle,
    pub pair_confirm_throttle: throttle::Throttle,
    /// CALL: the SIP agent, the SMS gateway, billing and the abuse controls.
    pub calls: calls::Calls,
    /// Cancelled on shutdown: every socket closes with 1001.
    pub shutdown: CancellationToken,
    /// Open WebSocket tasks, awaited on shutdown.
    pub tasks: TaskTracker,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Calls(#[from] calls::CallsStartError),
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
        let calls = calls::Calls::new(&config.calls, store.clone());
        Ok(Arc::new(Self {
            calls,
            dial_log,
            dial_ids,
            dial_cap,
            accounts,
            store,
            hub: hub::Hub::new(),
            dial_throttle: throttle::Throttle::new(dial::DIALS_PER_MINUTE, dial::DIAL_WINDOW),
            pair_start_throttle: throttle::Throttle::new(pairing::STARTS_PER_HOUR, pairing::HOUR),
            pair_confirm_throttle: throttle::Throttle::new(
                pairing::CONFIRMS_PER_HOUR,
                pairing::HOUR,
            ),
            shutdown: CancellationToken::new(),
            tasks: TaskTracker::new(),
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
    relay
        .calls
        .connect(&relay.config, relay.shutdown.clone())
        .await?;
    let app = http::router(relay.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let stop = relay.shutdown.clone();
    let state = relay.clone();
    let server = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await;
        // Live calls end with the relay: both legs get BYE and each call settles.
        state
            .calls
            .hang_up_all(ringlink_telephony::EndReason::Shutdown);
        if let Err(e) = served {
            tracing::error!("server stopped: {e}");
        }
        state.tasks.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, state.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("some sockets did not close within {SHUTDOWN_GRACE:?}");
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
