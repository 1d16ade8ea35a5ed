//! Callback number verification (CALL-3): a member who wants to be called on a number other than
//! their own gets a six-digit code by SMS on it, and the relay calls it only once the code comes
//! back. Codes are stored hashed, expire, and allow a few tries.

use std::time::Duration;

use rand::Rng;
use ringlink_protocol::call_me::{CodeSent, NumberVerified, SendCode};
use ringlink_protocol::{ErrorBody, ErrorCode, E164};
use sha2::{Digest, Sha256};

use super::code_sms::{code_text, SmsLang};
use crate::accounts::Identity;
use crate::dial::internal;
use crate::store::callbacks::CodeAttempt;
use crate::store::now;
use crate::Relay;

/// A code is good for ten minutes: long enough to read an SMS that arrives late.
pub const CODE_TTL: Duration = Duration::from_secs(600);
/// Wrong tries per code: a million codes, five guesses, a new code needs a new SMS (rate
/// limited), so guessing stays hopeless.
pub const CODE_ATTEMPTS: i64 = 5;

fn code_hash(member_id: i64, number: &E164, code: &str) -> String {
    let mut h = Sha256::new();
    h.update(format!("ringlink-callback:{member_id}:{number}:{code}"));
    hex::encode(h.finalize())
}

/// The numbers the relay may call this member on: the number they signed up with (their
/// identity, INBOX-1), then those verified by code.
pub async fn callable_numbers(relay: &Relay, member: &Identity) -> Result<Vec<E164>, ErrorBody> {
    let mut numbers = vec![member.number.clone()];
    for n in relay
        .store
        .verified_numbers(member.member_id)
        .await
        .map_err(internal)?
    {
        if !numbers.contains(&n) {
            numbers.push(n);
        }
    }
    Ok(numbers)
}

pub async fn is_callable(
    relay: &Relay,
    member: &Identity,
    number: &E164,
) -> Result<bool, ErrorBody> {
    if *number == member.number {
        return Ok(true);
    }
    relay
        .store
        .is_verified_number(member.member_id, number)
        .await
        .map_err(internal)
}

/// Sends a fresh code to `input` (as typed) by SMS.
/// The SMS counts against the global and the site's SMS caps; `lang` picks its language.
pub async fn send_code(
    relay: &Relay,
    site_id: i64,
    member: &Identity,
    req: &SendCode,
) -> Result<CodeSent, ErrorBody> {
    let input = req.number.as_str();
    let number = relay
        .accounts
        .parse_number(input)
        .map_err(ErrorBody::from)?;
    relay
        .calls
        .guard
        .destination_allowed(&number, "that number")?;
    relay
        .calls
        .guard
        .count_code(member.member_id, &number)
        .await?;
    relay
        .calls
        .sms_caps
        .take(
            site_id,
            &number,
            crate::calls::limits::SmsKind::Verification,
        )
        .await?;
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
    relay
        .store
        .put_number_code(
            member.member_id,
            &number,
            &code_hash(member.member_id, &number, &code),
            now() + CODE_TTL.as_secs() as i64,
        )
        .await
        .map_err(internal)?;
    let text = code_text(SmsLang::from_wire(req.lang.as_deref()), &code, CODE_TTL);
    let Some(sms) = relay.gateways.sms() else {
        relay.calls.sms_caps.give_back(site_id, &number).await;
        return Err(ErrorBody::new(
            ErrorCode::Unavailable,
            "this relay cannot send SMS right now; try again later",
        ));
    };
    if let Err(e) = sms.send(&number, &text).await {
        tracing::warn!("verification SMS not sent: {e}");
        relay.calls.sms_caps.give_back(site_id, &number).await;
        return Err(ErrorBody::new(
            ErrorCode::Unavailable,
            "the code could not be sent by SMS right now; try again in a minute",
        ));
    }
    metrics::counter!("ringlink_verification_codes_sent_total").increment(1);
    Ok(CodeSent {
        number,
        expires_in: CODE_TTL.as_secs(),
    })
}

/// Checks a code; on success the number is the member's to be called on.
pub async fn verify_code(
    relay: &Relay,
    member: &Identity,
    input: &str,
    code: &str,
) -> Result<NumberVerified, ErrorBody> {
    let number = relay
        .accounts
        .parse_number(input)
        .map_err(ErrorBody::from)?;
    let attempt = relay
        .store
        .take_code_attempt(member.member_id, &number, CODE_ATTEMPTS, now())
        .await
        .map_err(internal)?;
    judge_attempt(attempt, CODE_ATTEMPTS, code, |typed| {
        code_hash(member.member_id, &number, typed)
    })?;
    relay
        .store
        .verify_number(member.member_id, &number)
        .await
        .map_err(internal)?;
    Ok(NumberVerified { number })
}

/// The answer to one try at an SMS code (CALL's number codes and the account codes): the refusal
/// the store's attempt gives, or the typed code (spaces ignored) compared by `hash_of` with the
/// stored hash. `Ok` is the stored hash of the right code.
pub(crate) fn judge_attempt(
    attempt: CodeAttempt,
    max_attempts: i64,
    typed: &str,
    hash_of: impl Fn(&str) -> String,
) -> Result<String, ErrorBody> {
    let invalid = |why: &str| ErrorBody::new(ErrorCode::CodeInvalid, why.to_owned());
    let (stored, attempts) = match attempt {
        CodeAttempt::Granted {
            code_hash,
            attempts,
        } => (code_hash, attempts),
        CodeAttempt::NoCode => {
            return Err(invalid(
                "no code was sent to this number: ask for a code first",
            ))
        }
        CodeAttempt::Expired => return Err(invalid("this code has expired: ask for a new one")),
        CodeAttempt::UsedUp => return Err(invalid("too many wrong codes: ask for a new one")),
    };
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if hash_of(&typed) != stored {
        let left = max_attempts - attempts;
        return Err(invalid(&format!(
            "that code is not right; {left} tries left"
        )));
    }
    Ok(stored)
}
