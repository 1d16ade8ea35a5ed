//! The dialer (DIAL-4), shown only while a phone is connected: which phone, the number box, the
//! virtual keypad, the page's marked numbers and "Call from my phone".

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::app::{client_id, App};
use crate::keypad::{Key, KEYS};

pub fn dialer(app: App) -> impl IntoView {
    let t = app.t();
    let m = app.model;
    let pending = move || m.with(|m| m.dial_pending());
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        app.act(|m| m.dial(client_id()));
    };
    let keys = KEYS
        .iter()
        .map(|&k| {
            view! {
                <button type="button" class="rl-key" data-rl=k.hook() aria-label=k.label()
                    on:click=move |_| m.update(|m| m.press(k))>
                    {k.label()}<small aria-hidden="true">{k.letters()}</small>
                </button>
            }
        })
        .collect_view();
    view! {
        {phones(app)}
        <form class="rl-form rl-dialer" on:submit=submit>
            <label class="rl-field">
                <span>{t.number_to_call}</span>
                <span class="rl-row">
                    <input data-rl="number" type="tel" inputmode="tel" autocomplete="off"
                        prop:value=move || m.with(|m| m.number.clone())
                        on:input=move |ev| {
                            let v = event_target_value(&ev);
                            m.update(|m| m.number = v);
                        }/>
                    <button type="button" class="rl-back" data-rl="key-back"
                        aria-label=t.backspace title=t.backspace
                        on:click=move |_| m.update(|m| m.press(Key::Back))>"⌫"</button>
                </span>
            </label>
            <div class="rl-keys" role="group" aria-label=t.keypad>{keys}</div>
            <button type="submit" class="rl-primary rl-dial" data-rl="dial" disabled=pending>
                {move || if pending() { t.dial_sending } else { t.dial }}
            </button>
        </form>
        {page_numbers(app)}
    }
}

/// A choice of phone when the member has more than one connected.
fn phones(app: App) -> impl IntoView {
    let t = app.t();
    let m = app.model;
    move || {
        let agents = m.with(|m| (m.agents.len() > 1).then(|| m.agents.clone()))?;
        let chosen = m.with(|m| m.chosen_agent().map(|a| a.device.clone()));
        let options = agents
            .into_iter()
            .map(|a| {
                let selected = chosen.as_deref() == Some(a.device.as_str());
                view! { <option value=a.device selected=selected>{a.name}</option> }
            })
            .collect_view();
        Some(view! {
            <label class="rl-field">
                <span>{t.choose_phone}</span>
                <select on:change=move |ev| {
                    let device = event_target_value(&ev);
                    m.update(|m| m.device = Some(device));
                }>{options}</select>
            </label>
        })
    }
}

/// The numbers marked on the page: one click dials (DIAL-4, "clicks a call button").
fn page_numbers(app: App) -> impl IntoView {
    let t = app.t();
    move || {
        let numbers = app.numbers.get();
        (!numbers.is_empty()).then(|| {
            let buttons = numbers
                .into_iter()
                .map(|p| {
                    // A label that only repeats the number is shown once.
                    let label = (!p.label.is_empty() && p.label != p.number).then_some(p.label);
                    let who = match &label {
                        Some(l) => format!("{l}, {}", p.number),
                        None => p.number.clone(),
                    };
                    let name = t.call_page_number.replace("{who}", &who);
                    let number = p.number.clone();
                    let dial = move |_| {
                        let number = number.clone();
                        app.act(move |m| {
                            m.number = number;
                            m.dial(client_id())
                        });
                    };
                    view! {
                        <li>
                            <button type="button" class="rl-page-btn" data-rl="page-number"
                                aria-label=name on:click=dial>
                                <span>{label}</span><b>{p.number}</b>
                            </button>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <section class="rl-page">
                    <h3>{t.page_numbers}</h3>
                    <ul>{buttons}</ul>
                </section>
            }
        })
    }
}
