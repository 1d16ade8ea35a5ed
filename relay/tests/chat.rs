//! CHAT delivery end to end over real sockets: visitors on the widget socket, agents on the
//! console socket (asking, retries, busy and full, grace and no-reply moves), on SQLite,
//! PostgreSQL, and two relays (visitor on one, agent on the other). The rules: chat_rules.rs.

mod support;

use ringlink_protocol::chat::*;
use ringlink_protocol::console::*;
use ringlink_protocol::widget::{RelayToWidget, WidgetMsg};
use support::chat::*;

// covers CHAT-1, CHAT-4, CHAT-8: a visitor asks, is routed, the agent sees who and where, and
// answers; an internal note never reaches the visitor
both_buses!(
    visitor_asks_and_is_answered,
    |t: support::TestRelay| async move {
        agent_account(&t, "li", "Li Na").await;
        let (mut agent, me) = signed_in_console(&t, "li").await;
        assert_eq!(
            me.me.state,
            AgentState::Normal,
            "CHAT-6: normal after sign-in"
        );
        let (mut v, opened) = visitor(&t).await;
        assert!(!opened.visitor.expose().is_empty());
        assert_eq!(opened.agents_online, 1);
        let sent = v.request(say("有 42 码的吗？", "c1")).await;
        let RelayToWidget::ChatSent(sent) = sent else {
            panic!("{sent:?}")
        };
        assert_eq!(sent.line.author, Author::Visitor);

        let conv = next_conversation(&mut agent).await;
        assert_eq!(conv.kind, ConversationKind::Visitor);
        let info = conv.visitor.clone().expect("CHAT-8 visitor info");
        assert_eq!(info.ip, "127.0.0.1");
        assert_eq!(info.site, "Test shop");
        assert_eq!(info.page.as_deref(), Some("http://shop.test/shoes?size=42"));
        assert_eq!(
            info.referrer.as_deref(),
            Some("https://search.example/?q=shoes")
        );
        assert_eq!(info.lang.as_deref(), Some("zh-CN"));
        assert!(info.at > 0);
        let line = next_line_console(&mut agent).await;
        assert_eq!(line.text, "有 42 码的吗？");

        let status = next_status(&mut v).await;
        assert_eq!(
            status.agent.as_deref(),
            Some("Li Na"),
            "the visitor sees the agent's name"
        );
        assert_eq!(status.state, ConversationState::Active);

        let note = ConsoleMsg::StaffSend(StaffSend {
            conversation: conv.id.clone(),
            text: "VIP customer".into(),
            client_id: "n1".into(),
            attachment: None,
            internal: true,
        });
        assert!(matches!(
            agent.request(note).await,
            RelayToConsole::ChatSent(_)
        ));
        let r = agent
            .request(reply_to(&conv.id, "有的，黑色和白色", "a1"))
            .await;
        assert!(matches!(r, RelayToConsole::ChatSent(_)), "{r:?}");
        let got = next_line_visitor(&mut v).await;
        assert_eq!(
            got.text, "有的，黑色和白色",
            "the internal note never reached the visitor"
        );
        assert!(matches!(got.author, Author::Staff { ref name, .. } if name == "Li Na"));
    }
);

// covers CHAT-2: a retried line (same client id) is stored once and delivered once; a
// reopening panel gets what it missed
both_buses!(
    retries_are_stored_once_and_reopening_loses_nothing,
    |t: support::TestRelay| async move {
        agent_account(&t, "li", "Li").await;
        let (mut agent, _) = signed_in_console(&t, "li").await;
        let (mut v, opened) = visitor(&t).await;
        let RelayToWidget::ChatSent(a) = v.request(say("hello", "same")).await else {
            panic!()
        };
        let RelayToWidget::ChatSent(b) = v.request(say("hello", "same")).await else {
            panic!()
        };
        assert_eq!(a.line.seq, b.line.seq, "a retry returns the stored line");
        let conv = next_conversation(&mut agent).await;
        let first = next_line_console(&mut agent).await;
        assert_eq!(first.seq, a.line.seq);
        // The agent answers while the visitor is away between pages.
        drop(v);
        agent.request(reply_to(&conv.id, "one", "r1")).await;
        agent.request(reply_to(&conv.id, "two", "r2")).await;
        let mut w = t.widget_from(support::ORIGIN, support::SITE).await.unwrap();
        let reopened = w
            .request(WidgetMsg::ChatOpen(ChatOpen {
                visitor: Some(opened.visitor.clone()),
                since: Some(a.line.seq),
                ..ChatOpen::default()
            }))
            .await;
        let RelayToWidget::ChatOpened(o) = reopened else {
            panic!("{reopened:?}")
        };
        assert_eq!(o.unread, 2, "the bubble's unread count");
        let one = next_line_visitor(&mut w).await;
        let two = next_line_visitor(&mut w).await;
        assert_eq!((one.text.as_str(), two.text.as_str()), ("one", "two"));
        // The console's history has each line once.
        let h = agent
            .request(ConsoleMsg::GetHistory(GetHistory {
                conversation: conv.id.clone(),
                before: None,
            }))
            .await;
        let RelayToConsole::History(h) = h else {
            panic!("{h:?}")
        };
        let texts: Vec<&str> = h.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["hello", "one", "two"]);
    }
);

// covers CHAT-4, CHAT-5: busy takes no new visitors; with everyone full the visitor sees their
// place in the queue, and it falls as chats close (served in order)
both_buses!(
    busy_and_full_agents_queue_visitors_in_order,
    |t: support::TestRelay| async move {
        let site = site_id(&t, support::SITE).await;
        let body = serde_json::to_string(&ringlink_relay::chat::SiteChat {
            capacity: 1,
            ..Default::default()
        })
        .unwrap();
        t.running
            .relay
            .store
            .put_chat_settings(site, &body)
            .await
            .unwrap();
        agent_account(&t, "li", "Li").await;
        let (mut agent, _) = signed_in_console(&t, "li").await;
        let set = agent
            .request(ConsoleMsg::SetState(SetState {
                state: AgentState::Busy,
            }))
            .await;
        assert!(matches!(set, RelayToConsole::StateSet(_)));
        let (mut v1, _) = visitor(&t).await;
        v1.request(say("first", "1")).await;
        let s1 = next_status(&mut v1).await;
        assert_eq!(
            s1.state,
            ConversationState::Waiting,
            "busy takes no new visitors"
        );
        assert_eq!(s1.queue.as_ref().map(|q| q.position), Some(1));
        assert!(
            s1.offer.is_none(),
            "a busy agent is online: no 'no agent' offer"
        );

        agent
            .request(ConsoleMsg::SetState(SetState {
                state: AgentState::Normal,
            }))
            .await;
        let c1 = next_conversation(&mut agent).await;
        let s1 = next_status(&mut v1).await;
        assert_eq!(s1.state, ConversationState::Active);

        let (mut v2, _) = visitor(&t).await;
        v2.request(say("second", "2")).await;
        assert_eq!(
            next_status(&mut v2).await.queue.map(|q| q.position),
            Some(1)
        );
        let (mut v3, _) = visitor(&t).await;
        v3.request(say("third", "3")).await;
        assert_eq!(
            next_status(&mut v3).await.queue.map(|q| q.position),
            Some(2)
        );

        agent
            .request(ConsoleMsg::CloseConversation(CloseConversation {
                conversation: c1.id.clone(),
            }))
            .await;
        let ended = next_status(&mut v1).await;
        assert_eq!(ended.state, ConversationState::Ended);
        let s2 = next_status(&mut v2).await;
        assert_eq!(
            s2.state,
            ConversationState::Active,
            "the head of the queue is served first"
        );
        let s3 = next_status(&mut v3).await;
        assert_eq!(
            s3.queue.map(|q| q.position),
            Some(1),
            "the place falls as chats close"
        );
    }
);

// covers CHAT-5: an offline agent's visitor moves to a colleague after the grace period; the
// visitor sees the new agent's name, the colleague sees the history, nothing is lost
both_buses!(
    offline_agents_visitors_move_after_the_grace,
    |t: support::TestRelay| async move {
        agent_account(&t, "li", "Li").await;
        let wang = agent_account(&t, "wang", "Wang").await;
        let (mut li, _) = signed_in_console(&t, "li").await;
        let (mut v, _) = visitor(&t).await;
        v.request(say("where is my order?", "q1")).await;
        let conv = next_conversation(&mut li).await;
        li.request(reply_to(&conv.id, "let me check", "r1")).await;
        let (mut wang_c, _) = signed_in_console(&t, "wang").await;
        li.request(ConsoleMsg::SetState(SetState {
            state: AgentState::Offline,
        }))
        .await;
        advance(&t, 30).await;
        let s = t
            .running
            .relay
            .store
            .conversation_by_public(&conv.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.agent_id, conv.agent, "within the grace period it stays");
        advance(&t, 31).await;
        let moved = until(&mut wang_c, 10, |m| match m {
            RelayToConsole::Conversation(s) if s.id == conv.id => Some(s),
            _ => None,
        })
        .await;
        assert_eq!(moved.agent, Some(wang));
        let gone = until(&mut li, 10, |m| match m {
            RelayToConsole::ConversationGone(id) => Some(id),
            _ => None,
        })
        .await;
        assert_eq!(gone, conv.id);
        let status = until(&mut v, 10, |m| match m {
            RelayToWidget::ChatStatus(s) if s.agent.as_deref() == Some("Wang") => Some(s),
            _ => None,
        })
        .await;
        assert_eq!(status.state, ConversationState::Active);
        let h = wang_c
            .request(ConsoleMsg::GetHistory(GetHistory {
                conversation: conv.id.clone(),
                before: None,
            }))
            .await;
        let RelayToConsole::History(h) = h else {
            panic!("{h:?}")
        };
        let texts: Vec<&str> = h.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts[..2],
            ["where is my order?", "let me check"],
            "the colleague sees the history"
        );
        assert_eq!(texts[2], "Wang is now serving you");
    }
);

// covers CHAT-5: closing the console counts as offline once the grace period passes
both_buses!(
    a_closed_console_counts_as_offline_after_the_grace,
    |t: support::TestRelay| async move {
        let li = agent_account(&t, "li", "Li").await;
        let (li_c, _) = signed_in_console(&t, "li").await;
        drop(li_c);
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        advance(&t, 10).await;
        let s = t
            .running
            .relay
            .store
            .staff_by_id(li)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.state, AgentState::Normal, "still within the grace period");
        advance(&t, 60).await;
        let s = t
            .running
            .relay
            .store
            .staff_by_id(li)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.state, AgentState::Offline);
    }
);

// covers CHAT-5 (no-reply): a visitor left unanswered moves to a free colleague after the
// site's no-reply time, and only then
both_buses!(
    an_unanswered_visitor_moves_after_the_no_reply_time,
    |t: support::TestRelay| async move {
        agent_account(&t, "li", "Li").await;
        let wang = agent_account(&t, "wang", "Wang").await;
        let (mut li, _) = signed_in_console(&t, "li").await;
        let (mut v, _) = visitor(&t).await;
        v.request(say("hello?", "h1")).await;
        let conv = next_conversation(&mut li).await;
        let (mut wang_c, _) = signed_in_console(&t, "wang").await;
        advance(&t, 100).await;
        let s = t
            .running
            .relay
            .store
            .conversation_by_public(&conv.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.agent_id, conv.agent, "within the no-reply time it stays");
        advance(&t, 30).await;
        let moved = until(&mut wang_c, 10, |m| match m {
            RelayToConsole::Conversation(s) if s.id == conv.id => Some(s),
            _ => None,
        })
        .await;
        assert_eq!(moved.agent, Some(wang));
        let _ = next_status(&mut v).await;
        // An answered conversation stays put.
        wang_c.request(reply_to(&conv.id, "here!", "w1")).await;
        advance(&t, 500).await;
        let s = t
            .running
            .relay
            .store
            .conversation_by_public(&conv.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.agent_id, Some(wang));
    }
);

// covers CHAT-4, CHAT-5: when a visitor is routed to one agent, every other console of the site
// hears of that one agent's new load, not the whole staff list again (the list made routing cost
// conversations × agents²: 313 MB of pushes for 300 visitors over 100 agents)
both_buses!(
    a_routed_visitor_updates_only_the_agent_who_took_them,
    |t: support::TestRelay| async move {
        let li_id = agent_account(&t, "li", "Li").await;
        let wang_id = agent_account(&t, "wang", "Wang").await;
        let (mut li, _) = signed_in_console(&t, "li").await;
        let (mut wang, _) = signed_in_console(&t, "wang").await;
        // Each console gets the whole list once, at sign-in.
        for c in [&mut li, &mut wang] {
            until(c, 10, |m| {
                matches!(m, RelayToConsole::Colleagues(_)).then_some(())
            })
            .await;
        }
        let (mut v, _) = visitor(&t).await;
        v.request(say("hi", "c1")).await;
        // Whoever took the visitor, both consoles hear of that one agent's load.
        let mut takers = Vec::new();
        for (me, c) in [(li_id, &mut li), (wang_id, &mut wang)] {
            let mut lists = 0;
            let mut took = false;
            let busy = until(c, 10, |m| match m {
                RelayToConsole::Colleague(s) if s.open == 1 => Some(s),
                RelayToConsole::Colleagues(_) => {
                    lists += 1;
                    None
                }
                RelayToConsole::Conversation(_) => {
                    took = true;
                    None
                }
                _ => None,
            })
            .await;
            assert_eq!(lists, 0, "no whole staff list was pushed for one routing");
            if took {
                takers.push(me);
            }
            takers.push(busy.id);
        }
        takers.dedup();
        assert_eq!(
            takers.len(),
            1,
            "one agent took the visitor and both heard it: {takers:?}"
        );
    }
);
