//! The text of the verification SMS: in the member's language, and short enough for one SMS
//! (English in GSM-7 within 160 characters, Chinese in UCS-2 within 70), so it costs one part
//! and arrives whole.

use std::time::Duration;

/// The language of the SMS, from the widget's `lang` (`zh` unless `en`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmsLang {
    En,
    Zh,
}

impl SmsLang {
    pub fn from_wire(lang: Option<&str>) -> Self {
        match lang {
            Some(l) if l.eq_ignore_ascii_case("en") => Self::En,
            _ => Self::Zh,
        }
    }
}

/// The SMS carrying `code`, valid for `ttl`.
pub fn code_text(lang: SmsLang, code: &str, ttl: Duration) -> String {
    let minutes = ttl.as_secs().div_ceil(60);
    match lang {
        SmsLang::En => format!(
            "Your Ringlink code is {code}. It lets Ringlink call you on this number and is valid for {minutes} min. Ignore it if you did not ask."
        ),
        SmsLang::Zh => format!(
            "【Ringlink】验证码{code}，{minutes}分钟内有效，用于让Ringlink拨打本号码。如非本人操作请忽略。"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringlink_sms::parts::encode_text;
    use ringlink_sms::Encoding;

    /// The SMS's encoding and how many parts it needs.
    fn parts(text: &str) -> (Encoding, usize) {
        let e = encode_text(text, 1, false, 10).unwrap();
        (e.encoding, e.parts.len())
    }

    #[test]
    fn english_code_sms_is_one_gsm7_part() {
        // covers #8 §5 Code SMS: in the member's language, one SMS
        let text = code_text(SmsLang::En, "123456", Duration::from_secs(600));
        assert!(text.contains("123456") && text.contains("10 min"), "{text}");
        assert!(text.is_ascii(), "English only: {text}");
        assert!(text.chars().count() <= 160, "{}", text.chars().count());
        assert_eq!(parts(&text), (Encoding::Gsm7, 1), "{text}");
    }

    #[test]
    fn chinese_code_sms_is_one_ucs2_part() {
        // covers #8 §5 Code SMS: in the member's language, one SMS
        let text = code_text(SmsLang::Zh, "123456", Duration::from_secs(600));
        assert!(text.contains("123456") && text.contains("验证码"), "{text}");
        assert!(!text.contains("Your"), "Chinese only: {text}");
        assert!(
            text.encode_utf16().count() <= 70,
            "{}",
            text.encode_utf16().count()
        );
        assert_eq!(parts(&text), (Encoding::Ucs2, 1), "{text}");
    }

    #[test]
    fn the_old_bilingual_text_needed_two_parts() {
        // The text this replaces: always both languages, UCS-2, two parts.
        let old = "【Ringlink】验证码 123456，10 分钟内有效。Your Ringlink code is 123456: it lets the service call you on this number. Ignore it if you did not ask.";
        assert_eq!(parts(old), (Encoding::Ucs2, 2));
    }

    #[test]
    fn language_comes_from_the_widget() {
        assert_eq!(SmsLang::from_wire(Some("en")), SmsLang::En);
        assert_eq!(SmsLang::from_wire(Some("zh")), SmsLang::Zh);
        assert_eq!(SmsLang::from_wire(None), SmsLang::Zh);
        assert_eq!(SmsLang::from_wire(Some("xx")), SmsLang::Zh);
    }
}
