//! Sign-up and forgotten passwords by SMS code on a real relay (#9 §2), on both databases: a new
//! member gets in with a code from the dev outbox; a reset revokes every other session; and each
//! attack is bounded: caps per number, per address and per site (a parallel burst cannot pass
//! them), wrong-code tries, expired codes, landlines and other regions, and a requester never
//! learns from the answer whether a number has an account.

mod support;

use futures_util::future::join_all;
use ringlink_protocol::account::{AskAccountCode, CodePurpose, ResetPassword, SignUp};
use ringlink_protocol::secret::Secret;
use ringlink_protocol::widget::{RelayToWidget, Resume, SignIn, WidgetMsg};
use ringlink_protocol::{ErrorBody, ErrorCode};
use ringlink_relay::signup::{
    CODES_PER_ADDRESS_PER_HOUR, CODES_PER_NUMBER_PER_HOUR, CODE_ATTEMPTS,
};
use support::*;

/// Numbers with no account (Alice and Bob are members).
const NEW: &str = "+8613700137000";
const NEW_PASSWORD: &str = "a brand new secret";

fn ask(number: &str, purpose: CodePurpose, lang: Option<&str>) -> WidgetMsg {
    WidgetMsg::AskAccountCode(AskAccountCode {
        number: number.into(),
        purpose,
        lang: lang.map(str::to_owned),
    })
}

fn sign_up(number: &str, code: &str, password: &str) -> WidgetMsg {
    WidgetMsg::SignUp(SignUp {
        number: number.into(),
        code: code.into(),
        password: Secret::new(password),
        name: Some("Li Wei".into()),
    })
}

fn reset(number: &str, code: &str, password: &str) -> WidgetMsg {
    WidgetMsg::ResetPassword(ResetPassword {
        number: number.into(),
        code: code.into(),
        password: Secret::new(password),
    })
}

fn sign_in(number: &str, password: &str) -> WidgetMsg {
    WidgetMsg::SignIn(SignIn {
        number: number.into(),
        password: Secret::new(password),
    })
}

fn refusal(reply: RelayToWidget) -> ErrorBody {
    match reply {
        RelayToWidget::Error(e) => e,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Every SMS the dev gateway sent, newest first.
fn outbox(t: &TestRelay) -> Vec<ringlink_sms::dev::OutboxEntry> {
    t.running
        .relay
        .gateways
        .sms()
        .unwrap()
        .as_dev()
        .unwrap()
        .outbox()
}

/// The newest SMS to `number` and the six-digit code in it.
fn sms_to(t: &TestRelay, number: &str) -> (String, String) {
    let m = outbox(t)
        .into_iter()
        .find(|m| m.to.as_str() == number)
        .unwrap_or_else(|| panic!("no SMS to {number}"));
    let digits: Vec<char> = m.text.chars().collect();
    let code = digits
        .windows(6)
        .find(|w| w.iter().all(char::is_ascii_digit))
        .map(|w| w.iter().collect())
        .unwrap_or_else(|| panic!("no code in {}", m.text));
    assert_eq!(m.parts, 1, "one SMS part: {m:?}");
    (m.text, code)
}

/// A code that is not `code`.
fn wrong(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

// covers #9 §2 sign up: number -> SMS code (in the widget's language, from the outbox) ->
// code + password + name -> the member exists, is signed in on this widget (presence follows),
// the session resumes, the password signs in elsewhere, and the code cannot be used again.
both_dbs!(
    a_new_member_signs_up_with_an_sms_code,
    |t: TestRelay| async move {
        let mut w = t.widget().await;
        let sent = w
            .request(ask("137 0013 7000", CodePurpose::SignUp, Some("en")))
            .await;
        let RelayToWidget::CodeSent(sent) = sent else {
            panic!("{sent:?}")
        };
        assert_eq!(sent.number.as_str(), NEW);
        assert_eq!(sent.expires_in, 600);
        let (text, code) = sms_to(&t, NEW);
        assert!(text.starts_with("Your Ringlink sign-up code is"), "{text}");

        let e = refusal(w.request(sign_up(NEW, &wrong(&code), NEW_PASSWORD)).await);
        assert_eq!(e.code, ErrorCode::CodeInvalid);
        assert!(
            e.message.contains("not right") && e.message.contains("4 tries left"),
            "{}",
            e.message
        );

        let reply = w
            .request(sign_up(NEW, &format!(" {code} "), NEW_PASSWORD))
            .await;
        let RelayToWidget::SignedIn(s) = reply else {
            panic!("{reply:?}")
        };
        assert_eq!(s.member.as_str(), NEW);
        let presence = w.next().await;
        assert!(
            matches!(presence.msg, RelayToWidget::Presence(_)),
            "{presence:?}"
        );

        let store = &t.running.relay.store;
        let member = store.member_by_number(&s.member).await.unwrap().unwrap();
        assert_eq!(
            store
                .member_display_name(member.id)
                .await
                .unwrap()
                .as_deref(),
            Some("Li Wei")
        );
        let mut again = t.widget().await;
        let resumed = again
            .request(WidgetMsg::Resume(Resume {
                token: s.token.clone(),
                since: None,
            }))
            .await;
        assert!(matches!(resumed, RelayToWidget::SignedIn(_)), "{resumed:?}");
        let mut other = t.widget().await;
        let signed = other.request(sign_in("13700137000", NEW_PASSWORD)).await;
        assert!(matches!(signed, RelayToWidget::SignedIn(_)), "{signed:?}");

        let e = refusal(other.request(reset(NEW, &code, "yet another secret")).await);
        assert_eq!(e.code, ErrorCode::CodeInvalid, "the code was spent: {e:?}");
    }
);

// covers #9 §2 same answer: asking a code for a member's number and for a new number gives the
// same answer, for sign-up and for reset; only the SMS (which the owner reads) differs, in the
// widget's language.
both_dbs!(
    members_and_strangers_get_the_same_answer,
    |t: TestRelay| async move {
        let mut w = t.widget().await;
        let mut answers = Vec::new();
        for (number, purpose) in [
            (ALICE, CodePurpose::SignUp),
            (NEW, CodePurpose::SignUp),
            (BOB, CodePurpose::Reset),
            ("+8613600136000", CodePurpose::Reset),
        ] {
            let reply = w.request(ask(number, purpose, Some("zh"))).await;
            let RelayToWidget::CodeSent(mut sent) = reply else {
                panic!("{number}: {reply:?}")
            };
            assert_eq!(sent.number.as_str(), number);
            sent.number = ringlink_protocol::E164::new(ALICE).unwrap();
            answers.push(sent);
        }
        assert!(answers.windows(2).all(|p| p[0] == p[1]), "{answers:?}");
        let (alice, _) = sms_to(&t, ALICE);
        let (new, _) = sms_to(&t, NEW);
        assert!(
            alice.contains("已有账号") && !new.contains("已有账号"),
            "{alice} / {new}"
        );
        let (stranger, _) = sms_to(&t, "+8613600136000");
        assert!(stranger.contains("还没有账号"), "{stranger}");

        // The caps answer the same too.
        for _ in 1..CODES_PER_NUMBER_PER_HOUR {
            for n in [ALICE, NEW] {
                let r = w.request(ask(n, CodePurpose::SignUp, None)).await;
                assert!(matches!(r, RelayToWidget::CodeSent(_)), "{r:?}");
            }
        }
        let a = refusal(w.request(ask(ALICE, CodePurpose::SignUp, None)).await);
        let b = refusal(w.request(ask(NEW, CodePurpose::SignUp, None)).await);
        assert_eq!(
            a.message.replace(ALICE, "N"),
            b.message.replace(NEW, "N"),
            "{a:?} / {b:?}"
        );
        assert_eq!(a.code, ErrorCode::RateLimited);
    }
);

// covers #9 §2 mobile numbers only: a landline, a number of another region, a premium-rate line
// and a typo are refused with what to do, and no SMS goes out.
both_dbs!(
    landlines_and_other_regions_are_refused,
    |t: TestRelay| async move {
        let mut w = t.widget().await;
        let e = refusal(
            w.request(ask("010 6552 9988", CodePurpose::SignUp, None))
                .await,
        );
        assert_eq!(e.code, ErrorCode::DestinationNotAllowed);
        assert!(
            e.message.contains("fixed-line") && e.message.contains("use your mobile number"),
            "{}",
            e.message
        );
        let e = refusal(
            w.request(ask("+1 415 555 0100", CodePurpose::SignUp, None))
                .await,
        );
        assert_eq!(e.code, ErrorCode::DestinationNotAllowed);
        assert!(
            e.message.contains("region US") && e.message.contains("allowed: CN"),
            "{}",
            e.message
        );
        let e = refusal(
            w.request(ask("+86 400 123 4567", CodePurpose::Reset, None))
                .await,
        );
        assert_eq!(e.code, ErrorCode::DestinationNotAllowed, "{e:?}");
        let e = refusal(w.request(ask("call me", CodePurpose::SignUp, None)).await);
        assert_eq!(e.code, ErrorCode::InvalidNumber, "{e:?}");
        assert!(outbox(&t).is_empty());
    }
);

// covers #9 §2 caps per number and per address: a number gets a few codes an hour; one address
// asking for many numbers stops at its cap, and a refusal sends nothing.
both_dbs!(
    codes_are_capped_per_number_and_per_address,
    |t: TestRelay| async move {
        let mut w = t.widget().await;
        for _ in 0..CODES_PER_NUMBER_PER_HOUR {
            let r = w.request(ask(NEW, CodePurpose::SignUp, None)).await;
            assert!(matches!(r, RelayToWidget::CodeSent(_)), "{r:?}");
        }
        let e = refusal(w.request(ask(NEW, CodePurpose::SignUp, None)).await);
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert!(
            e.message.contains("sent to +8613700137000") && e.message.contains("try again"),
            "{}",
            e.message
        );
        assert!(e.retry_after.unwrap() > 3000);
        let mut n = 0;
        while (outbox(&t).len() as u32) < CODES_PER_ADDRESS_PER_HOUR {
            let r = w
                .request(ask(&format!("+861360013{n:04}"), CodePurpose::SignUp, None))
                .await;
            assert!(matches!(r, RelayToWidget::CodeSent(_)), "{r:?}");
            n += 1;
        }
        let e = refusal(
            w.request(ask("+8613500135000", CodePurpose::Reset, None))
                .await,
        );
        assert!(e.message.contains("your network"), "{}", e.message);
        assert_eq!(outbox(&t).len() as u32, CODES_PER_ADDRESS_PER_HOUR);
    }
);

// covers #9 §2 atomic caps: twelve parallel requests for one number send exactly the per-number
// cap; twelve more for twelve numbers stop at the site's hourly SMS cap (shared with CALL's
// codes), with the shop named in the refusal.
each_db!(
    a_parallel_burst_cannot_pass_the_caps,
    [sqlite: Sqlite, postgres: Postgres], |db: Db| async move {
    let Some(t) = TestRelay::start_with(db, |c| c.calls.sms_per_site_per_hour = 5).await else {
        return;
    };
    let burst = |numbers: Vec<String>| {
        let t = &t;
        async move {
            let mut sockets = Vec::new();
            for _ in &numbers {
                sockets.push(t.widget().await);
            }
            let replies = join_all(
                sockets
                    .iter_mut()
                    .zip(&numbers)
                    .map(|(w, n)| w.request(ask(n, CodePurpose::SignUp, None))),
            )
            .await;
            let sent = replies
                .iter()
                .filter(|r| matches!(r, RelayToWidget::CodeSent(_)))
                .count();
            (sent, replies)
        }
    };
    let (sent, _) = burst(vec![NEW.to_owned(); 12]).await;
    assert_eq!(sent as u32, CODES_PER_NUMBER_PER_HOUR);
    let (sent, replies) = burst((0..12).map(|i| format!("+861360013{i:04}")).collect()).await;
    assert_eq!(sent, 5 - CODES_PER_NUMBER_PER_HOUR as usize);
    assert!(
        replies
            .iter()
            .any(|r| matches!(r, RelayToWidget::Error(e) if e.message.contains("shop"))),
        "{replies:?}"
    );
    assert_eq!(outbox(&t).len(), 5);
});

// covers #9 §2 few attempts, taken atomically: ten parallel wrong guesses get exactly the
// allowed tries; after them even the right code is refused until a new one is asked.
both_dbs!(wrong_code_tries_are_bounded, |t: TestRelay| async move {
    let mut w = t.widget().await;
    let r = w.request(ask(NEW, CodePurpose::SignUp, None)).await;
    assert!(matches!(r, RelayToWidget::CodeSent(_)), "{r:?}");
    let (_, code) = sms_to(&t, NEW);
    let bad = wrong(&code);
    let mut sockets = Vec::new();
    for _ in 0..10 {
        sockets.push(t.widget().await);
    }
    let replies = join_all(
        sockets
            .iter_mut()
            .map(|w| w.request(sign_up(NEW, &bad, NEW_PASSWORD))),
    )
    .await;
    let messages: Vec<String> = replies.into_iter().map(|r| refusal(r).message).collect();
    let counted = messages.iter().filter(|m| m.contains("not right")).count();
    assert_eq!(counted as i64, CODE_ATTEMPTS, "{messages:?}");
    assert!(
        messages
            .iter()
            .filter(|m| !m.contains("not right"))
            .all(|m| m.contains("too many wrong codes")),
        "{messages:?}"
    );
    let e = refusal(w.request(sign_up(NEW, &code, NEW_PASSWORD)).await);
    assert!(e.message.contains("ask for a new one"), "{}", e.message);
    assert!(t
        .running
        .relay
        .store
        .member_by_number(&ringlink_protocol::E164::new(NEW).unwrap())
        .await
        .unwrap()
        .is_none());
});

// covers #9 §2 short TTL: a code past its expiry is refused as expired, even when right.
both_dbs!(an_expired_code_is_refused, |t: TestRelay| async move {
    let mut w = t.widget().await;
    let r = w.request(ask(NEW, CodePurpose::SignUp, None)).await;
    assert!(matches!(r, RelayToWidget::CodeSent(_)), "{r:?}");
    let (_, code) = sms_to(&t, NEW);
    sqlx::query("UPDATE account_codes SET expires_at = 1")
        .execute(t.running.relay.store.pool())
        .await
        .unwrap();
    let e = refusal(w.request(sign_up(NEW, &code, NEW_PASSWORD)).await);
    assert_eq!(e.code, ErrorCode::CodeInvalid);
    assert!(e.message.contains("expired"), "{}", e.message);
});

// covers #9 §2 reset: a forgotten password is reset with an SMS code; the old password stops
// working, the new one works, the member's other session is signed out and so is their phone.
both_dbs!(
    a_reset_revokes_every_other_session,
    |t: TestRelay| async move {
        let (mut old_session, old_token) = t.signed_in_widget(ALICE).await;
        let (mut agent, _) = t.agent(ALICE, "Pixel 8").await;
        let mut w = t.widget().await;
        let r = w.request(ask(ALICE, CodePurpose::Reset, Some("en"))).await;
        assert!(matches!(r, RelayToWidget::CodeSent(_)), "{r:?}");
        let (text, code) = sms_to(&t, ALICE);
        assert!(text.contains("set a new password"), "{text}");
        let reply = w.request(reset("138 0013 8000", &code, NEW_PASSWORD)).await;
        let RelayToWidget::SignedIn(s) = reply else {
            panic!("{reply:?}")
        };
        assert_eq!(s.member.as_str(), ALICE);

        // The other session hears it is over within a heartbeat, and cannot resume.
        let ended = loop {
            let pushed = old_session.next_within(10).await;
            match pushed.msg {
                RelayToWidget::Presence(_) => continue,
                other => break other,
            }
        };
        assert!(
            matches!(ended, RelayToWidget::Error(ref e) if e.code == ErrorCode::TokenRevoked),
            "{ended:?}"
        );
        let mut again = t.widget().await;
        let e = refusal(
            again
                .request(WidgetMsg::Resume(Resume {
                    token: old_token,
                    since: None,
                }))
                .await,
        );
        assert_eq!(e.code, ErrorCode::TokenRevoked);
        let (code, reason) = agent.closed().await;
        assert!(
            code != 1005 && code != 1006,
            "the phone is told: {code} {reason}"
        );
        let member = t
            .running
            .relay
            .store
            .member_by_number(&s.member)
            .await
            .unwrap()
            .unwrap();
        let devices = t.running.relay.store.list_devices(member.id).await.unwrap();
        assert!(
            devices.iter().all(|d| d.revoked_at.is_some()),
            "{devices:?}"
        );

        let e = refusal(again.request(sign_in(ALICE, PASSWORD)).await);
        assert_eq!(e.code, ErrorCode::BadCredentials);
        let ok = again.request(sign_in(ALICE, NEW_PASSWORD)).await;
        assert!(matches!(ok, RelayToWidget::SignedIn(_)), "{ok:?}");
    }
);

// covers #9 §2 clear errors: a weak password is refused before the code is tried (no try is
// used); sign-up for a member's number says so, and the same code then resets the password;
// reset for a number without an account says to sign up.
both_dbs!(
    weak_passwords_and_wrong_flows_are_said,
    |t: TestRelay| async move {
        let mut w = t.widget().await;
        let r = w.request(ask(ALICE, CodePurpose::SignUp, None)).await;
        assert!(matches!(r, RelayToWidget::CodeSent(_)), "{r:?}");
        let (_, code) = sms_to(&t, ALICE);
        for weak in ["short", "13800138000", "xxxxxxxxxx"] {
            let e = refusal(w.request(sign_up(ALICE, &code, weak)).await);
            assert_eq!(e.code, ErrorCode::WeakPassword, "{weak}: {e:?}");
        }
        let e = refusal(w.request(sign_up(ALICE, &code, NEW_PASSWORD)).await);
        assert_eq!(e.code, ErrorCode::AccountExists);
        assert!(e.message.contains("Forgot password"), "{}", e.message);
        let ok = w.request(reset(ALICE, &code, NEW_PASSWORD)).await;
        assert!(matches!(ok, RelayToWidget::SignedIn(_)), "{ok:?}");

        let r = w.request(ask(NEW, CodePurpose::Reset, None)).await;
        assert!(matches!(r, RelayToWidget::CodeSent(_)), "{r:?}");
        let (_, code) = sms_to(&t, NEW);
        let e = refusal(w.request(reset(NEW, &code, NEW_PASSWORD)).await);
        assert_eq!(e.code, ErrorCode::NoAccount);
        assert!(e.message.contains("create one"), "{}", e.message);
    }
);
