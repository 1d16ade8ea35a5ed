//! The chat panel as plain data (CHAT): the conversation's lines in order and each once, the
//! lines sent but not yet acknowledged (sent again with the same client id after a reconnect,
//! so the relay stores each once), the agent's name, typing and read receipts, the queue place,
//! the "no agent free" offer, the unread count, and the end with a rating.

use ringlink_protocol::chat::*;
use ringlink_protocol::widget::{RelayToWidget, WidgetMsg};

/// Lines kept in the panel at most: the newest (older ones are in the transcript).
pub const KEPT_AT_MOST: usize = 500;

/// A line sent and not yet acknowledged.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub client_id: String,
    pub text: String,
    pub attachment: Option<String>,
}

/// What a chat change asks the app to do.
#[derive(Clone, Debug, PartialEq)]
pub enum ChatOut {
    Send(WidgetMsg),
    /// Keep the visitor id in the frame's storage.
    SaveVisitor(String),
    /// The unread count for the bubble (0 clears it).
    Unread(u32),
    /// The "no agent free" offer appeared: focus the panel placed may move to it.
    Offered,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChatModel {
    pub visitor: Option<String>,
    pub lines: Vec<ChatLine>,
    pub pending: Vec<Pending>,
    pub status: Option<ChatStatus>,
    pub agents_online: u32,
    /// What the panel offers while nobody can answer: the relay's latest word, from the
    /// conversation's status or, before the first line, from the opening.
    pub no_agent: Option<NoAgentOffer>,
    pub agent_typing: bool,
    /// The agent has read the visitor's lines up to here.
    pub read_upto: u64,
    pub unread: u32,
    /// The panel is on screen (lines arriving while it is not count as unread).
    pub visible: bool,
    pub opened: bool,
    pub rated: bool,
    pub message_left: bool,
    /// Why the relay refused the last file the visitor chose (type, size), in its words.
    pub file_refused: Option<String>,
    next_id: u64,
}

impl ChatModel {
    /// A panel that remembers its visitor id from the frame's storage.
    pub fn new(visitor: Option<String>) -> Self {
        Self {
            visitor,
            ..Self::default()
        }
    }

    /// The last line this panel has.
    pub fn last_seq(&self) -> Option<u64> {
        self.lines.last().map(|l| l.seq)
    }

    /// The `chat_open` to send now (on first use and after every reconnect), with what the
    /// agent is told about the page (CHAT-8).
    pub fn open(
        &self,
        page: Option<String>,
        referrer: Option<String>,
        lang: Option<String>,
        invite: Option<String>,
    ) -> WidgetMsg {
        WidgetMsg::ChatOpen(ChatOpen {
            visitor: self
                .visitor
                .clone()
                .map(ringlink_protocol::secret::Secret::new),
            page,
            referrer,
            lang,
            since: self.last_seq(),
            invite,
        })
    }

    /// The visitor sends `text` (trimmed; nothing for a blank one). `seed` makes client ids
    /// unique across page loads (the app passes the time it started).
    pub fn send(&mut self, text: &str, attachment: Option<String>, seed: u64) -> Option<ChatOut> {
        let text = text.trim();
        if text.is_empty() && attachment.is_none() {
            return None;
        }
        self.next_id += 1;
        let p = Pending {
            client_id: format!("w{seed:x}-{}", self.next_id),
            text: text.to_owned(),
            attachment,
        };
        self.pending.push(p.clone());
        Some(ChatOut::Send(send_msg(&p)))
    }

    /// Whether a line is the visitor's own.
    fn own(l: &ChatLine) -> bool {
        l.author == Author::Visitor
    }

    fn insert(&mut self, line: ChatLine) -> bool {
        if self.lines.iter().any(|l| l.seq == line.seq) {
            return false;
        }
        if let Some(cid) = &line.client_id {
            self.pending
                .retain(|p| &p.client_id != cid || !Self::own(&line));
        }
        let at = self.lines.partition_point(|l| l.seq < line.seq);
        self.lines.insert(at, line);
        if self.lines.len() > KEPT_AT_MOST {
            self.lines.remove(0);
        }
        true
    }

    /// A frame from the relay; `None` when it is not the chat's.
    pub fn frame(&mut self, msg: &RelayToWidget) -> Option<Vec<ChatOut>> {
        let mut out = Vec::new();
        let offered = self.no_agent.is_some();
        match msg {
            RelayToWidget::ChatOpened(o) => {
                let id = o.visitor.expose().to_owned();
                if self.visitor.as_deref() != Some(&id) {
                    // Another visitor (an invitation, or a forgotten id): start afresh.
                    if self.visitor.is_some() {
                        self.lines.clear();
                    }
                    self.visitor = Some(id.clone());
                    out.push(ChatOut::SaveVisitor(id));
                }
                self.opened = true;
                self.status = o.status.clone();
                self.agents_online = o.agents_online;
                self.no_agent = match &o.status {
                    Some(s) => s.offer.clone(),
                    // A relay that names no offer still has "leave a message".
                    None if o.agents_online == 0 => Some(o.offer.clone().unwrap_or(NO_AGENT)),
                    None => None,
                };
                if !self.visible {
                    self.unread = o.unread;
                    out.push(ChatOut::Unread(self.unread));
                }
                // What the lost socket never acknowledged goes again, under the same ids.
                out.extend(self.pending.iter().map(|p| ChatOut::Send(send_msg(p))));
            }
            RelayToWidget::ChatSent(s) => {
                self.insert(s.line.clone());
            }
            RelayToWidget::Line(l) => {
                if self.insert(l.clone()) && !Self::own(l) {
                    self.agent_typing = false;
                    if self.visible {
                        out.push(ChatOut::Send(WidgetMsg::ChatRead(ChatRead { upto: l.seq })));
                    } else {
                        self.unread += 1;
                        out.push(ChatOut::Unread(self.unread));
                    }
                }
            }
            RelayToWidget::ChatStatus(s) => {
                if s.state == ConversationState::Ended {
                    self.agent_typing = false;
                }
                self.no_agent = s.offer.clone();
                self.status = Some(s.clone());
            }
            RelayToWidget::Typing(t) => self.agent_typing = t.typing,
            RelayToWidget::Read(r) => self.read_upto = self.read_upto.max(r.upto),
            RelayToWidget::MessageLeft(_) => self.message_left = true,
            RelayToWidget::ChatAck(_) => {}
            _ => return None,
        }
        if !offered && self.no_agent.is_some() {
            out.push(ChatOut::Offered);
        }
        Some(out)
    }

    /// The panel came on screen: what was unread is read now.
    pub fn shown(&mut self) -> Vec<ChatOut> {
        self.visible = true;
        self.unread = 0;
        let mut out = vec![ChatOut::Unread(0)];
        if let Some(l) = self.lines.iter().rev().find(|l| !Self::own(l)) {
            out.push(ChatOut::Send(WidgetMsg::ChatRead(ChatRead { upto: l.seq })));
        }
        out
    }

    pub fn hidden(&mut self) {
        self.visible = false;
    }

    /// The visitor ends the chat, with a rating 1..=5 when given.
    pub fn end(&mut self, rating: Option<u8>) -> ChatOut {
        if rating.is_some() {
            self.rated = true;
        }
        ChatOut::Send(WidgetMsg::ChatEnd(ChatEnd {
            rating,
            comment: None,
        }))
    }

    pub fn is_ended(&self) -> bool {
        self.status
            .as_ref()
            .is_some_and(|s| s.state == ConversationState::Ended)
    }

    /// Nobody is online to answer: the panel offers "call me back" and "leave a message".
    pub fn offer(&self) -> Option<&NoAgentOffer> {
        self.no_agent.as_ref()
    }
}

const NO_AGENT: NoAgentOffer = NoAgentOffer {
    call_button: None,
    leave_message: true,
};

fn send_msg(p: &Pending) -> WidgetMsg {
    WidgetMsg::ChatSend(ChatSend {
        text: p.text.clone(),
        client_id: p.client_id.clone(),
        attachment: p.attachment.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringlink_protocol::secret::Secret;

    fn line(seq: u64, author: Author, text: &str, client_id: Option<&str>) -> ChatLine {
        ChatLine {
            conversation: "cv".into(),
            seq,
            author,
            text: text.into(),
            attachment: None,
            internal: false,
            at: 0,
            client_id: client_id.map(str::to_owned),
        }
    }

    fn agent() -> Author {
        Author::Staff {
            id: 1,
            name: "Li".into(),
        }
    }

    fn opened(m: &mut ChatModel, unread: u32) -> Vec<ChatOut> {
        m.frame(&RelayToWidget::ChatOpened(ChatOpened {
            visitor: Secret::new("rl_v"),
            status: None,
            agents_online: 1,
            unread,
            offer: None,
        }))
        .unwrap()
    }

    // covers CHAT-2 (#11 "both lose replies across reconnects"): what was never acknowledged is
    // sent again under the same client id, and every line shows once, in order
    #[test]
    fn unacknowledged_lines_go_again_and_lines_show_once_in_order() {
        let mut m = ChatModel::new(None);
        let out = opened(&mut m, 0);
        assert_eq!(
            out,
            vec![ChatOut::SaveVisitor("rl_v".into()), ChatOut::Unread(0)]
        );
        let Some(ChatOut::Send(first)) = m.send("  你好 ", None, 7) else {
            panic!()
        };
        assert!(m.send("   ", None, 7).is_none(), "a blank line is not sent");
        // The socket drops before the acknowledgement; the reopen sends it again, same id.
        let again = opened(&mut m, 0);
        assert_eq!(
            again,
            vec![ChatOut::Unread(0), ChatOut::Send(first.clone())]
        );
        let WidgetMsg::ChatSend(s) = first else {
            panic!()
        };
        assert_eq!(s.text, "你好");
        m.frame(&RelayToWidget::ChatSent(ChatSent {
            line: line(5, Author::Visitor, "你好", Some(&s.client_id)),
        }));
        m.frame(&RelayToWidget::ChatSent(ChatSent {
            line: line(5, Author::Visitor, "你好", Some(&s.client_id)),
        }));
        assert!(m.pending.is_empty());
        m.frame(&RelayToWidget::Line(line(9, agent(), "two", None)));
        m.frame(&RelayToWidget::Line(line(7, agent(), "one", None)));
        m.frame(&RelayToWidget::Line(line(9, agent(), "two", None)));
        let seqs: Vec<u64> = m.lines.iter().map(|l| l.seq).collect();
        assert_eq!(seqs, [5, 7, 9]);
        assert_eq!(m.last_seq(), Some(9));
        let WidgetMsg::ChatOpen(o) = m.open(None, None, None, None) else {
            panic!()
        };
        assert_eq!(
            (o.since, o.visitor.map(|v| v.expose().to_owned())),
            (Some(9), Some("rl_v".into()))
        );
    }

    // covers #11 "the bubble shows an unread count": lines while the panel is hidden count,
    // showing it reads them (a read receipt goes to the agent)
    #[test]
    fn hidden_lines_count_as_unread_until_shown() {
        let mut m = ChatModel::new(Some("rl_v".into()));
        assert_eq!(opened(&mut m, 2), vec![ChatOut::Unread(2)]);
        let out = m
            .frame(&RelayToWidget::Line(line(3, agent(), "hi", None)))
            .unwrap();
        assert_eq!(out, vec![ChatOut::Unread(3)]);
        let out = m.shown();
        assert_eq!(
            out,
            vec![
                ChatOut::Unread(0),
                ChatOut::Send(WidgetMsg::ChatRead(ChatRead { upto: 3 }))
            ]
        );
        let out = m
            .frame(&RelayToWidget::Line(line(4, agent(), "more", None)))
            .unwrap();
        assert_eq!(
            out,
            vec![ChatOut::Send(WidgetMsg::ChatRead(ChatRead { upto: 4 }))]
        );
    }

    // covers #11 "No agent free": before the first line the panel offers the merchant's
    // "call me back" button the relay named (it showed only "leave a message" before)
    #[test]
    fn the_offer_before_the_first_line_carries_the_call_button() {
        let mut m = ChatModel::new(None);
        let out = m
            .frame(&RelayToWidget::ChatOpened(ChatOpened {
                visitor: Secret::new("rl_v"),
                status: None,
                agents_online: 0,
                unread: 0,
                offer: Some(NoAgentOffer {
                    call_button: Some("sales".into()),
                    leave_message: true,
                }),
            }))
            .unwrap();
        assert!(
            out.contains(&ChatOut::Offered),
            "the app is told, to move focus to it: {out:?}"
        );
        let offer = m.offer().expect("nobody online: the offer");
        assert_eq!(offer.call_button.as_deref(), Some("sales"));
        assert!(offer.leave_message);
    }

    #[test]
    fn typing_read_receipts_and_the_offer() {
        let mut m = ChatModel::new(None);
        m.frame(&RelayToWidget::ChatOpened(ChatOpened {
            visitor: Secret::new("rl_v"),
            status: None,
            agents_online: 0,
            unread: 0,
            offer: None,
        }));
        assert!(
            m.offer().is_some_and(|o| o.leave_message),
            "nobody online: the offer"
        );
        m.frame(&RelayToWidget::Typing(TypingNotice {
            conversation: "cv".into(),
            who: agent(),
            typing: true,
        }));
        assert!(m.agent_typing);
        m.frame(&RelayToWidget::Line(line(3, agent(), "hi", None)));
        assert!(!m.agent_typing, "a line ends the typing indicator");
        m.frame(&RelayToWidget::Read(ReadNotice {
            conversation: "cv".into(),
            who: agent(),
            upto: 3,
        }));
        m.frame(&RelayToWidget::Read(ReadNotice {
            conversation: "cv".into(),
            who: agent(),
            upto: 2,
        }));
        assert_eq!(m.read_upto, 3, "receipts never go backwards");
        assert!(
            m.frame(&RelayToWidget::Pong(Default::default())).is_none(),
            "not the chat's frame"
        );
    }
}
