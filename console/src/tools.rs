//! The right column: search over the site's stored conversations, and the messages visitors
//! left while nobody was free, each answered in place (by SMS when the visitor asked).

use leptos::html::{Input, Textarea};
use leptos::prelude::*;
use ringlink_protocol::console::*;

use crate::app::App;
use crate::desk::Asked;
use crate::i18n::Text;
use crate::pane::clock;
use crate::search;

pub fn column(app: App) -> impl IntoView {
    let t = app.t();
    view! {
        <aside class="c-tools">
            {search::form(app, "search")}
            {search::hits(app, "hits", move |h| {
                let conv = h.conversation.clone();
                let known = app.desk.with_untracked(|d| d.conv(&conv).is_some());
                let more = search::more(app, &h);
                view! {
                    <li data-c="hit">
                        <button type="button" class="c-conv" disabled=!known
                            on:click=move |_| app.select(conv.clone())>
                            <span class="c-at">{clock(h.first.at)}</span>" "{h.first.text}
                            {more.map(|m| view! { " "<span class="c-muted">{m}</span> })}
                        </button>
                    </li>
                }
            })}
            {browsing(app, t)}
            <h2>{t.left_messages}</h2>
            <ul class="c-list" data-c="left-messages">
                {move || app.desk.with(|d| {
                    if d.left.is_empty() {
                        return view! { <li class="c-muted">{t.no_left_messages}</li> }.into_any();
                    }
                    d.left.iter().map(|l| left_message(app, t, l)).collect_view().into_any()
                })}
            </ul>
        </aside>
    }
}

fn left_message(app: App, t: &'static Text, l: &LeftMessage) -> impl IntoView {
    let reply: NodeRef<Textarea> = NodeRef::new();
    let id = l.id.clone();
    let answer = move |_| {
        let Some(r) = reply.get() else { return };
        let text = r.value();
        if text.trim().is_empty() {
            return;
        }
        app.send(
            ConsoleMsg::AnswerLeftMessage(AnswerLeftMessage {
                id: id.clone(),
                text,
            }),
            Asked::AnswerLeft { id: id.clone() },
        );
    };
    let answered = l.answered_by.is_some();
    view! {
        <li class="c-left" data-c="left-message" data-id=l.id.clone()>
            <p><b>{l.name.clone()}</b>" "{l.number.clone()}" "<span class="c-at">{clock(l.at)}</span>
                {l.reply_by_sms.then(|| view! { <span class="c-tag">{t.by_sms}</span> })}
            </p>
            <p class="c-text">{l.text.clone()}</p>
            {if answered {
                view! { <p class="c-tag" data-c="left-answered">{t.answered}</p> }.into_any()
            } else {
                view! {
                    <textarea data-c="left-reply" rows="2" aria-label=t.answer node_ref=reply></textarea>
                    <button type="button" data-c="left-answer" on:click=answer>{t.answer}</button>
                }.into_any()
            }}
        </li>
    }
}

/// Visitors on the site now (CHAT-9): an invitation opens a conversation with that page view,
/// starting with the greeting typed here.
fn browsing(app: App, t: &'static Text) -> impl IntoView {
    let greeting: NodeRef<Input> = NodeRef::new();
    view! {
        <h2>{t.browsing_now}</h2>
        <input data-c="invite-text" aria-label=t.invite value=t.invite_text node_ref=greeting/>
        <ul class="c-list" data-c="browsing">
            {move || app.desk.with(|d| {
                if d.browsing.is_empty() {
                    return view! { <li class="c-muted">{t.no_browsing}</li> }.into_any();
                }
                d.browsing.iter().map(|b| {
                    let pageview = b.pageview.clone();
                    let invite = move |_| {
                        let text = greeting.get().map(|g| g.value()).unwrap_or_default();
                        let text = if text.trim().is_empty() { t.invite_text.to_owned() } else { text };
                        app.send(
                            ConsoleMsg::InviteVisitor(InviteVisitor { pageview: pageview.clone(), text }),
                            Asked::Other,
                        );
                    };
                    view! {
                        <li class="c-left" data-c="browsing-visitor">
                            <p><span class="c-at">{clock(b.since)}</span>" "
                                {b.title.clone().map(|t| view! { <b data-c="browsing-title">{t}</b>" " })}
                                {b.page.clone()}</p>
                            {b.referrer.clone().map(|r| view! { <p class="c-muted">{r}</p> })}
                            <button type="button" data-c="invite" on:click=invite>{t.invite}</button>
                        </li>
                    }
                }).collect_view().into_any()
            })}
        </ul>
    }
}
