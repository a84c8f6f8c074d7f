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

#[tokio::test]
async fn pages_and_api_answers_carry_the_security_headers() {
    let app = TestApp::spawn().await;
    let page = app.client.get(app.url("/signin")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    let policy = headers["content-security-policy"].to_str().unwrap().to_owned();
    let html = page.text().await.unwrap();
    // The hydration script runs by the nonce the policy names; nothing else inline does.
    let nonce = policy.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("a nonce");
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the page's scripts carry the nonce");
    for directive in ["frame-ancestors 'none'", "object-src 'none'", "'wasm-unsafe-eval'"] {
        assert!(policy.contains(directive), "{directive} missing from {policy}");
    }
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(headers.get("strict-transport-security").is_none(), "no HSTS over plain HTTP");
    let another = app.client.get(app.url("/signin")).send().await.unwrap();
    assert_ne!(another.headers()["content-security-policy"].to_str().unwrap(), policy, "a nonce per page");

    let session = app.sign_in("a").await;
    let api = session.json("auth/me", serde_json::json!({})).await;
    assert_eq!(api.headers()["cache-control"], "no-store");
    assert!(api.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));

    // The offline shell names its one inline script by hash: the service
    // worker keeps the header with the page, so the policy holds offline.
    let shell = app.client.get(app.url("/offline-shell")).send().await.unwrap();
    let policy = shell.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains("'sha256-"), "{policy}");
    assert_eq!(shell.headers()["cache-control"], "no-cache");
}

#[tokio::test]
async fn a_server_with_secure_cookies_tells_browsers_to_keep_to_https() {
    let app = TestApp::spawn_with(|settings| settings.secure_cookies = true).await;
    let page = app.client.get(app.url("/signin")).send().await.unwrap();
    assert_eq!(page.headers()["strict-transport-security"], "max-age=31536000");
}
