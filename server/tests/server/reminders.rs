//! Reminders over HTTP: each keeper reads and marks their own.

use domain::Change;
use domain::archive::FieldValue;
use domain::mutation::FieldEdit;
use domain::time::Date;
use serde_json::{Value, json};

use crate::support::{Session, TestApp};

async fn read(session: &Session) -> Value {
    let response = session.form("notifications", &[]).await;
    assert!(response.status().is_success(), "{}", response.status());
    response.json::<Value>().await.unwrap()
}

#[tokio::test]
async fn a_keeper_reads_their_reminders_and_marks_them_read_and_no_one_elses() {
    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    let b = app.sign_in("b").await;
    for name in ["甲", "乙"] {
        let id = a.create("a", name).await;
        let edits = vec![FieldEdit { value: FieldValue::Birthday(Date::new(1980, 12, 9)), base: 1 }];
        a.push(id, Change::SetFields { edits }).await;
    }
    let day = Date::new(2026, 12, 6).unwrap();
    let run = app.store.run_reminders(day, day, false).await.unwrap();
    assert_eq!(run.fired, 2);

    let mine = read(&a).await;
    assert_eq!(mine["unread"], 2, "{mine}");
    let list = mine["list"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|n| n["kind"] == "birthday" && n["on"] == "2026-12-09"), "{mine}");
    assert_eq!(read(&b).await["list"].as_array().unwrap().len(), 0, "b keeps none of them");

    // b naming a's reminder changes nothing; a marking one, then all, does.
    let key = list[0]["key"].as_str().unwrap().to_owned();
    let answer = b.json("notifications/read", json!({ "keys": [key.clone()] })).await;
    assert!(answer.status().is_success());
    assert_eq!(read(&a).await["unread"], 2);
    a.json("notifications/read", json!({ "keys": [key] })).await;
    assert_eq!(read(&a).await["unread"], 1);
    a.json("notifications/read", json!({ "keys": [] })).await;
    assert_eq!(read(&a).await["unread"], 0);

    // The morning run by hand: admins only.
    let refused = a.form("notifications/run", &[]).await;
    assert_eq!(refused.status(), 403);
    let root = app.sign_in("root").await;
    let ran = root.form("notifications/run", &[]).await;
    assert!(ran.status().is_success(), "{}", ran.status());

    let anonymous = app.client.post(app.url("/api/notifications")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}
