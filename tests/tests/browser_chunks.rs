//! Each lazily loaded panel in a release build, in Chromium (#11 weight): its chunk is fetched
//! only when the panel first shows, and the listeners its code made work (split code has broken
//! on closures before). DIAL's "no phone" screen: the pairing form submits and the relay's
//! refusal shows; CALL's screen: its buttons (one delegated listener) leave the panel.

use std::time::Duration;

use ringlink_e2e::browser::Browser;
use ringlink_e2e::shop::{Shop, NUMBER, PASSWORD};
use ringlink_e2e::weight::frame_fetches;
use ringlink_e2e::{require, workspace};

const WAIT: Duration = Duration::from_secs(30);

fn widget_built() -> bool {
    require(
        "the built widget",
        workspace().join("widget/dist/frame.js").exists(),
        "run scripts/build-widget.sh",
    )
}

/// The panels' chunks (`split_*.wasm`) the frame fetched so far.
async fn chunks(b: &Browser, relay: &str) -> Vec<String> {
    frame_fetches(b, relay)
        .await
        .iter()
        .filter_map(|f| f.name.rsplit('/').next())
        .filter(|n| n.starts_with("split_"))
        .map(str::to_owned)
        .collect()
}

// covers #11 weight: a release-mode browser test per chunk (dial, call_me) that loads it and
// uses its listeners; DIAL-1 (pairing box), DIAL-3, CALL-3 (the call-me screen)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_panel_chunk_loads_on_first_use_and_its_listeners_work() {
    if !widget_built() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let shop = Shop::start("", &[]);
    let relay = format!("{}/", shop.relay_url);
    b.goto(&shop.shop_url).await;
    b.click("[data-rl=bubble]").await;
    b.wait_for("[data-rl=signin-number]", WAIT).await;
    assert!(
        chunks(&b, &relay).await.is_empty(),
        "the sign-in form is in the core"
    );

    // DIAL: signing in brings the dial chunk; its pairing form's submit listener runs.
    b.type_into("[data-rl=signin-number]", NUMBER).await;
    b.type_into("[data-rl=signin-password]", PASSWORD).await;
    b.click("[data-rl=signin-submit]").await;
    b.wait_attr("[data-rl=agent-status]", "data-state", "disconnected", WAIT)
        .await;
    b.type_into("[data-rl=pair-code]", "NOSUCH1").await;
    b.click("[data-rl=pair-submit]").await;
    let start = std::time::Instant::now();
    loop {
        let e = b.wait_for("[data-rl=error]", WAIT).await;
        if !e.text().await.unwrap_or_default().trim().is_empty() {
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "the pairing form's submit did nothing"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let value = b
        .wait_for("[data-rl=pair-code]", WAIT)
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        value.as_deref(),
        Some(""),
        "the submit listener cleared the box"
    );
    assert_eq!(chunks(&b, &relay).await, ["split_dial.wasm"]);

    // CALL: a call button brings the call-me chunk; its buttons' listener leaves the panel.
    b.eval("window.ringlink.push(['call', 'sales']); return true;")
        .await;
    b.wait_for("[data-rl=call-me]", WAIT).await;
    assert_eq!(
        chunks(&b, &relay).await,
        ["split_dial.wasm", "split_call_me.wasm"]
    );
    b.click("[data-rl=leave-call-me]").await;
    b.wait_for("[data-rl=pair-code]", WAIT).await;
    assert!(b.find("[data-rl=call-me]").await.is_none(), "left call-me");
    // Both chunks came once, and the app still answers: sign out is the core's.
    assert_eq!(chunks(&b, &relay).await.len(), 2);
    b.click("[data-rl=signout]").await;
    b.wait_for("[data-rl=signin-number]", WAIT).await;
}
