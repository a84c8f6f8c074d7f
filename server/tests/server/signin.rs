//! Sign-in and sessions under attack: parallel guesses, oversized names,
//! floods, stolen or left-behind sessions.

use serde_json::Value;

use crate::support::{PASSWORD, Session, TestApp, start_binary};

/// Runs the requests as separate tasks, all in flight together.
async fn all_at_once<T: Send + 'static>(
    requests: impl IntoIterator<Item = impl Future<Output = T> + Send + 'static>,
) -> Vec<T> {
    let mut set = tokio::task::JoinSet::new();
    for request in requests {
        set.spawn(request);
    }
    set.join_all().await
}

async fn try_sign_in(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(format!("{base}/api/auth/sign_in"))
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .expect("sign-in request")
}

#[tokio::test]
async fn forty_parallel_wrong_passwords_reach_the_password_check_at_most_five_times() {
    let app = TestApp::spawn().await;
    let guesses = (0..40).map(|i| {
        let client = app.client.clone();
        let base = app.base.clone();
        async move { try_sign_in(&client, &base, "a", &format!("guess number {i}")).await }
    });
    let answers = all_at_once(guesses).await;
    let checked = answers.iter().filter(|r| r.status() == 401).count();
    let held = answers.iter().filter(|r| r.status() == 429).count();
    assert!(checked <= 5, "{checked} guesses were checked against the password");
    assert_eq!(checked + held, 40, "every other guess is held");
    for answer in answers.iter().filter(|r| r.status() == 429) {
        let wait: u64 = answer.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(wait >= 60, "told to wait {wait} s");
    }
    // The real password is held too while the account is.
    assert_eq!(try_sign_in(&app.client, &app.base, "a", PASSWORD).await.status(), 429);
    // Another account is not.
    app.sign_in("b").await;
}

#[tokio::test]
async fn a_malformed_user_name_is_refused_with_a_clear_400_before_any_password_check() {
    let app = TestApp::spawn_with(|settings| settings.max_body_bytes = 2 << 20).await;
    let huge = "a".repeat(1_500_000);
    for name in [huge.as_str(), "张三", "a b"] {
        let response = try_sign_in(&app.client, &app.base, name, PASSWORD).await;
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "bad_request");
        assert_eq!(body["reason"], "username.format");
        assert!(body["message"].as_str().unwrap().contains("32"), "{body}");
    }
    // Malformed names never count against anybody.
    app.sign_in("a").await;
}

/// Resident memory of a process, from /proc.
fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kib * 1024
}

#[tokio::test]
async fn huge_names_and_a_burst_of_sign_ins_leave_the_server_memory_bounded() {
    let server = start_binary(&[("CRM_DATABASE_URL", "mem://"), ("CRM_ADDR", "127.0.0.1:0")]);
    let client = reqwest::Client::new();
    let pid = server.child.id();
    // Warm up: the first hashes allocate the hashing threads' memory.
    for _ in 0..4 {
        try_sign_in(&client, &server.base, "nobody", "wrong password").await;
    }
    let before = rss_bytes(pid);
    let huge = "x".repeat(1_500_000);
    for _ in 0..30 {
        let response = try_sign_in(&client, &server.base, &huge, "wrong password").await;
        assert_eq!(response.status(), 400);
    }
    let after_names = rss_bytes(pid);
    let burst =
        (0..200).map(|i| {
            let client = client.clone();
            let base = server.base.clone();
            async move {
                try_sign_in(&client, &base, &format!("user{i}"), "wrong password").await.status().as_u16()
            }
        });
    let statuses = all_at_once(burst).await;
    assert!(statuses.iter().all(|s| [401, 429, 503].contains(s)), "{statuses:?}");
    assert!(statuses.contains(&429), "one address trying many names is held");
    let after = rss_bytes(pid);
    let grown = after.saturating_sub(before);
    println!(
        "sign-in flood: rss before={} MiB after_names={} MiB after={} MiB grown={} MiB",
        before >> 20,
        after_names >> 20,
        after >> 20,
        grown >> 20
    );
    // Each running hash holds 19 MiB; a few run at once on their own threads.
    let permits = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8) as u64;
    let bound = (20 * permits + 64) << 20;
    assert!(grown < bound, "the server grew by {} MiB (bound {} MiB)", grown >> 20, bound >> 20);
    // And it still answers.
    let health = client.get(format!("{}/healthz", server.base)).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

async fn me(session: &Session) -> Value {
    let response = session.json("auth/me", serde_json::json!({})).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn signing_in_ends_the_session_the_browser_presented() {
    let app = TestApp::spawn().await;
    let a = app.sign_in("a").await;
    // Someone else signs in on the same browser, which still sends a's cookie.
    let response = app
        .client
        .post(app.url("/api/auth/sign_in"))
        .header("cookie", &a.cookie)
        .form(&[("username", "b"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(me(&a).await, Value::Null, "a's session is over");
}

#[tokio::test]
async fn changing_a_password_ends_the_other_sessions_and_is_audited() {
    let app = TestApp::spawn().await;
    let phone = app.sign_in("a").await;
    let laptop = app.sign_in("a").await;
    let wrong =
        phone.form("auth/change_password", &[("current", "not it at all"), ("new", "new secret 42")]).await;
    assert_eq!(wrong.status(), 422);
    let short = phone.form("auth/change_password", &[("current", PASSWORD), ("new", "short")]).await;
    assert_eq!(short.status(), 422);
    let changed =
        phone.form("auth/change_password", &[("current", PASSWORD), ("new", "new secret 42")]).await;
    assert_eq!(changed.status(), 200);
    assert_eq!(me(&phone).await["id"], "a", "the device that changed it stays signed in");
    assert_eq!(me(&laptop).await, Value::Null, "every other device is signed out");
    Session::sign_in(&app.base, "a", "new secret 42").await;
    assert_eq!(try_sign_in(&app.client, &app.base, "a", PASSWORD).await.status(), 401);

    let root = app.sign_in("root").await;
    let entries: Value = root.json("audit/list", serde_json::json!({})).await.json().await.unwrap();
    let change =
        entries.as_array().unwrap().iter().find(|e| e["action"] == "password_changed").expect("audited");
    assert_eq!(change["user"], "a");
}

/// Behind a load balancer, guesses spread over two app servers count
/// together: after five failures in all, both hold the account.
#[tokio::test]
async fn guesses_spread_over_two_app_servers_are_counted_together() {
    let database = surreal_process::DatabaseProcess::start(surreal_process::Storage::Memory)
        .expect("the SurrealDB server starts");
    let (first, second) = TestApp::pair_on(&database).await;
    let servers = [&first, &second];
    for guess in 0..5 {
        let server = servers[guess % 2];
        let answer = try_sign_in(&server.client, &server.base, "a", &format!("guess number {guess}")).await;
        assert_eq!(answer.status(), 401, "guess {guess} is checked");
    }
    for server in servers {
        let held = try_sign_in(&server.client, &server.base, "a", PASSWORD).await;
        assert_eq!(held.status(), 429, "each server holds the account after five failures in all");
    }
    // Another account, from the same address, is not held.
    second.sign_in("b").await;
}

/// Someone holding a stolen session cookie tries passwords through the
/// change form: the current password is a guess, limited like a sign-in.
#[tokio::test]
async fn guessing_the_current_password_is_held_like_sign_in_guesses() {
    let app = TestApp::spawn().await;
    let thief = app.sign_in("a").await;
    for guess in 0..5 {
        let wrong = thief
            .form(
                "auth/change_password",
                &[("current", &format!("guess number {guess}")), ("new", "taken over 42")],
            )
            .await;
        assert_eq!(wrong.status(), 422);
    }
    let held = thief.form("auth/change_password", &[("current", PASSWORD), ("new", "taken over 42")]).await;
    assert_eq!(held.status(), 429, "the sixth try waits, even with the right password");
    assert!(held.headers().contains_key("retry-after"));
    Session::sign_in(&app.base, "b", PASSWORD).await;
}

#[tokio::test]
async fn an_admin_resets_a_password_and_every_session_of_that_user_ends() {
    let app = TestApp::spawn().await;
    let a = app.sign_in("a").await;
    let m = app.sign_in("m").await;
    let refused =
        m.form("admin/users/reset_password", &[("username", "a"), ("password", "reset 12345")]).await;
    assert_eq!(refused.status(), 403, "a manager is not an admin");
    let root = app.sign_in("root").await;
    let reset =
        root.form("admin/users/reset_password", &[("username", "a"), ("password", "reset 12345")]).await;
    assert_eq!(reset.status(), 200);
    assert_eq!(me(&a).await, Value::Null);
    Session::sign_in(&app.base, "a", "reset 12345").await;
    let unknown =
        root.form("admin/users/reset_password", &[("username", "ghost"), ("password", "reset 12345")]).await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn admin_actions_on_users_are_audit_entries() {
    let app = TestApp::spawn().await;
    let root = app.sign_in("root").await;
    let created = root
        .form(
            "admin/users/create",
            &[
                ("username", "li.si"),
                ("display_name", "李四"),
                ("role", "rep"),
                ("team", "north"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(created.status(), 200);
    let disabled = root.form("admin/users/disable", &[("username", "li.si"), ("disabled", "true")]).await;
    assert_eq!(disabled.status(), 200);
    let reset =
        root.form("admin/users/reset_password", &[("username", "li.si"), ("password", "reset 12345")]).await;
    assert_eq!(reset.status(), 200);
    let entries: Value = root.json("audit/list", serde_json::json!({})).await.json().await.unwrap();
    let actions: Vec<&str> =
        entries.as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    for action in ["user_created", "user_disabled", "password_reset"] {
        assert!(actions.contains(&action), "{action} missing from {actions:?}");
    }
    let created = entries.as_array().unwrap().iter().find(|e| e["action"] == "user_created").unwrap();
    assert_eq!(created["user"], "root");
    assert!(created["new"].as_str().unwrap().contains("li.si"));
}
