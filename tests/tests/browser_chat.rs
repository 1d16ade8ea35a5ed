//! The visitor's chat panel in Chromium (CHAT, #11 "The visitor's side (widget)"): the visitor
//! opens the chat tab and writes; a staff console (a Rust client) gets the line with the page,
//! its referrer and the language, answers, and its name, typing and reply show in the panel;
//! after a reload the conversation is still there; an IME's Enter never sends; with nobody
//! online the leave-a-message form shows.

use std::time::Duration;

use ringlink_e2e::axe::{axe, axe_source};
use ringlink_e2e::browser::Browser;
use ringlink_e2e::live_client;
use ringlink_e2e::shop::Shop;
use ringlink_e2e::{require, workspace};
use ringlink_protocol::console::*;
use ringlink_protocol::secret::Secret;

const WAIT: Duration = Duration::from_secs(30);
const ASK: &str = "有 42 码吗";

fn widget_built() -> bool {
    require(
        "the built widget",
        workspace().join("widget/dist/frame.js").exists(),
        "run scripts/build-widget.sh",
    )
}

/// The frame's lines, as text.
async fn lines(b: &Browser) -> String {
    b.eval_in_frame(
        "return Array.from(document.querySelectorAll('[data-rl=chat-line]')).map(e => e.textContent).join('|');",
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

// covers CHAT-1 (the visitor chats from the widget), CHAT-2 (the conversation survives a
// reload), CHAT-8 (the agent sees the page, its referrer and the language), #11 IME
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_chats_with_an_agent_and_finds_the_chat_after_a_reload() {
    if !widget_built() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let shop = Shop::start("", &[]);
    shop.admin_with_input(
        &[
            "staff",
            "add",
            "--site",
            "demo",
            "--account",
            "li",
            "--name",
            "Li",
        ],
        "correct horse",
    );
    let addr: std::net::SocketAddr = shop
        .relay_url
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let mut console = live_client::console(addr, &shop.relay_url).await.unwrap();
    let signed = console
        .request(
            ConsoleMsg::StaffSignIn(StaffSignIn {
                site: "demo".into(),
                account: "li".into(),
                password: Secret::new("correct horse"),
            }),
            WAIT,
        )
        .await;
    assert!(
        matches!(signed, RelayToConsole::StaffSignedIn(_)),
        "{signed:?}"
    );

    // The visitor comes from a search page, opens the bubble and the chat tab.
    let referrer = format!("{}?from=search", shop.shop_url);
    b.goto(&referrer).await;
    b.eval(&format!(
        "const a = document.createElement('a'); a.href = '{}products/tea'; a.id = 'go'; document.body.append(a); a.click(); return true;",
        shop.shop_url
    ))
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    b.eval("window.ringlink.push(['chat']); return true;").await;
    b.wait_for("[data-rl=chat-input]", WAIT).await;

    // IME: an Enter that picks a candidate sends nothing.
    b.type_into("[data-rl=chat-input]", "you").await;
    b.eval_in_frame(
        "const t = document.querySelector('[data-rl=chat-input]');
         t.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', isComposing: true, bubbles: true, cancelable: true}));
         t.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', keyCode: 229, bubbles: true, cancelable: true}));
         return true;",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(lines(&b).await, "", "an IME's Enter sent nothing");
    let kept = b
        .wait_for("[data-rl=chat-input]", WAIT)
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("you"), "the text stays in the box");
    b.eval_in_frame(
        "const t = document.querySelector('[data-rl=chat-input]'); t.value = ''; return true;",
    )
    .await;

    // The visitor asks; Enter sends.
    b.type_into("[data-rl=chat-input]", ASK).await;
    b.type_into("[data-rl=chat-input]", "\u{E007}").await;
    b.wait_text("[data-rl=chat-lines]", ASK, WAIT).await;

    // The agent is given the conversation, with where the visitor is (CHAT-8).
    let summary = console
        .wait_for(WAIT, |env| match &env.msg {
            RelayToConsole::Conversation(s) if s.visitor.is_some() => Some(s.clone()),
            _ => None,
        })
        .await
        .expect("the agent is given the conversation");
    let info = summary.visitor.clone().unwrap();
    assert_eq!(
        info.page.as_deref(),
        Some(&*format!("{}products/tea", shop.shop_url))
    );
    assert_eq!(info.referrer.as_deref(), Some(&*referrer));
    assert!(info.lang.is_some(), "the browser's language: {info:?}");
    let line = console
        .wait_for(WAIT, |env| match &env.msg {
            RelayToConsole::Line(l) if l.text == ASK => Some(l.clone()),
            _ => None,
        })
        .await;
    assert!(
        line.is_some() || summary.last_seq > 0,
        "the agent has the line"
    );

    // The agent types, then answers: both show, with the agent's name.
    console
        .send(ConsoleMsg::StaffTyping(StaffTyping {
            conversation: summary.id.clone(),
            typing: true,
        }))
        .await;
    b.wait_text("[data-rl=chat-typing]", "Li", WAIT).await;
    console
        .request(
            ConsoleMsg::StaffSend(StaffSend {
                conversation: summary.id.clone(),
                text: "有的，42 码有货".into(),
                client_id: "a1".into(),
                attachment: None,
                internal: false,
            }),
            WAIT,
        )
        .await;
    let said = b.wait_text("[data-rl=chat-lines]", "42 码有货", WAIT).await;
    assert!(said.contains("Li"), "the agent's name: {said}");
    b.wait_text("[data-rl=chat-status]", "Li", WAIT).await;

    // The panel closed, a new line counts on the bubble (#11 "the bubble shows an unread count").
    b.eval("window.ringlink.push(['close']); return true;")
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    console
        .request(
            ConsoleMsg::StaffSend(StaffSend {
                conversation: summary.id.clone(),
                text: "还有别的颜色".into(),
                client_id: "a2".into(),
                attachment: None,
                internal: false,
            }),
            WAIT,
        )
        .await;
    b.wait_attr("[data-rl=bubble]", "data-unread", "1", WAIT)
        .await;

    // covers #11 "after a navigation, the bubble shows an unread count without loading the
    // app": on the next page the bubble counts the unread line, and a line the agent sends
    // while the visitor reads the page counts too (the badge frame asks every 30 s), with no
    // wasm fetched and no app frame made.
    b.goto(&format!("{}products/tea", shop.shop_url)).await;
    b.wait_attr("[data-rl=bubble]", "data-unread", "1", WAIT)
        .await;
    console
        .request(
            ConsoleMsg::StaffSend(StaffSend {
                conversation: summary.id.clone(),
                text: "蓝色也有".into(),
                client_id: "a3".into(),
                attachment: None,
                internal: false,
            }),
            WAIT,
        )
        .await;
    b.wait_attr(
        "[data-rl=bubble]",
        "data-unread",
        "2",
        Duration::from_secs(45),
    )
    .await;
    assert!(
        b.find("[data-rl=frame]").await.is_none(),
        "no app frame before the visitor reaches for it"
    );
    let frames = b
        .eval(
            "return [...document.getElementById('ringlink-host').shadowRoot.querySelectorAll('iframe')]
               .map(f => [f.getAttribute('data-rl'), f.hidden, new URL(f.src).search]);",
        )
        .await;
    assert_eq!(
        frames,
        serde_json::json!([["badge", true, "?site=demo&badge=1"]]),
        "only the hidden badge frame, which loads no app (relay/tests/widget_frame.rs)"
    );

    // The chat opens on this page: the conversation is still there (the frame's storage and
    // `since`).
    b.eval("window.ringlink.push(['chat']); return true;").await;
    let again = b.wait_text("[data-rl=chat-lines]", "42 码有货", WAIT).await;
    assert!(again.contains(ASK), "{again}");
    assert_eq!(
        again.matches(ASK).count(),
        1,
        "each line once after the reload: {again}"
    );
}

// covers #11 "no agent free": the visitor leaves a message (CHAT-1, the visitor's side)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_nobody_online_the_visitor_can_leave_a_message() {
    if !widget_built() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let shop = Shop::start("", &[]);
    b.goto(&shop.shop_url).await;
    b.eval("window.ringlink.push(['chat']); return true;").await;
    b.wait_for("[data-rl=leave-message]", WAIT).await;
    // covers #9 §5 axe on the chat tab: the tabs, the offer's form and the composer.
    if let Some(source) = axe_source() {
        let found = axe(&b, &source).await;
        assert_eq!(found, serde_json::json!([]), "axe on the chat's offer");
    }
    // covers #9 §5 focus not obscured: the panel put focus on the offer's first field; when
    // the text above it reflows shorter, the field is scrolled back clear of the sticky title
    // and tabs (it was left under them, and a click on it hit the tabs).
    b.frame_until(
        "return document.activeElement.getAttribute('data-rl');",
        "focus on the offer's first field",
        WAIT,
        |a| a == "lm-name",
    )
    .await;
    b.eval_in_frame(
        "const filler = document.createElement('div');
         filler.style.height = '120px';
         document.querySelector('[data-rl=leave-message]').before(filler);
         document.querySelector('[data-rl=lm-name]').scrollIntoView({ block: 'start' });
         window.__filler = filler;
         return true;",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    b.eval_in_frame("window.__filler.remove(); return true;")
        .await;
    b.frame_until(
        "const top = document.querySelector('.rl-top').getBoundingClientRect().bottom;
         const f = document.activeElement.getBoundingClientRect();
         return [f.top >= top - 1, Math.round(f.top), Math.round(top)];",
        "the focused field stays below the sticky tabs",
        Duration::from_secs(3),
        |v| v[0] == true,
    )
    .await;
    b.type_into("[data-rl=lm-name]", "王女士").await;
    b.type_into("[data-rl=lm-number]", "13800138001").await;
    b.type_into("[data-rl=lm-text]", "请回电").await;
    b.click("[data-rl=lm-send]").await;
    b.wait_for("[data-rl=message-left]", WAIT).await;
}
