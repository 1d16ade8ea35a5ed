//! DIAL end to end, as a member sees it: Chromium opens the demo shop, signs in, sees that the
//! phone is not connected, the phone agent starts on a (pseudo-terminal) modem, the dial button
//! appears without a reload, the keypad dials, the modem receives `ATD<number>;`, and the page
//! follows the call. Then once more with `--confirm` declined: nothing is dialled.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ringlink_e2e::browser::Browser;
use ringlink_e2e::modem::Modem;
use ringlink_e2e::procs::{wait_until, Proc};
use ringlink_e2e::shop::{Shop, NUMBER, PASSWORD};
use ringlink_e2e::{binary, on_path, require, workspace};

const WAIT: Duration = Duration::from_secs(20);

fn start_shop() -> Shop {
    Shop::start("", &[])
}

/// `ringlink-agent login` then `run` on the modem; stdout lines are collected for the prompt.
fn start_agent(shop: &Shop, modem: &Modem, confirm: bool) -> (Proc, Arc<Mutex<Vec<String>>>) {
    let creds = shop.dir.path().join("agent.json");
    if !creds.exists() {
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
                NUMBER,
                "--name",
                "test handset",
                "--password-stdin",
            ])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(login.stdin.take().unwrap(), "{PASSWORD}").unwrap();
        assert!(
            login.wait().unwrap().success(),
            "ringlink-agent login failed"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&creds).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the device token is stored owner-only"); // covers DIAL-1
    }
    let mut cmd = Command::new(binary("ringlink-agent"));
    cmd.args([
        "--credentials",
        creds.to_str().unwrap(),
        "run",
        "--backend",
        "at",
        "--device",
    ])
    .arg(&modem.device)
    .env("RUST_LOG", "info")
    .stdout(Stdio::piped());
    if confirm {
        cmd.arg("--confirm");
    }
    let mut proc = Proc::spawn_piped("agent", &mut cmd);
    let lines = Arc::new(Mutex::new(Vec::new()));
    let out = proc.child.stdout.take().unwrap();
    let sink = lines.clone();
    std::thread::spawn(move || {
        // The confirm prompt has no newline: read byte chunks, not lines.
        let mut reader = BufReader::new(out);
        loop {
            let buf = match reader.fill_buf() {
                Ok([]) | Err(_) => break,
                Ok(b) => b.to_vec(),
            };
            reader.consume(buf.len());
            sink.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf).into_owned());
        }
    });
    (proc, lines)
}

/// Clears the number box with real keystrokes (Ctrl+A, Backspace), then taps the keypad.
async fn dial_on_keypad(b: &Browser, digits: &str) {
    b.type_into("[data-rl=number]", "\u{E009}a\u{E000}\u{E003}")
        .await;
    for d in digits.chars() {
        b.click(&format!("[data-rl=key-{d}]")).await;
    }
    b.click("[data-rl=dial]").await;
}

fn peers_present() -> bool {
    let widget = workspace().join("widget/dist/frame.js").exists();
    require("the built widget", widget, "run scripts/build-widget.sh")
        && require("socat", on_path("socat"), "apt-get install -y socat")
        && require("python3", on_path("python3"), "apt-get install -y python3")
}

// covers DIAL-1, DIAL-2, DIAL-3, DIAL-4, DIAL-5, DIAL-6
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_dials_from_the_page_through_their_own_handset() {
    if !peers_present() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let shop = start_shop();
    let shots = workspace().join("target/e2e");
    b.goto(&shop.shop_url).await;

    // DIAL-2: sign in on the page.
    b.click("[data-rl=bubble]").await;
    b.type_into("[data-rl=signin-number]", NUMBER).await;
    b.type_into("[data-rl=signin-password]", PASSWORD).await;
    b.click("[data-rl=signin-submit]").await;

    // DIAL-3: not connected, said plainly.
    let status = b
        .wait_attr("[data-rl=agent-status]", "data-state", "disconnected", WAIT)
        .await;
    assert!(status.to_lowercase().contains("not connected"), "{status}");
    assert!(
        b.find("[data-rl=dial]").await.is_none(),
        "no dial button without a phone"
    );
    b.screenshot(&shots.join("1-not-connected.png")).await;

    // DIAL-1: the agent signs in and connects; the page updates without a reload.
    let modem_dir = tempfile::tempdir().unwrap();
    let modem = Modem::start(modem_dir.path(), "answer");
    let (agent, _) = start_agent(&shop, &modem, false);
    b.wait_attr("[data-rl=agent-status]", "data-state", "connected", WAIT)
        .await;
    b.wait_for("[data-rl=dial]", WAIT).await;

    // DIAL-4, DIAL-5: the keypad dials; the modem receives the E.164 number.
    dial_on_keypad(&b, "01065529988").await;
    wait_until("ATD on the modem", WAIT, || {
        modem
            .commands()
            .iter()
            .any(|c| c == "ATD+861065529988;")
            .then_some(())
    });
    b.wait_attr("[data-rl=call-state]", "data-state", "active", WAIT)
        .await;
    b.screenshot(&shots.join("2-call-active.png")).await;
    b.wait_attr("[data-rl=call-state]", "data-state", "ended", WAIT)
        .await;
    drop(agent);
    b.wait_attr("[data-rl=agent-status]", "data-state", "disconnected", WAIT)
        .await;

    // DIAL-6: with --confirm, the owner declines: nothing is dialled and the page says so.
    let dials_before = modem
        .commands()
        .iter()
        .filter(|c| c.starts_with("ATD"))
        .count();
    let (mut agent, output) = start_agent(&shop, &modem, true);
    b.wait_attr("[data-rl=agent-status]", "data-state", "connected", WAIT)
        .await;
    dial_on_keypad(&b, "13900139000").await;
    wait_until("the confirm prompt", WAIT, || {
        output
            .lock()
            .unwrap()
            .concat()
            .contains("[y/N]")
            .then_some(())
    });
    b.wait_attr("[data-rl=call-state]", "data-state", "confirming", WAIT)
        .await;
    writeln!(agent.child.stdin.as_mut().unwrap(), "n").unwrap();
    let text = b
        .wait_attr("[data-rl=call-state]", "data-state", "declined", WAIT)
        .await;
    assert!(
        text.to_lowercase().contains("nothing"),
        "the page says nothing was dialled: {text}"
    );
    b.screenshot(&shots.join("3-declined.png")).await;
    std::thread::sleep(Duration::from_millis(500));
    let dials_after = modem
        .commands()
        .iter()
        .filter(|c| c.starts_with("ATD"))
        .count();
    assert_eq!(
        dials_before, dials_after,
        "a declined dial never reaches the modem"
    );
    assert!(
        agent.is_running(),
        "the agent keeps running after a decline"
    );
    let _ = b.client.clone().close().await;
}
