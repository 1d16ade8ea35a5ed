//! Agent-started chat (CHAT-9) in Chromium: the demo shop's tag carries `data-ringlink-invite`,
//! so the loader imports the page watcher, which keeps one socket per page view without the
//! frame or the wasm app. An agent (a console protocol client) sees the visitor browsing with
//! the page, sees a navigation move them to the next page, and invites them with a line; the
//! bubble opens the chat panel on that line, the visitor answers and the agent gets it. A page
//! whose tag lacks the attribute opens no socket: the agent's list stays empty.

use std::time::Duration;

use ringlink_e2e::browser::Browser;
use ringlink_e2e::console::{colleague, staff_add};
use ringlink_e2e::live_client::Client;
use ringlink_e2e::shop::Shop;
use ringlink_e2e::{require, workspace};
use ringlink_protocol::chat::Author;
use ringlink_protocol::console::*;

const WAIT: Duration = Duration::from_secs(30);
const PASSWORD: &str = "li-invite-pass-1";
const GREETING: &str = "您好，需要帮您挑一把茶壶吗？";
const ANSWER: &str = "要一把能泡绿茶的";

fn widget_built() -> bool {
    require(
        "the built widget",
        workspace().join("widget/dist/frame.js").exists(),
        "run scripts/build-widget.sh",
    )
}

type Console = Client<ConsoleMsg, RelayToConsole>;

/// The next "browsing now" list for which `want` holds.
async fn browsing(
    console: &mut Console,
    what: &str,
    want: impl Fn(&[BrowsingVisitor]) -> bool,
) -> Vec<BrowsingVisitor> {
    console
        .wait_for(WAIT, |env| match &env.msg {
            RelayToConsole::VisitorsNow(v) if want(v) => Some(v.clone()),
            _ => None,
        })
        .await
        .unwrap_or_else(|| panic!("the agent never saw {what}"))
}

/// What the merchant's page has fetched so far (its own resource timing; the relay sends
/// `Timing-Allow-Origin`).
async fn fetched(b: &Browser) -> String {
    b.eval("return performance.getEntriesByType('resource').map(e => e.name).join(' ');")
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Waits until the frame's chat lines contain `want`.
async fn panel_shows(b: &Browser, want: &str) -> String {
    let start = std::time::Instant::now();
    loop {
        if let Some(e) = b.find("[data-rl=chat-lines]").await {
            let t = e.text().await.unwrap_or_default();
            if t.contains(want) {
                return t;
            }
        }
        if start.elapsed() > WAIT {
            b.dump("timeout").await;
            panic!("the visitor's panel never showed '{want}'");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// covers CHAT-9: an agent opens a conversation with a visitor who is browsing the page
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_invites_a_browsing_visitor_and_they_chat() {
    if !widget_built() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let shop = Shop::start("", &[]);
    staff_add(&shop, "li", "Li", "agent", PASSWORD);
    let mut li = colleague(&shop, "li", PASSWORD).await;
    let (_inviting, inviting_url) = shop.inviting_shop();

    // The visitor browses: the agent sees the page, with the browser's language.
    b.goto(&format!("{inviting_url}products/tea")).await;
    let now = browsing(&mut li, "the visitor on the tea page", |v| {
        v.iter().any(|p| p.page.ends_with("/products/tea"))
    })
    .await;
    assert_eq!(now.len(), 1, "one page view, one entry: {now:?}");
    assert_eq!(now[0].lang.as_deref(), Some("en-US"), "{now:?}");
    let title = b.eval("return document.title;").await;
    assert_eq!(
        now[0].title.as_deref(),
        title.as_str().filter(|t| !t.is_empty()),
        "the agent reads the page's title: {now:?}"
    );
    assert!(
        now[0].title.is_some(),
        "the demo's product page has a title"
    );
    let seen = fetched(&b).await;
    assert!(seen.contains("/watch.js"), "the watcher loaded: {seen}");
    assert!(
        !seen.contains(".wasm") && !seen.contains("/widget/frame"),
        "watching loads neither the frame nor the app: {seen}"
    );

    // A navigation (a link the visitor follows): the agent sees the new page and where the
    // visitor came from, and the old page view is gone.
    b.eval(&format!(
        "const a = document.createElement('a'); a.href = '{inviting_url}products/kettle'; document.body.append(a); a.click(); return true;"
    ))
    .await;
    let now = browsing(&mut li, "the visitor move to the kettle page", |v| {
        v.len() == 1 && v[0].page.ends_with("/products/kettle")
    })
    .await;
    let referrer = now[0].referrer.clone().unwrap_or_default();
    assert!(
        referrer.ends_with("/products/tea"),
        "the page came from the tea page: {now:?}"
    );

    // The agent invites; the bubble opens the chat on the agent's line.
    let r = li
        .request(
            ConsoleMsg::InviteVisitor(InviteVisitor {
                pageview: now[0].pageview.clone(),
                text: GREETING.into(),
            }),
            WAIT,
        )
        .await;
    let RelayToConsole::Opened(opened) = r else {
        panic!("the invitation was answered with {r:?}")
    };
    let shown = panel_shows(&b, GREETING).await;
    assert!(shown.contains("Li"), "the agent's name: {shown}");
    b.wait_attr("[data-rl=bubble]", "aria-expanded", "true", WAIT)
        .await;

    // The visitor answers in the panel; the agent gets it in the invited conversation.
    b.type_into("[data-rl=chat-input]", ANSWER).await;
    b.type_into("[data-rl=chat-input]", "\u{E007}").await;
    let line = li
        .wait_for(WAIT, |env| match &env.msg {
            RelayToConsole::Line(l) if l.text == ANSWER => Some(l.clone()),
            _ => None,
        })
        .await
        .expect("the agent gets the visitor's answer");
    assert_eq!(line.author, Author::Visitor);
    assert_eq!(line.conversation, opened.conversation.id);
}

// covers CHAT-9: without data-ringlink-invite a page view opens no socket at all
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_without_the_attribute_is_not_watched() {
    if !widget_built() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let shop = Shop::start("", &[]);
    staff_add(&shop, "li", "Li", "agent", PASSWORD);
    let mut li = colleague(&shop, "li", PASSWORD).await;

    b.goto(&format!("{}products/tea", shop.shop_url)).await;
    b.wait_for("[data-rl=bubble]", WAIT).await;
    let heard = li.drain(Duration::from_secs(3)).await;
    let listed: Vec<_> = heard
        .iter()
        .filter_map(|env| match &env.msg {
            RelayToConsole::VisitorsNow(v) if !v.is_empty() => Some(v.clone()),
            _ => None,
        })
        .collect();
    assert!(
        listed.is_empty(),
        "a page without the attribute showed: {listed:?}"
    );
    let seen = fetched(&b).await;
    assert!(!seen.contains("watch.js"), "no watcher fetched: {seen}");

    // The same merchant's page with the attribute does show: the check above can fail.
    let (_inviting, inviting_url) = shop.inviting_shop();
    b.goto(&format!("{inviting_url}products/tea")).await;
    browsing(&mut li, "the opted-in page", |v| v.len() == 1).await;
}
