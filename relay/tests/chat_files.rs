//! CHAT attachments over HTTP: the type is decided by content and the size is capped; a file is
//! served to the parties of its conversation and to nobody else.

mod support;

use ringlink_protocol::chat::*;
use ringlink_protocol::console::*;
use ringlink_protocol::widget::{RelayToWidget, WidgetMsg};
use support::chat::*;

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

async fn upload(
    t: &support::TestRelay,
    token: &str,
    name: &str,
    body: Vec<u8>,
) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .post(t.http(&format!("/v1/chat/attachments?name={name}")))
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

// covers CHAT (attachments): refusals by type and size, said in words
both_dbs!(
    attachments_are_checked_by_content_and_size,
    |t: support::TestRelay| async move {
        let (_v, opened) = visitor(&t).await;
        let token = opened.visitor.expose().to_owned();
        let (s, body) = upload(
            &t,
            &token,
            "evil.png",
            b"<script>alert(1)</script>".to_vec(),
        )
        .await;
        assert_eq!(s, 422, "{body}");
        assert_eq!(body["code"], "attachment_refused");
        assert!(body["message"].as_str().unwrap().contains("PDF"), "{body}");
        let max = t.running.relay.config.chat.max_attachment_bytes;
        let mut big = PNG.to_vec();
        big.resize(max + 10, 0);
        let (s, body) = upload(&t, &token, "big.png", big).await;
        assert_eq!(s, 422, "{body}");
        assert!(body["message"].as_str().unwrap().contains("KB"), "{body}");
        let (s, body) = upload(&t, "rl_nobody", "a.png", PNG.to_vec()).await;
        assert_eq!(s, 401, "{body}");
        let (s, body) = upload(&t, &token, "../../etc/photo.png", PNG.to_vec()).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(body["mime"], "image/png");
        let pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
        let (s, body) = upload(&t, &token, "invoice.pdf", pdf).await;
        assert_eq!((s, body["mime"].as_str()), (200, Some("application/pdf")));
    }
);

// covers CHAT (attachments both ways, served only to the conversation's parties)
both_dbs!(
    a_file_goes_both_ways_and_only_to_the_parties,
    |t: support::TestRelay| async move {
        agent_account(&t, "li", "Li").await;
        other_site_with_eve(&t).await;
        let (mut li, me) = signed_in_console(&t, "li").await;
        let (mut v, opened) = visitor(&t).await;
        let vt = opened.visitor.expose().to_owned();
        let (_, up) = upload(&t, &vt, "shoe.png", PNG.to_vec()).await;
        let id = up["id"].as_str().unwrap().to_owned();
        let r = v
            .request(WidgetMsg::ChatSend(ChatSend {
                text: String::new(),
                client_id: "f1".into(),
                attachment: Some(id.clone()),
            }))
            .await;
        assert!(matches!(r, RelayToWidget::ChatSent(_)), "{r:?}");
        let conv = next_conversation(&mut li).await;
        let line = next_line_console(&mut li).await;
        let a = line.attachment.expect("the agent sees the attachment");
        assert_eq!(
            (a.mime.as_str(), a.name.as_str(), a.bytes),
            ("image/png", "shoe.png", PNG.len() as u64)
        );
        let get = |token: String, id: String| {
            let url = t.http(&format!("/v1/chat/attachments/{id}"));
            async move {
                reqwest::Client::new()
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let r = get(me.token.expose().to_owned(), id.clone()).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "image/png");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);
        // Another visitor and another site's admin get nothing.
        let (_v2, o2) = visitor(&t).await;
        assert_eq!(
            get(o2.visitor.expose().to_owned(), id.clone())
                .await
                .status(),
            404
        );
        let (_eve, eve) = signed_in_console_on(&t, "site_other", "eve").await;
        assert_eq!(
            get(eve.token.expose().to_owned(), id.clone())
                .await
                .status(),
            404
        );
        // The agent sends one back.
        let (_, up) = upload(
            &t,
            me.token.expose(),
            "size-chart.pdf",
            b"%PDF-1.7\n".to_vec(),
        )
        .await;
        let back = up["id"].as_str().unwrap().to_owned();
        let r = li
            .request(ConsoleMsg::StaffSend(StaffSend {
                conversation: conv.id.clone(),
                text: "the chart".into(),
                client_id: "b1".into(),
                attachment: Some(back.clone()),
                internal: false,
            }))
            .await;
        assert!(matches!(r, RelayToConsole::ChatSent(_)), "{r:?}");
        let got = next_line_visitor(&mut v).await;
        assert_eq!(got.attachment.map(|a| a.id), Some(back.clone()));
        let r = get(vt.clone(), back.clone()).await;
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment"));
        // An upload of someone else cannot be sent as one's own.
        let r = v
            .request(WidgetMsg::ChatSend(ChatSend {
                text: "x".into(),
                client_id: "f2".into(),
                attachment: Some(back),
            }))
            .await;
        let RelayToWidget::Error(e) = r else {
            panic!("{r:?}")
        };
        assert_eq!(e.code, ringlink_protocol::ErrorCode::AttachmentRefused);
    }
);

async fn fetch(t: &support::TestRelay, token: &str, id: &str) -> (u16, Vec<u8>) {
    let r = reqwest::Client::new()
        .get(t.http(&format!("/v1/chat/attachments/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
}

// covers CHAT-1 (#11 "canned responses with variables and attachments"): an admin's canned
// response carries a file; any agent of the site sends it, each conversation gets its own copy
// that only its parties read, and another site's staff cannot send it
both_dbs!(
    a_canned_file_goes_to_each_conversation_as_its_own_copy,
    |t: support::TestRelay| async move {
        let site = site_id(&t, support::SITE).await;
        staff_on(&t, site, "boss", "Boss", StaffRole::Admin).await;
        agent_account(&t, "li", "Li").await;
        let (mut b, boss) = signed_in_console(&t, "boss").await;
        // The admin is busy: the visitors are Li's.
        b.request(ConsoleMsg::SetState(SetState {
            state: AgentState::Busy,
        }))
        .await;
        let (_, up) = upload(&t, boss.token.expose(), "menu.png", PNG.to_vec()).await;
        let file = up["id"].as_str().unwrap().to_owned();
        let r = reqwest::Client::new()
            .post(t.http("/v1/console/canned"))
            .bearer_auth(boss.token.expose())
            .json(&serde_json::json!({"title": "menu", "text": "今天的菜单", "attachment": file}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let (mut li, me) = signed_in_console(&t, "li").await;
        let listed: serde_json::Value = reqwest::Client::new()
            .get(t.http("/v1/console/canned"))
            .bearer_auth(me.token.expose())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed[0]["attachment"], file.as_str(), "{listed}");
        assert_eq!(listed[0]["attachment_name"], "menu.png", "{listed}");

        let send = |conversation: &str, cid: &str| {
            ConsoleMsg::StaffSend(StaffSend {
                conversation: conversation.to_owned(),
                text: "今天的菜单".into(),
                client_id: cid.to_owned(),
                attachment: Some(file.clone()),
                internal: false,
            })
        };
        let mut copies = Vec::new();
        let mut visitors = Vec::new();
        for n in 0..2 {
            let (mut v, opened) = visitor(&t).await;
            v.request(say("有菜单吗", &format!("v{n}"))).await;
            let c = next_conversation(&mut li).await;
            let sent = li.request(send(&c.id, &format!("a{n}"))).await;
            let RelayToConsole::ChatSent(sent) = sent else {
                panic!("Li sends the canned file: {sent:?}")
            };
            let a = sent.line.attachment.expect("the line carries the file");
            assert_eq!((a.name.as_str(), a.bytes), ("menu.png", PNG.len() as u64));
            assert_ne!(a.id, file, "a copy, not the canned file itself");
            copies.push(a.id);
            visitors.push((v, opened.visitor.expose().to_owned()));
        }
        assert_ne!(copies[0], copies[1], "each conversation its own copy");
        let (first, second) = (&visitors[0].1, &visitors[1].1);
        assert_eq!(fetch(&t, first, &copies[0]).await, (200, PNG.to_vec()));
        assert_eq!(fetch(&t, second, &copies[1]).await, (200, PNG.to_vec()));
        assert_eq!(fetch(&t, first, &copies[1]).await.0, 404, "not the other's");
        assert_eq!(
            fetch(&t, first, &file).await.0,
            404,
            "not the canned original"
        );

        // Another site's staff cannot send this site's canned file.
        other_site_with_eve(&t).await;
        let (mut eve, _) = signed_in_console_on(&t, "site_other", "eve").await;
        let mut w = t
            .widget_from("http://other.test", "site_other")
            .await
            .unwrap();
        w.request(WidgetMsg::ChatOpen(ChatOpen::default())).await;
        w.request(say("hi", "o1")).await;
        let c = next_conversation(&mut eve).await;
        let r = eve.request(send(&c.id, "e1")).await;
        let RelayToConsole::Error(e) = r else {
            panic!("another site's canned file is refused: {r:?}")
        };
        assert!(e.message.contains("upload the file again"), "{}", e.message);
    }
);
