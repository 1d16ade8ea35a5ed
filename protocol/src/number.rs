//! Phone numbers: the validated E.164 form that travels between relay and agent, and parsing of
//! what people type ("010 1234 5678", "+86 138-0013-8000") with a configurable default region.

use serde::{Deserialize, Serialize};

use crate::limits::MAX_NUMBER_INPUT;

/// A number in E.164 form: `+`, a country code and subscriber digits, 8 to 15 digits in all.
/// Deserializing checks the form; [`parse_number`] (feature `phonenumber`) also checks that the
/// number exists in the numbering plan.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(try_from = "String", into = "String")]
pub struct E164(String);

/// Why a number was refused. The message says what was wrong and what to type instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("the phone number is empty: type the number to call, for example +86 138 0013 8000")]
    Empty,
    #[error("the phone number is {0} characters long; at most {MAX_NUMBER_INPUT} are accepted")]
    TooLong(usize),
    #[error("'{0}' is not in E.164 form: it must start with + and a country code, then 8 to 15 digits in all, for example +8613800138000")]
    NotE164(String),
    #[error("'{input}' is not a phone number that can be dialled in region {region}: check the digits, or type it with + and the country code")]
    Invalid { input: String, region: String },
    #[error("'{0}' is not a known region code; use a two-letter ISO code such as CN, US or GB")]
    UnknownRegion(String),
}

/// A refused number, as every wire reports it.
impl From<NumberError> for crate::ErrorBody {
    fn from(e: NumberError) -> Self {
        crate::ErrorBody::new(crate::ErrorCode::InvalidNumber, e.to_string())
    }
}

impl E164 {
    /// Checks the E.164 form only (no numbering-plan lookup): usable in the browser.
    pub fn new(value: &str) -> Result<Self, NumberError> {
        let digits = value
            .strip_prefix('+')
            .ok_or_else(|| NumberError::NotE164(value.into()))?;
        let ok = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(NumberError::NotE164(truncate(value)))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn truncate(value: &str) -> String {
    value.chars().take(MAX_NUMBER_INPUT).collect()
}

impl std::fmt::Display for E164 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for E164 {
    type Error = NumberError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl From<E164> for String {
    fn from(value: E164) -> Self {
        value.0
    }
}

/// Parses what a person typed into a valid E.164 number. Numbers without `+` are read in
/// `region` (an ISO 3166 code such as `CN`). Refuses numbers that do not exist in the plan.
#[cfg(feature = "phonenumber")]
pub fn parse_number(input: &str, region: &str) -> Result<E164, NumberError> {
    use std::str::FromStr;
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(NumberError::Empty);
    }
    let len = trimmed.chars().count();
    if len > MAX_NUMBER_INPUT {
        return Err(NumberError::TooLong(len));
    }
    let country = phonenumber::country::Id::from_str(&region.to_ascii_uppercase())
        .map_err(|_| NumberError::UnknownRegion(region.into()))?;
    let invalid = || NumberError::Invalid {
        input: trimmed.into(),
        region: region.into(),
    };
    let parsed = phonenumber::parse(Some(country), trimmed).map_err(|_| invalid())?;
    if !phonenumber::is_valid(&parsed) {
        return Err(invalid());
    }
    E164::new(&parsed.format().mode(phonenumber::Mode::E164).to_string())
}

/// What kind of line a number is, from the numbering plan: its region (`CN`, `US`; `None` for
/// non-geographic numbers) and its class in libphonenumber's words (`mobile`, `fixed_line`,
/// `fixed_line_or_mobile`, `toll_free`, `premium_rate`, `shared_cost`, `voip`, `personal_number`,
/// `pager`, `uan`, `voicemail`, `unknown`, …). The relay refuses classes a deployment has not
/// allowed before it calls a number that costs money.
#[cfg(feature = "phonenumber")]
pub fn classify(number: &E164) -> (Option<String>, String) {
    let Ok(parsed) = phonenumber::parse(None, number.as_str()) else {
        return (None, "unknown".into());
    };
    let class = parsed.number_type(&phonenumber::metadata::DATABASE);
    let class = serde_json::to_value(class)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into());
    let region = parsed.country().id().map(|id| id.as_ref().to_owned());
    (region, class)
}

/// Checks a region code once at start-up, so a typo in configuration fails early.
#[cfg(feature = "phonenumber")]
pub fn check_region(region: &str) -> Result<(), NumberError> {
    use std::str::FromStr;
    phonenumber::country::Id::from_str(&region.to_ascii_uppercase())
        .map(|_| ())
        .map_err(|_| NumberError::UnknownRegion(region.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164_form_is_checked() {
        // covers DIAL-4: what the relay forwards to the phone is always a dialable E.164 string
        assert!(E164::new("+8613800138000").is_ok());
        assert!(matches!(
            E164::new("8613800138000"),
            Err(NumberError::NotE164(_))
        ));
        assert!(E164::new("+0861380013800").is_err());
        assert!(E164::new("+86 138").is_err());
        assert!(E164::new("+1234567").is_err(), "7 digits is too short");
        assert!(
            E164::new("+1234567890123456").is_err(),
            "16 digits is too long"
        );
        let err = serde_json::from_str::<E164>("\"12345\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("E.164"), "{err}");
    }

    #[cfg(feature = "phonenumber")]
    #[test]
    fn typed_numbers_are_read_in_the_default_region() {
        assert_eq!(
            parse_number("138 0013 8000", "CN").unwrap().as_str(),
            "+8613800138000"
        );
        assert_eq!(
            parse_number("010 6552 9988", "CN").unwrap().as_str(),
            "+861065529988"
        );
        assert_eq!(
            parse_number("+1 (650) 253-0000", "CN").unwrap().as_str(),
            "+16502530000"
        );
        assert_eq!(
            parse_number("(650) 253-0000", "us").unwrap().as_str(),
            "+16502530000"
        );
    }

    #[cfg(feature = "phonenumber")]
    #[test]
    fn numbers_are_classified_by_region_and_line_type() {
        let c = |n: &str| classify(&E164::new(n).unwrap());
        assert_eq!(c("+8613800138000"), (Some("CN".into()), "mobile".into()));
        assert_eq!(c("+861065529988"), (Some("CN".into()), "fixed_line".into()));
        assert_eq!(
            c("+611900123456"),
            (Some("AU".into()), "premium_rate".into())
        );
        assert_eq!(c("+18007233456"), (Some("US".into()), "toll_free".into()));
    }

    #[cfg(feature = "phonenumber")]
    #[test]
    fn bad_numbers_say_what_is_wrong() {
        assert_eq!(parse_number("  ", "CN"), Err(NumberError::Empty));
        assert!(matches!(
            parse_number("12345", "CN"),
            Err(NumberError::Invalid { .. })
        ));
        assert!(matches!(
            parse_number("call me maybe", "CN"),
            Err(NumberError::Invalid { .. })
        ));
        assert!(matches!(
            parse_number(&"1".repeat(40), "CN"),
            Err(NumberError::TooLong(40))
        ));
        assert!(matches!(
            parse_number("13800138000", "XX"),
            Err(NumberError::UnknownRegion(_))
        ));
        let msg = parse_number("12345", "CN").unwrap_err().to_string();
        assert!(msg.contains("country code"), "{msg}");
    }
}
