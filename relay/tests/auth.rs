//! Who may connect and as whom: origins, sessions, device tokens, passwords, pairing.

mod support;

use ringlink_protocol::rest::{PairPoll, PairStart, PairStarted, PairStatus};
use ringlink_protocol::secret::Secret;
use ringlink_protocol::widget::{ConfirmPairing, RelayToWidget, Resume, SignIn, WidgetMsg};
use ringlink_protocol::{ErrorBody, ErrorCode};
use support::*;
use tokio_tungstenite::tungstenite::Error as WsError;

fn http_status(e: WsError) -> (u16, String) {
    match e {
        WsError::Http(resp) => {
            let body = resp
                .body()
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            (resp.status().as_u16(), body)
        }
        other => panic!("expected an HTTP refusal, got {other}"),
    }
}

// covers DIAL-2: the widget may only connect from an origin the merchant allowed.
both_dbs!(
    widget_upgrade_checks_origin_and_site,
    |t: TestRelay| async move {
        let (status, body) =
            http_status(t.widget_from("http://evil.test", SITE).await.err().unwrap());
        assert_eq!(status, 403);
        let e: ErrorBody = serde_json::from_str(&body).unwrap();
        assert_eq!(e.code, ErrorCode::OriginNotAllowed);
        assert!(e.message.contains("add-origin"), "{}", e.message);
        let (status, body) = http_status(t.widget_from(ORIGIN, "site_nope").await.err().unwrap());
        assert_eq!(status, 404);
        assert!(body.contains("unknown_site"), "{body}");
        // a site key from one merchant with the page of another: refused
        ringlink_relay::admin::create_site(
            &t.running.relay.store,
            "Other",
            Some("site_other"),
            &["http://other.test".into()],
        )
        .await
        .unwrap();
        let (status, _) = http_status(t.widget_from(ORIGIN, "site_other").await.err().unwrap());
        assert_eq!(status, 403);
        assert!(t.widget_from(ORIGIN, SITE).await.is_ok());
    }
);

// covers CALL-2, DIAL-2: wrong credentials end the flow, and guessing is throttled.
both_dbs!(
    wrong_password_is_refused_then_throttled,
    |t: TestRelay| async move {
        let mut w = t.widget().await;
        let sign_in = |pw: &str| {
            WidgetMsg::SignIn(SignIn {
                number: ALICE.into(),
                password: Secret::new(pw),
            })
        };
        for _ in 0..5 {
            let r = w.request(sign_in("wrong password")).await;
            assert!(
                matches!(r, RelayToWidget::Error(ref e) if e.code == ErrorCode::BadCredentials),
                "{r:?}"
            );
        }
        let r = w.request(sign_in("wrong password")).await;
        let RelayToWidget::Error(e) = r else {
            panic!("{r:?}")
        };
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert!(e.retry_after.unwrap() > 0);
        let r = w.request(sign_in(PASSWORD)).await;
        assert!(
            matches!(r, RelayToWidget::Error(ref e) if e.code == ErrorCode::RateLimited),
            "locked even with the right password"
        );
        // Bob is not affected, and unknown numbers look like wrong passwords.
        let r = w
            .request(WidgetMsg::SignIn(SignIn {
                number: BOB.into(),
                password: Secret::new(PASSWORD),
            }))
            .await;
        assert!(matches!(r, RelayToWidget::SignedIn(_)), "{r:?}");
        let r = w
            .request(WidgetMsg::SignIn(SignIn {
                number: "+8613700137000".into(),
                password: Secret::new(PASSWORD),
            }))
            .await;
        assert!(matches!(r, RelayToWidget::Error(ref e) if e.code == ErrorCode::BadCredentials));
        // The same over REST for the agent.
        let client = reqwest::Client::new();
        let resp = client
            .post(t.http("/v1/agent/login"))
            .json(&serde_json::json!({"number": BOB, "password": "nope nope", "device_name": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
        let e: ErrorBody = resp.json().await.unwrap();
        assert_eq!(e.code, ErrorCode::BadCredentials);
    }
);

// covers DIAL-1: revoked and expired device tokens cannot connect; a revoked device is dropped.
both_dbs!(revoked_and_expired_tokens, |t: TestRelay| async move {
    let (device, token) = t.device_token(ALICE, "alice phone").await;
    let (mut agent, _) = t.agent(ALICE, "second phone").await;
    let mut live = t.agent_with(token.expose()).await.unwrap();
    let hello = ringlink_protocol::agent::Hello {
        name: "p".into(),
        backend: "at".into(),
        confirm: false,
        version: "t".into(),
    };
    live.request(ringlink_protocol::agent::AgentMsg::Hello(hello))
        .await;
    ringlink_relay::admin::revoke_device(&t.running.relay.store, &device)
        .await
        .unwrap();
    let revoked = live.next().await.msg;
    assert!(
        matches!(revoked, ringlink_protocol::agent::RelayToAgent::Revoked(_)),
        "{revoked:?}"
    );
    assert_eq!(live.closed().await.0, 1008);
    let (status, body) = http_status(t.agent_with(token.expose()).await.err().unwrap());
    assert_eq!(status, 401);
    assert!(
        body.contains("token_revoked") && body.contains("ringlink-agent login"),
        "{body}"
    );
    assert!(
        agent.quiet_for(100).await,
        "the other device stays connected"
    );
    let (status, body) = http_status(t.agent_with("rl_not_a_token").await.err().unwrap());
    assert_eq!((status, body.contains("token_revoked")), (401, true));

    // An expired web session is refused on resume with its own code.
    let relay = &t.running.relay;
    let alice = relay
        .store
        .member_by_number(&ringlink_protocol::E164::new(ALICE).unwrap())
        .await
        .unwrap()
        .unwrap();
    let stale = ringlink_relay::accounts::random_token();
    let hash = ringlink_relay::accounts::hash_token(stale.expose());
    relay
        .store
        .insert_token(
            alice.id,
            ringlink_relay::store::tokens::TokenKind::Web,
            "ses_STALE",
            "web",
            &hash,
            1,
        )
        .await
        .unwrap();
    let mut w = t.widget().await;
    let r = w
        .request(WidgetMsg::Resume(Resume {
            token: stale,
            since: None,
        }))
        .await;
    assert!(
        matches!(r, RelayToWidget::Error(ref e) if e.code == ErrorCode::TokenExpired),
        "{r:?}"
    );
    // A device token is not a web session.
    let r = w
        .request(WidgetMsg::Resume(Resume {
            token: t.device_token(ALICE, "x").await.1,
            since: None,
        }))
        .await;
    assert!(
        matches!(r, RelayToWidget::Error(ref e) if e.code == ErrorCode::TokenRevoked),
        "{r:?}"
    );
});

// covers DIAL-1: pairing by a short code confirmed in the widget, token handed out once.
both_dbs!(pairing_by_code, |t: TestRelay| async move {
    let client = reqwest::Client::new();
    let started: PairStarted = client
        .post(t.http("/v1/agent/pair"))
        .json(&PairStart {
            device_name: "kitchen phone".into(),
        })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(started.code.len(), 9, "{}", started.code);
    let poll = || async {
        client
            .post(t.http("/v1/agent/pair/poll"))
            .json(&PairPoll {
                poll_secret: started.poll_secret.clone(),
            })
            .send()
            .await
            .unwrap()
    };
    let pending: PairStatus = poll().await.json().await.unwrap();
    assert_eq!(pending, PairStatus::Pending);

    let (mut w, _) = t.signed_in_widget(ALICE).await;
    let wrong = w
        .request(WidgetMsg::ConfirmPairing(ConfirmPairing {
            code: "AAAA-AAAA".into(),
        }))
        .await;
    assert!(
        matches!(wrong, RelayToWidget::Error(ref e) if e.code == ErrorCode::PairingCodeInvalid),
        "{wrong:?}"
    );
    let typed = started.code.to_lowercase().replace('-', " ");
    let paired = w
        .request(WidgetMsg::ConfirmPairing(ConfirmPairing { code: typed }))
        .await;
    let RelayToWidget::Paired(p) = paired else {
        panic!("{paired:?}")
    };
    assert_eq!(p.name, "kitchen phone");

    let PairStatus::Confirmed(grant) = poll().await.json().await.unwrap() else {
        panic!("not confirmed")
    };
    assert_eq!(grant.device, p.device);
    assert_eq!(grant.member.as_str(), ALICE);
    assert!(
        t.agent_with(grant.device_token.expose()).await.is_ok(),
        "the paired token connects"
    );
    let again = poll().await;
    assert_eq!(again.status(), 410, "the token is handed out once");
    // Bob cannot confirm a code already used by Alice.
    let (mut bob, _) = t.signed_in_widget(BOB).await;
    let r = bob
        .request(WidgetMsg::ConfirmPairing(ConfirmPairing {
            code: started.code.clone(),
        }))
        .await;
    assert!(matches!(r, RelayToWidget::Error(ref e) if e.code == ErrorCode::PairingCodeInvalid));
});
