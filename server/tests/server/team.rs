//! The team page over HTTP: only managers and admins run it, a manager
//! only within their team, and a handover is a preview, then mutations.

use serde_json::{Value, json};

use crate::support::TestApp;

async fn handover(
    session: &crate::support::Session,
    from: &str,
    to: &str,
    reason: &str,
    commit: bool,
) -> reqwest::Response {
    let selection = json!({ "keeper": Some(from).filter(|f| !f.is_empty()) });
    session
        .json(
            "team/handover",
            json!({ "selection": selection, "to": to, "reason": reason, "commit": commit }),
        )
        .await
}

#[tokio::test]
async fn a_manager_hands_a_reps_portfolio_to_a_teammate_after_a_preview() {
    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    for name in ["客户甲", "客户乙", "客户丙"] {
        a.create("a", name).await;
    }
    let b = app.sign_in("b").await;
    assert!(b.pull_all().await.is_empty());
    let m = app.sign_in("m").await;

    let preview: Value = handover(&m, "a", "b", "", false).await.json().await.unwrap();
    assert_eq!((preview["selected"].as_u64(), preview["moved"].as_u64()), (Some(3), Some(0)));
    assert_eq!(a.pull_all().await.len(), 3, "a preview moves nothing");

    let without_reason = handover(&m, "a", "b", "  ", true).await;
    assert_eq!(without_reason.status(), 422);
    let error: Value = without_reason.json().await.unwrap();
    assert_eq!(error["errors"][0]["code"], "reason.required");

    let done: Value = handover(&m, "a", "b", "离职交接", true).await.json().await.unwrap();
    assert_eq!(
        (done["selected"].as_u64(), done["moved"].as_u64(), done["refused"].as_u64()),
        (Some(3), Some(3), Some(0))
    );
    assert_eq!(b.pull_all().await.len(), 3, "b's devices get the three");
    let teams: Value = m.form("team/list", &[]).await.json().await.unwrap();
    let north = &teams[0];
    assert_eq!(north["name"], "north");
    let kept = |user: &str| {
        north["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p[0]["id"] == user)
            .map(|p| p[1].as_u64().unwrap())
    };
    assert_eq!((kept("a"), kept("b")), (Some(0), Some(3)));

    let audit: Value = m.form("audit/list", &[]).await.json().await.unwrap();
    let entries = audit.as_array().unwrap();
    assert!(entries.iter().any(|e| e["action"] == "reassign" && e["reason"] == "离职交接"), "{audit}");
}

#[tokio::test]
async fn only_managers_and_admins_hand_over_and_never_beyond_their_reach() {
    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    a.create("a", "客户甲").await;
    let b = app.sign_in("b").await;
    assert_eq!(b.form("team/list", &[]).await.status(), 403);
    assert_eq!(handover(&b, "a", "b", "想要", false).await.status(), 403);

    // South's manager reaches nothing of north's.
    let n = app.sign_in("n").await;
    let preview: Value = handover(&n, "a", "c", "跨组", false).await.json().await.unwrap();
    assert_eq!(preview["selected"], 0);
    // North's manager cannot give to south's rep: the push refuses each one.
    let m = app.sign_in("m").await;
    let refused: Value = handover(&m, "a", "c", "跨组", true).await.json().await.unwrap();
    assert_eq!((refused["moved"].as_u64(), refused["refused"].as_u64()), (Some(0), Some(1)));
    assert_eq!(refused["refusal"], "forbidden.owner");
    // The same person on both ends is not a handover.
    let same = handover(&m, "a", "a", "无", true).await;
    assert_eq!(same.status(), 422);
    // To the pool is allowed for a manager.
    let pooled: Value = handover(&m, "a", "", "无人跟进", true).await.json().await.unwrap();
    assert_eq!(pooled["moved"], 1);
}

#[tokio::test]
async fn an_admin_moves_a_rep_to_another_team_and_nobody_else_may() {
    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    a.create("a", "客户甲").await;
    let m = app.sign_in("m").await;
    let fields = [("username", "a"), ("role", "rep"), ("team", "south")];
    assert_eq!(m.form("admin/users/role_team", &fields).await.status(), 403);
    assert_eq!(m.pull_all().await.len(), 1);

    let root = app.sign_in("root").await;
    let moved: Value = root.form("admin/users/role_team", &fields).await.json().await.unwrap();
    assert_eq!(moved["team"], "south");
    let n = app.sign_in("n").await;
    assert_eq!(n.pull_all().await.len(), 1, "south's manager now sees a's archive");
    let demote =
        root.form("admin/users/role_team", &[("username", "root"), ("role", "rep"), ("team", "")]).await;
    assert_eq!(demote.status(), 403, "an admin cannot demote themselves");
    let users: Value = root.form("admin/users", &[]).await.json().await.unwrap();
    let a_row = users.as_array().unwrap().iter().find(|u| u["id"] == "a").unwrap();
    assert!(a_row["last_sign_in"].as_i64().is_some() && a_row["last_sync"].is_null(), "{a_row}");
}

#[tokio::test]
async fn a_records_history_answers_whoever_sees_it_and_nobody_else() {
    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    let id = a.create("a", "历史客户").await.to_string();
    let mine = a.form("audit/history", &[("id", &id)]).await;
    assert_eq!(mine.status(), 200);
    let entries: Value = mine.json().await.unwrap();
    assert_eq!(entries[0]["action"], "create");
    let c = app.sign_in("c").await;
    assert_eq!(
        c.form("audit/history", &[("id", &id)]).await.status(),
        404,
        "c does not see it, nor learns it exists"
    );
    let anonymous = app.client.post(app.url("/api/audit/history")).form(&[("id", &id)]).send().await.unwrap();
    assert!(matches!(anonymous.status().as_u16(), 401 | 403), "{}", anonymous.status());

    // The audit page's export: a CSV for managers, refused to reps.
    let m = app.sign_in("m").await;
    let csv = m.json("audit/export", json!({ "filter": { "action": "create" } })).await;
    assert_eq!(csv.status(), 200);
    let text: String = csv.json().await.unwrap();
    assert!(text.starts_with("\u{feff}时间,用户,客户,操作") && text.contains("创建档案"), "{text}");
    assert_eq!(a.json("audit/export", json!({ "filter": {} })).await.status(), 403);
}

#[tokio::test]
async fn a_manager_merges_a_queued_pair_and_a_rep_reaches_no_part_of_the_queue() {
    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    let mut b = app.sign_in("b").await;
    a.create("a", "重复客户").await;
    b.create("b", "重复客户").await;
    assert_eq!(a.form("duplicates/queue", &[]).await.status(), 403);
    assert_eq!(a.form("duplicates/sweep", &[]).await.status(), 403);

    let m = app.sign_in("m").await;
    let swept: Value = m.form("duplicates/sweep", &[]).await.json().await.unwrap();
    assert_eq!(swept, json!([2, 0]), "the same person's name alone, in no city, is not enough");
    // The same name in one city is.
    let ids: Vec<String> =
        m.pull_all().await.iter().map(|c| c["customer"]["id"].as_str().unwrap().to_owned()).collect();
    for (session, id) in [(&mut a, &ids[0]), (&mut b, &ids[1])] {
        let mut address = domain::archive::Address::default();
        address.city = Some("杭州市".into());
        let base =
            session.pull_all().await.iter().find(|c| c["customer"]["id"] == id.as_str()).unwrap()["customer"]
                ["version"]
                .as_u64()
                .unwrap();
        let edit = domain::mutation::FieldEdit { value: domain::archive::FieldValue::Address(address), base };
        session.push(id.parse().unwrap(), domain::Change::SetFields { edits: vec![edit] }).await;
    }
    let swept: Value = m.form("duplicates/sweep", &[]).await.json().await.unwrap();
    assert_eq!(swept, json!([2, 1]));
    let queue: Value = m.form("duplicates/queue", &[]).await.json().await.unwrap();
    let key = queue[0]["key"].as_str().unwrap().to_owned();
    let keep = queue[0]["a"]["id"].as_str().unwrap().to_owned();
    let merged = m.json("duplicates/merge", json!({ "key": key, "keep": keep, "edits": [] })).await;
    assert_eq!(merged.status(), 200);
    let queue: Value = m.form("duplicates/queue", &[]).await.json().await.unwrap();
    assert_eq!(queue, json!([]));
    assert_eq!(m.pull_all().await.iter().filter(|c| c["op"] == "put").count(), 1, "one archive is left");
    assert_eq!(m.form("duplicates/pair", &[("key", &key)]).await.status(), 404, "the pair is settled");
}

#[tokio::test]
async fn a_manager_shares_the_pool_out_in_turn_within_the_hold_limit_then_past_it_with_a_reason() {
    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    let mut b = app.sign_in("b").await;
    b.create("b", "b 的老客户").await;
    let mut pooled = Vec::new();
    for name in ["公海一", "公海二", "公海三", "公海四"] {
        let id = a.create("a", name).await;
        let release = domain::Change::Reassign {
            owner: None,
            base: 1,
            reason: Some("不再跟进".into()),
            pool: Some("north".into()),
            over_limit: false,
        };
        assert_eq!(a.push(id, release).await["status"], "applied");
        pooled.push(id.to_string());
    }
    let m = app.sign_in("m").await;
    let rules = json!({ "team": "north", "rules": { "hold_limit": 2 } });
    assert!(m.json("pool/rules/save", rules).await.status().is_success());

    let in_turn = |over_limit: bool, reason: &str| {
        json!({
            "selection": { "ids": pooled, "in_pool": true }, "to": "", "reason": reason, "commit": true,
            "options": { "round_robin": "north", "over_limit": over_limit },
        })
    };
    let shared: Value = m.json("team/handover", in_turn(false, "从公海分配")).await.json().await.unwrap();
    // a takes two, b one (b kept one already); the fourth finds nobody with room.
    assert_eq!(
        (shared["moved"].as_u64(), shared["refused"].as_u64(), &shared["taken"]),
        (Some(3), Some(1), &json!({ "a": 2, "b": 1 })),
        "{shared}"
    );
    assert_eq!(shared["refusal"], "pool.rules");
    assert_eq!(shared["refusal_errors"][0]["code"], "keeper.over_hold_limit");
    assert_eq!(shared["refusal_errors"][0]["limit"], 2);

    let unexplained = m.json("team/handover", in_turn(true, "  ")).await;
    assert_eq!(unexplained.status(), 422, "going past the limit needs a reason");
    let past: Value =
        m.json("team/handover", in_turn(true, "展会线索，必须今天跟进")).await.json().await.unwrap();
    assert_eq!(
        (past["selected"].as_u64(), past["moved"].as_u64(), past["refused"].as_u64()),
        (Some(1), Some(1), Some(0)),
        "only what is still in the pool: {past}"
    );
    let filter = json!({ "filter": { "action": "reassign_over_limit", "limit": 10 } });
    let audit: Value = m.json("audit/search", filter).await.json().await.unwrap();
    assert_eq!(audit.as_array().map(Vec::len), Some(1), "{audit}");
    let kept = |changes: Vec<Value>| changes.iter().filter(|c| c["op"] == "put").count();
    assert_eq!(kept(a.pull_all().await) + kept(b.pull_all().await), 5, "the reps' devices follow");
}
