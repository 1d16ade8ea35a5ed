//! Getting in, end to end (#9 §2), as a newcomer and a forgetful member meet it in Chromium on
//! the demo shop: a new member creates an account with the SMS code from the dev outbox and
//! dials through their phone; a member who forgot the password sets a new one with a code, the
//! old password stops working, and their other session and their phone are signed out.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use ringlink_e2e::browser::Browser;
use ringlink_e2e::modem::Modem;
use ringlink_e2e::procs::{wait_until, Proc};
use ringlink_e2e::shop::{Shop, NUMBER, PASSWORD};
use ringlink_e2e::{binary, on_path, require, workspace};

const WAIT: Duration = Duration::from_secs(20);
/// The dev outbox on (codes readable on loopback); a 3 s heartbeat so a revoked session is
/// dropped within seconds.
const CONFIG: &str = "heartbeat_secs = 3\n[http]\ndev_outbox = true\n";

fn peers_present() -> bool {
    let widget = workspace().join("widget/dist/frame.js").exists();
    require("the built widget", widget, "run scripts/build-widget.sh")
        && require("socat", on_path("socat"), "apt-get install -y socat")
        && require("python3", on_path("python3"), "apt-get install -y python3")
}

/// The newest code the relay's dev outbox shows for `e164`, as a person reads it off the page.
fn code_from_outbox(shop: &Shop, e164: &str) -> String {
    wait_until("the SMS in the dev outbox", WAIT, || {
        let page = http_get(&shop.relay_url, "/dev/outbox");
        // Newest first: <tr><td>at</td><td>to</td><td>text</td>…
        let row = page
            .split("<tr>")
            .find(|r| r.contains(&format!("<td>{e164}</td>")))?;
        let text = row.split("<td>").nth(3)?;
        let chars: Vec<char> = text.chars().collect();
        chars
            .windows(6)
            .find(|w| w.iter().all(char::is_ascii_digit))
            .map(|w| w.iter().collect())
    })
}

/// A plain HTTP/1.0 GET on loopback; the body.
fn http_get(base: &str, path: &str) -> String {
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

/// `ringlink-agent login` with `number` and `password`, then `run` on `backend` arguments.
fn start_agent(shop: &Shop, number: &str, password: &str, backend: &[&str]) -> Proc {
    let creds = shop.dir.path().join(format!("agent-{number}.json"));
    let mut login = Command::new(binary("ringlink-agent"))
        .args([
            "--credentials",
            creds.to_str().unwrap(),
            "login",
            "--relay",
            &shop.relay_url,
        ])
        .args([
            "--number",
            number,
            "--name",
            "test handset",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(login.stdin.take().unwrap(), "{password}").unwrap();
    assert!(
        login.wait().unwrap().success(),
        "ringlink-agent login failed"
    );
    Proc::spawn(
        "agent",
        Command::new(binary("ringlink-agent"))
            .args(["--credentials", creds.to_str().unwrap(), "run"])
            .args(backend)
            .env("RUST_LOG", "warn"),
    )
}

async fn sign_in(b: &Browser, number: &str, password: &str) {
    b.type_into("[data-rl=signin-number]", number).await;
    b.type_into("[data-rl=signin-password]", password).await;
    b.click("[data-rl=signin-submit]").await;
}

/// "Create account" or "Forgot password?", the number, "Send code", then the code from the
/// outbox, the new password and "Create account" / "Set password and sign in".
async fn get_in_with_code(
    b: &Browser,
    shop: &Shop,
    link: &str,
    typed: &str,
    e164: &str,
    password: &str,
) {
    b.click(&format!("[data-rl={link}]")).await;
    b.type_into("[data-rl=account-number]", typed).await;
    b.click("[data-rl=account-send-code]").await;
    b.wait_for("[data-rl=account-code]", WAIT).await;
    let code = code_from_outbox(shop, e164);
    b.type_into("[data-rl=account-code]", &code).await;
    b.type_into("[data-rl=account-password]", password).await;
    b.click("[data-rl=account-submit]").await;
}

// covers #9 §2 sign up, DIAL-2, DIAL-5: a new member signs up with an SMS code from the dev
// outbox, sees which account is signed in and what the account is, and dials through their
// own phone (the modem receives ATD).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_member_signs_up_with_an_sms_code_and_dials() {
    if !peers_present() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let shop = Shop::start(CONFIG, &[]);
    let shots = workspace().join("target/e2e");
    b.goto(&shop.shop_url).await;
    b.click("[data-rl=bubble]").await;
    let note = b
        .wait_for("[data-rl=account-note]", WAIT)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        note.contains("every shop") && note.contains("never sees your password"),
        "{note}"
    );

    get_in_with_code(
        &b,
        &shop,
        "create-account",
        "137 0013 7000",
        "+8613700137000",
        "a new secret 1",
    )
    .await;
    let status = b
        .wait_attr("[data-rl=agent-status]", "data-state", "disconnected", WAIT)
        .await;
    assert!(status.to_lowercase().contains("not connected"), "{status}");
    let who = b
        .wait_for("[data-rl=account-number-shown]", WAIT)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        who.contains("137 0013 7000"),
        "the account as people write it: {who}"
    );
    b.screenshot(&shots.join("account-1-signed-up.png")).await;

    let modem_dir = tempfile::tempdir().unwrap();
    let modem = Modem::start(modem_dir.path(), "answer");
    let modem_device = modem.device.to_str().unwrap().to_owned();
    let _agent = start_agent(
        &shop,
        "13700137000",
        "a new secret 1",
        &["--backend", "at", "--device", &modem_device],
    );
    b.wait_attr("[data-rl=agent-status]", "data-state", "connected", WAIT)
        .await;
    b.type_into("[data-rl=number]", "01065529988").await;
    b.click("[data-rl=dial]").await;
    wait_until("ATD on the modem", WAIT, || {
        modem
            .commands()
            .iter()
            .any(|c| c == "ATD+861065529988;")
            .then_some(())
    });
    b.wait_attr("[data-rl=call-state]", "data-state", "active", WAIT)
        .await;
    let _ = b.client.clone().close().await;
}

// covers #9 §2 reset: a forgotten password is reset with an SMS code; the member's other
// session (another tab) and their phone agent are signed out; the old password is refused and
// the new one works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_is_reset() {
    if !peers_present() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let shop = Shop::start(CONFIG, &[]);
    let mut agent = start_agent(&shop, NUMBER, PASSWORD, &["--backend", "dry-run"]);

    // Another session: signed in with the old password in a first tab.
    b.goto(&shop.shop_url).await;
    b.click("[data-rl=bubble]").await;
    sign_in(&b, NUMBER, PASSWORD).await;
    b.wait_attr("[data-rl=agent-status]", "data-state", "connected", WAIT)
        .await;
    let first = b.client.window().await.unwrap();

    // A second tab (its own session storage): "Forgot password?".
    let second = b.client.new_window(true).await.unwrap().handle;
    b.client.switch_to_window(second.clone()).await.unwrap();
    b.goto(&shop.shop_url).await;
    b.click("[data-rl=bubble]").await;
    get_in_with_code(
        &b,
        &shop,
        "forgot-password",
        NUMBER,
        "+8613800138000",
        "my new password 2",
    )
    .await;
    let who = b
        .wait_for("[data-rl=account-number-shown]", WAIT)
        .await
        .text()
        .await
        .unwrap();
    assert!(who.contains("138 0013 8000"), "{who}");

    // The phone agent is signed out (exit code 2), and the first tab is back at sign-in.
    let status = wait_until("the agent to be signed out", WAIT, || {
        agent.child.try_wait().unwrap()
    });
    assert_eq!(
        status.code(),
        Some(2),
        "the agent was told it is signed out"
    );
    b.client.switch_to_window(first).await.unwrap();
    b.wait_for("[data-rl=signin-number]", WAIT).await;

    // The old password is refused; the new one works.
    sign_in(&b, NUMBER, PASSWORD).await;
    let error = wait_until_text(&b, "[data-rl=error]").await;
    assert!(
        error.contains("wrong number or password") || error.to_lowercase().contains("wrong"),
        "{error}"
    );
    b.type_into("[data-rl=signin-password]", "\u{E009}a\u{E000}\u{E003}")
        .await;
    b.type_into("[data-rl=signin-password]", "my new password 2")
        .await;
    b.click("[data-rl=signin-submit]").await;
    b.wait_for("[data-rl=account-number-shown]", WAIT).await;
    let _ = b.client.clone().close().await;
}

/// Waits until the element has some text; returns it.
async fn wait_until_text(b: &Browser, selector: &str) -> String {
    let start = std::time::Instant::now();
    loop {
        if let Some(e) = b.find(selector).await {
            let text = e.text().await.unwrap_or_default();
            if !text.trim().is_empty() {
                return text;
            }
        }
        assert!(start.elapsed() < WAIT, "'{selector}' stayed empty");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
