//! The console's admin side end to end (#11 "Admin" and "Dashboard"): Chromium opens the
//! relay's `/console`, a site admin changes routing settings (in effect after a reload), adds a
//! canned response that an agent then picks in the composer with its variables filled (the
//! visitor gets the filled text), reads the dashboard's SVG charts (their bars are the
//! conversations this test made) and the CALL view (the site's call button and balance). An
//! agent sees no admin tabs, and the relay refuses the agent's admin REST calls with 403.

use std::time::Duration;

use ringlink_e2e::browser::Browser;
use ringlink_e2e::console::{say, staff_add, visitor, visitor_gets, ConsolePage};
use ringlink_e2e::shop::{Shop, MERCHANT_CREDIT, SALES_BUTTON};
use ringlink_e2e::{require, workspace};
use serde_json::Value;

/// A 1×1 PNG's first bytes: enough for the relay's content check.
const MENU_PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
const WAIT: Duration = Duration::from_secs(20);
const BOSS_PASSWORD: &str = "boss-console-pass-1";
const LI_PASSWORD: &str = "li-console-pass-1";

fn console_built() -> bool {
    let wasm = workspace()
        .join("console/dist/ringlink_console_bg.wasm")
        .exists();
    require(
        "the built console",
        wasm,
        "run scripts/build-console.sh, then rebuild the relay",
    )
}

async fn sign_in(page: &ConsolePage<'_>, shop: &Shop, account: &str, password: &str) {
    page.0
        .goto(&format!("{}/console?site=demo", shop.relay_url))
        .await;
    page.type_into("[data-c=signin-account]", account).await;
    page.type_into("[data-c=signin-password]", password).await;
    page.click("[data-c=signin-submit]").await;
    page.wait_for("[data-c=desk]", WAIT).await;
}

async fn sign_out(page: &ConsolePage<'_>) {
    page.click("[data-c=sign-out]").await;
    page.wait_for("[data-c=signin-account]", WAIT).await;
}

/// Replaces a field's text as a person would: select all, type.
async fn retype(page: &ConsolePage<'_>, selector: &str, text: &str) {
    let e = page.wait_for(selector, WAIT).await;
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// `method path` from the console page with this tab's own console token: (status, body).
async fn rest(
    page: &ConsolePage<'_>,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (u64, String) {
    let script = format!(
        "const t = sessionStorage.getItem('ringlink.console.token');
         const r = await fetch({path:?}, {{method: {method:?}, headers: {{authorization: 'Bearer ' + t,
             'content-type': 'application/json'}}, body: {body}}});
         return [r.status, await r.text()];",
        body = body.map_or("undefined".to_owned(), |b| format!("{b:?}")),
    );
    let v = page
        .0
        .client
        .execute(&format!("return (async () => {{ {script} }})();"), vec![])
        .await
        .unwrap();
    (
        v[0].as_u64().unwrap_or(0),
        v[1].as_str().unwrap_or_default().to_owned(),
    )
}

/// The figures on the bars of the chart `hook`, by their labels.
async fn bars(page: &ConsolePage<'_>, hook: &str) -> Vec<(String, f64)> {
    let v = page
        .eval(&format!(
            "return [...document.querySelectorAll('[data-c={hook}] rect[data-c=bar]')]
                .map(r => [r.dataset.label, Number(r.dataset.value), Number(r.getAttribute('height'))]);"
        ))
        .await;
    let rows: Vec<(String, f64, f64)> = serde_json::from_value(v).unwrap();
    for (label, value, height) in &rows {
        assert_eq!(
            *value > 0.0,
            *height > 0.0,
            "{hook}: the bar {label} is drawn to its figure {value} (height {height})"
        );
    }
    rows.into_iter().map(|(l, v, _)| (l, v)).collect()
}

// covers CHAT-4, CHAT-5 (settings), CHAT-6 (roles), CHAT-2 (stored conversations on the dashboard)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_runs_the_site_from_the_console() {
    if !console_built() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let shop = Shop::start("", &[SALES_BUTTON, MERCHANT_CREDIT]);
    staff_add(&shop, "boss", "Boss", "admin", BOSS_PASSWORD);
    staff_add(&shop, "li", "Li", "agent", LI_PASSWORD);
    let page = ConsolePage(&b);

    // Settings: a bad value shows the relay's reason; good ones hold after a reload.
    sign_in(&page, &shop, "boss", BOSS_PASSWORD).await;
    page.click("[data-c=tab-settings]").await;
    retype(&page, "[data-c=set-capacity]", "0").await;
    page.click("[data-c=settings-save]").await;
    let refused = page.text("[data-c=settings-error]").await;
    assert!(
        refused.contains("capacity"),
        "the relay's reason: {refused}"
    );
    retype(&page, "[data-c=set-capacity]", "7").await;
    retype(&page, "[data-c=set-no-reply]", "45").await;
    page.click("[data-c=settings-save]").await;
    page.wait_for("[data-c=settings-saved]", WAIT).await;
    b.client.refresh().await.unwrap();
    page.click("[data-c=tab-settings]").await;
    let capacity = page.wait_for("[data-c=set-capacity]", WAIT).await;
    assert_eq!(capacity.prop("value").await.unwrap().as_deref(), Some("7"));
    let no_reply = page.wait_for("[data-c=set-no-reply]", WAIT).await;
    assert_eq!(no_reply.prop("value").await.unwrap().as_deref(), Some("45"));
    let (s, body) = rest(&page, "GET", "/v1/console/settings", None).await;
    assert_eq!(s, 200, "{body}");
    let saved: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (saved["capacity"].as_u64(), saved["no_reply_secs"].as_u64()),
        (Some(7), Some(45))
    );

    // A canned response with variables.
    page.click("[data-c=tab-canned]").await;
    page.type_into("[data-c=canned-title]", "greet").await;
    page.type_into(
        "[data-c=canned-body]",
        "您好，我是{agent}，欢迎光临{site}！",
    )
    .await;
    // With a file (#11 "canned responses with variables and attachments"), chosen in the
    // page's file input as an admin would.
    let files = tempfile::tempdir().unwrap();
    let menu = files.path().join("menu.png");
    std::fs::write(&menu, MENU_PNG).unwrap();
    page.find("[data-c=canned-attach]")
        .await
        .expect("the canned form's file input")
        .send_keys(menu.to_str().unwrap())
        .await
        .unwrap();
    page.click("[data-c=canned-add]").await;
    page.wait_until(
        "the canned response is listed with its file",
        "[...document.querySelectorAll('[data-c=canned-item]')].some(e => e.textContent.includes('欢迎光临') && e.textContent.includes('menu.png'))",
        WAIT,
    )
    .await;

    // CALL setup: the button and the balance (1000 fen).
    page.click("[data-c=tab-calls]").await;
    let button = page.text("[data-c=call-button][data-key=sales]").await;
    assert!(
        button.contains("+861065529988") && button.contains("Sales"),
        "{button}"
    );
    assert_eq!(page.text("[data-c=call-balance]").await, "10.00");
    page.click("[data-c=state-busy]").await;
    sign_out(&page).await;

    // The agent: no admin tabs, and the relay refuses the admin calls.
    sign_in(&page, &shop, "li", LI_PASSWORD).await;
    assert!(
        page.find("[data-c=admin-tabs]").await.is_none(),
        "an agent has no admin tabs"
    );
    for (method, path, body) in [
        ("GET", "/v1/console/settings", None),
        ("PUT", "/v1/console/settings", Some(r#"{"capacity":50}"#)),
        (
            "POST",
            "/v1/console/canned",
            Some(r#"{"title":"x","text":"y"}"#),
        ),
        ("GET", "/v1/console/dashboard", None),
        ("GET", "/v1/console/calls", None),
    ] {
        let (s, text) = rest(&page, method, path, body).await;
        assert_eq!(s, 403, "{method} {path} as an agent: {text}");
    }

    // Two visitors; Li answers the first with the canned response, filled.
    let mut v1 = visitor(&shop, "product/tea").await;
    say(&mut v1, "有人吗？", "v1-1").await;
    let mut v2 = visitor(&shop, "product/cup").await;
    say(&mut v2, "你好", "v2-1").await;
    page.wait_until(
        "both conversations are Li's",
        "document.querySelectorAll('[data-c=conversation]').length === 2",
        WAIT,
    )
    .await;
    page.click("[data-c=conversation]").await;
    page.wait_for("[data-c=canned-pick]", WAIT).await;
    page.eval(
        "const s = document.querySelector('[data-c=canned-pick]');
         s.value = [...s.options].find(o => o.textContent === 'greet').value;
         s.dispatchEvent(new Event('change', {bubbles: true}));",
    )
    .await;
    let composer = page.wait_for("[data-c=composer]", WAIT).await;
    assert_eq!(
        composer.prop("value").await.unwrap().as_deref(),
        Some("您好，我是Li，欢迎光临Demo shop！"),
        "the composer holds the filled text"
    );
    assert!(
        page.text("[data-c=canned-file]").await.contains("menu.png"),
        "the canned file waits beside the composer"
    );
    page.click("[data-c=send]").await;
    // Whichever visitor that conversation is, they (and only they) get the filled text.
    let filled = "您好，我是Li，欢迎光临Demo shop！";
    let line = tokio::select! {
        (l, _) = visitor_gets(&mut v1, filled) => l,
        (l, _) = visitor_gets(&mut v2, filled) => l,
    };
    assert_eq!(line.text, "您好，我是Li，欢迎光临Demo shop！");
    let file = line.attachment.expect("the canned file came with the line");
    assert_eq!(
        (file.name.as_str(), file.bytes),
        ("menu.png", MENU_PNG.len() as u64)
    );
    sign_out(&page).await;

    // The dashboard: its charts are the two conversations, both Li's.
    sign_in(&page, &shop, "boss", BOSS_PASSWORD).await;
    page.click("[data-c=tab-dashboard]").await;
    page.wait_for("[data-c=chart-chats] svg[role=img][aria-label]", WAIT)
        .await;
    let title = page
        .texts("[data-c=chart-chats] svg > title")
        .await
        .join("");
    assert!(
        title.contains("24"),
        "the chart says what it shows: {title}"
    );
    let chats = bars(&page, "chart-chats").await;
    assert_eq!(chats.len(), 24);
    assert_eq!(chats.iter().map(|b| b.1).sum::<f64>(), 2.0, "{chats:?}");
    assert_eq!(
        chats.last().map(|b| b.1),
        Some(2.0),
        "both in this hour: {chats:?}"
    );
    // Open now, per agent: both with Li, unless the keeper already moved one (Li signed out).
    let load = bars(&page, "chart-load").await;
    assert_eq!(load.len(), 2, "one bar per agent: {load:?}");
    assert_eq!(load.iter().map(|b| b.1).sum::<f64>(), 2.0, "{load:?}");
    let served = bars(&page, "chart-served").await;
    assert_eq!(served.iter().map(|b| b.1).sum::<f64>(), 2.0, "{served:?}");
    let calls = bars(&page, "chart-calls").await;
    assert_eq!(calls.len(), 14);
    assert_eq!(
        calls.iter().map(|b| b.1).sum::<f64>(),
        0.0,
        "no calls yet: {calls:?}"
    );
    let numbers = page
        .texts("[data-c=chart-chats] [data-c=chart-numbers] td")
        .await;
    assert_eq!(
        numbers.len(),
        24,
        "the numbers behind the chart: {numbers:?}"
    );
    assert_eq!(numbers.last().map(String::as_str), Some("2"), "{numbers:?}");
}
