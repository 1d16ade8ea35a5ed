//! Plain HTTP routes: health, metrics, REST errors (widget files: widget_assets.rs).

mod support;

use support::*;

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
