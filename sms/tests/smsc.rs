//! The SMPP gateway against a real SMSC peer (PyPI smpp34 in a virtualenv, `peers/smsc.py`) on
//! loopback: codes delivered with receipts, UCS-2 intact, concatenation, rebind, throttling.

mod support;

use std::time::Duration;

use ringlink_protocol::E164;
use ringlink_sms::{
    gateway_from_config, DeliveryReport, DeliveryState, Encoding, GatewayKind, Secret, SmppGateway,
    SmsConfig, SmsError, SmsGateway,
};
use serde_json::Value;
use support::{free_port, python, unhex, Smsc};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// Each wait on the peer: everything here is loopback and should take milliseconds.
const STEP: Duration = Duration::from_secs(10);

fn config(port: u16) -> SmsConfig {
    SmsConfig {
        gateway: GatewayKind::Smpp,
        host: "127.0.0.1".into(),
        port,
        system_id: "ringlink".into(),
        password: Secret::new("pw123"),
        source_addr: "Ringlink".into(),
        max_per_second: 50,
        enquire_link_secs: 5,
        response_timeout_secs: 5,
        bind_wait_secs: 10,
        ..SmsConfig::default()
    }
}

fn member() -> E164 {
    E164::new("+8613800138000").expect("valid number")
}

async fn start(port: u16) -> (SmppGateway, CancellationToken) {
    let shutdown = CancellationToken::new();
    let gateway = SmppGateway::start(&config(port), shutdown.clone()).expect("gateway");
    assert!(gateway.wait_bound(STEP).await, "bound to the test SMSC");
    (gateway, shutdown)
}

async fn report_for(reports: &mut broadcast::Receiver<DeliveryReport>, id: &str) -> DeliveryReport {
    let deadline = tokio::time::Instant::now() + STEP;
    loop {
        let report = tokio::time::timeout_at(deadline, reports.recv())
            .await
            .expect("a delivery report in time")
            .expect("report channel open");
        if report.message_id == id {
            return report;
        }
    }
}

/// Collects `n` submit events and checks the concatenation headers; returns the decoded text.
async fn reassemble(smsc: &mut Smsc, n: usize, data_coding: u64) -> String {
    let mut parts: Vec<Value> = Vec::new();
    for _ in 0..n {
        parts.push(smsc.next("submit", STEP).await);
    }
    let mut reference = None;
    let mut text = String::new();
    for (i, part) in parts.iter().enumerate() {
        assert_eq!(part["data_coding"], data_coding);
        assert_eq!(part["esm_class"], 0x40, "UDHI set on every part");
        let udh = unhex(part["udh_hex"].as_str().expect("udh"));
        assert_eq!(udh[..3], [0x05, 0x00, 0x03], "8-bit concatenation IE");
        assert_eq!(*reference.get_or_insert(udh[3]), udh[3], "one reference");
        assert_eq!(usize::from(udh[4]), n, "total");
        assert_eq!(usize::from(udh[5]), i + 1, "sequence");
        let body_len = unhex(part["short_message_hex"].as_str().expect("hex")).len() - udh.len();
        let limit = if data_coding == 8 { 134 } else { 153 };
        assert!(
            body_len <= limit,
            "part {} body {body_len} > {limit}",
            i + 1
        );
        text.push_str(part["text"].as_str().expect("decoded text"));
    }
    text
}

#[tokio::test]
async fn verification_code_is_delivered_with_receipt() {
    // covers CALL-3: the callback number is verified by an SMS code that reaches the handset
    let Some(python) = python() else { return };
    let mut smsc = Smsc::start(&python, free_port(), &[]).await;
    let shutdown = CancellationToken::new();
    let gateway = gateway_from_config(&config(smsc.port), shutdown.clone())
        .await
        .expect("smpp gateway");
    assert_eq!(gateway.kind(), "smpp");
    assert!(gateway.as_dev().is_none());
    let bind = smsc.next("bind", STEP).await;
    assert_eq!(bind["system_id"], "ringlink");
    let mut reports = gateway.delivery_reports();

    let text = "Your Ringlink code is 482913";
    let receipt = gateway.send(&member(), text).await.expect("sent");
    assert_eq!(receipt.encoding, Encoding::Gsm7);
    assert_eq!(receipt.message_ids.len(), 1);

    let submit = smsc.next("submit", STEP).await;
    assert_eq!(submit["message_id"], receipt.message_ids[0].as_str());
    assert_eq!(submit["destination_addr"], "8613800138000");
    assert_eq!(submit["source_addr"], "Ringlink");
    assert_eq!(submit["data_coding"], 0);
    assert_eq!(submit["esm_class"], 0);
    assert_eq!(submit["registered_delivery"], 1);
    // These characters have the same code in GSM 03.38 and ASCII.
    assert_eq!(submit["short_message_hex"], hex(text.as_bytes()));
    assert_eq!(submit["text"], text);

    let report = report_for(&mut reports, &receipt.message_ids[0]).await;
    assert_eq!(report.state, DeliveryState::Delivered);
    assert_eq!(report.to, Some(member()));
    assert_eq!(report.error_code.as_deref(), Some("000"));
    shutdown.cancel();
    smsc.next("unbound", STEP).await;
    smsc.kill().await;
}

#[tokio::test]
async fn chinese_arrives_as_ucs2_intact() {
    // covers INBOX-5: the temporary password SMS in Chinese arrives readable
    let Some(python) = python() else { return };
    let mut smsc = Smsc::start(&python, free_port(), &[]).await;
    let (gateway, shutdown) = start(smsc.port).await;
    let text = "您的临时密码是 Kx7-29QF，请用本机号码登录。😀";
    let receipt = gateway.send(&member(), text).await.expect("sent");
    assert_eq!(receipt.encoding, Encoding::Ucs2);
    let submit = smsc.next("submit", STEP).await;
    assert_eq!(submit["data_coding"], 8);
    assert_eq!(submit["esm_class"], 0);
    assert_eq!(submit["text"], text, "decoded as UTF-16BE at the SMSC");
    shutdown.cancel();
    smsc.kill().await;
}

#[tokio::test]
async fn long_messages_are_split_and_reassemble() {
    // covers PAY-9: a long payment-result message reaches the user whole, in GSM-7 and in UCS-2
    let Some(python) = python() else { return };
    let mut smsc = Smsc::start(&python, free_port(), &[]).await;
    let (gateway, shutdown) = start(smsc.port).await;

    let gsm: String = (0..24)
        .map(|i| format!("Order {i:02} paid 5€ [ok]; "))
        .collect();
    let receipt = gateway.send(&member(), &gsm).await.expect("sent");
    let n = receipt.message_ids.len();
    assert!(n >= 3, "{} chars in {n} parts", gsm.chars().count());
    assert_eq!(reassemble(&mut smsc, n, 0).await, gsm);

    let ucs2: String = (0..20)
        .map(|i| format!("订单{i}已支付，金额¥5。"))
        .collect();
    let receipt = gateway.send(&member(), &ucs2).await.expect("sent");
    let n = receipt.message_ids.len();
    assert!(n >= 3, "{} chars in {n} parts", ucs2.chars().count());
    assert_eq!(reassemble(&mut smsc, n, 8).await, ucs2);
    shutdown.cancel();
    smsc.kill().await;
}

#[tokio::test]
async fn rebinds_after_the_smsc_restarts() {
    // covers PAY-9: results still go out after the SMSC restarts; a send made meanwhile waits
    let Some(python) = python() else { return };
    let port = free_port();
    let mut smsc = Smsc::start(&python, port, &["--id-prefix", "a"]).await;
    let (gateway, shutdown) = start(port).await;
    let first = gateway
        .send(&member(), "before restart")
        .await
        .expect("sent");
    assert_eq!(first.message_ids, vec!["a1".to_string()]);
    smsc.next("submit", STEP).await;

    smsc.kill().await;
    let gateway = std::sync::Arc::new(gateway);
    let waiting = {
        let gateway = gateway.clone();
        tokio::spawn(async move { gateway.send(&member(), "during restart").await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "the send waits for the rebind");
    let mut smsc = Smsc::start(&python, port, &["--id-prefix", "b"]).await;
    let during = waiting.await.expect("task").expect("sent after rebind");
    assert!(
        during.message_ids[0].starts_with('b'),
        "{:?}",
        during.message_ids
    );
    let after = gateway
        .send(&member(), "after restart")
        .await
        .expect("sent");
    assert!(after.message_ids[0].starts_with('b'));
    assert_eq!(smsc.next("submit", STEP).await["text"], "during restart");
    assert_eq!(smsc.next("submit", STEP).await["text"], "after restart");
    shutdown.cancel();
    smsc.kill().await;
}

#[tokio::test]
async fn enquire_link_keeps_the_link_and_detects_a_hung_smsc() {
    // covers CALL-3: a hung SMSC is noticed by the keep-alive and replaced, codes still go out
    let Some(python) = python() else { return };
    let mut smsc = Smsc::start(&python, free_port(), &[]).await;
    let cfg = SmsConfig {
        enquire_link_secs: 1,
        // Two seconds, not one: a loaded 2-core machine must not look like a hung SMSC.
        response_timeout_secs: 2,
        ..config(smsc.port)
    };
    let shutdown = CancellationToken::new();
    let gateway = SmppGateway::start(&cfg, shutdown.clone()).expect("gateway");
    assert!(gateway.wait_bound(STEP).await);
    // Three keep-alive rounds answered: still the first session.
    tokio::time::sleep(Duration::from_millis(3200)).await;
    assert!(gateway.is_ready());
    let binds = smsc.drain().iter().filter(|e| e["event"] == "bind").count();
    assert_eq!(binds, 1, "no rebind while the SMSC answers enquire_link");
    gateway.send(&member(), "still bound").await.expect("sent");
    smsc.next("submit", STEP).await;

    smsc.freeze(true);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(6);
    while gateway.is_ready() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "hung SMSC not noticed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    smsc.freeze(false);
    let receipt = gateway
        .send(&member(), "after the hang")
        .await
        .expect("sent");
    assert_eq!(
        smsc.next("submit", STEP).await["message_id"],
        receipt.message_ids[0].as_str()
    );
    shutdown.cancel();
    smsc.kill().await;
}

#[tokio::test]
async fn throttled_submit_is_retried() {
    // covers INBOX-5: a throttling SMSC delays the temporary password, it does not lose it
    let Some(python) = python() else { return };
    let mut smsc = Smsc::start(&python, free_port(), &["--throttle", "2"]).await;
    let (gateway, shutdown) = start(smsc.port).await;
    let started = std::time::Instant::now();
    let receipt = gateway
        .send(&member(), "Temporary password 7Q2K")
        .await
        .expect("sent");
    assert_eq!(receipt.message_ids.len(), 1);
    smsc.next("throttled", STEP).await;
    smsc.next("throttled", STEP).await;
    let submit = smsc.next("submit", STEP).await;
    assert_eq!(submit["message_id"], receipt.message_ids[0].as_str());
    assert!(
        started.elapsed() >= Duration::from_millis(700),
        "backed off 250 ms then 500 ms, took {:?}",
        started.elapsed()
    );
    shutdown.cancel();
    smsc.kill().await;
}

#[tokio::test]
async fn max_per_second_paces_submits() {
    // covers PAY-9: a burst of payment results stays within the SMSC contract rate
    let Some(python) = python() else { return };
    let mut smsc = Smsc::start(&python, free_port(), &[]).await;
    let cfg = SmsConfig {
        max_per_second: 5,
        ..config(smsc.port)
    };
    let shutdown = CancellationToken::new();
    let gateway = std::sync::Arc::new(SmppGateway::start(&cfg, shutdown.clone()).expect("gateway"));
    assert!(gateway.wait_bound(STEP).await);
    let started = std::time::Instant::now();
    let sends: Vec<_> = (0..6)
        .map(|i| {
            let gateway = gateway.clone();
            tokio::spawn(async move { gateway.send(&member(), &format!("result {i}")).await })
        })
        .collect();
    for send in sends {
        send.await.expect("task").expect("sent");
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(950),
        "6 sends at 5/s took {elapsed:?}"
    );
    for _ in 0..6 {
        smsc.next("submit", STEP).await;
    }
    shutdown.cancel();
    smsc.kill().await;
}

#[tokio::test]
async fn send_fails_clearly_without_an_smsc() {
    // covers CALL-3: with the SMSC down, the member hears why instead of waiting forever
    let port = free_port();
    let cfg = SmsConfig {
        bind_wait_secs: 1,
        ..config(port)
    };
    let shutdown = CancellationToken::new();
    let gateway = SmppGateway::start(&cfg, shutdown.clone()).expect("gateway");
    let err = gateway
        .send(&member(), "code 1")
        .await
        .expect_err("no SMSC");
    match &err {
        SmsError::NotBound { address, .. } => assert_eq!(address, &format!("127.0.0.1:{port}")),
        other => panic!("expected NotBound, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("connect failed"), "{message}");
    assert!(!message.contains("pw123"), "no password in {message}");
    assert!(!gateway.is_ready());
    shutdown.cancel();
    assert_eq!(gateway.send(&member(), "x").await, Err(SmsError::ShutDown));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
