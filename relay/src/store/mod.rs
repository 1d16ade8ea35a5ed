//! Storage: one sqlx `Any` pool over SQLite (WAL, the default) or PostgreSQL, migrations per
//! backend, and the store functions of each domain in submodules. Portable SQL with `$1`
//! placeholders; times are Unix seconds; secrets are stored hashed.

pub mod account_codes;
pub mod billing;
pub mod call_buttons;
pub mod callbacks;
pub mod calls;
pub mod claims;
pub mod counters;
pub mod held_slots;
pub mod live;
pub mod members;
pub mod pairings;
pub mod revocation;
pub mod sites;
pub mod token_sites;
pub mod tokens;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::AnyPool;

/// Connections in the pool. SQLite serializes writers anyway; PostgreSQL gets a few more.
const MAX_CONNECTIONS: u32 = 8;
/// Per-connection SQLite settings. `busy_timeout`: a writer waits 5 s for the lock, long enough
/// for a burst of sign-ins, short enough that a stuck request fails visibly.
/// `wal_autocheckpoint = 0`: the commit that crossed 1,000 WAL pages used to run the checkpoint
/// (and its fsync) itself, stalling that request ~100 ms (dial p99 went from 112 ms to the
/// figures in BENCHMARKS.md); the checkpointer task does it off the request path instead.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
    PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;";

/// How often the SQLite WAL is folded into the database file, in the background.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("unsupported database URL '{0}': use sqlite://PATH or postgres://USER@HOST/DB")]
    BadUrl(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Test fault hook: this many queries from now fail (see [`Store::fail_queries`]).
    fail_next: std::sync::Arc<std::sync::atomic::AtomicU32>,
    /// A closed pool: every query run on it fails at once, as with a database that went away.
    broken: AnyPool,
}

impl Store {
    /// Opens the database (creating a SQLite file and its folder if needed). Does not migrate.
    pub async fn open(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::BadUrl(url.into()));
        };
        let mut url = url.to_owned();
        if backend == Backend::Sqlite {
            let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
            let path = path.split('?').next().unwrap_or_default();
            if let Some(parent) = std::path::Path::new(path).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        StoreError::Db(sqlx::Error::Configuration(
                            format!("cannot create data directory {}: {e}", parent.display())
                                .into(),
                        ))
                    })?;
                }
            }
            if !url.contains('?') {
                url.push_str("?mode=rwc");
            }
        }
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite {
                4
            } else {
                MAX_CONNECTIONS
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        sqlx::Executor::execute(&mut *conn, SQLITE_PRAGMAS).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        if backend == Backend::Sqlite {
            // WAL is a property of the file: set once, every later connection uses it.
            sqlx::raw_sql("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        let broken = AnyPoolOptions::new()
            .max_connections(1)
            .connect_lazy(&url)?;
        broken.close().await;
        Ok(Self {
            pool,
            backend,
            fail_next: Default::default(),
            broken,
        })
    }

    /// Test fault hook: the next `n` queries fail with a database error (`u32::MAX`: until
    /// [`Store::heal`]). Background tasks' queries count too.
    pub fn fail_queries(&self, n: u32) {
        self.fail_next
            .store(n, std::sync::atomic::Ordering::Relaxed);
    }

    /// Ends [`Store::fail_queries`].
    pub fn heal(&self) {
        self.fail_queries(0);
    }

    /// Brings the schema up to date (run at start-up and by `ringlink-relay migrate`).
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => {
                sqlx::migrate!("migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    /// For SQLite, checkpoints the WAL every second off the request path (PASSIVE: never waits
    /// for or blocks a writer) until `stop` is cancelled. The last connection to close also
    /// checkpoints, so short-lived admin commands need no task.
    pub fn spawn_checkpointer(&self, stop: tokio_util::sync::CancellationToken) {
        if self.backend != Backend::Sqlite {
            return;
        }
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tick.tick() => {
                        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                            tracing::warn!("WAL checkpoint failed: {e}");
                        }
                    }
                }
            }
        });
    }

    /// A cheap round trip, for the health check.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        use std::sync::atomic::Ordering::Relaxed;
        if self.fail_next.load(Relaxed) > 0
            && self
                .fail_next
                .fetch_update(Relaxed, Relaxed, |n| n.checked_sub(1))
                .is_ok()
        {
            return &self.broken;
        }
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// True when the error is a UNIQUE violation (both backends).
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            db.code().as_deref() == Some("23505")
                || db.code().as_deref() == Some("2067")
                || db.code().as_deref() == Some("1555")
                || db.message().contains("UNIQUE")
        }
        _ => false,
    }
}
