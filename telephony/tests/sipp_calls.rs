//! CALL against real SIPp phones: a member and a merchant SIPp UAS on loopback, the agent
//! routing to them by prefix. Each test names the requirement it covers.

mod common;

use common::*;
use ringlink_telephony::{CallEvent, EndReason};

// covers CALL-5, CALL-6: both legs answer, RTP flows both ways through the anchor (PCMA member,
// PCMU merchant: transcoded), the merchant hangs up first and the member gets a BYE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_call_bridges_rtp_and_merchant_hangup_ends_member() {
    if !sipp_or_skip("full_call_bridges_rtp_and_merchant_hangup_ends_member") {
        return;
    }
    let member = Sipp::uas("member_pcap_wait_bye.xml", &["-rtp_echo"]);
    let merchant = Sipp::uas("merchant_stream_then_bye.xml", &[]);
    let (agent, _shutdown) = start(config(&member, &merchant)).await;
    let mut call = place(&agent, "full-call").await;
    let (events, end) = until_end(&mut call).await;
    assert_eq!(
        events
            .iter()
            .filter(|e| !matches!(e, CallEvent::Dtmf { .. }))
            .cloned()
            .collect::<Vec<_>>(),
        vec![
            CallEvent::CallingMember,
            CallEvent::MemberRinging,
            CallEvent::MemberAnswered,
            CallEvent::CallingMerchant,
            CallEvent::MerchantRinging,
            CallEvent::Bridged,
        ]
    );
    eprintln!("full call RTP: {:?}", end.rtp);
    assert_eq!(end.reason, EndReason::MerchantHungUp, "{end:?}");
    assert!(end.bridged_at.is_some());
    assert!(
        end.rtp.a_to_b >= 50,
        "member->merchant packets: {:?}",
        end.rtp
    );
    assert!(
        end.rtp.b_to_a >= 50,
        "merchant->member packets: {:?}",
        end.rtp
    );
    assert!(
        end.rtp.played_to_a > 0,
        "prompt/ringback to member: {:?}",
        end.rtp
    );
    // The member plays g711a.pcap (236 packets) and echoes every packet its media port gets
    // (-rtp_echo): more member->merchant packets than the pcap holds means the member-side SIPp
    // received the merchant's audio through the bridge and sent it back.
    assert!(
        end.rtp.a_to_b > PCAP_PACKETS + 50,
        "member-side SIPp echoed too little (received no RTP?): {:?}",
        end.rtp
    );
    merchant.expect_success().await;
    member.expect_success().await;
}

/// Packets in SIPp's g711a.pcap.
const PCAP_PACKETS: u64 = 236;

// covers CALL-5: the member does not answer: CANCEL after the ring timeout, MemberNoAnswer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_no_answer_is_cancelled() {
    if !sipp_or_skip("member_no_answer_is_cancelled") {
        return;
    }
    let member = Sipp::uas("uas_ring_wait_cancel.xml", &[]);
    let merchant = Sipp::uas("uas_answer_wait_bye.xml", &[]);
    let (agent, _shutdown) = start(config(&member, &merchant)).await;
    let mut call = place(&agent, "member-no-answer").await;
    let (events, end) = until_end(&mut call).await;
    assert_eq!(
        events,
        vec![CallEvent::CallingMember, CallEvent::MemberRinging]
    );
    assert_eq!(end.reason, EndReason::MemberNoAnswer);
    assert!(end.bridged_at.is_none());
    member.expect_success().await;
}

// covers CALL-6: the merchant is busy (486): the member hears the busy prompt, then BYE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merchant_busy_plays_prompt_then_ends_member() {
    if !sipp_or_skip("merchant_busy_plays_prompt_then_ends_member") {
        return;
    }
    let member = Sipp::uas("uas_answer_wait_bye.xml", &[]);
    let merchant = Sipp::uas("uas_busy.xml", &[]);
    let (agent, _shutdown) = start(config(&member, &merchant)).await;
    let mut call = place(&agent, "merchant-busy").await;
    let (events, end) = until_end(&mut call).await;
    assert!(events.contains(&CallEvent::CallingMerchant), "{events:?}");
    assert!(!events.contains(&CallEvent::Bridged));
    assert_eq!(end.reason, EndReason::MerchantBusy);
    // The busy prompt (about 2.6 s of 20 ms packets) went to the member before the BYE.
    assert!(end.rtp.played_to_a >= 100, "{:?}", end.rtp);
    merchant.expect_success().await;
    member.expect_success().await;
}

// covers CALL-6: the merchant does not answer: CANCEL to B, prompt to A, BYE to A.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merchant_no_answer_cancels_b_and_ends_member() {
    if !sipp_or_skip("merchant_no_answer_cancels_b_and_ends_member") {
        return;
    }
    let member = Sipp::uas("uas_answer_wait_bye.xml", &[]);
    let merchant = Sipp::uas("uas_ring_wait_cancel.xml", &[]);
    let (agent, _shutdown) = start(config(&member, &merchant)).await;
    let mut call = place(&agent, "merchant-no-answer").await;
    let (events, end) = until_end(&mut call).await;
    assert!(events.contains(&CallEvent::MerchantRinging), "{events:?}");
    assert_eq!(end.reason, EndReason::MerchantNoAnswer);
    merchant.expect_success().await;
    member.expect_success().await;
}

// covers CALL-5, CALL-6: the member hangs up while the merchant rings: CANCEL to B, MemberHungUp.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_hangup_while_merchant_rings_cancels_b() {
    if !sipp_or_skip("member_hangup_while_merchant_rings_cancels_b") {
        return;
    }
    let member = Sipp::uas("uas_answer_then_bye.xml", &[]);
    let merchant = Sipp::uas("uas_ring_wait_cancel.xml", &[]);
    let mut cfg = config(&member, &merchant);
    cfg.ring_timeout_secs = 10;
    let (agent, _shutdown) = start(cfg).await;
    let mut call = place(&agent, "member-hangup").await;
    let (events, end) = until_end(&mut call).await;
    assert!(events.contains(&CallEvent::MerchantRinging), "{events:?}");
    assert_eq!(end.reason, EndReason::MemberHungUp);
    merchant.expect_success().await;
    member.expect_success().await;
}

// covers CALL-6, CALL-7, #8 §5 prompts: the relay ends a bridged call at zero credit: the end
// is stamped and reported at once, the merchant gets BYE at once, and the payer (the member)
// hears the goodbye prompt after the paid time, then gets BYE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credit_exhausted_hangs_up_both_legs() {
    if !sipp_or_skip("credit_exhausted_hangs_up_both_legs") {
        return;
    }
    let member = Sipp::uas("uas_answer_wait_bye.xml", &[]);
    let merchant = Sipp::uas("uas_answer_wait_bye.xml", &[]);
    let (agent, _shutdown) = start(config(&member, &merchant)).await;
    let mut call = place(&agent, "credit").await;
    until(&mut call, |e| *e == CallEvent::Bridged).await;
    call.commands.warn_credit_low();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let asked = std::time::Instant::now();
    call.commands.hangup(EndReason::CreditExhausted);
    let (_, end) = until_end(&mut call).await;
    assert_eq!(end.reason, EndReason::CreditExhausted);
    assert!(
        end.ended_at.saturating_duration_since(asked) < std::time::Duration::from_millis(200),
        "the goodbye was billed: stamped {:?} after the cut-off",
        end.ended_at.saturating_duration_since(asked)
    );
    merchant.expect_success().await;
    let merchant_done = asked.elapsed();
    member.expect_success().await;
    let member_done = asked.elapsed();
    // The goodbye (about 3 s) plays to the member between the merchant's BYE and its own.
    assert!(
        member_done >= merchant_done + std::time::Duration::from_millis(1500),
        "merchant done after {merchant_done:?}, member after {member_done:?}"
    );
}

// covers PAY-6: digits keyed on leg A arrive as events, from RFC 4733 telephone-event (SIPp's
// dtmf_2833 pcaps, redundant end packets counted once) and from SIP INFO (dtmf-relay and dtmf).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_dtmf_by_rfc4733_and_sip_info() {
    if !sipp_or_skip("member_dtmf_by_rfc4733_and_sip_info") {
        return;
    }
    let member = Sipp::uas("member_dtmf.xml", &[]);
    let merchant = Sipp::uas("uas_answer_wait_bye.xml", &[]);
    let (agent, _shutdown) = start(config(&member, &merchant)).await;
    let mut call = place(&agent, "dtmf").await;
    let mut digits = Vec::new();
    while digits.len() < 5 {
        let events = until(&mut call, |e| {
            matches!(e, CallEvent::Dtmf { .. } | CallEvent::Ended(_))
        })
        .await;
        match events.last() {
            Some(CallEvent::Dtmf { leg, digit, source }) => digits.push((*leg, *digit, *source)),
            other => panic!(
                "call ended before five digits ({digits:?}): {other:?}\n{}",
                member.dump()
            ),
        }
    }
    // The digit event can overtake the 200 to the INFO on the wire; let it arrive at SIPp
    // before the BYE, which SIPp would otherwise take as unexpected.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    call.commands.hangup(EndReason::Cancelled);
    let (_, end) = until_end(&mut call).await;
    use ringlink_telephony::{DtmfSource::*, Leg::A};
    assert_eq!(
        digits,
        vec![
            (A, '1', Rfc4733),
            (A, '5', Rfc4733),
            (A, '#', Rfc4733),
            (A, '7', SipInfo),
            (A, '9', SipInfo)
        ]
    );
    assert_eq!(end.reason, EndReason::Cancelled);
    member.expect_success().await;
    merchant.expect_success().await;
}

// covers CALL-6, CALL-7: a bridged call stops at the order's maximum length: BYE on both legs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_duration_ends_both_legs() {
    if !sipp_or_skip("max_duration_ends_both_legs") {
        return;
    }
    let member = Sipp::uas("uas_answer_wait_bye.xml", &[]);
    let merchant = Sipp::uas("uas_answer_wait_bye.xml", &[]);
    let (agent, _shutdown) = start(config(&member, &merchant)).await;
    let mut order = order("max");
    order.max_duration = std::time::Duration::from_secs(1);
    let mut call = ringlink_telephony::CallControl::place(agent.as_ref(), order)
        .await
        .unwrap();
    let (events, end) = until_end(&mut call).await;
    assert!(events.contains(&CallEvent::Bridged));
    assert_eq!(end.reason, EndReason::MaxDuration);
    let talk = end.ended_at - end.bridged_at.unwrap();
    assert!(talk >= std::time::Duration::from_secs(1), "{talk:?}");
    member.expect_success().await;
    merchant.expect_success().await;
}

// covers CALL-6: shutting the agent down ends a live call on both legs with reason Shutdown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_live_calls() {
    if !sipp_or_skip("shutdown_ends_live_calls") {
        return;
    }
    let member = Sipp::uas("uas_answer_wait_bye.xml", &[]);
    let merchant = Sipp::uas("uas_answer_wait_bye.xml", &[]);
    let (agent, shutdown) = start(config(&member, &merchant)).await;
    let mut call = place(&agent, "shutdown").await;
    until(&mut call, |e| *e == CallEvent::Bridged).await;
    shutdown.cancel();
    let (_, end) = until_end(&mut call).await;
    assert_eq!(end.reason, EndReason::Shutdown);
    member.expect_success().await;
    merchant.expect_success().await;
}

// covers CALL-6: the merchant declines (603): the member hears "call failed", then BYE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merchant_decline_ends_as_rejected() {
    if !sipp_or_skip("merchant_decline_ends_as_rejected") {
        return;
    }
    let member = Sipp::uas("uas_answer_wait_bye.xml", &[]);
    let merchant = Sipp::uas("uas_decline.xml", &[]);
    let (agent, _shutdown) = start(config(&member, &merchant)).await;
    let mut call = place(&agent, "merchant-decline").await;
    let (_, end) = until_end(&mut call).await;
    assert_eq!(end.reason, EndReason::MerchantRejected);
    assert!(end.rtp.played_to_a >= 100, "{:?}", end.rtp);
    merchant.expect_success().await;
    member.expect_success().await;
}

// covers CALL-6, CALL-8: a session refresh (re-INVITE with a new offer) is answered on the same
// media with the codec it offers; the call stays up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_reinvite_is_answered_and_call_continues() {
    if !sipp_or_skip("member_reinvite_is_answered_and_call_continues") {
        return;
    }
    let member = Sipp::uas("member_reinvite.xml", &[]);
    let merchant = Sipp::uas("uas_answer_wait_bye.xml", &[]);
    let (agent, _shutdown) = start(config(&member, &merchant)).await;
    let mut call = place(&agent, "reinvite").await;
    until(&mut call, |e| *e == CallEvent::Bridged).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    call.commands.hangup(EndReason::Cancelled);
    let (_, end) = until_end(&mut call).await;
    assert_eq!(end.reason, EndReason::Cancelled);
    member.expect_success().await;
    merchant.expect_success().await;
}
