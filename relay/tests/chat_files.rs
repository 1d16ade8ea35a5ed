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
        let other = ringlink_relay::admin::create_site(
            &t.running.relay.store,
            "Other",
            Some("site_other"),
            &["http://other.test".into()],
        )
        .await
        .unwrap();
        staff_on(&t, other.id, "eve", "Eve", StaffRole::Admin).await;
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
