//! The widget on a phone (#9 §3, §4), as Chromium at 390×844 runs it: a shop's `tel:` link
//! tapped while signed out dials natively (the widget does not touch it); the full-screen
//! sheet is modal (the page behind is inert, Tab wraps inside, Escape gives focus back); a
//! member whose phone is not connected sees the tapped number, written as people write it,
//! with its native link, the "call me now" offer and the set-up words with the help link; the
//! offer opens "call me now" with focus on the first thing to do.

use std::time::Duration;

use ringlink_e2e::browser::Browser;
use ringlink_e2e::shop::{Shop, NUMBER, PASSWORD, SALES_BUTTON};
use ringlink_e2e::{require, workspace};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

/// The demo shop's footer link to the tea master: a plain `tel:` link, which the tag's
/// `data-tel="enhance"` covers.
const TEL_LINK: &str = "footer a[href^='tel:']";

/// Records, after the loader's own listener (on `document`) had its turn, whether the tap on
/// the `tel:` link was taken over; then stops the navigation so the test browser stays here.
const WATCH_TEL: &str = "window.__tel = []; window.addEventListener('click', e => { \
    const a = e.target.closest && e.target.closest('a[href^=\"tel:\"]'); \
    if (!a) return; window.__tel.push({ taken: e.defaultPrevented, href: a.getAttribute('href') }); \
    e.preventDefault(); }); return true;";

/// The sheet's state as the page sees it: frame open and full screen, the bubble's state, the
/// page's inert parts, and what has focus.
const SHEET: &str = "const h = document.getElementById('ringlink-host'); \
    const f = h.shadowRoot.querySelector('iframe'); \
    return { open: !!f && f.hasAttribute('data-open'), full: !!f && f.hasAttribute('data-full'), \
      expanded: h.shadowRoot.querySelector('[data-rl=bubble]').getAttribute('aria-expanded'), \
      main_inert: document.querySelector('main').inert, \
      header_inert: document.querySelector('header').inert, \
      active: document.activeElement === h ? 'widget' : document.activeElement.tagName, \
      in_shadow: h.shadowRoot.activeElement ? h.shadowRoot.activeElement.getAttribute('data-rl') : null };";

/// The panel's focusable controls, in order, and which one has focus.
const TAB_ORDER: &str = "const p = document.querySelector('.rl-panel'); \
    const all = [...p.querySelectorAll('a[href], button, input, select, textarea')] \
      .filter(e => !e.disabled && !e.closest('[hidden]') && e.getClientRects().length > 0); \
    return { count: all.length, at: all.indexOf(document.activeElement), \
      body: document.activeElement === document.body };";

const TAB: &str = "\u{E004}";
const SHIFT: &str = "\u{E008}";
const ESCAPE: &str = "\u{E00C}";

fn widget_built() -> bool {
    let wasm = workspace().join("widget/dist/frame.js");
    require(
        "the built widget",
        wasm.exists(),
        "run scripts/build-widget.sh",
    )
}

/// Taps the footer's `tel:` link as a person would (WebDriver's click on the page's element).
async fn tap_tel(b: &Browser) {
    b.to_page().await;
    let link = b
        .client
        .find(fantoccini::Locator::Css(TEL_LINK))
        .await
        .expect("the shop has a tel: link");
    link.click().await.unwrap();
}

/// Sends keys to whatever has focus in the frame.
async fn keys(b: &Browser, keys: &str) {
    assert!(b.to_frame().await);
    let active = b.client.active_element().await.unwrap();
    active.send_keys(keys).await.unwrap();
}

// covers #9 §3 tel: links (a tap while signed out dials natively), §3 the modal sheet (focus
// stays inside, Escape gives it back), §4 the number and "call me now" offer when the phone is
// not connected, §5 focus ("call me now" opens on the first thing to do, not on ×). DIAL-3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_tel_links_dial_natively_and_the_sheet_keeps_focus() {
    if !widget_built() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let shop = Shop::start("", &[SALES_BUTTON]);
    b.client.set_window_size(390, 844).await.unwrap();
    b.goto(&shop.shop_url).await;
    b.wait_for("[data-rl=bubble]", WAIT).await;
    let width = b.eval("return window.innerWidth;").await;
    assert!(width.as_u64().unwrap() <= 480, "phone size: {width}");

    // §3: signed out, a tap on the tel: link is the phone's own: not taken over, no sheet.
    b.eval(WATCH_TEL).await;
    tap_tel(&b).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let taps = b.eval("return window.__tel;").await;
    assert_eq!(
        taps,
        json!([{ "taken": false, "href": "tel:+8613900139000" }]),
        "the tap dials natively: the loader left it alone"
    );
    let sheet = b.eval(SHEET).await;
    assert_eq!(sheet["open"], false, "no sheet opened: {sheet}");
    assert_eq!(sheet["expanded"], "false", "{sheet}");

    // §3 modal sheet: the bubble opens it full screen; the page behind is inert.
    b.click("[data-rl=bubble]").await;
    b.wait_for("[data-rl=signin-number]", WAIT).await;
    let sheet = b
        .page_until(SHEET, "the sheet opens full screen and modal", WAIT, |s| {
            s["open"] == true && s["full"] == true && s["main_inert"] == true
        })
        .await;
    assert_eq!(sheet["header_inert"], true, "{sheet}");
    assert_eq!(sheet["active"], "widget", "focus is in the widget: {sheet}");

    // Tab from the last control lands on the first, Shift+Tab from the first on the last,
    // and never on the page.
    let order = b
        .frame_until(TAB_ORDER, "focus in the sheet", WAIT, |o| {
            o["at"].as_i64() >= Some(0)
        })
        .await;
    let count = order["count"].as_i64().unwrap();
    assert!(
        count >= 3,
        "the sign-in sheet has fields and buttons: {order}"
    );
    b.eval_in_frame(
        "const p = document.querySelector('.rl-panel'); \
         const all = [...p.querySelectorAll('a[href], button, input, select, textarea')] \
           .filter(e => !e.disabled && !e.closest('[hidden]') && e.getClientRects().length > 0); \
         all[all.length - 1].focus(); return 0;",
    )
    .await;
    keys(&b, TAB).await;
    let order = b.eval_in_frame(TAB_ORDER).await;
    assert_eq!(
        order["at"], 0,
        "Tab from the last control wraps to the first: {order}"
    );
    keys(&b, &format!("{SHIFT}{TAB}")).await;
    let order = b.eval_in_frame(TAB_ORDER).await;
    assert_eq!(
        order["at"],
        count - 1,
        "Shift+Tab from the first wraps to the last: {order}"
    );
    for _ in 0..count + 2 {
        keys(&b, TAB).await;
    }
    let order = b.eval_in_frame(TAB_ORDER).await;
    assert!(order["at"].as_i64() >= Some(0), "still inside: {order}");
    let sheet = b.eval(SHEET).await;
    assert_eq!(sheet["active"], "widget", "never on the page: {sheet}");

    // Signed in, no phone connected; the member lets the widget take tel: links here.
    b.type_into("[data-rl=signin-number]", NUMBER).await;
    b.type_into("[data-rl=signin-password]", PASSWORD).await;
    b.click("[data-rl=signin-submit]").await;
    b.wait_attr("[data-rl=agent-status]", "data-state", "disconnected", WAIT)
        .await;
    let panel = b
        .eval_in_frame("return document.querySelector('.rl-body').innerText;")
        .await;
    assert!(
        !panel.as_str().unwrap().contains("ringlink-agent"),
        "§4: no shell commands in the panel: {panel}"
    );
    b.click("[data-rl=tel-choice]").await;
    keys(&b, ESCAPE).await;
    let sheet = b
        .page_until(
            SHEET,
            "Escape closes the sheet and gives focus back",
            WAIT,
            |s| s["open"] == false && s["in_shadow"] == "bubble",
        )
        .await;
    assert_eq!(
        sheet["main_inert"], false,
        "the page is live again: {sheet}"
    );

    // §4: the tapped number (its own "call me now" button marked on the link) is kept,
    // written as people write it, with a native link, the offer and the set-up words.
    b.eval(
        "document.querySelector(\"footer a[href^='tel:']\").setAttribute('data-ringlink-button', 'sales'); return 0;",
    )
    .await;
    tap_tel(&b).await;
    let picked = b.wait_for("[data-rl=picked-number]", WAIT).await;
    assert_eq!(
        picked.attr("href").await.unwrap().as_deref(),
        Some("tel:+8613900139000"),
        "one tap from dialling natively"
    );
    let shown = picked.text().await.unwrap();
    assert!(shown.contains("139 0013 9000"), "formatted: {shown}");
    assert!(!shown.contains("+86"), "never raw E.164: {shown}");
    let taps = b.eval("return window.__tel;").await;
    assert_eq!(
        taps[1]["taken"], true,
        "chosen: the widget took the tap: {taps}"
    );
    let help = b.wait_for("[data-rl=phone-help]", WAIT).await;
    assert_eq!(
        help.attr("href").await.unwrap().as_deref(),
        Some("/help/phone?lang=en")
    );
    let words = b
        .wait_for("[data-rl=phone-setup]", WAIT)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        words.contains("Termux") && !words.contains("ringlink-agent"),
        "{words}"
    );
    b.screenshot(&workspace().join("target/e2e/phone-1-no-phone.png"))
        .await;

    let focus = b
        .eval_in_frame("return document.activeElement.getAttribute('data-rl');")
        .await;
    assert_eq!(focus, "offer-call-me", "no phone: focus on the offer");

    // §5 focus: the offer opens "call me now" on the first thing to do, never on ×.
    b.click("[data-rl=offer-call-me]").await;
    b.wait_for("[data-rl=callback]", WAIT).await;
    let focus = b.frame_until("const a = document.activeElement; return [a.getAttribute('data-rl'), a.className, a.value || ''];", "focus on the callback box", WAIT, |f| {
        f[0] == "callback"
    })
    .await;
    assert_eq!(
        focus[2], "138 0013 8000",
        "the number on file, as written: {focus}"
    );
    let in_call_me = b
        .eval_in_frame("return !!document.querySelector('.rl-callme [data-rl=call-state]');")
        .await;
    assert_eq!(in_call_me, false, "no DIAL call box inside call me now");
    let _ = b.client.clone().close().await;
}
