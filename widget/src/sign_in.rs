//! The sign-in form (DIAL-2): mobile number and password, 16px inputs with labels.

use leptos::ev::SubmitEvent;
use leptos::html::Input;
use leptos::prelude::*;

use crate::app::App;
use crate::model::Action;

/// `intro` says what signing in is for; `busy` while the sign-in is on its way.
pub fn form(app: App, intro: &'static str, busy: bool) -> impl IntoView {
    let t = app.t();
    let number: NodeRef<Input> = NodeRef::new();
    let password: NodeRef<Input> = NodeRef::new();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let (Some(n), Some(p)) = (number.get(), password.get()) {
            app.act(Action::SignIn {
                number: n.value(),
                password: p.value(),
            });
        }
    };
    view! {
        <form class="rl-form" on:submit=submit>
            <p class="rl-intro">{intro}</p>
            <label class="rl-field">
                <span>{t.number_label}</span>
                <input data-rl="signin-number" type="tel" inputmode="tel" autocomplete="username"
                    node_ref=number/>
            </label>
            <label class="rl-field">
                <span>{t.password_label}</span>
                <input data-rl="signin-password" type="password"
                    autocomplete="current-password" node_ref=password/>
            </label>
            // aria-disabled, not disabled: a disabled button drops the focus to <body> (#9 §5).
            <button type="submit" class="rl-primary" data-rl="signin-submit" aria-disabled=busy>
                {if busy { t.signing_in } else { t.sign_in }}
            </button>
        </form>
    }
}
