//! The AT backend against a real pseudo-terminal: socat runs `tests/peers/at_modem.py`, a
//! stand-in for a handset modem, and the agent opens the pty as it would open /dev/ttyUSB0.

mod common;

use common::{call_states, require, states_only, FakeModem};
use ringlink_agent::dialer::AtDialer;
use ringlink_protocol::call::CallState::*;

fn peers() -> bool {
    require("socat", "apt-get install -y socat") && require("python3", "apt-get install -y python3")
}

// covers DIAL-5: the order reaches the modem as ATD<E.164>; and the states follow the call.
#[tokio::test]
async fn answered_call_goes_dialing_ringing_active_ended() {
    if !peers() {
        return;
    }
    let modem = FakeModem::start("answer");
    let states = call_states(&AtDialer::new(&modem.device, 115_200)).await;
    assert_eq!(
        states_only(&states),
        [Dialing, Ringing, Active, Ended],
        "{states:?}"
    );
    let commands = modem.commands();
    assert_eq!(commands[0], "AT");
    assert!(
        commands.iter().any(|c| c == "ATD+8613800138000;"),
        "{commands:?}"
    );
    assert!(commands.iter().any(|c| c == "AT+CLCC"), "{commands:?}");
}

// covers DIAL-5: a busy line is reported as failed with the modem's word for it.
#[tokio::test]
async fn busy_line_fails_with_busy() {
    if !peers() {
        return;
    }
    let modem = FakeModem::start("busy");
    let states = call_states(&AtDialer::new(&modem.device, 115_200)).await;
    assert_eq!(states.first().map(|s| s.0), Some(Dialing), "{states:?}");
    assert_eq!(
        states.last().unwrap(),
        &(Failed, Some("BUSY".into())),
        "{states:?}"
    );
    assert!(!states_only(&states).contains(&Active));
}

// covers DIAL-5: nobody answers: ringing, then failed "NO ANSWER".
#[tokio::test]
async fn unanswered_call_fails_with_no_answer() {
    if !peers() {
        return;
    }
    let modem = FakeModem::start("no-answer");
    let states = call_states(&AtDialer::new(&modem.device, 115_200)).await;
    assert_eq!(
        states_only(&states),
        [Dialing, Ringing, Failed],
        "{states:?}"
    );
    assert_eq!(states[2].1.as_deref(), Some("NO ANSWER"));
}

// covers DIAL-5: NO CARRIER before the call was up is a failure, not a normal end.
#[tokio::test]
async fn no_carrier_before_answer_fails() {
    if !peers() {
        return;
    }
    let modem = FakeModem::start("no-carrier");
    let states = call_states(&AtDialer::new(&modem.device, 115_200)).await;
    assert_eq!(
        states.last().unwrap(),
        &(Failed, Some("NO CARRIER".into())),
        "{states:?}"
    );
}

// covers DIAL-5: a modem that is not there fails the call with a reason, it does not hang.
#[tokio::test]
async fn missing_modem_fails_with_the_device_named() {
    let states = call_states(&AtDialer::new("/nonexistent/ttyUSB9", 115_200)).await;
    assert_eq!(states.len(), 1, "{states:?}");
    assert_eq!(states[0].0, Failed);
    let detail = states[0].1.as_deref().unwrap();
    assert!(detail.contains("/nonexistent/ttyUSB9"), "{detail}");
}
