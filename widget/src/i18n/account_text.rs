//! The words of sign-up and password reset (#9 §2) in English and Chinese, and the note that
//! says what a Ringlink account is.

use super::Lang;

/// Sign-up and reset words in one language. `{…}` marks the one value a template takes.
pub struct AccountText {
    /// What the account is: one for every shop with the widget; the shop never sees the password.
    pub what_it_is: &'static str,
    pub create_account: &'static str,
    pub forgot_password: &'static str,
    pub sign_up_title: &'static str,
    pub reset_title: &'static str,
    pub sign_up_intro: &'static str,
    pub reset_intro: &'static str,
    pub send_code: &'static str,
    pub sending_code: &'static str,
    /// `{number}`: where the code went.
    pub code_sent: &'static str,
    /// `{min}`: minutes the code stays valid.
    pub code_valid: &'static str,
    pub code_label: &'static str,
    pub new_password_label: &'static str,
    pub name_label: &'static str,
    pub create_submit: &'static str,
    pub reset_submit: &'static str,
    pub working: &'static str,
    pub reset_signs_out: &'static str,
    pub other_number: &'static str,
    pub back_to_sign_in: &'static str,
    pub need_number: &'static str,
    pub need_code: &'static str,
    /// `{n}`: the shortest password.
    pub short_password: &'static str,
    pub welcome: &'static str,
    pub password_changed: &'static str,
    /// The label before the signed-in account's number.
    pub account_label: &'static str,
}

pub static ACCOUNT_EN: AccountText = AccountText {
    what_it_is: "One Ringlink account works on every shop that has this widget. The shop never sees your password.",
    create_account: "Create account",
    forgot_password: "Forgot password?",
    sign_up_title: "Create your Ringlink account",
    reset_title: "Set a new password",
    sign_up_intro: "We send a code by SMS to your mobile number to check it is yours.",
    reset_intro: "We send a code by SMS to your mobile number; with it you choose a new password.",
    send_code: "Send code",
    sending_code: "Sending code…",
    code_sent: "If {number} can receive SMS, a code is on its way.",
    code_valid: "It works for {min} minutes.",
    code_label: "Code from the SMS",
    new_password_label: "New password (at least 8 characters)",
    name_label: "Your name (optional)",
    create_submit: "Create account",
    reset_submit: "Set password and sign in",
    working: "One moment…",
    reset_signs_out: "Your other sessions and phones are signed out.",
    other_number: "Use another number",
    back_to_sign_in: "Back to sign in",
    need_number: "Type your mobile number.",
    need_code: "Type the code from the SMS.",
    short_password: "Choose a password of at least {n} characters.",
    welcome: "Welcome to Ringlink. You are signed in.",
    password_changed: "Your password is changed and you are signed in. Other sessions and phones were signed out.",
    account_label: "Ringlink account",
};

pub static ACCOUNT_ZH: AccountText = AccountText {
    what_it_is: "一个 Ringlink 账号可在所有装有此小工具的网店使用。网店看不到您的密码。",
    create_account: "注册账号",
    forgot_password: "忘记密码？",
    sign_up_title: "注册 Ringlink 账号",
    reset_title: "设置新密码",
    sign_up_intro: "我们会向您的手机号码发送短信验证码，确认号码属于您。",
    reset_intro: "我们会向您的手机号码发送短信验证码，凭验证码设置新密码。",
    send_code: "发送验证码",
    sending_code: "正在发送验证码…",
    code_sent: "如果 {number} 能接收短信，验证码正在发送中。",
    code_valid: "{min} 分钟内有效。",
    code_label: "短信验证码",
    new_password_label: "新密码（至少 8 个字符）",
    name_label: "您的称呼（选填）",
    create_submit: "注册",
    reset_submit: "设置密码并登录",
    working: "请稍候…",
    reset_signs_out: "您在其他设备上的登录和手机都会退出。",
    other_number: "换一个号码",
    back_to_sign_in: "返回登录",
    need_number: "请输入您的手机号码。",
    need_code: "请输入短信中的验证码。",
    short_password: "请设置至少 {n} 个字符的密码。",
    welcome: "欢迎使用 Ringlink，您已登录。",
    password_changed: "密码已更改，您已登录。其他设备上的登录和手机已退出。",
    account_label: "Ringlink 账号",
};

impl Lang {
    pub fn account(self) -> &'static AccountText {
        match self {
            Lang::En => &ACCOUNT_EN,
            Lang::Zh => &ACCOUNT_ZH,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chinese_account_words_have_no_english() {
        // covers #9 §2 say what the account is, in both languages
        let zh = &ACCOUNT_ZH;
        for w in [
            zh.create_account,
            zh.forgot_password,
            zh.code_label,
            zh.welcome,
        ] {
            assert!(!w.is_ascii(), "{w}");
        }
        assert!(zh.what_it_is.contains("看不到您的密码"));
        assert!(ACCOUNT_EN.what_it_is.contains("never sees your password"));
        assert!(ACCOUNT_EN.what_it_is.contains("every shop"));
    }
}
