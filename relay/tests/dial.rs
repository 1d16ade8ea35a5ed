//! DIAL through the relay on a real port: presence, routing to the member's own agent, call
//! states, and what happens when things go wrong.

mod support;

use ringlink_protocol::agent::{AgentMsg, CallUpdate, RelayToAgent};
use ringlink_protocol::call::CallState;
use ringlink_protocol::widget::{Dial, RelayToWidget, WidgetMsg};
use ringlink_protocol::ErrorCode;
use support::*;

fn dial(number: &str) -> WidgetMsg {
    WidgetMsg::Dial(Dial {
        number: number.into(),
        device: None,
        client_id: None,
    })
}

/// The dial log once its newest entry is in a final state (the relay records a state right
/// after announcing it), or as it is after 5 s.
async fn dial_log(t: &TestRelay, number: &str) -> Vec<(String, String)> {
    for _ in 0..50 {
        // The log is written in batches: wait for what is queued before reading it.
        t.running.relay.dial_log.flush().await;
        let log = dial_log_now(t, number).await;
        if log
            .first()
            .is_none_or(|(_, s)| ["ended", "failed", "declined"].contains(&s.as_str()))
        {
            return log;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    dial_log_now(t, number).await
}

async fn dial_log_now(t: &TestRelay, number: &str) -> Vec<(String, String)> {
    let relay = &t.running.relay;
    let member = relay
        .store
        .member_by_number(&ringlink_protocol::E164::new(number).unwrap())
        .await
        .unwrap()
        .unwrap();
    relay
        .store
        .list_dial_calls(member.id, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.number, c.state))
        .collect()
}

// covers DIAL-3, DIAL-4, DIAL-5: presence goes live, the intent reaches only the member's own
// agent as E.164, and the handset's states come back to the page.
both_buses!(
    dial_reaches_own_agent_and_states_come_back,
    |t: TestRelay| async move {
        let (mut w, _) = t.signed_in_widget(ALICE).await;
        let refused = w.request(dial("010 6552 9988")).await;
        assert!(
            matches!(refused, RelayToWidget::Error(ref e) if e.code == ErrorCode::AgentNotConnected),
            "{refused:?}"
        );

        let (mut bob_agent, _) = t.agent(BOB, "bob phone").await;
        let (mut agent, device) = t.agent(ALICE, "alice phone").await;
        let presence = w.next().await.msg;
        let RelayToWidget::Presence(p) = presence else {
            panic!("{presence:?}")
        };
        assert_eq!(p.agents.len(), 1, "only Alice's own agent is shown");
        assert_eq!(p.agents[0].device, device);

        let accepted = w.request(dial("010 6552 9988")).await;
        let RelayToWidget::DialAccepted(acc) = accepted else {
            panic!("{accepted:?}")
        };
        assert_eq!(acc.number.as_str(), "+861065529988");
        let order = agent.next().await.msg;
        let RelayToAgent::DialOrder(order) = order else {
            panic!("{order:?}")
        };
        assert_eq!(order.number.as_str(), "+861065529988");
        assert_eq!(order.call_id, acc.call_id);
        assert!(
            bob_agent.quiet_for(300).await,
            "another member's agent never sees the intent"
        );

        let sent = w.next().await.msg;
        assert!(
            matches!(sent, RelayToWidget::CallState(ref e) if e.state == CallState::Sent),
            "{sent:?}"
        );
        let mut last_seq = 0;
        for state in [
            CallState::Dialing,
            CallState::Ringing,
            CallState::Active,
            CallState::Ended,
        ] {
            agent
                .send(AgentMsg::CallUpdate(CallUpdate {
                    call_id: order.call_id.clone(),
                    state,
                    detail: None,
                }))
                .await;
            let got = w.next().await.msg;
            let RelayToWidget::CallState(e) = got else {
                panic!("{got:?}")
            };
            assert_eq!(e.state, state);
            assert!(e.seq > last_seq, "sequence numbers increase");
            last_seq = e.seq;
        }
        assert_eq!(
            dial_log(&t, ALICE).await,
            vec![("+861065529988".to_string(), "ended".to_string())]
        );

        // A replayed update after the end changes nothing.
        let late = agent
            .request(AgentMsg::CallUpdate(CallUpdate {
                call_id: order.call_id.clone(),
                state: CallState::Active,
                detail: None,
            }))
            .await;
        assert!(
            matches!(late, RelayToAgent::Error(ref e) if e.code == ErrorCode::UnknownCall),
            "{late:?}"
        );
        assert_eq!(dial_log(&t, ALICE).await[0].1, "ended");
        t.running.shutdown().await;
    }
);

// covers DIAL-5: a member cannot aim a dial intent at another member's phone.
both_buses!(
    dial_to_another_members_device_is_refused,
    |t: TestRelay| async move {
        let (mut bob_agent, bob_device) = t.agent(BOB, "bob phone").await;
        let (mut w, _) = t.signed_in_widget(ALICE).await;
        let reply = w
            .request(WidgetMsg::Dial(Dial {
                number: "13800138000".into(),
                device: Some(bob_device),
                client_id: None,
            }))
            .await;
        assert!(
            matches!(reply, RelayToWidget::Error(ref e) if e.code == ErrorCode::NotYourDevice),
            "{reply:?}"
        );
        assert!(
            bob_agent.quiet_for(300).await,
            "Bob's phone received nothing"
        );
        // And an agent cannot report on a call that is not its own.
        let forged = bob_agent
            .request(AgentMsg::CallUpdate(CallUpdate {
                call_id: "call_X".into(),
                state: CallState::Active,
                detail: None,
            }))
            .await;
        assert!(
            matches!(forged, RelayToAgent::Error(ref e) if e.code == ErrorCode::UnknownCall),
            "{forged:?}"
        );
        assert!(dial_log(&t, ALICE).await.is_empty());
    }
);

// covers DIAL-4: bad numbers are refused with a message that says what to type; nothing stored.
both_buses!(
    invalid_numbers_are_refused_clearly,
    |t: TestRelay| async move {
        let (mut agent, _) = t.agent(ALICE, "alice phone").await;
        let (mut w, _) = t.signed_in_widget(ALICE).await;
        for (input, code) in [
            ("12345", ErrorCode::InvalidNumber),
            ("+999 1234 5678", ErrorCode::InvalidNumber),
            ("call me", ErrorCode::InvalidNumber),
            ("1380013800013800138000138000138000", ErrorCode::BadField),
            ("", ErrorCode::BadField),
        ] {
            let reply = w.request(dial(input)).await;
            let RelayToWidget::Error(e) = reply else {
                panic!("{input:?} was accepted: {reply:?}")
            };
            assert_eq!(e.code, code, "{input:?}: {}", e.message);
            assert!(!e.message.is_empty());
            if code == ErrorCode::InvalidNumber {
                assert!(e.message.contains("country code"), "{}", e.message);
            }
        }
        assert!(agent.quiet_for(300).await, "no dial order went out");
        assert!(dial_log(&t, ALICE).await.is_empty());
    }
);

// covers DIAL-3, DIAL-5: an agent that vanishes mid-call fails the call and the page says why.
both_buses!(
    agent_disconnecting_mid_call_fails_the_call,
    |t: TestRelay| async move {
        let (mut w, _) = t.signed_in_widget(ALICE).await;
        let (mut agent, _) = t.agent(ALICE, "alice phone").await;
        let _presence = w.next().await;
        let RelayToWidget::DialAccepted(acc) = w.request(dial("13900139000")).await else {
            panic!()
        };
        let _order = agent.next().await;
        let _sent = w.next().await;
        agent
            .send(AgentMsg::CallUpdate(CallUpdate {
                call_id: acc.call_id.clone(),
                state: CallState::Active,
                detail: None,
            }))
            .await;
        let _active = w.next().await;
        drop(agent);
        let mut saw_failed = false;
        let mut saw_empty = false;
        for _ in 0..2 {
            match w.next().await.msg {
                RelayToWidget::Presence(p) => saw_empty = p.agents.is_empty(),
                RelayToWidget::CallState(e) => {
                    assert_eq!(e.state, CallState::Failed);
                    assert_eq!(e.detail.as_deref(), Some("phone agent disconnected"));
                    saw_failed = true;
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(saw_failed && saw_empty);
        assert_eq!(dial_log(&t, ALICE).await[0].1, "failed");
        let again = w.request(dial("13900139000")).await;
        assert!(
            matches!(again, RelayToWidget::Error(ref e) if e.code == ErrorCode::AgentNotConnected)
        );
    }
);

// Dialling costs the member's own line: a flood of intents is throttled.
both_buses!(dial_flood_is_rate_limited, |t: TestRelay| async move {
    let (mut w, _) = t.signed_in_widget(ALICE).await;
    let (_agent, _) = t.agent(ALICE, "alice phone").await;
    let _presence = w.next().await;
    let mut limited = None;
    for i in 0..(ringlink_relay::dial::DIALS_PER_MINUTE + 1) {
        match w.request(dial("13900139000")).await {
            RelayToWidget::DialAccepted(_) => {}
            RelayToWidget::Error(e) => {
                limited = Some((i, e));
                break;
            }
            _ => {}
        }
    }
    let (i, e) = limited.expect("the flood was never limited");
    assert_eq!(i, ringlink_relay::dial::DIALS_PER_MINUTE);
    assert_eq!(e.code, ErrorCode::RateLimited);
    assert!(e.retry_after.is_some());
});

// covers DIAL-5: a dial retried with the same client id (a reconnect, a double click) is
// answered with the first acceptance and dialled once.
both_buses!(replayed_dial_is_dialled_once, |t: TestRelay| async move {
    let (mut w, _) = t.signed_in_widget(ALICE).await;
    let (mut agent, _) = t.agent(ALICE, "alice phone").await;
    let _presence = w.next().await;
    let once = || {
        WidgetMsg::Dial(Dial {
            number: "13900139000".into(),
            device: None,
            client_id: Some("click-42".into()),
        })
    };
    let RelayToWidget::DialAccepted(first) = w.request(once()).await else {
        panic!()
    };
    let _order = agent.next().await;
    // A second tab, or the same page after a reconnect (with two relays: through the other
    // relay), sends the same dial again. covers #10 §2 cluster-wide client ids
    let mut w2 = t.peer_signed_in_widget(ALICE).await;
    let RelayToWidget::DialAccepted(again) = w2.request(once()).await else {
        panic!()
    };
    assert_eq!(again.call_id, first.call_id);
    assert!(
        agent.quiet_for(300).await,
        "the phone was not asked to dial twice"
    );
    assert_eq!(dial_log(&t, ALICE).await.len(), 1);
});

// A widget that reconnects with the last sequence it saw gets the call states it missed.
both_buses!(
    resumed_widget_gets_missed_call_states,
    |t: TestRelay| async move {
        let (mut w, token) = t.signed_in_widget(ALICE).await;
        let (mut agent, _) = t.agent(ALICE, "alice phone").await;
        let _presence = w.next().await;
        let RelayToWidget::DialAccepted(acc) = w.request(dial("13900139000")).await else {
            panic!()
        };
        let _order = agent.next().await;
        let RelayToWidget::CallState(sent) = w.next().await.msg else {
            panic!()
        };
        drop(w); // the page loses its connection...
        for state in [CallState::Dialing, CallState::Active] {
            let update = CallUpdate {
                call_id: acc.call_id.clone(),
                state,
                detail: None,
            };
            agent.send(AgentMsg::CallUpdate(update)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let mut w = t.widget().await; // ...and comes back
        let resume = ringlink_protocol::widget::Resume {
            token,
            since: Some(sent.seq),
        };
        let r = w.request(WidgetMsg::Resume(resume)).await;
        assert!(matches!(r, RelayToWidget::SignedIn(_)), "{r:?}");
        assert!(matches!(w.next().await.msg, RelayToWidget::Presence(_)));
        let mut missed = Vec::new();
        for _ in 0..2 {
            let RelayToWidget::CallState(e) = w.next().await.msg else {
                panic!()
            };
            missed.push(e.state);
        }
        assert_eq!(missed, vec![CallState::Dialing, CallState::Active]);
    }
);
