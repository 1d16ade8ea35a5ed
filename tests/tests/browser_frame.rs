//! The widget in a frame of the relay's origin (#8 §1), as Chromium runs it: the merchant page
//! loads only the loader until the visitor reaches for the bubble; the sign-in, the password and
//! the session token live in the relay's frame, where a script of the merchant page cannot read
//! them; a token signed in on one merchant's site is refused on another's; the keyboard crosses
//! the frame (focus in on open, Escape closes, focus back on the bubble); a narrow screen gets
//! the full-screen panel.

use std::time::Duration;

use ringlink_e2e::browser::Browser;
use ringlink_e2e::shop::{Shop, NUMBER, PASSWORD};
use ringlink_e2e::{require, workspace};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

/// What the page's resource timing says it fetched from the relay: `[[name, transfer bytes,
/// body bytes]]` (the relay's files allow timing to any origin).
const RELAY_FETCHES: &str = "const relay = arguments[0]; \
    return performance.getEntriesByType('resource').filter(e => e.name.startsWith(relay)) \
    .map(e => [e.name.slice(relay.length), e.transferSize, e.encodedBodySize]);";

/// What a script of the merchant page can reach of the widget: each attempt's outcome.
const PAGE_SNOOPS: &str = "const out = {}; \
    const host = document.getElementById('ringlink-host'); \
    const frame = host.shadowRoot.querySelector('iframe'); \
    try { out.storage = String(frame.contentWindow.sessionStorage.getItem('ringlink.token')); } \
    catch (e) { out.storage = e.name; } \
    try { out.document = frame.contentDocument === null ? 'null' : 'readable'; } \
    catch (e) { out.document = e.name; } \
    try { out.window_document = String(frame.contentWindow.document); } \
    catch (e) { out.window_document = e.name; } \
    out.page_token = String(sessionStorage.getItem('ringlink.token')); \
    out.password_fields = document.querySelectorAll('input[type=password]').length + \
        host.shadowRoot.querySelectorAll('input').length; \
    return out;";

fn widget_built() -> bool {
    // The app is in the build's versioned folder, widget/dist/v/<version>/.
    let wasm = workspace().join("widget/dist/v");
    let frame = workspace().join("widget/dist/frame.js");
    require(
        "the built widget",
        wasm.exists() && frame.exists(),
        "run scripts/build-widget.sh",
    )
}

fn sum(fetches: &Value, field: usize) -> u64 {
    fetches
        .as_array()
        .map(|a| a.iter().map(|f| f[field].as_u64().unwrap_or(0)).sum())
        .unwrap_or(0)
}

async fn sign_in(b: &Browser) {
    b.type_into("[data-rl=signin-number]", NUMBER).await;
    b.type_into("[data-rl=signin-password]", PASSWORD).await;
    b.click("[data-rl=signin-submit]").await;
    b.wait_attr("[data-rl=agent-status]", "data-state", "disconnected", WAIT)
        .await;
}

// covers #8 §1 the widget in a frame: nothing but the loader before intent; a page script
// cannot read the token or the password; a site-A token is refused on site B. DIAL-2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_cannot_read_the_session_and_a_token_stays_on_its_site() {
    if !widget_built() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let shop = Shop::start("", &[]);
    let relay = format!("{}/", shop.relay_url);
    b.goto(&shop.shop_url).await;

    // Before the visitor reaches for the bubble: the loader only (no frame, no wasm), even
    // once the page has been idle.
    b.wait_for("[data-rl=bubble]", WAIT).await;
    tokio::time::sleep(Duration::from_millis(3500)).await;
    b.to_page().await;
    let before = b
        .client
        .execute(RELAY_FETCHES, vec![json!(relay)])
        .await
        .unwrap();
    let names: Vec<&str> = before
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f[0].as_str())
        .collect();
    assert_eq!(names, ["widget/widget.js"], "only the loader before intent");
    assert!(b.find("[data-rl=frame]").await.is_none(), "no frame yet");

    // The visitor opens the panel and signs in, inside the relay's frame.
    b.click("[data-rl=bubble]").await;
    sign_in(&b).await;
    let opened = b
        .eval_in_frame(
            "const e = performance.getEntriesByType('navigation')[0]; \
             const r = performance.getEntriesByType('resource') \
               .map(x => [x.name.replace(location.origin + '/', ''), x.transferSize, x.encodedBodySize]); \
             return { page: [e.transferSize, e.encodedBodySize], files: r };",
        )
        .await;
    eprintln!(
        "widget weight on the wire: merchant page before intent {} B ({} B body) {before}; \
         the frame when opened: page {} + files {} B ({} B body) {}",
        sum(&before, 1),
        sum(&before, 2),
        opened["page"][0],
        sum(&opened["files"], 1),
        sum(&opened["files"], 2),
        opened["files"]
    );
    let token = b
        .eval_in_frame("return sessionStorage.getItem('ringlink.token');")
        .await;
    let token = token.as_str().expect("the frame keeps the session token");

    // A script of the merchant page: the frame's storage and document are out of reach, and
    // the password field is not in the page.
    let snoop = b.eval(PAGE_SNOOPS).await;
    eprintln!("the page's attempts: {snoop}");
    assert_eq!(snoop["storage"], "SecurityError", "{snoop}");
    assert_eq!(snoop["document"], "null", "{snoop}");
    assert_eq!(snoop["window_document"], "SecurityError", "{snoop}");
    assert_eq!(snoop["page_token"], "null", "{snoop}");
    assert_eq!(snoop["password_fields"], 0, "{snoop}");

    // The same tab goes to another merchant on the same relay: the frame there (same relay
    // origin, same top-level site) may find the token in its storage; the relay refuses it.
    let (_second, second_url) = shop.second_site("other");
    b.goto(&second_url).await;
    b.click("[data-rl=bubble]").await;
    b.wait_for("[data-rl=signin-number]", WAIT).await;
    let carried = b
        .eval_in_frame("return sessionStorage.getItem('ringlink.token');")
        .await;
    eprintln!(
        "the site-A token {} in the frame's storage on site B",
        if carried.as_str() == Some(token) {
            "carried over"
        } else {
            "did not carry over; put"
        }
    );
    if carried.as_str() != Some(token) {
        // Storage did not carry over in this browser: put the site-A token there and reload,
        // as a script that stole it would use it.
        b.eval_in_frame(&format!(
            "sessionStorage.setItem('ringlink.token', {}); location.reload();",
            json!(token)
        ))
        .await;
        b.to_page().await;
        b.eval("window.ringlink.push(['close']); window.ringlink.push(['open']); return 0;")
            .await;
    }
    let start = std::time::Instant::now();
    let error = loop {
        let e = b.find("[data-rl=error]").await;
        let text = match e {
            Some(e) => e.text().await.unwrap_or_default(),
            None => String::new(),
        };
        if !text.is_empty() || start.elapsed() > WAIT {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        error.contains("another site"),
        "a site-A session is refused on site B, and the panel says so: {error:?}"
    );
    b.wait_for("[data-rl=signin-password]", WAIT).await;
    let left = b
        .eval_in_frame("return sessionStorage.getItem('ringlink.token');")
        .await;
    assert_eq!(left, Value::Null, "the refused token is forgotten");
    let _ = b.client.clone().close().await;
}

// covers #8 §1 keyboard across the frame: focus moves into the panel when it opens, Escape
// closes it from inside the frame, and focus comes back to the bubble.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_crosses_the_frame() {
    if !widget_built() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let shop = Shop::start("", &[]);
    b.goto(&shop.shop_url).await;
    let bubble = b.wait_for("[data-rl=bubble]", WAIT).await;
    bubble.send_keys("\u{E007}").await.unwrap(); // Enter on the focused bubble
    b.wait_for("[data-rl=signin-number]", WAIT).await;
    let start = std::time::Instant::now();
    loop {
        let focused = b
            .eval_in_frame(
                "return document.hasFocus() && !!document.activeElement.closest('[data-rl=panel]');",
            )
            .await;
        if focused == true {
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "focus did not move into the panel: {focused}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let expanded = b.find("[data-rl=bubble]").await.unwrap();
    assert_eq!(
        expanded.attr("aria-expanded").await.unwrap().as_deref(),
        Some("true")
    );
    // Escape while focus is in the frame's number field.
    let field = b.wait_for("[data-rl=signin-number]", WAIT).await;
    field.send_keys("\u{E00C}").await.unwrap();
    let start = std::time::Instant::now();
    loop {
        let state = b
            .eval(
                "const r = document.getElementById('ringlink-host').shadowRoot; \
                 const bubble = r.querySelector('[data-rl=bubble]'); \
                 return [bubble.getAttribute('aria-expanded'), r.activeElement === bubble];",
            )
            .await;
        if state == json!(["false", true]) {
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "Escape did not close the panel and give focus back: {state}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // covers #8 §1 mobile: on a narrow screen the frame is the whole screen, and says so inside.
    b.client.set_window_size(400, 800).await.unwrap();
    b.click("[data-rl=bubble]").await;
    b.wait_for("[data-rl=signin-number]", WAIT).await;
    let start = std::time::Instant::now();
    loop {
        let geometry = b
            .eval(
                "const f = document.getElementById('ringlink-host').shadowRoot.querySelector('iframe'); \
                 const r = f.getBoundingClientRect(); \
                 const v = document.documentElement; \
                 return [f.hasAttribute('data-full'), r.left, r.top, r.width - v.clientWidth, \
                   r.height - v.clientHeight];",
            )
            .await;
        let inside = b
            .eval_in_frame("return document.documentElement.hasAttribute('data-full');")
            .await;
        if geometry == json!([true, 0, 0, 0, 0]) && inside == true {
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "the narrow-screen panel is not full screen: {geometry} {inside}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = b.client.clone().close().await;
}

// covers #8 §2 unsigned sockets, as a shopper's browser meets it: the relay closes a widget
// socket that has not signed in (here after 2 s); the open panel does not reconnect every few
// seconds to be closed again, and signing in afterwards still works. DIAL-2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_panel_sleeps_after_the_relay_closes_it_and_signs_in_later() {
    if !widget_built() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let shop = Shop::start("sign_in_within_secs = 2\n", &[]);
    b.goto(&shop.shop_url).await;
    b.wait_for("[data-rl=bubble]", WAIT).await;
    b.click("[data-rl=bubble]").await;
    b.wait_for("[data-rl=signin-number]", WAIT).await;
    // Count the sockets the app opens from now on.
    b.eval_in_frame(
        "window.__opened = 0; const Ws = window.WebSocket; \
         window.WebSocket = function (u, p) { window.__opened++; return new Ws(u, p); }; \
         window.WebSocket.prototype = Ws.prototype; return 0;",
    )
    .await;
    // The relay closes the unsigned socket at 2 s; a reconnecting widget would be back within
    // its first backoff step (about a second) and again after each close.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let opened = b.eval_in_frame("return window.__opened;").await;
    assert_eq!(
        opened, 0,
        "the widget reconnected while nobody asked for anything"
    );
    sign_in(&b).await;
    let opened = b.eval_in_frame("return window.__opened;").await;
    assert_eq!(opened, 1, "signing in opens one socket");
}
