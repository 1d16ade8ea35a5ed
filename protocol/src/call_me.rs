//! CALL ("call me now") messages between the widget and the relay: the offer behind a merchant
//! button, verification of a new callback number by SMS code, placing and ending a two-leg call,
//! and the live progress of that call with its running cost (CALL-3 to CALL-7).

use serde::{Deserialize, Serialize};

pub use crate::call_end::CallEndReason;
use crate::error::{check_len, ErrorBody};
use crate::limits::*;
use crate::number::E164;

/// Ask what calling through merchant button `button` would be: the member's callback number
/// to confirm or change (CALL-3), who pays, and the tariff. Answered by [`CallOffer`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CallOptions {
    /// The key a page names in `data-ringlink-call="sales"`. The number behind it lives only in
    /// the merchant's server-side configuration.
    pub button: String,
}

/// Who pays for a call (CALL-4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PayerKind {
    /// The member's own account.
    Member,
    /// The merchant who owns the button.
    Merchant,
    /// A third party, such as an advertiser ("see an ad, call free").
    Sponsor,
}

impl PayerKind {
    pub const ALL: [PayerKind; 3] = [Self::Member, Self::Merchant, Self::Sponsor];

    /// The wire name (as serde writes it), also the name operators type.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Merchant => "merchant",
            Self::Sponsor => "sponsor",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

/// What a call through a button would be.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CallOffer {
    pub button: String,
    /// The button's label as the merchant set it ("Sales").
    pub label: String,
    /// The member's number on file, shown in the confirm-or-change box (CALL-3).
    pub callback: E164,
    /// Numbers this member has verified and may be called on.
    pub verified: Vec<E164>,
    pub payer: PayerKind,
    /// The sponsor's name when a sponsor pays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sponsor: Option<String>,
    /// Leg B, the merchant's number: minor units per minute and connect fee, when the member
    /// pays (shown before calling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_minute: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_fee: Option<i64>,
    /// Leg A, the member's number (`callback`): minor units per minute and connect fee, when
    /// the member pays. The trunk charges both legs, both from the moment the merchant answers,
    /// so a minute costs `per_minute + member_per_minute`. A call to another verified number is
    /// priced at that number's tariff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_per_minute: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_connect_fee: Option<i64>,
    /// ISO 4217 code of every amount (minor units: fen for CNY).
    pub currency: String,
}

/// Send an SMS code to a callback number the member wants to be called on. Answered by
/// [`CodeSent`]. The relay never calls a number before its code comes back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SendCode {
    /// As typed; read in the relay's default region when it has no `+`.
    pub number: String,
    /// Language of the SMS: `zh` (default) or `en`, as the widget shows itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CodeSent {
    pub number: E164,
    /// Seconds the code stays valid.
    pub expires_in: u64,
}

/// The code the SMS carried. Answered by [`NumberVerified`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct VerifyCode {
    pub number: String,
    pub code: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NumberVerified {
    pub number: E164,
}

/// Call me now: the relay calls `callback` (a verified number of the member), then the number
/// behind `button`, and bridges them (CALL-5, CALL-6). Answered by [`CallPlaced`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CallMe {
    pub button: String,
    /// The number to call the member on, as confirmed or changed in the box.
    pub callback: String,
    /// Chosen by the widget; a retry with the same id never places a second call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Language of the prompts the member hears on the phone: `zh` (default) or `en`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CallPlaced {
    pub call_id: String,
    pub callback: E164,
    pub label: String,
    pub payer: PayerKind,
}

/// End a call the member placed. Answered by [`HungUp`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct HangUp {
    pub call_id: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct HungUp {}

/// Where a two-leg call is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CallStage {
    /// The relay is calling the member's phone (leg A).
    CallingYou,
    /// The member answered; the relay is calling the merchant (leg B).
    ConnectingMerchant,
    /// The merchant's phone is ringing.
    MerchantRinging,
    /// Both legs are bridged; the clock runs.
    Connected,
    /// Credit is about to run out; the call ends at `ends_in` seconds.
    CreditLow,
    /// The call is over; `reason`, `seconds` and `cost` say how it went.
    Ended,
}

impl CallStage {
    /// The wire name (as serde writes it): `calling_you`, `connected`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CallingYou => "calling_you",
            Self::ConnectingMerchant => "connecting_merchant",
            Self::MerchantRinging => "merchant_ringing",
            Self::Connected => "connected",
            Self::CreditLow => "credit_low",
            Self::Ended => "ended",
        }
    }

    pub fn is_final(self) -> bool {
        self == Self::Ended
    }
}

/// One step of a two-leg call, pushed to the member's widgets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CallProgress {
    pub call_id: String,
    pub stage: CallStage,
    /// Seconds connected so far (from `connected` on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u64>,
    /// Charge so far in minor units (from `connected` on; the final charge with `ended`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<i64>,
    /// Seconds until the credit runs out (with `credit_low`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_in: Option<u64>,
    /// Why the call ended (with `ended`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<CallEndReason>,
    /// Per-member sequence number shared with DIAL call states.
    pub seq: u64,
    /// Unix seconds.
    pub at: i64,
}

/// Checks the fields of CALL requests (`Validate` for the widget's messages calls this).
pub(crate) fn validate_button(button: &str) -> Result<(), ErrorBody> {
    check_len("button", button, 1, MAX_BUTTON_KEY)
}

pub(crate) fn validate_code(code: &str) -> Result<(), ErrorBody> {
    check_len("code", code, 1, MAX_VERIFY_CODE)
}

pub(crate) fn validate_lang(lang: Option<&str>) -> Result<(), ErrorBody> {
    match lang {
        None | Some("zh") | Some("en") => Ok(()),
        Some(other) => Err(ErrorBody::new(
            crate::ErrorCode::BadField,
            format!(
                "lang '{}' is not offered: use zh or en",
                other.chars().take(8).collect::<String>()
            ),
        )),
    }
}
