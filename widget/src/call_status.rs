//! The live state of the current call (DIAL-5, DIAL-6), in words, in a polite live region.

use leptos::prelude::*;

use crate::app::App;
use crate::model::Model;

/// At the top of the body, wherever a DIAL call's box is shown.
pub fn top(_: App, m: &Model) -> AnyView {
    if m.shows_call_box() {
        line(m).into_any()
    } else {
        ().into_any()
    }
}

fn line(m: &Model) -> impl IntoView {
    let state = m.call.as_ref().map_or("idle", |c| c.state.as_str());
    view! {
        <p class="rl-call" data-rl="call-state" data-state=state role="status" aria-live="polite">
            {m.call_line()}
        </p>
    }
}
