//! The relay under test: a database seeded with N members, each with a phone-agent token and a
//! web session, and the release binary started on its own core.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use ringlink_relay::accounts::hash_token;
use ringlink_relay::store::Store;

pub const SITE: &str = "bench";
pub const ORIGIN: &str = "http://bench.local";

pub fn agent_token(i: usize) -> String {
    format!("bench-agent-token-{i:08}")
}

pub fn web_token(i: usize) -> String {
    format!("bench-web-token-{i:08}")
}

/// Seeds `members` members with one device token and one web session each, in one transaction.
pub async fn seed(data_dir: &Path, members: usize) -> Result<()> {
    let store = seed_members(data_dir, members, "+86139").await?;
    checkpoint_and_close(store).await
}

/// Creates the bench site and `members` members numbered `{prefix}{i:08}`, each with a device
/// token and a web session; returns the open store for further seeding.
pub async fn seed_members(data_dir: &Path, members: usize, prefix: &str) -> Result<Store> {
    let url = format!("sqlite://{}/ringlink.db", data_dir.display());
    seed_members_at(&url, members, prefix).await
}

/// Like [`seed_members`], into the database at `url` (a cluster's PostgreSQL).
pub async fn seed_members_at(url: &str, members: usize, prefix: &str) -> Result<Store> {
    let store = Store::open(url).await?;
    store.migrate().await?;
    ringlink_relay::admin::create_site(&store, "Bench", Some(SITE), &[ORIGIN.into()]).await?;
    let far = ringlink_relay::store::now() + 86_400;
    let mut tx = store.pool().begin().await?;
    for i in 0..members {
        let number = format!("{prefix}{i:08}");
        let id: i64 = sqlx::Row::try_get(
            &sqlx::query("INSERT INTO members (number, password_hash, created_at) VALUES ($1, 'x', 0) RETURNING id")
                .bind(&number)
                .fetch_one(&mut *tx)
                .await?,
            "id",
        )?;
        for (kind, token, public) in [
            ("device", agent_token(i), format!("dev_b{i}")),
            ("web", web_token(i), format!("ses_b{i}")),
        ] {
            sqlx::query(
                "INSERT INTO tokens (public_id, member_id, token_hash, kind, label, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, 'bench', 0, $5)",
            )
            .bind(public)
            .bind(id)
            .bind(hash_token(&token))
            .bind(kind)
            .bind(far)
            .execute(&mut *tx)
            .await?;
        }
    }
    // Web sessions belong to the site they were signed in on (#8 §1).
    sqlx::query(
        "UPDATE tokens SET site_id = (SELECT id FROM sites WHERE site_key = $1) WHERE kind = 'web'",
    )
    .bind(SITE)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(store)
}

/// Folds the WAL into the main file (the benchmark copies only ringlink.db for each run).
pub async fn checkpoint_and_close(store: Store) -> Result<()> {
    // Fold the WAL into the main file: the benchmark copies only ringlink.db for each run.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.pool())
        .await?;
    store.close().await;
    Ok(())
}

/// A relay process pinned to `core`; killed when dropped.
pub struct RelayProc {
    pub child: Child,
    pub addr: SocketAddr,
}

impl RelayProc {
    pub fn start(binary: &Path, data_dir: &Path, core: usize) -> Result<Self> {
        Self::start_with(binary, data_dir, core, None)
    }

    /// Like [`RelayProc::start`], with a TOML configuration file (`--config`).
    pub fn start_with(
        binary: &Path,
        data_dir: &Path,
        core: usize,
        config: Option<&Path>,
    ) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
        let mut cmd = Command::new("taskset");
        crate::die_with_parent(&mut cmd);
        cmd.arg("-c").arg(core.to_string()).arg(binary);
        if let Some(file) = config {
            cmd.arg("--config").arg(file);
        }
        let child = cmd
            .arg("serve")
            .env("RINGLINK_LISTEN", addr.to_string())
            .env("RINGLINK_DATA_DIR", data_dir)
            // Idle connections stay idle: no pings needed within a run.
            .env("RINGLINK_HEARTBEAT_SECS", "600")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {} under taskset", binary.display()))?;
        let started = Instant::now();
        let mut relay = Self { child, addr };
        while started.elapsed() < Duration::from_secs(20) {
            if healthy(addr) {
                return Ok(relay);
            }
            if let Ok(Some(status)) = relay.child.try_wait() {
                bail!("relay exited during start-up: {status}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = relay.child.kill();
        bail!("relay did not become healthy within 20 s")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RelayProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One blocking GET /healthz.
pub fn healthy(addr: SocketAddr) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /healthz HTTP/1.0\r\n\r\n").is_err() {
        return false;
    }
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    reply.starts_with("HTTP/1.1 200") || reply.starts_with("HTTP/1.0 200")
}

/// The relay binary: `--relay-bin`, else the release build, else the debug build.
pub fn default_binary(workspace: &Path) -> PathBuf {
    let release = workspace.join("target/release/ringlink-relay");
    if release.exists() {
        release
    } else {
        workspace.join("target/debug/ringlink-relay")
    }
}
