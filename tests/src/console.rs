//! The staff console as the end-to-end tests drive it: staff accounts issued with the relay's
//! admin CLI (password on stdin), and the console page (`/console`, a top-level document of the
//! relay's origin) read and clicked through WebDriver by its `data-c` hooks; a visitor on the
//! widget socket and a colleague on a console socket of their own, as protocol clients.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::{Element, ElementRef};
use serde_json::json;

use ringlink_protocol::chat::{ChatLine, ChatOpen, ChatSend};
use ringlink_protocol::console::{ConsoleMsg, RelayToConsole, StaffSignIn};
use ringlink_protocol::secret::Secret;
use ringlink_protocol::widget::{RelayToWidget, WidgetMsg};

use crate::browser::Browser;
use crate::live_client::{self, Client, Widget, CLIENT_IP};
use crate::shop::Shop;

/// How long a step may take.
const WAIT: Duration = Duration::from_secs(20);

/// W3C WebDriver's key for element references in script results.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// `ringlink-relay admin staff add` on the shop's relay; returns the new staff id.
pub fn staff_add(shop: &Shop, account: &str, name: &str, role: &str, password: &str) -> i64 {
    let dir = shop.dir.path();
    let mut c = Command::new(crate::binary("ringlink-relay"))
        .env("RINGLINK_DATA_DIR", dir)
        .env("RINGLINK_CONFIG", dir.join("relay.toml"))
        .env("RUST_LOG", "warn")
        .args([
            "admin",
            "staff",
            "add",
            "--site",
            "demo",
            "--account",
            account,
        ])
        .args(["--name", name, "--role", role])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(c.stdin.take().unwrap(), "{password}").unwrap();
    let out = c.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "admin staff add {account}: {text}");
    text.rsplit("id ")
        .next()
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no staff id in {text:?}"))
}

/// The console page in a browser.
pub struct ConsolePage<'a>(pub &'a Browser);

impl ConsolePage<'_> {
    /// The first element matching `selector`, if it is there now.
    pub async fn find(&self, selector: &str) -> Option<Element> {
        let v = self
            .0
            .client
            .execute(
                "return document.querySelector(arguments[0]);",
                vec![json!(selector)],
            )
            .await
            .ok()?;
        let id = v.get(ELEMENT_KEY)?.as_str()?.to_owned();
        Some(Element::from_element_id(
            self.0.client.clone(),
            ElementRef::from(id),
        ))
    }

    async fn dump(&self, why: &str) {
        let body = self
            .0
            .client
            .execute("return document.body.innerHTML;", vec![])
            .await;
        eprintln!("console markup ({why}): {body:?}");
    }

    pub async fn wait_for(&self, selector: &str, limit: Duration) -> Element {
        let start = Instant::now();
        loop {
            if let Some(e) = self.find(selector).await {
                return e;
            }
            if start.elapsed() > limit {
                self.dump("timeout").await;
                panic!("'{selector}' did not appear in the console within {limit:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `js` (an expression over `document`) is true.
    pub async fn wait_until(&self, what: &str, js: &str, limit: Duration) {
        let start = Instant::now();
        let script = format!("return !!({js});");
        loop {
            let v = self.0.client.execute(&script, vec![]).await;
            if matches!(v, Ok(serde_json::Value::Bool(true))) {
                return;
            }
            if start.elapsed() > limit {
                self.dump("timeout").await;
                panic!("{what}: `{js}` was not true within {limit:?} ({v:?})");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The texts of every element matching `selector`.
    pub async fn texts(&self, selector: &str) -> Vec<String> {
        let v = self
            .0
            .client
            .execute(
                "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent);",
                vec![json!(selector)],
            )
            .await
            .unwrap();
        serde_json::from_value(v).unwrap_or_default()
    }

    pub async fn text(&self, selector: &str) -> String {
        self.wait_for(selector, Duration::from_secs(10))
            .await
            .text()
            .await
            .unwrap_or_default()
    }

    pub async fn click(&self, selector: &str) {
        self.wait_for(selector, Duration::from_secs(10))
            .await
            .click()
            .await
            .unwrap();
    }

    /// Types into a field, keystroke by keystroke (WebDriver key codes work: `\u{E007}` is Enter).
    pub async fn type_into(&self, selector: &str, text: &str) {
        let e = self.wait_for(selector, Duration::from_secs(10)).await;
        e.click().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.0.client.execute(script, vec![]).await.unwrap()
    }
}

/// `GET path` on `addr` over plain HTTP/1.1: the response's head and body as text.
pub fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

pub fn addr(shop: &Shop) -> std::net::SocketAddr {
    shop.relay_url
        .trim_start_matches("http://")
        .parse()
        .unwrap()
}

/// A visitor on the demo shop's product page: the widget socket as the frame opens it.
pub async fn visitor(shop: &Shop, page: &str) -> Widget {
    let parent = shop.shop_url.trim_end_matches('/');
    let mut w = live_client::widget(addr(shop), &shop.relay_url, parent, "demo", CLIENT_IP, &[])
        .await
        .expect("widget socket");
    let open = WidgetMsg::ChatOpen(ChatOpen {
        page: Some(format!("{}{page}", shop.shop_url)),
        referrer: Some("https://search.example/?q=green+tea".into()),
        lang: Some("zh-CN".into()),
        ..Default::default()
    });
    match w.request(open, WAIT).await {
        RelayToWidget::ChatOpened(_) => w,
        other => panic!("chat_open answered with {other:?}"),
    }
}

pub async fn say(w: &mut Widget, text: &str, id: &str) -> u64 {
    let msg = WidgetMsg::ChatSend(ChatSend {
        text: text.into(),
        client_id: id.into(),
        attachment: None,
    });
    match w.request(msg, WAIT).await {
        RelayToWidget::ChatSent(s) => s.line.seq,
        other => panic!("chat_send answered with {other:?}"),
    }
}

/// The staff line with `text` the visitor receives, and whether a typing notice came first.
pub async fn visitor_gets(w: &mut Widget, text: &str) -> (ChatLine, bool) {
    let mut typing = false;
    let line = w
        .wait_for(WAIT, |env| match &env.msg {
            RelayToWidget::Typing(t) if t.typing => {
                typing = true;
                None
            }
            RelayToWidget::Line(l) if l.text == text => Some(l.clone()),
            _ => None,
        })
        .await
        .unwrap_or_else(|| panic!("the visitor never got '{text}'"));
    (line, typing)
}

/// A colleague signed in on a console socket of their own.
pub async fn colleague(
    shop: &Shop,
    account: &str,
    password: &str,
) -> Client<ConsoleMsg, RelayToConsole> {
    let mut c = live_client::console(addr(shop), &shop.relay_url)
        .await
        .expect("console socket");
    let msg = ConsoleMsg::StaffSignIn(StaffSignIn {
        site: "demo".into(),
        account: account.into(),
        password: Secret::new(password),
    });
    match c.request(msg, WAIT).await {
        RelayToConsole::StaffSignedIn(_) => c,
        other => panic!("{account}'s sign-in answered with {other:?}"),
    }
}
