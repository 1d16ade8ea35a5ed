//! The console's header: the site and my name, my state (normal, busy, offline: CHAT-5), the
//! unread total, the connection's state, the language toggle and sign-out.

use leptos::prelude::*;
use ringlink_protocol::console::AgentState;

use crate::app::App;

pub fn bar(app: App) -> impl IntoView {
    let t = app.t();
    let me = move || app.desk.with(|d| d.me.clone());
    let state = move || me().map_or(AgentState::Offline, |m| m.state);
    let states = [AgentState::Normal, AgentState::Busy, AgentState::Offline];
    view! {
        <header class="c-header">
            <span class="c-site">{move || app.desk.with(|d| d.site_name.clone())}</span>
            <span class="c-me" data-c="me">{move || me().map(|m| m.name).unwrap_or_default()}</span>
            <span class="c-states" role="group" data-c="states" data-state=move || state().as_str()>
                {states.into_iter().map(|s| view! {
                    <button type="button" class="c-state" data-c=format!("state-{}", s.as_str())
                        class:on=move || state() == s
                        aria-pressed=move || (state() == s).to_string()
                        on:click=move |_| app.set_state(s)>{t.state(s)}</button>
                }).collect_view()}
            </span>
            <span class="c-unread" data-c="unread-total">
                {move || app.desk.with(|d| d.unread_total())}" "{t.unread}
            </span>
            {move || (!app.online.get()).then(|| view! {
                <span class="c-warn" role="status" data-c="offline-note">{t.reconnecting}</span>
            })}
            <span class="c-spacer"></span>
            <button type="button" class="c-link" data-c="lang"
                on:click=move |_| app.toggle_lang()>{t.switch_to}</button>
            <button type="button" class="c-link" data-c="sign-out"
                on:click=move |_| app.sign_out()>{t.sign_out}</button>
        </header>
        {move || app.desk.with(|d| d.error.clone()).map(|e| view! {
            <p class="c-error" role="alert" data-c="error">{e}</p>
        })}
        {move || app.info.get().map(|i| view! {
            <p class="c-info" role="status" data-c="info">{i}</p>
        })}
    }
}
