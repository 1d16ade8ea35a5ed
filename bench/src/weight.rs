//! Scenario 6: the widget's weight as Chromium gets it from the relay under test: bytes on the
//! wire (resource timing) for a page view with the bubble untouched, the bubble opened and a
//! repeat visit, and the time from the click to a usable panel. The anchor in the same run is
//! the same files as decoded bytes: what the relay sent before #9 (no compression).

use std::path::Path;

use anyhow::{Context, Result};
use ringlink_e2e::browser::Browser;
use ringlink_e2e::shop::Shop;
use ringlink_e2e::weight::{measure, total, Fetch, Weight};

/// Runs the scenario with the relay (and demo shop) binaries next to `relay_bin`; `None` when
/// Chromium is missing (skipped with the reason printed; under `CI=true` that is a failure).
pub async fn run(relay_bin: &Path) -> Result<Option<Weight>> {
    let dir = relay_bin
        .canonicalize()
        .with_context(|| format!("{}", relay_bin.display()))?;
    let dir = dir.parent().context("the relay binary's folder")?;
    anyhow::ensure!(
        dir.join("ringlink-site-demo").exists(),
        "{} has no ringlink-site-demo: build it with the relay (cargo build -p ringlink-site-demo)",
        dir.display()
    );
    std::env::set_var("RINGLINK_BIN_DIR", dir);
    let Some(browser) = Browser::start().await else {
        return Ok(None);
    };
    let shop = Shop::start("", &[]);
    Ok(Some(measure(&browser, &shop).await))
}

fn row(what: &str, f: &[Fetch]) {
    let (wire, body, decoded) = (
        total(f, |x| x.transfer),
        total(f, |x| x.encoded),
        total(f, |x| x.decoded),
    );
    let ratio = if decoded > 0 {
        format!("{:.2}", wire as f64 / decoded as f64)
    } else {
        "-".into()
    };
    println!(
        "| {what} | {} | {wire} | {body} | {decoded} | {ratio} |",
        f.len()
    );
}

pub fn print(w: &Weight) {
    println!(
        "\n## widget weight on the wire (Chromium, resource timing)\n\
         | moment | requests | on the wire (B) | bodies (B) | decoded = uncompressed (B) | wire / uncompressed |\n\
         |---|---|---|---|---|---|"
    );
    row("page view, bubble untouched", &w.page_view);
    row("bubble opened (frame page + files)", &w.opened);
    row("repeat visit, bubble opened", &w.repeat_opened);
    println!("first panel usable: {:.0} ms after the click", w.usable_ms);
    println!("\n| file | on the wire (B) | body (B) | decoded (B) |\n|---|---|---|---|");
    for f in w.page_view.iter().chain(&w.opened) {
        println!(
            "| {} | {} | {} | {} |",
            f.name, f.transfer, f.encoded, f.decoded
        );
    }
}
