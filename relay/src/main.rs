//! `ringlink-relay`: serve, migrate, healthcheck and admin subcommands over the relay library.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use ringlink_protocol::secret::Secret;
use ringlink_relay::{admin, admin_billing, telemetry, Config, Relay};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Parser)]
#[command(name = "ringlink-relay", version, about = "The Ringlink relay server")]
struct Cli {
    /// TOML configuration file; `RINGLINK_*` environment variables override it.
    #[arg(long, global = true, env = "RINGLINK_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the relay (migrates the database first).
    Serve,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Exit 0 when the relay at `--url` (default: the configured listen address) is healthy.
    Healthcheck {
        #[arg(long)]
        url: Option<String>,
    },
    /// Operator tasks: sites, members, devices.
    #[command(subcommand)]
    Admin(Admin),
}

#[derive(Subcommand)]
enum Admin {
    #[command(subcommand)]
    Site(SiteCmd),
    /// CALL buttons of a site: the key a page names and the number behind it (server-side).
    #[command(subcommand)]
    Button(ButtonCmd),
    #[command(subcommand)]
    Member(MemberCmd),
    #[command(subcommand)]
    Device(DeviceCmd),
    /// CHAT staff accounts of a site (the first admin; admins issue more in the console).
    #[command(subcommand)]
    Staff(StaffCmd),
    /// A member's recent dial log (`--number`), or `calls records` for CALL records.
    #[command(args_conflicts_with_subcommands = true)]
    Calls {
        #[arg(long)]
        number: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: i64,
        #[command(subcommand)]
        records: Option<admin_billing::CallsCmd>,
    },
    /// Billing accounts of members, merchant sites and sponsors: credit, adjust, show, caps.
    #[command(subcommand)]
    Account(admin_billing::AccountCmd),
    /// Sponsor accounts that pay for calls ("see an ad, call free").
    #[command(subcommand)]
    Sponsor(admin_billing::SponsorCmd),
    /// Call prices by destination prefix.
    #[command(subcommand)]
    Tariff(admin_billing::TariffCmd),
}

#[derive(Subcommand)]
enum SiteCmd {
    /// Create a merchant site; prints its site key for the tag.
    Create {
        #[arg(long)]
        name: String,
        /// Use this key instead of a random one.
        #[arg(long)]
        key: Option<String>,
        /// An origin allowed to load the widget (repeat for several), e.g. https://shop.example
        #[arg(long = "origin", required = true)]
        origins: Vec<String>,
    },
    /// Allow one more origin for a site.
    AddOrigin {
        key: String,
        origin: String,
    },
    List,
}

#[derive(Subcommand)]
enum ButtonCmd {
    /// Create or change a button: pages name it with data-ringlink-call="KEY".
    Set {
        #[arg(long)]
        site: String,
        #[arg(long)]
        key: String,
        /// Shown to members ("Sales").
        #[arg(long)]
        label: String,
        /// The merchant's number the relay calls (never sent to pages).
        #[arg(long)]
        number: String,
        /// Who pays: member, merchant or sponsor (CALL-4).
        #[arg(long, default_value = "merchant")]
        payer: String,
        /// The sponsor account that pays, with --payer sponsor.
        #[arg(long)]
        sponsor: Option<String>,
        /// Calls at once through this button (the merchant's lines); default: the relay's
        /// [calls] button_capacity. A full button tells members "all lines busy, try again".
        #[arg(long)]
        capacity: Option<u32>,
    },
    List {
        #[arg(long)]
        site: String,
    },
    Remove {
        #[arg(long)]
        site: String,
        #[arg(long)]
        key: String,
    },
}

#[derive(Subcommand)]
enum MemberCmd {
    /// Create a member; the password is read from stdin (one line) or asked on the terminal.
    Create {
        #[arg(long)]
        number: String,
    },
    /// Change a member's password (read like `create`); every session and device of the member
    /// is revoked, so whoever knew the old password is signed out everywhere.
    SetPassword {
        #[arg(long)]
        number: String,
    },
    /// Sign a member out everywhere: every web session and phone agent is revoked (connected
    /// ones are dropped within one heartbeat); the password stays.
    RevokeSessions { number: String },
}

#[derive(Subcommand)]
enum StaffCmd {
    /// Issue a staff account; the password is read from stdin (one line) or asked on the terminal.
    Add {
        #[arg(long)]
        site: String,
        #[arg(long)]
        account: String,
        /// The name colleagues and visitors see.
        #[arg(long)]
        name: String,
        /// Optional mobile number (for colleague messages by SMS while offline).
        #[arg(long)]
        number: Option<String>,
        /// agent or admin.
        #[arg(long, default_value = "agent")]
        role: String,
        /// Send colleagues' lines by SMS while this person is offline (needs --number).
        #[arg(long)]
        sms_offline: bool,
    },
    /// A site's staff accounts and their states.
    List {
        #[arg(long)]
        site: String,
    },
}

#[derive(Subcommand)]
enum DeviceCmd {
    /// A member's phone agents and whether each is active.
    List {
        #[arg(long)]
        number: String,
    },
    /// Sign a device out; a connected agent is dropped within one heartbeat.
    Revoke { device: String },
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let config =
        Config::load(cli.config.as_deref(), std::env::vars()).context("loading configuration")?;
    telemetry::init_logs(&config.log_format);
    match cli.command {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            Relay::open(config).await.context("migrating")?;
            println!("database is up to date");
            Ok(())
        }
        Command::Healthcheck { url } => healthcheck(&config, url).await,
        Command::Admin(cmd) => run_admin(config, cmd).await,
    }
}

async fn serve(config: Config) -> Result<()> {
    let running = ringlink_relay::start(config).await?;
    println!("ringlink-relay listening on http://{}", running.addr);
    let stop = running.relay.shutdown.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: closing sockets");
        stop.cancel();
    });
    running.wait().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// A plain HTTP/1.0 GET of `/healthz`, so the check needs nothing but a socket.
async fn healthcheck(config: &Config, url: Option<String>) -> Result<()> {
    let url =
        url.unwrap_or_else(|| format!("http://{}", config.listen.replace("0.0.0.0", "127.0.0.1")));
    let host = url
        .strip_prefix("http://")
        .context("healthcheck supports http:// URLs only")?;
    let host = host.trim_end_matches('/');
    let check = async {
        let mut stream = tokio::net::TcpStream::connect(host).await?;
        stream
            .write_all(format!("GET /healthz HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes())
            .await?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply).await?;
        Ok::<_, std::io::Error>(reply)
    };
    let reply = tokio::time::timeout(Duration::from_secs(5), check)
        .await
        .context("relay did not answer within 5 s")?
        .with_context(|| format!("cannot reach the relay at {url}"))?;
    if reply.starts_with("HTTP/1.0 200") || reply.starts_with("HTTP/1.1 200") {
        println!("healthy");
        Ok(())
    } else {
        bail!("unhealthy: {}", reply.lines().next().unwrap_or("no reply"))
    }
}

fn read_password() -> Result<Secret> {
    let line = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password: ")?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line
    };
    Ok(Secret::new(line.trim_end_matches(['\r', '\n'])))
}

async fn run_button(relay: &Relay, cmd: ButtonCmd) -> Result<()> {
    use ringlink_protocol::call_me::PayerKind;
    let site_id = |key: String| async move {
        relay
            .store
            .site_by_key(&key)
            .await?
            .map(|s| s.id)
            .with_context(|| format!("no site has the key '{key}'"))
    };
    match cmd {
        ButtonCmd::Set {
            site,
            key,
            label,
            number,
            payer,
            sponsor,
            capacity,
        } => {
            let Some(payer) = PayerKind::parse(&payer) else {
                bail!("--payer {payer}: use member, merchant or sponsor");
            };
            if let Some(name) = &sponsor {
                relay.calls.billing.sponsor(name).await?;
            }
            let spec = admin::ButtonSpec {
                site_key: &site,
                key: &key,
                label: &label,
                number: &number,
                payer,
                sponsor: sponsor.as_deref(),
                capacity,
            };
            let b = admin::set_call_button(&relay.accounts, &relay.calls.guard, spec).await?;
            println!(
                "button '{}' on site {site} calls {} (payer: {payer:?}, capacity: {})",
                b.key,
                b.number,
                b.capacity
                    .map_or("relay default".to_owned(), |c| format!("{c} calls at once"))
            );
            println!(
                "on the page: <button data-ringlink-call=\"{}\">{}</button>",
                b.key, b.label
            );
        }
        ButtonCmd::List { site } => {
            for b in relay.store.list_call_buttons(site_id(site).await?).await? {
                let sponsor = b.sponsor.unwrap_or_default();
                let capacity = b.capacity.map_or("default".into(), |c| c.to_string());
                println!(
                    "{}\t{}\t{}\t{:?}\t{sponsor}\tcapacity {capacity}",
                    b.key, b.label, b.number, b.payer
                );
            }
        }
        ButtonCmd::Remove { site, key } => {
            relay
                .store
                .remove_call_button(site_id(site).await?, &key)
                .await?;
            println!("button '{key}' removed");
        }
    }
    Ok(())
}

async fn run_staff(relay: &Relay, cmd: StaffCmd) -> Result<()> {
    use ringlink_protocol::console::StaffRole;
    let site_of = |key: String| async move {
        relay
            .store
            .site_by_key(&key)
            .await?
            .with_context(|| format!("no site has the key '{key}'"))
    };
    match cmd {
        StaffCmd::Add {
            site,
            account,
            name,
            number,
            role,
            sms_offline,
        } => {
            let Some(role) = StaffRole::parse(&role) else {
                bail!("--role {role}: use agent or admin");
            };
            let site = site_of(site).await?;
            let form = ringlink_relay::chat::staff::StaffForm {
                account: account.clone(),
                password: Some(read_password()?),
                name,
                number,
                role,
                sms_offline,
            };
            let id = ringlink_relay::chat::staff::create(relay, site.id, &form)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "staff account '{account}' ({}) issued on site {}: id {id}",
                role.as_str(),
                site.key
            );
            println!("console: /console?site={}", site.key);
        }
        StaffCmd::List { site } => {
            let site = site_of(site).await?;
            for s in relay.store.staff_of_site(site.id).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\topen {}",
                    s.id,
                    s.account,
                    s.name,
                    s.role.as_str(),
                    s.state.as_str(),
                    s.open
                );
            }
        }
    }
    Ok(())
}

async fn run_admin(config: Config, cmd: Admin) -> Result<()> {
    let relay = Relay::open(config).await?;
    match cmd {
        Admin::Site(SiteCmd::Create { name, key, origins }) => {
            let site = admin::create_site(&relay.store, &name, key.as_deref(), &origins).await?;
            println!("site created: {}", site.name);
            println!("site key: {}", site.key);
            println!("allowed origins: {}", site.origins.join(", "));
        }
        Admin::Site(SiteCmd::AddOrigin { key, origin }) => {
            admin::add_origin(&relay.store, &key, &origin).await?;
            println!("origin {origin} allowed for site {key}");
        }
        Admin::Button(cmd) => run_button(&relay, cmd).await?,
        Admin::Staff(cmd) => run_staff(&relay, cmd).await?,
        Admin::Site(SiteCmd::List) => {
            for s in relay.store.list_sites().await? {
                println!("{}\t{}\t{}", s.key, s.name, s.origins.join(","));
            }
        }
        Admin::Member(MemberCmd::Create { number }) => {
            let number = admin::create_member(&relay.accounts, &number, &read_password()?).await?;
            println!("member created: {number}");
        }
        Admin::Member(MemberCmd::SetPassword { number }) => {
            let (number, revoked) = relay
                .accounts
                .set_password(&number, &read_password()?)
                .await?;
            println!("password changed for {number}; {revoked} sessions and devices revoked");
        }
        Admin::Member(MemberCmd::RevokeSessions { number }) => {
            let (number, revoked) = admin::revoke_sessions(&relay.accounts, &number).await?;
            println!("{revoked} sessions and devices of {number} revoked");
        }
        Admin::Device(DeviceCmd::List { number }) => {
            println!("device\tname\tstate\tlast_seen");
            for d in admin::list_devices(&relay.accounts, &number).await? {
                let state = if d.revoked_at.is_some() {
                    "revoked"
                } else if d.expires_at <= ringlink_relay::store::now() {
                    "expired"
                } else {
                    "active"
                };
                let seen = d
                    .last_seen_at
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "never".into());
                println!("{}\t{}\t{state}\t{seen}", d.public_id, d.label);
            }
        }
        Admin::Device(DeviceCmd::Revoke { device }) => {
            admin::revoke_device(&relay.store, &device).await?;
            println!("device {device} revoked");
        }
        Admin::Calls {
            records: Some(cmd), ..
        } => print!("{}", admin_billing::calls(&relay, cmd).await?),
        Admin::Account(cmd) => print!("{}", admin_billing::account(&relay, cmd).await?),
        Admin::Sponsor(cmd) => print!("{}", admin_billing::sponsor(&relay, cmd).await?),
        Admin::Tariff(cmd) => print!("{}", admin_billing::tariff(&relay, cmd).await?),
        Admin::Calls { number: None, .. } => {
            bail!(
                "give --number NUMBER for a member's dial log, or `calls records` for CALL records"
            )
        }
        Admin::Calls {
            number: Some(number),
            limit,
            records: None,
        } => {
            let number = relay.accounts.parse_number(&number)?;
            let member = relay
                .store
                .member_by_number(&number)
                .await?
                .context("no such member")?;
            for c in relay.store.list_dial_calls(member.id, limit).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    c.public_id,
                    c.number,
                    c.device,
                    c.state,
                    c.detail.unwrap_or_default()
                );
            }
        }
    }
    relay.store.close().await;
    Ok(())
}
