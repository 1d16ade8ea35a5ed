//! The chat in the app's model (CHAT): the chat tab, the visitor's chat actions, the chat's
//! frames routed to [`ChatModel`], and `chat_open` again after every reconnect. The visitor id
//! is minted by the relay on the first `chat_open`, which goes only once the visitor opens the
//! chat (or when an id was kept from an earlier visit).

use ringlink_protocol::chat::{ChatTyping, LeaveMessage};
use ringlink_protocol::widget::{RelayToWidget, WidgetMsg};

use super::chat::{ChatModel, ChatOut};
use super::{Link, Model, Out};

/// What the agent is told about where the visitor is (CHAT-8), from the frame's config.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChatPage {
    pub page: Option<String>,
    pub referrer: Option<String>,
    pub lang: Option<String>,
}

/// The visitor's chat actions (a part of [`super::Action`]).
#[derive(Clone, Debug, PartialEq)]
pub enum ChatAction {
    /// The chat tab is chosen (true) or the call tab (false).
    Tab(bool),
    /// The panel opened or closed: the chat is on screen only while both.
    PanelOpen(bool),
    /// An invitation from the page-view socket (CHAT-9): the chat opens and redeems it.
    Invite(String),
}

impl Model {
    /// The chat tab is the one on screen.
    pub fn chat_shown(&self) -> bool {
        self.chat_tab
    }

    pub(super) fn chat_action(&mut self, a: ChatAction) -> Vec<Out> {
        match a {
            ChatAction::Tab(on) => {
                self.chat_tab = on;
                if on && self.chat.is_none() {
                    self.chat = Some(ChatModel::new(self.kept_visitor.clone()));
                    let mut out = self.chat_open(None);
                    out.extend(self.chat_visibility());
                    return out;
                }
                self.chat_visibility()
            }
            ChatAction::PanelOpen(open) => {
                self.panel_open = open;
                self.chat_visibility()
            }
            ChatAction::Invite(invite) => {
                self.chat_tab = true;
                if self.chat.is_none() {
                    self.chat = Some(ChatModel::new(self.kept_visitor.clone()));
                }
                self.chat_invite = Some(invite);
                let mut out = self.chat_open(None);
                out.extend(self.chat_visibility());
                out
            }
        }
    }

    /// The visitor sends `text` ("Send" or Enter); `seed` keeps client ids unique across page
    /// loads. The chat's own actions are methods, not [`super::Action`]s, so their code stays
    /// in the chat chunk.
    pub fn chat_say(&mut self, text: &str, seed: u64) -> Vec<Out> {
        let Some(chat) = &mut self.chat else {
            return Vec::new();
        };
        let sent = chat.send(text, None, seed);
        // Sent while the link is down: it goes with the next `chat_opened`.
        if sent.is_none() || self.link != Link::Open {
            return Vec::new();
        }
        let mut out: Vec<Out> = sent.into_iter().map(Out::from).collect();
        out.push(Out::Send(WidgetMsg::ChatTyping(ChatTyping {
            typing: false,
        })));
        out
    }

    pub fn chat_typing(&mut self, typing: bool) -> Vec<Out> {
        self.chat_send(WidgetMsg::ChatTyping(ChatTyping { typing }))
    }

    /// "End chat", or the rating 1..=5 of the chat that ended.
    pub fn chat_end(&mut self, rating: Option<u8>) -> Vec<Out> {
        let open = self.link == Link::Open;
        match &mut self.chat {
            Some(chat) => {
                let o = chat.end(rating);
                if open {
                    vec![o.into()]
                } else {
                    Vec::new()
                }
            }
            None => Vec::new(),
        }
    }

    /// The frame script uploaded the file the visitor chose (`id`, sent now as a line) or the
    /// relay refused it (`why`, shown under the composer until the next file).
    pub fn chat_file(&mut self, id: Option<String>, why: Option<String>, seed: u64) -> Vec<Out> {
        let Some(chat) = &mut self.chat else {
            return Vec::new();
        };
        chat.file_refused = why;
        let sent = id.and_then(|id| chat.send("", Some(id), seed));
        if self.link != Link::Open {
            return Vec::new();
        }
        sent.into_iter().map(Out::from).collect()
    }

    /// "Leave a message" while nobody is free.
    pub fn leave_message(&mut self, name: &str, number: &str, text: &str, sms: bool) -> Vec<Out> {
        self.chat_send(WidgetMsg::LeaveMessage(LeaveMessage {
            name: name.trim().to_owned(),
            number: number.trim().to_owned(),
            text: text.trim().to_owned(),
            reply_by_sms: sms,
        }))
    }

    /// A frame for the chat once it is open (`true`: it was the chat's).
    pub(super) fn chat_frame(&mut self, msg: &RelayToWidget, out: &mut Vec<Out>) -> bool {
        let Some(chat) = &mut self.chat else {
            return false;
        };
        match chat.frame(msg) {
            Some(o) => {
                out.extend(o.into_iter().map(Out::from));
                true
            }
            None => false,
        }
    }

    /// The socket opened again: the chat reopens from the last line it has.
    pub(super) fn chat_connected(&mut self) -> Vec<Out> {
        if self.chat.is_none() && self.kept_visitor.is_some() {
            // A visitor with a conversation from an earlier page: its unread count and lines.
            self.chat = Some(ChatModel::new(self.kept_visitor.clone()));
        }
        self.chat_open(None)
    }

    /// `chat_open`, with the pending invitation if there is one (sent once, when the link is open).
    fn chat_open(&mut self, invite: Option<String>) -> Vec<Out> {
        match &self.chat {
            Some(chat) if self.link == Link::Open => {
                let invite = invite.or_else(|| self.chat_invite.take());
                let p = &self.chat_page;
                vec![Out::Send(chat.open(
                    p.page.clone(),
                    p.referrer.clone(),
                    p.lang.clone(),
                    invite,
                ))]
            }
            _ => Vec::new(),
        }
    }

    fn chat_send(&self, msg: WidgetMsg) -> Vec<Out> {
        if self.chat.is_some() && self.link == Link::Open {
            vec![Out::Send(msg)]
        } else {
            Vec::new()
        }
    }

    fn chat_visibility(&mut self) -> Vec<Out> {
        let on = self.chat_tab && self.panel_open;
        let link = self.link;
        let Some(chat) = &mut self.chat else {
            return Vec::new();
        };
        if on == chat.visible {
            return Vec::new();
        }
        if on {
            let mut out: Vec<Out> = chat.shown().into_iter().map(Out::from).collect();
            if link != Link::Open {
                out.retain(|o| !matches!(o, Out::Send(_)));
            }
            out
        } else {
            chat.hidden();
            Vec::new()
        }
    }
}

impl From<ChatOut> for Out {
    fn from(o: ChatOut) -> Out {
        match o {
            ChatOut::Send(m) => Out::Send(m),
            ChatOut::SaveVisitor(v) => Out::SaveVisitor(v),
            ChatOut::Unread(n) => Out::Unread(n),
            ChatOut::Offered => Out::Offered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Action, Asked};
    use super::*;
    use crate::i18n::Lang;
    use ringlink_protocol::chat::{Author, ChatLine, ChatOpened, ChatSent};
    use ringlink_protocol::secret::Secret;

    fn model(kept: Option<&str>) -> Model {
        let mut m = Model::new(Lang::Zh, None);
        m.kept_visitor = kept.map(str::to_owned);
        m.chat_page = ChatPage {
            page: Some("https://shop.example/shoes".into()),
            referrer: Some("https://search.example/".into()),
            lang: Some("zh-CN".into()),
        };
        m
    }

    fn opens(out: &[Out]) -> Vec<ringlink_protocol::chat::ChatOpen> {
        out.iter()
            .filter_map(|o| match o {
                Out::Send(WidgetMsg::ChatOpen(o)) => Some(o.clone()),
                _ => None,
            })
            .collect()
    }

    fn line(seq: u64, author: Author, client_id: Option<&str>) -> ChatLine {
        ChatLine {
            conversation: "cv".into(),
            seq,
            author,
            text: "t".into(),
            attachment: None,
            internal: false,
            at: 0,
            client_id: client_id.map(str::to_owned),
        }
    }

    // covers CHAT-1, CHAT-8: no visitor id is asked for before the visitor opens the chat; the
    // first chat_open carries the page, its referrer and the language
    #[test]
    fn the_chat_opens_only_when_the_visitor_opens_it_and_tells_the_page() {
        let mut m = model(None);
        assert!(opens(&m.apply(Action::Connected)).is_empty());
        assert!(opens(&m.apply(Action::Chat(ChatAction::PanelOpen(true)))).is_empty());
        let out = m.apply(Action::Chat(ChatAction::Tab(true)));
        let o = &opens(&out)[0];
        assert_eq!(o.visitor, None);
        assert_eq!(o.page.as_deref(), Some("https://shop.example/shoes"));
        assert_eq!(o.referrer.as_deref(), Some("https://search.example/"));
        assert_eq!(o.lang.as_deref(), Some("zh-CN"));
        let out = m.apply(Action::Frame(
            Some(Asked::Chat),
            RelayToWidget::ChatOpened(ChatOpened {
                visitor: Secret::new("rl_v1"),
                status: None,
                agents_online: 1,
                unread: 0,
                offer: None,
            }),
        ));
        assert!(out.contains(&Out::SaveVisitor("rl_v1".into())));
    }

    // covers CHAT-9: an invitation that comes while the socket is still opening is redeemed by
    // the first chat_open once it is open, and only by that one
    #[test]
    fn an_invitation_before_the_socket_opens_is_redeemed_when_it_opens() {
        let mut m = model(None);
        assert!(opens(&m.apply(Action::Chat(ChatAction::Invite("INV".into())))).is_empty());
        assert!(m.chat_shown(), "the chat tab is chosen");
        let out = m.apply(Action::Connected);
        assert_eq!(opens(&out)[0].invite.as_deref(), Some("INV"));
        m.apply(Action::Disconnected { ever_open: true });
        let out = m.apply(Action::Connected);
        assert_eq!(opens(&out)[0].invite, None, "redeemed once");
    }

    // covers #11 attachments: an uploaded file goes as a line with its id; a refusal is kept
    // to be shown, and the next file clears it
    #[test]
    fn a_file_goes_as_a_line_and_a_refusal_is_shown() {
        let mut m = model(Some("rl_v1"));
        m.apply(Action::Connected);
        let out = m.chat_file(None, Some("the file is not an image or a PDF".into()), 1);
        assert!(out.is_empty());
        let chat = m.chat.as_ref().unwrap();
        assert_eq!(
            chat.file_refused.as_deref(),
            Some("the file is not an image or a PDF")
        );
        let out = m.chat_file(Some("att_1".into()), None, 2);
        let sent: Vec<_> = out
            .iter()
            .filter_map(|o| match o {
                Out::Send(WidgetMsg::ChatSend(s)) => Some(s.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(sent.len(), 1, "{out:?}");
        assert_eq!(sent[0].attachment.as_deref(), Some("att_1"));
        assert_eq!(m.chat.as_ref().unwrap().file_refused, None);
    }

    // covers CHAT-2: after a reconnect the chat opens again from the last line, with the same
    // visitor, and a line sent while the link was down goes then (once acknowledged, never again)
    #[test]
    fn a_reconnect_reopens_from_the_last_line_and_sends_what_waited() {
        let mut m = model(Some("rl_v1"));
        let out = m.apply(Action::Connected);
        let o = &opens(&out)[0];
        assert_eq!(o.visitor.as_ref().map(|v| v.expose()), Some("rl_v1"));
        m.apply(Action::Frame(
            None,
            RelayToWidget::Line(line(
                4,
                Author::Staff {
                    id: 1,
                    name: "Li".into(),
                },
                None,
            )),
        ));
        assert_eq!(
            m.chat.as_ref().unwrap().unread,
            1,
            "the panel is closed: unread"
        );
        m.apply(Action::Disconnected { ever_open: true });
        let out = m.chat_say("有 42 码吗", 1);
        assert!(out.is_empty(), "nothing goes on a dead link");
        let out = m.apply(Action::Connected);
        assert_eq!(opens(&out)[0].since, Some(4));
        let out = m.apply(Action::Frame(
            Some(Asked::Chat),
            RelayToWidget::ChatOpened(ChatOpened {
                visitor: Secret::new("rl_v1"),
                status: None,
                agents_online: 1,
                unread: 1,
                offer: None,
            }),
        ));
        let cid = out
            .iter()
            .find_map(|o| match o {
                Out::Send(WidgetMsg::ChatSend(s)) => Some(s.client_id.clone()),
                _ => None,
            })
            .expect("the waiting line goes");
        m.apply(Action::Frame(
            Some(Asked::Chat),
            RelayToWidget::ChatSent(ChatSent {
                line: line(5, Author::Visitor, Some(&cid)),
            }),
        ));
        assert!(m.chat.as_ref().unwrap().pending.is_empty());
        let out = m.apply(Action::Chat(ChatAction::PanelOpen(true)));
        assert!(out.is_empty(), "the call tab is showing: still unread");
        let out = m.apply(Action::Chat(ChatAction::Tab(true)));
        assert!(out.contains(&Out::Unread(0)));
    }
}
