//! Destination rules shared by CALL and DIAL: which region and line class a number is in, whether
//! a list of allowed regions and classes covers it, and the refusal a member reads when it does not.

use ringlink_protocol::number::classify;
use ringlink_protocol::{ErrorBody, ErrorCode, E164};

/// Every line class name the numbering plan gives (libphonenumber's words). Configuration is
/// checked against it, so a typo such as `premium-rate` fails at start instead of refusing nothing.
pub const CLASSES: &[&str] = &[
    "fixed_line",
    "mobile",
    "fixed_line_or_mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "personal_number",
    "voip",
    "pager",
    "uan",
    "emergency",
    "voicemail",
    "short_code",
    "standard_rate",
    "carrier",
    "no_international",
    "unknown",
];

/// The regions CALL and DIAL reach unless configured otherwise.
pub fn default_regions() -> Vec<String> {
    vec!["CN".into()]
}

/// The line classes CALL and DIAL reach unless configured otherwise: ordinary phones. Premium
/// rate, shared cost, personal, pager, UAN, voicemail and unknown numbers are left out: they are
/// how toll fraud makes money.
pub fn default_classes() -> Vec<String> {
    [
        "mobile",
        "fixed_line",
        "fixed_line_or_mobile",
        "toll_free",
        "voip",
    ]
    .map(String::from)
    .to_vec()
}

/// Where a number goes: its region (`None` for non-geographic numbers) and line class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub region: Option<String>,
    pub class: String,
}

impl Line {
    pub fn of(number: &E164) -> Self {
        let (region, class) = classify(number);
        Self { region, class }
    }

    pub fn in_regions(&self, regions: &[String]) -> bool {
        self.region
            .as_deref()
            .is_some_and(|r| regions.iter().any(|a| a.eq_ignore_ascii_case(r)))
    }

    pub fn in_classes(&self, classes: &[String]) -> bool {
        classes.iter().any(|c| c == &self.class)
    }

    /// The class as people write it: `premium-rate`, `shared-cost`.
    pub fn class_words(&self) -> String {
        self.class.replace('_', "-")
    }
}

/// A set of allowed regions and line classes (`[calls]` and `[dial]` both have one).
#[derive(Clone, Copy, Debug)]
pub struct Allowed<'a> {
    pub regions: &'a [String],
    pub classes: &'a [String],
    /// What the service does to a number, in the refusal: "call", "dial".
    pub verb: &'a str,
}

impl Allowed<'_> {
    /// `Ok` when both the region and the class are allowed; otherwise the refusal, naming
    /// `role` ("your number", "the merchant's number", "") and what is wrong.
    pub fn check(&self, number: &E164, line: &Line, role: &str) -> Result<(), ErrorBody> {
        if !line.in_regions(self.regions) {
            return Err(self.region_refused(number, line, role));
        }
        if !line.in_classes(self.classes) {
            return Err(class_refused(number, line, role, self.verb));
        }
        Ok(())
    }

    pub fn region_refused(&self, number: &E164, line: &Line, role: &str) -> ErrorBody {
        ErrorBody::new(
            ErrorCode::DestinationNotAllowed,
            format!(
                "{}{number} is in region {}, which this service does not {} (allowed: {})",
                subject(role),
                line.region.as_deref().unwrap_or("none"),
                self.verb,
                self.regions.join(", ")
            ),
        )
    }
}

/// The refusal of a number whose line class is not allowed.
pub fn class_refused(number: &E164, line: &Line, role: &str, verb: &str) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::DestinationNotAllowed,
        format!(
            "{}{number} is a {} number, which this service does not {verb}; use a mobile or landline number",
            subject(role),
            line.class_words(),
        ),
    )
}

fn subject(role: &str) -> String {
    if role.is_empty() {
        String::new()
    } else {
        format!("{role} ")
    }
}

/// Checks configured class names against [`CLASSES`]; `field` names the setting in the error.
pub fn check_classes(field: &str, classes: &[String]) -> Result<(), String> {
    for class in classes {
        if !CLASSES.contains(&class.as_str()) {
            return Err(format!(
                "{field}: '{class}' is not a line class; use one of {}",
                CLASSES.join(", ")
            ));
        }
    }
    Ok(())
}

/// Checks configured region codes; `field` names the setting in the error.
pub fn check_regions(field: &str, regions: &[String]) -> Result<(), String> {
    for region in regions {
        ringlink_protocol::number::check_region(region).map_err(|e| format!("{field}: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(s: &str) -> Line {
        Line::of(&E164::new(s).unwrap())
    }

    #[test]
    fn premium_rate_numbers_of_au_us_and_uk_are_classified_as_such() {
        // covers #8 §3 destination policy: the numbers the attack used are premium-rate
        for n in ["+611900123456", "+19005550199", "+449098790000"] {
            assert_eq!(line(n).class, "premium_rate", "{n}");
        }
        assert_eq!(line("+611900123456").region.as_deref(), Some("AU"));
        assert_eq!(line("+8613800138000").class, "mobile");
        assert_eq!(line("+34901123456").class, "shared_cost");
    }

    #[test]
    fn class_names_are_checked() {
        assert!(check_classes("dial.refused_classes", &["premium_rate".into()]).is_ok());
        let e = check_classes("dial.refused_classes", &["premium-rate".into()]).unwrap_err();
        assert!(
            e.contains("'premium-rate'") && e.contains("premium_rate"),
            "{e}"
        );
    }
}
