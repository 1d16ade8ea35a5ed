//! The open panel as Chromium shows it (#9 §5): axe-core (npm, injected into the relay's frame)
//! finds no violations on the sign-in, no-phone and "call me now" screens; the Chinese panel has
//! no English words; a call starting from the member's (dry-run) phone neither moves nor grows
//! the panel, adds nothing to scroll and keeps "Sign out" and the call's box in view; the
//! call's "Call ended" box goes when a new action starts.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use ringlink_e2e::axe::{axe, axe_source};
use ringlink_e2e::browser::Browser;
use ringlink_e2e::procs::Proc;
use ringlink_e2e::shop::{Shop, NUMBER, PASSWORD, SALES_BUTTON};
use ringlink_e2e::{binary, require, workspace};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

fn widget_built() -> bool {
    let wasm = workspace().join("widget/dist/frame.js");
    require(
        "the built widget",
        wasm.exists(),
        "run scripts/build-widget.sh",
    )
}

async fn sign_in(b: &Browser) {
    b.type_into("[data-rl=signin-number]", NUMBER).await;
    b.type_into("[data-rl=signin-password]", PASSWORD).await;
    b.click("[data-rl=signin-submit]").await;
    b.wait_attr("[data-rl=agent-status]", "data-state", "disconnected", WAIT)
        .await;
}

// covers #9 §5 axe: no violations on the open panel (sign-in, no phone, call me now); the
// panel header is no second banner landmark and the keypad keys are named as shown (the
// dialer's names are checked in widget/src/keypad.rs). DIAL-2, DIAL-3, CALL-3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_violations_on_the_open_panel() {
    if !widget_built() {
        return;
    }
    let source = axe_source();
    if !require(
        "axe-core",
        source.is_some(),
        "run scripts/setup.sh test (npm install axe-core into ~/.cache/ringlink-npm)",
    ) {
        return;
    }
    let source = source.unwrap();
    let Some(b) = Browser::start().await else {
        return;
    };
    let shop = Shop::start("", &[SALES_BUTTON]);
    b.goto(&shop.shop_url).await;
    b.click("[data-rl=bubble]").await;
    b.wait_for("[data-rl=signin-number]", WAIT).await;
    let found = axe(&b, &source).await;
    assert_eq!(found, json!([]), "sign-in panel");

    // A wrong password: focus lands in the field, never on <body>. covers #9 §5 focus
    b.type_into("[data-rl=signin-number]", NUMBER).await;
    b.type_into("[data-rl=signin-password]", "not-the-password")
        .await;
    b.click("[data-rl=signin-submit]").await;
    b.wait_for("[data-rl=error]:not(:empty)", WAIT).await;
    b.frame_until(
        "return document.activeElement.getAttribute('data-rl') || document.activeElement.tagName;",
        "focus after a wrong password",
        WAIT,
        |at| at == "signin-password",
    )
    .await;
    b.eval_in_frame("document.querySelector('[data-rl=signin-password]').value = ''; return 0;")
        .await;
    b.type_into("[data-rl=signin-password]", PASSWORD).await;
    b.click("[data-rl=signin-submit]").await;
    b.wait_attr("[data-rl=agent-status]", "data-state", "disconnected", WAIT)
        .await;
    let at = b
        .eval_in_frame("return document.activeElement === document.body;")
        .await;
    assert_eq!(at, false, "after signing in, focus is not on <body>");
    let found = axe(&b, &source).await;
    assert_eq!(found, json!([]), "no-phone panel");

    b.eval("ringlink.push(['call', 'sales']); return 0;").await;
    b.wait_for("[data-rl=call-me][data-step=confirm]", WAIT)
        .await;
    let found = axe(&b, &source).await;
    assert_eq!(found, json!([]), "call me now panel");

    // The dialer, with its keypad, once the member's (dry-run) phone is connected.
    b.click("[data-rl=leave-call-me]").await;
    let _agent = dry_run_agent(&shop);
    b.wait_for("[data-rl=key-2]", WAIT).await;
    let named = b
        .eval_in_frame(
            "return document.querySelector('[data-rl=key-2]').getAttribute('aria-label');",
        )
        .await;
    assert_eq!(named, "2 ABC", "the key is named as it is shown");
    let found = axe(&b, &source).await;
    assert_eq!(found, json!([]), "dialer panel");
    let _ = b.client.clone().close().await;
}

/// Runs of two or more Latin letters in `text`, other than the allowed names.
fn english_words(text: &str, allowed: &[&str]) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2 && !allowed.contains(w))
        .map(str::to_owned)
        .collect()
}

// covers #9 §5 language: the Chinese panel (sign-in and no phone connected) shows no English,
// apart from the product's name and the phone systems named by theirs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chinese_panel_has_no_english() {
    if !widget_built() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let shop = Shop::start("", &[]);
    let (_zh, url) = shop.second_site_in("zhshop", "zh");
    b.goto(&url).await;
    b.click("[data-rl=bubble]").await;
    b.wait_for("[data-rl=signin-number]", WAIT).await;
    let allowed = ["Ringlink", "Termux", "Linux"];
    let text = b
        .eval_in_frame("return document.querySelector('.rl-panel').innerText;")
        .await;
    let words = english_words(text.as_str().unwrap(), &allowed);
    assert!(
        words.is_empty(),
        "English in the zh sign-in panel: {words:?}\n{text}"
    );
    sign_in(&b).await;
    let text = b
        .eval_in_frame("return document.querySelector('.rl-panel').innerText;")
        .await;
    let words = english_words(text.as_str().unwrap(), &allowed);
    assert!(
        words.is_empty(),
        "English in the zh no-phone panel: {words:?}\n{text}"
    );
    let lang = b
        .eval_in_frame("return document.querySelector('.rl-panel').lang;")
        .await;
    assert_eq!(lang, "zh");
    let _ = b.client.clone().close().await;
}

/// `ringlink-agent login`, then `run --backend dry-run`: a phone that dials nothing.
fn dry_run_agent(shop: &Shop) -> Proc {
    let creds = shop.dir.path().join("agent.json");
    let mut login = Command::new(binary("ringlink-agent"))
        .args(["--credentials", creds.to_str().unwrap(), "login", "--relay"])
        .arg(&shop.relay_url)
        .args([
            "--number",
            NUMBER,
            "--name",
            "test handset",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(login.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(login.wait().unwrap().success(), "ringlink-agent login");
    Proc::spawn(
        "agent",
        Command::new(binary("ringlink-agent"))
            .args([
                "--credentials",
                creds.to_str().unwrap(),
                "run",
                "--backend",
                "dry-run",
            ])
            .stdout(Stdio::null()),
    )
}

/// The frame's place on the page; inside it, the panel's content height and scroll, and
/// whether "Sign out" and the phone's or call's line are in view.
const LAYOUT: &str =
    "const f = document.getElementById('ringlink-host').shadowRoot.querySelector('iframe'); \
    const r = f.getBoundingClientRect(); return [Math.round(r.top), Math.round(r.height)];";
const INSIDE: &str = "const p = document.querySelector('.rl-panel'); \
    const seen = sel => { const e = document.querySelector(sel); if (!e) return false; \
      const r = e.getBoundingClientRect(); return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight; }; \
    return { height: p.scrollHeight, scrolled: p.scrollTop, signout: seen('[data-rl=signout]'), \
      status: seen('[data-rl=agent-status]') || seen('[data-rl=call-state]') };";

// covers #9 §5 stable layout: a call starting does not move or grow the panel, adds no
// scrollbar, "Sign out" stays in view, the panel stays clear of the shop's header; §5 stale
// results: "Call ended" clears when a new action starts. DIAL-4, DIAL-5.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_starting_keeps_the_panel_still() {
    if !widget_built() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let shop = Shop::start("", &[]);
    b.client.set_window_size(1280, 800).await.unwrap();
    b.goto(&shop.shop_url).await;
    b.click("[data-rl=bubble]").await;
    sign_in(&b).await;
    let _agent = dry_run_agent(&shop);
    b.wait_attr("[data-rl=agent-status]", "data-state", "connected", WAIT)
        .await;
    b.wait_for("[data-rl=dial]", WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = b.eval(LAYOUT).await;
    let header = b
        .eval("return Math.round(document.querySelector('header').getBoundingClientRect().bottom);")
        .await;
    assert!(
        before[0].as_i64() >= header.as_i64(),
        "the panel stays below the shop's header: {before} header {header}"
    );
    let inside = b.eval_in_frame(INSIDE).await;
    eprintln!("panel before the call: frame {before}, inside {inside}");
    assert_eq!(inside["signout"], true, "Sign out in view: {inside}");
    assert_eq!(inside["status"], true, "the phone's line in view: {inside}");

    b.type_into("[data-rl=number]", "01065529988").await;
    b.click("[data-rl=dial]").await;
    b.wait_attr("[data-rl=call-state]", "data-state", "active", WAIT)
        .await;
    let during = b.eval(LAYOUT).await;
    assert_eq!(
        during, before,
        "the panel did not move or grow when the call started"
    );
    let during_inside = b.eval_in_frame(INSIDE).await;
    assert_eq!(
        during_inside, inside,
        "no growth and no new scrolling inside the panel, Sign out and the call's box in view"
    );
    let ended = b
        .wait_attr("[data-rl=call-state]", "data-state", "ended", WAIT)
        .await;
    assert!(
        ended.contains("010 6552 9988"),
        "the number as written: {ended}"
    );

    // A new action: the page's number is picked; the old "Call ended" goes.
    b.eval("document.querySelector('[data-ringlink-dial]').click(); return 0;")
        .await;
    b.wait_attr("[data-rl=call-state]", "data-state", "idle", WAIT)
        .await;
    let _ = b.client.clone().close().await;
}
