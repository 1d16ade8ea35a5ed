//! Chinese and English: every string the panel shows, and the choice between them (`data-lang`
//! on the tag, else the browser's language).

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
    /// what to do next; Chinese gets its own words for the codes a member meets.
    pub fn error(self, e: &ErrorBody) -> String {
        if self == Lang::Zh {
            let zh = match e.code {
                ErrorCode::BadCredentials => Some("号码或密码不正确。"),
                ErrorCode::RateLimited => Some("尝试次数过多，请稍后再试。"),
                ErrorCode::TokenExpired | ErrorCode::TokenRevoked => {
                    Some("登录已失效，请重新登录。")
                }
                ErrorCode::NotSignedIn => Some("请先登录。"),
                ErrorCode::AgentNotConnected => Some(ZH.not_connected),
                ErrorCode::InvalidNumber => Some(
                    "无法拨打这个号码：请检查数字，或输入带 + 和国家代码的号码，例如 +86 138 0013 8000。",
                ),
                ErrorCode::PairingCodeInvalid => {
                    Some("配对码无效、已使用或已过期：请重新运行 ringlink-agent pair。")
                }
                _ => None,
            };
            if let Some(text) = zh {
                return text.to_owned();
            }
        }
        sentence(&e.message)
    }
}

/// Puts `value` in place of the template's `{…}` placeholder (`"{name} — ready to dial"`).
/// Splitting on braces keeps the wasm free of the substring-search machinery.
pub fn fill(template: &str, value: &str) -> String {
    match template.split_once('{') {
        Some((head, rest)) => {
            let tail = rest.split_once('}').map_or("", |(_, tail)| tail);
            [head, value, tail].concat()
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

/// The panel's words in one language.
pub struct Text {
    pub title: &'static str,
    pub close: &'static str,
    pub sign_in_intro: &'static str,
    pub number_label: &'static str,
    pub password_label: &'static str,
    pub sign_in: &'static str,
    pub signing_in: &'static str,
    pub need_number_and_password: &'static str,
    pub signed_in_as: &'static str,
    pub sign_out: &'static str,
    pub status_signed_out: &'static str,
    /// DIAL-3, said plainly; the end-to-end test looks for "not connected".
    pub not_connected: &'static str,
    /// `{name}` is the phone's name.
    pub phone_ready: &'static str,
    pub phone_confirms: &'static str,
    pub choose_phone: &'static str,
    pub pair_heading: &'static str,
    pub pair_label: &'static str,
    pub pair_submit: &'static str,
    pub need_code: &'static str,
    /// `{name}` is the paired phone's name.
    pub paired: &'static str,
    pub number_to_call: &'static str,
    pub keypad: &'static str,
    pub backspace: &'static str,
    pub dial: &'static str,
    pub dial_sending: &'static str,
    pub need_number: &'static str,
    pub page_numbers: &'static str,
    /// `{who}` ("Shop front desk, +86 10 6552 9988"): the accessible name of a page-number button.
    pub call_page_number: &'static str,
    pub connecting: &'static str,
    pub reconnecting: &'static str,
    pub refused: &'static str,
    pub lost_sign_in: &'static str,
}

pub static EN: Text = Text {
    title: "Call from your phone",
    close: "Close",
    sign_in_intro: "Sign in to call from your own phone, on your own line.",
    number_label: "Mobile number",
    password_label: "Password",
    sign_in: "Sign in",
    signing_in: "Signing in…",
    need_number_and_password: "Type your mobile number and your password.",
    signed_in_as: "Signed in as",
    sign_out: "Sign out",
    status_signed_out: "Sign in to see your phone.",
    not_connected:
        "Your phone is not connected. Start the Ringlink agent on your phone: ringlink-agent run",
    phone_ready: "{name} — ready to dial",
    phone_confirms: "{name} — asks before dialling",
    choose_phone: "Phone",
    pair_heading: "Pair a phone",
    pair_label: "Code shown by ringlink-agent pair",
    pair_submit: "Pair",
    need_code: "Type the code that ringlink-agent pair shows on your phone.",
    paired: "Paired with {name}. Start it on the phone: ringlink-agent run",
    number_to_call: "Number to call",
    keypad: "Keypad",
    backspace: "Delete last digit",
    dial: "Call from my phone",
    dial_sending: "Sending to your phone…",
    need_number: "Type the number to call, or use the keypad.",
    page_numbers: "Numbers on this page",
    call_page_number: "Call {who}",
    connecting: "Connecting…",
    reconnecting: "Connection lost — reconnecting…",
    refused: "This site is not allowed to use Ringlink (check the site key and allowed origins)",
    lost_sign_in: "The connection dropped while signing in. Please try again.",
};

pub static ZH: Text = Text {
    title: "用您的手机拨打",
    close: "关闭",
    sign_in_intro: "登录后即可用您自己的手机和号码拨打。",
    number_label: "手机号码",
    password_label: "密码",
    sign_in: "登录",
    signing_in: "正在登录…",
    need_number_and_password: "请输入手机号码和密码。",
    signed_in_as: "已登录：",
    sign_out: "退出登录",
    status_signed_out: "登录后查看您的手机。",
    not_connected: "您的手机未连接。请在手机上启动 Ringlink 代理：ringlink-agent run",
    phone_ready: "{name} — 可以拨号",
    phone_confirms: "{name} — 拨号前会询问确认",
    choose_phone: "手机",
    pair_heading: "配对手机",
    pair_label: "ringlink-agent pair 显示的配对码",
    pair_submit: "配对",
    need_code: "请输入手机上 ringlink-agent pair 显示的配对码。",
    paired: "已与 {name} 配对。请在手机上运行：ringlink-agent run",
    number_to_call: "要拨打的号码",
    keypad: "拨号键盘",
    backspace: "删除最后一位",
    dial: "用我的手机拨打",
    dial_sending: "正在发送到您的手机…",
    need_number: "请输入要拨打的号码，或使用拨号键盘。",
    page_numbers: "本页电话",
    call_page_number: "拨打 {who}",
    connecting: "正在连接…",
    reconnecting: "连接已断开，正在重新连接…",
    refused: "此网站不能使用 Ringlink（请检查站点密钥和允许的来源）",
    lost_sign_in: "登录时连接中断，请重试。",
};

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
        assert!(EN.not_connected.ends_with("ringlink-agent run"));
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
        assert_eq!(Lang::Zh.error(&e), "Relay busy: try again.");
        let e = ErrorBody::new(ErrorCode::BadCredentials, "wrong number or password");
        assert_eq!(Lang::Zh.error(&e), "号码或密码不正确。");
        assert_eq!(sentence(""), "");
        assert_eq!(sentence("done."), "Done.");
    }
}
