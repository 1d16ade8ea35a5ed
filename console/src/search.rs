//! The search over the site's stored conversations (the desk's `search_chats` request): the
//! form and the list of its hits, shared by the desk's right column and the transcripts page.

use leptos::ev::SubmitEvent;
use leptos::html::Input;
use leptos::prelude::*;
use ringlink_protocol::console::{ConsoleMsg, SearchChats};

use crate::app::App;
use crate::desk::{hits_by_conversation, Asked, ConversationHit};

/// The search form: its field is `data-c={hook}`, its button `data-c={hook}-go`.
pub fn form(app: App, hook: &'static str) -> impl IntoView {
    let t = app.t();
    let q: NodeRef<Input> = NodeRef::new();
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
    view! {
        <form class="c-search" role="search" on:submit=search>
            <input data-c=hook type="search" placeholder=t.search_placeholder
                aria-label=t.search node_ref=q/>
            <button type="submit" data-c=format!("{hook}-go")>{t.search}</button>
        </form>
    }
}

/// The last search's hits in a list `data-c={hook}`, one row per conversation (its first
/// matching line, and how many matched) drawn by `row`; "no hits" when the search found
/// nothing, and nothing before the first search.
pub fn hits<V: IntoView + 'static>(
    app: App,
    hook: &'static str,
    row: impl Fn(ConversationHit) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let t = app.t();
    view! {
        <ul class="c-hits" data-c=hook>
            {move || app.desk.with(|d| d.hits.clone()).map(|hits| {
                if hits.is_empty() {
                    return view! { <li class="c-muted">{t.no_hits}</li> }.into_any();
                }
                hits_by_conversation(&hits).into_iter().map(row.clone()).collect_view().into_any()
            })}
        </ul>
    }
}

/// "(3 lines)" after a conversation's first matching line, when more than one matched.
pub fn more(app: App, h: &ConversationHit) -> Option<String> {
    (h.lines > 1).then(|| app.t().hit_lines.replace("{n}", &h.lines.to_string()))
}
