//! Getting a Ringlink account from the widget: sign-up and password reset, both proved by a code
//! sent by SMS to the mobile number (#9 §2). One account works on every shop that has the
//! widget; the shop never sees the password.
//!
//! The flow: [`AskAccountCode`] (answered by `CodeSent`, the same answer whether or not the
//! number has an account), then [`SignUp`] or [`ResetPassword`] with the code (answered by
//! `SignedIn`).

use serde::{Deserialize, Serialize};

use crate::call_me::{validate_code, validate_lang};
use crate::error::{check_len, ErrorBody};
use crate::limits::*;
use crate::secret::Secret;

/// What the SMS code is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CodePurpose {
    /// A new account for this number.
    SignUp,
    /// A new password for the account of this number.
    Reset,
}

impl CodePurpose {
    /// The wire name (as serde writes it).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignUp => "sign_up",
            Self::Reset => "reset",
        }
    }
}

/// Send a code by SMS to a mobile number, to sign up or to reset the password. Answered by
/// `CodeSent` whether or not the number already has an account, so the answer never tells
/// who is a member; the SMS itself says which it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AskAccountCode {
    /// As typed; read in the relay's default region when it has no `+`.
    pub number: String,
    pub purpose: CodePurpose,
    /// Language of the SMS: `zh` (default) or `en`, as the widget shows itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

/// Create an account with the code from the SMS; the widget is signed in at once. Answered by
/// `SignedIn`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SignUp {
    pub number: String,
    pub code: String,
    pub password: Secret,
    /// How the member would like to be called (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Set a new password with the code from the SMS. Every other session and device of the member
/// is signed out; this widget is signed in. Answered by `SignedIn`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    pub number: String,
    pub code: String,
    pub password: Secret,
}

pub(crate) fn validate_ask(m: &AskAccountCode) -> Result<(), ErrorBody> {
    check_len("number", &m.number, 1, MAX_NUMBER_INPUT)?;
    validate_lang(m.lang.as_deref())
}

pub(crate) fn validate_sign_up(m: &SignUp) -> Result<(), ErrorBody> {
    check_len("number", &m.number, 1, MAX_NUMBER_INPUT)?;
    validate_code(&m.code)?;
    check_len("password", m.password.expose(), 1, MAX_PASSWORD)?;
    match &m.name {
        Some(n) => check_len("name", n, 0, MAX_DISPLAY_NAME),
        None => Ok(()),
    }
}

pub(crate) fn validate_reset(m: &ResetPassword) -> Result<(), ErrorBody> {
    check_len("number", &m.number, 1, MAX_NUMBER_INPUT)?;
    validate_code(&m.code)?;
    check_len("password", m.password.expose(), 1, MAX_PASSWORD)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::decode;
    use crate::widget::WidgetMsg;

    #[test]
    fn sign_up_frames_round_trip_and_are_checked() {
        let text = r#"{"id":1,"msg":{"type":"ask_account_code","data":{"number":"138 0013 8000","purpose":"sign_up","lang":"en"}}}"#;
        let env = decode::<WidgetMsg>(text).unwrap();
        assert!(matches!(
            env.msg,
            WidgetMsg::AskAccountCode(AskAccountCode {
                purpose: CodePurpose::SignUp,
                ..
            })
        ));
        let long_name = "x".repeat(MAX_DISPLAY_NAME + 1);
        let text = format!(
            r#"{{"id":2,"msg":{{"type":"sign_up","data":{{"number":"1","code":"1","password":"p","name":"{long_name}"}}}}}}"#
        );
        let (id, e) = decode::<WidgetMsg>(&text).unwrap_err();
        assert_eq!(id, Some(2));
        assert!(e.message.contains("name"), "{}", e.message);
    }
}
