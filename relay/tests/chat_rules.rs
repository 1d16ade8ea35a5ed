//! CHAT's rules end to end over real sockets: colleagues among themselves (CHAT-3, CHAT-7),
//! the tenant wall (CHAT-6), the no-agent offer, bad input, SMS to offline colleagues and
//! skip-on-call (CHAT-4), on SQLite, PostgreSQL and two relays.

mod support;

use ringlink_protocol::chat::*;
use ringlink_protocol::console::*;
use ringlink_protocol::widget::{RelayToWidget, WidgetMsg};
use ringlink_protocol::ErrorCode;
use support::chat::*;

// covers CHAT-3: a colleague who is online sees the conversation in their list as soon as it
// is opened with them, then its lines (their console dropped lines of a conversation it did
// not know, so the colleague chat never showed)
both_buses!(
    an_online_colleague_is_told_of_the_conversation_opened_with_them,
    |t: support::TestRelay| async move {
        let li_id = agent_account(&t, "li", "Li").await;
        let wang = agent_account(&t, "wang", "Wang").await;
        let (mut li, _) = signed_in_console(&t, "li").await;
        let (mut wang_c, _) = signed_in_console(&t, "wang").await;
        let opened = li
            .request(ConsoleMsg::OpenColleague(OpenColleague { staff: wang }))
            .await;
        let RelayToConsole::Opened(o) = opened else {
            panic!("{opened:?}")
        };
        let theirs = until(&mut wang_c, 10, |m| match m {
            RelayToConsole::Conversation(c) if c.id == o.conversation.id => Some(c),
            _ => None,
        })
        .await;
        assert_eq!(theirs.kind, ConversationKind::Colleague);
        assert_eq!(
            theirs.colleague,
            Some(li_id),
            "Wang's side names Li: {theirs:?}"
        );
        li.request(reply_to(&o.conversation.id, "开会吗？", "c1"))
            .await;
        let l = until(&mut wang_c, 10, |m| match m {
            RelayToConsole::Line(l) if l.conversation == o.conversation.id => Some(l),
            _ => None,
        })
        .await;
        assert_eq!(l.text, "开会吗？");
    }
);

// covers CHAT-3, CHAT-7: agents talk among themselves while serving visitors; a line to an
// offline colleague waits for their next sign-in; a line to a visitor who left is refused
both_buses!(
    colleagues_talk_and_offline_colleagues_get_lines_later,
    |t: support::TestRelay| async move {
        agent_account(&t, "li", "Li").await;
        let wang = agent_account(&t, "wang", "Wang").await;
        let (mut li, _) = signed_in_console(&t, "li").await;
        let (mut v, _) = visitor(&t).await;
        v.request(say("hi", "1")).await;
        let visit = next_conversation(&mut li).await;
        let opened = li
            .request(ConsoleMsg::OpenColleague(OpenColleague { staff: wang }))
            .await;
        let RelayToConsole::Opened(o) = opened else {
            panic!("{opened:?}")
        };
        assert_eq!(o.conversation.kind, ConversationKind::Colleague);
        let r = li
            .request(reply_to(
                &o.conversation.id,
                "can you help with a refund?",
                "c1",
            ))
            .await;
        assert!(
            matches!(r, RelayToConsole::ChatSent(_)),
            "kept for the offline colleague: {r:?}"
        );

        let (mut wang_c, _) = signed_in_console(&t, "wang").await;
        let list = until(&mut wang_c, 10, |m| match m {
            RelayToConsole::Conversations(l) => Some(l),
            _ => None,
        })
        .await;
        let cc = list
            .iter()
            .find(|c| c.id == o.conversation.id)
            .expect("the colleague conversation");
        assert_eq!(cc.unread, 1, "delivered at the next sign-in");

        // Both ways, while Li still serves the visitor.
        wang_c.request(reply_to(&cc.id, "sure", "w1")).await;
        let l = until(&mut li, 10, |m| match m {
            RelayToConsole::Line(l)
                if l.conversation == cc.id
                    && matches!(l.author, Author::Staff { id, .. } if id == wang) =>
            {
                Some(l)
            }
            _ => None,
        })
        .await;
        assert_eq!(l.text, "sure");
        li.request(reply_to(&visit.id, "one moment", "v1")).await;
        assert_eq!(next_line_visitor(&mut v).await.text, "one moment");

        drop(v);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        advance(&t, 30).await;
        let r = li.request(reply_to(&visit.id, "still there?", "v2")).await;
        let RelayToConsole::Error(e) = r else {
            panic!("{r:?}")
        };
        assert_eq!(e.code, ErrorCode::VisitorLeft);
        assert!(e.message.contains("left"), "{}", e.message);
    }
);

// covers CHAT-6, the tenant rule: another site's staff can neither read nor write a
// conversation, by id or by search
both_buses!(
    another_sites_staff_never_sees_the_conversation,
    |t: support::TestRelay| async move {
        agent_account(&t, "li", "Li").await;
        other_site_with_eve(&t).await;
        let (mut li, _) = signed_in_console(&t, "li").await;
        let (mut v, _) = visitor(&t).await;
        v.request(say("my secret order 1234", "1")).await;
        let conv = next_conversation(&mut li).await;
        let (mut eve, _) = signed_in_console_on(&t, "site_other", "eve").await;
        for msg in [
            ConsoleMsg::GetHistory(GetHistory {
                conversation: conv.id.clone(),
                before: None,
            }),
            reply_to(&conv.id, "hi from another shop", "e1"),
            ConsoleMsg::CloseConversation(CloseConversation {
                conversation: conv.id.clone(),
            }),
        ] {
            let r = eve.request(msg).await;
            let RelayToConsole::Error(e) = r else {
                panic!("another tenant got {r:?}")
            };
            assert_eq!(e.code, ErrorCode::UnknownConversation);
        }
        let hits = eve
            .request(ConsoleMsg::SearchChats(SearchChats {
                query: "secret".into(),
            }))
            .await;
        let RelayToConsole::SearchHits(h) = hits else {
            panic!()
        };
        assert!(h.lines.is_empty(), "search stays in the tenant");
        let hits = li
            .request(ConsoleMsg::SearchChats(SearchChats {
                query: "SECRET".into(),
            }))
            .await;
        let RelayToConsole::SearchHits(h) = hits else {
            panic!()
        };
        assert_eq!(h.lines.len(), 1, "search is case-blind on both databases");
        // A wrong password and an unknown site say so.
        let mut c = console(&t).await;
        let r = c
            .request(ConsoleMsg::StaffSignIn(StaffSignIn {
                site: support::SITE.into(),
                account: "eve".into(),
                password: ringlink_protocol::secret::Secret::new(support::PASSWORD),
            }))
            .await;
        let RelayToConsole::Error(e) = r else {
            panic!("{r:?}")
        };
        assert_eq!(
            e.code,
            ErrorCode::BadCredentials,
            "an account of another site does not sign in here"
        );
        // Nothing but sign-in works before it.
        let r = c.request(reply_to(&conv.id, "x", "x")).await;
        let RelayToConsole::Error(e) = r else {
            panic!("{r:?}")
        };
        assert_eq!(e.code, ErrorCode::NotStaff);
    }
);

// covers CHAT (no agent free): with nobody online the visitor is offered "leave a message",
// which reaches the staff when they sign in
both_buses!(
    no_agent_online_offers_leaving_a_message,
    |t: support::TestRelay| async move {
        let (mut v, opened) = visitor(&t).await;
        assert_eq!(opened.agents_online, 0);
        v.request(say("anyone?", "1")).await;
        let st = next_status(&mut v).await;
        assert_eq!(st.offer.as_ref().map(|o| o.leave_message), Some(true));
        let r = v
            .request(WidgetMsg::LeaveMessage(LeaveMessage {
                name: "Zhang".into(),
                number: "138 0013 8000".into(),
                text: "please call me about the order".into(),
                reply_by_sms: true,
            }))
            .await;
        assert!(matches!(r, RelayToWidget::MessageLeft(_)), "{r:?}");
        let bad = v
            .request(WidgetMsg::LeaveMessage(LeaveMessage {
                name: "Zhang".into(),
                number: "not a number".into(),
                text: "x".into(),
                reply_by_sms: true,
            }))
            .await;
        let RelayToWidget::Error(e) = bad else {
            panic!("{bad:?}")
        };
        assert_eq!(e.code, ErrorCode::InvalidNumber);
        agent_account(&t, "li", "Li").await;
        let (mut li, _) = signed_in_console(&t, "li").await;
        let left = until(&mut li, 10, |m| match m {
            RelayToConsole::LeftMessages(l) if !l.is_empty() => Some(l),
            _ => None,
        })
        .await;
        assert_eq!(left[0].number, "+8613800138000");
        assert!(left[0].reply_by_sms);
        // Coming online served the waiting visitor too.
        let st = next_status(&mut v).await;
        assert_eq!(st.state, ConversationState::Active);
    }
);

// covers CHAT (bad input): chat requests before chat_open, blank lines and bad ratings are
// refused with a reason
both_dbs!(
    bad_chat_requests_say_what_is_wrong,
    |t: support::TestRelay| async move {
        let mut w = t.widget_from(support::ORIGIN, support::SITE).await.unwrap();
        let r = w.request(say("hello", "1")).await;
        let RelayToWidget::Error(e) = r else {
            panic!("{r:?}")
        };
        assert_eq!(e.code, ErrorCode::ChatNotOpen);
        let (mut v, _) = visitor(&t).await;
        let r = v.request(say("   ", "2")).await;
        let RelayToWidget::Error(e) = r else {
            panic!("{r:?}")
        };
        assert_eq!(e.code, ErrorCode::BadField);
        let r = v
            .request(WidgetMsg::ChatEnd(ChatEnd {
                rating: Some(9),
                comment: None,
            }))
            .await;
        let RelayToWidget::Error(e) = r else {
            panic!("{r:?}")
        };
        assert!(e.message.contains("rating"), "{}", e.message);
        let long = "长".repeat(2001);
        let r = v.request(say(&long, "3")).await;
        let RelayToWidget::Error(e) = r else {
            panic!("{r:?}")
        };
        assert!(e.message.contains("text"), "{}", e.message);
        // A forged visitor id gets a fresh visitor, not someone else's chat.
        let mut w2 = t.widget_from(support::ORIGIN, support::SITE).await.unwrap();
        let r = w2
            .request(WidgetMsg::ChatOpen(ChatOpen {
                visitor: Some(ringlink_protocol::secret::Secret::new("rl_forged")),
                ..ChatOpen::default()
            }))
            .await;
        let RelayToWidget::ChatOpened(o) = r else {
            panic!("{r:?}")
        };
        assert_ne!(o.visitor.expose(), "rl_forged");
        assert!(o.status.is_none());
    }
);

// covers CHAT-7 (SMS): a line to an offline colleague who chose SMS and has a number goes by
// SMS; answering a left message by SMS reaches the visitor's number
both_buses!(
    offline_colleagues_and_left_messages_get_sms,
    |t: support::TestRelay| async move {
        let site = site_id(&t, support::SITE).await;
        agent_account(&t, "li", "Li").await;
        let form = ringlink_relay::chat::staff::StaffForm {
            account: "wang".into(),
            password: Some(ringlink_protocol::secret::Secret::new(support::PASSWORD)),
            name: "Wang".into(),
            number: Some("+8613900139000".into()),
            role: StaffRole::Agent,
            sms_offline: true,
        };
        let wang = ringlink_relay::chat::staff::create(&t.running.relay, site, &form)
            .await
            .unwrap();
        let (mut li, _) = signed_in_console(&t, "li").await;
        let RelayToConsole::Opened(o) = li
            .request(ConsoleMsg::OpenColleague(OpenColleague { staff: wang }))
            .await
        else {
            panic!()
        };
        li.request(reply_to(
            &o.conversation.id,
            "please call the customer back",
            "c1",
        ))
        .await;
        // The console's relay sends it (the second one, with two relays).
        let relay = t
            .peer
            .as_ref()
            .map_or(&t.running.relay, |p| &p.running.relay)
            .clone();
        let outbox = relay.gateways.sms().unwrap().as_dev().unwrap().outbox();
        let sms = outbox
            .iter()
            .find(|m| m.to.as_str() == "+8613900139000")
            .expect("an SMS to the offline colleague");
        assert!(
            sms.text.contains("Li: please call the customer back"),
            "{}",
            sms.text
        );

        let (mut v, _) = visitor(&t).await;
        li.request(ConsoleMsg::SetState(SetState {
            state: AgentState::Offline,
        }))
        .await;
        let r = v
            .request(WidgetMsg::LeaveMessage(LeaveMessage {
                name: "Zhang".into(),
                number: "+8613800138000".into(),
                text: "call me".into(),
                reply_by_sms: true,
            }))
            .await;
        assert!(matches!(r, RelayToWidget::MessageLeft(_)), "{r:?}");
        let left = until(&mut li, 10, |m| match m {
            RelayToConsole::LeftMessages(l) if !l.is_empty() => Some(l),
            _ => None,
        })
        .await;
        li.request(ConsoleMsg::SetState(SetState {
            state: AgentState::Normal,
        }))
        .await;
        let r = li
            .request(ConsoleMsg::AnswerLeftMessage(AnswerLeftMessage {
                id: left[0].id.clone(),
                text: "We will call at 3 pm".into(),
            }))
            .await;
        assert!(matches!(r, RelayToConsole::ChatAck(_)), "{r:?}");
        let outbox = relay.gateways.sms().unwrap().as_dev().unwrap().outbox();
        assert!(outbox
            .iter()
            .any(|m| m.to.as_str() == "+8613800138000" && m.text == "We will call at 3 pm"));
        let again = li
            .request(ConsoleMsg::AnswerLeftMessage(AnswerLeftMessage {
                id: left[0].id.clone(),
                text: "again".into(),
            }))
            .await;
        assert!(
            matches!(again, RelayToConsole::Error(_)),
            "answered once: {again:?}"
        );
    }
);

// covers CHAT-7 (SMS caps): with the site's SMS for the hour used up, answering a left message
// by SMS is refused in the chat's words (it said "verification SMS") with when to try again,
// and the message stays unanswered
each_db!(
    a_capped_sms_answer_says_so_in_the_chats_words,
    [sqlite: Sqlite, postgres: Postgres],
    |db: support::Db| async move {
        let Some(t) = support::TestRelay::start_with(db, |c| {
            c.calls.sms_per_site_per_hour = 1;
        })
        .await
        else {
            return;
        };
        let (mut v, _) = visitor(&t).await;
        for (number, text) in [("+8613800138000", "call me"), ("+8613800138001", "me too")] {
            let r = v
                .request(WidgetMsg::LeaveMessage(LeaveMessage {
                    name: "Zhang".into(),
                    number: number.into(),
                    text: text.into(),
                    reply_by_sms: true,
                }))
                .await;
            assert!(matches!(r, RelayToWidget::MessageLeft(_)), "{r:?}");
        }
        agent_account(&t, "li", "Li").await;
        let (mut li, _) = signed_in_console(&t, "li").await;
        let left = until(&mut li, 10, |m| match m {
            RelayToConsole::LeftMessages(l) if l.len() == 2 => Some(l),
            _ => None,
        })
        .await;
        let answer = |id: &str| {
            ConsoleMsg::AnswerLeftMessage(AnswerLeftMessage {
                id: id.to_owned(),
                text: "We will call at 3 pm".into(),
            })
        };
        let first = li.request(answer(&left[0].id)).await;
        assert!(matches!(first, RelayToConsole::ChatAck(_)), "{first:?}");
        let RelayToConsole::Error(e) = li.request(answer(&left[1].id)).await else {
            panic!("the second SMS is over the site's cap")
        };
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert!(
            e.message.contains("SMS") && !e.message.contains("verification"),
            "{}",
            e.message
        );
        assert!(e.retry_after.is_some_and(|s| s > 0), "{e:?}");
        // Not marked answered: asking again meets the cap again, not "answered already".
        let again = li.request(answer(&left[1].id)).await;
        assert!(
            matches!(&again, RelayToConsole::Error(e) if e.code == ErrorCode::RateLimited),
            "still unanswered, still capped: {again:?}"
        );
    }
);

// covers #11 "after a navigation, the bubble shows an unread count without loading the app":
// the badge frame's page loads no app, and `GET /v1/chat/unread` counts the agent's lines the
// visitor has not read, for the visitor id only
both_dbs!(
    the_badge_frame_counts_unread_lines_for_the_visitor_only,
    |t: support::TestRelay| async move {
        agent_account(&t, "li", "Li").await;
        let (mut li, _) = signed_in_console(&t, "li").await;
        let (mut v, opened) = visitor(&t).await;
        v.request(say("有货吗", "v1")).await;
        let c = next_conversation(&mut li).await;
        li.request(reply_to(&c.id, "有", "a1")).await;
        li.request(reply_to(&c.id, "要几个？", "a2")).await;
        let get = |token: Option<&str>| {
            let req = reqwest::Client::new().get(t.http("/v1/chat/unread"));
            let req = match token {
                Some(tk) => req.bearer_auth(tk),
                None => req,
            };
            async move {
                let r = req.send().await.unwrap();
                let cache = r.headers().get("cache-control").cloned();
                (r.status().as_u16(), cache, r.text().await.unwrap())
            }
        };
        let (s, cache, body) = get(Some(opened.visitor.expose())).await;
        assert_eq!((s, body.as_str()), (200, r#"{"unread":2}"#));
        assert_eq!(cache.unwrap(), "no-store");
        for token in [None, Some("rl_v_forged")] {
            let (s, _, body) = get(token).await;
            assert_eq!(s, 401, "{body}");
            assert!(body.contains("visitor id"), "says what to send: {body}");
        }

        let page = reqwest::get(t.http(&format!("/widget/frame?site={}&badge=1", support::SITE)))
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let csp = page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains(&format!("frame-ancestors {}", support::ORIGIN)),
            "{csp}"
        );
        let html = page.text().await.unwrap();
        assert!(html.contains("data-badge"), "{html}");
        assert!(
            !html.contains("modulepreload")
                && !html.contains("rel=\"preload\"")
                && !html.contains("stylesheet"),
            "the badge frame loads no app: {html}"
        );
    }
);

// covers CHAT-7 ("a message to a visitor who has left is refused"): the agent's list shows a
// visitor as gone when replies start being refused, after the 20 s grace, not the moment their
// widget closes (a page navigation reconnects within it; the list said "left" at once while
// replies were still accepted)
each_db!(
    the_list_says_a_visitor_left_when_replies_are_refused,
    [sqlite: Sqlite, postgres: Postgres],
    |db: support::Db| async move {
        // Li's console sits quiet through the grace: a heartbeat longer than the tests' 3 s.
        let Some(t) = support::TestRelay::start_with(db, |c| c.heartbeat_secs = 30).await else {
            return;
        };
        agent_account(&t, "li", "Li").await;
        let (mut li, _) = signed_in_console(&t, "li").await;
        let (mut v, _) = visitor(&t).await;
        v.request(say("hi", "v1")).await;
        let c = next_conversation(&mut li).await;
        drop(v);
        let gone = |m: &RelayToConsole| matches!(m, RelayToConsole::Conversation(s) if s.id == c.id && !s.visitor_here);
        let early = tokio::time::timeout(std::time::Duration::from_secs(3), async {
            loop {
                if gone(&li.next().await.msg) {
                    return;
                }
            }
        })
        .await;
        assert!(early.is_err(), "not gone at once");
        let r = li.request(reply_to(&c.id, "still there?", "a1")).await;
        assert!(
            matches!(r, RelayToConsole::ChatSent(_)),
            "within the grace: {r:?}"
        );
        let at = std::time::Instant::now();
        until(&mut li, 30, |m| gone(&m).then_some(())).await;
        assert!(at.elapsed().as_secs() >= 10, "after the grace");
        let r = li.request(reply_to(&c.id, "hello?", "a2")).await;
        assert!(
            matches!(&r, RelayToConsole::Error(e) if e.code == ErrorCode::VisitorLeft),
            "refused once the list says gone: {r:?}"
        );
    }
);

// covers CHAT-4 (skip_on_call): an agent whose number is on a live CALL call is passed over,
// and routed to again once the relay holding that call is gone (it died mid-call: the flag
// stayed set for good, and the agent never got a visitor again)
both_dbs!(
    agents_on_a_live_call_are_passed_over,
    |t: support::TestRelay| async move {
        let site = site_id(&t, support::SITE).await;
        let form = ringlink_relay::chat::staff::StaffForm {
            account: "li".into(),
            password: Some(ringlink_protocol::secret::Secret::new(support::PASSWORD)),
            name: "Li".into(),
            number: Some("+8613900139000".into()),
            role: StaffRole::Agent,
            sms_offline: false,
        };
        ringlink_relay::chat::staff::create(&t.running.relay, site, &form)
            .await
            .unwrap();
        let wang = agent_account(&t, "wang", "Wang").await;
        let (_li, _) = signed_in_console(&t, "li").await;
        let (_w, _) = signed_in_console(&t, "wang").await;
        // Li's phone is the line of a call button with a call on it.
        t.running
            .relay
            .store
            .set_on_call_by_number(site, "+8613900139000", Some("relay-lost"))
            .await
            .unwrap();
        let (mut v, _) = visitor(&t).await;
        v.request(say("hello", "1")).await;
        let st = next_status(&mut v).await;
        assert_eq!(st.agent.as_deref(), Some("Wang"));
        let c = t
            .running
            .relay
            .store
            .conversation_by_public(&st.conversation)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.agent_id, Some(wang));
        // The relay that held Li's call dies; the survivor that buries it runs the chat's
        // cleanup for that node (as live_keeper does after the lease ran out).
        ringlink_relay::chat::node_gone(&t.running.relay, "relay-lost").await;
        let (mut v2, _) = visitor(&t).await;
        v2.request(say("hello again", "1")).await;
        let st = next_status(&mut v2).await;
        assert_eq!(
            st.agent.as_deref(),
            Some("Li"),
            "Li is off the lost call and holds the fewest conversations"
        );
    }
);
