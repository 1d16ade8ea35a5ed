//! The chat's composer (CHAT, in the `chat` chunk): Enter sends and Shift+Enter starts a new
//! line, but never while an input method is composing (`isComposing`, keyCode 229, or between
//! `compositionstart` and `compositionend`: Enter there picks the candidate). Typing tells the
//! agent (`chat_typing` true), and 3 s without a key, or sending, says it stopped.

use std::cell::Cell;

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::app::App;

/// Quiet this long and the agent's "is typing…" goes away.
const TYPING_IDLE_MS: f64 = 3000.0;

thread_local! {
    /// An input method is composing in the composer.
    static COMPOSING: Cell<bool> = const { Cell::new(false) };
    /// The agent was told the visitor is typing.
    static TYPING: Cell<bool> = const { Cell::new(false) };
    static LAST_KEY: Cell<f64> = const { Cell::new(0.0) };
}

const INPUT: &str = "[data-rl=chat-input]";

pub fn composer(app: App) -> impl IntoView {
    let c = app.lang.chat();
    let on_key = move |ev: KeyboardEvent| {
        let composing = ev.is_composing() || ev.key_code() == 229 || COMPOSING.get();
        if ev.key() == "Enter" && !ev.shift_key() && !composing {
            ev.prevent_default();
            send(app);
        }
    };
    let on_input = move |_| typed(app);
    view! {
        <form class="rl-compose" data-rl="chat-form"
            on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); send(app); }>
            <textarea data-rl="chat-input" rows="2" aria-label=c.placeholder
                placeholder=c.placeholder on:keydown=on_key on:input=on_input
                on:compositionstart=move |_| COMPOSING.set(true)
                on:compositionend=move |_| COMPOSING.set(false)></textarea>
            {crate::chat_files::attach(app)}
            <button type="submit" class="rl-primary" data-rl="chat-send">{c.send}</button>
        </form>
    }
}

fn send(app: App) {
    let text = field_value(INPUT);
    if text.trim().is_empty() {
        return;
    }
    TYPING.set(false);
    set_field(INPUT, "");
    let seed = js_sys::Date::now() as u64;
    app.act_with(move |m| m.chat_say(&text, seed));
}

/// A key in the composer: "typing" once, "stopped" after [`TYPING_IDLE_MS`] of quiet.
fn typed(app: App) {
    LAST_KEY.set(js_sys::Date::now());
    if !TYPING.replace(true) {
        app.act_with(|m| m.chat_typing(true));
        idle_check(app);
    }
}

fn idle_check(app: App) {
    set_timeout(
        move || {
            if !TYPING.get() {
                return;
            }
            if js_sys::Date::now() - LAST_KEY.get() >= TYPING_IDLE_MS - 50.0 {
                TYPING.set(false);
                app.act_with(|m| m.chat_typing(false));
            } else {
                idle_check(app);
            }
        },
        std::time::Duration::from_millis(TYPING_IDLE_MS as u64),
    );
}

fn field(sel: &str) -> Option<JsValue> {
    let doc = web_sys::window()?.document()?;
    Some(doc.query_selector(sel).ok()??.unchecked_into())
}

/// The value of the input or textarea `sel` in the frame document.
pub fn field_value(sel: &str) -> String {
    field(sel)
        .and_then(|el| js_sys::Reflect::get(&el, &"value".into()).ok()?.as_string())
        .unwrap_or_default()
}

pub fn field_checked(sel: &str) -> bool {
    field(sel)
        .and_then(|el| js_sys::Reflect::get(&el, &"checked".into()).ok()?.as_bool())
        .unwrap_or(false)
}

fn set_field(sel: &str, v: &str) {
    if let Some(el) = field(sel) {
        let _ = js_sys::Reflect::set(&el, &"value".into(), &v.into());
    }
}
