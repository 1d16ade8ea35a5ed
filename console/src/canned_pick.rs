//! The composer's canned-response picker: the site's canned responses with their variables
//! already filled by the relay for this agent and conversation (`GET /v1/console/canned?
//! conversation=`); picking one puts its text in the composer to edit or send, and its file (if
//! it has one) beside it, to go with the line.

use leptos::prelude::*;

use crate::admin::Canned;
use crate::app::App;

/// A canned response's file picked for the next line: its attachment id and name.
pub type PickedFile = RwSignal<Option<(String, String)>>;

pub fn picker(
    app: App,
    conversation: String,
    text: RwSignal<String>,
    file: PickedFile,
) -> impl IntoView {
    let a = app.lang.get_untracked().admin();
    let list = RwSignal::new(Vec::<Canned>::new());
    let path = format!("/v1/console/canned?conversation={conversation}");
    leptos::task::spawn_local(async move {
        // No canned responses (or none readable) simply shows no picker.
        if let Ok(items) = crate::rest::get::<Vec<Canned>>(&path).await {
            list.set(items);
        }
    });
    let pick = move |ev| {
        let id = event_target_value(&ev);
        if let Some(c) = list.with_untracked(|l| l.iter().find(|c| c.id.to_string() == id).cloned())
        {
            text.set(c.text);
            file.set(c.attachment.zip(c.attachment_name));
        }
    };
    move || {
        (!list.with(Vec::is_empty)).then(|| {
            view! {
                <select data-c="canned-pick" aria-label=a.canned_pick on:change=pick>
                    <option value="" selected=true>{a.canned_pick}</option>
                    {list.get().into_iter().map(|c| view! {
                        <option value=c.id.to_string()>{c.title}</option>
                    }).collect_view()}
                </select>
            }
        })
    }
}
