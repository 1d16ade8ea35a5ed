//! The words of the "call me now" flow (CALL-3 to CALL-7) in English and Chinese: the offer and
//! who pays, the callback box and its SMS code, the call's stages and why a call ended.

use ringlink_protocol::call_me::{CallEndReason, CallStage};

use super::Lang;

/// The CALL flow's words in one language. `{…}` marks the one value a template takes.
pub struct CallText {
    /// The panel's title in "call me" mode.
    pub title: &'static str,
    pub sign_in_intro: &'static str,
    pub loading: &'static str,
    /// `{label}`: the button's label ("Sales").
    pub heading: &'static str,
    /// Who the merchant is when no label is known.
    pub merchant: &'static str,
    /// `{rate}`: the per-minute price and connect fee.
    pub pay_member: &'static str,
    pub pay_member_plain: &'static str,
    /// `{amount}` a minute.
    pub per_minute: &'static str,
    /// `{amount}` once, to connect.
    pub connect_fee: &'static str,
    /// Between the per-minute price and the connect fee.
    pub and: &'static str,
    /// `{rate}` of leg B, the merchant's number, when leg A costs something too.
    pub merchant_leg: &'static str,
    /// `{rate}` of leg A, the member's own number (the trunk charges both legs).
    pub member_leg: &'static str,
    /// Between the two legs' prices.
    pub legs_and: &'static str,
    pub pay_merchant: &'static str,
    /// `{name}`: the sponsor.
    pub pay_sponsor: &'static str,
    pub pay_sponsor_plain: &'static str,
    pub callback_label: &'static str,
    pub callback_hint: &'static str,
    /// The box holds a number verified earlier, not the one on file.
    pub verified_hint: &'static str,
    pub need_callback: &'static str,
    pub needs_code: &'static str,
    pub send_code: &'static str,
    pub sending_code: &'static str,
    pub resend_code: &'static str,
    /// `{number}`: where the code went.
    pub code_sent: &'static str,
    /// `{min}`: minutes the code stays valid.
    pub code_valid: &'static str,
    pub code_label: &'static str,
    pub need_sms_code: &'static str,
    pub verify: &'static str,
    pub verifying: &'static str,
    /// `{number}`: the number now verified.
    pub verified: &'static str,
    pub call_me: &'static str,
    pub placing: &'static str,
    pub hang_up: &'static str,
    pub hanging_up: &'static str,
    pub retry: &'static str,
    pub leave: &'static str,
    pub calling_you: &'static str,
    /// `{label}` below.
    pub connecting: &'static str,
    pub ringing: &'static str,
    pub connected: &'static str,
    /// `{n}`: seconds left (CALL-7).
    pub credit_low: &'static str,
    pub ended: &'static str,
    /// After the ended line: `{amount}` charged.
    pub charged: &'static str,
    pub free: &'static str,
    pub nothing_charged: &'static str,
    /// Punctuation between the parts of a line.
    pub colon: &'static str,
    pub comma: &'static str,
    /// Between two sentences.
    pub gap: &'static str,
    /// The call clock's accessible name.
    pub call_time: &'static str,
}

pub static CALL_EN: CallText = CallText {
    title: "Call me now",
    sign_in_intro: "Sign in, and we call your phone, then connect you to the shop.",
    loading: "Looking up this call button…",
    heading: "Call {label}",
    merchant: "the shop",
    pay_member: "You pay {rate}.",
    pay_member_plain: "You pay for this call.",
    per_minute: "{amount}/min",
    connect_fee: "{amount} to connect",
    and: " + ",
    merchant_leg: "{rate} for the shop's line",
    member_leg: "{rate} for your line",
    legs_and: " and ",
    pay_merchant: "Free for you, paid by the merchant.",
    pay_sponsor: "Free, sponsored by {name}.",
    pay_sponsor_plain: "Free for you, paid by a sponsor.",
    callback_label: "Call me on",
    callback_hint: "Your number on file. To be called on another phone, change it: we text that number a code first.",
    verified_hint: "A number you confirmed: we can call you on it.",
    need_callback: "Type the number we should call you on.",
    needs_code: "This number is new: we text it a code to confirm it is yours.",
    send_code: "Send code",
    sending_code: "Sending code…",
    resend_code: "Send a new code",
    code_sent: "Code sent to {number}.",
    code_valid: " It works for {min} min.",
    code_label: "Code from the SMS",
    need_sms_code: "Type the code from the SMS.",
    verify: "Confirm number",
    verifying: "Checking…",
    verified: "Number confirmed: {number}",
    call_me: "Call me now",
    placing: "Placing the call…",
    hang_up: "Hang up",
    hanging_up: "Hanging up…",
    retry: "Try again",
    leave: "Call from my own phone instead",
    calling_you: "Calling your phone…",
    connecting: "Connecting {label}…",
    ringing: "{label} is ringing…",
    connected: "Connected",
    credit_low: "Credit runs out in {n} s",
    ended: "Call ended",
    charged: "charged {amount}",
    free: "free for you",
    nothing_charged: "Nothing was charged.",
    colon: ": ",
    comma: ", ",
    gap: " ",
    call_time: "Call time and cost",
};

pub static CALL_ZH: CallText = CallText {
    title: "立即回拨",
    sign_in_intro: "登录后，我们先拨打您的手机，再为您接通商家。",
    loading: "正在查询通话信息…",
    heading: "呼叫{label}",
    merchant: "商家",
    pay_member: "由您支付：{rate}。",
    pay_member_plain: "通话费用由您支付。",
    per_minute: "{amount}/分钟",
    connect_fee: "接通费 {amount}",
    and: "，",
    merchant_leg: "商家线路 {rate}",
    member_leg: "您的线路 {rate}",
    legs_and: "；",
    pay_merchant: "对您免费，由商家支付。",
    pay_sponsor: "免费，由{name}赞助。",
    pay_sponsor_plain: "对您免费，由赞助方支付。",
    callback_label: "回拨到",
    callback_hint:
        "这是您登记的号码。如需换用其他手机接听，请修改号码：我们会先向新号码发送验证码。",
    verified_hint: "这个号码已验证，可以回拨到它。",
    need_callback: "请输入我们回拨给您的号码。",
    needs_code: "这是新号码：我们会发送短信验证码，确认号码属于您。",
    send_code: "发送验证码",
    sending_code: "正在发送…",
    resend_code: "重新发送验证码",
    code_sent: "验证码已发送到 {number}。",
    code_valid: "{min} 分钟内有效。",
    code_label: "短信验证码",
    need_sms_code: "请输入短信中的验证码。",
    verify: "验证号码",
    verifying: "正在验证…",
    verified: "号码已验证：{number}",
    call_me: "立即给我回电",
    placing: "正在发起呼叫…",
    hang_up: "挂断",
    hanging_up: "正在挂断…",
    retry: "重试",
    leave: "改用我自己的手机拨打",
    calling_you: "正在拨打您的手机…",
    connecting: "正在接通{label}…",
    ringing: "{label}振铃中…",
    connected: "已接通",
    credit_low: "余额将在 {n} 秒后用完",
    ended: "通话已结束",
    charged: "扣费 {amount}",
    free: "您无需付费",
    nothing_charged: "未产生费用。",
    colon: "：",
    comma: "，",
    gap: "",
    call_time: "通话时长和费用",
};

impl Lang {
    pub fn call(self) -> &'static CallText {
        match self {
            Lang::En => &CALL_EN,
            Lang::Zh => &CALL_ZH,
        }
    }

    /// The words for a stage before the call is over; `{label}` where the merchant is named.
    pub fn stage(self, stage: CallStage) -> &'static str {
        let c = self.call();
        match stage {
            CallStage::CallingYou => c.calling_you,
            CallStage::ConnectingMerchant => c.connecting,
            CallStage::MerchantRinging => c.ringing,
            CallStage::Connected => c.connected,
            CallStage::CreditLow => c.credit_low,
            CallStage::Ended => c.ended,
        }
    }

    /// Why a call ended, in words (`{label}` where the merchant is named); `None` for an
    /// ordinary hang-up, said as "Call ended". Exhaustive: a reason added to the protocol does
    /// not compile here until it has words in both languages.
    pub fn end_reason(self, reason: CallEndReason) -> Option<&'static str> {
        use CallEndReason::*;
        let en = self == Lang::En;
        let pick = |e: &'static str, z: &'static str| Some(if en { e } else { z });
        match reason {
            MemberHungUp | MerchantHungUp => None,
            MerchantBusy => pick(
                "{label} is busy. Try again in a few minutes.",
                "{label}正忙，请几分钟后再试。",
            ),
            MerchantNoAnswer => pick(
                "{label} did not answer. Try again later.",
                "{label}无人接听，请稍后再试。",
            ),
            MerchantRejected => pick(
                "{label} could not take the call. Try again later.",
                "{label}暂时无法接听，请稍后再试。",
            ),
            MemberNoAnswer => pick(
                "You did not answer the call to your phone. Try again when you can answer.",
                "您没有接听我们打给您的电话。方便接听时请重试。",
            ),
            MemberBusy => pick(
                "Your phone was busy. End the other call and try again.",
                "您的手机正忙。请结束其他通话后重试。",
            ),
            MemberRejected => pick(
                "You declined the call to your phone.",
                "您拒接了我们打给您的电话。",
            ),
            CreditExhausted => pick("Your credit ran out.", "您的余额已用完。"),
            MaxDuration => pick("The call reached its time limit.", "通话已达到时长上限。"),
            Cancelled => pick("The call was cancelled.", "呼叫已取消。"),
            RelayShutdown => pick(
                "The service restarted and ended the call. Please call again.",
                "服务重启，通话已结束。请重新呼叫。",
            ),
            TrunkAuthFailed => pick(
                "The call service could not reach the phone network. Try again later, or call the shop's number directly.",
                "回拨服务暂时无法接入电话网络。请稍后再试，或直接拨打商家电话。",
            ),
            Failed => pick(
                "The call could not be connected. Try again later.",
                "呼叫未能接通，请稍后再试。",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_and_reason_has_words_in_both_languages() {
        // covers CALL-6: the member is told where the call is and why it ended
        // covers #8 §6 end reasons: every protocol end reason has words in both languages
        use CallStage::*;
        for lang in [Lang::En, Lang::Zh] {
            for stage in [
                CallingYou,
                ConnectingMerchant,
                MerchantRinging,
                Connected,
                CreditLow,
                Ended,
            ] {
                assert!(!lang.stage(stage).is_empty());
            }
            for reason in CallEndReason::ALL {
                let words = lang.end_reason(reason);
                assert_eq!(words.is_none(), reason.is_hang_up(), "{lang:?} {reason:?}");
                assert!(words.is_none_or(|w| !w.is_empty()), "{lang:?} {reason:?}");
            }
        }
        // The reason the relay sends at a restart is told as a restart (it read as a failure
        // while the widget looked for `shutdown`).
        assert!(Lang::En
            .end_reason(CallEndReason::RelayShutdown)
            .unwrap()
            .contains("restarted"));
        assert_ne!(
            Lang::Zh.end_reason(CallEndReason::RelayShutdown),
            Lang::Zh.end_reason(CallEndReason::Failed)
        );
        // Chinese words are Chinese, not the English ones copied.
        for reason in CallEndReason::ALL.into_iter().filter(|r| !r.is_hang_up()) {
            let zh = Lang::Zh.end_reason(reason).unwrap_or_default();
            assert!(!zh.is_ascii(), "{reason:?}: {zh}");
        }
        assert!(Lang::En
            .end_reason(CallEndReason::MerchantBusy)
            .unwrap()
            .contains("busy"));
        assert!(Lang::Zh
            .end_reason(CallEndReason::CreditExhausted)
            .unwrap()
            .contains("余额"));
    }
}
