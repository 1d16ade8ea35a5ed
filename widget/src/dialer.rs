//! The dialer (DIAL-4), shown only while a phone is connected: which phone, the number box, the
//! virtual keypad and "Call from my phone"; and the page's marked numbers as call buttons. With
//! `no_phone` and `call_status`, the DIAL panel's chunk (`panel_loader`).

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::app::{client_id, App};
use crate::i18n::fill;
use crate::keypad::{Key, KEYS};
use crate::model::written_number::written;
use crate::model::{Action, Model, Screen};
use crate::no_phone;

/// The DIAL panel's screen: the dialer, or "no phone" with pairing.
pub fn screen(app: App, m: &Model) -> AnyView {
    match m.screen() {
        Screen::Dialer => dialer(app, m).into_any(),
        Screen::NoPhone => no_phone::screen(app, m).into_any(),
        _ => ().into_any(),
    }
}

/// Under the alerts, beside the dialer: the page's numbers.
pub fn bottom(app: App, m: &Model) -> AnyView {
    match page_numbers(app, m) {
        Some(v) if m.screen() == Screen::Dialer => v.into_any(),
        _ => ().into_any(),
    }
}

fn dialer(app: App, m: &Model) -> impl IntoView {
    let t = app.t();
    let pending = m.dial_pending();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        app.act(Action::Dial {
            client_id: client_id(),
        });
    };
    let keys = KEYS.map(|k| {
        view! {
            <button type="button" class="rl-key" data-rl=k.hook() aria-label=k.spoken()
                on:click=move |_| app.act(Action::Press(k))>
                {k.label()}<small aria-hidden="true">{k.letters()}</small>
            </button>
        }
    });
    view! {
        {phones(app, m)}
        <form class="rl-form rl-dialer" on:submit=submit>
            <label class="rl-field">
                <span>{t.number_to_call}</span>
                <span class="rl-row">
                    <input data-rl="number" type="tel" inputmode="tel" autocomplete="off"
                        prop:value=m.number.clone()
                        on:input=move |ev| app.act(Action::SetNumber(event_target_value(&ev)))/>
                    <button type="button" class="rl-back" data-rl="key-back"
                        aria-label=t.backspace title=t.backspace
                        on:click=move |_| app.act(Action::Press(Key::Back))>"⌫"</button>
                </span>
            </label>
            <div class="rl-keys" role="group" aria-label=t.keypad>{keys}</div>
            <button type="submit" class="rl-primary rl-dial" data-rl="dial"
                aria-disabled=pending>
                {if pending { t.dial_sending } else { t.dial }}
            </button>
        </form>
    }
}

/// A choice of phone when the member has more than one connected.
fn phones(app: App, m: &Model) -> Option<impl IntoView> {
    if m.agents.len() < 2 {
        return None;
    }
    let chosen = m.chosen_agent().map(|a| a.device.clone());
    let options = m
        .agents
        .iter()
        .map(|a| {
            let selected = chosen.as_deref() == Some(a.device.as_str());
            view! { <option value=a.device.clone() selected=selected>{a.name.clone()}</option> }
        })
        .collect_view();
    Some(view! {
        <label class="rl-field">
            <span>{app.t().choose_phone}</span>
            <select on:change=move |ev| app.act(Action::ChooseDevice(event_target_value(&ev)))>
                {options}
            </select>
        </label>
    })
}

/// The numbers marked on the page: one click dials (DIAL-4, "clicks a call button").
fn page_numbers(app: App, m: &Model) -> Option<impl IntoView> {
    if m.page_numbers.is_empty() {
        return None;
    }
    let t = app.t();
    let buttons = m
        .page_numbers
        .iter()
        .map(|p| {
            // A label that only repeats the number is shown once.
            let label = (!p.label.is_empty() && p.label != p.number).then(|| p.label.clone());
            let shown = written(&p.number);
            let who = match &label {
                Some(l) => format!("{l}, {shown}"),
                None => shown.clone(),
            };
            let number = p.number.clone();
            let dial = move |_| {
                app.act(Action::DialPageNumber {
                    number: number.clone(),
                    client_id: client_id(),
                })
            };
            view! {
                <li>
                    <button type="button" class="rl-page-btn" data-rl="page-number"
                        aria-label=fill(t.call_page_number, &who) on:click=dial>
                        {label.map(|l| view! { <span>{l}</span> })}<b>{shown}</b>
                    </button>
                </li>
            }
        })
        .collect_view();
    Some(view! {
        <section class="rl-page">
            <h3>{t.page_numbers}</h3>
            <ul>{buttons}</ul>
        </section>
    })
}
