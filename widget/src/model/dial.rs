//! DIAL on the member's own handset: the number box and keypad (DIAL-4), the dial and its retry
//! after a reconnect (DIAL-5), the call states the phone reports (DIAL-5, DIAL-6), and pairing a
//! phone from the page (DIAL-1).

use ringlink_protocol::call::{CallEvent, CallState};
use ringlink_protocol::widget::*;

use super::written_number::written;
use super::{Model, Out};
use crate::keypad::{self, Key};

/// The call the panel follows: the latest one by sequence number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallView {
    pub call_id: String,
    pub number: String,
    pub state: CallState,
    pub detail: Option<String>,
}

impl Model {
    /// The call-state line: the state in words, the number, and the phone's detail.
    pub fn call_line(&self) -> Option<String> {
        let call = self.call.as_ref()?;
        let mut line = format!(
            "{} · {}",
            self.lang.call_state(call.state),
            written(&call.number)
        );
        // A decline's detail only repeats what the state already says; the phone writes its
        // details in English, so a Chinese panel says the ones it knows in Chinese and leaves
        // the others out (#9 §5 language).
        let detail = call.detail.as_deref().filter(|d| !d.is_empty());
        let detail = detail.and_then(|d| self.lang.phone_detail(d));
        if let Some(detail) = detail.filter(|_| call.state != CallState::Declined) {
            line.push_str(" (");
            line.push_str(detail);
            line.push(')');
        }
        Some(line)
    }

    pub fn dial_pending(&self) -> bool {
        self.dial_in_flight.is_some()
    }

    /// A keypad key was pressed (DIAL-4).
    pub fn press(&mut self, key: Key) {
        self.number = keypad::press(&self.number, key);
    }

    /// The visitor asked their phone to dial the number box (DIAL-4, DIAL-5). `client_id` is
    /// fresh for each dial, so a retry after a reconnect never dials twice.
    pub fn dial(&mut self, client_id: String) -> Vec<Out> {
        // The button stays focusable while busy (`aria-disabled`): a second press waits.
        if self.dial_in_flight.is_some() {
            return Vec::new();
        }
        let number = self.number.trim();
        if number.is_empty() {
            self.error = Some(self.lang.text().need_number.to_owned());
            return Vec::new();
        }
        self.error = None;
        // The box shows a picked number as people write it; the relay gets it as the page
        // wrote it (`+86…`), so the relay's default region never has to guess.
        let number = match &self.picked {
            Some(p) if p.shown == number => p.number.as_str(),
            _ => number,
        };
        let dial = Dial {
            number: number.to_owned(),
            device: self.chosen_agent().map(|a| a.device.clone()),
            client_id: Some(client_id),
        };
        self.dial_in_flight = Some(dial.clone());
        vec![Out::Send(WidgetMsg::Dial(dial))]
    }

    /// The visitor typed the code `ringlink-agent pair` showed.
    pub fn pair(&mut self, code: &str) -> Vec<Out> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.is_empty() {
            self.error = Some(self.lang.text().need_code.to_owned());
            return Vec::new();
        }
        self.error = None;
        vec![Out::Send(WidgetMsg::ConfirmPairing(ConfirmPairing {
            code,
        }))]
    }

    /// A dial's acceptance, or a call state the phone reported.
    pub(super) fn dial_frame(&mut self, msg: RelayToWidget, out: &mut Vec<Out>) {
        match msg {
            RelayToWidget::DialAccepted(a) => {
                self.dial_in_flight = None;
                self.note_own_call(&a.call_id);
                let known = self.call.as_ref().is_some_and(|c| c.call_id == a.call_id);
                if !known {
                    let call = CallView {
                        call_id: a.call_id,
                        number: a.number.to_string(),
                        state: CallState::Sent,
                        detail: None,
                    };
                    self.call = Some(call.clone());
                    out.push(Out::CallState(call));
                }
            }
            RelayToWidget::CallState(ev) => {
                if let Some(call) = self.call_event(ev) {
                    out.push(Out::CallState(call));
                }
            }
            _ => {}
        }
    }

    /// Follows a call event unless it was seen already (a resume sends missed events again).
    fn call_event(&mut self, ev: CallEvent) -> Option<CallView> {
        if self.last_seq.is_some_and(|seen| ev.seq <= seen) {
            return None;
        }
        self.last_seq = Some(ev.seq);
        let call = CallView {
            call_id: ev.call_id,
            number: ev.number.to_string(),
            state: ev.state,
            detail: ev.detail,
        };
        // The relay's `sent` repeats what the acceptance already showed.
        if self.call.as_ref() == Some(&call) {
            return None;
        }
        self.call = Some(call.clone());
        Some(call)
    }
}
