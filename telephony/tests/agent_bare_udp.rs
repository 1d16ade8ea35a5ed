//! The agent against bare UDP sockets standing for trunks (no SIPp needed): how fast leg A's
//! INVITE is on the wire after `place()` and what it carries, routing and RTP port errors.

use std::time::{Duration, Instant};

use ringlink_telephony::{
    CallControl, CallEvent, CallOrder, EndReason, Lang, Route, SipAgent, TelephonyConfig, E164,
};
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

/// Generous bound for a loaded 2-core CI machine; typical is a few milliseconds.
const INVITE_BUDGET: Duration = Duration::from_millis(250);

// covers CALL-5: the member's phone rings without delay: INVITE on the wire right after place().
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leg_a_invite_is_on_the_wire_at_once() {
    let trunk = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let target = trunk.local_addr().unwrap().to_string();
    let config = TelephonyConfig {
        sip_listen: "127.0.0.1:0".parse().unwrap(),
        rtp_port_min: 26_000,
        rtp_port_max: 26_199,
        routes: vec![Route {
            prefix: "+86".into(),
            target: target.clone(),
        }],
        hangup_timeout_secs: 1,
        ..Default::default()
    };
    let shutdown = CancellationToken::new();
    let agent = SipAgent::start(config, shutdown.clone()).await.unwrap();
    let order = CallOrder {
        call_id: "timing".into(),
        member: E164::new("+8613800138000").unwrap(),
        merchant: E164::new("+8675500000000").unwrap(),
        lang: Lang::Zh,
        max_duration: Duration::from_secs(60),
        payer_leg: ringlink_telephony::Leg::A,
    };
    let mut buf = vec![0u8; 4096];
    let started = Instant::now();
    let mut call = agent.place(order).await.unwrap();
    let (n, from) = tokio::time::timeout(Duration::from_secs(5), trunk.recv_from(&mut buf))
        .await
        .expect("INVITE arrives")
        .unwrap();
    let elapsed = started.elapsed();
    eprintln!("place() -> leg A INVITE on the wire: {elapsed:?}");
    let invite = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(
        invite.starts_with(&format!(
            "INVITE sip:+8613800138000@{target};user=phone SIP/2.0\r\n"
        )),
        "{invite}"
    );
    assert!(invite.contains("m=audio "), "{invite}");
    assert!(invite.contains(" RTP/AVP 0 8 101\r\n"), "{invite}");
    assert_eq!(from, agent.local_sip_addr());
    assert!(elapsed < INVITE_BUDGET, "INVITE took {elapsed:?}");
    assert_eq!(call.events.recv().await, Some(CallEvent::CallingMember));
    call.commands.hangup(EndReason::Cancelled);
    loop {
        match tokio::time::timeout(Duration::from_secs(10), call.events.recv())
            .await
            .unwrap()
        {
            Some(CallEvent::Ended(end)) => {
                assert_eq!(end.reason, EndReason::Cancelled);
                break;
            }
            Some(_) => {}
            None => panic!("no Ended event"),
        }
    }
    shutdown.cancel();
}

// covers CALL-5: a number with no route and no trunk is refused at place(), saying what to set.
#[tokio::test]
async fn unroutable_number_is_refused_at_once() {
    let config = TelephonyConfig {
        sip_listen: "127.0.0.1:0".parse().unwrap(),
        routes: vec![Route {
            prefix: "+44".into(),
            target: "127.0.0.1:9".into(),
        }],
        ..Default::default()
    };
    let agent = SipAgent::start(config, CancellationToken::new())
        .await
        .unwrap();
    let order = CallOrder {
        call_id: "x".into(),
        member: E164::new("+8613800138000").unwrap(),
        merchant: E164::new("+4420123456").unwrap(),
        lang: Lang::En,
        max_duration: Duration::from_secs(60),
        payer_leg: ringlink_telephony::Leg::A,
    };
    let err = agent.place(order).await.unwrap_err();
    assert!(
        err.to_string().contains("no route for +8613800138000"),
        "{err}"
    );
}

// covers CALL-5: each call takes two RTP/RTCP port pairs; a full range refuses the next call
// with an error that says which setting to widen.
#[tokio::test]
async fn rtp_ports_run_out_with_a_clear_error() {
    let trunk = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let config = TelephonyConfig {
        sip_listen: "127.0.0.1:0".parse().unwrap(),
        rtp_port_min: 26_400,
        rtp_port_max: 26_403,
        trunk: Some(trunk.local_addr().unwrap().to_string()),
        hangup_timeout_secs: 1,
        ..Default::default()
    };
    let agent = SipAgent::start(config, CancellationToken::new())
        .await
        .unwrap();
    let order = |id: &str| CallOrder {
        call_id: id.into(),
        member: E164::new("+8613800138000").unwrap(),
        merchant: E164::new("+8675500000000").unwrap(),
        lang: Lang::En,
        max_duration: Duration::from_secs(60),
        payer_leg: ringlink_telephony::Leg::A,
    };
    let first = agent.place(order("one")).await.unwrap();
    let err = agent.place(order("two")).await.unwrap_err();
    assert!(
        err.to_string().contains("rtp_port_min/rtp_port_max"),
        "{err}"
    );
    first.commands.hangup(EndReason::Cancelled);
}

// covers CALL-8: a trunk that never answers the INVITE (not even 100 Trying) is given up after
// `answer_timeout_secs`, not SIP's 32 s Timer B.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_trunk_fails_after_the_answer_timeout() {
    let trunk = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let config = TelephonyConfig {
        sip_listen: "127.0.0.1:0".parse().unwrap(),
        rtp_port_min: 26_600,
        rtp_port_max: 26_699,
        trunk: Some(trunk.local_addr().unwrap().to_string()),
        answer_timeout_secs: 1,
        hangup_timeout_secs: 1,
        ..Default::default()
    };
    let agent = SipAgent::start(config, CancellationToken::new())
        .await
        .unwrap();
    let started = Instant::now();
    let mut call = agent
        .place(CallOrder {
            call_id: "silent".into(),
            member: E164::new("+8613800138000").unwrap(),
            merchant: E164::new("+8675500000000").unwrap(),
            lang: Lang::En,
            max_duration: Duration::from_secs(60),
            payer_leg: ringlink_telephony::Leg::A,
        })
        .await
        .unwrap();
    let end = loop {
        match tokio::time::timeout(Duration::from_secs(10), call.events.recv())
            .await
            .unwrap()
        {
            Some(CallEvent::Ended(end)) => break end,
            Some(_) => {}
            None => panic!("no Ended event"),
        }
    };
    let took = started.elapsed();
    assert!(
        matches!(&end.reason, EndReason::Failed(m) if m.contains("no response to the INVITE")),
        "{end:?}"
    );
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(5),
        "{took:?}"
    );
}
