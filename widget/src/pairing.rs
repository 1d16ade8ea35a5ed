//! No phone connected (DIAL-3): the "pair a phone" box, where the member types the code that
//! `ringlink-agent pair` printed on the handset (DIAL-1).

use leptos::ev::SubmitEvent;
use leptos::html::Input;
use leptos::prelude::*;

use crate::app::App;
use crate::model::Action;

pub fn form(app: App) -> impl IntoView {
    let t = app.t();
    let code: NodeRef<Input> = NodeRef::new();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let Some(input) = code.get() {
            app.act(Action::Pair(input.value()));
            input.set_value("");
        }
    };
    view! {
        <form class="rl-form rl-pair" on:submit=submit>
            <h3>{t.pair_heading}</h3>
            <label class="rl-field">
                <span>{t.pair_label}</span>
                <input data-rl="pair-code" autocomplete="one-time-code" autocapitalize="characters"
                    spellcheck="false" node_ref=code/>
            </label>
            <button type="submit" data-rl="pair-submit">{t.pair_submit}</button>
        </form>
    }
}
