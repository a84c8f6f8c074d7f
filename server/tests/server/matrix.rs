//! Who sees what, cell by cell: every reader and writer path asked by every
//! kind of user about one archive kept by rep `a` and shared with rep `c`.

use std::collections::BTreeSet;

use domain::archive::{FieldValue, LabelledPhone, PhoneLabel};
use domain::ids::UserId;
use domain::mutation::FieldEdit;
use domain::{Change, Phone};
use serde_json::{Value, json};

use crate::support::TestApp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Full,
    Masked,
    Hidden,
}

const MOBILE: &str = "+8613800138000";
const ID_NUMBER: &str = "110101199003071233";

#[tokio::test]
async fn every_path_answers_each_user_as_the_policy_says() {
    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    let id = a.create("a", "赵六").await;
    let edits = vec![
        FieldEdit {
            value: FieldValue::Phones(vec![LabelledPhone {
                label: PhoneLabel::Mobile,
                number: Phone::parse("13800138000").unwrap(),
            }]),
            base: 0,
        },
        FieldEdit { value: FieldValue::IdNumber(Some(ID_NUMBER.into())), base: 0 },
        FieldEdit { value: FieldValue::SharedWith(BTreeSet::from([UserId("c".into())])), base: 0 },
    ];
    let outcome = a.push(id, Change::SetFields { edits }).await;
    assert_eq!(outcome["status"], "applied", "{outcome}");

    let cells = [
        ("a", Expect::Full),
        ("b", Expect::Hidden),
        ("c", Expect::Masked),
        ("m", Expect::Full),
        ("n", Expect::Hidden),
        ("root", Expect::Full),
    ];
    for (user, expect) in cells {
        let mut session = app.sign_in(user).await;
        let visible = expect != Expect::Hidden;
        let id_text = id.to_string();

        // get
        let response = session.form("customers/get", &[("id", &id_text)]).await;
        if visible {
            assert_eq!(response.status(), 200, "get as {user}");
            let detail: Value = response.json().await.unwrap();
            assert_eq!(detail["masked"], expect == Expect::Masked, "get as {user}");
            let text = detail.to_string();
            assert_eq!(text.contains(MOBILE), expect == Expect::Full, "mobile in get as {user}");
            assert_eq!(text.contains(ID_NUMBER), expect == Expect::Full, "id number in get as {user}");
        } else {
            assert_eq!(response.status(), 404, "get as {user}");
        }

        // list and search
        for query in [
            json!({ "limit": 50 }),
            json!({ "text": "赵", "limit": 50 }),
            json!({ "text": "zl", "limit": 50 }),
        ] {
            let list: Value =
                session.json("customers/list", json!({ "query": query })).await.json().await.unwrap();
            let found = list.as_array().unwrap().iter().any(|c| c["id"] == id_text);
            assert_eq!(found, visible, "list {query} as {user}");
            assert!(!list.to_string().contains(MOBILE), "lists never carry sensitive fields");
        }
        // Searching by a masked mobile's digits would rebuild it a digit at
        // a time: only a viewer who sees it in full finds the archive by it.
        for (digits, right) in
            [("13800138000", true), ("138001", true), ("0138000", true), ("13800138001", false)]
        {
            let query = json!({ "text": digits, "limit": 50 });
            let list: Value =
                session.json("customers/list", json!({ "query": query })).await.json().await.unwrap();
            let found = list.as_array().unwrap().iter().any(|c| c["id"] == id_text);
            assert_eq!(found, right && expect == Expect::Full, "search {digits} as {user}");
        }

        // pull
        let changes = session.pull_all().await;
        let put = changes.iter().find(|c| c["op"] == "put" && c["customer"]["id"] == id_text);
        assert_eq!(put.is_some(), visible, "pull as {user}");
        if let Some(put) = put {
            assert_eq!(put["masked"], expect == Expect::Masked, "pull as {user}");
            assert_eq!(put.to_string().contains(MOBILE), expect == Expect::Full, "mobile in pull as {user}");
        }

        // push an edit of a plain field
        let edit = Change::SetFields {
            edits: vec![FieldEdit { value: FieldValue::Region(Some(format!("由{user}"))), base: 0 }],
        };
        let outcome = session.push(id, edit).await;
        if visible {
            assert!(
                outcome["status"] == "applied" || outcome["status"] == "conflict",
                "push as {user}: {outcome}"
            );
        } else {
            assert_eq!(outcome["status"], "rejected", "push as {user}");
            assert_eq!(outcome["code"], "customer.not_found", "push as {user}");
        }

        // export
        let csv = session.get("/api/customers/export?format=csv").await.text().await.unwrap();
        assert_eq!(csv.contains(&id_text), visible, "export as {user}");
        let written = domain::Phone::parse(MOBILE).unwrap().national();
        assert_eq!(csv.contains(&written), expect == Expect::Full, "mobile in export as {user}");
    }
}

#[tokio::test]
async fn a_manager_seeing_another_reps_sensitive_fields_is_audited_and_reps_cannot_read_the_trail() {
    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    let id = a.create("a", "钱八").await;
    let edit = FieldEdit { value: FieldValue::IdNumber(Some(ID_NUMBER.into())), base: 0 };
    a.push(id, Change::SetFields { edits: vec![edit] }).await;

    let m = app.sign_in("m").await;
    assert_eq!(m.form("customers/get", &[("id", &id.to_string())]).await.status(), 200);
    let trail: Value = m.form("audit/list", &[]).await.json().await.unwrap();
    assert!(
        trail.as_array().unwrap().iter().any(|e| e["action"] == "view_sensitive" && e["user"] == "m"),
        "{trail}"
    );
    let n = app.sign_in("n").await;
    let other_team: Value = n.form("audit/list", &[]).await.json().await.unwrap();
    assert!(!other_team.to_string().contains(&id.to_string()), "{other_team}");
    assert_eq!(a.form("audit/list", &[]).await.status(), 403);
}
