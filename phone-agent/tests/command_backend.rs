//! The command backend: the template is split into argv (no shell), `{number}` substituted, and
//! the exit status decides `ended` or `failed`. The tests write a small script to run.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{call_states, number};
use ringlink_agent::dialer::command::{TemplateError, HANDED_OVER};
use ringlink_agent::dialer::CommandDialer;
use ringlink_protocol::call::CallState::*;

/// Writes a script and returns how to run it. It is run as `sh FILE`, not executed directly:
/// exec'ing a file just written races with other tests forking (ETXTBSY).
fn script(dir: &Path, body: &str) -> String {
    let path = dir.join("dial.sh");
    std::fs::write(&path, format!("{body}\n")).unwrap();
    format!("sh {}", path.display())
}

// covers DIAL-5: the number reaches the phone's dialer command as one argument.
#[tokio::test]
async fn successful_command_hands_the_number_over() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dialled");
    let script = script(dir.path(), &format!("echo \"$1\" > '{}'", out.display()));
    let dialer = CommandDialer::new(&format!("{script} {{number}}")).unwrap();
    let argv = dialer.argv_for(&number());
    assert_eq!(argv.len(), 3);
    assert_eq!(argv[2], "+8613800138000");
    let states = call_states(&dialer).await;
    assert_eq!(states, [(Dialing, None), (Ended, Some(HANDED_OVER.into()))]);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap().trim(),
        "+8613800138000"
    );
}

// covers DIAL-5: a failing command is reported with its exit status and first stderr line.
#[tokio::test]
async fn failing_command_reports_status_and_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let script = script(dir.path(), "echo 'no SIM card' >&2\necho more >&2\nexit 3");
    let dialer = CommandDialer::new(&format!("{script} --to={{number}}")).unwrap();
    let states = call_states(&dialer).await;
    assert_eq!(states.len(), 2, "{states:?}");
    assert_eq!(states[1].0, Failed);
    assert_eq!(
        states[1].1.as_deref(),
        Some("the dial command exited with status 3: no SIM card")
    );
}

// covers DIAL-5: a command that cannot start fails the call with its name.
#[tokio::test]
async fn missing_program_fails() {
    let dialer = CommandDialer::new("/nonexistent/termux-telephony-call {number}").unwrap();
    let states = call_states(&dialer).await;
    assert_eq!(states.len(), 1, "{states:?}");
    assert_eq!(states[0].0, Failed);
    assert!(states[0]
        .1
        .as_deref()
        .unwrap()
        .contains("/nonexistent/termux-telephony-call"));
}

// covers DIAL-5: a command that hangs is stopped and the call fails.
#[tokio::test]
async fn hanging_command_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let script = script(dir.path(), "exec sleep 30");
    let dialer = CommandDialer::new(&format!("{script} {{number}}"))
        .unwrap()
        .with_timeout(Duration::from_millis(300));
    let states = call_states(&dialer).await;
    assert_eq!(states.last().unwrap().0, Failed, "{states:?}");
    assert!(states
        .last()
        .unwrap()
        .1
        .as_deref()
        .unwrap()
        .contains("did not finish"));
}

#[test]
fn bad_templates_are_refused_with_an_example() {
    assert!(matches!(CommandDialer::new(""), Err(TemplateError::Empty)));
    assert!(matches!(
        CommandDialer::new("termux-telephony-call"),
        Err(TemplateError::NoPlaceholder)
    ));
    assert!(matches!(
        CommandDialer::new("call 'unclosed {number}"),
        Err(TemplateError::Split(_))
    ));
    let adb =
        CommandDialer::new("adb shell am start -a android.intent.action.CALL -d tel:{number}")
            .unwrap();
    assert_eq!(
        adb.argv_for(&number()).last().unwrap(),
        "tel:+8613800138000"
    );
}
