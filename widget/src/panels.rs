//! The panels the widget loads on first use (#11 "The widget's weight"): which one the model
//! needs now, and where its code is in loading. The core module (shell, connection, codec,
//! sign-in) is always there; each panel's views are a wasm chunk of their own, fetched the first
//! time the panel shows (`panel_loader`, split by `wasm-split-cli` in scripts/build-widget.sh).
//! A fetch that fails leaves the panel [`Load::Failed`]: the panel says so and offers "Try
//! again", and the next use (that button, or opening the panel again) fetches it anew.
//!
//! Adding a panel (chat, inbox, pay): a variant here with its place in [`wanted`], one
//! `lazy_panel!` line in `panel_loader.rs`, and one entry in the build script's `chunks` table.

use crate::model::{Model, Screen};

/// One lazily loaded panel: its wasm chunk is `split_<chunk>.wasm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    /// DIAL: the dialer and keypad, "no phone" with pairing, the call's state line.
    Dial,
    /// CALL: "call me now", the callback box, its code and the two-leg call's progress.
    CallMe,
    /// CHAT: the visitor's chat with the shop's agents.
    Chat,
}

impl Panel {
    /// Every panel, in the order of [`Chunks`]' slots.
    pub const ALL: [Panel; 3] = [Panel::Dial, Panel::CallMe, Panel::Chat];

    /// The chunk's name, as the build script's table and `split_<name>.wasm` spell it.
    pub fn chunk(self) -> &'static str {
        match self {
            Panel::Dial => "dial",
            Panel::CallMe => "call_me",
            Panel::Chat => "chat",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }
}

/// The panel the body needs for `m`, if any: the one on screen, the dialer while a call's state
/// is to be shown, or the dialer a sign-in or a resume under way will show next (fetched while
/// the relay answers, so it is there in time).
pub fn wanted(m: &Model) -> Option<Panel> {
    if m.chat_tab {
        return Some(Panel::Chat);
    }
    if m.call_me.is_some() {
        return Some(Panel::CallMe);
    }
    match m.screen() {
        Screen::Dialer | Screen::NoPhone | Screen::Waiting => Some(Panel::Dial),
        _ if m.signing_in() || m.call.is_some() => Some(Panel::Dial),
        _ => None,
    }
}

/// Where one panel's code is.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Load<V> {
    #[default]
    NotYet,
    Loading,
    Ready(V),
    /// The last fetch failed; nothing is fetched again until the next use ([`Chunks::retry`]).
    Failed,
}

/// The load state of every panel, one slot each.
#[derive(Clone, Debug, PartialEq)]
pub struct Chunks<V> {
    slots: [Load<V>; Panel::ALL.len()],
}

impl<V> Default for Chunks<V> {
    fn default() -> Self {
        Chunks {
            slots: std::array::from_fn(|_| Load::NotYet),
        }
    }
}

impl<V: Clone> Chunks<V> {
    pub fn get(&self, p: Panel) -> &Load<V> {
        &self.slots[p.slot()]
    }

    /// Marks `p` as loading and returns true when it should be fetched now (not yet fetched);
    /// false while it is loading, loaded, or failed and not asked for again.
    pub fn begin(&mut self, p: Panel) -> bool {
        let slot = &mut self.slots[p.slot()];
        let start = matches!(slot, Load::NotYet);
        if start {
            *slot = Load::Loading;
        }
        start
    }

    /// The fetch of `p` ended: its views, or `None` when it failed.
    pub fn finish(&mut self, p: Panel, views: Option<V>) {
        self.slots[p.slot()] = views.map_or(Load::Failed, Load::Ready);
    }

    /// Some panel's last fetch failed.
    pub fn failed(&self) -> bool {
        self.slots.iter().any(|s| matches!(s, Load::Failed))
    }

    /// The visitor uses the panel again: a failed panel is fetched on its next showing. True
    /// when one was failed.
    pub fn retry(&mut self) -> bool {
        let mut any = false;
        for slot in &mut self.slots {
            if matches!(slot, Load::Failed) {
                *slot = Load::NotYet;
                any = true;
            }
        }
        any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn a_failed_panel_is_fetched_again_only_on_its_next_use() {
        // covers #11 weight: a chunk that fails to load once is retried, not fatal
        let mut c: Chunks<u8> = Chunks::default();
        assert!(c.begin(Panel::Dial), "first showing fetches");
        assert!(!c.begin(Panel::Dial), "one fetch at a time");
        c.finish(Panel::Dial, None);
        assert_eq!(c.get(Panel::Dial), &Load::Failed);
        assert!(
            !c.begin(Panel::Dial),
            "a re-render does not loop on a failing fetch"
        );
        assert!(c.failed() && c.retry() && !c.failed());
        assert!(c.begin(Panel::Dial), "the next use fetches again");
        c.finish(Panel::Dial, Some(7));
        assert_eq!(c.get(Panel::Dial), &Load::Ready(7));
        assert!(
            !c.retry() && !c.begin(Panel::Dial),
            "a loaded panel stays loaded"
        );
        assert_eq!(c.get(Panel::CallMe), &Load::NotYet, "panels load apart");
    }

    #[test]
    fn the_sign_in_form_needs_no_panel_and_a_resume_fetches_the_dialer() {
        // covers #11 weight: the first open loads the core only
        let signed_out = Model::new(Lang::En, None);
        assert_eq!(wanted(&signed_out), None);
        let resuming = Model::new(Lang::En, Some("token".into()));
        assert_eq!(wanted(&resuming), Some(Panel::Dial));
        assert_eq!(Panel::ALL.map(Panel::chunk), ["dial", "call_me", "chat"]);
    }
}
