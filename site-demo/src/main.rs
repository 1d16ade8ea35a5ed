//! `ringlink-site-demo`: serves the demo shop on a loopback port.

use anyhow::{Context, Result};
use clap::Parser;
use ringlink_site_demo::{app, ShopConfig};

#[derive(Parser)]
#[command(
    name = "ringlink-site-demo",
    about = "A demo merchant shop that pastes the Ringlink tag"
)]
struct Cli {
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: String,
    /// The relay's base URL, as a visitor's browser reaches it.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    relay_url: String,
    #[arg(long, default_value = "demo")]
    site_key: String,
    /// zh or en; default: the visitor's browser language.
    #[arg(long, default_value = "")]
    lang: String,
    /// Add `data-ringlink-invite` to the tag: agents see who browses and can invite (CHAT-9).
    #[arg(long)]
    invite: bool,
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let listener = tokio::net::TcpListener::bind(&cli.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cli.listen))?;
    println!(
        "demo shop on http://{}/ (relay {})",
        listener.local_addr()?,
        cli.relay_url
    );
    let config = ShopConfig {
        relay_url: cli.relay_url,
        site_key: cli.site_key,
        lang: cli.lang,
        invite: cli.invite,
    };
    axum::serve(listener, app(config)).await?;
    Ok(())
}
