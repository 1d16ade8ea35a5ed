//! The trunk side of CALL against SIPp: digest authentication (401 retried with credentials)
//! and the outbound proxy (INVITE sent to the proxy with a loose Route, Request-URI kept).

mod common;

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

// covers CALL-8: with a wrong password the trunk refuses (403) and the call ends as rejected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_ends_as_member_rejected() {
    if !sipp_or_skip("wrong_password_ends_as_member_rejected") {
        return;
    }
    let member = Sipp::uas("uas_auth_answer_wait_bye.xml", &[]);
    let merchant = Sipp::uas("uas_answer_wait_bye.xml", &[]);
    let mut cfg = config(&member, &merchant);
    cfg.username = Some("ringlink".into());
    cfg.password = Secret::new("wrong");
    let (agent, _shutdown) = start(cfg).await;
    let mut call = place(&agent, "auth-wrong").await;
    let (_, end) = until_end(&mut call).await;
    assert_eq!(end.reason, EndReason::MemberRejected);
    member.expect_success().await;
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
