//! Users are created and disabled by admins, in the app.

use serde_json::Value;

use crate::support::{Session, TestApp};

#[tokio::test]
async fn an_admin_creates_a_user_who_can_then_sign_in() {
    let app = TestApp::spawn().await;
    let root = app.sign_in("root").await;
    let response = root
        .form(
            "admin/users/create",
            &[
                ("username", "Wang.Wu"),
                ("display_name", "王五"),
                ("role", "rep"),
                ("team", "north"),
                ("password", "a fine password"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["id"], "wang.wu");
    assert_eq!(user["team"], "north");
    Session::sign_in(&app.base, "wang.wu", "a fine password").await;

    let taken = root
        .form(
            "admin/users/create",
            &[
                ("username", "a"),
                ("display_name", "A"),
                ("role", "rep"),
                ("team", ""),
                ("password", "a fine password"),
            ],
        )
        .await;
    assert_eq!(taken.status(), 409);
    let short = root
        .form(
            "admin/users/create",
            &[
                ("username", "zed"),
                ("display_name", "Z"),
                ("role", "rep"),
                ("team", ""),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(short.status(), 422);
    let error: Value = short.json().await.unwrap();
    assert_eq!(error["errors"][0]["code"], "password.too_short");
}

#[tokio::test]
async fn only_admins_manage_users_and_a_disabled_user_is_signed_out_at_once() {
    let app = TestApp::spawn().await;
    let m = app.sign_in("m").await;
    assert_eq!(m.form("admin/users", &[]).await.status(), 403);
    let b = app.sign_in("b").await;
    assert_eq!(b.form("auth/me", &[]).await.status(), 200);

    let root = app.sign_in("root").await;
    let response = root.form("admin/users/disable", &[("username", "b"), ("disabled", "true")]).await;
    assert_eq!(response.status(), 200);
    let me: Value = b.form("auth/me", &[]).await.json().await.unwrap();
    assert_eq!(me, Value::Null, "b's session ended");
    let pull = b.json("sync/pull", serde_json::json!({})).await;
    assert_eq!(pull.status(), 401);
    let users: Value = root.form("admin/users", &[]).await.json().await.unwrap();
    let b_row = users.as_array().unwrap().iter().find(|u| u["id"] == "b").unwrap();
    assert_eq!(b_row["disabled"], true);
}
