//! Archives over HTTP: created by a pushed mutation, read through the policy.

use domain::Change;
use domain::archive::Fields;
use domain::ids::CustomerId;
use serde_json::{Value, json};

use crate::support::TestApp;

#[tokio::test]
async fn an_archive_created_by_a_push_is_listed_normalised() {
    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    let id = a.create("a", "  张 三  ").await;
    let response = a.json("customers/list", json!({ "query": { "limit": 10 } })).await;
    assert_eq!(response.status(), 200);
    let list: Value = response.json().await.unwrap();
    assert_eq!(list[0]["id"], id.to_string());
    assert_eq!(list[0]["name"], "张三");
}

#[tokio::test]
async fn an_invalid_archive_is_rejected_with_a_field_code_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    // A name that could not have been parsed, as a bad client might send it.
    let mut fields = serde_json::to_value(Fields::named(domain::CustomerName::parse("x").unwrap())).unwrap();
    fields["name"] = json!("客".repeat(200));
    fields["owner"] = json!("a");
    let body = json!({ "client": a.sequencer.client, "mutations": [{
        "id": domain::ids::MutationId::new(), "client": a.sequencer.client, "seq": 1, "author": "a",
        "client_time": 0, "customer": CustomerId::new(), "change": { "type": "create", "fields": fields },
    }]});
    let response = a.json("sync/push", body).await;
    assert_eq!(response.status(), 400, "a value that does not parse is a malformed request");
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["code"], "request");

    let birthday_tomorrow = {
        let mut fields = Fields::named(domain::CustomerName::parse("李四").unwrap());
        fields.owner = Some(domain::ids::UserId("a".into()));
        fields.birthday = domain::time::Date::new(2999, 1, 1);
        fields
    };
    let outcome = a.push(CustomerId::new(), Change::Create { fields: Box::new(birthday_tomorrow) }).await;
    assert_eq!(outcome["status"], "rejected");
    assert_eq!(outcome["code"], "invalid");
    assert_eq!(outcome["errors"][0]["code"], "birthday.in_future");
    let list: Value =
        a.json("customers/list", json!({ "query": { "limit": 10 } })).await.json().await.unwrap();
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn the_start_page_is_rendered_on_the_server_with_the_hydration_script() {
    let app = TestApp::spawn().await;
    let response = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"zh-CN\""), "zh-CN is the default language");
    assert!(html.contains("/pkg/crm.js"), "hydration script missing");
    assert!(html.contains("name=\"viewport\""), "mobile viewport missing");
    let sign_in = app.client.get(app.url("/signin")).send().await.unwrap().text().await.unwrap();
    assert!(sign_in.contains("id=\"username\"") && sign_in.contains("type=\"password\""), "{sign_in}");
}

#[tokio::test]
async fn an_admin_defines_custom_fields_over_http_and_exports_carry_them() {
    let app = TestApp::spawn().await;
    let field = json!({
        "key": "plate", "zh": "车牌号", "en": "Plate number", "kind": "text", "required": false,
    });
    let rep = app.sign_in("a").await;
    let refused = rep.json("admin/fields/save", json!({ "fields": [field.clone()] })).await;
    assert_eq!(refused.status(), 403);
    let root = app.sign_in("root").await;
    let saved = root.json("admin/fields/save", json!({ "fields": [field] })).await;
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap());
    // Dropping it again is refused with a reason a person can act on.
    let dropped = root.json("admin/fields/save", json!({ "fields": [] })).await;
    assert_eq!(dropped.status(), 422);
    let body: Value = dropped.json().await.unwrap();
    assert!(body.to_string().contains("fields.removed"), "{body}");

    let mut a = rep;
    let id = a.create("a", "王五").await;
    let value = domain::custom_field::CustomValue::Text("京A12345".into());
    let edit = domain::custom_field::CustomEdit { key: "plate".into(), value: Some(value), base: 1 };
    let outcome = a.push(id, Change::SetCustom { edits: vec![edit] }).await;
    assert_eq!(outcome["status"], "applied", "{outcome}");
    let csv = a.get("/api/customers/export?format=csv").await.text().await.unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().ends_with(",车牌号"), "{csv}");
    assert!(lines.any(|l| l.contains("王五") && l.ends_with(",京A12345")), "{csv}");
}
