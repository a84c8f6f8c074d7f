//! The customer slice: a server function backed by SurrealDB, rendered by SSR.

use crate::support::TestApp;

#[tokio::test]
async fn a_customer_created_through_the_server_function_is_stored_normalised() {
    let app = TestApp::spawn().await;
    let response = app.create_customer("  张 三  ").await;
    assert_eq!(response.status(), 200);
    let created: serde_json::Value = response.json().await.unwrap();
    assert_eq!(created["name"], "张三");
    let stored = app.store.list_customers(10).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, created["id"].as_str().unwrap());
}

#[tokio::test]
async fn an_empty_name_is_refused_with_a_field_code_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let response = app.create_customer("   ").await;
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid");
    assert_eq!(body["errors"][0]["field"], "name");
    assert_eq!(body["errors"][0]["code"], "name.required");
    assert!(app.store.list_customers(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_name_of_200_characters_is_refused_with_the_limit() {
    let app = TestApp::spawn().await;
    let response = app.create_customer(&"客".repeat(200)).await;
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "name.too_long");
    assert_eq!(body["errors"][0]["limit"], domain::MAX_NAME_CHARS as u64);
    assert!(app.store.list_customers(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_request_without_the_name_argument_is_a_clear_client_error() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/api/customers/create"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("nom=x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "request");
    assert!(app.store.list_customers(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_list_page_is_rendered_on_the_server_with_the_customers_and_the_hydration_script() {
    let app = TestApp::spawn().await;
    app.create_customer("Acme Trading").await;
    app.create_customer("李四").await;
    let response = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"zh-CN\""), "zh-CN is the default language");
    assert!(html.contains("Acme Trading") && html.contains("李四"), "{html}");
    assert!(html.find("李四") < html.find("Acme Trading"), "newest first");
    assert!(html.contains("/pkg/crm.js"), "hydration script missing");
    assert!(html.contains("name=\"viewport\""), "mobile viewport missing");
}

#[tokio::test]
async fn the_list_server_function_answers_json() {
    let app = TestApp::spawn().await;
    app.create_customer("王五").await;
    let response = app
        .client
        .post(app.url("/api/customers/list"))
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let list: serde_json::Value = response.json().await.unwrap();
    assert_eq!(list[0]["name"], "王五");
}
