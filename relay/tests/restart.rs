//! A relay restart loses nothing promised: a dial retried with the same client id after the
//! restart is answered with the first acceptance and not dialled again.

mod support;

use ringlink_protocol::widget::{Dial, RelayToWidget, WidgetMsg};
use support::*;

// covers DIAL-5
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_dial_after_restart_is_not_dialled_again() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let t = TestRelay::start_with(Db::Sqlite, |c| c.data_dir = data.clone())
        .await
        .unwrap();
    let dial = || {
        WidgetMsg::Dial(Dial {
            number: "13900139000".into(),
            device: None,
            client_id: Some("tap-7".into()),
        })
    };
    let (mut w, _) = t.signed_in_widget(ALICE).await;
    let (mut agent, _) = t.agent(ALICE, "alice phone").await;
    let _presence = w.next().await;
    let RelayToWidget::DialAccepted(first) = w.request(dial()).await else {
        panic!()
    };
    let _order = agent.next().await;
    drop((w, agent));
    t.running.shutdown().await;

    let config = ringlink_relay::Config {
        listen: "127.0.0.1:0".into(),
        data_dir: data,
        heartbeat_secs: 1,
        ..Default::default()
    };
    let again = TestRelay::adopt(ringlink_relay::start(config).await.unwrap(), dir);
    let (mut w, _) = again.signed_in_widget(ALICE).await;
    let (mut agent, _) = again.agent(ALICE, "alice phone").await;
    let _presence = w.next().await;
    let RelayToWidget::DialAccepted(replayed) = w.request(dial()).await else {
        panic!()
    };
    assert_eq!(replayed.call_id, first.call_id);
    assert!(
        agent.quiet_for(300).await,
        "the phone was not asked to dial again"
    );
}
