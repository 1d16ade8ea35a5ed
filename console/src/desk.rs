//! The agent's desk as the console shows it, and how each relay frame changes it: who is signed
//! in and their state (CHAT-5), visitor and colleague conversations with their lines
//! (de-duplicated by `seq`), unread counts, typing and read notices, transfer offers,
//! colleagues, left messages and search hits (CHAT-1, CHAT-3, CHAT-7). Plain Rust: tested natively.

use ringlink_protocol::chat::{Author, ChatLine};
use ringlink_protocol::console::*;

/// What a request was, so its reply (paired by `re`) can be read.
#[derive(Clone, Debug, PartialEq)]
pub enum Asked {
    SignIn,
    Resume,
    SetState,
    Send { conversation: String },
    Transfer,
    AnswerTransfer { conversation: String },
    Close,
    OpenColleague,
    History { conversation: String },
    Search,
    AnswerLeft { id: String },
    Other,
}

/// One conversation in the agent's list.
#[derive(Clone, Debug, PartialEq)]
pub struct Conv {
    pub summary: ConversationSummary,
    /// Sorted by `seq`, each once.
    pub lines: Vec<ChatLine>,
    /// The other side is typing now.
    pub typing: bool,
    /// The other side has read up to here.
    pub read_upto: u64,
    /// What this agent last told the relay it read.
    pub my_read: u64,
}

impl Conv {
    fn new(summary: ConversationSummary) -> Self {
        Self {
            summary,
            lines: Vec::new(),
            typing: false,
            read_upto: 0,
            my_read: 0,
        }
    }

    pub fn id(&self) -> &str {
        &self.summary.id
    }

    /// Adds a line unless its `seq` is there already; true when it was new.
    pub fn add_line(&mut self, line: ChatLine) -> bool {
        match self.lines.binary_search_by_key(&line.seq, |l| l.seq) {
            Ok(_) => false,
            Err(at) => {
                self.summary.last_seq = self.summary.last_seq.max(line.seq);
                self.lines.insert(at, line);
                true
            }
        }
    }

    pub fn last_seq(&self) -> u64 {
        self.lines
            .last()
            .map_or(self.summary.last_seq, |l| l.seq.max(self.summary.last_seq))
    }
}

/// Something the person at the desk should notice (a sound, a desktop notification).
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// A line from a visitor or colleague.
    Line {
        conversation: String,
        who: String,
        text: String,
    },
    /// A visitor conversation was given to this agent.
    NewVisitor { conversation: String },
    /// A colleague offers a conversation.
    Offer { from: String },
    /// A visitor left a message while nobody was free.
    LeftMessage { name: String },
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Desk {
    pub me: Option<StaffView>,
    pub site_name: String,
    pub conversations: Vec<Conv>,
    pub colleagues: Vec<StaffView>,
    pub left: Vec<LeftMessage>,
    /// Page views of the site now (CHAT-9), each one an agent may invite to chat.
    pub browsing: Vec<BrowsingVisitor>,
    pub offers: Vec<TransferOffer>,
    pub selected: Option<String>,
    pub hits: Option<Vec<ChatLine>>,
    /// The last refusal's message, shown until the next request.
    pub error: Option<String>,
    /// The highest line `seq` seen: a resume asks for what came after it.
    pub last_seq: Option<u64>,
    /// Set when the session cannot be resumed: the sign-in form shows again.
    pub signed_out: bool,
}

/// One conversation the search found: its first matching line and how many lines matched.
#[derive(Clone, Debug, PartialEq)]
pub struct ConversationHit {
    pub conversation: String,
    pub first: ChatLine,
    pub lines: usize,
}

/// The search's matching lines as the conversations they are in, in the relay's order (the
/// first line of each decides its place): agents look for a conversation, not a line.
pub fn hits_by_conversation(lines: &[ChatLine]) -> Vec<ConversationHit> {
    let mut out: Vec<ConversationHit> = Vec::new();
    for l in lines {
        match out.iter_mut().find(|h| h.conversation == l.conversation) {
            Some(h) => h.lines += 1,
            None => out.push(ConversationHit {
                conversation: l.conversation.clone(),
                first: l.clone(),
                lines: 1,
            }),
        }
    }
    out
}

impl Desk {
    pub fn signed_in(&self) -> bool {
        self.me.is_some()
    }

    pub fn my_id(&self) -> Option<i64> {
        self.me.as_ref().map(|m| m.id)
    }

    pub fn conv(&self, id: &str) -> Option<&Conv> {
        self.conversations.iter().find(|c| c.id() == id)
    }

    fn conv_mut(&mut self, id: &str) -> Option<&mut Conv> {
        self.conversations.iter_mut().find(|c| c.id() == id)
    }

    pub fn selected_conv(&self) -> Option<&Conv> {
        self.selected.as_deref().and_then(|id| self.conv(id))
    }

    /// Unread lines over every conversation (the title's count).
    pub fn unread_total(&self) -> u32 {
        self.conversations.iter().map(|c| c.summary.unread).sum()
    }

    /// The name of staff member `id`, from the colleagues list.
    pub fn staff_name(&self, id: i64) -> Option<&str> {
        if let Some(me) = self.me.as_ref().filter(|m| m.id == id) {
            return Some(&me.name);
        }
        self.colleagues
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.as_str())
    }

    /// The colleague on the other side of a colleague conversation.
    pub fn other_side(&self, s: &ConversationSummary) -> Option<i64> {
        let me = self.my_id();
        if s.agent.is_some() && s.agent != me {
            s.agent
        } else {
            s.colleague
        }
    }

    /// Conversations of one kind, the most recent first.
    pub fn of_kind(&self, kind: ConversationKind) -> Vec<&Conv> {
        let mut v: Vec<&Conv> = self
            .conversations
            .iter()
            .filter(|c| c.summary.kind == kind)
            .collect();
        v.sort_by_key(|c| std::cmp::Reverse(c.last_seq()));
        v
    }

    fn see_seq(&mut self, seq: u64) {
        self.last_seq = Some(self.last_seq.map_or(seq, |s| s.max(seq)));
    }

    fn upsert(&mut self, s: ConversationSummary) -> bool {
        if let Some(t) = &s.transfer {
            self.add_offer(t.clone());
        }
        match self.conv_mut(&s.id) {
            Some(c) => {
                let last = c.last_seq();
                c.summary = s;
                c.summary.last_seq = c.summary.last_seq.max(last);
                false
            }
            None => {
                self.conversations.push(Conv::new(s));
                true
            }
        }
    }

    fn add_offer(&mut self, o: TransferOffer) {
        self.offers.retain(|x| x.conversation != o.conversation);
        self.offers.push(o);
    }

    /// Applies a push (or the data of a reply). `visible` says whether the agent is looking at
    /// the conversation a line lands in (selected, page focused): then it does not count as
    /// unread.
    pub fn apply(&mut self, msg: RelayToConsole, visible: impl Fn(&str) -> bool) -> Vec<Notice> {
        let mut out = Vec::new();
        match msg {
            RelayToConsole::StaffSignedIn(s) => {
                self.me = Some(s.me);
                self.site_name = s.site_name;
                self.signed_out = false;
                self.error = None;
            }
            RelayToConsole::StateSet(s) => {
                if let Some(me) = &mut self.me {
                    me.state = s.state;
                }
            }
            RelayToConsole::Conversations(list) => {
                // A fresh list after a (re)sign-in: keep the lines already here.
                let keep: Vec<String> = list.iter().map(|s| s.id.clone()).collect();
                self.conversations
                    .retain(|c| keep.iter().any(|k| k == c.id()));
                for s in list {
                    self.upsert(s);
                }
            }
            RelayToConsole::Conversation(s) => {
                let id = s.id.clone();
                let visitor = s.kind == ConversationKind::Visitor;
                if self.upsert(s) && visitor {
                    out.push(Notice::NewVisitor { conversation: id });
                }
            }
            RelayToConsole::Opened(o) => {
                let id = o.conversation.id.clone();
                self.upsert(o.conversation);
                self.selected = Some(id);
            }
            RelayToConsole::ConversationGone(id) => {
                self.conversations.retain(|c| c.id() != id);
                self.offers.retain(|o| o.conversation != id);
                if self.selected.as_deref() == Some(&id) {
                    self.selected = None;
                }
            }
            RelayToConsole::Line(line)
            | RelayToConsole::ChatSent(ringlink_protocol::chat::ChatSent { line }) => {
                if let Some(n) = self.add_line(line, &visible) {
                    out.push(n);
                }
            }
            RelayToConsole::History(h) => {
                for l in h.lines {
                    self.see_seq(l.seq);
                    if let Some(c) = self.conv_mut(&h.conversation) {
                        c.add_line(l);
                    }
                }
            }
            RelayToConsole::Typing(t) => {
                if let Some(c) = self.conv_mut(&t.conversation) {
                    c.typing = t.typing;
                }
            }
            RelayToConsole::Read(r) => {
                if let Some(c) = self.conv_mut(&r.conversation) {
                    c.read_upto = c.read_upto.max(r.upto);
                }
            }
            RelayToConsole::Colleagues(list) => {
                if let Some(me) = &mut self.me {
                    if let Some(mine) = list.iter().find(|s| s.id == me.id) {
                        *me = mine.clone();
                    }
                }
                self.colleagues = list;
            }
            RelayToConsole::Colleague(one) => {
                if let Some(me) = &mut self.me {
                    if me.id == one.id {
                        *me = one.clone();
                    }
                }
                match self.colleagues.iter_mut().find(|s| s.id == one.id) {
                    Some(s) => *s = one,
                    None => self.colleagues.push(one),
                }
            }
            RelayToConsole::TransferOffer(o) => {
                let from = self.staff_name(o.from).unwrap_or_default().to_owned();
                self.add_offer(o);
                out.push(Notice::Offer { from });
            }
            RelayToConsole::LeftMessages(list) => {
                // The full list after sign-in, then one message as a visitor leaves it.
                for l in list {
                    match self.left.iter_mut().find(|x| x.id == l.id) {
                        Some(x) => *x = l,
                        None => {
                            out.push(Notice::LeftMessage {
                                name: l.name.clone(),
                            });
                            self.left.insert(0, l);
                        }
                    }
                }
            }
            RelayToConsole::SearchHits(h) => self.hits = Some(h.lines),
            RelayToConsole::Error(e) => self.error = Some(e.message),
            RelayToConsole::VisitorsNow(list) => self.browsing = list,
            RelayToConsole::Pong(_) | RelayToConsole::ChatAck(_) => {}
        }
        out
    }

    fn add_line(&mut self, line: ChatLine, visible: &impl Fn(&str) -> bool) -> Option<Notice> {
        let me = self.my_id();
        self.see_seq(line.seq);
        let conv = line.conversation.clone();
        let from_other = match &line.author {
            Author::Staff { id, .. } => Some(*id) != me,
            Author::Visitor => true,
            Author::System => false,
        };
        let who = match &line.author {
            Author::Staff { name, .. } => name.clone(),
            _ => String::new(),
        };
        let text = line.text.clone();
        let shown = visible(&conv);
        let c = self.conv_mut(&conv)?;
        // A line the summary already covered (its `last_seq`) is in its `unread` too.
        let counted = line.seq <= c.summary.last_seq;
        if !c.add_line(line) || !from_other {
            return None;
        }
        c.typing = false;
        if !shown && !counted {
            c.summary.unread += 1;
        }
        Some(Notice::Line {
            conversation: conv,
            who,
            text,
        })
    }

    pub fn stop_typing(&mut self, id: &str) {
        if let Some(c) = self.conv_mut(id) {
            c.typing = false;
        }
    }

    /// The agent is looking at `id`: its unread count goes to 0, and the read receipt to send
    /// (`upto`) is returned when it moved.
    pub fn mark_read(&mut self, id: &str) -> Option<u64> {
        let c = self.conv_mut(id)?;
        c.summary.unread = 0;
        let upto = c.last_seq();
        (upto > c.my_read).then(|| {
            c.my_read = upto;
            upto
        })
    }

    /// A reply to a request of kind `asked`: what only the kind of request explains.
    pub fn reply(
        &mut self,
        asked: &Asked,
        msg: RelayToConsole,
        visible: impl Fn(&str) -> bool,
    ) -> Vec<Notice> {
        match (asked, &msg) {
            (Asked::Resume, RelayToConsole::Error(e)) => {
                self.me = None;
                self.signed_out = true;
                self.error = Some(e.message.clone());
                return Vec::new();
            }
            (Asked::AnswerTransfer { conversation }, _) => {
                self.offers.retain(|o| &o.conversation != conversation);
            }
            (Asked::AnswerLeft { id }, RelayToConsole::ChatAck(_)) => {
                let me = self.my_id();
                if let Some(l) = self.left.iter_mut().find(|l| &l.id == id) {
                    l.answered_by = me;
                }
            }
            (Asked::Send { conversation }, RelayToConsole::ChatSent(_)) => {
                if let Some(c) = self.conv_mut(conversation) {
                    c.summary.unread = 0;
                }
            }
            _ => {}
        }
        if !matches!(msg, RelayToConsole::Error(_)) {
            self.error = None;
        }
        self.apply(msg, visible)
    }

    /// Offers that have not expired at `now_ms`.
    pub fn live_offers(&self, now_ms: i64) -> Vec<&TransferOffer> {
        self.offers
            .iter()
            .filter(|o| o.expires_at > now_ms)
            .collect()
    }

    /// Forgets everything (sign-out).
    pub fn clear(&mut self) {
        *self = Desk {
            signed_out: true,
            ..Desk::default()
        };
    }
}

#[cfg(test)]
#[path = "desk_tests.rs"]
mod tests;
