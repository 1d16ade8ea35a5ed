//! Transcripts: search the site's stored conversations (`crate::search`), then open a hit's
//! conversation as text (`GET /v1/console/transcript/{id}`, internal notes included) and
//! download it.

use leptos::prelude::*;

use crate::app::App;
use crate::pane::clock;
use crate::search;

pub fn page(app: App) -> impl IntoView {
    let a = app.lang.get_untracked().admin();
    // The conversation open here and its text.
    let open = RwSignal::new(None::<(String, Result<String, String>)>);
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
        {search::form(app, "transcript-search")}
        {search::hits(app, "transcript-hits", move |h| {
            let conv = h.conversation.clone();
            let hook = conv.clone();
            let more = search::more(app, &h);
            view! {
                <li data-c="transcript-hit" data-conversation=hook>
                    <span class="c-at">{clock(h.first.at)}</span>" "{h.first.text}" "
                    {more.map(|m| view! { <span class="c-muted">{m}</span>" " })}
                    <button type="button" data-c="transcript-open"
                        on:click=move |_| show(conv.clone())>{a.open_transcript}</button>
                </li>
            }
        })}
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
