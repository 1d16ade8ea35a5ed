//! The left column: transfer offers with their countdown (accept or decline), the visitor
//! conversations and the colleague conversations (unread counts, "visitor left"), and the
//! colleagues with their states (a click opens the conversation with one: CHAT-3).

use leptos::prelude::*;
use ringlink_protocol::chat::ConversationState;
use ringlink_protocol::console::*;

use crate::app::App;
use crate::desk::{Asked, Conv, Desk};
use crate::i18n::Text;

pub fn column(app: App) -> impl IntoView {
    let t = app.t();
    view! {
        <nav class="c-side">
            {move || offers(app, t)}
            <h2>{t.visitors}</h2>
            <ul class="c-list" data-c="visitor-list">
                {move || app.desk.with(|d| list(app, t, d, ConversationKind::Visitor))}
            </ul>
            <h2>{t.colleague_chats}</h2>
            <ul class="c-list" data-c="colleague-chat-list">
                {move || app.desk.with(|d| list(app, t, d, ConversationKind::Colleague))}
            </ul>
            <h2>{t.colleagues}</h2>
            <ul class="c-list" data-c="colleagues">
                {move || app.desk.with(|d| colleagues(app, t, d))}
            </ul>
        </nav>
    }
}

fn offers(app: App, t: &'static Text) -> impl IntoView {
    let now = app.now.get();
    app.desk.with(|d| {
        d.live_offers(now)
            .into_iter()
            .map(|o| {
                let from = d.staff_name(o.from).unwrap_or_default().to_owned();
                let left = (o.expires_at - now).max(0) / 1000;
                let (yes, no) = (o.conversation.clone(), o.conversation.clone());
                let answer = move |conversation: String, accept: bool| {
                    app.send(
                        ConsoleMsg::AnswerTransfer(AnswerTransfer {
                            conversation: conversation.clone(),
                            accept,
                        }),
                        Asked::AnswerTransfer { conversation },
                    )
                };
                view! {
                    <div class="c-offer" role="alert" data-c="offer" data-conversation=o.conversation.clone()>
                        <p>{t.offer_from}" "<b>{from}</b>": "{o.note.clone()}</p>
                        <p class="c-muted" data-c="offer-countdown">{left}{t.seconds_left}</p>
                        <button type="button" class="c-primary" data-c="offer-accept"
                            on:click=move |_| answer(yes.clone(), true)>{t.accept}</button>
                        <button type="button" data-c="offer-decline"
                            on:click=move |_| answer(no.clone(), false)>{t.decline}</button>
                    </div>
                }
            })
            .collect_view()
    })
}

/// How a conversation is named in the list: the visitor's page or language, or the colleague.
pub fn label(t: &Text, d: &Desk, c: &Conv) -> String {
    match c.summary.kind {
        ConversationKind::Visitor => {
            let v = c.summary.visitor.as_ref();
            let page = v.and_then(|v| v.page.clone()).unwrap_or_default();
            let member = v.and_then(|v| v.member.clone());
            match member {
                Some(m) => format!("{} {m}", t.member),
                None if !page.is_empty() => format!("{} · {}", t.visitor, short_page(&page)),
                None => t.visitor.to_owned(),
            }
        }
        ConversationKind::Colleague => d
            .other_side(&c.summary)
            .and_then(|id| d.staff_name(id))
            .unwrap_or_default()
            .to_owned(),
    }
}

fn short_page(page: &str) -> String {
    let path = page.split_once("://").map_or(page, |(_, r)| r);
    let path = path.find('/').map_or("/", |i| &path[i..]);
    path.chars().take(40).collect()
}

fn list(app: App, t: &'static Text, d: &Desk, kind: ConversationKind) -> AnyView {
    let convs = d.of_kind(kind);
    if convs.is_empty() {
        return view! { <li class="c-muted">{t.no_conversations}</li> }.into_any();
    }
    convs
        .into_iter()
        .map(|c| {
            let id = c.id().to_owned();
            let selected = d.selected.as_deref() == Some(c.id());
            let unread = c.summary.unread;
            let left = kind == ConversationKind::Visitor
                && !c.summary.visitor_here
                && c.summary.state != ConversationState::Ended;
            let state = match c.summary.state {
                ConversationState::Ended => Some(t.ended),
                ConversationState::Waiting => Some(t.waiting),
                ConversationState::Active => None,
            };
            let open = id.clone();
            view! {
                <li>
                    <button type="button" class="c-conv" class:on=selected data-c="conversation"
                        data-conversation=id aria-current=selected.then_some("true")
                        on:click=move |_| app.select(open.clone())>
                        <span class="c-conv-name">{label(t, d, c)}</span>
                        {left.then(|| view! { <span class="c-tag" data-c="visitor-left">{t.visitor_left}</span> })}
                        {state.map(|s| view! { <span class="c-tag">{s}</span> })}
                        {(unread > 0).then(|| view! { <span class="c-badge" data-c="unread">{unread}</span> })}
                    </button>
                </li>
            }
        })
        .collect_view()
        .into_any()
}

fn colleagues(app: App, t: &'static Text, d: &Desk) -> impl IntoView {
    let me = d.my_id();
    d.colleagues
        .iter()
        .filter(|s| Some(s.id) != me)
        .map(|s| {
            let staff = s.id;
            view! {
                <li>
                    <button type="button" class="c-conv" data-c="colleague" data-staff=staff
                        data-state=s.state.as_str()
                        on:click=move |_| app.send(
                            ConsoleMsg::OpenColleague(OpenColleague { staff }),
                            Asked::OpenColleague,
                        )>
                        <span class=format!("c-dot c-{}", s.state.as_str())></span>
                        <span class="c-conv-name">{s.name.clone()}</span>
                        <span class="c-muted">{t.state(s.state)}</span>
                    </button>
                </li>
            }
        })
        .collect_view()
}
