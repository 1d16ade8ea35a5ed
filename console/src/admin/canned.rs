//! The site's canned responses (`/v1/console/canned`): the list, adding one (title and text
//! with the variables the relay fills: `{agent}`, `{site}`, `{page}`, and optionally a file
//! sent with it), removing one. Agents pick them in the composer, filled for the
//! conversation (`crate::canned_pick`).

use leptos::ev::SubmitEvent;
use leptos::html::{Input, Textarea};
use leptos::prelude::*;

use crate::app::App;

/// One canned response as the relay lists it.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Canned {
    pub id: i64,
    pub title: String,
    pub text: String,
    /// The file sent with it: its attachment id and name.
    #[serde(default)]
    pub attachment: Option<String>,
    #[serde(default)]
    pub attachment_name: Option<String>,
}

type List = RwSignal<Option<Result<Vec<Canned>, String>>>;

fn reload(list: List) {
    super::load("/v1/console/canned".into(), list);
}

pub fn page(app: App) -> impl IntoView {
    let a = app.lang.get_untracked().admin();
    let list: List = RwSignal::new(None);
    reload(list);
    let result = RwSignal::new(None::<Result<(), String>>);
    let (title, text): (NodeRef<Input>, NodeRef<Textarea>) = (NodeRef::new(), NodeRef::new());
    let file: NodeRef<Input> = NodeRef::new();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let (Some(ti), Some(te), Some(fi)) = (title.get(), text.get(), file.get()) else {
            return;
        };
        let chosen = fi.files().and_then(|f| f.get(0));
        leptos::task::spawn_local(async move {
            // The file goes up first (checked by content like any chat file); its id goes
            // with the canned response.
            let attachment = match chosen {
                Some(f) => match crate::files::upload(f).await {
                    Ok(id) => Some(id),
                    Err(why) => {
                        result.set(Some(Err(why)));
                        return;
                    }
                },
                None => None,
            };
            let body = serde_json::json!({
                "title": ti.value().trim(),
                "text": te.value(),
                "attachment": attachment,
            })
            .to_string();
            let done = crate::rest::call("POST", "/v1/console/canned", Some(body)).await;
            if done.is_ok() {
                ti.set_value("");
                te.set_value("");
                fi.set_value("");
                reload(list);
            }
            result.set(Some(done.map(|_| ())));
        });
    };
    let rows = move |items: Vec<Canned>| {
        if items.is_empty() {
            return view! { <p class="c-muted">{a.no_canned}</p> }.into_any();
        }
        view! {
            <ul class="c-list" data-c="canned-list">
                {items.into_iter().map(|c| {
                    let id = c.id;
                    view! {
                        <li data-c="canned-item">
                            <strong>{c.title}</strong>" "<span data-c="canned-text">{c.text}</span>" "
                            {c.attachment_name.map(|n| view! { <span class="c-tag" data-c="canned-file">{n}</span>" " })}
                            <button type="button" data-c="canned-remove" on:click=move |_| {
                                leptos::task::spawn_local(async move {
                                    let done = crate::rest::call("DELETE", &format!("/v1/console/canned/{id}"), None).await;
                                    result.set(Some(done.map(|_| ())));
                                    reload(list);
                                });
                            }>{a.remove}</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <h2>{a.tab_canned}</h2>
        {super::loaded(app, list, rows)}
        <form class="c-admin" data-c="add-canned" on:submit=submit>
            <label class="c-field"><span>{a.canned_title}</span>
                <input data-c="canned-title" autocomplete="off" maxlength="64" node_ref=title/></label>
            <label class="c-field"><span>{a.canned_text}</span>
                <textarea data-c="canned-body" rows="3" node_ref=text></textarea></label>
            <p class="c-muted">{a.canned_vars}</p>
            <label class="c-field"><span>{a.canned_file}</span>
                <input type="file" data-c="canned-attach" node_ref=file
                    accept=crate::files::ACCEPT/></label>
            <button type="submit" class="c-primary" data-c="canned-add">{a.add}</button>
            {move || result.get().map(|r| match r {
                Ok(()) => view! { <p class="c-info" role="status" data-c="canned-saved">{a.saved}</p> }.into_any(),
                Err(e) => view! { <p class="c-error" role="alert" data-c="canned-error">{e}</p> }.into_any(),
            })}
        </form>
    }
}
