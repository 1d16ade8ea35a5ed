//! The widget in a frame of the relay's origin (#8 §1): the frame page and its headers, who may
//! open the widget socket, and sessions bound to the site they were signed in on.

mod support;

use ringlink_protocol::secret::Secret;
use ringlink_protocol::widget::{RelayToWidget, Resume, WidgetMsg};
use ringlink_protocol::{ErrorBody, ErrorCode};
use support::*;
use tokio_tungstenite::tungstenite::Error as WsError;

const OTHER_SITE: &str = "site_other";
const OTHER_ORIGIN: &str = "http://other.test";

fn refusal(e: WsError) -> (u16, ErrorBody) {
    match e {
        WsError::Http(resp) => {
            let body = resp.body().as_deref().unwrap_or_default();
            let e: ErrorBody = serde_json::from_slice(body).expect("an error body");
            (resp.status().as_u16(), e)
        }
        other => panic!("expected an HTTP refusal, got {other}"),
    }
}

async fn add_other_site(t: &TestRelay) {
    ringlink_relay::admin::create_site(
        &t.running.relay.store,
        "Other shop",
        Some(OTHER_SITE),
        &[OTHER_ORIGIN.into()],
    )
    .await
    .unwrap();
}

// covers #8 §1 where the site comes from: a page (even an allowed merchant page) can no longer
// open the widget socket itself; only the relay's own frame can. DIAL-2.
both_dbs!(
    socket_from_a_page_origin_is_refused,
    |t: TestRelay| async move {
        for origin in [ORIGIN, "http://evil.test"] {
            let e = t.widget_raw(origin, Some(ORIGIN), SITE).await.err();
            let (status, body) = refusal(e.expect("refused"));
            assert_eq!(status, 403, "{origin}");
            assert_eq!(body.code, ErrorCode::OriginNotAllowed);
            assert!(
                body.message.contains("/widget/frame?site=site_test"),
                "the error says where the socket opens from: {}",
                body.message
            );
        }
        assert!(t
            .widget_raw(&t.own_origin(), Some(ORIGIN), SITE)
            .await
            .is_ok());
    }
);

// covers #8 §1 where the site comes from: the frame's parent page must be on the allow-list.
both_dbs!(
    parent_origin_not_allowed_is_refused,
    |t: TestRelay| async move {
        let own = t.own_origin();
        let (status, body) = refusal(
            t.widget_raw(&own, Some("http://evil.test"), SITE)
                .await
                .err()
                .unwrap(),
        );
        assert_eq!(status, 403);
        assert_eq!(body.code, ErrorCode::OriginNotAllowed);
        assert!(
            body.message
                .contains("add-origin site_test http://evil.test"),
            "{}",
            body.message
        );
        let (status, body) = refusal(t.widget_raw(&own, None, SITE).await.err().unwrap());
        assert_eq!(status, 403);
        assert!(body.message.contains("&parent="), "{}", body.message);
    }
);

// covers #8 §1 sessions bound to their site: a token signed in on site A does not resume on
// site B (and still resumes on A). DIAL-2.
both_dbs!(
    token_from_site_a_is_refused_on_site_b,
    |t: TestRelay| async move {
        add_other_site(&t).await;
        let (_a, token) = t.signed_in_widget(ALICE).await;
        let mut b = t.widget_from(OTHER_ORIGIN, OTHER_SITE).await.unwrap();
        let reply = b
            .request(WidgetMsg::Resume(Resume {
                token: token.clone(),
                since: None,
            }))
            .await;
        let RelayToWidget::Error(e) = reply else {
            panic!("a site-A token resumed on site B: {reply:?}")
        };
        assert_eq!(e.code, ErrorCode::TokenRevoked);
        assert!(e.message.contains("another site"), "{}", e.message);
        let mut a = t.widget().await;
        let reply = a
            .request(WidgetMsg::Resume(Resume { token, since: None }))
            .await;
        assert!(matches!(reply, RelayToWidget::SignedIn(_)), "{reply:?}");
    }
);

// covers #8 §1 sessions bound to their site: a web session with no site (minted before the
// binding) signs in again instead of resuming anywhere.
both_dbs!(
    session_without_a_site_is_refused,
    |t: TestRelay| async move {
        let (_, token) = t
            .running
            .relay
            .accounts
            .sign_in(
                ALICE,
                &Secret::new(PASSWORD),
                "test",
                ringlink_relay::store::tokens::TokenKind::Web,
                "web",
            )
            .await
            .unwrap();
        let mut w = t.widget().await;
        let reply = w
            .request(WidgetMsg::Resume(Resume { token, since: None }))
            .await;
        assert!(
            matches!(&reply, RelayToWidget::Error(e) if e.code == ErrorCode::TokenRevoked),
            "{reply:?}"
        );
    }
);

// covers #8 §1 clickjacking: the frame page may be framed by exactly the site's origins, runs
// the wasm under its own strict CSP, and is not cached longer than the loader.
both_dbs!(
    frame_page_names_exactly_the_sites_origins,
    |t: TestRelay| async move {
        ringlink_relay::admin::create_site(
            &t.running.relay.store,
            "Two origins",
            Some("site_two"),
            &["https://a.test".into(), "https://b.test:8443".into()],
        )
        .await
        .unwrap();
        let res = reqwest::get(t.http("/widget/frame?site=site_two"))
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let h = res.headers().clone();
        let csp = h["content-security-policy"].to_str().unwrap().to_owned();
        let ancestors: Vec<&str> = csp
            .split(';')
            .map(str::trim)
            .filter(|d| d.starts_with("frame-ancestors"))
            .collect();
        assert_eq!(
            ancestors,
            ["frame-ancestors https://a.test https://b.test:8443"],
            "{csp}"
        );
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{csp}"
        );
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["cache-control"], "no-cache");
        assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
        let body = res.text().await.unwrap();
        assert!(
            body.contains("data-origins=\"https://a.test https://b.test:8443\""),
            "{body}"
        );
        assert!(body.contains("/widget/frame."), "{body}");
    }
);

// covers #8 §1: an unknown site key gets a clear 404 page, not an empty frame.
both_dbs!(unknown_site_frame_is_404, |t: TestRelay| async move {
    let res = reqwest::get(t.http("/widget/frame?site=site_nope"))
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let body = res.text().await.unwrap();
    assert!(body.contains("No site has the key 'site_nope'"), "{body}");
    let res = reqwest::get(t.http("/widget/frame")).await.unwrap();
    assert_eq!(res.status(), 400);
});
