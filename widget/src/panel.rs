//! The panel shell: title and close button, the relay link and agent status lines (DIAL-3), the
//! screen of the moment, the alert region, the call state, and sign-out. Escape closes it.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use crate::app::App;
use crate::model::{Screen, Session};
use crate::{call_status, dialer, pairing, sign_in};

pub fn panel(app: App) -> impl IntoView {
    move || app.open.get().then(|| body(app))
}

fn body(app: App) -> impl IntoView {
    let t = app.t();
    let m = app.model;
    let on_key = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.stop_propagation();
            app.set_open(false);
        }
    };
    let screen = move || match app.screen.get() {
        Screen::SignIn => sign_in::form(app).into_any(),
        Screen::Waiting => ().into_any(),
        Screen::NoPhone => pairing::form(app).into_any(),
        Screen::Dialer => dialer::dialer(app).into_any(),
    };
    let member = move || {
        m.with(|m| match &m.session {
            Session::SignedIn { member } => Some(member.clone()),
            _ => None,
        })
    };
    let me = move || {
        member().map(|number| {
            view! {
                <p class="rl-me">
                    <span>{t.signed_in_as} " " <b>{number}</b></span>
                    <button type="button" class="rl-link-btn" data-rl="signout"
                        on:click=move |_| app.act(|m| m.sign_out())>{t.sign_out}</button>
                </p>
            }
        })
    };
    view! {
        <section data-rl="panel" class="rl-panel" role="dialog" aria-label=t.title
            lang=app.lang.code() on:keydown=on_key>
            <header class="rl-head">
                <h2>{t.title}</h2>
                <button type="button" class="rl-x" aria-label=t.close
                    on:click=move |_| app.set_open(false)>"×"</button>
            </header>
            <div class="rl-body">
                <p class="rl-conn" role="status">{move || m.with(|m| m.link_line())}</p>
                <p class="rl-agent" data-rl="agent-status"
                    data-state=move || m.with(|m| m.agent_state())>
                    {move || m.with(|m| m.agent_line())}
                </p>
                {screen}
                <p class="rl-error" data-rl="error" role="alert">
                    {move || m.with(|m| m.error.clone())}
                </p>
                <p class="rl-notice" role="status">{move || m.with(|m| m.notice.clone())}</p>
                {call_status::line(app)}
                {me}
            </div>
        </section>
    }
}
