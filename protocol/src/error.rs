//! Error codes and bodies. Every refusal on every wire is an [`ErrorBody`]: a stable code a
//! program can switch on, and a message a person can act on.

use serde::{Deserialize, Serialize};

/// Stable error codes. New codes may be added; clients treat unknown ones as `internal`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is not valid JSON or not a known message; the message names the problem.
    BadFrame,
    /// The frame is larger than `limits::MAX_FRAME_BYTES`.
    FrameTooLarge,
    /// A field is missing, too long or out of range.
    BadField,
    /// The phone number cannot be dialled.
    InvalidNumber,
    /// The request needs a signed-in member.
    NotSignedIn,
    /// Number or password is wrong.
    BadCredentials,
    /// Too many attempts; `retry_after` says when to try again.
    RateLimited,
    /// The session or device token has expired: sign in again.
    TokenExpired,
    /// The session or device token was revoked or is unknown: sign in again.
    TokenRevoked,
    /// None of the member's phone agents is connected (DIAL-3).
    AgentNotConnected,
    /// The named device is not one of the signed-in member's devices.
    NotYourDevice,
    /// The pairing code is unknown, already used or expired.
    PairingCodeInvalid,
    /// The page's origin is not on the site's allow-list.
    OriginNotAllowed,
    /// The site key is unknown.
    UnknownSite,
    /// The call is unknown to the relay.
    UnknownCall,
    /// The page named a call button the merchant has not configured (CALL).
    UnknownButton,
    /// The callback number has not been verified by SMS code yet: send a code first (CALL-3).
    NumberNotVerified,
    /// The SMS code is wrong or expired.
    CodeInvalid,
    /// Sign-up for a number that already has an account: sign in, or reset the password.
    AccountExists,
    /// Password reset for a number with no account: sign up instead.
    NoAccount,
    /// The new password is too short, too long or too easy to guess.
    WeakPassword,
    /// The destination's country or class (premium-rate, shared-cost, …) is not allowed here.
    DestinationNotAllowed,
    /// The payer's balance cannot pay for the call, or its daily cap is reached (CALL-4).
    InsufficientBalance,
    /// A call is already live for this member or this number: one at a time.
    CallInProgress,
    /// This relay has no telephony (SIP trunk) or SMS configured for this.
    Unavailable,
    /// The conversation is unknown, or not one this visitor or agent is part of (CHAT).
    UnknownConversation,
    /// The visitor has left the site: a line cannot reach them (CHAT-7).
    VisitorLeft,
    /// The request needs a staff member signed in to the console, or an admin (CHAT-6).
    NotStaff,
    /// Only the site's admins may do this (staff accounts, settings, the dashboard).
    NotAdmin,
    /// Open the chat panel first (`chat_open`).
    ChatNotOpen,
    /// The attachment's type or size is not accepted (CHAT: images and PDF, up to a limit).
    AttachmentRefused,
    /// Something broke on the relay; the message says nothing secret.
    Internal,
}

/// The body of every error frame and every REST error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    pub code: ErrorCode,
    /// What went wrong and what to do next, in English.
    pub message: String,
    /// Seconds until a retry may succeed (with `rate_limited`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }
}

impl std::fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for ErrorBody {}

/// A field that failed validation: which one and why.
pub fn bad_field(field: &str, why: impl std::fmt::Display) -> ErrorBody {
    ErrorBody::new(ErrorCode::BadField, format!("field '{field}': {why}"))
}

/// Checks a string field's length in characters.
pub fn check_len(field: &str, value: &str, min: usize, max: usize) -> Result<(), ErrorBody> {
    let n = value.chars().count();
    if n < min {
        return Err(bad_field(
            field,
            format!("must be at least {min} characters, got {n}"),
        ));
    }
    if n > max {
        return Err(bad_field(
            field,
            format!("must be at most {max} characters, got {n}"),
        ));
    }
    Ok(())
}
