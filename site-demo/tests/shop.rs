//! The demo shop on a real port: every page answers with the tag pointing at the configured
//! relay, unknown products are 404, and `/healthz` answers for start-up checks.

use ringlink_site_demo::{app, ShopConfig};

async fn start() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = ShopConfig {
        relay_url: "http://127.0.0.1:8080".into(),
        site_key: "demo".into(),
        lang: "zh".into(),
        invite: false,
    };
    tokio::spawn(async move { axum::serve(listener, app(config)).await.unwrap() });
    format!("http://{addr}")
}

// covers CALL-1, DIAL-4: the shop delivers pages that paste the tag and mark numbers to dial
#[tokio::test]
async fn pages_paste_the_tag_and_mark_numbers() {
    let base = start().await;
    let tag = r#"<script src="http://127.0.0.1:8080/widget/widget.js" data-site="demo" data-tel="enhance" data-lang="zh" async></script>"#;
    for path in ["/", "/products/tea", "/products/kettle", "/products/cups"] {
        let resp = reqwest::get(format!("{base}{path}")).await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let ctype = resp.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ctype.starts_with("text/html"), "{path}: {ctype}");
        let html = resp.text().await.unwrap();
        assert_eq!(html.matches(tag).count(), 1, "{path}: {html}");
        assert!(html.contains("data-ringlink-dial=\"+86"), "{path}");
        assert!(html.contains("href=\"tel:"), "{path}");
        if path.starts_with("/products/") {
            // covers CALL-3: a call-me button names the merchant's button key, never a number
            assert!(
                html.contains(r#"<button type="button" class="call" data-ringlink-call="sales">"#),
                "{path}"
            );
        }
    }
    let missing = reqwest::get(format!("{base}/products/nothing"))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn healthz_answers() {
    let base = start().await;
    let resp = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(resp.status(), 200);
}
