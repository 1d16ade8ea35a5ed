//! What the agent believes about the address it talks to: only the relay's own 401 signs it
//! out (a proxy's 401 or a captive portal is retried), plain http:// is for loopback only, and
//! the password never follows a redirect. The "relay" here is a small canned HTTP server.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ringlink_agent::calls::CallDesk;
use ringlink_agent::credentials::Credentials;
use ringlink_agent::dialer::dry_run::DryRun;
use ringlink_agent::relay_api::{RelayClient, RelayError};
use ringlink_agent::session::{run, AgentConfig};
use ringlink_agent::Error;
use ringlink_protocol::rest::AgentLogin;
use ringlink_protocol::secret::Secret;
use ringlink_protocol::E164;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// A server that answers every request with `response` and counts requests; the bodies it
/// received are kept.
async fn canned(response: String) -> (String, Arc<AtomicUsize>, Arc<std::sync::Mutex<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(std::sync::Mutex::new(String::new()));
    let (h, s) = (hits.clone(), seen.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            h.fetch_add(1, Ordering::SeqCst);
            let response = response.clone();
            let seen = s.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut got = Vec::new();
                // Read the head and whatever body came with it, briefly.
                while let Ok(Ok(n)) =
                    tokio::time::timeout(Duration::from_millis(200), sock.read(&mut buf)).await
                {
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..n]);
                }
                seen.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&got));
                let _ = sock.write_all(response.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), hits, seen)
}

fn response(status: &str, content_type: &str, body: &str, extra: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n{body}",
        body.len()
    )
}

fn agent(
    relay: &str,
) -> (
    AgentConfig,
    mpsc::Receiver<ringlink_protocol::agent::CallUpdate>,
) {
    let (tx, rx) = mpsc::channel(8);
    let config = AgentConfig {
        credentials: Credentials {
            relay: relay.into(),
            device: "dev_1".into(),
            device_token: Secret::new("device-token"),
            member: E164::new("+8613800138000").unwrap(),
            name: None,
        },
        name: "test phone".into(),
        desk: CallDesk::new(Arc::new(DryRun::new()), None, tx),
    };
    (config, rx)
}

// covers #8 §6 phone agent: a proxy's 401 (no relay error body) is retried, not "signed out"
#[tokio::test]
async fn a_proxys_401_is_retried_with_backoff() {
    let (relay, hits, _) = canned(response(
        "401 Unauthorized",
        "text/html",
        "<html><h1>Proxy login required</h1></html>",
        "www-authenticate: Basic realm=\"corp\"\r\n",
    ))
    .await;
    let (config, updates) = agent(&relay);
    let ran = tokio::time::timeout(Duration::from_millis(3500), run(config, updates)).await;
    assert!(
        ran.is_err(),
        "the agent stopped on a proxy's 401: {:?}",
        ran.err()
    );
    assert!(hits.load(Ordering::SeqCst) >= 2, "it did not try again");
}

// covers #8 §6 phone agent: a captive portal's page is retried
#[tokio::test]
async fn a_captive_portal_is_retried() {
    let (relay, hits, _) = canned(response(
        "302 Found",
        "text/html",
        "<a href=\"http://portal.example/login\">log in to the Wi-Fi</a>",
        "location: http://portal.example/login\r\n",
    ))
    .await;
    let (config, updates) = agent(&relay);
    let ran = tokio::time::timeout(Duration::from_millis(3500), run(config, updates)).await;
    assert!(ran.is_err(), "the agent stopped behind a captive portal");
    assert!(hits.load(Ordering::SeqCst) >= 2);
}

// covers #8 §6 phone agent: the relay's own 401 naming a revoked token signs the agent out
#[tokio::test]
async fn the_relays_own_401_signs_out() {
    let (relay, _, _) = canned(response(
        "401 Unauthorized",
        "application/json",
        r#"{"code":"token_revoked","message":"this token was revoked"}"#,
        "",
    ))
    .await;
    let (config, updates) = agent(&relay);
    let ran = tokio::time::timeout(Duration::from_secs(5), run(config, updates))
        .await
        .expect("the agent kept retrying a revoked token");
    assert!(matches!(ran, Err(Error::SignedOut(_))), "{:?}", ran.err());
}

// covers #8 §6 phone agent: http:// relays are refused except on loopback
#[tokio::test]
async fn plain_http_is_refused_for_a_relay_that_is_not_on_this_machine() {
    for url in ["http://relay.example.com", "http://10.0.0.5:8080"] {
        let e = RelayClient::new(url).err().expect("accepted");
        assert!(matches!(e, RelayError::InsecureUrl(_)), "{url}: {e}");
        assert!(e.to_string().contains("https://"), "{e}");
    }
    // Stored credentials naming such a relay are refused by the connection loop too.
    let (config, updates) = agent("http://relay.example.com");
    let ran = tokio::time::timeout(Duration::from_secs(2), run(config, updates))
        .await
        .expect("it tried to connect");
    assert!(matches!(ran, Err(Error::Relay(RelayError::InsecureUrl(_)))));
    for url in [
        "http://127.0.0.1:8080",
        "http://localhost:1",
        "https://relay.example.com",
    ] {
        assert!(RelayClient::new(url).is_ok(), "{url}");
    }
}

// covers #8 §6 phone agent: the password never follows a redirect
#[tokio::test]
async fn the_password_never_follows_a_redirect() {
    let (elsewhere, stolen, seen) = canned(response("200 OK", "application/json", "{}", "")).await;
    let (relay, _, _) = canned(response(
        "307 Temporary Redirect",
        "text/plain",
        "",
        &format!("location: {elsewhere}/v1/agent/login\r\n"),
    ))
    .await;
    let client = RelayClient::new(&relay).unwrap();
    let e = client
        .login(&AgentLogin {
            number: "+8613800138000".into(),
            password: Secret::new("hunter2-password"),
            device_name: "phone".into(),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(e, RelayError::Redirected { status: 307, .. }),
        "{e}"
    );
    assert!(e.to_string().contains(&elsewhere), "{e}");
    assert_eq!(stolen.load(Ordering::SeqCst), 0, "{}", seen.lock().unwrap());
}
