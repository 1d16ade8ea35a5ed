//! Names people give things (device names, labels, site and sponsor names): these are printed
//! in the widget, in logs and in the operator's terminal (`admin device list`), so control
//! characters (an ESC sequence can rewrite a terminal) and bidi overrides (which make text read
//! differently from what it is) are refused wherever a name enters.

use ringlink_protocol::{ErrorBody, ErrorCode};

/// A name with a character it may not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {what} contains {kind} (U+{code:04X}) at character {position}: use plain text without control or direction-override characters")]
pub struct NameError {
    /// Which name: "device name", "label", …
    pub what: &'static str,
    pub kind: &'static str,
    pub code: u32,
    /// 1-based position of the character.
    pub position: usize,
}

impl From<&NameError> for ErrorBody {
    fn from(e: &NameError) -> Self {
        ErrorBody::new(ErrorCode::BadField, e.to_string())
    }
}

impl From<NameError> for ErrorBody {
    fn from(e: NameError) -> Self {
        (&e).into()
    }
}

/// What is wrong with `c` in a name, if anything.
fn refused(c: char) -> Option<&'static str> {
    match c {
        c if c.is_control() => Some("a control character"),
        // ALM, LRM, RLM; embeddings and overrides LRE RLE PDF LRO RLO; isolates LRI RLI FSI PDI
        '\u{061C}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => Some("a text-direction control"),
        '\u{2028}' | '\u{2029}' => Some("a line or paragraph separator"),
        _ => None,
    }
}

/// True for a character a name may not hold (for names cleaned rather than refused, such as
/// an uploaded file's).
pub fn is_refused(c: char) -> bool {
    refused(c).is_some()
}

/// Checks a name; `what` names it in the error ("device name", "label").
pub fn check_name(what: &'static str, name: &str) -> Result<(), NameError> {
    match name
        .chars()
        .enumerate()
        .find_map(|(i, c)| refused(c).map(|kind| (i, c, kind)))
    {
        None => Ok(()),
        Some((i, c, kind)) => Err(NameError {
            what,
            kind,
            code: c as u32,
            position: i + 1,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // covers #8 §6 names: control characters and bidi overrides are refused with a clear error.
    #[test]
    fn control_and_bidi_characters_are_refused() {
        assert!(check_name("device name", "Kitchen phone").is_ok());
        assert!(check_name("device name", "厨房的手机 — Pixel 7").is_ok());
        assert!(
            check_name("device name", "עברית phone").is_ok(),
            "RTL text itself is fine"
        );
        for bad in [
            "evil\u{1b}[2J",
            "tab\there",
            "nl\n",
            "del\u{7f}",
            "c1\u{9b}",
            "\u{202E}enohp",
            "a\u{2066}b",
            "a\u{2069}",
            "a\u{200F}",
            "a\u{2028}b",
        ] {
            let e = check_name("device name", bad).unwrap_err();
            let text = e.to_string();
            assert!(
                text.contains("device name") && text.contains("U+"),
                "{text}"
            );
        }
        let e = check_name("label", "ab\u{202E}").unwrap_err();
        assert_eq!((e.code, e.position), (0x202E, 3));
    }
}
