//! The chat panel's screen (CHAT, in the `chat` chunk): who is serving or the queue place, the
//! lines (the visitor's right, the agent's left with their name, the relay's centred), "Read"
//! under the visitor's last line the agent read, "is typing…", the "no agent free" offer with
//! its leave-a-message form and "Call me back", the composer ([`crate::chat_compose`]), and
//! "End chat", the rating and the transcript.

use leptos::prelude::*;
use ringlink_protocol::chat::{Author, ConversationState};

use crate::app::App;
use crate::chat_compose::{composer, field_checked, field_value};
use crate::chat_files::{file, refused};
use crate::i18n::{fill, ChatText};
use crate::model::chat::ChatModel;
use crate::model::{Action, ChatAction, Model};

pub fn screen(app: App, m: &Model) -> AnyView {
    let Some(chat) = &m.chat else {
        return ().into_any();
    };
    let c = app.lang.chat();
    let agent = chat.status.as_ref().and_then(|s| s.agent.clone());
    // The visitor's last line the agent has read carries "Read".
    let read = chat
        .lines
        .iter()
        .filter(|l| l.author == Author::Visitor && l.seq <= chat.read_upto)
        .map(|l| l.seq)
        .next_back();
    let lines = chat
        .lines
        .iter()
        .filter(|l| !l.internal)
        .map(|l| {
            let file = l.attachment.as_ref().map(|a| file(app, a).into_any());
            line(
                c,
                &l.author,
                &l.text,
                file,
                (read == Some(l.seq)).then_some(c.read),
            )
        })
        .chain(chat.pending.iter().map(|p| {
            let text = if p.attachment.is_some() && p.text.is_empty() {
                c.attach
            } else {
                p.text.as_str()
            };
            line(c, &Author::Visitor, text, None, Some(c.sending))
        }))
        .collect_view();
    let typing = chat.agent_typing.then(|| {
        let who = agent.clone().unwrap_or_default();
        view! { <p class="rl-typing" data-rl="chat-typing">{format!("{who} {}", c.typing)}</p> }
    });
    let ended = chat.is_ended();
    view! {
        <p class="rl-agent" data-rl="chat-status" role="status">{status_line(c, chat)}</p>
        <ol class="rl-lines" data-rl="chat-lines" aria-live="polite">{lines}</ol>
        {typing}
        {offer(app, chat)}
        {(!ended).then(|| composer(app))}
        {refused(chat.file_refused.clone())}
        {end_and_rate(app, chat)}
    }
    .into_any()
}

/// One line, with its file if it has one; `note` is "Read" or "Sending…" under it.
fn line(
    c: &'static ChatText,
    author: &Author,
    text: &str,
    file: Option<AnyView>,
    note: Option<&'static str>,
) -> impl IntoView {
    let (who, kind) = match author {
        Author::Visitor => (c.you.to_owned(), "visitor"),
        Author::Staff { name, .. } => (name.clone(), "staff"),
        Author::System => (String::new(), "system"),
    };
    let name = (kind != "system").then(|| view! { <b data-rl="chat-who">{who}</b> });
    view! {
        <li class="rl-line" data-rl="chat-line" data-author=kind>
            {name}
            <span class="rl-said">{text.to_owned()}</span>
            {file}
            {note.map(|n| view! { <small data-rl="chat-note">{n}</small> })}
        </li>
    }
}

/// "Li is serving you", the queue place and wait, or that the chat ended.
fn status_line(c: &ChatText, chat: &ChatModel) -> String {
    let Some(s) = &chat.status else {
        return String::new();
    };
    match s.state {
        ConversationState::Ended => c.ended.to_owned(),
        ConversationState::Active => match &s.agent {
            Some(a) => format!("{a} {}", c.serving),
            None => String::new(),
        },
        ConversationState::Waiting => {
            let mut out = c.waiting_for_agent.to_owned();
            if let Some(q) = &s.queue {
                out.push(' ');
                out.push_str(&fill(c.queue_place, &q.position.to_string()));
                out.push(' ');
                out.push_str(&fill(c.queue_wait, &q.wait_secs.div_ceil(60).to_string()));
            }
            out
        }
    }
}

/// Nobody can answer: "Call me back" (the merchant's call button) and "Leave a message".
fn offer(app: App, chat: &ChatModel) -> Option<AnyView> {
    let c = app.lang.chat();
    if chat.message_left {
        return Some(
            view! { <p class="rl-notice" data-rl="message-left">{c.message_left}</p> }.into_any(),
        );
    }
    let o = chat.offer()?;
    let call = o.call_button.clone().map(|b| {
        view! {
            <button type="button" class="rl-secondary" data-rl="chat-call-me"
                on:click=move |_| {
                    app.act(Action::Chat(ChatAction::Tab(false)));
                    app.act(Action::CallButton(b.clone()));
                }>{c.call_me_back}</button>
        }
    });
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (name, number) = (
            field_value("[data-rl=lm-name]"),
            field_value("[data-rl=lm-number]"),
        );
        let (text, sms) = (
            field_value("[data-rl=lm-text]"),
            field_checked("[data-rl=lm-sms]"),
        );
        app.act_with(move |m| m.leave_message(&name, &number, &text, sms));
    };
    Some(
        view! {
            <div class="rl-offer" data-rl="chat-offer">
                <p>{c.no_agent}</p>
                {call}
                <form class="rl-form" data-rl="leave-message" on:submit=send>
                    <label>{c.your_name}<input data-rl="lm-name" autocomplete="name"/></label>
                    <label>{c.your_number}
                        <input data-rl="lm-number" type="tel" autocomplete="tel"/></label>
                    <label>{c.leave_message}<textarea data-rl="lm-text" rows="3" required></textarea></label>
                    <label class="rl-check"><input data-rl="lm-sms" type="checkbox"/>{c.reply_by_sms}</label>
                    <button type="submit" class="rl-primary" data-rl="lm-send">{c.leave_message}</button>
                </form>
            </div>
        }
        .into_any(),
    )
}

/// "End chat" while it runs; once ended the 1..5 rating (then thanks); the transcript link.
fn end_and_rate(app: App, chat: &ChatModel) -> impl IntoView {
    let c = app.lang.chat();
    let ended = chat.is_ended();
    let end = (chat.status.is_some() && !ended).then(|| {
        view! {
            <button type="button" class="rl-link-btn" data-rl="chat-end"
                on:click=move |_| app.act_with(|m| m.chat_end(None))>{c.end_chat}</button>
        }
    });
    let rate = (ended && !chat.rated).then(|| {
        let stars = (1..=5u8)
            .map(|n| {
                view! {
                    <button type="button" class="rl-secondary" data-rl="chat-rate"
                        data-n=n.to_string()
                        on:click=move |_| app.act_with(move |m| m.chat_end(Some(n)))>
                        {n.to_string()}</button>
                }
            })
            .collect_view();
        view! { <div class="rl-rate" role="group" aria-label=c.rate><p>{c.rate}</p>{stars}</div> }
    });
    let thanks = (ended && chat.rated).then(|| view! { <p data-rl="chat-thanks">{c.thanks}</p> });
    let transcript = chat
        .visitor
        .clone()
        .filter(|_| !chat.lines.is_empty())
        .map(|v| {
            view! {
                <button type="button" class="rl-link-btn" data-rl="chat-transcript"
                    on:click=move |_| crate::app::download_transcript(&v)>{c.transcript}</button>
            }
        });
    view! { <p class="rl-chat-foot">{end}{transcript}</p>{rate}{thanks} }
}
