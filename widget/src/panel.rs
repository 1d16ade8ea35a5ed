//! The panel shell: title and close button, then one view of the model: the relay link and
//! agent status lines (DIAL-3), the screen of the moment (sign-in, sign-up or reset, pairing,
//! dialer or "call me"), the alert region, the call state, the page's numbers, the `tel:`
//! choice on a phone and sign-out. Escape closes it. The DIAL and CALL screens come from their
//! panels' chunks (`panel_loader`), fetched the first time they show.

use leptos::either::Either;
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use crate::app::App;
use crate::model::{Action, ChatAction, Model, Screen, Session};
use crate::panel_loader::{placeholder, views};
use crate::panels::wanted;
use crate::{picked, sign_in, sign_up};

pub fn panel(app: App) -> impl IntoView {
    move || app.open.get().then(|| shell(app))
}

fn shell(app: App) -> impl IntoView {
    let t = app.t();
    let on_key = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.stop_propagation();
            app.set_open(false);
        }
    };
    // "Call me now" while a merchant's call button opened the panel, "Chat with us" on chat.
    let title = move || {
        let (call_me, chat) = app.model.with(|m| (m.call_me.is_some(), m.chat_tab));
        if chat {
            app.lang.chat().title
        } else if call_me {
            app.lang.call().title
        } else {
            t.title
        }
    };
    view! {
        <section data-rl="panel" class="rl-panel" role="dialog" aria-label=title
            lang=app.lang.code() on:keydown=on_key>
            // Divs, not <header>: inside the dialog it would be a second banner landmark (axe).
            // The title and the account line stay at the top while the body scrolls: nothing
            // pinned at the bottom covers the panel's buttons.
            <div class="rl-top">
                <div class="rl-head">
                    <h2>{title}</h2>
                    <button type="button" class="rl-x" aria-label=t.close
                        on:click=move |_| app.set_open(false)>"×"</button>
                </div>
                {move || app.model.with(|m| tabs(app, m.chat_tab))}
                {move || app.model.with(|m| account_bar(app, m))}
            </div>
            <div class="rl-body">{move || app.model.with(|m| body(app, m))}</div>
        </section>
    }
}

/// "Call" and "Chat": one bubble, two tabs (#11 "a tab in the same bubble").
fn tabs(app: App, chat: bool) -> impl IntoView {
    let c = app.lang.chat();
    let pick = move |on: bool| move |_| app.act(Action::Chat(ChatAction::Tab(on)));
    view! {
        <div class="rl-tabs" role="group">
            <button type="button" data-rl="tab-call" aria-pressed=(!chat).to_string()
                on:click=pick(false)>{c.tab_call}</button>
            <button type="button" data-rl="tab-chat" aria-pressed=chat.to_string()
                on:click=pick(true)>{c.tab_chat}</button>
        </div>
    }
}

/// Which account is signed in, and "Sign out" (#9 §2, §5): under the title, always in view.
fn account_bar(app: App, m: &Model) -> Option<impl IntoView> {
    let t = app.t();
    match &m.session {
        Session::SignedIn { member } => Some(view! {
            <p class="rl-me">
                {sign_up::account_line(app, member)}
                <button type="button" class="rl-link-btn" data-rl="signout"
                    on:click=move |_| app.act(Action::SignOut)>{t.sign_out}</button>
            </p>
        }),
        _ => None,
    }
}

/// The body for one state of the model. Re-run on every change (and when a panel's chunk
/// arrives) and patched into the DOM.
fn body(app: App, m: &Model) -> impl IntoView {
    let t = app.t();
    if m.chat_tab {
        let chat = match views(app, crate::panels::Panel::Chat) {
            Some(v) => (v.screen)(app, m),
            None => placeholder(app, crate::panels::Panel::Chat),
        };
        return Either::Left(view! {
            <p class="rl-conn" role="status">{m.link_line()}</p>
            {chat}
            <p class="rl-error" data-rl="error" role="alert">{m.error.clone()}</p>
        });
    }
    let screen = m.screen();
    let panel = wanted(m);
    let parts = panel.and_then(|p| views(app, p));
    let main = match screen {
        Screen::SignIn => {
            let intro = if m.call_me.is_some() {
                app.lang.call().sign_in_intro
            } else {
                t.sign_in_intro
            };
            let form = sign_in::form(app, intro, m.signing_in());
            view! { {form} {sign_up::links(app)} }.into_any()
        }
        Screen::Account => match &m.account {
            Some(flow) => sign_up::screen(app, flow).into_any(),
            None => ().into_any(),
        },
        Screen::Waiting => view! { <p class="rl-wait">{t.signing_in}</p> }.into_any(),
        Screen::NoPhone | Screen::Dialer | Screen::CallMe => match (parts, panel) {
            (Some(v), _) => (v.screen)(app, m),
            (None, Some(p)) => placeholder(app, p),
            (None, None) => ().into_any(),
        },
    };
    let top = parts.map(|v| (v.top)(app, m));
    let bottom = parts.map(|v| (v.bottom)(app, m));
    Either::Right(view! {
        <p class="rl-conn" role="status">{m.link_line()}</p>
        <p class="rl-agent" data-rl="agent-status" data-state=m.agent_state()>{m.agent_line()}</p>
        // The call's box sits at the top, where it is seen without scrolling; on the dialer it
        // takes the phone line's place (the stylesheet), so a call starting moves nothing.
        {top}
        {picked::number(app, m)}
        {main}
        <p class="rl-error" data-rl="error" role="alert">{m.error.clone()}</p>
        <p class="rl-notice" role="status">{m.notice.clone()}</p>
        {bottom}
        {picked::tel_choice(app, m, crate::app::on_phone())}
    })
}
