//! The staff sign-in form (CHAT-6): site key (prefilled from `?site=`), account and password.

use leptos::ev::SubmitEvent;
use leptos::html::Input;
use leptos::prelude::*;

use crate::app::App;

pub fn form(app: App) -> impl IntoView {
    let t = app.t();
    let (site, account, password): (NodeRef<Input>, NodeRef<Input>, NodeRef<Input>) =
        (NodeRef::new(), NodeRef::new(), NodeRef::new());
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let (Some(s), Some(a), Some(p)) = (site.get(), account.get(), password.get()) {
            app.sign_in(s.value(), a.value(), p.value());
        }
    };
    view! {
        <main class="c-signin">
            <form class="c-card" on:submit=submit>
                <h1>{t.title}</h1>
                <label class="c-field">
                    <span>{t.site_key}</span>
                    <input data-c="signin-site" autocomplete="organization"
                        prop:value=move || app.site.get() node_ref=site/>
                </label>
                <label class="c-field">
                    <span>{t.account}</span>
                    <input data-c="signin-account" autocomplete="username" node_ref=account/>
                </label>
                <label class="c-field">
                    <span>{t.password}</span>
                    <input data-c="signin-password" type="password"
                        autocomplete="current-password" node_ref=password/>
                </label>
                {move || app.desk.with(|d| d.error.clone()).map(|e| view! {
                    <p class="c-error" role="alert" data-c="error">{e}</p>
                })}
                <button type="submit" class="c-primary" data-c="signin-submit"
                    aria-disabled=move || app.signing_in.get()>
                    {move || if app.signing_in.get() { t.signing_in } else { t.sign_in }}
                </button>
                <button type="button" class="c-link" data-c="lang"
                    on:click=move |_| app.toggle_lang()>{t.switch_to}</button>
                {move || (!app.online.get()).then(|| view! {
                    <p class="c-muted" data-c="offline-note">{t.reconnecting}</p>
                })}
            </form>
        </main>
    }
}
