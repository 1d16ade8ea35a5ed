//! Sign-up and forgotten passwords by SMS code (#9 §2): a visitor proves a mobile number with a
//! six-digit code, then creates an account on it or sets a new password, and is signed in.
//!
//! One code's life: [`ask_code`] (the number must be a mobile of an allowed region; the SMS is
//! counted per number, per client address, per site and in all, the last two shared with CALL's
//! codes) → [`sign_up`] or [`reset_password`] (one try taken atomically, the code compared by
//! hash, then spent in the same transaction that creates the member or sets the password and
//! revokes every token). The answer to [`ask_code`] is the same whether or not the number has an
//! account. Codes, passwords and tokens are never logged.
//!
//! - [`sms_text`]: the SMS, in the widget's language, one part.

pub mod sms_text;

use std::time::Duration;

use rand::Rng;
use ringlink_protocol::account::{AskAccountCode, ResetPassword, SignUp};
use ringlink_protocol::call_me::CodeSent;
use ringlink_protocol::secret::Secret;
use ringlink_protocol::{ErrorBody, ErrorCode, E164};
use sha2::{Digest, Sha256};

use crate::accounts::{hash_password, AuthError, Identity};
use crate::calls::code_sms::SmsLang;
use crate::calls::guard::refusal;
use crate::destination::{Allowed, Line};
use crate::dial::internal;
use crate::store::counters::Limit;
use crate::store::tokens::TokenKind;
use crate::store::{now, StoreError};
use crate::Relay;

/// A code is good for ten minutes: long enough for an SMS that arrives late, short enough that
/// a code read over someone's shoulder soon stops working.
pub const CODE_TTL: Duration = Duration::from_secs(600);
/// Tries per code: a million codes and five guesses, and a new code needs a new SMS (capped
/// below), so guessing stays hopeless.
pub const CODE_ATTEMPTS: i64 = 5;
/// Codes sent to one number per hour: a lost SMS or two, not a way to flood someone's phone.
pub const CODES_PER_NUMBER_PER_HOUR: u32 = 3;
/// Codes asked from one client address per hour, across numbers: a family behind one router
/// signs up a few phones; a script spraying numbers stops here.
pub const CODES_PER_ADDRESS_PER_HOUR: u32 = 10;
/// Line classes that receive SMS: mobiles, and the plans (US, CA…) whose numbers may be either.
pub const SMS_CLASSES: &[&str] = &["mobile", "fixed_line_or_mobile"];

const HOUR: Duration = Duration::from_secs(3600);

/// The per-number and per-address SMS limits of account codes (the per-site and global caps
/// are CALL's [`crate::calls::limits::SmsCaps`], one budget for every code the relay sends).
/// Counted in the database every relay shares ([`crate::store::counters`]).
pub struct Signup {
    per_number: Limit,
    per_address: Limit,
}

impl Default for Signup {
    fn default() -> Self {
        Self {
            per_number: Limit::new("signup:number", CODES_PER_NUMBER_PER_HOUR, HOUR),
            per_address: Limit::new("signup:address", CODES_PER_ADDRESS_PER_HOUR, HOUR),
        }
    }
}

fn limited(what: &str, secs: u64) -> ErrorBody {
    ErrorBody {
        code: ErrorCode::RateLimited,
        message: format!(
            "too many codes {what}; try again in {} min",
            secs.div_ceil(60)
        ),
        retry_after: Some(secs),
    }
}

fn code_hash(number: &E164, code: &str) -> String {
    let mut h = Sha256::new();
    h.update(format!("ringlink-account:{number}:{code}"));
    hex::encode(h.finalize())
}

/// Reads the typed number and refuses what cannot receive an SMS here: another region, a
/// landline, a premium-rate line.
fn mobile_number(relay: &Relay, input: &str) -> Result<E164, ErrorBody> {
    let number = relay
        .accounts
        .parse_number(input)
        .map_err(|e| ErrorBody::from(&AuthError::from(e)))?;
    let line = Line::of(&number);
    let regions = &relay.config.calls.allowed_regions;
    let allowed = Allowed {
        regions,
        classes: &[],
        verb: "send codes to",
    };
    if !line.in_regions(regions) {
        return Err(allowed.region_refused(&number, &line, ""));
    }
    if !SMS_CLASSES.contains(&line.class.as_str()) {
        return Err(ErrorBody::new(
            ErrorCode::DestinationNotAllowed,
            format!(
                "{number} is a {} number and cannot receive the code by SMS: use your mobile number",
                line.class_words()
            ),
        ));
    }
    Ok(number)
}

/// Sends a sign-up or reset code to the number by SMS. The same answer (or the same refusal)
/// whether or not the number has an account.
pub async fn ask_code(
    relay: &Relay,
    site_id: i64,
    address: &str,
    req: &AskAccountCode,
) -> Result<CodeSent, ErrorBody> {
    let number = mobile_number(relay, &req.number)?;
    let (limits, store) = (&relay.signup, &relay.store);
    limits
        .per_number
        .hit(store, number.as_str())
        .await
        .map_err(|e| refusal(e, |s| limited(&format!("sent to {number}"), s)))?;
    if let Err(e) = limits.per_address.hit(store, address).await {
        limits.per_number.refund(store, number.as_str()).await;
        return Err(refusal(e, |s| limited("asked from your network", s)));
    }
    let give_back = || async {
        limits.per_number.refund(store, number.as_str()).await;
        limits.per_address.refund(store, address).await;
    };
    if let Err(e) = relay
        .calls
        .sms_caps
        .take(
            site_id,
            &number,
            crate::calls::limits::SmsKind::Verification,
        )
        .await
    {
        give_back().await;
        return Err(e);
    }
    let sent = send(relay, &number, req).await;
    if sent.is_err() {
        give_back().await;
        relay.calls.sms_caps.give_back(site_id, &number).await;
    }
    sent?;
    metrics::counter!("ringlink_account_codes_sent_total", "purpose" => req.purpose.as_str())
        .increment(1);
    Ok(CodeSent {
        number,
        expires_in: CODE_TTL.as_secs(),
    })
}

async fn send(relay: &Relay, number: &E164, req: &AskAccountCode) -> Result<(), ErrorBody> {
    let Some(sms) = relay.gateways.sms() else {
        return Err(ErrorBody::new(
            ErrorCode::Unavailable,
            "this relay cannot send SMS right now; try again later",
        ));
    };
    let member = relay
        .store
        .member_by_number(number)
        .await
        .map_err(internal)?
        .is_some();
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
    relay
        .store
        .put_account_code(
            number,
            req.purpose,
            &code_hash(number, &code),
            now() + CODE_TTL.as_secs() as i64,
        )
        .await
        .map_err(internal)?;
    let lang = SmsLang::from_wire(req.lang.as_deref());
    let text = sms_text::account_code_text(lang, req.purpose, member, &code, CODE_TTL);
    sms.send(number, &text).await.map(drop).map_err(|e| {
        tracing::warn!("account code SMS not sent: {e}");
        ErrorBody::new(
            ErrorCode::Unavailable,
            "the code could not be sent by SMS right now; try again in a minute",
        )
    })
}

/// Refuses passwords that are the wrong length or that anyone who knows the number could guess.
fn check_password(number: &E164, password: &Secret) -> Result<(), ErrorBody> {
    let p = password.expose();
    let weak = |why: &str| ErrorBody::new(ErrorCode::WeakPassword, why.to_owned());
    let n = p.chars().count();
    if !(ringlink_protocol::limits::MIN_PASSWORD..=ringlink_protocol::limits::MAX_PASSWORD)
        .contains(&n)
    {
        return Err(ErrorBody::from(&AuthError::WeakPassword));
    }
    let digits = number.as_str().trim_start_matches('+');
    if digits.contains(p) || p.contains(&digits[digits.len().saturating_sub(8)..]) {
        return Err(weak(
            "the password must not be your phone number: choose words only you know",
        ));
    }
    let mut chars = p.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Err(weak(
            "the password is one character repeated: choose words only you know",
        ));
    }
    Ok(())
}

/// Takes one try at the number's code and compares it; `Ok(hash)` of the right code.
async fn check_code(relay: &Relay, number: &E164, typed: &str) -> Result<String, ErrorBody> {
    let attempt = relay
        .store
        .take_account_code_attempt(number, CODE_ATTEMPTS, now())
        .await
        .map_err(internal)?;
    crate::calls::verify::judge_attempt(attempt, CODE_ATTEMPTS, typed, |t| code_hash(number, t))
}

fn store_refusal(e: StoreError, conflict: ErrorCode, conflict_words: &str) -> ErrorBody {
    match e {
        StoreError::Conflict(m) if m.contains("code was used") => {
            ErrorBody::new(ErrorCode::CodeInvalid, m)
        }
        StoreError::Conflict(_) | StoreError::NotFound(_) => {
            ErrorBody::new(conflict, conflict_words)
        }
        e => internal(e),
    }
}

/// Creates the member with the code from the SMS and mints a web session for them.
pub async fn sign_up(relay: &Relay, req: &SignUp) -> Result<(Identity, Secret), ErrorBody> {
    let number = mobile_number(relay, &req.number)?;
    check_password(&number, &req.password)?;
    let name = req.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if let Some(n) = name {
        crate::names::check_name("name", n).map_err(ErrorBody::from)?;
    }
    let code = check_code(relay, &number, &req.code).await?;
    let hash = hash_password(&req.password)
        .await
        .map_err(|e| ErrorBody::from(&e))?;
    let member_id = relay
        .store
        .sign_up_with_code(&number, &code, &hash, name)
        .await
        .map_err(|e| {
            store_refusal(
                e,
                ErrorCode::AccountExists,
                "this number already has a Ringlink account: sign in, or use 'Forgot password?' with the same code",
            )
        })?;
    metrics::counter!("ringlink_members_signed_up_total").increment(1);
    tracing::info!(member_id, "member signed up by SMS code");
    mint(relay, member_id, &number).await
}

/// Sets a new password with the code from the SMS; every other session and device of the
/// member is revoked, and a new web session is minted for this one.
pub async fn reset_password(
    relay: &Relay,
    req: &ResetPassword,
) -> Result<(Identity, Secret), ErrorBody> {
    let number = mobile_number(relay, &req.number)?;
    check_password(&number, &req.password)?;
    let code = check_code(relay, &number, &req.code).await?;
    let hash = hash_password(&req.password)
        .await
        .map_err(|e| ErrorBody::from(&e))?;
    let (member_id, revoked) = relay
        .store
        .reset_password_with_code(&number, &code, &hash)
        .await
        .map_err(|e| {
            store_refusal(
                e,
                ErrorCode::NoAccount,
                "this number has no Ringlink account yet: create one with the same code",
            )
        })?;
    tracing::info!(
        member_id,
        revoked,
        "password reset by SMS code; sessions and devices revoked"
    );
    mint(relay, member_id, &number).await
}

async fn mint(
    relay: &Relay,
    member_id: i64,
    number: &E164,
) -> Result<(Identity, Secret), ErrorBody> {
    relay
        .accounts
        .mint(member_id, number, TokenKind::Web, "web", None)
        .await
        .map_err(internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n() -> E164 {
        E164::new("+8613800138000").unwrap()
    }

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        // covers #9 §2 weak password: short, the phone number, one character repeated
        let e = check_password(&n(), &Secret::new("short")).unwrap_err();
        assert_eq!(e.code, ErrorCode::WeakPassword);
        assert!(e.message.contains("8 to 256"), "{}", e.message);
        for p in ["13800138000", "8613800138000", "my13800138000"] {
            let e = check_password(&n(), &Secret::new(p)).unwrap_err();
            assert!(e.message.contains("phone number"), "{p}: {}", e.message);
        }
        let e = check_password(&n(), &Secret::new("aaaaaaaaaa")).unwrap_err();
        assert!(e.message.contains("repeated"), "{}", e.message);
        assert!(check_password(&n(), &Secret::new("correct horse")).is_ok());
    }
}
