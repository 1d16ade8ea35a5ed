//! A panel's chunk that fails to load once is fetched again on the next click, not fatal
//! (#11 weight): the relay's fault hook refuses `split_dial.wasm` once (503); the panel says
//! the part did not load and offers "Try again", and that click brings the dialer's chunk and
//! its listeners work. (Its own test binary: the hook is the relay's environment.)

use std::time::Duration;

use ringlink_e2e::browser::Browser;
use ringlink_e2e::shop::{Shop, NUMBER, PASSWORD};
use ringlink_e2e::{require, workspace};

const WAIT: Duration = Duration::from_secs(30);

// covers #11 weight: a chunk that fails to load once is retried on the next click; DIAL-3
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panel_refused_once_loads_on_the_next_click() {
    let built = workspace().join("widget/dist/frame.js").exists();
    if !require("the built widget", built, "run scripts/build-widget.sh") {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    // The relay the shop starts inherits it (the only test in this binary).
    std::env::set_var("RINGLINK_FAULT_REFUSE_WIDGET_FILE", "split_dial.wasm");
    let shop = Shop::start("", &[]);
    b.goto(&shop.shop_url).await;
    b.click("[data-rl=bubble]").await;
    b.type_into("[data-rl=signin-number]", NUMBER).await;
    b.type_into("[data-rl=signin-password]", PASSWORD).await;
    b.click("[data-rl=signin-submit]").await;

    let failed = b.wait_for("[data-rl=panel-failed]", WAIT).await;
    let text = failed.text().await.unwrap();
    assert!(text.contains("did not load"), "{text}");
    assert!(b.find("[data-rl=pair-code]").await.is_none());
    // The rest of the app lives: the status line says what it did before.
    b.wait_attr("[data-rl=agent-status]", "data-state", "disconnected", WAIT)
        .await;

    b.click("[data-rl=panel-retry]").await;
    b.type_into("[data-rl=pair-code]", "NOSUCH1").await;
    b.click("[data-rl=pair-submit]").await;
    let value = b
        .wait_for("[data-rl=pair-code]", WAIT)
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        value.as_deref(),
        Some(""),
        "the loaded chunk's listener ran"
    );
    assert!(b.find("[data-rl=panel-failed]").await.is_none());
}
