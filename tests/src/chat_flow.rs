//! Whole chat flows with every side real: the demo shop on SQLite or on a fresh PostgreSQL
//! database, the site's chat settings written the way an admin's console writes them (REST with
//! a console token), visitors in the real widget (one Chromium each, since a visitor id lives in
//! the frame's storage and a profile shares it), and agents in the real console (one Chromium
//! each, since the console keeps its session in the tab).

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use ringlink_protocol::console::{AgentState, ConsoleMsg, RelayToConsole, SetState, StaffSignIn};
use ringlink_protocol::secret::Secret;
use serde_json::json;

use crate::browser::Browser;
use crate::console::{addr, ConsolePage};
use crate::shop::Shop;

/// How long one step of a flow may take.
pub const WAIT: Duration = Duration::from_secs(30);
const ENTER: &str = "\u{E007}";

/// The database a flow runs on (the issue asks for both).
#[derive(Clone, Copy, Debug)]
pub enum Db {
    Sqlite,
    Postgres,
}

impl Db {
    /// The configuration lines that put the relay (and its admin CLI) on this database; `None`
    /// (the reason printed; a failure under `CI=true`) when PostgreSQL is not there.
    pub fn config(self) -> Option<String> {
        match self {
            Db::Sqlite => Some(String::new()),
            Db::Postgres => {
                let url = std::env::var("DATABASE_URL_PG").ok();
                let ok = crate::require(
                    "DATABASE_URL_PG",
                    url.is_some(),
                    "run scripts/start-postgres.sh and export DATABASE_URL_PG",
                ) && crate::require(
                    "psql",
                    crate::on_path("psql"),
                    "apt-get install postgresql-client",
                );
                ok.then(|| {
                    let db = crate::cluster::fresh_database(&url.unwrap());
                    format!("database_url = \"{db}\"\n")
                })
            }
        }
    }
}

/// Whether the built widget and console are there (skips with the reason, fails in CI).
pub fn apps_built() -> bool {
    let ws = crate::workspace();
    crate::require(
        "the built widget",
        ws.join("widget/dist/frame.js").exists(),
        "run scripts/build-widget.sh",
    ) && crate::require(
        "the built console",
        ws.join("console/dist/ringlink_console_bg.wasm").exists(),
        "run scripts/build-console.sh, then rebuild the relay",
    )
}

/// Writes the site's chat settings as an admin's console does: an admin account (`boss`) signs
/// in on a console socket, goes offline so routing never picks it, and PUTs `settings` (fields
/// of `SiteChat`; the rest keep their defaults). Panics with the relay's answer when refused.
pub async fn set_chat(shop: &Shop, settings: serde_json::Value) {
    let password = "boss-console-pass-1";
    crate::console::staff_add(shop, "boss", "Boss", "admin", password);
    let mut c = crate::live_client::console(addr(shop), &shop.relay_url)
        .await
        .expect("console socket");
    let signed = c
        .request(
            ConsoleMsg::StaffSignIn(StaffSignIn {
                site: "demo".into(),
                account: "boss".into(),
                password: Secret::new(password),
            }),
            WAIT,
        )
        .await;
    let RelayToConsole::StaffSignedIn(s) = signed else {
        panic!("the admin's sign-in answered {signed:?}");
    };
    let off = c
        .request(
            ConsoleMsg::SetState(SetState {
                state: AgentState::Offline,
            }),
            WAIT,
        )
        .await;
    assert!(matches!(off, RelayToConsole::StateSet(_)), "{off:?}");
    let mut body = json!({
        "capacity": 3, "grace_secs": 60, "no_reply_secs": 3600, "routing": "balanced",
        "skip_on_call": true, "call_button": null, "transfer_secs": 30,
    });
    for (k, v) in settings.as_object().expect("settings are an object") {
        body[k] = v.clone();
    }
    let answer = put_json(shop, "/v1/console/settings", s.token.expose(), &body);
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "settings refused: {answer}"
    );
    c.close().await;
}

/// `PUT path` with a bearer token and a JSON body, over plain HTTP/1.1; the whole response.
fn put_json(shop: &Shop, path: &str, token: &str, body: &serde_json::Value) -> String {
    let a = addr(shop);
    let body = body.to_string();
    let mut s = std::net::TcpStream::connect(a).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "PUT {path} HTTP/1.1\r\nHost: {a}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// A visitor: the demo shop's page in a Chromium of their own, the chat tab open.
pub struct Visitor {
    pub b: Browser,
}

impl Visitor {
    pub async fn open(shop: &Shop, page: &str) -> Option<Visitor> {
        let b = Browser::start().await?;
        b.goto(&format!("{}{page}", shop.shop_url)).await;
        // The loader defines its command queue once its script ran.
        let start = Instant::now();
        while b.eval("return !!window.ringlink;").await != json!(true) {
            assert!(
                start.elapsed() < WAIT,
                "the loader never defined window.ringlink"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        b.eval("window.ringlink.push(['chat']); return true;").await;
        b.wait_for("[data-rl=chat-input]", WAIT).await;
        Some(Visitor { b })
    }

    /// Types a line and presses Enter; returns once the relay took it (no "Sending…" left).
    pub async fn say(&self, text: &str) {
        self.b.type_into("[data-rl=chat-input]", text).await;
        self.b.type_into("[data-rl=chat-input]", ENTER).await;
        self.until(&format!("'{text}' sent"), |v| {
            v.lines.iter().any(|l| l == text) && v.pending == 0
        })
        .await;
    }

    /// The panel now: its lines (the text of each, agents' and the relay's too), how many are
    /// still sending, the status line and whether the "no agent free" offer shows.
    pub async fn panel(&self) -> PanelNow {
        let v = self
            .b
            .eval_in_frame(
                "const q = s => Array.from(document.querySelectorAll(s));
                 const st = document.querySelector('[data-rl=chat-status]');
                 return {
                   lines: q('[data-rl=chat-line] .rl-said').map(e => e.textContent),
                   whos: q('[data-rl=chat-line]').map(e => (e.querySelector('[data-rl=chat-who]') || {}).textContent || ''),
                   pending: q('[data-rl=chat-note]').filter(e => e.textContent.startsWith('Sending')).length,
                   status: st ? st.textContent : '',
                   offer: !!document.querySelector('[data-rl=chat-offer]'),
                 };",
            )
            .await;
        serde_json::from_value(v).expect("the panel's state")
    }

    /// Waits until `ok` holds for the panel; on timeout prints it and fails with `what`.
    pub async fn until(&self, what: &str, ok: impl Fn(&PanelNow) -> bool) -> PanelNow {
        let start = Instant::now();
        loop {
            let now = self.panel().await;
            if ok(&now) {
                return now;
            }
            if start.elapsed() > WAIT {
                self.b.dump("timeout").await;
                panic!("the visitor's panel: {what} did not happen within {WAIT:?}: {now:?}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct PanelNow {
    pub lines: Vec<String>,
    pub whos: Vec<String>,
    pub pending: usize,
    pub status: String,
    pub offer: bool,
}

/// An agent: the console in a Chromium of their own, signed in.
pub struct Agent {
    pub b: Browser,
}

impl Agent {
    pub async fn sign_in(shop: &Shop, account: &str, password: &str) -> Option<Agent> {
        let b = Browser::start().await?;
        b.goto(&format!("{}/console?site=demo", shop.relay_url))
            .await;
        let a = Agent { b };
        let p = a.page();
        p.type_into("[data-c=signin-account]", account).await;
        p.type_into("[data-c=signin-password]", password).await;
        p.click("[data-c=signin-submit]").await;
        p.wait_for("[data-c=desk]", WAIT).await;
        Some(a)
    }

    pub fn page(&self) -> ConsolePage<'_> {
        ConsolePage(&self.b)
    }

    /// Clicks a state button (`normal`, `busy`, `offline`) and waits for the relay's answer.
    pub async fn set_state(&self, state: &str) {
        let p = self.page();
        p.click(&format!("[data-c=state-{state}]")).await;
        p.wait_until(
            &format!("the state is {state}"),
            &format!("document.querySelector('[data-c=states]').dataset.state === '{state}'"),
            WAIT,
        )
        .await;
    }

    /// The ids of the conversations in one list (`visitor-list` or `colleague-chat-list`).
    pub async fn conversations(&self, list: &str) -> Vec<String> {
        let v = self
            .page()
            .eval(&format!(
                "return Array.from(document.querySelectorAll('[data-c={list}] [data-c=conversation]')).map(e => e.dataset.conversation);"
            ))
            .await;
        serde_json::from_value(v).unwrap_or_default()
    }

    /// Waits until the list holds `n` conversations; returns their ids.
    pub async fn wait_conversations(&self, list: &str, n: usize) -> Vec<String> {
        let start = Instant::now();
        loop {
            let ids = self.conversations(list).await;
            if ids.len() == n {
                return ids;
            }
            if start.elapsed() > WAIT {
                panic!("{list} holds {ids:?}, not {n} conversations, after {WAIT:?}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Opens a conversation in the pane.
    pub async fn open(&self, id: &str) {
        let p = self.page();
        p.click(&format!(
            "[data-c=conversation][data-conversation=\"{id}\"]"
        ))
        .await;
        p.wait_for(&format!("[data-c=pane][data-conversation=\"{id}\"]"), WAIT)
            .await;
    }

    /// The texts of the lines in the open pane, in order.
    pub async fn pane_lines(&self) -> Vec<String> {
        self.page()
            .texts("[data-c=pane] [data-c=line] [data-c=line-text]")
            .await
    }

    /// Waits until the open pane's lines are exactly `want`.
    pub async fn wait_pane(&self, want: &[String]) {
        let start = Instant::now();
        loop {
            let got = self.pane_lines().await;
            if got == want {
                return;
            }
            if start.elapsed() > WAIT {
                panic!("the agent's pane shows {got:?}, not {want:?}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Writes in the open pane's composer and sends with Enter.
    pub async fn say(&self, text: &str) {
        self.page()
            .type_into("[data-c=composer]", &format!("{text}{ENTER}"))
            .await;
        self.page()
            .wait_until(
                &format!("'{text}' sent"),
                "document.querySelector('[data-c=composer]').value === ''",
                WAIT,
            )
            .await;
    }

    /// Closes the console as a person closes the tab: the browser goes away.
    pub async fn close_tab(self) {
        let _ = self.b.client.clone().close().await;
        drop(self);
    }
}

/// Strings from string slices, for comparing line lists.
pub fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}
