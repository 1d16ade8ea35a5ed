//! SIGTERM-style shutdown during a live CALL while slow request heads hold connections open: the
//! relay still ends within the grace period and both phones get BYE.

mod support;

use std::time::{Duration, Instant};

use ringlink_e2e::sipp::{have_sipp, Phone};
use ringlink_protocol::call_me::*;
use ringlink_protocol::widget::{RelayToWidget, WidgetMsg};
use ringlink_relay::billing::{Increments, Payer, Tariff};
use support::calls::relay_with_phones;
use support::*;
use tokio::io::AsyncWriteExt;

// covers #8 §4 shutdown: bounded, and live calls still get their BYEs and settle
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_during_a_call_with_slow_heads_open_hangs_up_both_legs_in_time() {
    if !have_sipp() {
        return;
    }
    let member = Phone::answering("member", 1);
    let merchant = Phone::answering("merchant", 1);
    let t = relay_with_phones(Db::Sqlite, &member, &merchant, PayerKind::Member, |c| {
        c.http.header_read_timeout_secs = 3600;
    })
    .await
    .unwrap();
    let r = &t.running.relay;
    let tariff = Tariff::new("+86", 0, 60, Increments::new(1, 1).unwrap()).unwrap();
    r.calls.billing.set_tariff(&tariff).await.unwrap();
    let m = r
        .store
        .member_by_number(&ringlink_protocol::E164::new(ALICE).unwrap())
        .await
        .unwrap()
        .unwrap();
    let account = r
        .calls
        .billing
        .account_for(&Payer::Member(m.id))
        .await
        .unwrap();
    r.calls
        .billing
        .credit(account, 10_000, "test top-up")
        .await
        .unwrap();

    let (mut w, _) = t.signed_in_widget(ALICE).await;
    let placed = w
        .request(WidgetMsg::CallMe(CallMe {
            button: "sales".into(),
            callback: ALICE.into(),
            client_id: None,
            lang: None,
        }))
        .await;
    let RelayToWidget::CallPlaced(placed) = placed else {
        panic!("{placed:?}")
    };
    // Wait for the bridge.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(Instant::now() < deadline, "the call never connected");
        if let RelayToWidget::CallProgress(p) = w.next_within(30).await.msg {
            if p.call_id == placed.call_id && p.stage == CallStage::Connected {
                break;
            }
        }
    }
    let mut slow = Vec::new();
    for _ in 0..10 {
        let mut s = tokio::net::TcpStream::connect(&t.base).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        slow.push(s);
    }
    let started = Instant::now();
    let done = tokio::time::timeout(
        ringlink_relay::SHUTDOWN_GRACE + Duration::from_secs(3),
        t.running.shutdown(),
    )
    .await;
    assert!(
        done.is_ok(),
        "shutdown still waiting after {:?}",
        started.elapsed()
    );
    assert!(
        member.passed(Duration::from_secs(10)).await,
        "the member's phone got BYE"
    );
    assert!(
        merchant.passed(Duration::from_secs(10)).await,
        "the merchant's phone got BYE"
    );
}
