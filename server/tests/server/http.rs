//! Health, request ids, compression, limits and unknown pages.

use crate::support::TestApp;

#[tokio::test]
async fn the_health_check_reports_the_database_and_schema_version() {
    let app = TestApp::spawn().await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["schema_version"], store::SCHEMA_VERSION);
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_one_it_was_given() {
    let app = TestApp::spawn().await;
    let fresh = app.client.get(app.url("/healthz")).send().await.unwrap();
    let id = fresh.headers().get("x-request-id").expect("request id").to_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let given =
        app.client.get(app.url("/healthz")).header("x-request-id", "trace-me-42").send().await.unwrap();
    assert_eq!(given.headers()["x-request-id"], "trace-me-42");
}

#[tokio::test]
async fn pages_are_compressed_for_clients_that_accept_it() {
    let app = TestApp::spawn().await;
    for encoding in ["br", "gzip"] {
        let response = app.client.get(app.url("/")).header("accept-encoding", encoding).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-encoding"], encoding);
    }
}

#[tokio::test]
async fn an_oversized_body_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn_with_body_limit(4 * 1024).await;
    let mut a = app.sign_in("a").await;
    let response = a.form("auth/sign_in", &[("username", "a"), ("password", &"x".repeat(8 * 1024))]).await;
    assert_eq!(response.status(), 413);
    // The server keeps serving.
    a.create("a", "张三").await;
}

#[tokio::test]
async fn an_unknown_page_answers_404_with_a_page_a_person_can_read() {
    let app = TestApp::spawn().await;
    let response = app.client.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let html = response.text().await.unwrap();
    assert!(html.contains("页面不存在"), "{html}");
}
