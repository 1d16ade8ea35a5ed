//! The words for a phone that is not connected and for a number picked on the page (#9 §3,
//! §4): the number with its native link, the "call me now" offer, the phone set-up in words (the
//! commands live on the relay's help page), the `tel:` choice on a phone, and the phone's
//! call details said in Chinese.

use super::Lang;

/// These words in one language. `{…}` marks the one value a template takes.
pub struct PhoneText {
    /// After the picked number, inside its `tel:` link.
    pub dial_natively: &'static str,
    /// Above the "call me now" button when no phone is connected.
    pub call_me_offer: &'static str,
    /// Why the phone matters and what setting it up takes, in words.
    pub setup: &'static str,
    /// The link to the relay's `/help/phone` page.
    pub setup_link: &'static str,
    /// The help page's `lang` query value.
    pub help_lang: &'static str,
    /// The `tel:` choice on a phone.
    pub tel_choice: &'static str,
    /// The dry-run agent's detail (`dry run: nothing was dialled`) in this language.
    pub dry_run: &'static str,
    /// A wrong pairing code, without the relay's shell command.
    pub pairing_invalid: &'static str,
    /// While a call runs and someone else pays: no running cost for the member.
    pub paid_by_merchant: &'static str,
    pub paid_by_sponsor: &'static str,
}

pub static PHONE_EN: PhoneText = PhoneText {
    dial_natively: "Call with your phone app",
    call_me_offer: "No phone connected? The shop can call you now and connect you.",
    setup: "To call from your own number here, your phone runs the Ringlink app and is paired \
            with your account: an Android phone (with Termux), a Linux phone, or a modem on a \
            computer.",
    setup_link: "How to set up your phone",
    help_lang: "en",
    tel_choice: "Open this shop's phone numbers here instead of the phone app",
    dry_run: "dry run: nothing was dialled",
    pairing_invalid: "That pairing code is unknown, used or expired. Make a new one on your \
                      phone and type it here.",
    paid_by_merchant: "free for you, the shop pays",
    paid_by_sponsor: "free for you, sponsored",
};

pub static PHONE_ZH: PhoneText = PhoneText {
    dial_natively: "用手机拨号应用拨打",
    call_me_offer: "手机未连接？商家可以立即给您回电并为您接通。",
    setup: "要在这里用您自己的号码拨打，需要在手机上运行 Ringlink 应用并与您的账号配对：\
            安卓手机（使用 Termux）、Linux 手机，或接在电脑上的调制解调器。",
    setup_link: "如何设置您的手机",
    help_lang: "zh",
    tel_choice: "在这里打开本店的电话号码，而不是用手机拨号应用",
    dry_run: "演示模式：未实际拨号",
    pairing_invalid: "配对码无效、已使用或已过期。请在手机上生成新的配对码，然后在这里输入。",
    paid_by_merchant: "您无需付费，由商家支付",
    paid_by_sponsor: "您无需付费，由赞助方支付",
};

/// What the dry-run agent writes as its call detail (`ringlink-agent run --backend dry-run`).
const DRY_RUN_DETAIL: &str = "dry run: nothing was dialled";

impl Lang {
    pub fn phone(self) -> &'static PhoneText {
        match self {
            Lang::En => &PHONE_EN,
            Lang::Zh => &PHONE_ZH,
        }
    }

    /// A call detail the member's phone wrote (in English), in this language: Chinese says
    /// the ones it knows and leaves the rest out rather than show English.
    pub fn phone_detail(self, detail: &str) -> Option<&str> {
        if detail == DRY_RUN_DETAIL {
            return Some(self.phone().dry_run);
        }
        match self {
            Lang::En => Some(detail),
            Lang::Zh => None,
        }
    }
}
