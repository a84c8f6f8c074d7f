//! The real binary: start-up, restart on the same data, shutdown, bad settings.

use domain::Change;
use domain::archive::FieldValue;
use domain::mutation::FieldEdit;
use serde_json::{Value, json};

use crate::support::{PASSWORD, Session, run_binary_to_exit, run_command, start_binary};

fn surrealkv_url(dir: &std::path::Path) -> String {
    format!("surrealkv://{}", dir.join("crm.db").display())
}

/// Creates the admin `root` on the directory (the server must not be running).
fn create_admin(env: &[(&str, &str)]) {
    let (code, out) = run_command(&["create-admin", "root"], env, &format!("{PASSWORD}\n"));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("admin root created"), "{out}");
}

async fn names(session: &Session) -> Vec<String> {
    let list: Value = session.json("customers/list", json!({ "query": {} })).await.json().await.unwrap();
    list.as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn archives_survive_a_restart_and_the_second_start_applies_no_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let url = surrealkv_url(dir.path());
    let env = [("CRM_DATABASE_URL", url.as_str()), ("CRM_ADDR", "127.0.0.1:0")];
    create_admin(&env);

    let first = start_binary(&env);
    assert!(first.startup_log.iter().any(|l| l.contains("database ready") && l.contains("applied=[]")));
    let mut root = Session::sign_in(&first.base, "root", PASSWORD).await;
    root.create("root", "赵六").await;
    let (code, log) = first.terminate();
    assert_eq!(code, Some(0), "clean exit on SIGTERM; log: {log:?}");
    assert!(log.iter().any(|l| l.contains("stopped")), "{log:?}");

    let second = start_binary(&env);
    // The session lives in the database: it survived the restart too.
    let again = Session { base: second.base.clone(), ..root };
    assert_eq!(names(&again).await, ["赵六"], "archive lost across restart");
    let (code, _) = second.terminate();
    assert_eq!(code, Some(0));
}

#[tokio::test]
async fn a_backup_restored_into_a_new_directory_serves_the_same_archives() {
    let (old, new) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (old_url, new_url) = (surrealkv_url(old.path()), surrealkv_url(new.path()));
    let old_env = [("CRM_DATABASE_URL", old_url.as_str()), ("CRM_ADDR", "127.0.0.1:0")];
    let new_env = [("CRM_DATABASE_URL", new_url.as_str()), ("CRM_ADDR", "127.0.0.1:0")];
    create_admin(&old_env);
    let server = start_binary(&old_env);
    let mut root = Session::sign_in(&server.base, "root", PASSWORD).await;
    root.create("root", "孙七").await;
    root.create("root", "Acme Trading").await;
    let before = names(&root).await;
    server.terminate();

    let file = old.path().join("backup.surql");
    let file = file.to_str().unwrap();
    let (code, out) = run_command(&["backup", file], &old_env, "");
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = run_command(&["restore", file], &new_env, "");
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = run_command(&["restore", file], &new_env, "");
    assert_eq!(code, Some(6), "restoring over data is refused: {out}");

    let restored = start_binary(&new_env);
    let root = Session::sign_in(&restored.base, "root", PASSWORD).await;
    assert_eq!(names(&root).await, before);
    restored.terminate();
}

#[tokio::test]
async fn dedup_sweep_from_the_command_line_ends_with_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    let url = surrealkv_url(dir.path());
    let env = [("CRM_DATABASE_URL", url.as_str()), ("CRM_ADDR", "127.0.0.1:0")];
    create_admin(&env);
    let server = start_binary(&env);
    let mut root = Session::sign_in(&server.base, "root", PASSWORD).await;
    root.create("root", "Acme Trading").await;
    root.create("root", "Acme Trading").await;
    server.terminate();
    let (code, out) = run_command(&["dedup-sweep"], &env, "");
    assert_eq!(code, Some(0), "{out}");
    // stdout's last line (the helper puts stdout before the log on stderr).
    assert!(out.lines().any(|l| l.starts_with("dedup: scanned=2 pairs=0 seconds=")), "{out}");
}

#[tokio::test]
async fn import_from_the_command_line_checks_commits_and_ends_with_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    let url = surrealkv_url(dir.path());
    let env = [("CRM_DATABASE_URL", url.as_str()), ("CRM_ADDR", "127.0.0.1:0")];
    create_admin(&env);
    // As Excel in China saves it; the third row's phone is wrong and the
    // fourth has the second's phone.
    let text = "客户名称,手机,城市\r\n张三,13800138000,杭州\r\n李四,12345,上海\r\n张三丰,13800138000,\r\n";
    let file = dir.path().join("老客户.csv");
    std::fs::write(&file, encoding_rs::GB18030.encode(text).0).unwrap();
    let file = file.to_str().unwrap();
    let import = |extra: &[&str]| {
        let mut args = vec!["import", file];
        args.extend_from_slice(extra);
        run_command(&args, &env, "")
    };

    let (code, out) = import(&["--dry-run"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.lines().any(|l| l.starts_with("line 3: 「手机」")), "{out}");
    let figures = "import: rows=3 create=1 update=0 skip=1 error=1";
    assert!(out.lines().any(|l| l == format!("{figures} (dry run: nothing written)")), "{out}");
    let (code, out) = import(&["--keeper", "root"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.lines().any(|l| l == figures), "{out}");
    assert!(out.contains("import: 1/1 changes pushed"), "progress: {out}");
    // Again: the customer is found by phone and left as it is.
    let (_, out) = import(&["--keeper", "root"]);
    assert!(out.lines().any(|l| l == "import: rows=3 create=0 update=0 skip=2 error=1"), "{out}");

    let server = start_binary(&env);
    let root = Session::sign_in(&server.base, "root", PASSWORD).await;
    assert_eq!(names(&root).await, ["张三"]);
    server.terminate();

    let (code, out) = import(&["--match", "fax"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("'fax' is not a match key"), "{out}");
    let (code, out) = run_command(&["import", "/nonexistent/客户.csv"], &env, "");
    assert_eq!(code, Some(6), "{out}");
    assert!(out.contains("cannot read /nonexistent/客户.csv"), "{out}");
}

#[tokio::test]
async fn pool_recycle_from_the_command_line_lists_then_sends_back_what_is_due_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = surrealkv_url(dir.path());
    let env = [("CRM_DATABASE_URL", url.as_str()), ("CRM_ADDR", "127.0.0.1:0")];
    create_admin(&env);
    let server = start_binary(&env);
    let mut root = Session::sign_in(&server.base, "root", PASSWORD).await;
    root.create("root", "久未跟进").await;
    let rules = json!({ "team": null, "rules": {
        "protection_days": 0, "recycle": [{ "silence": "no_interaction", "days": 30 }],
    }});
    let saved = root.json("pool/rules/save", rules).await;
    assert!(saved.status().is_success(), "{:?}", saved.text().await);
    server.terminate();

    let today = store::today();
    let later = domain::time::Date::from_days_since_epoch(today.days_since_epoch() + 31).to_string();
    let recycle = |extra: &[&str]| {
        let mut args = vec!["pool", "recycle", "--date", later.as_str()];
        args.extend_from_slice(extra);
        run_command(&args, &env, "")
    };
    let (code, out) = recycle(&["--dry-run"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.lines().any(|l| l.starts_with("due ") && l.contains("久未跟进") && l.contains("pool=company")),
        "{out}"
    );
    assert!(out.lines().any(|l| l == "recycle: candidates=1 warned=0"), "{out}");
    let (code, out) = recycle(&[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.lines().any(|l| l == "recycled=1 spared=0"), "{out}");
    let (_, out) = recycle(&["--dry-run"]);
    assert!(out.lines().any(|l| l == "recycle: candidates=0 warned=0"), "a second run finds nothing: {out}");
    let (code, out) = run_command(&["pool", "recycle", "--date", "2026-02-30"], &env, "");
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("is not a date"), "{out}");
}

#[tokio::test]
async fn automation_run_from_the_command_line_lists_a_days_reminders_then_fires_each_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = surrealkv_url(dir.path());
    let env = [("CRM_DATABASE_URL", url.as_str()), ("CRM_ADDR", "127.0.0.1:0")];
    create_admin(&env);
    let server = start_binary(&env);
    let mut root = Session::sign_in(&server.base, "root", PASSWORD).await;
    let id = root.create("root", "王芳").await;
    // Born 1990-03-07, 二月十一 by the lunar calendar: in 2027 on 03-18.
    let edits = vec![
        FieldEdit { value: FieldValue::Birthday(domain::time::Date::new(1990, 3, 7)), base: 1 },
        FieldEdit { value: FieldValue::BirthdayLunar(true), base: 1 },
    ];
    root.push(id, Change::SetFields { edits }).await;
    // A rule through the app's endpoint: on the birthday, a follow-up task.
    let rule = serde_json::json!({ "rule": {
        "id": "birthday-call", "name": "生日回访", "enabled": true,
        "trigger": { "kind": "date_offset", "date": { "kind": "birthday" }, "days": 0 },
        "actions": [{ "kind": "create_task", "task": "follow_up", "in_days": 1, "note": "生日问候" }],
    }});
    let saved = root.json("rules/save", rule).await;
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap());
    server.terminate();

    let run = |extra: &[&str]| {
        let mut args = vec!["automation", "run", "--date", "2027-03-15"];
        args.extend_from_slice(extra);
        run_command(&args, &env, "")
    };
    let (code, out) = run(&["--dry-run"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.lines().any(
            |l| l.starts_with("reminder birthday ") && l.contains("王芳 keeper=root on=2027-03-18 lunar")
        ),
        "{out}"
    );
    assert!(out.lines().any(|l| l == "automation: rules=1 firings=1 emails=0"), "{out}");
    let (code, out) = run(&[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.lines().any(|l| l == "fired=1 (before: 0)"), "{out}");
    let (_, out) = run(&[]);
    assert!(out.lines().any(|l| l == "fired=0 (before: 1)"), "the occasion fires once: {out}");
    // The day after the birthday, nothing is due; two days before it, the
    // reminder (its day to fire gone by) is still due, and was told already.
    let (_, out) = run_command(&["automation", "run", "--dry-run", "--date", "2027-03-19"], &env, "");
    assert!(out.lines().any(|l| l == "automation: rules=1 firings=0 emails=0"), "{out}");
    let (_, out) = run_command(&["automation", "run", "--date", "2027-03-16"], &env, "");
    assert!(out.lines().any(|l| l == "fired=0 (before: 1)"), "{out}");
    let (_, out) = run_command(&["automation", "run", "--dry-run", "--date", "2027-03-18"], &env, "");
    assert!(out.lines().any(|l| l.starts_with("rule birthday-call ") && l.ends_with(" 2027-03-18")), "{out}");
    // The rule's firing, and the birthday reminder (told already).
    assert!(out.lines().any(|l| l == "automation: rules=1 firings=2 emails=0"), "{out}");
    let (_, out) = run_command(&["automation", "run", "--date", "2027-03-18"], &env, "");
    assert!(out.lines().any(|l| l == "rule events: done=1 skipped=0 failed=0 changes=1 emails=0"), "{out}");
    let (_, out) = run_command(&["automation", "run", "--date", "2027-03-18"], &env, "");
    assert!(
        out.lines().any(|l| l == "rule events: done=0 skipped=0 failed=0 changes=0 emails=0"),
        "once: {out}"
    );

    let (code, out) = run_command(&["automation", "run", "--when", "now"], &env, "");
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("'automation run' does not take '--when'"), "{out}");
}

#[tokio::test]
async fn a_company_in_another_time_zone_runs_on_its_own_day_and_its_devices_learn_the_zone() {
    use domain::time::{Timestamp, Zone};
    let dir = tempfile::tempdir().unwrap();
    let url = surrealkv_url(dir.path());
    let env_in =
        |zone| [("CRM_DATABASE_URL", url.as_str()), ("CRM_ADDR", "127.0.0.1:0"), ("CRM_TIME_ZONE", zone)];
    let kiritimati = env_in("Pacific/Kiritimati");
    create_admin(&kiritimati);

    let server = start_binary(&kiritimati);
    assert!(
        server.startup_log.iter().any(|l| l.contains("company time zone recorded")),
        "{:?}",
        server.startup_log
    );
    let root = Session::sign_in(&server.base, "root", PASSWORD).await;
    let page: Value = root.json("sync/pull", json!({})).await.json().await.unwrap();
    assert_eq!(page["time_zone"]["name"], "Pacific/Kiritimati", "a device's first pull brings the zone");
    server.terminate();
    let again = start_binary(&kiritimati);
    assert!(!again.startup_log.iter().any(|l| l.contains("time zone recorded")), "the same zone is not news");
    again.terminate();

    // With no --date the run is for today in the company's zone. UTC+14 and
    // UTC-11 are 25 hours apart: their days always differ, whatever the hour.
    let day_of = |zone: &str, env: &[(&str, &str)]| {
        let expected = |at: i64| Timestamp(at).date_in(&Zone::named(zone).unwrap()).to_string();
        let before = expected(store::now_millis());
        let (code, out) = run_command(&["automation", "run", "--dry-run"], env, "");
        let after = expected(store::now_millis());
        assert_eq!(code, Some(0), "{out}");
        let first = out.lines().next().unwrap_or_default().to_owned();
        assert!(first == format!("day {before} {zone}") || first == format!("day {after} {zone}"), "{out}");
        first.split(' ').nth(1).unwrap().to_owned()
    };
    let pago_pago = env_in("Pacific/Pago_Pago");
    let ahead = day_of("Pacific/Kiritimati", &kiritimati);
    let behind = day_of("Pacific/Pago_Pago", &pago_pago);
    assert!(ahead > behind, "{ahead} is not after {behind}");
}

#[test]
fn create_admin_refuses_a_short_password_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let url = surrealkv_url(dir.path());
    let (code, out) =
        run_command(&["create-admin", "root"], &[("CRM_DATABASE_URL", url.as_str())], "short\n");
    assert_eq!(code, Some(6), "{out}");
    assert!(out.contains("at least 8 characters"), "{out}");
}

#[tokio::test]
async fn a_second_server_on_the_same_data_directory_exits_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = surrealkv_url(dir.path());
    let env = [("CRM_DATABASE_URL", url.as_str()), ("CRM_ADDR", "127.0.0.1:0")];
    let first = start_binary(&env);

    let (code, stderr) = run_binary_to_exit(&env);
    assert_eq!(code, Some(3), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("server: ") && last.contains("in use by another running server"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // The first server is unharmed.
    assert_eq!(reqwest::get(format!("{}/healthz", first.base)).await.unwrap().status(), 200);
    assert_eq!(first.terminate().0, Some(0));
}

#[test]
fn a_data_directory_that_cannot_be_created_exits_with_one_line() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let url = surrealkv_url(&file.path().join("below-a-file"));
    let (code, stderr) =
        run_binary_to_exit(&[("CRM_DATABASE_URL", url.as_str()), ("CRM_ADDR", "127.0.0.1:0")]);
    assert_eq!(code, Some(4), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.contains("cannot create the data directory"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_malformed_setting_stops_the_server_naming_it() {
    let (code, stderr) = run_binary_to_exit(&[("CRM_ADDR", "not-an-address")]);
    assert_eq!(code, Some(2));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("CRM_ADDR"), "{stderr}");

    let (code, stderr) = run_binary_to_exit(&[("CRM_DATABASE_ULR", "mem://")]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("unknown setting CRM_DATABASE_ULR"), "{stderr}");

    let (code, stderr) = run_binary_to_exit(&[("RUST_LOG", "info,[[["), ("CRM_DATABASE_URL", "mem://")]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("RUST_LOG"), "{stderr}");
}

#[test]
fn an_address_in_use_exits_with_one_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, stderr) = run_binary_to_exit(&[("CRM_DATABASE_URL", "mem://"), ("CRM_ADDR", addr.as_str())]);
    assert_eq!(code, Some(5), "{stderr}");
    assert!(
        stderr.lines().last().unwrap_or_default().contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_refused_push_is_logged_with_a_bounded_body() {
    let dir = tempfile::tempdir().unwrap();
    let url = surrealkv_url(dir.path());
    let env = [("CRM_DATABASE_URL", url.as_str()), ("CRM_ADDR", "127.0.0.1:0")];
    create_admin(&env);
    let server = start_binary(&env);
    let mut root = Session::sign_in(&server.base, "root", PASSWORD).await;
    let id = root.create("root", "日志客户").await;
    // A mutation refused for what it carries: a 300,000-character summary.
    let huge = domain::archive::Interaction {
        kind: domain::archive::InteractionKind::Call,
        at: domain::time::Timestamp(1_700_000_000_000),
        summary: "长".repeat(300_000),
        satisfaction: None,
        next_follow_up: None,
    };
    let change =
        domain::Change::PutInteraction { id: domain::ids::ItemId::new(), interaction: huge, base: 0 };
    let outcome = root.push(id, change).await;
    assert_eq!(outcome["status"], "rejected", "{outcome}");
    // A push refused as a whole: it skips sequence numbers.
    let mut skipped = root.sequencer.next(
        id,
        domain::Change::AddTag { tag: "x".repeat(20), base: 0 },
        domain::time::Timestamp(0),
    );
    skipped.seq += 5;
    let response =
        root.json("sync/push", json!({ "client": root.sequencer.client, "mutations": [skipped] })).await;
    assert_eq!(response.status(), 409);

    let (_, log) = server.terminate();
    let rejected =
        log.iter().find(|l| l.contains("mutation rejected")).expect("the rejected mutation is logged");
    let refused = log.iter().find(|l| l.contains("push refused")).expect("the refused push is logged");
    for line in [rejected, refused] {
        assert!(line.contains("body="), "{line}");
        assert!(line.chars().count() < 2_000, "a log line of {} characters", line.chars().count());
    }
}

/// Waits until job `id` has pushed something and is still running.
async fn until_some_is_pushed(session: &Session, id: &str) {
    loop {
        let now: Value = session.json("import/progress", json!({ "id": id })).await.json().await.unwrap();
        assert_eq!(now["state"], "running", "killed too late: {now}");
        if now["pushed"].as_u64().unwrap() > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_import_and_its_undo_cut_short_by_a_crash_carry_on_after_the_restart_without_doing_a_row_twice() {
    let dir = tempfile::tempdir().unwrap();
    let url = surrealkv_url(dir.path());
    let env = [("CRM_DATABASE_URL", url.as_str()), ("CRM_ADDR", "127.0.0.1:0")];
    create_admin(&env);
    let server = start_binary(&env);
    let root = Session::sign_in(&server.base, "root", PASSWORD).await;
    let options = json!({
        "mapping": [{ "to": "name" }, { "to": "phones" }],
        "keys": { "phone": true, "email": false, "name_city": false },
        "keeper": { "keeper": "me" },
    });
    let rows = 1_200;
    let file = crate::import::upload(&root, crate::import::many_rows(rows)).await;
    let started: Value =
        root.json("import/commit", json!({ "file": file, "options": options })).await.json().await.unwrap();
    let id = started["id"].as_str().unwrap_or_else(|| panic!("{started}")).to_owned();
    // Killed once some of it is in, with no chance to finish the batch it is on.
    until_some_is_pushed(&root, &id).await;
    drop(server);

    // The restarted server carries on by itself.
    let server = start_binary(&env);
    let root = Session { base: server.base.clone(), ..root };
    let ended = crate::import::follow(&root, &id).await;
    assert_eq!(ended["state"], "done", "{ended}");
    assert_eq!((ended["pushed"].clone(), ended["changes"].clone()), (json!(rows), json!(rows)), "{ended}");
    assert_eq!(ended["report"]["refused"], 0, "nothing pushed twice was refused: {ended}");
    // Every row once: as many archives as rows, each name once.
    let pulled = root.pull_all().await;
    let names: std::collections::BTreeSet<&str> =
        pulled.iter().filter_map(|c| c["customer"]["fields"]["name"].as_str()).collect();
    assert_eq!((pulled.len(), names.len()), (rows, rows));
    // One entry in the trail for the whole import.
    let audit: Value = root.form("audit/list", &[]).await.json().await.unwrap();
    let imports = audit.as_array().unwrap().iter().filter(|e| e["action"] == "import").count();
    assert_eq!(imports, 1, "{audit}");

    // Its undo is a job too: cut short by a crash, it carries on after the restart.
    let started: Value = root.json("import/undo", json!({ "id": id })).await.json().await.unwrap();
    let job = started["job"].as_str().unwrap_or_else(|| panic!("{started}")).to_owned();
    assert_eq!((started["done"].clone(), started["removed"].clone()), (json!(false), json!(rows)));
    until_some_is_pushed(&root, &job).await;
    drop(server);
    let server = start_binary(&env);
    let root = Session { base: server.base.clone(), ..root };
    let undone = crate::import::undo(&root, &id).await;
    assert_eq!((undone["removed"].clone(), undone["refused"].clone()), (json!(rows), json!(0)), "{undone}");
    let left = root.pull_all().await;
    assert!(left.iter().all(|c| c["customer"]["deletion"]["value"] == true || c.get("customer").is_none()));
    // Undo jobs are not listed as imports; the trail has one undo.
    let recent: Value = root.json("import/recent", json!({})).await.json().await.unwrap();
    assert_eq!(recent.as_array().unwrap().len(), 1, "{recent}");
    let audit: Value = root.form("audit/list", &[]).await.json().await.unwrap();
    let undos = audit.as_array().unwrap().iter().filter(|e| e["action"] == "import_undo").count();
    assert_eq!(undos, 1, "{audit}");
    server.terminate();
}
