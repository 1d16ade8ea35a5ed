//! Agent-started chats (CHAT-9): the loader's page-view socket reports the page, agents see
//! "visitors now", and an invitation opens the visitor's panel on the agent's line.

mod support;

use ringlink_protocol::chat::*;
use ringlink_protocol::console::*;
use ringlink_protocol::widget::{Ping, RelayToWidget, WidgetMsg};
use support::chat::*;
use support::Client;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

async fn pageview(
    t: &support::TestRelay,
    origin: &str,
) -> Result<Client<WidgetMsg, RelayToWidget>, tokio_tungstenite::tungstenite::Error> {
    let url = format!(
        "ws://{}/v1/visitor/watch?site={}&page=http%3A%2F%2Fshop.test%2Fboots&lang=en-GB&title=Boots%20%C2%B7%20Shop%0A",
        t.base,
        support::SITE
    );
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("origin", origin.parse().unwrap());
    req.headers_mut()
        .insert("sec-websocket-protocol", "ringlink.v1".parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(req).await?;
    Ok(Client::from_ws(ws))
}

// covers CHAT-9: an agent opens a conversation with a visitor who is browsing
both_buses!(
    an_agent_opens_a_chat_with_a_browsing_visitor,
    |t: support::TestRelay| async move {
        agent_account(&t, "li", "Li").await;
        let (mut li, _) = signed_in_console(&t, "li").await;
        assert!(
            pageview(&t, "http://evil.test").await.is_err(),
            "only the site's pages may report"
        );
        let mut pv = pageview(&t, support::ORIGIN).await.unwrap();
        assert!(matches!(
            pv.request(WidgetMsg::Ping(Ping {})).await,
            RelayToWidget::Pong(_)
        ));
        let now = until(&mut li, 10, |m| match m {
            RelayToConsole::VisitorsNow(v) if !v.is_empty() => Some(v),
            _ => None,
        })
        .await;
        assert_eq!(now[0].page, "http://shop.test/boots");
        assert_eq!(now[0].lang.as_deref(), Some("en-GB"));
        // The page's title, without the control character it came with.
        assert_eq!(now[0].title.as_deref(), Some("Boots · Shop"));
        let r = li
            .request(ConsoleMsg::InviteVisitor(InviteVisitor {
                pageview: now[0].pageview.clone(),
                text: "Need help with boots?".into(),
            }))
            .await;
        let RelayToConsole::Opened(o) = r else {
            panic!("{r:?}")
        };
        assert_eq!(o.conversation.state, ConversationState::Active);
        let again = li
            .request(ConsoleMsg::InviteVisitor(InviteVisitor {
                pageview: now[0].pageview.clone(),
                text: "hello?".into(),
            }))
            .await;
        assert!(
            matches!(again, RelayToConsole::Error(_)),
            "one invitation per page view: {again:?}"
        );
        let invited = until(&mut pv, 10, |m| match m {
            RelayToWidget::Invited(i) => Some(i),
            _ => None,
        })
        .await;
        assert_eq!(
            (invited.agent.as_str(), invited.text.as_str()),
            ("Li", "Need help with boots?")
        );

        // The loader opens the panel with the invitation: it is the agent's conversation.
        let mut w = t.widget_from(support::ORIGIN, support::SITE).await.unwrap();
        let r = w
            .request(WidgetMsg::ChatOpen(ChatOpen {
                invite: Some(invited.invite.clone()),
                ..ChatOpen::default()
            }))
            .await;
        let RelayToWidget::ChatOpened(opened) = r else {
            panic!("{r:?}")
        };
        let status = opened.status.expect("the invited conversation");
        assert_eq!(
            (status.state, status.agent.as_deref()),
            (ConversationState::Active, Some("Li"))
        );
        assert_eq!(
            next_line_visitor(&mut w).await.text,
            "Need help with boots?"
        );
        w.request(say("yes, size 44", "v1")).await;
        let l = until(&mut li, 10, |m| match m {
            RelayToConsole::Line(l) if l.author == Author::Visitor => Some(l),
            _ => None,
        })
        .await;
        assert_eq!(l.conversation, o.conversation.id);
        // An invitation is redeemed once.
        let mut w2 = t.widget_from(support::ORIGIN, support::SITE).await.unwrap();
        let r = w2
            .request(WidgetMsg::ChatOpen(ChatOpen {
                invite: Some(invited.invite),
                ..ChatOpen::default()
            }))
            .await;
        let RelayToWidget::ChatOpened(o2) = r else {
            panic!("{r:?}")
        };
        assert!(
            o2.status.is_none(),
            "a replayed invitation opens nobody's chat"
        );
    }
);
