//! The number the visitor picked on the page and what the panel offers for it (#9 §3, §4): it
//! stays on screen, written as people write it, with a native `tel:` link one tap away; when
//! no phone is connected, "call me now" through the merchant's button for that number (or the
//! page's default button). Also the member's choice to let the widget take over `tel:` links on
//! a phone, and the rule that a finished call's box goes when a new action starts (§5).

use super::{Model, Session};
use crate::model::written_number::{tel_href, written};

/// The number picked on the page, as the panel shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picked {
    /// As the page wrote it (`+86 10 6552 9988`, `tel:` link digits): what a dial sends.
    pub number: String,
    /// As people write it (`010 6552 9988`), also in the number box.
    pub shown: String,
    /// The native link (`tel:+861065529988`).
    pub href: String,
    /// The merchant's "call me now" button for it (`data-ringlink-button`, else the page's
    /// `data-call` default); empty when there is none.
    pub button: String,
}

impl Model {
    /// A number clicked on the page (a `tel:` link, `data-ringlink-dial`, `push(['dial', …])`)
    /// fills the number box and stays shown; `button` is the call button for it, if any.
    pub fn pick(&mut self, number: &str, button: &str) {
        let number = number.trim();
        self.error = None;
        self.new_action();
        if number.is_empty() {
            self.number.clear();
            self.picked = None;
            return;
        }
        self.number = written(number);
        let own = self
            .page_numbers
            .iter()
            .find(|p| same_digits(&p.number, number))
            .map(|p| p.button.trim())
            .filter(|b| !b.is_empty());
        self.picked = Some(Picked {
            number: number.to_owned(),
            shown: self.number.clone(),
            href: tel_href(number),
            button: own.unwrap_or(button.trim()).to_owned(),
        });
    }

    /// A new action starts (a dial, a number picked, a call button): the last call's result,
    /// once it is over, is not left on screen to be read as this one's.
    pub fn new_action(&mut self) {
        if self.call.as_ref().is_some_and(|c| c.state.is_final()) {
            self.call = None;
        }
    }

    /// "Call me now" for the picked number: the button to open, when the merchant has one and
    /// the member has no phone to dial from.
    pub fn call_me_offer(&self) -> Option<&str> {
        let picked = self.picked.as_ref()?;
        (!picked.button.is_empty()).then_some(picked.button.as_str())
    }

    /// The finished DIAL call's box is shown only beside the dialer: never inside "call me now".
    pub fn shows_call_box(&self) -> bool {
        self.call_me.is_none()
    }

    /// The member chose, on this phone, to open the shop's `tel:` links in the widget.
    pub fn choose_tel_widget(&mut self, on: bool) {
        self.tel_widget = on;
    }

    /// What the loader may know: signed in and chose the widget for `tel:` links. Nothing else
    /// about the member leaves the frame.
    pub fn takes_tel_links(&self) -> bool {
        self.tel_widget && matches!(self.session, Session::SignedIn { .. })
    }
}

/// Same digits, whatever the spacing: `+86 10 6552 9988` and `+861065529988`.
fn same_digits(a: &str, b: &str) -> bool {
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let (a, b) = (digits(a), digits(b));
    !a.is_empty() && a == b
}
