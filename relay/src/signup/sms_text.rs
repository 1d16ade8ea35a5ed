//! The text of the sign-up and reset SMS: in the widget's language and one SMS part (English in
//! GSM-7 within 160 characters, Chinese in UCS-2 within 70), like CALL's code SMS. The web
//! answer is the same whether or not the number has an account; only the SMS, which reaches
//! the number's owner alone, says which it is and what the code is good for.

use std::time::Duration;

use ringlink_protocol::account::CodePurpose;

use crate::calls::code_sms::SmsLang;

/// The SMS carrying `code`, valid for `ttl`, for a number that has an account (`member`) or not.
pub fn account_code_text(
    lang: SmsLang,
    purpose: CodePurpose,
    member: bool,
    code: &str,
    ttl: Duration,
) -> String {
    let m = ttl.as_secs().div_ceil(60);
    use CodePurpose::*;
    match (lang, purpose, member) {
        (SmsLang::En, SignUp, false) => format!(
            "Your Ringlink sign-up code is {code}, valid for {m} min. Ignore this SMS if you did not ask."
        ),
        (SmsLang::En, SignUp, true) => format!(
            "Your Ringlink code is {code} ({m} min). This number already has an account: sign in, or use the code under Forgot password."
        ),
        (SmsLang::En, Reset, true) => format!(
            "Your Ringlink code to set a new password is {code}, valid for {m} min. Ignore this SMS if you did not ask."
        ),
        (SmsLang::En, Reset, false) => format!(
            "Your Ringlink code is {code} ({m} min). This number has no account yet: use the code under Create account."
        ),
        (SmsLang::Zh, SignUp, false) => {
            format!("【Ringlink】注册验证码{code}，{m}分钟内有效。如非本人操作请忽略。")
        }
        (SmsLang::Zh, SignUp, true) => {
            format!("【Ringlink】验证码{code}，{m}分钟内有效。本号码已有账号：请登录，或在“忘记密码”中用它重设密码。")
        }
        (SmsLang::Zh, Reset, true) => {
            format!("【Ringlink】重设密码验证码{code}，{m}分钟内有效。如非本人操作请忽略。")
        }
        (SmsLang::Zh, Reset, false) => {
            format!("【Ringlink】验证码{code}，{m}分钟内有效。本号码还没有账号：可在“注册”中用它创建账号。")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringlink_sms::parts::encode_text;
    use ringlink_sms::Encoding;

    fn parts(text: &str) -> (Encoding, usize) {
        let e = encode_text(text, 1, false, 10).unwrap();
        (e.encoding, e.parts.len())
    }

    #[test]
    fn every_account_sms_is_one_part_in_its_language() {
        // covers #9 §2 account SMS: one part, in the widget's language, carrying the code
        let ttl = Duration::from_secs(600);
        for purpose in [CodePurpose::SignUp, CodePurpose::Reset] {
            for member in [false, true] {
                let en = account_code_text(SmsLang::En, purpose, member, "123456", ttl);
                assert!(en.contains("123456") && en.contains("10 min"), "{en}");
                assert_eq!(parts(&en), (Encoding::Gsm7, 1), "{en}");
                let zh = account_code_text(SmsLang::Zh, purpose, member, "123456", ttl);
                assert!(zh.contains("123456") && !zh.contains("Your"), "{zh}");
                assert_eq!(parts(&zh), (Encoding::Ucs2, 1), "{zh}");
            }
        }
    }

    #[test]
    fn the_sms_tells_the_owner_whether_the_number_has_an_account() {
        // covers #9 §2 same answer: only the SMS, which the number's owner reads, says it
        let ttl = Duration::from_secs(600);
        let t = |p, m| account_code_text(SmsLang::En, p, m, "1", ttl);
        assert!(t(CodePurpose::SignUp, true).contains("already has an account"));
        assert!(t(CodePurpose::Reset, false).contains("no account yet"));
        assert!(!t(CodePurpose::SignUp, false).contains("account:"));
    }
}
