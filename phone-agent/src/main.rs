//! `ringlink-agent`: the command line. `login` and `pair` store a device token; `run` connects
//! to the relay and dials on its orders. Exit codes: 0 done, 1 error, 2 signed out (sign in
//! again).

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};
use ringlink_agent::calls::{CallDesk, Prompt};
use ringlink_agent::credentials::{self, Credentials, PATH_ENV};
use ringlink_agent::dialer::{at, command, modemmanager, AtDialer, CommandDialer, Dialer, DryRun};
use ringlink_agent::relay_api::{self, RelayClient};
use ringlink_agent::session::{self, AgentConfig, UPDATE_QUEUE};
use ringlink_protocol::limits::MAX_DEVICE_NAME;
use ringlink_protocol::rest::AgentLogin;
use ringlink_protocol::secret::Secret;

/// Exit code when the relay no longer accepts this device's token.
const EXIT_SIGNED_OUT: i32 = 2;

#[derive(Parser)]
#[command(
    name = "ringlink-agent",
    version,
    about = "Ringlink phone agent: dials on the web page's orders through this handset"
)]
struct Cli {
    /// The credentials file [default: $XDG_CONFIG_HOME/ringlink/agent.json]
    #[arg(long, global = true, env = PATH_ENV)]
    credentials: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Sign this phone in with the member's number and password (DIAL-1)
    Login {
        /// The relay, e.g. https://relay.example.com
        #[arg(long)]
        relay: String,
        /// The member's mobile number
        #[arg(long)]
        number: String,
        /// This device's name as the member sees it [default: the hostname]
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of stdin instead of prompting
        #[arg(long)]
        password_stdin: bool,
    },
    /// Sign this phone in with a code typed into the web page, no password needed
    Pair {
        #[arg(long)]
        relay: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// Connect to the relay and dial on its orders
    Run(RunArgs),
}

#[derive(clap::Args)]
struct RunArgs {
    /// How to place calls
    #[arg(long, value_enum, default_value_t = Backend::Modemmanager)]
    backend: Backend,
    /// Serial device of the modem (backend `at`)
    #[arg(long, default_value = at::DEFAULT_DEVICE)]
    device: PathBuf,
    /// Serial speed (backend `at`)
    #[arg(long, default_value_t = at::DEFAULT_BAUD)]
    baud: u32,
    /// Command template with {number}, run without a shell (backend `command`)
    #[arg(long, default_value = command::DEFAULT_TEMPLATE)]
    command: String,
    /// Ask on this terminal before every dial (DIAL-6); without it, only numbers the relay
    /// marks as outside its usual destinations are asked about
    #[arg(long)]
    confirm: bool,
    /// Decline when nobody answers the prompt within this many seconds
    #[arg(long, default_value_t = ringlink_agent::confirm::DEFAULT_TIMEOUT.as_secs())]
    confirm_timeout_secs: u64,
    /// This device's name as the member sees it [default: the name given at sign-in, else the
    /// hostname]
    #[arg(long)]
    name: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Backend {
    /// An AT-command modem on a serial port
    At,
    /// ModemManager over D-Bus (Linux phones); bus from RINGLINK_DBUS_ADDRESS or the system bus
    Modemmanager,
    /// A command template such as termux-telephony-call {number}
    Command,
    /// Dial nothing; walk through the call states
    DryRun,
}

fn main() {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    // One TLS provider for reqwest and the WebSocket, chosen explicitly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Runtime::new().expect("cannot start the async runtime");
    let code = runtime.block_on(async {
        match dispatch(cli).await {
            Ok(()) => 0,
            Err(e) => {
                let signed_out = matches!(
                    e.downcast_ref::<ringlink_agent::Error>(),
                    Some(ringlink_agent::Error::SignedOut(_))
                );
                eprintln!("error: {e:#}");
                if signed_out {
                    EXIT_SIGNED_OUT
                } else {
                    1
                }
            }
        }
    });
    // Exit without waiting for a stdin read that can never be cancelled (confirm mode).
    std::process::exit(code);
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let path = match cli.credentials {
        Some(p) => p,
        None => credentials::default_path()?,
    };
    match cli.command {
        Cmd::Login {
            relay,
            number,
            name,
            password_stdin,
        } => login(&path, &relay, number, name, password_stdin).await,
        Cmd::Pair { relay, name } => pair(&path, &relay, name).await,
        Cmd::Run(args) => run(&path, args).await,
    }
}

async fn login(
    path: &std::path::Path,
    relay: &str,
    number: String,
    name: Option<String>,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let client = RelayClient::new(relay)?;
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let prompt = format!("Password for {number}: ");
        tokio::task::spawn_blocking(move || rpassword::prompt_password(prompt))
            .await?
            .context("cannot read the password from the terminal; use --password-stdin")?
    };
    if password.is_empty() {
        bail!("the password is empty");
    }
    let name = device_name(name);
    let req = AgentLogin {
        number,
        password: Secret::new(password),
        device_name: name.clone(),
    };
    let grant = client.login(&req).await?;
    let creds = Credentials::from_grant(client.base(), &name, grant);
    credentials::save(path, &creds)?;
    println!(
        "Signed in as {} (device {}). Credentials saved to {}.\nStart the agent with `ringlink-agent run`.",
        creds.member,
        creds.device,
        path.display()
    );
    Ok(())
}

async fn pair(path: &std::path::Path, relay: &str, name: Option<String>) -> anyhow::Result<()> {
    let client = RelayClient::new(relay)?;
    let name = device_name(name);
    let grant = relay_api::pair(&client, &name, |started| {
        println!();
        println!(
            "    Type this code in the Ringlink panel on the web page: {}",
            started.code
        );
        println!();
        println!("Waiting for the code to be confirmed…");
    })
    .await?;
    let creds = Credentials::from_grant(client.base(), &name, grant);
    credentials::save(path, &creds)?;
    println!(
        "Paired as {} (device {}). Credentials saved to {}.\nStart the agent with `ringlink-agent run`.",
        creds.member,
        creds.device,
        path.display()
    );
    Ok(())
}

async fn run(path: &std::path::Path, args: RunArgs) -> anyhow::Result<()> {
    let creds = credentials::load(path)?;
    let dialer: Arc<dyn Dialer> = match args.backend {
        Backend::At => Arc::new(AtDialer::new(&args.device, args.baud)),
        Backend::Modemmanager => Arc::new(modemmanager::ModemManagerDialer::new(
            modemmanager::Bus::from_env(),
        )),
        Backend::Command => Arc::new(CommandDialer::new(&args.command)?),
        Backend::DryRun => Arc::new(DryRun::new()),
    };
    if !std::io::stdin().is_terminal() {
        tracing::info!("confirm answers are read line by line from stdin");
    }
    // Without --confirm the prompt is still there: the relay marks numbers outside its usual
    // destinations `confirm`, and those are always asked about.
    let limit = Duration::from_secs(args.confirm_timeout_secs.max(1));
    let prompt = Prompt::stdio(limit);
    let (tx, rx) = tokio::sync::mpsc::channel(UPDATE_QUEUE);
    let desk = if args.confirm {
        CallDesk::new(dialer, Some(prompt), tx)
    } else {
        CallDesk::asking_when_told(dialer, prompt, tx)
    };
    let config = AgentConfig {
        name: device_name(args.name.or_else(|| creds.name.clone())),
        credentials: creds,
        desk,
    };
    tokio::select! {
        result = session::run(config, rx) => match result? {},
        () = shutdown_signal() => {
            tracing::info!("stopping");
            Ok(())
        }
    }
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("cannot listen for SIGTERM");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// The name given, else the hostname, trimmed to the protocol's limit.
fn device_name(name: Option<String>) -> String {
    let name = name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .or_else(hostname)
        .unwrap_or_else(|| "phone".to_owned());
    name.chars().take(MAX_DEVICE_NAME).collect()
}

fn hostname() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .chain(std::env::var("HOSTNAME").ok())
        .find(|s| !s.is_empty())
}
