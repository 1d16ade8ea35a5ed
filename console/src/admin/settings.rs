//! The site's chat settings (`GET`/`PUT /v1/console/settings`): capacity, grace and no-reply
//! times, the transfer wait, routing, skipping agents on a call, and the "call me back" button
//! chat offers, chosen from the site's call buttons (`/v1/console/calls`). The form edits the
//! relay's own JSON, so a field this console does not know survives a save.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use serde_json::{json, Value};

use crate::app::App;

#[derive(Clone, serde::Deserialize)]
struct Buttons {
    buttons: Vec<ButtonKey>,
}

#[derive(Clone, serde::Deserialize)]
struct ButtonKey {
    key: String,
    label: String,
}

fn num(v: &Value, k: &str) -> String {
    v.get(k).map(|n| n.to_string()).unwrap_or_default()
}

pub fn page(app: App) -> impl IntoView {
    let a = app.lang.get_untracked().admin();
    let data = RwSignal::new(None::<Result<Value, String>>);
    let buttons = RwSignal::new(None::<Result<Buttons, String>>);
    super::load("/v1/console/settings".into(), data);
    super::load("/v1/console/calls".into(), buttons);
    let result = RwSignal::new(None::<Result<(), String>>);
    let form = move |v: Value| {
        let edited = RwSignal::new(v.clone());
        let set = move |k: &'static str, val: Value| edited.update(|e| e[k] = val);
        let int = move |k: &'static str| {
            move |ev: leptos::ev::Event| {
                let s = event_target_value(&ev);
                // A figure that does not read goes as typed: the relay says what is wrong.
                let val = s.trim().parse::<i64>().map(Value::from).unwrap_or(json!(s));
                set(k, val);
            }
        };
        let submit = move |ev: SubmitEvent| {
            ev.prevent_default();
            let body = edited.get_untracked().to_string();
            leptos::task::spawn_local(async move {
                let done = crate::rest::call("PUT", "/v1/console/settings", Some(body)).await;
                if let Ok(text) = &done {
                    if let Ok(v) = serde_json::from_str::<Value>(text) {
                        edited.set(v);
                    }
                }
                result.set(Some(done.map(|_| ())));
            });
        };
        let chosen = v
            .get("call_button")
            .and_then(|b| b.as_str())
            .unwrap_or_default()
            .to_owned();
        let routing = v
            .get("routing")
            .and_then(|b| b.as_str())
            .unwrap_or("balanced")
            .to_owned();
        let field = move |label: &'static str, hook: &'static str, key: &'static str| {
            view! {
                <label class="c-field"><span>{label}</span>
                    <input data-c=hook type="number" inputmode="numeric" value=num(&v, key)
                        on:input=int(key)/></label>
            }
        };
        view! {
            <form class="c-admin" data-c="settings" on:submit=submit>
                <h2>{a.tab_settings}</h2>
                {field(a.capacity, "set-capacity", "capacity")}
                {field(a.grace, "set-grace", "grace_secs")}
                {field(a.no_reply, "set-no-reply", "no_reply_secs")}
                {field(a.transfer_wait, "set-transfer", "transfer_secs")}
                <label class="c-field"><span>{a.routing}</span>
                    <select data-c="set-routing"
                        on:change=move |ev| set("routing", json!(event_target_value(&ev)))>
                        <option value="balanced" selected={routing == "balanced"}>{a.balanced}</option>
                        <option value="random" selected={routing == "random"}>{a.random}</option>
                    </select></label>
                <label class="c-inline">
                    <input type="checkbox" data-c="set-skip"
                        checked={edited.get_untracked().get("skip_on_call").and_then(|b| b.as_bool()).unwrap_or(true)}
                        on:change=move |ev| set("skip_on_call", json!(event_target_checked(&ev)))/>
                    <span>{a.skip_on_call}</span></label>
                <label class="c-field"><span>{a.call_back_button}</span>
                    <select data-c="set-button" on:change=move |ev| {
                        let k = event_target_value(&ev);
                        set("call_button", if k.is_empty() { Value::Null } else { json!(k) });
                    }>
                        <option value="">{a.none}</option>
                        {move || buttons.get().and_then(Result::ok).map(|b| b.buttons.into_iter().map(|b| {
                            let sel = b.key == chosen;
                            view! { <option value=b.key.clone() selected=sel>{format!("{} ({})", b.label, b.key)}</option> }
                        }).collect_view())}
                    </select></label>
                <button type="submit" class="c-primary" data-c="settings-save">{a.save}</button>
                {move || result.get().map(|r| match r {
                    Ok(()) => view! { <p class="c-info" role="status" data-c="settings-saved">{a.saved}</p> }.into_any(),
                    Err(e) => view! { <p class="c-error" role="alert" data-c="settings-error">{e}</p> }.into_any(),
                })}
            </form>
        }
    };
    super::loaded(app, data, form)
}
