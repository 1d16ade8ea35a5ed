//! CALL, "call me now" (CALL-3 to CALL-7): the offer behind a merchant's call button and who
//! pays, the confirm-or-change callback box and the SMS code a new number needs, placing the
//! two-leg call (sent again with the same client id after a reconnect), its live progress and
//! running cost, hanging up, and each refusal in words.

use ringlink_protocol::call_me::*;
use ringlink_protocol::widget::{RelayToWidget, WidgetMsg};
use ringlink_protocol::{ErrorBody, ErrorCode};

use super::written_number::written;
use super::{Asked, Model, Out, Session};
use crate::i18n::fill;

/// A two-leg call the panel follows: the one the member placed here, or one a push told of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TwoLegCall {
    pub call_id: String,
    /// The button's label ("Sales"), empty when unknown.
    pub label: String,
    pub payer: PayerKind,
    /// ISO 4217 code of `cost`.
    pub currency: String,
    pub stage: CallStage,
    /// Seconds connected: from the latest push, then counted on locally each second.
    pub seconds: u64,
    /// Charge so far in minor units, from the latest push.
    pub cost: Option<i64>,
    pub ends_in: Option<u64>,
    pub reason: Option<CallEndReason>,
}

impl TwoLegCall {
    pub fn live(&self) -> bool {
        !self.stage.is_final()
    }
}

/// What the "call me" screen shows below the offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The offer is on its way.
    Loading,
    /// No offer: it was refused (the alert says why). "Try again" and "leave".
    NoOffer,
    /// The box holds a verified number: "Call me now" (CALL-3).
    Confirm,
    /// The box holds a number not verified yet: "Send code".
    NeedCode,
    /// A code went to the number in the box: the code box and "Confirm number".
    EnterCode,
    /// "Call me now" sent, not answered yet.
    Placing,
    /// A call is live: its progress and "Hang up".
    Live,
}

/// The "call me" flow for one merchant button.
#[derive(Clone, Debug, PartialEq)]
pub struct CallMeFlow {
    /// The key the page named (`data-ringlink-call="sales"`).
    pub button: String,
    pub offer: Option<CallOffer>,
    /// The callback box, pre-filled with the number on file (CALL-3).
    pub callback: String,
    /// Where the last code went (as the relay read the number) and how long it works.
    pub code_sent: Option<CodeSent>,
    /// The CALL request on its way, other than "call me now".
    pub busy: Option<Asked>,
    /// "Call me now" sent and not answered; sent again (same client id) after a reconnect.
    placing: Option<CallMe>,
    /// The box text the relay refused as not verified: a code is needed until it changes.
    refused_number: Option<String>,
    /// The call: live, or the last one, ended.
    pub call: Option<TwoLegCall>,
}

impl CallMeFlow {
    pub fn new(button: String) -> Self {
        Self {
            button,
            offer: None,
            callback: String::new(),
            code_sent: None,
            busy: None,
            placing: None,
            refused_number: None,
            call: None,
        }
    }

    pub fn live(&self) -> bool {
        self.call.as_ref().is_some_and(TwoLegCall::live)
    }

    /// The box holds one of the member's verified numbers (and the relay has not said otherwise).
    pub fn verified(&self) -> bool {
        let typed = self.callback.trim();
        self.refused_number.as_deref() != Some(typed)
            && self.offer.as_ref().is_some_and(|o| {
                o.verified
                    .iter()
                    .chain(Some(&o.callback).filter(|_| o.verified.is_empty()))
                    .any(|v| same_number(typed, v.as_str()))
            })
    }

    pub fn step(&self) -> Step {
        if self.placing.is_some() {
            return Step::Placing;
        }
        if self.live() {
            return Step::Live;
        }
        if self.offer.is_none() {
            return if self.busy == Some(Asked::CallOptions) {
                Step::Loading
            } else {
                Step::NoOffer
            };
        }
        if self.verified() {
            return Step::Confirm;
        }
        let sent_here = self
            .code_sent
            .as_ref()
            .is_some_and(|c| same_number(&self.callback, c.number.as_str()));
        if sent_here {
            Step::EnterCode
        } else {
            Step::NeedCode
        }
    }
}

/// Whether the number typed in the box is `e164`. The relay is the judge (it reads numbers with
/// libphonenumber, too big for the widget); this only decides which button to show. With `+` or
/// `00` the digits must match; a national number (a trunk `0` dropped) must be the end of
/// `e164` after a country code of one to three digits.
pub fn same_number(typed: &str, e164: &str) -> bool {
    let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
    let want = e164.trim_start_matches('+');
    if typed.trim_start().starts_with('+') {
        return digits == want;
    }
    if digits.strip_prefix("00") == Some(want) {
        return true;
    }
    let national = digits.strip_prefix('0').unwrap_or(&digits);
    national.len() >= 6
        && want.len() > national.len()
        && want.len() - national.len() <= 3
        && want.ends_with(national)
}

impl Model {
    /// The step of the "call me" screen; `None` outside it.
    pub fn call_step(&self) -> Option<Step> {
        self.call_me.as_ref().map(CallMeFlow::step)
    }

    /// A merchant's call button was pressed: the panel switches to "call me" for it and, signed
    /// in, asks what the call would be. A call being placed or live stays on screen whatever was
    /// pressed.
    pub fn open_call_button(&mut self, button: String) -> Vec<Out> {
        let busy = |f: &CallMeFlow| f.live() || f.placing.is_some();
        if self.call_me.as_ref().is_some_and(busy) {
            return Vec::new();
        }
        self.error = None;
        self.notice = None;
        self.call_me = Some(CallMeFlow::new(button));
        let mut out = Vec::new();
        if matches!(self.session, Session::SignedIn { .. }) {
            self.ask_offer(&mut out);
        }
        out
    }

    fn ask_offer(&mut self, out: &mut Vec<Out>) {
        let Some(flow) = &mut self.call_me else {
            return;
        };
        flow.busy = Some(Asked::CallOptions);
        out.push(Out::Send(WidgetMsg::CallOptions(CallOptions {
            button: flow.button.clone(),
        })));
    }

    /// Signed in (again): a "call me now" the lost socket never answered goes again with its
    /// client id (the relay answers with the first placement instead of calling twice); the
    /// offer is asked for if it never came; replies lost with the socket unblock the buttons.
    pub(super) fn call_me_resumed(&mut self, out: &mut Vec<Out>) {
        let Some(flow) = &mut self.call_me else {
            return;
        };
        if let Some(msg) = flow.placing.clone() {
            out.push(Out::Send(WidgetMsg::CallMe(msg)));
        }
        let hang_up = flow.busy == Some(Asked::HangUp);
        flow.busy = None;
        match &flow.call {
            Some(call) if hang_up && call.live() => {
                flow.busy = Some(Asked::HangUp);
                out.push(Out::Send(WidgetMsg::HangUp(HangUp {
                    call_id: call.call_id.clone(),
                })));
            }
            _ => {}
        }
        if flow.offer.is_none() && !flow.button.is_empty() {
            self.ask_offer(out);
        }
    }

    pub fn set_callback(&mut self, number: String) {
        if let Some(flow) = &mut self.call_me {
            flow.callback = number;
        }
    }

    /// "Send code" to the number in the box (CALL-3).
    pub fn send_code(&mut self) -> Vec<Out> {
        let c = self.lang.call();
        let Some(flow) = &mut self.call_me else {
            return Vec::new();
        };
        let number = flow.callback.trim().to_owned();
        if flow.busy == Some(Asked::SendCode) {
            return Vec::new();
        }
        if number.is_empty() {
            self.error = Some(c.need_callback.to_owned());
            return Vec::new();
        }
        self.error = None;
        self.notice = None;
        flow.busy = Some(Asked::SendCode);
        let lang = Some(self.lang.code().to_owned());
        vec![Out::Send(WidgetMsg::SendCode(SendCode { number, lang }))]
    }

    /// The code from the SMS, for the number it went to.
    pub fn verify_code(&mut self, code: &str) -> Vec<Out> {
        let c = self.lang.call();
        let Some(flow) = &mut self.call_me else {
            return Vec::new();
        };
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if flow.busy == Some(Asked::VerifyCode) {
            return Vec::new();
        }
        if code.is_empty() {
            self.error = Some(c.need_sms_code.to_owned());
            return Vec::new();
        }
        let number = match &flow.code_sent {
            Some(sent) => sent.number.to_string(),
            None => flow.callback.trim().to_owned(),
        };
        self.error = None;
        flow.busy = Some(Asked::VerifyCode);
        vec![Out::Send(WidgetMsg::VerifyCode(VerifyCode {
            number,
            code,
        }))]
    }

    /// "Call me now" (CALL-5): the relay calls the number in the box, then the merchant.
    /// `client_id` is fresh for each attempt, so a retry after a reconnect never calls twice.
    pub fn place_call(&mut self, client_id: String) -> Vec<Out> {
        let c = self.lang.call();
        let Some(flow) = &mut self.call_me else {
            return Vec::new();
        };
        if flow.offer.is_none() || flow.live() || flow.placing.is_some() {
            return Vec::new();
        }
        let callback = flow.callback.trim().to_owned();
        if callback.is_empty() {
            self.error = Some(c.need_callback.to_owned());
            return Vec::new();
        }
        if !flow.verified() {
            self.error = Some(c.needs_code.to_owned());
            return Vec::new();
        }
        self.error = None;
        self.notice = None;
        // The box shows the number as people write it; the relay gets the verified E.164 it
        // matches, so its own default region never has to guess.
        let known = flow.offer.as_ref().and_then(|o| {
            o.verified
                .iter()
                .chain(Some(&o.callback))
                .find(|v| same_number(&callback, v.as_str()))
        });
        let callback = known.map_or(callback, |v| v.to_string());
        let msg = CallMe {
            button: flow.button.clone(),
            callback,
            client_id: Some(client_id),
            lang: Some(self.lang.code().to_owned()),
        };
        flow.placing = Some(msg.clone());
        flow.call = None;
        vec![Out::Send(WidgetMsg::CallMe(msg))]
    }

    pub fn hang_up(&mut self) -> Vec<Out> {
        let Some(flow) = &mut self.call_me else {
            return Vec::new();
        };
        match &flow.call {
            Some(call) if call.live() && flow.busy != Some(Asked::HangUp) => {
                flow.busy = Some(Asked::HangUp);
                vec![Out::Send(WidgetMsg::HangUp(HangUp {
                    call_id: call.call_id.clone(),
                }))]
            }
            _ => Vec::new(),
        }
    }

    /// Back to the dialer; not while a call is live or being placed.
    pub fn leave_call_me(&mut self) {
        if self
            .call_me
            .as_ref()
            .is_some_and(|f| f.live() || f.placing.is_some())
        {
            return;
        }
        self.call_me = None;
        self.error = None;
        self.notice = None;
    }

    /// One second on a connected call: the clock moves on until the next push says exactly.
    pub fn tick(&mut self) {
        let call = self.call_me.as_mut().and_then(|f| f.call.as_mut());
        if let Some(call) = call {
            if matches!(call.stage, CallStage::Connected | CallStage::CreditLow) {
                call.seconds += 1;
            }
        }
    }

    /// The clock is running: the app ticks once a second only then.
    pub fn ticking(&self) -> bool {
        let call = self.call_me.as_ref().and_then(|f| f.call.as_ref());
        call.is_some_and(|c| matches!(c.stage, CallStage::Connected | CallStage::CreditLow))
    }

    /// The CALL replies and pushes.
    pub(super) fn call_me_frame(&mut self, msg: RelayToWidget, out: &mut Vec<Out>) {
        if let RelayToWidget::CallProgress(p) = msg {
            return self.progress(p, out);
        }
        if let RelayToWidget::CallPlaced(placed) = &msg {
            self.note_own_call(&placed.call_id);
        }
        let c = self.lang.call();
        let Some(flow) = &mut self.call_me else {
            return;
        };
        match msg {
            // The offer for this button (the first one whatever the relay calls the button).
            RelayToWidget::CallOffer(offer)
                if offer.button == flow.button || flow.offer.is_none() =>
            {
                flow.busy = None;
                flow.callback = written(offer.callback.as_str());
                flow.offer = Some(offer);
            }
            RelayToWidget::CodeSent(sent) => {
                flow.busy = None;
                let mut notice = fill(c.code_sent, &written(sent.number.as_str()));
                if sent.expires_in >= 60 {
                    notice.push_str(&fill(c.code_valid, &(sent.expires_in / 60).to_string()));
                }
                self.notice = Some(notice);
                flow.code_sent = Some(sent);
            }
            RelayToWidget::NumberVerified(v) => {
                flow.busy = None;
                flow.code_sent = None;
                flow.refused_number = None;
                self.error = None;
                self.notice = Some(fill(c.verified, &written(v.number.as_str())));
                flow.callback = written(v.number.as_str());
                if let Some(offer) = &mut flow.offer {
                    if !offer.verified.contains(&v.number) {
                        offer.verified.push(v.number);
                    }
                }
            }
            RelayToWidget::CallPlaced(placed) => {
                flow.placing = None;
                let known = flow
                    .call
                    .as_ref()
                    .is_some_and(|c| c.call_id == placed.call_id);
                if !known {
                    flow.call = Some(TwoLegCall {
                        call_id: placed.call_id,
                        label: placed.label,
                        payer: placed.payer,
                        currency: flow
                            .offer
                            .as_ref()
                            .map(|o| o.currency.clone())
                            .unwrap_or_default(),
                        stage: CallStage::CallingYou,
                        seconds: 0,
                        cost: None,
                        ends_in: None,
                        reason: None,
                    });
                }
            }
            RelayToWidget::HungUp(_) => flow.busy = None,
            _ => {}
        }
    }

    /// A progress push: followed once, in order, by the sequence it shares with call states.
    fn progress(&mut self, p: CallProgress, out: &mut Vec<Out>) {
        if self.last_seq.is_some_and(|seen| p.seq <= seen) {
            return;
        }
        self.last_seq = Some(p.seq);
        let known = |f: &CallMeFlow| f.call.as_ref().is_some_and(|c| c.call_id == p.call_id);
        let ours = self.call_me.as_ref().is_some_and(known);
        let placing = self.call_me.as_ref().is_some_and(|f| f.placing.is_some());
        // A call this panel did not place (another tab, a reload) is followed while it is live.
        if !ours && !placing && p.stage.is_final() {
            return;
        }
        let flow = self
            .call_me
            .get_or_insert_with(|| CallMeFlow::new(String::new()));
        if !ours {
            let offer = flow.offer.as_ref();
            flow.call = Some(TwoLegCall {
                call_id: p.call_id.clone(),
                label: offer.map(|o| o.label.clone()).unwrap_or_default(),
                payer: offer.map_or(PayerKind::Member, |o| o.payer),
                currency: offer.map(|o| o.currency.clone()).unwrap_or_default(),
                stage: p.stage,
                seconds: 0,
                cost: None,
                ends_in: None,
                reason: None,
            });
        }
        let Some(call) = &mut flow.call else {
            return;
        };
        call.stage = p.stage;
        if let Some(s) = p.seconds {
            call.seconds = s;
        }
        if p.cost.is_some() {
            call.cost = p.cost;
        }
        call.ends_in = p.ends_in;
        call.reason = p.reason;
        if p.stage.is_final() && flow.busy == Some(Asked::HangUp) {
            flow.busy = None;
        }
        out.push(Out::CallProgress(call.clone()));
    }

    /// A CALL request was refused; the alert region says why (see `Lang::error`).
    pub(super) fn call_me_refused(&mut self, asked: Asked, e: &ErrorBody) {
        let Some(flow) = &mut self.call_me else {
            return;
        };
        if flow.busy == Some(asked) {
            flow.busy = None;
        }
        match asked {
            Asked::CallMe => {
                flow.placing = None;
                if e.code == ErrorCode::NumberNotVerified {
                    flow.refused_number = Some(flow.callback.trim().to_owned());
                }
            }
            // Asking again cannot help: "Try again" goes away.
            Asked::CallOptions if e.code == ErrorCode::UnknownButton => flow.button.clear(),
            Asked::HangUp if e.code == ErrorCode::UnknownCall => {
                if let Some(call) = &mut flow.call {
                    call.stage = CallStage::Ended;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
#[path = "call_me_tests.rs"]
mod tests;
