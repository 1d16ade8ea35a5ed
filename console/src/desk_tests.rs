use ringlink_protocol::chat::{ChatSent, ConversationState, ReadNotice, TypingNotice};
use ringlink_protocol::ErrorBody;

use super::*;

fn me() -> StaffView {
    StaffView {
        id: 7,
        account: "li".into(),
        name: "Li".into(),
        number: None,
        role: StaffRole::Agent,
        state: AgentState::Normal,
        open: 0,
        sms_offline: false,
    }
}

fn summary(id: &str) -> ConversationSummary {
    ConversationSummary {
        id: id.into(),
        kind: ConversationKind::Visitor,
        state: ConversationState::Active,
        agent: Some(7),
        colleague: None,
        visitor: None,
        visitor_here: true,
        last_seq: 0,
        unread: 0,
        transfer: None,
    }
}

fn line(conv: &str, seq: u64, author: Author) -> ChatLine {
    ChatLine {
        conversation: conv.into(),
        seq,
        author,
        text: format!("line {seq}"),
        attachment: None,
        internal: false,
        at: 0,
        client_id: None,
    }
}

fn signed_in() -> Desk {
    let mut d = Desk::default();
    d.apply(
        RelayToConsole::StaffSignedIn(StaffSignedIn {
            token: ringlink_protocol::secret::Secret::new("t"),
            me: me(),
            site_name: "Shop".into(),
            expires_at: 0,
        }),
        |_| false,
    );
    d.apply(RelayToConsole::Conversations(vec![summary("c1")]), |_| {
        false
    });
    d
}

#[test]
fn lines_are_kept_once_in_seq_order() {
    // covers CHAT-1: a resume's replay and a live push of the same line show it once
    let mut d = signed_in();
    // 2 comes late (a replay the summary counted already): kept in order, not counted.
    for seq in [3, 4, 5, 5, 3, 2] {
        d.apply(
            RelayToConsole::Line(line("c1", seq, Author::Visitor)),
            |_| false,
        );
    }
    let seqs: Vec<u64> = d.conv("c1").unwrap().lines.iter().map(|l| l.seq).collect();
    assert_eq!(seqs, [2, 3, 4, 5]);
    assert_eq!(
        d.conv("c1").unwrap().summary.unread,
        3,
        "each new visitor line once"
    );
    assert_eq!(d.last_seq, Some(5));
}

#[test]
fn a_line_in_view_is_not_unread_and_my_own_lines_never_are() {
    let mut d = signed_in();
    let n = d.apply(RelayToConsole::Line(line("c1", 1, Author::Visitor)), |c| {
        c == "c1"
    });
    assert_eq!(n.len(), 1, "still noticed (sound) while in view");
    d.apply(
        RelayToConsole::ChatSent(ChatSent {
            line: line(
                "c1",
                2,
                Author::Staff {
                    id: 7,
                    name: "Li".into(),
                },
            ),
        }),
        |_| false,
    );
    assert_eq!(d.unread_total(), 0);
    d.apply(RelayToConsole::Line(line("c1", 3, Author::Visitor)), |_| {
        false
    });
    assert_eq!(d.unread_total(), 1);
    assert_eq!(
        d.mark_read("c1"),
        Some(3),
        "the receipt goes up to the last line"
    );
    assert_eq!(d.mark_read("c1"), None, "and only once");
    assert_eq!(d.unread_total(), 0);
}

#[test]
fn new_visitor_conversations_and_offers_are_noticed_and_gone_ones_leave() {
    let mut d = signed_in();
    let n = d.apply(RelayToConsole::Conversation(summary("c2")), |_| false);
    assert_eq!(
        n,
        [Notice::NewVisitor {
            conversation: "c2".into()
        }]
    );
    assert!(d
        .apply(RelayToConsole::Conversation(summary("c2")), |_| false)
        .is_empty());
    d.selected = Some("c2".into());
    d.apply(
        RelayToConsole::TransferOffer(TransferOffer {
            conversation: "c2".into(),
            from: 7,
            note: "VIP".into(),
            expires_at: 100,
        }),
        |_| false,
    );
    assert_eq!(d.live_offers(50).len(), 1);
    assert!(
        d.live_offers(100).is_empty(),
        "an expired offer is not shown"
    );
    d.apply(RelayToConsole::ConversationGone("c2".into()), |_| false);
    assert!(d.conv("c2").is_none() && d.selected.is_none() && d.offers.is_empty());
}

#[test]
fn typing_read_and_state_follow_the_pushes() {
    // covers CHAT-5: the state the relay confirmed is the one shown
    let mut d = signed_in();
    let typing = |t| {
        RelayToConsole::Typing(TypingNotice {
            conversation: "c1".into(),
            who: Author::Visitor,
            typing: t,
        })
    };
    d.apply(typing(true), |_| false);
    assert!(d.conv("c1").unwrap().typing);
    d.apply(RelayToConsole::Line(line("c1", 9, Author::Visitor)), |_| {
        false
    });
    assert!(!d.conv("c1").unwrap().typing, "a line ends the typing");
    d.apply(
        RelayToConsole::Read(ReadNotice {
            conversation: "c1".into(),
            who: Author::Visitor,
            upto: 9,
        }),
        |_| false,
    );
    assert_eq!(d.conv("c1").unwrap().read_upto, 9);
    d.apply(
        RelayToConsole::StateSet(StateSet {
            state: AgentState::Busy,
        }),
        |_| false,
    );
    assert_eq!(d.me.as_ref().unwrap().state, AgentState::Busy);
}

#[test]
fn a_refused_resume_signs_out_and_a_refusal_shows_its_message() {
    let mut d = signed_in();
    let err =
        || RelayToConsole::Error(ErrorBody::new(ringlink_protocol::ErrorCode::BadField, "no"));
    d.reply(&Asked::SetState, err(), |_| false);
    assert_eq!(d.error.as_deref(), Some("no"));
    assert!(d.signed_in());
    d.reply(&Asked::Resume, err(), |_| false);
    assert!(!d.signed_in() && d.signed_out);
}

#[test]
fn an_answered_left_message_shows_who_answered() {
    let mut d = signed_in();
    d.apply(
        RelayToConsole::LeftMessages(vec![LeftMessage {
            id: "lm1".into(),
            name: "Wang".into(),
            number: "".into(),
            text: "call me".into(),
            reply_by_sms: false,
            at: 0,
            answered_by: None,
        }]),
        |_| false,
    );
    let later = LeftMessage {
        id: "lm2".into(),
        ..d.left[0].clone()
    };
    let n = d.apply(RelayToConsole::LeftMessages(vec![later]), |_| false);
    assert_eq!(n.len(), 1, "a message left now is noticed");
    assert_eq!(
        d.left.len(),
        2,
        "a live push adds to the list, it does not replace it"
    );
    d.reply(
        &Asked::AnswerLeft { id: "lm1".into() },
        RelayToConsole::ChatAck(Default::default()),
        |_| false,
    );
    assert_eq!(
        d.left.iter().find(|l| l.id == "lm1").unwrap().answered_by,
        Some(7)
    );
}

#[test]
fn a_line_the_summary_counted_is_not_counted_again() {
    // covers CHAT-1: the first line of a new visitor arrives after its summary, or replayed
    let mut d = signed_in();
    let mut s = summary("c2");
    s.last_seq = 4;
    s.unread = 1;
    d.apply(RelayToConsole::Conversation(s), |_| false);
    d.apply(RelayToConsole::Line(line("c2", 4, Author::Visitor)), |_| {
        false
    });
    assert_eq!(d.conv("c2").unwrap().summary.unread, 1);
    d.apply(RelayToConsole::Line(line("c2", 6, Author::Visitor)), |_| {
        false
    });
    assert_eq!(d.conv("c2").unwrap().summary.unread, 2);
}

#[test]
fn visitors_browsing_now_are_replaced_by_each_push() {
    // covers CHAT-9: the list is the site's page views now
    let mut d = signed_in();
    let view = |id: &str| BrowsingVisitor {
        pageview: id.into(),
        page: "https://shop.example/".into(),
        title: None,
        referrer: None,
        lang: None,
        since: 0,
    };
    d.apply(
        RelayToConsole::VisitorsNow(vec![view("p1"), view("p2")]),
        |_| false,
    );
    d.apply(RelayToConsole::VisitorsNow(vec![view("p2")]), |_| false);
    assert_eq!(d.browsing, [view("p2")]);
}

// covers CHAT-1 (search over stored conversations): hits are listed per conversation, each with
// its first matching line and how many matched, in the relay's order
#[test]
fn search_hits_are_grouped_by_conversation() {
    let hits = [
        line("c2", 4, Author::Visitor),
        line("c1", 9, Author::Visitor),
        line("c2", 7, Author::Visitor),
        line("c2", 8, Author::Visitor),
    ];
    let by = hits_by_conversation(&hits);
    let seen: Vec<(&str, u64, usize)> = by
        .iter()
        .map(|h| (h.conversation.as_str(), h.first.seq, h.lines))
        .collect();
    assert_eq!(seen, [("c2", 4, 3), ("c1", 9, 1)]);
}
