//! The widget's weight as a shopper's browser gets it (#9 §1): bytes on the wire from Chromium's
//! resource timing (the relay sends `Timing-Allow-Origin`), for a page view with the bubble
//! untouched, the bubble opened, and a repeat visit; the time from the click to a usable
//! panel (the frame's `ringlink:usable` mark); and what each lazily loaded panel's chunk costs
//! when it is first used ([`frame_fetches`] before and after). Used by the browser test and the
//! bench.

use std::time::Duration;

use serde_json::{json, Value};

use crate::browser::Browser;
use crate::shop::Shop;

const WAIT: Duration = Duration::from_secs(30);
/// How long the page sits idle before it is measured: longer than the loader's idle callback.
const IDLE: Duration = Duration::from_millis(3500);

/// One resource as the browser fetched it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Fetch {
    /// Path on the relay (`widget/widget.js`), or `page` for the document itself.
    pub name: String,
    /// Bytes on the wire: headers plus the encoded body (0 when it came from the cache).
    pub transfer: u64,
    /// The body as sent (compressed).
    pub encoded: u64,
    /// The body once decoded.
    pub decoded: u64,
}

/// The three moments a shopper meets.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Weight {
    /// Relay files the merchant page fetched before anyone touched the bubble.
    pub page_view: Vec<Fetch>,
    /// What the frame fetched once the bubble was clicked (its page and files).
    pub opened: Vec<Fetch>,
    /// Milliseconds from the click to the panel mounted, open and ready to type in.
    pub usable_ms: f64,
    /// The same page again in the same browser: what opening the bubble costs then.
    pub repeat_opened: Vec<Fetch>,
}

pub fn total(fetches: &[Fetch], f: fn(&Fetch) -> u64) -> u64 {
    fetches.iter().map(f).sum()
}

/// The relay's files in the current document's resource timing (and the document itself).
const FETCHES: &str = "const relay = arguments[0]; const own = arguments[1]; \
    const out = performance.getEntriesByType('resource').filter(e => e.name.startsWith(relay)) \
      .map(e => ({name: e.name.slice(relay.length).split('?')[0], transfer: e.transferSize, \
                  encoded: e.encodedBodySize, decoded: e.decodedBodySize})); \
    if (own) { const n = performance.getEntriesByType('navigation')[0]; \
      out.unshift({name: 'page', transfer: n.transferSize, encoded: n.encodedBodySize, \
                   decoded: n.decodedBodySize}); } \
    return out;";

/// Clicks the bubble from a page script and returns the click's time (epoch ms).
const CLICK: &str = "const h = document.getElementById('ringlink-host'); \
    const b = h.shadowRoot.querySelector('[data-rl=bubble]'); \
    const t = performance.timeOrigin + performance.now(); b.click(); return t;";

/// In the frame: when the app marked itself usable (epoch ms), or null before.
const USABLE: &str = "const m = performance.getEntriesByName('ringlink:usable')[0]; \
    return m ? performance.timeOrigin + m.startTime : null;";

fn fetches(v: Value) -> Vec<Fetch> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|e| Fetch {
                    name: e["name"].as_str().unwrap_or("").to_owned(),
                    transfer: e["transfer"].as_u64().unwrap_or(0),
                    encoded: e["encoded"].as_u64().unwrap_or(0),
                    decoded: e["decoded"].as_u64().unwrap_or(0),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Everything the frame fetched so far, in order (the browser is left in the frame).
pub async fn frame_fetches(b: &Browser, relay: &str) -> Vec<Fetch> {
    assert!(b.to_frame().await, "the widget frame is not on the page");
    fetches(
        b.client
            .execute(FETCHES, vec![json!(relay), json!(false)])
            .await
            .unwrap(),
    )
}

async fn page_fetches(b: &Browser, relay: &str) -> Vec<Fetch> {
    b.to_page().await;
    fetches(
        b.client
            .execute(FETCHES, vec![json!(relay), json!(false)])
            .await
            .unwrap(),
    )
}

/// Opens the bubble and waits for the usable mark; returns the frame's fetches and the time.
async fn open(b: &Browser, relay: &str) -> (Vec<Fetch>, f64) {
    b.to_page().await;
    let clicked = b.client.execute(CLICK, vec![]).await.unwrap();
    let clicked = clicked.as_f64().unwrap();
    let start = std::time::Instant::now();
    let usable = loop {
        if b.to_frame().await {
            if let Some(t) = b.client.execute(USABLE, vec![]).await.unwrap().as_f64() {
                break t;
            }
        }
        assert!(start.elapsed() < WAIT, "the panel did not become usable");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let opened = fetches(
        b.client
            .execute(FETCHES, vec![json!(relay), json!(true)])
            .await
            .unwrap(),
    );
    (opened, usable - clicked)
}

/// Measures a fresh visit to the shop, then a repeat visit, in one browser profile.
pub async fn measure(b: &Browser, shop: &Shop) -> Weight {
    let relay = format!("{}/", shop.relay_url);
    b.goto(&shop.shop_url).await;
    b.wait_for("[data-rl=bubble]", WAIT).await;
    tokio::time::sleep(IDLE).await;
    let page_view = page_fetches(b, &relay).await;
    let (opened, usable_ms) = open(b, &relay).await;
    b.goto(&shop.shop_url).await;
    b.wait_for("[data-rl=bubble]", WAIT).await;
    let (repeat_opened, _) = open(b, &relay).await;
    Weight {
        page_view,
        opened,
        usable_ms,
        repeat_opened,
    }
}

/// What a fresh visitor who opens the chat first downloads (#11 weight): the merchant page's
/// fetches of relay files before intent (the loader), then everything the frame fetched until
/// the chat's input shows (its page, files, the core and the chat's chunk).
pub struct ChatFirst {
    pub page_view: Vec<Fetch>,
    pub frame: Vec<Fetch>,
    /// Milliseconds from `ringlink.push(['chat'])` until the input was found (WebDriver
    /// polling every 100 ms included).
    pub typable_ms: f64,
}

pub async fn chat_first(b: &Browser, shop: &Shop) -> ChatFirst {
    let relay = format!("{}/", shop.relay_url);
    b.goto(&shop.shop_url).await;
    b.wait_for("[data-rl=bubble]", WAIT).await;
    tokio::time::sleep(IDLE).await;
    let page_view = page_fetches(b, &relay).await;
    b.to_page().await;
    let start = std::time::Instant::now();
    b.eval("window.ringlink.push(['chat']); return true;").await;
    b.wait_for("[data-rl=chat-input]", WAIT).await;
    let typable_ms = start.elapsed().as_secs_f64() * 1000.0;
    assert!(b.to_frame().await, "the widget frame is not on the page");
    let frame = fetches(
        b.client
            .execute(FETCHES, vec![json!(relay), json!(true)])
            .await
            .unwrap(),
    );
    ChatFirst {
        page_view,
        frame,
        typable_ms,
    }
}
