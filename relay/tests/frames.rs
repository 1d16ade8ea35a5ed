//! Bad frames get clear errors and leave the connection usable; shutdown closes with a reason.

mod support;

use ringlink_protocol::widget::{Ping, RelayToWidget, WidgetMsg};
use ringlink_protocol::ErrorCode;
use support::*;

async fn expect_error(w: &mut Client<WidgetMsg, RelayToWidget>, code: ErrorCode) -> String {
    let env = w.next().await;
    let RelayToWidget::Error(e) = env.msg else {
        panic!("{env:?}")
    };
    assert_eq!(e.code, code, "{}", e.message);
    e.message
}

both_dbs!(malformed_and_oversized_frames, |t: TestRelay| async move {
    let (mut w, _) = t.signed_in_widget(ALICE).await;
    w.raw("{not json").await;
    expect_error(&mut w, ErrorCode::BadFrame).await;
    w.raw(r#"{"id":1,"msg":{"type":"format_disk"}}"#).await;
    let msg = expect_error(&mut w, ErrorCode::BadFrame).await;
    assert!(msg.contains("format_disk"), "{msg}");
    w.raw(r#"{"id":2,"msg":{"type":"dial","data":{"number":"1","sneaky":1}}}"#)
        .await;
    assert!(expect_error(&mut w, ErrorCode::BadFrame)
        .await
        .contains("sneaky"));
    w.raw(&format!(
        r#"{{"id":3,"msg":{{"type":"ping","data":{{}}}},"pad":"{}"}}"#,
        "x".repeat(30_000)
    ))
    .await;
    assert!(expect_error(&mut w, ErrorCode::FrameTooLarge)
        .await
        .contains("16384"));
    // Still signed in and usable after all of that.
    assert!(matches!(
        w.request(WidgetMsg::Ping(Ping {})).await,
        RelayToWidget::Pong(_)
    ));
    // Past the transport cap the socket is closed with 1009 and a reason.
    w.raw(&"y".repeat(200_000)).await;
    let (code, reason) = w.closed().await;
    assert_eq!(code, 1009, "{reason}");
    assert!(!reason.is_empty());
    // Nothing stored was harmed: the member can still sign in.
    let _ = t.signed_in_widget(ALICE).await;
});

both_dbs!(
    requests_before_sign_in_are_refused,
    |t: TestRelay| async move {
        let mut w = t.widget().await;
        let r = w
            .request(WidgetMsg::Dial(ringlink_protocol::widget::Dial {
                number: "13800138000".into(),
                device: None,
                client_id: None,
            }))
            .await;
        assert!(
            matches!(r, RelayToWidget::Error(ref e) if e.code == ErrorCode::NotSignedIn),
            "{r:?}"
        );
    }
);

both_dbs!(
    shutdown_closes_sockets_with_a_reason,
    |t: TestRelay| async move {
        let (mut w, _) = t.signed_in_widget(ALICE).await;
        let (mut a, _) = t.agent(ALICE, "p").await;
        let relay = t.running.relay.clone();
        relay.shutdown.cancel();
        let (code, reason) = a.closed().await;
        assert_eq!(code, 1001);
        assert!(reason.contains("reconnect"), "{reason}");
        let mut closed = (0, String::new());
        for _ in 0..3 {
            // presence frames may come first as the agent leaves
            if let Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Close(Some(f))))) =
                tokio::time::timeout(
                    std::time::Duration::from_secs(5),
                    futures_util::StreamExt::next(&mut w.ws),
                )
                .await
            {
                closed = (f.code.into(), f.reason.to_string());
                break;
            }
        }
        assert_eq!(closed.0, 1001);
        t.running.wait().await;
    }
);
