//! Ending a bridged call against SIPp peers that misbehave the way carriers do: a BYE nobody
//! answers must not keep the clock running or the audio flowing. Also the hold re-INVITE.

mod common;

use std::time::{Duration, Instant};

use common::*;
use ringlink_telephony::{CallEvent, EndReason};

/// 20 ms packets: what one second of streamed audio is.
const PACKETS_PER_SECOND: f64 = 50.0;
/// The hang-up timeout `common::config` sets: how long an unanswered BYE keeps a leg open.
const HANGUP_TIMEOUT: Duration = Duration::from_secs(3);
/// `Ended` comes this soon after the call is decided over, whatever the BYEs do.
const REPORTED_WITHIN: Duration = Duration::from_millis(300);

// covers #8 §5 hang-up billing: the member hangs up (BYE), the merchant's carrier never answers
// our BYE: the call's end is stamped (and reported) at the member's BYE, not when our BYE times
// out, and the merchant's audio stops reaching the member at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_bye_stamps_the_end_although_the_merchant_ignores_ours() {
    if !sipp_or_skip("member_bye_stamps_the_end_although_the_merchant_ignores_ours") {
        return;
    }
    // The member hangs up 1.5 s after answering; the merchant streams audio and ignores BYE.
    let member = Sipp::uas("uas_answer_then_bye.xml", &[]);
    let merchant = Sipp::uas("merchant_stream_ignore_bye.xml", &[]);
    let (agent, _shutdown) = start(config(&member, &merchant)).await;
    let mut call = place(&agent, "bye-ignored").await;
    until(&mut call, |e| *e == CallEvent::Bridged).await;
    let (_, end) = until_end(&mut call).await;
    let reported = Instant::now();
    assert_eq!(end.reason, EndReason::MemberHungUp, "{end:?}");
    let talk = end.ended_at - end.bridged_at.expect("bridged");
    eprintln!(
        "member BYE: billed talk {talk:?}, Ended reported {:?} after the stamp, {:?}",
        reported - end.ended_at,
        end.rtp
    );
    // The member's BYE came at most 1.5 s after the bridge (the bridge waits for leg B).
    assert!(talk <= Duration::from_millis(1600), "billed until {talk:?}");
    // The end is reported at once, not when our unanswered BYE gives up.
    assert!(
        reported - end.ended_at < REPORTED_WITHIN,
        "{:?}",
        reported - end.ended_at
    );
    assert_no_audio_after_the_stamp(talk, end.rtp.b_to_a);
    member.expect_success().await;
    assert_bye_was_ignored(&merchant).await;
}

// covers #8 §5 hang-up billing: the relay hangs up (the member pressed "hang up", credit out):
// the end is stamped at the command and the bridge is cut, although the merchant's carrier
// never answers our BYE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_hangup_stamps_the_end_and_cuts_the_bridge_at_once() {
    if !sipp_or_skip("relay_hangup_stamps_the_end_and_cuts_the_bridge_at_once") {
        return;
    }
    let member = Sipp::uas("uas_answer_wait_bye.xml", &[]);
    let merchant = Sipp::uas("merchant_stream_ignore_bye.xml", &[]);
    let (agent, _shutdown) = start(config(&member, &merchant)).await;
    let mut call = place(&agent, "relay-hangup").await;
    until(&mut call, |e| *e == CallEvent::Bridged).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let asked = Instant::now();
    call.commands.hangup(EndReason::MemberHungUp);
    let (_, end) = until_end(&mut call).await;
    let reported = Instant::now();
    assert_eq!(end.reason, EndReason::MemberHungUp, "{end:?}");
    assert!(
        end.ended_at.saturating_duration_since(asked) < Duration::from_millis(200),
        "end stamped {:?} after the hang-up",
        end.ended_at.saturating_duration_since(asked)
    );
    assert!(reported - asked < REPORTED_WITHIN, "{:?}", reported - asked);
    let talk = end.ended_at - end.bridged_at.expect("bridged");
    eprintln!(
        "relay hang-up: stamped {:?} after the command, billed talk {talk:?}, Ended reported {:?} after, {:?}",
        end.ended_at.saturating_duration_since(asked),
        reported - asked,
        end.rtp
    );
    assert_no_audio_after_the_stamp(talk, end.rtp.b_to_a);
    member.expect_success().await;
    assert_bye_was_ignored(&merchant).await;
}

/// The merchant's SIPp got our BYE more than once (retransmitted, since it never answers), for
/// the hang-up timeout.
async fn assert_bye_was_ignored(merchant: &Sipp) {
    tokio::time::sleep(HANGUP_TIMEOUT).await;
    let log = merchant.read_log("messages.log");
    let byes = log.lines().filter(|l| l.starts_with("BYE sip:")).count();
    assert!(
        byes >= 2,
        "the merchant got {byes} BYE(s): did it answer?\n{log}"
    );
}

/// The merchant streams 50 packets a second without pause: more than `talk` worth (plus a
/// little jitter) reaching the member means audio crossed after the hang-up.
fn assert_no_audio_after_the_stamp(talk: Duration, merchant_to_member: u64) {
    let allowed = (talk.as_secs_f64() * PACKETS_PER_SECOND) as u64 + 10;
    assert!(
        merchant_to_member >= 20,
        "the bridge carried too little audio to tell: {merchant_to_member}"
    );
    assert!(
        merchant_to_member <= allowed,
        "{merchant_to_member} packets reached the member in {talk:?} of talk: audio crossed after the hang-up"
    );
}

// covers #8 §5 hold: a re-INVITE offering `sendonly` (hold) is answered `recvonly`, and the
// call stays up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_reinvite_is_answered_recvonly() {
    if !sipp_or_skip("hold_reinvite_is_answered_recvonly") {
        return;
    }
    let member = Sipp::uas("member_hold.xml", &[]);
    let merchant = Sipp::uas("uas_answer_wait_bye.xml", &[]);
    let (agent, _shutdown) = start(config(&member, &merchant)).await;
    let mut call = place(&agent, "hold").await;
    until(&mut call, |e| *e == CallEvent::Bridged).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    call.commands.hangup(EndReason::Cancelled);
    let (_, end) = until_end(&mut call).await;
    assert_eq!(end.reason, EndReason::Cancelled);
    let messages = member.read_log("messages.log");
    assert!(messages.contains("a=recvonly"), "{messages}");
    member.expect_success().await;
    merchant.expect_success().await;
}
