//! How the "call me" flow reads: the offer's heading, who pays and the price (CALL-4), the
//! progress in words with the reason a call ended (CALL-6, CALL-7), and the running clock.

use ringlink_protocol::call_me::{CallStage, PayerKind};

use super::{Model, Step, TwoLegCall};
use crate::figures::{clock, money};
use crate::i18n::fill;

impl Model {
    /// The merchant as the panel names it: the button's label, else "the shop".
    fn merchant_label(&self, label: &str) -> String {
        if label.is_empty() {
            self.lang.call().merchant.to_owned()
        } else {
            label.to_owned()
        }
    }

    /// "Call Sales", above the offer.
    pub fn offer_heading(&self) -> Option<String> {
        let offer = self.call_me.as_ref()?.offer.as_ref()?;
        Some(fill(self.lang.call().heading, &offer.label))
    }

    /// Who pays, and the price when the member does (CALL-4), before calling.
    pub fn payer_line(&self) -> Option<String> {
        let offer = self.call_me.as_ref()?.offer.as_ref()?;
        let c = self.lang.call();
        Some(match offer.payer {
            PayerKind::Merchant => c.pay_merchant.to_owned(),
            PayerKind::Sponsor => match &offer.sponsor {
                Some(name) => fill(c.pay_sponsor, name),
                None => c.pay_sponsor_plain.to_owned(),
            },
            PayerKind::Member => {
                let amount = |tpl, minor| fill(tpl, &money(minor, &offer.currency));
                // One leg's price: "¥0.12/min + ¥0.10 to connect" (empty when it has none).
                let leg_rate = |per_minute: Option<i64>, fee: Option<i64>| {
                    let mut rate = String::new();
                    if let Some(m) = per_minute {
                        rate = amount(c.per_minute, m);
                    }
                    if let Some(f) = fee.filter(|f| *f > 0) {
                        if !rate.is_empty() {
                            rate.push_str(c.and);
                        }
                        rate.push_str(&amount(c.connect_fee, f));
                    }
                    rate
                };
                let mut rate = leg_rate(offer.per_minute, offer.connect_fee);
                // Leg A (the member's own line) is named only when it costs something.
                let member_leg = leg_rate(
                    offer.member_per_minute.filter(|m| *m > 0),
                    offer.member_connect_fee,
                );
                if !member_leg.is_empty() {
                    rate = if rate.is_empty() {
                        fill(c.member_leg, &member_leg)
                    } else {
                        let mut both = fill(c.merchant_leg, &rate);
                        both.push_str(c.legs_and);
                        both.push_str(&fill(c.member_leg, &member_leg));
                        both
                    };
                }
                if rate.is_empty() {
                    c.pay_member_plain.to_owned()
                } else {
                    fill(c.pay_member, &rate)
                }
            }
        })
    }

    /// The progress in words (a polite live region): "Sales is ringing…", "Connected", "Credit
    /// runs out in 55 s", "Call ended: 1:05, charged ¥0.24" or why it ended (CALL-6, CALL-7).
    pub fn progress_line(&self) -> Option<String> {
        let flow = self.call_me.as_ref()?;
        let c = self.lang.call();
        if flow.step() == Step::Placing {
            return Some(c.placing.to_owned());
        }
        let call = flow.call.as_ref()?;
        let label = self.merchant_label(&call.label);
        let mut line = match call.stage {
            CallStage::CreditLow => fill(c.credit_low, &call.ends_in.unwrap_or(0).to_string()),
            CallStage::Ended => self.ended_line(call, &label),
            stage => fill(self.lang.stage(stage), &label),
        };
        // "The shop is ringing…" when the label is not known.
        if let Some(first) = line.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        Some(line)
    }

    fn ended_line(&self, call: &TwoLegCall, label: &str) -> String {
        let c = self.lang.call();
        let member_pays = call.payer == PayerKind::Member;
        let words = call.reason.and_then(|r| self.lang.end_reason(r));
        let mut line = words.map(|w| fill(w, label)).unwrap_or_default();
        if call.seconds == 0 {
            if line.is_empty() {
                line.push_str(c.ended);
            } else if member_pays && call.cost.unwrap_or(0) == 0 {
                line.push_str(c.gap);
                line.push_str(c.nothing_charged);
            }
            return line;
        }
        if !line.is_empty() {
            line.push_str(c.gap);
        }
        line.push_str(c.ended);
        line.push_str(c.colon);
        line.push_str(&clock(call.seconds));
        match call.cost.filter(|_| member_pays) {
            Some(cost) if cost > 0 => {
                line.push_str(c.comma);
                line.push_str(&fill(c.charged, &money(cost, &call.currency)));
            }
            _ if !member_pays => {
                line.push_str(c.comma);
                line.push_str(c.free);
            }
            _ => {}
        }
        line
    }

    /// The running clock and charge of a connected call ("0:42 · ¥0.12", or "0:42 · free for
    /// you, the shop pays" when the member does not pay); not a live region,
    /// so a screen reader is not told every second.
    pub fn call_clock(&self) -> Option<String> {
        let call = self.call_me.as_ref()?.call.as_ref()?;
        if !matches!(call.stage, CallStage::Connected | CallStage::CreditLow) {
            return None;
        }
        let mut line = clock(call.seconds);
        let p = self.lang.phone();
        // Someone else pays: said while the call runs, with no running cost (#9 §5 cost).
        let paid = match call.payer {
            PayerKind::Member => call.cost.map(|cost| money(cost, &call.currency)),
            PayerKind::Merchant => Some(p.paid_by_merchant.to_owned()),
            PayerKind::Sponsor => Some(p.paid_by_sponsor.to_owned()),
        };
        if let Some(paid) = paid {
            line.push_str(" · ");
            line.push_str(&paid);
        }
        Some(line)
    }
}
