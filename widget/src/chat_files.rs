//! The chat's attachments (CHAT, in the `chat` chunk): the composer's labelled file input hands
//! the chosen file to the frame script, which uploads it with the visitor id as bearer; its id
//! goes as a line, and a refusal's reason (type, size) shows under the composer. A received
//! file is a button that fetches it the same way and saves it: a plain link could not carry the
//! bearer, and the relay serves a file only to the conversation's parties.

use leptos::prelude::*;
use ringlink_protocol::chat::AttachmentRef;
use wasm_bindgen::prelude::*;

use crate::app::{frame_call, App};

/// What the relay takes (it checks the content, this only narrows the picker).
const ACCEPT: &str = "image/png,image/jpeg,image/gif,image/webp,application/pdf";

fn visitor(app: App) -> Option<String> {
    app.model
        .with_untracked(|m| m.chat.as_ref().and_then(|c| c.visitor.clone()))
}

/// "Attach": a file input (keyboard reachable, labelled) that sends the file it is given.
pub fn attach(app: App) -> impl IntoView {
    let c = app.lang.chat();
    let chosen = move |ev: leptos::ev::Event| {
        let (Some(input), Some(v)) = (ev.target(), visitor(app)) else {
            return;
        };
        let done = Closure::once_into_js(move |id: JsValue, why: JsValue| {
            let (id, why, seed) = (id.as_string(), why.as_string(), js_sys::Date::now() as u64);
            app.act_with(move |m| m.chat_file(id, why, seed));
        });
        frame_call("attach", &js_sys::Array::of3(&v.into(), &input, &done));
    };
    view! {
        <label class="rl-attach">{c.attach}
            <input type="file" data-rl="chat-file" accept=ACCEPT on:change=chosen/></label>
    }
}

/// A file in a line: its name, which saves it.
pub fn file(app: App, a: &AttachmentRef) -> impl IntoView {
    let (id, name) = (a.id.clone(), a.name.clone());
    let label = a.name.clone();
    let open = move |_| {
        if let Some(v) = visitor(app) {
            let args = js_sys::Array::of3(&v.into(), &id.clone().into(), &name.clone().into());
            frame_call("file", &args);
        }
    };
    view! {
        <button type="button" class="rl-link-btn" data-rl="chat-attachment" on:click=open>
            {label}</button>
    }
}

/// Why the last file was refused, if it was.
pub fn refused(why: Option<String>) -> Option<impl IntoView> {
    why.map(|w| view! { <p class="rl-error" data-rl="chat-file-refused" role="alert">{w}</p> })
}
