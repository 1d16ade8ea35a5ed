//! Plain HTTP routes: widget assets (types, CORS, no path escapes), health, metrics, REST errors.

mod support;

use support::*;

// covers DIAL-2: the widget's files load cross-origin on any merchant page.
#[tokio::test]
async fn widget_assets_are_served_cross_origin_and_confined() {
    let assets = tempfile::tempdir().unwrap();
    std::fs::write(assets.path().join("widget.js"), "/* loader */").unwrap();
    std::fs::write(
        assets.path().join("ringlink_widget_bg.wasm"),
        b"\0asm\x01\0\0\0",
    )
    .unwrap();
    std::fs::write(assets.path().parent().unwrap().join("secret.txt"), "nope").unwrap();
    let dir = assets.path().to_path_buf();
    let t = TestRelay::start_with(Db::Sqlite, |c| c.widget_dir = Some(dir))
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let js = client
        .get(t.http("/widget/widget.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
    assert_eq!(js.headers()["access-control-allow-origin"], "*");
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("javascript"));
    let wasm = client
        .get(t.http("/widget/ringlink_widget_bg.wasm"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        wasm.headers()["content-type"],
        "application/wasm",
        "streaming compile needs this type"
    );
    for bad in [
        "/widget/../secret.txt",
        "/widget/%2e%2e/secret.txt",
        "/widget/a//b",
    ] {
        let r = client.get(t.http(bad)).send().await.unwrap();
        assert_ne!(r.status(), 200, "{bad}");
        assert!(
            !r.text().await.unwrap().contains("nope"),
            "{bad} escaped the widget folder"
        );
    }
    let missing = client
        .get(t.http("/widget/nothing.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("build-widget.sh"));
}

#[tokio::test]
async fn health_metrics_and_rest_errors() {
    let t = TestRelay::start(Db::Sqlite).await.unwrap();
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(t.http("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let _ = client
        .post(t.http("/v1/agent/login"))
        .json(&serde_json::json!({"number": ALICE, "password": "wrong wrong", "device_name": "x"}))
        .send()
        .await
        .unwrap();
    let metrics = client
        .get(t.http("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("ringlink_signin_failures_total"),
        "{metrics}"
    );
    assert!(metrics.contains("ringlink_agents_connected"), "{metrics}");

    // Malformed, oversized and invalid REST bodies get JSON errors that name the problem.
    let r = client
        .post(t.http("/v1/agent/login"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<ringlink_protocol::ErrorBody>().await.unwrap().code,
        ringlink_protocol::ErrorCode::BadFrame
    );
    let big = serde_json::json!({"device_name": "x".repeat(40_000)});
    let r = client
        .post(t.http("/v1/agent/pair"))
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let r = client
        .post(t.http("/v1/agent/pair"))
        .json(&serde_json::json!({"device_name": "x".repeat(65)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("device_name"));
    let r = client
        .post(t.http("/v1/agent/login"))
        .json(&serde_json::json!({"number": "12", "password": "whatever1", "device_name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("invalid_number"));
}
