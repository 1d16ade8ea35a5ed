//! The main pane: the selected conversation's lines (history, then live), what the first
//! message told about the visitor (CHAT-8: address, time, site, page, referrer, language),
//! the other side typing, read receipts on my lines, Close and Transfer (a colleague and a
//! note), and the composer.

use leptos::html::{Input, Select};
use leptos::prelude::*;
use ringlink_protocol::chat::{Author, ChatLine, ConversationState};
use ringlink_protocol::console::*;

use crate::app::App;
use crate::desk::{Asked, Conv};
use crate::i18n::Text;

pub fn main(app: App) -> impl IntoView {
    let selected = Memo::new(move |_| app.desk.with(|d| d.selected.clone()));
    move || {
        let t = app.t();
        let Some(id) = selected.get() else {
            return view! { <section class="c-pane c-empty"><p>{t.pick_conversation}</p></section> }
                .into_any();
        };
        let kind = app
            .desk
            .with_untracked(|d| d.conv(&id).map(|c| c.summary.kind))
            .unwrap_or(ConversationKind::Visitor);
        let (lines_id, typing_id, info_id, title_id) =
            (id.clone(), id.clone(), id.clone(), id.clone());
        let (actions, composer) = (
            actions(app, t, id.clone(), kind),
            crate::composer::composer(app, id.clone(), kind),
        );
        view! {
            <section class="c-pane" data-c="pane" data-conversation=id>
                <h2 class="c-title" data-c="pane-title">{move || app.desk.with(|d| d.conv(&title_id).map(|c| crate::sidebar::label(t, d, c)))}</h2>
                {actions}
                {move || app.desk.with(|d| d.conv(&info_id).map(|c| visitor_info(t, c)))}
                <ol class="c-lines" data-c="lines" aria-live="polite">
                    {move || app.desk.with(|d| d.conv(&lines_id).map(|c| {
                        let me = d.my_id();
                        c.lines.iter().map(|l| line(t, l, me, c.read_upto)).collect_view()
                    }))}
                </ol>
                <p class="c-typing" data-c="typing">
                    {move || app.desk.with(|d| d.conv(&typing_id).filter(|c| c.typing).map(|c| {
                        let who = match c.summary.kind {
                            ConversationKind::Visitor => t.visitor.to_owned(),
                            ConversationKind::Colleague => d
                                .other_side(&c.summary)
                                .and_then(|i| d.staff_name(i))
                                .unwrap_or_default()
                                .to_owned(),
                        };
                        format!("{who} {}", t.is_typing)
                    }))}
                </p>
                {composer}
            </section>
        }
        .into_any()
    }
}

/// `14:05` today's way, as the browser's clock reads it.
pub fn clock(ms: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
}

fn line(t: &'static Text, l: &ChatLine, me: Option<i64>, read_upto: u64) -> impl IntoView {
    let (who, class) = match &l.author {
        Author::Visitor => (t.visitor.to_owned(), "c-line c-visitor"),
        Author::Staff { id, name } if Some(*id) == me => (name.clone(), "c-line c-mine"),
        Author::Staff { name, .. } => (name.clone(), "c-line c-staff"),
        Author::System => (t.system.to_owned(), "c-line c-system"),
    };
    let mine = matches!(&l.author, Author::Staff { id, .. } if Some(*id) == me);
    // Fetched with the console token and saved: a link could not carry the bearer.
    let attachment = l.attachment.as_ref().map(|a| {
        let (id, name, label) = (a.id.clone(), a.name.clone(), a.name.clone());
        view! {
            <button type="button" class="c-attachment" data-c="attachment"
                on:click=move |_| crate::files::save(id.clone(), name.clone())>{label}</button>
        }
    });
    view! {
        <li class=class class:c-internal=l.internal data-c="line" data-seq=l.seq
            data-internal=l.internal.to_string()>
            <span class="c-who">{who}</span>
            <span class="c-at">{clock(l.at)}</span>
            {l.internal.then(|| view! { <span class="c-tag">{t.internal_label}</span> })}
            <span class="c-text" data-c="line-text">{l.text.clone()}</span>
            {attachment}
            {(mine && l.seq <= read_upto && !l.internal).then(|| view! {
                <span class="c-read" data-c="read-mark">{t.read}</span>
            })}
        </li>
    }
}

fn visitor_info(t: &'static Text, c: &Conv) -> Option<impl IntoView> {
    let v = c.summary.visitor.clone()?;
    let row = |key: &'static str, label: &'static str, value: Option<String>| {
        value.filter(|v| !v.is_empty()).map(|value| {
            view! {
                <dt>{label}</dt><dd data-c=key>{value}</dd>
            }
        })
    };
    let at = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(v.at as f64))
        .to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED)
        .as_string();
    Some(view! {
        <dl class="c-info-box" data-c="visitor-info" aria-label=t.visitor_info>
            {row("vi-ip", t.ip, Some(v.ip))}
            {row("vi-at", t.time, at)}
            {row("vi-site", t.site, Some(v.site))}
            {row("vi-page", t.page, v.page)}
            {row("vi-referrer", t.referrer, v.referrer)}
            {row("vi-lang", t.lang, v.lang)}
            {row("vi-member", t.member, v.member)}
            {(!c.summary.visitor_here).then(|| view! {
                <dt></dt><dd class="c-tag" data-c="visitor-left">{t.visitor_left}</dd>
            })}
        </dl>
    })
}

/// Close and Transfer, for a visitor conversation this agent serves.
fn actions(app: App, t: &'static Text, id: String, kind: ConversationKind) -> impl IntoView {
    if kind != ConversationKind::Visitor {
        return None;
    }
    let to: NodeRef<Select> = NodeRef::new();
    let note: NodeRef<Input> = NodeRef::new();
    let (close_id, transfer_id, state_id) = (id.clone(), id.clone(), id);
    let open = move || {
        app.desk.with(|d| {
            d.conv(&state_id).is_some_and(|c| {
                c.summary.state == ConversationState::Active && c.summary.agent == d.my_id()
            })
        })
    };
    let transfer = move |_| {
        let (Some(to), Some(note)) = (to.get(), note.get()) else {
            return;
        };
        let Ok(staff) = to.value().parse::<i64>() else {
            return;
        };
        app.send(
            ConsoleMsg::Transfer(Transfer {
                conversation: transfer_id.clone(),
                to: staff,
                note: note.value(),
            }),
            Asked::Transfer,
        );
        note.set_value("");
    };
    Some(view! {
        <div class="c-actions" class:c-hidden=move || !open()>
            <button type="button" data-c="close"
                on:click=move |_| app.send(
                    ConsoleMsg::CloseConversation(CloseConversation { conversation: close_id.clone() }),
                    Asked::Close,
                )>{t.close}</button>
            <label class="c-inline">
                <span>{t.transfer_to}</span>
                <select data-c="transfer-to" node_ref=to>
                    {move || app.desk.with(|d| {
                        let me = d.my_id();
                        d.colleagues.iter()
                            .filter(|s| Some(s.id) != me && s.state != AgentState::Offline)
                            .map(|s| view! { <option value=s.id.to_string()>{s.name.clone()}</option> })
                            .collect_view()
                    })}
                </select>
            </label>
            <input data-c="transfer-note" placeholder=t.transfer_note node_ref=note/>
            <button type="button" data-c="transfer" on:click=transfer>{t.transfer}</button>
        </div>
    })
}
