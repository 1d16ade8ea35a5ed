//! Sign-in that a burst or an attacker elsewhere cannot beat, sessions that end when they
//! should, sockets that close properly, and names that cannot rewrite a terminal (#8 §2, §5, §6).

mod support;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use ringlink_protocol::agent::{AgentMsg, Hello, RelayToAgent};
use ringlink_protocol::rest::{PairPoll, PairStart, PairStarted};
use ringlink_protocol::secret::Secret;
use ringlink_protocol::widget::{Ping, RelayToWidget, Resume, WidgetMsg};
use ringlink_protocol::{ErrorBody, ErrorCode, E164};
use ringlink_relay::accounts::{AuthError, MAX_SESSIONS_PER_MEMBER};
use ringlink_relay::store::tokens::TokenKind;
use support::*;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

/// Like `both_dbs!`, with a 5 s heartbeat: argon2 in a debug build, with other tests hashing at
/// the same time, can keep a test busy past three 1 s heartbeats, and an unpinged socket drops.
macro_rules! both_dbs_slow_beat {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            fn tweak(c: &mut ringlink_relay::Config) {
                c.heartbeat_secs = 5;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = TestRelay::start_with(Db::Sqlite, tweak).await.unwrap();
                ($body)(t).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(t) = TestRelay::start_with(Db::Postgres, tweak).await else {
                    return;
                };
                ($body)(t).await;
            }
        }
    };
}

/// Signs Alice in from `address` as the widget does, bound to the test site (a web session
/// resumes only on the site it was signed in on).
async fn sign_in_from(t: &TestRelay, password: &str, address: &str) -> Result<Secret, AuthError> {
    let relay = &t.running.relay;
    let (id, token) = relay
        .accounts
        .sign_in(
            ALICE,
            &Secret::new(password),
            address,
            TokenKind::Web,
            "web",
        )
        .await?;
    let site = relay
        .store
        .site_by_key(support::SITE)
        .await
        .unwrap()
        .unwrap();
    ringlink_relay::session_site::bind(&relay.store, &id, site.id)
        .await
        .unwrap();
    Ok(token)
}

// covers #8 §2 lock-out: an attacker at address X failing 50 times for a number does not stop
// the owner at address Y signing in at once; X itself is stopped, even with the right password.
both_dbs!(
    attacker_elsewhere_does_not_lock_the_owner_out,
    |t: TestRelay| async move {
        let mut bad = 0;
        let mut limited = 0;
        for _ in 0..50 {
            match sign_in_from(&t, "wrong password", "198.51.100.7").await {
                Err(AuthError::BadCredentials) => bad += 1,
                Err(AuthError::RateLimited(secs)) => {
                    assert!(secs > 0);
                    limited += 1
                }
                other => panic!("{:?}", other.map(|_| ())),
            }
        }
        assert_eq!((bad, limited), (5, 45), "five guesses, then X waits");
        assert!(
            matches!(
                sign_in_from(&t, PASSWORD, "198.51.100.7").await,
                Err(AuthError::RateLimited(_))
            ),
            "X is refused even with the right password"
        );
        let started = std::time::Instant::now();
        sign_in_from(&t, PASSWORD, "203.0.113.9")
            .await
            .expect("the owner at Y signs in at once");
        assert!(started.elapsed() < Duration::from_secs(5));
        // and over the widget socket (from 127.0.0.1), at once too
        let (_w, _) = t.signed_in_widget(ALICE).await;
    }
);

// covers #8 §2 lock-out: failures from many addresses slow the number down by a growing delay,
// and the owner gets in after seconds, not after a 15-minute lock.
both_dbs!(
    many_addresses_get_a_growing_delay_not_a_lock,
    |t: TestRelay| async move {
        for i in 0..10 {
            let r = sign_in_from(&t, "wrong password", &format!("198.51.100.{i}")).await;
            assert!(matches!(r, Err(AuthError::BadCredentials)));
        }
        assert!(matches!(
            sign_in_from(&t, "wrong password", "198.51.100.10").await,
            Err(AuthError::BadCredentials)
        ));
        let Err(AuthError::RateLimited(wait)) = sign_in_from(&t, PASSWORD, "203.0.113.9").await
        else {
            panic!("the number waits after failures from 11 addresses")
        };
        assert!((1..=2).contains(&wait), "{wait}");
        tokio::time::sleep(Duration::from_secs(wait)).await;
        sign_in_from(&t, PASSWORD, "203.0.113.9")
            .await
            .expect("after the delay the owner signs in");
    }
);

fn alice() -> E164 {
    E164::new(ALICE).unwrap()
}

/// Keeps both sockets pinged (so the heartbeat does not drop them) until the widget
/// is told its session ended and the agent that its device was revoked.
async fn both_end(
    w: &mut Client<WidgetMsg, RelayToWidget>,
    a: &mut Client<AgentMsg, RelayToAgent>,
) {
    let (mut session_ended, mut device_revoked) = (false, false);
    for _ in 0..60 {
        if !session_ended {
            w.send(WidgetMsg::Ping(Ping {})).await;
            while let Ok(Some(Ok(msg))) =
                tokio::time::timeout(Duration::from_millis(150), w.ws.next()).await
            {
                let Message::Text(text) = msg else { continue };
                let env: ringlink_protocol::Envelope<RelayToWidget> =
                    serde_json::from_str(text.as_str()).unwrap();
                if let RelayToWidget::Error(e) = env.msg {
                    assert_eq!(e.code, ErrorCode::TokenRevoked, "{e:?}");
                    session_ended = true;
                    break;
                }
            }
        }
        if !device_revoked {
            a.ws.send(Message::Ping(Vec::new().into())).await.unwrap();
            while let Ok(Some(Ok(msg))) =
                tokio::time::timeout(Duration::from_millis(150), a.ws.next()).await
            {
                let Message::Text(text) = msg else { continue };
                let env: ringlink_protocol::Envelope<RelayToAgent> =
                    serde_json::from_str(text.as_str()).unwrap();
                if let RelayToAgent::Revoked(_) = env.msg {
                    device_revoked = true;
                    break;
                }
            }
        }
        if session_ended && device_revoked {
            return;
        }
    }
    panic!("session ended: {session_ended}, device revoked: {device_revoked}");
}

/// The socket is still signed in: a request that needs a member is answered, not refused.
async fn still_signed_in(w: &mut Client<WidgetMsg, RelayToWidget>) {
    let r = w
        .request(WidgetMsg::ConfirmPairing(
            ringlink_protocol::widget::ConfirmPairing {
                code: "AAAA-AAAA".into(),
            },
        ))
        .await;
    assert!(
        matches!(r, RelayToWidget::Error(ref e) if e.code == ErrorCode::PairingCodeInvalid),
        "{r:?}"
    );
}

async fn resume(t: &TestRelay, token: Secret) -> RelayToWidget {
    let mut w = t.widget().await;
    w.request(WidgetMsg::Resume(Resume { token, since: None }))
        .await
}

// covers #8 §2 revocation: changing the password (admin member set-password) revokes every
// session and device of the member; live sockets end and old tokens are refused.
both_dbs_slow_beat!(
    password_change_revokes_sessions_and_devices,
    |t: TestRelay| async move {
        let (_, device) = t.device_token(ALICE, "spare phone").await;
        let (mut bob, _) = t.signed_in_widget(BOB).await;
        let (mut w, web) = t.signed_in_widget(ALICE).await;
        let (mut agent, _) = t.agent(ALICE, "alice phone").await;
        let (number, revoked) = t
            .running
            .relay
            .accounts
            .set_password(ALICE, &Secret::new("a new password"))
            .await
            .unwrap();
        assert_eq!((number.as_str(), revoked), (ALICE, 3));
        both_end(&mut w, &mut agent).await;
        let r = resume(&t, web).await;
        assert!(
            matches!(r, RelayToWidget::Error(ref e) if e.code == ErrorCode::TokenRevoked),
            "{r:?}"
        );
        assert!(t.agent_with(device.expose()).await.is_err());
        still_signed_in(&mut bob).await;
        // the new password works
        sign_in_from(&t, "a new password", "203.0.113.9")
            .await
            .unwrap();
    }
);

// covers #8 §2 revocation: `admin member revoke-sessions` signs a member out everywhere and
// keeps the password.
both_dbs_slow_beat!(
    revoke_sessions_signs_a_member_out_everywhere,
    |t: TestRelay| async move {
        let (mut w, web) = t.signed_in_widget(ALICE).await;
        let (mut agent, _) = t.agent(ALICE, "alice phone").await;
        let (number, revoked) =
            ringlink_relay::admin::revoke_sessions(&t.running.relay.accounts, "+86 138 0013 8000")
                .await
                .unwrap();
        assert_eq!((number.as_str(), revoked), (ALICE, 2));
        both_end(&mut w, &mut agent).await;
        assert!(matches!(resume(&t, web).await, RelayToWidget::Error(_)));
        sign_in_from(&t, PASSWORD, "203.0.113.9").await.unwrap();
        let e = ringlink_relay::admin::revoke_sessions(&t.running.relay.accounts, "+8613700137000")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("no member"), "{e}");
    }
);

// covers #8 §2 revocation: sessions per member are capped; the oldest is evicted.
both_dbs!(sessions_per_member_are_capped, |t: TestRelay| async move {
    let first = sign_in_from(&t, PASSWORD, "203.0.113.9").await.unwrap();
    let mut last = None;
    for _ in 0..MAX_SESSIONS_PER_MEMBER {
        last = Some(sign_in_from(&t, PASSWORD, "203.0.113.9").await.unwrap());
    }
    let store = &t.running.relay.store;
    let member = store.member_by_number(&alice()).await.unwrap().unwrap();
    assert_eq!(
        store.live_session_count(member.id).await.unwrap(),
        MAX_SESSIONS_PER_MEMBER
    );
    let r = resume(&t, first).await;
    assert!(
        matches!(r, RelayToWidget::Error(ref e) if e.code == ErrorCode::TokenRevoked),
        "the oldest session was evicted: {r:?}"
    );
    assert!(matches!(
        resume(&t, last.unwrap()).await,
        RelayToWidget::SignedIn(_)
    ));
    // devices are not sessions: they are not evicted by web sign-ins
    let (_, device) = t.device_token(ALICE, "phone").await;
    sign_in_from(&t, PASSWORD, "203.0.113.9").await.unwrap();
    assert!(t.agent_with(device.expose()).await.is_ok());
});

// covers #8 §2 revocation: expired and revoked token rows are purged; live ones stay.
both_dbs!(dead_token_rows_are_purged, |t: TestRelay| async move {
    let store = &t.running.relay.store;
    let member = store.member_by_number(&alice()).await.unwrap().unwrap();
    let now = ringlink_relay::store::now();
    let insert = |public: &'static str, kind, expires: i64| {
        let hash = ringlink_relay::accounts::hash_token(public);
        async move {
            store
                .insert_token(member.id, kind, public, "x", &hash, expires)
                .await
                .unwrap();
            hash
        }
    };
    let expired_web = insert("ses_OLD", TokenKind::Web, now - 10).await;
    let revoked_web = insert("ses_GONE", TokenKind::Web, now + 3600).await;
    store.revoke_token("ses_GONE", None).await.unwrap();
    let live_web = insert("ses_LIVE", TokenKind::Web, now + 3600).await;
    let old_device = insert("dev_OLD", TokenKind::Device, now - 40 * 86_400).await;
    let recent_device = insert("dev_RECENT", TokenKind::Device, now - 86_400).await;
    assert_eq!(store.purge_dead_tokens().await.unwrap(), 3);
    for (hash, kept) in [
        (expired_web, false),
        (revoked_web, false),
        (live_web, true),
        (old_device, false),
        (recent_device, true),
    ] {
        assert_eq!(store.token_by_hash(&hash).await.unwrap().is_some(), kept);
    }
});

// covers #8 §2 unsigned sockets: a widget socket that neither signs in nor resumes is closed
// with a clear reason after the limit, even while it pings; a signed-in one stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_widget_socket_is_closed_even_if_it_pings() {
    let t = TestRelay::start_with(Db::Sqlite, |c| c.sign_in_within_secs = 2)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut idle = t.widget().await;
    let (mut signed, _) = t.signed_in_widget(ALICE).await;
    let closed = loop {
        idle.send(WidgetMsg::Ping(Ping {})).await;
        signed.send(WidgetMsg::Ping(Ping {})).await;
        match tokio::time::timeout(Duration::from_millis(300), idle.ws.next()).await {
            Ok(Some(Ok(Message::Close(Some(f))))) => break (u16::from(f.code), f.reason),
            Ok(Some(Ok(_))) | Err(_) => {}
            other => panic!("unexpected end: {other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(6), "never closed");
    };
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert_eq!(closed.0, 1008);
    assert!(
        closed.1.contains("not signed in within 2 s"),
        "{}",
        closed.1
    );
    still_signed_in(&mut signed).await;
}

// covers #8 §5 WebSocket close: a widget's (and an agent's) Close frame is answered with a
// Close frame, so the client sees its close code and not 1006.
both_dbs!(close_frames_are_answered, |t: TestRelay| async move {
    let (mut w, _) = t.signed_in_widget(ALICE).await;
    w.ws.send(Message::Close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "visitor left".into(),
    })))
    .await
    .unwrap();
    assert_eq!(w.closed().await.0, 1000, "widget");
    let mut unsigned = t.widget().await;
    unsigned.ws.send(Message::Close(None)).await.unwrap();
    let code = unsigned.closed().await.0;
    assert!(code == 1005 || code == 1000, "unsigned widget: {code}");
    let (mut agent, _) = t.agent(ALICE, "phone").await;
    agent
        .ws
        .send(Message::Close(Some(CloseFrame {
            code: CloseCode::Away,
            reason: "agent stopping".into(),
        })))
        .await
        .unwrap();
    assert_eq!(agent.closed().await.0, 1001, "agent");
});

fn assert_names_refused(e: &ErrorBody) {
    assert_eq!(e.code, ErrorCode::BadField, "{e:?}");
    assert!(
        e.message.contains("device name") && e.message.contains("U+"),
        "{}",
        e.message
    );
}

// covers #8 §6 names: control characters and bidi overrides are refused in device names and
// labels wherever they enter: agent login, pairing, the agent's hello, admin commands.
both_dbs!(
    control_and_bidi_names_are_refused,
    |t: TestRelay| async move {
        let client = reqwest::Client::new();
        let resp = client
        .post(t.http("/v1/agent/login"))
        .json(&serde_json::json!({"number": ALICE, "password": PASSWORD, "device_name": "evil\u{1b}[2J"}))
        .send()
        .await
        .unwrap();
        assert_eq!(resp.status(), 400);
        assert_names_refused(&resp.json().await.unwrap());
        let resp = client
            .post(t.http("/v1/agent/pair"))
            .json(&PairStart {
                device_name: "\u{202E}enohp".into(),
            })
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400);
        assert_names_refused(&resp.json().await.unwrap());
        // a refused name cost no sign-in attempt: the right name still signs in
        let resp = client
        .post(t.http("/v1/agent/login"))
        .json(&serde_json::json!({"number": ALICE, "password": PASSWORD, "device_name": "Pixel 8"}))
        .send()
        .await
        .unwrap();
        assert_eq!(resp.status(), 200);
        // the agent's hello
        let (_, token) = t.device_token(ALICE, "phone").await;
        let mut a = t.agent_with(token.expose()).await.unwrap();
        let r = a
            .request(AgentMsg::Hello(Hello {
                name: "a\u{2066}b".into(),
                backend: "at".into(),
                confirm: false,
                version: "t".into(),
            }))
            .await;
        let RelayToAgent::Error(e) = r else {
            panic!("{r:?}")
        };
        assert_names_refused(&e);
        assert_eq!(a.closed().await.0, 1008);
        // admin commands
        let e = ringlink_relay::admin::create_site(
            &t.running.relay.store,
            "Shop\u{1b}]0;pwned\u{7}",
            None,
            &["https://x.test".into()],
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("site name"), "{e}");
        let e = t
            .running
            .relay
            .calls
            .billing
            .create_sponsor("Spon\u{202D}sor")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("sponsor name"), "{e}");
    }
);

// covers #8 §6 pairing: pair polls are throttled per address.
both_dbs!(pair_polls_are_throttled, |t: TestRelay| async move {
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
    let poll = PairPoll {
        poll_secret: started.poll_secret,
    };
    for i in 0..ringlink_relay::pairing::POLLS_PER_MINUTE {
        let resp = client
            .post(t.http("/v1/agent/pair/poll"))
            .json(&poll)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "poll {i}");
    }
    let resp = client
        .post(t.http("/v1/agent/pair/poll"))
        .json(&poll)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let e: ErrorBody = resp.json().await.unwrap();
    assert_eq!(e.code, ErrorCode::RateLimited);
    assert!(e.retry_after.unwrap() > 0 && e.message.contains("pairing polls"));
});
