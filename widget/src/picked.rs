//! The number picked on the page, shown on every screen as people write it and one tap away
//! from dialling natively (a real `tel:` link, #9 §3 and §4); and, on a phone, the member's
//! choice to open the shop's `tel:` links in the widget instead of the phone app.

use leptos::prelude::*;

use crate::app::App;
use crate::model::{Action, Model, Session};

pub fn number(app: App, m: &Model) -> Option<impl IntoView> {
    let picked = m.picked.as_ref()?;
    let p = app.lang.phone();
    Some(view! {
        <p class="rl-picked">
            <a class="rl-tel" data-rl="picked-number" href=picked.href.clone()>
                <b>{picked.shown.clone()}</b><span>{p.dial_natively}</span>
            </a>
        </p>
    })
}

/// The `tel:` choice, for a signed-in member on a phone (`on_phone`).
pub fn tel_choice(app: App, m: &Model, on_phone: bool) -> Option<impl IntoView> {
    if !on_phone || !matches!(m.session, Session::SignedIn { .. }) {
        return None;
    }
    let on = m.tel_widget;
    Some(view! {
        <label class="rl-check">
            <input type="checkbox" data-rl="tel-choice" prop:checked=on
                on:change=move |ev| app.act(Action::ChooseTelWidget(event_target_checked(&ev)))/>
            <span>{app.lang.phone().tel_choice}</span>
        </label>
    })
}
