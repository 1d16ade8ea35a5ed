//! What the host page hears (#8 §1): `ringlink:call-state` and `ringlink:call-progress` only for
//! calls this panel started, on this page of this site; never the numbers a member dialled through
//! another merchant (the relay pushes all of a member's calls to each of their panels).

use super::Model;

/// Calls started here that the page may still hear about. A visitor starts a few per visit; the
/// oldest are forgotten past this, so the list cannot grow.
pub const MAX_OWN_CALLS: usize = 16;

impl Model {
    /// A dial or "call me" this panel asked for was accepted as `call_id`.
    pub(super) fn note_own_call(&mut self, call_id: &str) {
        if self.own_calls.iter().any(|c| c == call_id) {
            return;
        }
        if self.own_calls.len() >= MAX_OWN_CALLS {
            self.own_calls.remove(0);
        }
        self.own_calls.push(call_id.to_owned());
    }

    /// True when this panel started the call, so the host page may be told about it.
    pub fn started_here(&self, call_id: &str) -> bool {
        self.own_calls.iter().any(|c| c == call_id)
    }
}

#[cfg(test)]
mod tests {
    use ringlink_protocol::call::{CallEvent, CallState};
    use ringlink_protocol::widget::*;
    use ringlink_protocol::E164;

    use crate::i18n::Lang;
    use crate::model::{Asked, Model};

    #[test]
    fn only_calls_started_here_reach_the_host_page() {
        // covers #8 §1 host-page events: a call the member placed through another merchant
        // (pushed to this panel too) is not told to this page
        let mut m = Model::new(Lang::En, None);
        m.frame(
            Some(Asked::Dial),
            RelayToWidget::DialAccepted(DialAccepted {
                call_id: "mine".into(),
                number: E164::new("+861065529988").unwrap(),
                device: "dev-1".into(),
            }),
        );
        let elsewhere = CallEvent {
            seq: 1,
            call_id: "theirs".into(),
            number: E164::new("+8613900139000").unwrap(),
            state: CallState::Active,
            detail: None,
            device: "dev-1".into(),
            at: 0,
        };
        m.frame(None, RelayToWidget::CallState(elsewhere));
        assert!(m.started_here("mine"));
        assert!(!m.started_here("theirs"));
        for i in 0..40 {
            m.note_own_call(&format!("c{i}"));
        }
        assert_eq!(m.own_calls.len(), super::MAX_OWN_CALLS, "bounded");
        assert!(m.started_here("c39") && !m.started_here("mine"));
    }
}
