//! The confirm prompt (DIAL-6), through `confirm::ask` with in-memory input, and through the call
//! desk: "y" dials, anything else declines and dials nothing.

mod common;

use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::number;
use ringlink_agent::calls::{CallDesk, Prompt, LINE_BUSY_DETAIL, NO_PROMPT_DETAIL};
use ringlink_agent::confirm::{ask, is_yes, Answer, DECLINED_DETAIL};
use ringlink_agent::dialer::{BoxFuture, DialError, Dialer, Progress, Reporter};
use ringlink_protocol::agent::{CallUpdate, DialOrder};
use ringlink_protocol::call::CallState::{self, *};
use ringlink_protocol::E164;
use tokio::io::BufReader;
use tokio::sync::mpsc;

async fn answer_to(input: &[u8]) -> (Answer, String) {
    let mut reader = BufReader::new(Cursor::new(input.to_vec()));
    let mut out = Vec::new();
    let answer = ask(&number(), &mut reader, &mut out, Duration::from_secs(5))
        .await
        .unwrap();
    (answer, String::from_utf8(out).unwrap())
}

// covers DIAL-6
#[tokio::test]
async fn yes_dials_and_the_prompt_names_the_number() {
    let (answer, out) = answer_to(b"y\n").await;
    assert_eq!(answer, Answer::Yes);
    assert!(
        out.starts_with("Dial +8613800138000 now? [y/N] "),
        "{out:?}"
    );
    assert_eq!(answer_to(b" YES \r\n").await.0, Answer::Yes);
    assert!(is_yes("Yes") && is_yes("y") && !is_yes("yep") && !is_yes(""));
}

// covers DIAL-6
#[tokio::test]
async fn anything_else_declines() {
    for input in [&b"n\n"[..], b"\n", b"maybe\n", b"no"] {
        assert_eq!(answer_to(input).await.0, Answer::No, "{input:?}");
    }
    assert_eq!(answer_to(b"").await.0, Answer::NoInput);
    assert!(!Answer::NoInput.dials() && !Answer::TimedOut.dials());
}

// covers DIAL-6: nobody answers in time.
#[tokio::test]
async fn silence_times_out_and_declines() {
    // The far end stays open and says nothing.
    let (_keep_open, near) = tokio::io::duplex(64);
    let mut reader = BufReader::new(near);
    let mut out = Vec::new();
    let answer = ask(&number(), &mut reader, &mut out, Duration::from_millis(200))
        .await
        .unwrap();
    assert_eq!(answer, Answer::TimedOut);
}

/// A dialer that counts its calls and dials nothing.
#[derive(Default)]
struct Counting {
    dials: AtomicUsize,
    hold: Duration,
}

impl Dialer for Counting {
    fn backend(&self) -> &'static str {
        "dry-run"
    }
    fn dial<'a>(
        &'a self,
        _number: &'a E164,
        reporter: &'a mut Reporter,
    ) -> BoxFuture<'a, Result<Progress, DialError>> {
        Box::pin(async move {
            self.dials.fetch_add(1, Ordering::SeqCst);
            reporter.report(Dialing, None).await;
            tokio::time::sleep(self.hold).await;
            Ok(Progress::ended(None))
        })
    }
}

fn order(call_id: &str) -> DialOrder {
    DialOrder {
        call_id: call_id.into(),
        number: number(),
        confirm: false,
    }
}

/// An order the relay marks as outside its usual destinations.
fn order_to_confirm(call_id: &str) -> DialOrder {
    DialOrder {
        confirm: true,
        ..order(call_id)
    }
}

/// A desk without `--confirm` (the default), whose prompt gets `input`.
fn default_desk(dialer: Arc<Counting>, input: &[u8]) -> (CallDesk, mpsc::Receiver<CallUpdate>) {
    let (tx, rx) = mpsc::channel(16);
    let prompt = Prompt::new(
        Box::new(BufReader::new(Cursor::new(input.to_vec()))),
        Box::new(tokio::io::sink()),
        Duration::from_secs(5),
    );
    (CallDesk::asking_when_told(dialer, prompt, tx), rx)
}

fn desk(dialer: Arc<Counting>, input: &[u8]) -> (CallDesk, mpsc::Receiver<CallUpdate>) {
    let (tx, rx) = mpsc::channel(16);
    let prompt = Prompt::new(
        Box::new(BufReader::new(Cursor::new(input.to_vec()))),
        Box::new(tokio::io::sink()),
        Duration::from_secs(5),
    );
    (CallDesk::new(dialer, Some(prompt), tx), rx)
}

fn drain(rx: &mut mpsc::Receiver<CallUpdate>) -> Vec<(String, CallState, Option<String>)> {
    let mut out = Vec::new();
    while let Ok(u) = rx.try_recv() {
        out.push((u.call_id, u.state, u.detail));
    }
    out
}

// covers DIAL-6: confirmed, the desk dials once.
#[tokio::test]
async fn confirmed_order_is_dialled() {
    let dialer = Arc::new(Counting::default());
    let (desk, mut rx) = desk(dialer.clone(), b"yes\n");
    assert!(desk.confirms());
    desk.take(order("c1")).await.unwrap();
    let states: Vec<_> = drain(&mut rx).into_iter().map(|u| u.1).collect();
    assert_eq!(states, [Confirming, Dialing, Ended]);
    assert_eq!(dialer.dials.load(Ordering::SeqCst), 1);
}

// covers DIAL-6: declined, nothing is dialled and the relay hears "declined on the phone".
#[tokio::test]
async fn declined_order_dials_nothing() {
    let dialer = Arc::new(Counting::default());
    let (desk, mut rx) = desk(dialer.clone(), b"n\n");
    desk.take(order("c1")).await.unwrap();
    let updates = drain(&mut rx);
    assert_eq!(
        updates,
        [
            ("c1".into(), Confirming, None),
            ("c1".into(), Declined, Some(DECLINED_DETAIL.into())),
        ]
    );
    assert_eq!(dialer.dials.load(Ordering::SeqCst), 0);
}

// covers DIAL-5: one call at a time; a second order while the first runs is refused at once.
#[tokio::test]
async fn second_order_during_a_call_is_refused() {
    let dialer = Arc::new(Counting {
        hold: Duration::from_millis(300),
        ..Counting::default()
    });
    let (tx, mut rx) = mpsc::channel(16);
    let desk = CallDesk::new(dialer.clone(), None, tx);
    let first = desk.take(order("c1"));
    let second = desk.take(order("c2"));
    second.await.unwrap();
    first.await.unwrap();
    let updates = drain(&mut rx);
    assert!(
        updates.contains(&("c2".into(), Failed, Some(LINE_BUSY_DETAIL.into()))),
        "{updates:?}"
    );
    let c1: Vec<_> = updates
        .iter()
        .filter(|u| u.0 == "c1")
        .map(|u| u.1)
        .collect();
    assert_eq!(c1, [Dialing, Ended]);
    assert_eq!(dialer.dials.load(Ordering::SeqCst), 1);
}

// covers #8 §3 confirm by default, DIAL-6: without --confirm, a usual number is dialled at once, and
// one the relay marks `confirm` is asked about first; "n" dials nothing.
#[tokio::test]
async fn orders_marked_confirm_are_asked_about_without_confirm_mode() {
    let dialer = Arc::new(Counting::default());
    let (desk, mut rx) = default_desk(dialer.clone(), b"n\ny\n");
    assert!(
        !desk.confirms(),
        "the hello does not claim to ask before every dial"
    );
    desk.take(order("plain")).await.unwrap();
    let states: Vec<_> = drain(&mut rx).into_iter().map(|u| u.1).collect();
    assert_eq!(states, [Dialing, Ended], "no prompt for a usual number");
    assert_eq!(dialer.dials.load(Ordering::SeqCst), 1);

    desk.take(order_to_confirm("abroad-1")).await.unwrap();
    assert_eq!(
        drain(&mut rx),
        [
            ("abroad-1".into(), Confirming, None),
            ("abroad-1".into(), Declined, Some(DECLINED_DETAIL.into())),
        ]
    );
    assert_eq!(
        dialer.dials.load(Ordering::SeqCst),
        1,
        "declined: nothing dialled"
    );

    desk.take(order_to_confirm("abroad-2")).await.unwrap();
    let states: Vec<_> = drain(&mut rx).into_iter().map(|u| u.1).collect();
    assert_eq!(states, [Confirming, Dialing, Ended]);
    assert_eq!(dialer.dials.load(Ordering::SeqCst), 2);
}

// covers #8 §3 confirm by default, DIAL-6: a desk with no prompt at all never dials a `confirm` order.
#[tokio::test]
async fn a_confirm_order_without_a_prompt_is_declined() {
    let dialer = Arc::new(Counting::default());
    let (tx, mut rx) = mpsc::channel(16);
    let desk = CallDesk::new(dialer.clone(), None, tx);
    desk.take(order_to_confirm("abroad")).await.unwrap();
    assert_eq!(
        drain(&mut rx),
        [("abroad".into(), Declined, Some(NO_PROMPT_DETAIL.into()))]
    );
    assert_eq!(dialer.dials.load(Ordering::SeqCst), 0);
}
