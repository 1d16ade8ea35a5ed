//! Whole chats with every side real (#11 "Chromium, visitor and agent console"): visitors in the
//! widget and agents in the console, each in a Chromium of their own, on SQLite and on
//! PostgreSQL. An offline agent's conversation moves to a colleague with its whole history; an
//! agent serves two visitors and a colleague at once and nothing crosses; busy takes no new
//! visitors; with every agent full the visitor's queue place falls as chats close; and with
//! nobody there the "call me back" offer places a real CALL to SIPp phones.

use std::time::{Duration, Instant};

use ringlink_e2e::chat_flow::{apps_built, set_chat, strings, Agent, Db, Visitor, WAIT};
use ringlink_e2e::console::{self, staff_add};
use ringlink_e2e::shop::{Shop, NUMBER, PASSWORD, SALES_CALLS};
use ringlink_e2e::sipp::{have_sipp, member_and_merchant};
use ringlink_protocol::chat::ConversationState;
use ringlink_protocol::widget::RelayToWidget;
use serde_json::json;

const LI: &str = "li-console-pass-1";
const WANG: &str = "wang-console-pass-1";

/// Each flow once per database: `<flow>::sqlite` always, `<flow>::postgres` when
/// `DATABASE_URL_PG` is set (skipped with the reason otherwise; CI sets it).
macro_rules! on_both_databases {
    ($($flow:ident),* $(,)?) => {$(
        mod $flow {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$flow(super::Db::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$flow(super::Db::Postgres).await
            }
        }
    )*};
}

on_both_databases!(
    an_offline_agents_chat_moves_to_a_colleague_with_its_history,
    a_busy_agent_takes_no_new_visitors,
    with_every_agent_full_the_queue_place_falls_as_chats_close,
    call_me_back_from_the_chat_places_a_call,
    an_agent_serves_two_visitors_and_a_colleague_and_nothing_crosses,
);

/// The shop on `db` with `config` after the database's lines; `None` when the database is missing.
fn shop(db: Db, config: &str, seed: &[&[&str]]) -> Option<Shop> {
    let head = db.config()?;
    Some(Shop::start(&format!("{head}{config}"), seed))
}

// covers CHAT-5 (an offline agent's open conversation moves after the grace period), CHAT-2
// (the history goes with it), CHAT-1
async fn an_offline_agents_chat_moves_to_a_colleague_with_its_history(db: Db) {
    if !apps_built() {
        return;
    }
    let Some(shop) = shop(db, "", &[]) else {
        return;
    };
    set_chat(&shop, json!({ "grace_secs": 5 })).await;
    staff_add(&shop, "li", "Li", "agent", LI);
    staff_add(&shop, "wang", "Wang", "agent", WANG);
    let Some(li) = Agent::sign_in(&shop, "li", LI).await else {
        return;
    };
    let Some(v) = Visitor::open(&shop, "products/tea").await else {
        return;
    };

    v.say("有 42 码吗").await;
    let ids = li.wait_conversations("visitor-list", 1).await;
    li.open(&ids[0]).await;
    li.wait_pane(&strings(&["有 42 码吗"])).await;
    li.say("有的").await;
    v.until("Li's answer under Li's name", |p| {
        p.lines.iter().any(|l| l == "有的") && p.status.contains("Li")
    })
    .await;
    v.say("什么颜色").await;
    li.wait_pane(&strings(&["有 42 码吗", "有的", "什么颜色"]))
        .await;
    li.say("黑色和白色").await;

    // Wang comes online; Li's console tab closes, and the visitor writes meanwhile.
    let Some(wang) = Agent::sign_in(&shop, "wang", WANG).await else {
        return;
    };
    assert!(wang.conversations("visitor-list").await.is_empty());
    let closed = Instant::now();
    li.close_tab().await;
    v.say("还在吗？").await;

    // After the grace period the conversation is Wang's, with everything said before.
    let moved = wang.wait_conversations("visitor-list", 1).await;
    let after = closed.elapsed();
    assert_eq!(moved, ids, "the same conversation moved");
    assert!(
        after >= Duration::from_secs(4),
        "moved only after the grace period, not {after:?} after the tab closed"
    );
    let p = v
        .until("the new agent's name", |p| {
            p.status.contains("Wang") && p.lines.iter().any(|l| l.contains("Wang"))
        })
        .await;
    wang.open(&moved[0]).await;
    wang.wait_pane(&p.lines).await;
    wang.say("在的，我是王").await;
    let want = strings(&[
        "有 42 码吗",
        "有的",
        "什么颜色",
        "黑色和白色",
        "还在吗？",
        "Wang is now serving you",
        "在的，我是王",
    ]);
    let p = v.until("every line, once", |p| p.lines == want).await;
    wang.wait_pane(&want).await;
    assert_eq!(
        p.whos,
        strings(&["You", "Li", "You", "Li", "You", "", "Wang"]),
        "each line under its author"
    );
}

// covers CHAT-3 (an agent talks with a colleague and two visitors at once), CHAT-1 (each
// reply reaches the right visitor)
async fn an_agent_serves_two_visitors_and_a_colleague_and_nothing_crosses(db: Db) {
    if !apps_built() {
        return;
    }
    let Some(shop) = shop(db, "", &[]) else {
        return;
    };
    staff_add(&shop, "li", "Li", "agent", LI);
    let wang_id = staff_add(&shop, "wang", "Wang", "agent", WANG);
    let Some(li) = Agent::sign_in(&shop, "li", LI).await else {
        return;
    };
    let Some(wang) = Agent::sign_in(&shop, "wang", WANG).await else {
        return;
    };
    // Wang is busy, so both visitors are Li's (busy still talks with colleagues).
    wang.set_state("busy").await;
    let Some(v1) = Visitor::open(&shop, "products/tea").await else {
        return;
    };
    let Some(v2) = Visitor::open(&shop, "products/cups").await else {
        return;
    };
    v1.say("一号：茶有货吗").await;
    v2.say("二号：杯子有蓝色吗").await;
    let ids = li.wait_conversations("visitor-list", 2).await;

    // Li answers each in its own pane.
    let mut of = std::collections::HashMap::new();
    for id in &ids {
        li.open(id).await;
        let start = Instant::now();
        let first = loop {
            if let Some(l) = li.pane_lines().await.first() {
                break l.clone();
            }
            assert!(start.elapsed() < WAIT, "the pane of {id} stays empty");
            tokio::time::sleep(Duration::from_millis(150)).await;
        };
        let reply = if first.starts_with("一号") {
            "给一号：茶有货"
        } else {
            "给二号：有蓝色"
        };
        li.say(reply).await;
        of.insert(first, id.clone());
    }

    // Li and Wang talk between themselves, beside the visitors.
    li.page()
        .click(&format!("[data-c=colleague][data-staff=\"{wang_id}\"]"))
        .await;
    li.wait_conversations("colleague-chat-list", 1).await;
    li.say("王：下午三点开会").await;
    let theirs = wang.wait_conversations("colleague-chat-list", 1).await;
    wang.open(&theirs[0]).await;
    wang.wait_pane(&strings(&["王：下午三点开会"])).await;
    wang.say("好的").await;
    li.wait_pane(&strings(&["王：下午三点开会", "好的"])).await;
    v1.say("一号：谢谢").await;

    // Nothing crossed: each visitor has their own lines, each pane its own.
    let one = strings(&["一号：茶有货吗", "给一号：茶有货", "一号：谢谢"]);
    let two = strings(&["二号：杯子有蓝色吗", "给二号：有蓝色"]);
    v1.until("the first visitor's lines only", |p| p.lines == one)
        .await;
    v2.until("the second visitor's lines only", |p| p.lines == two)
        .await;
    li.wait_pane(&strings(&["王：下午三点开会", "好的"])).await;
    li.open(&of["一号：茶有货吗"]).await;
    li.wait_pane(&one).await;
    li.open(&of["二号：杯子有蓝色吗"]).await;
    li.wait_pane(&two).await;
    assert!(
        wang.conversations("visitor-list").await.is_empty(),
        "a busy agent got no visitor"
    );
    assert_eq!(v1.panel().await.lines, one);
    assert_eq!(v2.panel().await.lines, two);
}

// covers CHAT-4 (a new visitor goes to an agent in the normal state), CHAT-5 (busy takes no new
// visitors and keeps its own; with everyone busy the visitor waits in the queue)
async fn a_busy_agent_takes_no_new_visitors(db: Db) {
    if !apps_built() {
        return;
    }
    let Some(shop) = shop(db, "", &[]) else {
        return;
    };
    staff_add(&shop, "li", "Li", "agent", LI);
    staff_add(&shop, "wang", "Wang", "agent", WANG);
    let Some(li) = Agent::sign_in(&shop, "li", LI).await else {
        return;
    };
    let Some(wang) = Agent::sign_in(&shop, "wang", WANG).await else {
        return;
    };
    wang.set_state("busy").await;

    // One busy, one normal: the new visitor goes to the normal one.
    let Some(v1) = Visitor::open(&shop, "products/tea").await else {
        return;
    };
    v1.say("我想问一下").await;
    let ids = li.wait_conversations("visitor-list", 1).await;
    v1.until("Li serves", |p| p.status.contains("Li")).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(wang.conversations("visitor-list").await.is_empty());

    // Everyone busy: the next visitor waits in the queue (agents are there, so no offer).
    li.set_state("busy").await;
    let Some(v2) = Visitor::open(&shop, "products/cups").await else {
        return;
    };
    v2.say("有人吗").await;
    let p = v2
        .until("the queue place", |p| {
            p.status.contains("number 1 in the queue")
        })
        .await;
    assert!(
        !p.offer,
        "agents are online: a queue, not the no-agent offer"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(li.conversations("visitor-list").await, ids);
    assert!(wang.conversations("visitor-list").await.is_empty());

    // Busy keeps its own visitor.
    li.open(&ids[0]).await;
    li.say("请稍等").await;
    v1.until("Li's answer", |p| p.lines.iter().any(|l| l == "请稍等"))
        .await;

    // Wang back to normal: the waiting visitor is his.
    wang.set_state("normal").await;
    wang.wait_conversations("visitor-list", 1).await;
    v2.until("Wang serves", |p| p.status.contains("Wang")).await;
}

// covers CHAT-4 (per-agent capacity, a visible queue served in order)
async fn with_every_agent_full_the_queue_place_falls_as_chats_close(db: Db) {
    if !apps_built() {
        return;
    }
    let Some(shop) = shop(db, "", &[]) else {
        return;
    };
    set_chat(&shop, json!({ "capacity": 1 })).await;
    staff_add(&shop, "li", "Li", "agent", LI);
    let Some(li) = Agent::sign_in(&shop, "li", LI).await else {
        return;
    };
    // Two visitors ahead (protocol clients on the widget socket), the third in the widget.
    let mut a = console::visitor(&shop, "products/a").await;
    console::say(&mut a, "A 先到", "a-1").await;
    let first = li.wait_conversations("visitor-list", 1).await;
    let mut b = console::visitor(&shop, "products/b").await;
    console::say(&mut b, "B 第二", "b-1").await;
    let Some(c) = Visitor::open(&shop, "products/kettle").await else {
        return;
    };
    c.say("C 第三").await;
    c.until("place 2", |p| p.status.contains("number 2 in the queue"))
        .await;

    // Li closes A's chat: B is served, C moves up.
    li.open(&first[0]).await;
    li.page().click("[data-c=close]").await;
    let b_id = b
        .wait_for(WAIT, |env| match &env.msg {
            RelayToWidget::ChatStatus(s) if s.state == ConversationState::Active => {
                Some(s.conversation.clone())
            }
            _ => None,
        })
        .await
        .expect("B is served once A's chat closes");
    c.until("place 1", |p| p.status.contains("number 1 in the queue"))
        .await;

    // Li closes B's chat: C is served by Li.
    li.page()
        .wait_for(
            &format!("[data-c=conversation][data-conversation=\"{b_id}\"]"),
            WAIT,
        )
        .await;
    li.open(&b_id).await;
    li.page().click("[data-c=close]").await;
    c.until("Li serves", |p| {
        p.status.contains("Li") && !p.status.contains("queue")
    })
    .await;
    drop(a);
}

// covers CALL-3, CALL-5, CALL-6 from the chat: with nobody free, the "call me back" offer
// (#11 "No agent free") leads into a real CALL
async fn call_me_back_from_the_chat_places_a_call(db: Db) {
    if !apps_built() || !have_sipp() {
        return;
    }
    let (member_phone, merchant_phone, config) = member_and_merchant();
    let Some(shop) = shop(db, &config, SALES_CALLS) else {
        return;
    };
    set_chat(&shop, json!({ "call_button": "sales" })).await;
    let Some(v) = Visitor::open(&shop, "products/tea").await else {
        return;
    };
    v.until("the no-agent offer", |p| p.offer).await;
    v.b.click("[data-rl=chat-call-me]").await;

    // The call panel of the merchant's button: sign in, confirm the number, be called back.
    v.b.type_into("[data-rl=signin-number]", NUMBER).await;
    v.b.type_into("[data-rl=signin-password]", PASSWORD).await;
    v.b.click("[data-rl=signin-submit]").await;
    let callback = v.b.wait_for("[data-rl=callback]", WAIT).await;
    let number = callback.prop("value").await.unwrap().unwrap_or_default();
    assert!(number.replace(' ', "").ends_with(NUMBER), "{number}");
    v.b.click("[data-rl=call-me-now]").await;
    let connected =
        v.b.wait_attr("[data-rl=call-progress]", "data-stage", "connected", WAIT)
            .await;
    assert!(
        connected.to_lowercase().contains("connected"),
        "{connected}"
    );
    v.b.click("[data-rl=hang-up]").await;
    v.b.wait_attr("[data-rl=call-progress]", "data-stage", "ended", WAIT)
        .await;
    assert!(
        member_phone.passed(WAIT).await,
        "the member's phone got BYE"
    );
    assert!(
        merchant_phone.passed(WAIT).await,
        "the merchant's phone got BYE"
    );
    let records = shop.admin(&["calls", "records"]);
    assert!(records.contains("member_hung_up"), "{records}");
}
