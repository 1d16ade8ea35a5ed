//! The relay under faults, through the test relay's fault hooks (`ringlink_relay::faults`): a
//! widget socket cut mid-call by a network loss, upgrades refused for a while, and a database
//! that fails every query. Each runs on one relay and on two sharing PostgreSQL and NATS.

mod support;

use std::time::Duration;

use ringlink_protocol::agent::{AgentMsg, CallUpdate};
use ringlink_protocol::call::CallState;
use ringlink_protocol::widget::{Dial, RelayToWidget, Resume, WidgetMsg};
use ringlink_protocol::ErrorCode;
use support::*;

fn dial(number: &str) -> WidgetMsg {
    WidgetMsg::Dial(Dial {
        number: number.into(),
        device: None,
        client_id: None,
    })
}

// covers #10 tests, fault hooks: the widget's socket is cut without a close frame mid-call; the
// states reported meanwhile come once each, in order, when it resumes with the last one it saw
both_buses!(
    a_cut_widget_resumes_without_losing_or_repeating_events,
    |t: TestRelay| async move {
        let (mut w, token) = t.signed_in_widget(ALICE).await;
        let (mut agent, _) = t.agent(ALICE, "alice phone").await;
        let _presence = w.next().await;
        let RelayToWidget::DialAccepted(acc) = w.request(dial("13900139000")).await else {
            panic!("dial refused")
        };
        let _order = agent.next().await;
        let RelayToWidget::CallState(sent) = w.next().await.msg else {
            panic!("no sent state")
        };
        t.running.relay.faults.drop_one_socket("widget");
        let (code, _) = w.closed().await;
        assert_eq!(code, 1006, "cut, not closed");
        for state in [CallState::Dialing, CallState::Ringing, CallState::Active] {
            let update = CallUpdate {
                call_id: acc.call_id.clone(),
                state,
                detail: None,
            };
            agent.send(AgentMsg::CallUpdate(update)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut w = t.widget().await;
        let resume = Resume {
            token,
            since: Some(sent.seq),
        };
        let r = w.request(WidgetMsg::Resume(resume)).await;
        assert!(matches!(r, RelayToWidget::SignedIn(_)), "{r:?}");
        assert!(matches!(w.next().await.msg, RelayToWidget::Presence(_)));
        let mut missed = Vec::new();
        let mut last = sent.seq;
        for _ in 0..3 {
            let RelayToWidget::CallState(e) = w.next().await.msg else {
                panic!("expected a missed state")
            };
            assert!(e.seq > last, "in order: {} after {last}", e.seq);
            last = e.seq;
            missed.push(e.state);
        }
        assert_eq!(
            missed,
            [CallState::Dialing, CallState::Ringing, CallState::Active]
        );
        assert!(w.quiet_for(500).await, "nothing is shown twice");
    }
);

// covers #10 tests, fault hooks: while the relay refuses upgrades both sockets get a 503, and
// once it stops they connect again
both_buses!(refused_upgrades_recover, |t: TestRelay| async move {
    let (_, token) = t.device_token(ALICE, "alice phone").await;
    t.running
        .relay
        .faults
        .refuse_upgrades_for(Duration::from_millis(800));
    if let Some(p) = &t.peer {
        p.running
            .relay
            .faults
            .refuse_upgrades_for(Duration::from_millis(800));
    }
    let refused = t.widget_from(ORIGIN, SITE).await.err().expect("refused");
    assert!(refused.to_string().contains("503"), "{refused}");
    let refused = t.agent_with(token.expose()).await.err().expect("refused");
    assert!(refused.to_string().contains("503"), "{refused}");
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert!(t.widget_from(ORIGIN, SITE).await.is_ok());
    assert!(t.agent_with(token.expose()).await.is_ok());
});

// covers #10 tests, fault hooks: while the database fails every query a dial is refused with a
// clear "try again" and the socket stays; once it heals the next dial goes through, and the
// failed one left no row behind
both_buses!(
    a_failing_database_refuses_clearly_and_loses_nothing,
    |t: TestRelay| async move {
        let (mut w, _) = t.signed_in_widget(ALICE).await;
        let (mut agent, _) = t.agent(ALICE, "alice phone").await;
        let _presence = w.next().await;
        let store = &t.running.relay.store;
        store.fail_queries(u32::MAX);
        let refused = w.request(dial("13900139000")).await;
        store.heal();
        let RelayToWidget::Error(e) = refused else {
            panic!("a dial went through a dead database: {refused:?}")
        };
        assert_eq!(e.code, ErrorCode::Internal);
        assert!(e.message.contains("try again"), "{}", e.message);
        assert!(
            agent.quiet_for(300).await,
            "the phone was not asked to dial"
        );
        let ok = w.request(dial("13900139000")).await;
        assert!(matches!(ok, RelayToWidget::DialAccepted(_)), "{ok:?}");
        let _order = agent.next().await;
        t.running.relay.dial_log.flush().await;
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM dial_calls")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(rows, 1, "one dial, one row");
    }
);
