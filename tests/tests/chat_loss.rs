//! CHAT's loss test (#11): `kill -9` of the relay process in the middle of a conversation, 20
//! times over. Visitor and agent write in bursts while the relay dies under them; after each
//! restart both reopen from the start. No line that was acknowledged to its sender is lost, and
//! none is shown twice, even after the senders retry what was never acknowledged.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use ringlink_e2e::binary;
use ringlink_e2e::live_client::{self, Refused};
use ringlink_e2e::procs::{free_port, wait_for_port, Proc};
use ringlink_protocol::chat::*;
use ringlink_protocol::console::*;
use ringlink_protocol::secret::Secret;
use ringlink_protocol::widget::{RelayToWidget, WidgetMsg};

const ROUNDS: usize = 20;
const SITE: &str = "site_loss";
const PAGE: &str = "http://shop.test";
const WAIT: Duration = Duration::from_secs(10);

fn admin(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) {
    use std::io::Write;
    let mut child = Command::new(binary("ringlink-relay"))
        .env("RINGLINK_DATA_DIR", dir)
        .env("RUST_LOG", "warn")
        .arg("admin")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    assert!(child.wait().unwrap().success(), "admin {args:?} failed");
}

fn relay(dir: &std::path::Path, port: u16) -> Proc {
    let p = Proc::spawn(
        "relay",
        Command::new(binary("ringlink-relay"))
            .env("RINGLINK_LISTEN", format!("127.0.0.1:{port}"))
            .env("RINGLINK_DATA_DIR", dir)
            .env("RUST_LOG", "warn")
            .arg("serve"),
    );
    wait_for_port(&format!("127.0.0.1:{port}"), Duration::from_secs(20));
    p
}

/// Sends `n` lines numbered from `from`, one after another, until the relay dies; returns the
/// client ids that were acknowledged (with the seq they were stored under).
async fn write_visitor(
    addr: SocketAddr,
    token: Secret,
    round: usize,
    n: usize,
) -> Result<Vec<(String, u64)>, Refused> {
    let origin = format!("http://{addr}");
    let mut w = live_client::widget(addr, &origin, PAGE, SITE, [127, 0, 0, 1].into(), &[]).await?;
    let open = WidgetMsg::ChatOpen(ChatOpen {
        visitor: Some(token),
        ..ChatOpen::default()
    });
    w.send(open).await;
    let mut acked = Vec::new();
    for i in 0..n {
        let cid = format!("v{round}-{i}");
        let id = w
            .send(WidgetMsg::ChatSend(ChatSend {
                text: format!("visitor line {cid}"),
                client_id: cid.clone(),
                attachment: None,
            }))
            .await;
        let got = w
            .wait_for(Duration::from_secs(3), |env| match &env.msg {
                RelayToWidget::ChatSent(s) if env.re == Some(id) => Some(s.line.seq),
                _ => None,
            })
            .await;
        match got {
            Some(seq) => acked.push((cid, seq)),
            None => break,
        }
    }
    Ok(acked)
}

async fn write_agent(
    addr: SocketAddr,
    token: Secret,
    conversation: String,
    round: usize,
    n: usize,
) -> Vec<(String, u64)> {
    let origin = format!("http://{addr}");
    let Ok(mut c) = live_client::console(addr, &origin).await else {
        return Vec::new();
    };
    c.send(ConsoleMsg::StaffResume(StaffResume { token, since: None }))
        .await;
    let mut acked = Vec::new();
    for i in 0..n {
        let cid = format!("a{round}-{i}");
        let msg = ConsoleMsg::StaffSend(StaffSend {
            conversation: conversation.clone(),
            text: format!("agent line {cid}"),
            client_id: cid.clone(),
            attachment: None,
            internal: false,
        });
        let id = c.send(msg).await;
        let got = c
            .wait_for(Duration::from_secs(3), |env| match &env.msg {
                RelayToConsole::ChatSent(s) if env.re == Some(id) => Some(s.line.seq),
                _ => None,
            })
            .await;
        match got {
            Some(seq) => acked.push((cid, seq)),
            None => break,
        }
    }
    acked
}

/// Every line the visitor's reopened panel shows, by client id (a repeat fails the test),
/// paging on from the last line seen as the panel does.
async fn shown_to_visitor(addr: SocketAddr, token: &Secret) -> BTreeMap<String, u64> {
    let origin = format!("http://{addr}");
    let mut w = live_client::widget(addr, &origin, PAGE, SITE, [127, 0, 0, 1].into(), &[])
        .await
        .unwrap();
    let mut shown = BTreeMap::new();
    let mut seqs = HashSet::new();
    let mut since = 0;
    loop {
        let open = WidgetMsg::ChatOpen(ChatOpen {
            visitor: Some(token.clone()),
            since: Some(since),
            ..ChatOpen::default()
        });
        w.send(open).await;
        let mut page = 0;
        for env in w.drain(Duration::from_millis(1000)).await {
            if let RelayToWidget::Line(l) = env.msg {
                page += 1;
                since = since.max(l.seq);
                assert!(seqs.insert(l.seq), "line {} shown twice", l.seq);
                if let Some(cid) = l.client_id {
                    assert!(
                        shown.insert(cid.clone(), l.seq).is_none(),
                        "{cid} shown twice"
                    );
                }
            }
        }
        if page < 500 {
            return shown;
        }
    }
}

// covers CHAT-2, #11 loss test: kill -9 twenty times mid-conversation, nothing acknowledged lost, nothing twice
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_conversation_loses_no_acknowledged_line_and_shows_none_twice() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    admin(
        dir.path(),
        &[
            "site",
            "create",
            "--name",
            "Loss shop",
            "--key",
            SITE,
            "--origin",
            PAGE,
        ],
        None,
    );
    admin(
        dir.path(),
        &[
            "staff",
            "add",
            "--site",
            SITE,
            "--account",
            "li",
            "--name",
            "Li",
        ],
        Some("correct horse\n"),
    );
    let mut proc = relay(dir.path(), port);

    // The agent signs in; the visitor opens the chat and starts the conversation.
    let origin = format!("http://{addr}");
    let mut console = live_client::console(addr, &origin).await.unwrap();
    let signed = console
        .request(
            ConsoleMsg::StaffSignIn(StaffSignIn {
                site: SITE.into(),
                account: "li".into(),
                password: Secret::new("correct horse"),
            }),
            WAIT,
        )
        .await;
    let RelayToConsole::StaffSignedIn(staff) = signed else {
        panic!("{signed:?}")
    };
    let mut w = live_client::widget(addr, &origin, PAGE, SITE, [127, 0, 0, 1].into(), &[])
        .await
        .unwrap();
    let RelayToWidget::ChatOpened(opened) = w
        .request(WidgetMsg::ChatOpen(ChatOpen::default()), WAIT)
        .await
    else {
        panic!()
    };
    let visitor = opened.visitor;
    w.request(
        WidgetMsg::ChatSend(ChatSend {
            text: "hello".into(),
            client_id: "start".into(),
            attachment: None,
        }),
        WAIT,
    )
    .await;
    let conversation = console
        .wait_for(WAIT, |env| match &env.msg {
            RelayToConsole::Conversation(s) => Some(s.id.clone()),
            _ => None,
        })
        .await
        .expect("the agent is given the conversation");
    drop(w);
    drop(console);

    let mut acked: BTreeMap<String, u64> = BTreeMap::from([("start".to_owned(), 0)]);
    let mut all_sent: Vec<String> = Vec::new();
    for round in 0..ROUNDS {
        let v = tokio::spawn(write_visitor(addr, visitor.clone(), round, 40));
        let a = tokio::spawn(write_agent(
            addr,
            staff.token.clone(),
            conversation.clone(),
            round,
            40,
        ));
        // Die somewhere in the bursts: a different moment every round.
        tokio::time::sleep(Duration::from_millis(40 + (round as u64 * 37) % 200)).await;
        let pid = proc.child.id();
        Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap();
        let _ = proc.child.wait();
        for (cid, seq) in v
            .await
            .unwrap()
            .unwrap_or_default()
            .into_iter()
            .chain(a.await.unwrap())
        {
            acked.insert(cid, seq);
        }
        all_sent.extend((0..40).map(|i| format!("v{round}-{i}")));
        proc = relay(dir.path(), port);
        // Reopened from the start: every acknowledged line is there, each once.
        let shown = shown_to_visitor(addr, &visitor).await;
        for (cid, seq) in &acked {
            if cid == "start" {
                assert!(shown.contains_key(cid));
                continue;
            }
            assert_eq!(
                shown.get(cid),
                Some(seq),
                "round {round}: acknowledged line {cid} lost or renumbered"
            );
        }
    }
    // The senders retry everything that was never acknowledged: stored once, still shown once.
    let retried = write_visitor(addr, visitor.clone(), 0, 40).await.unwrap();
    let shown = shown_to_visitor(addr, &visitor).await;
    for (cid, seq) in retried {
        if let Some(first) = acked.get(&cid) {
            assert_eq!(*first, seq, "a retry of {cid} was stored a second time");
        }
        assert!(shown.contains_key(&cid));
    }
    let acked_lines = acked.len();
    eprintln!("loss test: {ROUNDS} kill -9 rounds, {acked_lines} acknowledged lines, none lost, none twice");
    assert!(
        acked_lines > ROUNDS,
        "the bursts got lines through: {acked_lines}"
    );
}
