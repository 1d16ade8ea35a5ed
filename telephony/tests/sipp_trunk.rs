//! The trunk side of CALL against SIPp: digest authentication (401/407 retried with
//! credentials; a refusal is `TrunkAuthFailed`; no log line ever holds the digest) and the
//! outbound proxy (INVITE sent to the proxy with a loose Route, Request-URI kept).

mod common;

use common::logs;
use common::*;
use ringlink_telephony::{CallEvent, EndReason, Secret};

// covers CALL-8: a trunk that challenges gets the INVITE again with digest credentials; the
// call then proceeds to the bridge.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_challenge_is_answered_with_credentials() {
    if !sipp_or_skip("digest_challenge_is_answered_with_credentials") {
        return;
    }
    let member = Sipp::uas("uas_auth_answer_wait_bye.xml", &[]);
    let merchant = Sipp::uas("uas_answer_wait_bye.xml", &[]);
    let mut cfg = config(&member, &merchant);
    cfg.username = Some("ringlink".into());
    cfg.password = Secret::new("s3cret");
    let (agent, _shutdown) = start(cfg).await;
    let mut call = place(&agent, "auth").await;
    let seen = until(&mut call, |e| {
        matches!(e, CallEvent::Bridged | CallEvent::Ended(_))
    })
    .await;
    assert_eq!(
        seen.last(),
        Some(&CallEvent::Bridged),
        "{seen:?}\n{}",
        member.dump()
    );
    call.commands.hangup(EndReason::Cancelled);
    let (_, end) = until_end(&mut call).await;
    assert_eq!(end.reason, EndReason::Cancelled);
    let messages = member.read_log("messages.log");
    assert!(messages.contains("Authorization: Digest"), "{messages}");
    assert!(
        !messages.contains("s3cret"),
        "the password itself never goes on the wire"
    );
    member.expect_success().await;
    merchant.expect_success().await;
}

// covers #8 §5 trunk rejection: with a wrong password the trunk refuses (403) and the call ends
// as `TrunkAuthFailed`, not as the member rejecting it, with a log line telling the operator what
// to check, which never holds the password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_ends_as_trunk_auth_failed() {
    if !sipp_or_skip("wrong_password_ends_as_trunk_auth_failed") {
        return;
    }
    let lines = logs::capture();
    let member = Sipp::uas("uas_auth_answer_wait_bye.xml", &[]);
    let merchant = Sipp::uas("uas_answer_wait_bye.xml", &[]);
    let mut cfg = config(&member, &merchant);
    cfg.username = Some("ringlink".into());
    cfg.password = Secret::new("Wr0ng-pass");
    let (agent, _shutdown) = start(cfg).await;
    let mut call = place(&agent, "auth-wrong").await;
    let (_, end) = until_end(&mut call).await;
    assert_eq!(end.reason, EndReason::TrunkAuthFailed);
    member.expect_success().await;
    let warned = logs::at_or_above(&lines, tracing::Level::WARN);
    let line = warned
        .iter()
        .find(|l| l.text.contains("auth-wrong") && l.text.contains("refused our credentials"))
        .unwrap_or_else(|| panic!("no operator line for the refusal: {warned:?}"));
    assert!(
        line.text.contains("code=403") && line.text.contains("username=ringlink"),
        "{line:?}"
    );
    let all = lines.lock().unwrap();
    assert!(
        !all.iter().any(|l| l.text.contains("Wr0ng-pass")),
        "the password was logged"
    );
}

// covers #8 §5 logs: a call through a trunk that challenges with 407 logs no SIP packet at the
// default level (info) and no Proxy-Authorization or digest response at any level; at debug
// the agent's own packet log shows the INVITE with the header redacted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_authorization_never_reaches_the_logs() {
    if !sipp_or_skip("proxy_authorization_never_reaches_the_logs") {
        return;
    }
    let lines = logs::capture();
    let member = Sipp::uas("uas_proxy_auth_answer_wait_bye.xml", &[]);
    let merchant = Sipp::uas("uas_answer_wait_bye.xml", &[]);
    let mut cfg = config(&member, &merchant);
    cfg.username = Some("ringlink".into());
    cfg.password = Secret::new("s3cret");
    let (agent, _shutdown) = start(cfg).await;
    let mut call = place(&agent, "proxy-auth").await;
    until(&mut call, |e| matches!(e, CallEvent::Bridged)).await;
    call.commands.hangup(EndReason::Cancelled);
    until_end(&mut call).await;
    // The credentials did go on the wire...
    let wire = member.read_log("messages.log");
    assert!(wire.contains("Proxy-Authorization: Digest"), "{wire}");
    member.expect_success().await;
    merchant.expect_success().await;
    // ...and no log line at any level holds them.
    let all = logs::at_or_above(&lines, tracing::Level::TRACE);
    for l in &all {
        assert!(
            !l.text.contains("Proxy-Authorization: Digest") && !l.text.contains("response="),
            "a log line holds the digest: {l:?}"
        );
    }
    // At info (the relay's default) no SIP packet is logged at all.
    let info = logs::at_or_above(&lines, tracing::Level::INFO);
    let packets: Vec<_> = info
        .iter()
        .filter(|l| l.text.contains("SIP/2.0") || l.text.contains("Authorization"))
        .collect();
    assert!(
        packets.is_empty(),
        "SIP packets logged at info: {packets:?}"
    );
    // At debug the agent's own packet log shows the retried INVITE, redacted.
    let redacted = all.iter().any(|l| {
        l.target == ringlink_telephony::sip_log::SIP_WIRE_TARGET
            && l.text.contains("INVITE sip:")
            && l.text.contains("Proxy-Authorization: <redacted>")
    });
    assert!(redacted, "no redacted INVITE in the debug packet log");
}

// covers CALL-8: with an outbound proxy every INVITE goes to the proxy, carrying
// `Route: <sip:proxy;lr>` and the routed Request-URI `sip:+E164@target;user=phone`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_proxy_receives_the_invite_with_a_route() {
    if !sipp_or_skip("outbound_proxy_receives_the_invite_with_a_route") {
        return;
    }
    // The "proxy" is a SIPp that answers busy: enough to see what it was sent.
    let proxy = Sipp::uas("uas_busy.xml", &[]);
    let mut cfg = config(&proxy, &proxy);
    cfg.routes[0].target = "127.0.0.1:5999".into();
    cfg.outbound_proxy = Some(proxy.target());
    let (agent, _shutdown) = start(cfg).await;
    let mut call = place(&agent, "proxy").await;
    let (_, end) = until_end(&mut call).await;
    assert_eq!(end.reason, EndReason::MemberBusy);
    let messages = proxy.read_log("messages.log");
    assert!(
        messages.contains(&format!(
            "INVITE sip:{MEMBER}@127.0.0.1:5999;user=phone SIP/2.0"
        )),
        "{messages}"
    );
    assert!(
        messages.contains(&format!("Route: <sip:{};lr>", proxy.target())),
        "{messages}"
    );
    proxy.expect_success().await;
}
