//! Transcripts: search the site's stored conversations (the desk's `search_chats` request),
//! then open a hit's conversation as text (`GET /v1/console/transcript/{id}`, internal notes
//! included) and download it.

use leptos::ev::SubmitEvent;
use leptos::html::Input;
use leptos::prelude::*;
use ringlink_protocol::console::{ConsoleMsg, SearchChats};

use crate::app::App;
use crate::desk::Asked;
use crate::pane::clock;

pub fn page(app: App) -> impl IntoView {
    let a = app.lang.get_untracked().admin();
    let t = app.t();
    let q: NodeRef<Input> = NodeRef::new();
    // The conversation open here and its text.
    let open = RwSignal::new(None::<(String, Result<String, String>)>);
    let search = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(q) = q.get() else { return };
        let query = q.value().trim().to_owned();
        if !query.is_empty() {
            app.send(
                ConsoleMsg::SearchChats(SearchChats { query }),
                Asked::Search,
            );
        }
    };
    let show = move |id: String| {
        leptos::task::spawn_local(async move {
            let text =
                crate::rest::call("GET", &format!("/v1/console/transcript/{id}"), None).await;
            open.set(Some((id, text)));
        });
    };
    view! {
        <h2>{a.tab_transcripts}</h2>
        <p class="c-muted">{a.transcripts_hint}</p>
        <form class="c-search" role="search" on:submit=search>
            <input data-c="transcript-search" type="search" placeholder=t.search_placeholder
                aria-label=t.search node_ref=q/>
            <button type="submit" data-c="transcript-search-go">{t.search}</button>
        </form>
        <ul class="c-hits" data-c="transcript-hits">
            {move || app.desk.with(|d| d.hits.clone()).map(|hits| {
                if hits.is_empty() {
                    return view! { <li class="c-muted">{t.no_hits}</li> }.into_any();
                }
                hits.into_iter().map(|l| {
                    let conv = l.conversation.clone();
                    let hook = conv.clone();
                    view! {
                        <li data-c="transcript-hit" data-conversation=hook>
                            <span class="c-at">{clock(l.at)}</span>" "{l.text}" "
                            <button type="button" data-c="transcript-open"
                                on:click=move |_| show(conv.clone())>{a.open_transcript}</button>
                        </li>
                    }
                }).collect_view().into_any()
            })}
        </ul>
        {move || open.get().map(|(id, text)| match text {
            Ok(text) => {
                let (name, body) = (format!("{id}.txt"), text.clone());
                view! {
                    <div class="c-transcript">
                        <button type="button" data-c="transcript-download"
                            on:click=move |_| crate::rest::download(&name, &body)>{a.download}</button>
                        <pre data-c="transcript-text">{text}</pre>
                    </div>
                }.into_any()
            }
            Err(e) => view! { <p class="c-error" role="alert">{e}</p> }.into_any(),
        })}
    }
}
