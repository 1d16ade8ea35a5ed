//! CHAT test helpers: staff accounts, console and visitor clients, and waiting for the push a
//! test is about while other pushes (colleague lists, queue places) go by.

use std::time::Duration;

use ringlink_protocol::chat::*;
use ringlink_protocol::console::*;
use ringlink_protocol::secret::Secret;
use ringlink_protocol::widget::{RelayToWidget, WidgetMsg};
use ringlink_relay::chat::staff::{create, StaffForm};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::{Client, TestRelay, ORIGIN, PASSWORD, SITE};

pub type Console = Client<ConsoleMsg, RelayToConsole>;
pub type Visitor = Client<WidgetMsg, RelayToWidget>;

/// Issues a staff account on the test site (or `site_id`), returns its id.
pub async fn staff_on(
    t: &TestRelay,
    site_id: i64,
    account: &str,
    name: &str,
    role: StaffRole,
) -> i64 {
    let form = StaffForm {
        account: account.into(),
        password: Some(Secret::new(PASSWORD)),
        name: name.into(),
        number: None,
        role,
        sms_offline: false,
    };
    create(&t.running.relay, site_id, &form).await.unwrap()
}

pub async fn site_id(t: &TestRelay, key: &str) -> i64 {
    t.running
        .relay
        .store
        .site_by_key(key)
        .await
        .unwrap()
        .unwrap()
        .id
}

pub async fn agent_account(t: &TestRelay, account: &str, name: &str) -> i64 {
    let site = site_id(t, SITE).await;
    staff_on(t, site, account, name, StaffRole::Agent).await
}

/// A console socket, on the second relay when there is one (visitors use the first).
pub async fn console(t: &TestRelay) -> Console {
    let base = t.peer.as_ref().map_or(&t.base, |p| &p.base);
    let mut req = format!("ws://{base}/v1/console/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("origin", format!("http://{base}").parse().unwrap());
    req.headers_mut()
        .insert("sec-websocket-protocol", "ringlink.v1".parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    Client::new(ws)
}

/// A console signed in to `site` as `account`.
pub async fn signed_in_console_on(
    t: &TestRelay,
    site: &str,
    account: &str,
) -> (Console, StaffSignedIn) {
    let mut c = console(t).await;
    let reply = c
        .request(ConsoleMsg::StaffSignIn(StaffSignIn {
            site: site.into(),
            account: account.into(),
            password: Secret::new(PASSWORD),
        }))
        .await;
    let RelayToConsole::StaffSignedIn(s) = reply else {
        panic!("staff sign-in failed: {reply:?}")
    };
    (c, s)
}

pub async fn signed_in_console(t: &TestRelay, account: &str) -> (Console, StaffSignedIn) {
    signed_in_console_on(t, SITE, account).await
}

/// A visitor's widget on the first relay with the chat panel open.
pub async fn visitor(t: &TestRelay) -> (Visitor, ChatOpened) {
    let mut w = t.widget_from(ORIGIN, SITE).await.unwrap();
    let reply = w
        .request(WidgetMsg::ChatOpen(ChatOpen {
            page: Some("http://shop.test/shoes?size=42".into()),
            referrer: Some("https://search.example/?q=shoes".into()),
            lang: Some("zh-CN".into()),
            ..ChatOpen::default()
        }))
        .await;
    let RelayToWidget::ChatOpened(o) = reply else {
        panic!("chat_open failed: {reply:?}")
    };
    (w, o)
}

pub fn say(text: &str, client_id: &str) -> WidgetMsg {
    WidgetMsg::ChatSend(ChatSend {
        text: text.into(),
        client_id: client_id.into(),
        attachment: None,
    })
}

pub fn reply_to(conversation: &str, text: &str, client_id: &str) -> ConsoleMsg {
    ConsoleMsg::StaffSend(StaffSend {
        conversation: conversation.into(),
        text: text.into(),
        client_id: client_id.into(),
        attachment: None,
        internal: false,
    })
}

/// The first frame within `secs` that `pick` accepts, skipping the others.
pub async fn until<Out, In, T>(
    c: &mut Client<Out, In>,
    secs: u64,
    mut pick: impl FnMut(In) -> Option<T>,
) -> T
where
    Out: serde::Serialize,
    In: serde::de::DeserializeOwned + std::fmt::Debug,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let env = tokio::time::timeout(left, c.next_within(secs))
            .await
            .unwrap_or_else(|_| panic!("the awaited frame did not come within {secs} s"));
        if let Some(t) = pick(env.msg) {
            return t;
        }
    }
}

/// The next conversation summary the console is pushed (alone or in the list).
pub async fn next_conversation(c: &mut Console) -> ConversationSummary {
    until(c, 10, |m| match m {
        RelayToConsole::Conversation(s) => Some(s),
        RelayToConsole::Conversations(mut l) if !l.is_empty() => Some(l.remove(0)),
        _ => None,
    })
    .await
}

pub async fn next_line_console(c: &mut Console) -> ChatLine {
    until(c, 10, |m| match m {
        RelayToConsole::Line(l) => Some(l),
        _ => None,
    })
    .await
}

/// The next line from someone else (the visitor's own lines come back to their other tabs too).
pub async fn next_line_visitor(v: &mut Visitor) -> ChatLine {
    until(v, 10, |m| match m {
        RelayToWidget::Line(l) if l.author != Author::Visitor => Some(l),
        _ => None,
    })
    .await
}

pub async fn next_status(v: &mut Visitor) -> ChatStatus {
    until(v, 10, |m| match m {
        RelayToWidget::ChatStatus(s) => Some(s),
        _ => None,
    })
    .await
}

/// Moves every relay's chat clock forward and runs their sweeps now.
pub async fn advance(t: &TestRelay, secs: i64) {
    let mut relays = vec![t.running.relay.clone()];
    if let Some(p) = &t.peer {
        relays.push(p.running.relay.clone());
    }
    for r in &relays {
        r.chat.clock.advance(secs);
    }
    for r in &relays {
        ringlink_relay::chat::keeper::sweep(r).await.unwrap();
    }
}

/// Another site, `site_other` (origin `http://other.test`), with its admin Eve: the tenant
/// wall's other side.
pub async fn other_site_with_eve(t: &TestRelay) -> i64 {
    let other = ringlink_relay::admin::create_site(
        &t.running.relay.store,
        "Other",
        Some("site_other"),
        &["http://other.test".into()],
    )
    .await
    .unwrap();
    staff_on(t, other.id, "eve", "Eve", StaffRole::Admin).await;
    other.id
}
