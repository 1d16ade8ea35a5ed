//! The widget's weight on the wire in Chromium (#9 §1, #11 weight): a page view fetches the
//! loader and nothing else until the bubble is approached; opening the bubble fetches the core
//! and no panel; each panel's chunk comes on its first use (DIAL's on signing in, CALL's on a
//! call button); the files come brotli-encoded with an ETag under content-hashed names or the
//! build's versioned folder, and a repeat visit takes them from the cache.

use std::time::Duration;

use ringlink_e2e::browser::Browser;
use ringlink_e2e::shop::{Shop, NUMBER, PASSWORD};
use ringlink_e2e::weight::{chat_first, frame_fetches, measure, total, Fetch};
use ringlink_e2e::{require, workspace};

fn widget_built() -> bool {
    let wasm = workspace().join("widget/dist/frame.js");
    require(
        "the built widget",
        wasm.exists(),
        "run scripts/build-widget.sh",
    )
}

fn hex16(s: &str) -> bool {
    s.len() == 16 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// A content-hashed name (`frame.0123456789abcdef.js`) or a file of the versioned app folder
/// (`widget/v/0123456789abcdef/split_dial.wasm`): either way cached for good.
fn is_hashed(name: &str) -> bool {
    let mut parts = name.rsplit('/');
    let file = parts.next().unwrap_or("");
    let versioned = parts.next().is_some_and(hex16) && parts.next() == Some("v");
    versioned || hex16(file.split('.').nth(1).unwrap_or(""))
}

/// The panels' chunks among `f` (the frame's own re-fetches of the core, above, may land in
/// the resource timing late).
fn chunks_of(f: Vec<Fetch>) -> Vec<Fetch> {
    f.into_iter()
        .filter(|x| x.name.contains("/split_") || x.name.contains("/chunk_"))
        .collect()
}

fn chunk_names(f: &[Fetch]) -> Vec<String> {
    f.iter()
        .filter(|x| x.name.ends_with(".wasm") && !x.name.ends_with("ringlink_widget_bg.wasm"))
        .map(|x| x.name.rsplit('/').next().unwrap_or("").to_owned())
        .collect()
}

fn show(what: &str, f: &[Fetch]) {
    eprintln!(
        "{what}: {} B on the wire, {} B bodies, {} B decoded: {f:?}",
        total(f, |x| x.transfer),
        total(f, |x| x.encoded),
        total(f, |x| x.decoded)
    );
}

// covers #9 §1 weight: loader only before intent (resource timing, Timing-Allow-Origin),
// brotli + ETag + hashed names for the frame's files, the cache on a repeat visit. DIAL-2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_view_fetches_only_the_loader_and_the_frame_comes_compressed() {
    if !widget_built() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let shop = Shop::start("", &[]);
    let w = measure(&b, &shop).await;
    show("page view, bubble untouched", &w.page_view);
    show("bubble opened", &w.opened);
    show("repeat visit, bubble opened", &w.repeat_opened);
    eprintln!("first panel usable {:.0} ms after the click", w.usable_ms);
    assert!(
        chunk_names(&w.opened).is_empty(),
        "opening the bubble fetches the core, no panel: {:?}",
        w.opened
    );

    let names: Vec<&str> = w.page_view.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["widget/widget.js"], "only the loader before intent");
    let loader = &w.page_view[0];
    assert!(
        loader.transfer > 0,
        "Timing-Allow-Origin shows the size: {loader:?}"
    );
    assert!(
        loader.encoded < loader.decoded,
        "the loader comes compressed: {loader:?}"
    );

    assert_eq!(w.opened[0].name, "page");
    let files = &w.opened[1..];
    for ext in [".js", ".css", ".wasm"] {
        assert!(
            files.iter().any(|f| f.name.ends_with(ext)),
            "the frame fetched no {ext}: {files:?}"
        );
    }
    for f in files {
        assert!(is_hashed(&f.name), "{} has no content hash", f.name);
        assert!(
            f.transfer > 0 && f.encoded < f.decoded,
            "not compressed: {f:?}"
        );
    }

    // The encoding and the validator, as the frame's own fetch sees them (same origin).
    let seen = b
        .eval_in_frame(
            "const urls = [document.body.dataset.app, document.body.dataset.wasm]; \
             return Promise.all(urls.map(u => fetch(u, {cache: 'no-store'}).then(r => \
               [u, r.headers.get('content-encoding'), r.headers.get('etag'), \
                r.headers.get('cache-control')])));",
        )
        .await;
    eprintln!("frame fetches: {seen}");
    for row in seen.as_array().unwrap() {
        assert_eq!(row[1], "br", "{row}");
        assert!(row[2].as_str().is_some_and(|e| e.starts_with('"')), "{row}");
        assert!(
            row[3].as_str().is_some_and(|c| c.contains("immutable")),
            "{row}"
        );
    }

    // A repeat visit: the hashed files come from the cache, no byte on the wire.
    for f in w.repeat_opened.iter().filter(|f| is_hashed(&f.name)) {
        assert_eq!(f.transfer, 0, "{} was fetched again: {f:?}", f.name);
    }
    assert!(w.usable_ms > 0.0 && w.usable_ms < Duration::from_secs(20).as_millis() as f64);

    // Each panel on its first use (this repeat visit never fetched one): DIAL's chunk on
    // signing in, CALL's on a call button; each comes once, compressed and versioned.
    let relay = format!("{}/", shop.relay_url);
    let before = frame_fetches(&b, &relay).await.len();
    b.type_into("[data-rl=signin-number]", NUMBER).await;
    b.type_into("[data-rl=signin-password]", PASSWORD).await;
    b.click("[data-rl=signin-submit]").await;
    b.wait_for("[data-rl=pair-code]", Duration::from_secs(30))
        .await;
    let dial = chunks_of(frame_fetches(&b, &relay).await.split_off(before));
    show("dial panel, first use", &dial);
    assert!(
        chunk_names(&dial).contains(&"split_dial.wasm".to_owned()),
        "{dial:?}"
    );
    let before = frame_fetches(&b, &relay).await.len();
    b.eval("window.ringlink.push(['call', 'sales']); return true;")
        .await;
    b.wait_for("[data-rl=call-me]", Duration::from_secs(30))
        .await;
    let call_me = chunks_of(frame_fetches(&b, &relay).await.split_off(before));
    show("call-me panel, first use", &call_me);
    // Its own chunk and the shared chunks it needs that the dial panel did not bring.
    let names = chunk_names(&call_me);
    assert!(
        names.contains(&"split_call_me.wasm".to_owned())
            && names
                .iter()
                .all(|n| n == "split_call_me.wasm" || n.starts_with("chunk_")),
        "{call_me:?}"
    );
    for f in dial.iter().chain(&call_me) {
        assert!(is_hashed(&f.name), "{} is not versioned", f.name);
        assert!(
            f.transfer > 0 && f.encoded < f.decoded,
            "not compressed: {f:?}"
        );
    }
}

// covers #11 weight ("what a visitor downloads before the first chat message can be typed"):
// a fresh visitor who opens the chat first fetches the loader, the frame, the core and the
// chat's chunk, and no other panel's; everything comes compressed and versioned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_who_opens_the_chat_first_fetches_the_chat_chunk_and_no_other_panel() {
    if !widget_built() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let shop = Shop::start("", &[]);
    let w = chat_first(&b, &shop).await;
    show("chat first: page view", &w.page_view);
    show("chat first: frame until the input shows", &w.frame);
    let all: Vec<Fetch> = w.page_view.iter().chain(&w.frame).cloned().collect();
    show("chat first: before the first message can be typed", &all);
    eprintln!("chat input found {:.0} ms after the push", w.typable_ms);
    let names = chunk_names(&w.frame);
    assert!(
        names.contains(&"split_chat.wasm".to_owned()),
        "the chat's chunk came: {names:?}"
    );
    assert!(
        names
            .iter()
            .all(|n| n == "split_chat.wasm" || n.starts_with("chunk_")),
        "no other panel's chunk before the chat is used: {names:?}"
    );
    for f in w.frame.iter().filter(|f| f.name != "page") {
        assert!(is_hashed(&f.name), "{} is not versioned", f.name);
        assert!(
            f.transfer > 0 && f.encoded < f.decoded,
            "not compressed: {f:?}"
        );
    }
}
