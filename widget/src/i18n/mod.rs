//! Chinese and English: every string the panel shows, and the choice between them (`data-lang`
//! on the tag, else the browser's language). The shell, sign-in and DIAL words are in [`text`],
//! the "call me now" words in [`call_text`], sign-up and reset in [`account_text`]; relay errors are said here.

mod account_text;
mod call_text;
mod chat_text;
mod phone_text;
mod text;

pub use account_text::{AccountText, ACCOUNT_EN, ACCOUNT_ZH};
pub use call_text::{CallText, CALL_EN, CALL_ZH};
pub use chat_text::{ChatText, CHAT_EN, CHAT_ZH};
pub use phone_text::{PhoneText, PHONE_EN, PHONE_ZH};
pub use text::{Text, EN, ZH};

use ringlink_protocol::call::CallState;
use ringlink_protocol::{ErrorBody, ErrorCode};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    /// `data-lang` wins when it names a language we have; otherwise the browser's language
    /// (`navigator.language`, e.g. `zh-CN`); otherwise English.
    pub fn choose(data_lang: Option<&str>, navigator: Option<&str>) -> Lang {
        let read = |tag: &str| {
            let tag = tag.trim().to_ascii_lowercase();
            if tag == "zh" || tag.starts_with("zh-") || tag.starts_with("zh_") {
                Some(Lang::Zh)
            } else if tag == "en" || tag.starts_with("en-") || tag.starts_with("en_") {
                Some(Lang::En)
            } else {
                None
            }
        };
        data_lang
            .and_then(read)
            .or_else(|| navigator.map(|n| read(n).unwrap_or(Lang::En)))
            .unwrap_or(Lang::En)
    }

    /// The `lang` attribute of the panel.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    pub fn text(self) -> &'static Text {
        match self {
            Lang::En => &EN,
            Lang::Zh => &ZH,
        }
    }

    /// What the call-state line says for each state (DIAL-5, DIAL-6).
    pub fn call_state(self, state: CallState) -> &'static str {
        use CallState::*;
        match (self, state) {
            (Lang::En, Sent) => "Sent to your phone",
            (Lang::En, Confirming) => "Confirm the call on your phone",
            (Lang::En, Dialing) => "Your phone is dialling",
            (Lang::En, Ringing) => "Ringing",
            (Lang::En, Active) => "Call in progress on your phone",
            (Lang::En, Ended) => "Call ended",
            (Lang::En, Failed) => "The call could not be placed",
            (Lang::En, Declined) => "Declined on your phone — nothing was dialled",
            (Lang::Zh, Sent) => "已发送到您的手机",
            (Lang::Zh, Confirming) => "请在手机上确认拨号",
            (Lang::Zh, Dialing) => "您的手机正在拨号",
            (Lang::Zh, Ringing) => "对方振铃中",
            (Lang::Zh, Active) => "手机通话中",
            (Lang::Zh, Ended) => "通话已结束",
            (Lang::Zh, Failed) => "呼叫未能接通",
            (Lang::Zh, Declined) => "已在手机上拒绝 — 未拨出任何号码",
        }
    }

    /// An error from the relay, said in this language. The relay's messages are English and say
    /// what to do next; English adds a hint where the panel knows more (CALL), Chinese has its
    /// own words for every code (exhaustive: a new code does not compile without them).
    pub fn error(self, e: &ErrorBody) -> String {
        let wait = e.retry_after.map(|s| s.to_string());
        if self == Lang::Zh {
            let zh = match e.code {
                ErrorCode::BadCredentials => "号码或密码不正确。",
                ErrorCode::RateLimited if wait.is_some() => "尝试次数过多，请 {n} 秒后再试。",
                ErrorCode::RateLimited => "尝试次数过多，请稍后再试。",
                ErrorCode::TokenExpired | ErrorCode::TokenRevoked => "登录已失效，请重新登录。",
                ErrorCode::NotSignedIn => "请先登录。",
                ErrorCode::AgentNotConnected => ZH.not_connected,
                ErrorCode::InvalidNumber => {
                    "无法拨打这个号码：请检查数字，或输入带 + 和国家代码的号码，例如 +86 138 0013 8000。"
                }
                ErrorCode::PairingCodeInvalid => PHONE_ZH.pairing_invalid,
                ErrorCode::UnknownButton => "这个通话按钮尚未设置，请联系商家。",
                ErrorCode::NumberNotVerified => "这个号码还未验证：请先发送验证码。",
                ErrorCode::CodeInvalid => "验证码不正确或已过期：请检查短信，或重新发送验证码。",
                ErrorCode::AccountExists => {
                    "这个号码已有 Ringlink 账号：请直接登录，或在“忘记密码”中用同一验证码重设密码。"
                }
                ErrorCode::NoAccount => "这个号码还没有 Ringlink 账号：请用同一验证码注册。",
                ErrorCode::WeakPassword => {
                    "密码太弱：请设置至少 8 个字符、不是手机号码的密码。"
                }
                ErrorCode::DestinationNotAllowed => {
                    "不能呼叫这个号码（国家或号码类型不允许）：请换用其他手机号码。"
                }
                ErrorCode::InsufficientBalance => "余额不足，无法支付这次通话：请充值后再试。",
                ErrorCode::CallInProgress => "已有通话在进行中：请先挂断，或等待通话结束。",
                ErrorCode::Unavailable => "现在无法使用回拨服务：请稍后再试，或直接拨打商家电话。",
                ErrorCode::UnknownCall => "这通电话已经结束。",
                ErrorCode::BadFrame => "页面与服务的版本不一致：请刷新页面后重试。",
                ErrorCode::FrameTooLarge => "输入的内容太长：请缩短后重试。",
                ErrorCode::BadField => "输入的内容不符合要求：请检查后重试。",
                ErrorCode::NotYourDevice => "这台手机不属于您的账号：请选择您自己的手机。",
                ErrorCode::OriginNotAllowed => "这个网站未获准使用此服务：请联系网站管理员。",
                ErrorCode::UnknownSite => "这个网站尚未开通此服务：请联系网站管理员。",
                ErrorCode::UnknownConversation => "找不到这个对话：它可能已经结束。",
                ErrorCode::VisitorLeft => "对方已离开，消息无法送达。",
                ErrorCode::NotStaff => "请先以客服账号登录。",
                ErrorCode::NotAdmin => "只有网站管理员可以这样做。",
                ErrorCode::ChatNotOpen => "请先打开在线客服窗口。",
                ErrorCode::AttachmentRefused => "只能发送图片或 PDF 文件，且不能超过大小上限。",
                ErrorCode::Internal => "服务出了点问题：请稍后再试。",
            };
            return fill(zh, wait.as_deref().unwrap_or_default());
        }
        let hint = match e.code {
            ErrorCode::RateLimited if wait.is_some() => "Try again in {n} s.",
            ErrorCode::UnknownButton => "Tell the shop: this call button is not set up.",
            ErrorCode::NumberNotVerified => "Send a code to this number first.",
            ErrorCode::CodeInvalid => "Check the SMS, or send a new code.",
            ErrorCode::AccountExists => "Sign in, or choose \"Forgot password?\".",
            ErrorCode::DestinationNotAllowed => "Use another mobile number.",
            ErrorCode::InsufficientBalance => "Top up your balance, then try again.",
            ErrorCode::CallInProgress => "Hang up the other call, or wait for it to end.",
            ErrorCode::Unavailable => "Try again later, or call the shop's number directly.",
            _ => "",
        };
        // The relay's words for a wrong pairing code name a shell command: the panel has none.
        if e.code == ErrorCode::PairingCodeInvalid {
            return PHONE_EN.pairing_invalid.to_owned();
        }
        let mut text = sentence(&e.message);
        if !hint.is_empty() {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&fill(hint, wait.as_deref().unwrap_or_default()));
        }
        text
    }
}

/// Puts `value` in place of the template's `{…}` placeholder (`"{name} — ready to dial"`).
/// Splitting on braces keeps the wasm free of the substring-search machinery.
pub fn fill(template: &str, value: &str) -> String {
    match template.split_once('{') {
        Some((head, rest)) => {
            let tail = rest.split_once('}').map_or("", |(_, tail)| tail);
            let mut out = String::with_capacity(head.len() + value.len() + tail.len());
            out.push_str(head);
            out.push_str(value);
            out.push_str(tail);
            out
        }
        None => template.to_owned(),
    }
}

/// Capitalizes the first letter and ends with a full stop: the relay writes messages as clauses.
/// ASCII only: the relay writes English, and full Unicode case tables would weigh 10 KB.
pub fn sentence(message: &str) -> String {
    let mut out = message.trim().to_owned();
    if out.is_empty() {
        return out;
    }
    if let Some(first) = out.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    if !out.ends_with(['.', '!', '?', '。']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_lang_wins_then_the_browser_language() {
        // covers DIAL-2: the sign-in page speaks the visitor's language (Chinese and English)
        assert_eq!(Lang::choose(Some("zh"), Some("en-US")), Lang::Zh);
        assert_eq!(Lang::choose(Some("en"), Some("zh-CN")), Lang::En);
        assert_eq!(Lang::choose(None, Some("zh-CN")), Lang::Zh);
        assert_eq!(Lang::choose(None, Some("zh-Hant-TW")), Lang::Zh);
        assert_eq!(Lang::choose(Some("fr"), Some("zh-TW")), Lang::Zh);
        assert_eq!(Lang::choose(Some(""), Some("de-DE")), Lang::En);
        assert_eq!(Lang::choose(None, None), Lang::En);
        assert_eq!(Lang::choose(Some("ZH"), None), Lang::Zh);
    }

    #[test]
    fn every_call_state_has_words_in_both_languages() {
        // covers DIAL-6: a declined dial says that nothing was dialled
        use CallState::*;
        for state in [
            Sent, Confirming, Dialing, Ringing, Active, Ended, Failed, Declined,
        ] {
            assert!(!Lang::En.call_state(state).is_empty());
            assert!(!Lang::Zh.call_state(state).is_empty());
        }
        assert!(Lang::En
            .call_state(Declined)
            .contains("nothing was dialled"));
        assert!(Lang::Zh.call_state(Declined).contains("未拨出"));
    }

    #[test]
    fn not_connected_is_said_plainly() {
        // covers DIAL-3
        assert!(EN.not_connected.contains("not connected"));
        assert!(ZH.not_connected.contains("未连接"));
    }

    #[test]
    fn templates_take_their_value() {
        assert_eq!(
            fill(EN.phone_confirms, "Pixel 8"),
            "Pixel 8 — asks before dialling"
        );
        assert_eq!(fill(ZH.call_page_number, "前台"), "拨打 前台");
        assert_eq!(fill("no placeholder", "x"), "no placeholder");
    }

    #[test]
    fn relay_errors_read_as_sentences() {
        let e = ErrorBody::new(ErrorCode::Internal, "relay busy: try again");
        assert_eq!(Lang::En.error(&e), "Relay busy: try again.");
        assert_eq!(Lang::Zh.error(&e), "服务出了点问题：请稍后再试。");
        let e = ErrorBody::new(ErrorCode::BadCredentials, "wrong number or password");
        assert_eq!(Lang::Zh.error(&e), "号码或密码不正确。");
        assert_eq!(sentence(""), "");
        assert_eq!(sentence("done."), "Done.");
    }

    #[test]
    fn every_error_code_has_words_in_both_languages() {
        // covers #8 §6 error codes: a Chinese member never reads only the relay's English
        for code in crate::codec::ERROR_CODES {
            let e = ErrorBody::new(code, "the relay's English message");
            let en = Lang::En.error(&e);
            let own_words = code == ErrorCode::PairingCodeInvalid;
            assert!(
                own_words || en.starts_with("The relay's English message."),
                "{en}"
            );
            let zh = Lang::Zh.error(&e);
            assert!(!zh.is_ascii() && !zh.contains("English"), "{code:?}: {zh}");
        }
    }
}
