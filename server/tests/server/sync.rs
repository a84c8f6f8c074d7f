//! Push and pull over HTTP: retries, bad input, sessions, other origins.

use std::time::Duration;

use domain::Change;
use domain::archive::FieldValue;
use domain::ids::UserId;
use domain::mutation::{FieldEdit, Sequencer};
use domain::time::Timestamp;
use serde_json::{Value, json};

use crate::support::{PASSWORD, Session, TestApp};

fn region(value: &str) -> Change {
    Change::SetFields { edits: vec![FieldEdit { value: FieldValue::Region(Some(value.into())), base: 0 }] }
}

/// The server still answers, and `a`'s archive is as it was.
async fn unharmed(app: &TestApp, a: &Session, expected_version: u64) {
    assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    let list: Value = a.json("customers/list", json!({ "query": {} })).await.json().await.unwrap();
    assert_eq!(list[0]["version"], expected_version, "a refused request wrote something");
}

#[tokio::test]
async fn a_retried_push_answers_the_same_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    let id = a.create("a", "张三").await;
    let mutation = a.sequencer.next(id, region("华东"), Timestamp(0));
    let body = json!({ "client": a.sequencer.client, "mutations": [mutation] });
    let first: Value = a.json("sync/push", body.clone()).await.json().await.unwrap();
    let second: Value = a.json("sync/push", body).await.json().await.unwrap();
    assert_eq!(first, second);
    assert_eq!(first["results"][0]["outcome"]["status"], "applied");
    unharmed(&app, &a, first["results"][0]["outcome"]["version"].as_u64().unwrap()).await;
}

#[tokio::test]
async fn malformed_truncated_and_unknown_pushes_are_400_and_write_nothing() {
    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    let id = a.create("a", "张三").await;
    let version = 1;
    let mutation = serde_json::to_value(a.sequencer.next(id, region("华东"), Timestamp(0))).unwrap();
    let good = json!({ "client": a.sequencer.client, "mutations": [mutation] }).to_string();

    let mut unknown_kind = mutation.clone();
    unknown_kind["change"]["type"] = json!("teleport");
    let bodies = [
        "{not json".to_owned(),
        good[..good.len() / 2].to_owned(),
        json!({ "client": a.sequencer.client, "mutations": [unknown_kind] }).to_string(),
        json!({ "client": "not-a-uuid", "mutations": [] }).to_string(),
        json!({ "client": a.sequencer.client, "mutations": [] }).to_string(),
    ];
    for body in bodies {
        let response = a
            .client
            .post(format!("{}/api/sync/push", a.base))
            .header("cookie", &a.cookie)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "body {body}");
        let error: Value = response.json().await.unwrap();
        assert!(error["code"] == "request" || error["code"] == "bad_request", "{error}");
    }
    unharmed(&app, &a, version).await;
}

#[tokio::test]
async fn an_oversized_push_is_413() {
    let app = TestApp::spawn_with_body_limit(16 * 1024).await;
    let mut a = app.sign_in("a").await;
    let id = a.create("a", "张三").await;
    let mutations: Vec<_> =
        (0..200).map(|i| a.sequencer.next(id, region(&format!("区{i}")), Timestamp(0))).collect();
    let response = a.json("sync/push", json!({ "client": a.sequencer.client, "mutations": mutations })).await;
    assert_eq!(response.status(), 413);
    unharmed(&app, &a, 1).await;
}

#[tokio::test]
async fn a_sequence_gap_is_409_naming_the_expected_number() {
    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    let id = a.create("a", "张三").await;
    a.sequencer.last_seq += 3;
    let mutation = a.sequencer.next(id, region("华东"), Timestamp(0));
    let response =
        a.json("sync/push", json!({ "client": a.sequencer.client, "mutations": [mutation] })).await;
    assert_eq!(response.status(), 409);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["code"], "sequence_gap");
    assert_eq!(error["expected"], 2);
    unharmed(&app, &a, 1).await;
}

#[tokio::test]
async fn a_client_id_of_another_user_is_403() {
    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    let id = a.create("a", "张三").await;
    let b = app.sign_in("b").await;
    let mut stolen = Sequencer { client: a.sequencer.client, author: UserId("b".into()), last_seq: 1 };
    let mutation = stolen.next(id, region("华东"), Timestamp(0));
    let response = b.json("sync/push", json!({ "client": stolen.client, "mutations": [mutation] })).await;
    assert_eq!(response.status(), 403);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["reason"], "client.foreign");
    unharmed(&app, &a, 1).await;
}

#[tokio::test]
async fn an_ended_session_answers_401_with_a_code_the_client_understands() {
    let app = TestApp::spawn().await;
    let a = app.sign_in("a").await;
    assert_eq!(a.form("auth/sign_out", &[]).await.status(), 200);
    for (endpoint, body) in
        [("sync/push", json!({ "client": a.sequencer.client, "mutations": [] })), ("sync/pull", json!({}))]
    {
        let response = a.json(endpoint, body).await;
        assert_eq!(response.status(), 401, "{endpoint}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["code"], "signed_out");
    }
    let nobody = app.client.post(app.url("/api/sync/pull")).json(&json!({})).send().await.unwrap();
    assert_eq!(nobody.status(), 401);
}

#[tokio::test]
async fn a_write_from_another_origin_is_refused() {
    let app = TestApp::spawn().await;
    let a = app.sign_in("a").await;
    let response = a
        .client
        .post(format!("{}/api/auth/sign_out", a.base))
        .header("cookie", &a.cookie)
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // Same origin is fine.
    let host = a.base.trim_start_matches("http://").to_owned();
    let response = a
        .client
        .post(format!("{}/api/auth/me", a.base))
        .header("cookie", &a.cookie)
        .header("origin", format!("http://{host}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn repeated_wrong_passwords_are_held_and_the_cookie_is_http_only() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();
    let attempt = |password: &'static str| {
        client.post(app.url("/api/auth/sign_in")).form(&[("username", "b"), ("password", password)]).send()
    };
    for _ in 0..5 {
        assert_eq!(attempt("wrong password").await.unwrap().status(), 401);
    }
    let held = attempt(PASSWORD).await.unwrap();
    assert_eq!(held.status(), 429, "the right password is held too while the account is held");
    let error: Value = held.json().await.unwrap();
    assert_eq!(error["code"], "too_many_attempts");

    let ok = client
        .post(app.url("/api/auth/sign_in"))
        .form(&[("username", "a"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = ok.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
}

/// An open live stream and what has arrived of it.
struct Live {
    response: reqwest::Response,
    buffer: String,
}

impl Live {
    async fn open(session: &Session) -> Self {
        let response = session
            .client
            .get(format!("{}/api/sync/live", session.base))
            .header("cookie", &session.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let kind = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        let mut live = Self { response, buffer: String::new() };
        assert_eq!(live.next(Duration::from_secs(5)).await.map(|(name, _)| name).as_deref(), Some("ready"));
        live
    }

    /// The next event's name and data, if one comes within `wait`.
    async fn next(&mut self, wait: Duration) -> Option<(String, String)> {
        tokio::time::timeout(wait, async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let field = |name: &str| {
                        block.lines().find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
                    };
                    // Keep-alive comments carry no event.
                    if let Some(event) = field("event:") {
                        return Some((event, field("data:").unwrap_or_default()));
                    }
                    continue;
                }
                let chunk = self.response.chunk().await.ok()??;
                self.buffer.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
        .await
        .ok()
        .flatten()
    }
}

/// Live updates reach those who see the changed archive, at once, and
/// nobody else: a's manager hears of a's new customer, a rep of the same
/// team and a rep of another team hear nothing. Without a session, 401.
#[tokio::test]
async fn a_change_is_announced_live_to_whoever_sees_it_and_to_nobody_else() {
    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    let (m, b, c) = (app.sign_in("m").await, app.sign_in("b").await, app.sign_in("c").await);
    let (mut manager, mut colleague, mut stranger) =
        (Live::open(&m).await, Live::open(&b).await, Live::open(&c).await);

    a.create("a", "实时客户").await;
    let (event, version) = manager.next(Duration::from_secs(5)).await.expect("the manager is told");
    assert_eq!(event, "changed");
    assert!(version.parse::<u64>().unwrap() > 0, "{version}");
    assert_eq!(colleague.next(Duration::from_millis(500)).await, None, "b does not see a's customer");
    assert_eq!(stranger.next(Duration::from_millis(500)).await, None, "nor does c, in another team");

    let anonymous = app.client.get(app.url("/api/sync/live")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

/// With two app servers on one database, a device connected to one hears
/// at once of a change pushed through the other, and only if it sees it.
#[tokio::test]
async fn a_change_taken_by_another_app_server_is_announced_too() {
    let database = surreal_process::DatabaseProcess::start(surreal_process::Storage::Memory)
        .expect("the SurrealDB server starts");
    let (first, second) = TestApp::pair_on(&database).await;
    let mut a = first.sign_in("a").await;
    let (m, c) = (second.sign_in("m").await, second.sign_in("c").await);
    let (mut manager, mut stranger) = (Live::open(&m).await, Live::open(&c).await);
    // The manager's tablet, on the server that takes the push.
    let mut tablet = Live::open(&first.sign_in("m").await).await;

    let started = std::time::Instant::now();
    a.create("a", "另一台服务器的客户").await;
    let (event, version) =
        manager.next(Duration::from_secs(10)).await.expect("the manager on the other server is told");
    assert_eq!(event, "changed");
    assert!(version.parse::<u64>().unwrap() > 0, "{version}");
    eprintln!("live across servers: told after {} ms", started.elapsed().as_millis());
    assert_eq!(stranger.next(Duration::from_millis(800)).await, None, "c, in another team, hears nothing");
    assert_eq!(tablet.next(Duration::from_secs(5)).await.map(|(e, _)| e).as_deref(), Some("changed"));
    // Neither server announces it twice: the one that took it does not
    // hear its own commit again by following the counter.
    assert_eq!(manager.next(Duration::from_millis(800)).await, None, "told once");
    assert_eq!(tablet.next(Duration::from_millis(800)).await, None, "told once on the committing server");
}
