//! The composer: Enter sends, Shift+Enter is a new line, and nothing is sent while an input
//! method is composing (`isComposing`, keyCode 229: Chinese typing confirms with Enter). An
//! "internal note" toggle for visitor conversations; typing notices go to the other side
//! (never for a note), and stop after three quiet seconds or on send. A canned response picked
//! (`canned_pick`) fills the text box.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use ringlink_protocol::console::*;

use crate::app::App;
use crate::desk::Asked;

const TYPING_QUIET: Duration = Duration::from_secs(3);

fn client_id() -> String {
    format!(
        "c{:x}{:x}",
        js_sys::Date::now() as u64,
        (js_sys::Math::random() * 4_294_967_296.0) as u64
    )
}

pub fn composer(app: App, conversation: String, kind: ConversationKind) -> impl IntoView {
    let t = app.t();
    let text = RwSignal::new(String::new());
    let internal = RwSignal::new(false);
    // A canned response's file, sent with the next line (the relay sends a copy of it).
    let file: crate::canned_pick::PickedFile = RwSignal::new(None);
    // Whether "typing" was told, and a count of keystrokes so only the last one's timer stops it.
    let told = Rc::new(Cell::new(false));
    let strokes = Rc::new(Cell::new(0u32));

    let tell = {
        let (conversation, told) = (conversation.clone(), told.clone());
        Rc::new(move |typing: bool| {
            if told.get() == typing {
                return;
            }
            told.set(typing);
            app.send(
                ConsoleMsg::StaffTyping(StaffTyping {
                    conversation: conversation.clone(),
                    typing,
                }),
                Asked::Other,
            );
        })
    };
    let send = {
        let (conversation, tell) = (conversation.clone(), tell.clone());
        Rc::new(move || {
            let body = text.get_untracked();
            let attachment = file.get_untracked().map(|(id, _)| id);
            if body.trim().is_empty() && attachment.is_none() {
                return;
            }
            app.send(
                ConsoleMsg::StaffSend(StaffSend {
                    conversation: conversation.clone(),
                    text: body,
                    client_id: client_id(),
                    attachment,
                    internal: internal.get_untracked(),
                }),
                Asked::Send {
                    conversation: conversation.clone(),
                },
            );
            text.set(String::new());
            file.set(None);
            tell(false);
        })
    };
    let on_input = {
        let tell = tell.clone();
        move |ev| {
            text.set(event_target_value(&ev));
            if internal.get_untracked() {
                return;
            }
            tell(true);
            let n = strokes.get().wrapping_add(1);
            strokes.set(n);
            let (strokes, tell) = (strokes.clone(), tell.clone());
            set_timeout(
                move || {
                    if strokes.get() == n {
                        tell(false);
                    }
                },
                TYPING_QUIET,
            );
        }
    };
    // A file: uploaded with the console token, then sent as a line; a refusal shows its reason.
    let refused = RwSignal::new(None::<String>);
    let on_file = {
        let conversation = conversation.clone();
        move |ev: leptos::ev::Event| {
            let input: web_sys::HtmlInputElement = event_target(&ev);
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            input.set_value("");
            let conversation = conversation.clone();
            leptos::task::spawn_local(async move {
                match crate::files::upload(file).await {
                    Ok(id) => {
                        refused.set(None);
                        app.send(
                            ConsoleMsg::StaffSend(StaffSend {
                                conversation: conversation.clone(),
                                text: String::new(),
                                client_id: client_id(),
                                attachment: Some(id),
                                internal: internal.get_untracked(),
                            }),
                            Asked::Send { conversation },
                        );
                    }
                    Err(why) => refused.set(Some(why)),
                }
            });
        }
    };
    let on_key = {
        let send = send.clone();
        move |ev: KeyboardEvent| {
            if ev.key() != "Enter" || ev.shift_key() || ev.is_composing() || ev.key_code() == 229 {
                return;
            }
            ev.prevent_default();
            send();
        }
    };
    view! {
        <div class="c-composer" class:c-internal=move || internal.get()>
            <textarea data-c="composer" rows="3" placeholder=t.type_here aria-label=t.type_here
                prop:value=move || text.get() on:input=on_input on:keydown=on_key></textarea>
            {(kind == ConversationKind::Visitor).then(|| view! {
                <label class="c-inline">
                    <input type="checkbox" data-c="internal"
                        prop:checked=move || internal.get()
                        on:change=move |ev| internal.set(event_target_checked(&ev))/>
                    <span>{t.internal_note}</span>
                </label>
            })}
            {crate::canned_pick::picker(app, conversation.clone(), text, file)}
            {move || file.get().map(|(_, name)| view! {
                <span class="c-tag" data-c="canned-file">{name}" "
                    <button type="button" class="c-link" data-c="canned-file-drop"
                        aria-label=t.cancel_file on:click=move |_| file.set(None)>"×"</button></span>
            })}
            <label class="c-inline">{t.attach}
                <input type="file" data-c="attach" on:change=on_file
                    accept=crate::files::ACCEPT/></label>
            <button type="button" class="c-primary" data-c="send" on:click=move |_| send()>{t.send}</button>
            {move || refused.get().map(|w| view! {
                <p class="c-error" data-c="attach-refused" role="alert">{w}</p>
            })}
        </div>
    }
}
