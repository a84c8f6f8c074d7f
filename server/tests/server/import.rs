//! Importing a spreadsheet over HTTP: preview, check, commit, as a manager
//! and as an admin; a rep may not.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::support::TestApp;

/// A CSV file as Excel in China saves it: GB18030, CRLF.
fn gbk_csv(text: &str) -> Vec<u8> {
    encoding_rs::GB18030.encode(text).0.into_owned()
}

/// What `session` gets back from `endpoint` for `body`.
async fn answer(session: &crate::support::Session, endpoint: &str, body: Value) -> Value {
    session.json(endpoint, body).await.json().await.unwrap()
}

/// Commits an import and follows its job to the end: how it ended.
pub(crate) async fn commit(session: &crate::support::Session, file: Value, options: &Value) -> Value {
    let started = session.json("import/commit", json!({ "file": file, "options": options })).await;
    assert_eq!(started.status(), 200);
    let started: Value = started.json().await.unwrap();
    let Some(id) = started["id"].as_str() else {
        return json!({ "state": "done", "report": started["report"] });
    };
    follow(session, id).await
}

/// Asks how far import `id` got until it is over (within a minute).
pub(crate) async fn follow(session: &crate::support::Session, id: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let now: Value = answer(session, "import/progress", json!({ "id": id })).await;
        if now["state"] != "running" {
            return now;
        }
        assert!(std::time::Instant::now() < deadline, "the import is still running: {now}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Undoes import `id` as `session` and follows the undo's job to its end:
/// the undo's report as it ended.
pub(crate) async fn undo(session: &crate::support::Session, id: &str) -> Value {
    let started: Value = answer(session, "import/undo", json!({ "id": id })).await;
    if let Some(job) = started["job"].as_str().filter(|_| started["done"] == false) {
        assert_eq!(follow(session, job).await["state"], "done");
    }
    // Its report is written with its job's end.
    let recent: Value = answer(session, "import/recent", json!({})).await;
    let import = recent.as_array().unwrap().iter().find(|i| i["id"] == id).expect("the import is listed");
    assert_eq!(import["undone"]["done"], true, "{import}");
    import["undone"].clone()
}

/// Sends `bytes` as `session` picks a file to import; the file as the
/// import's steps name it.
pub(crate) async fn upload(session: &crate::support::Session, bytes: Vec<u8>) -> Value {
    let sent = session.upload("老系统导出.csv", bytes).await;
    assert_eq!(sent.status(), 200);
    let kept: Value = sent.json().await.unwrap();
    json!({ "file": kept["id"], "encoding": null })
}

const FILE: &str = "客户名称,手机号码,邮箱,城市,客户等级,出生日期,负责人\r\n\
    张三丰,138 0013 8000,zsf@example.com,杭州,VIP,1990/5/1,a\r\n\
    李四,13900139000,,上海,普通,32874,b\r\n\
    王五,13900139000,,北京,,,\r\n\
    ,13700137000,,,,,\r\n\
    赵六,13600136000,,,金牌,,\r\n\
    钱七,1.38001E+10,,,,,\r\n";

#[tokio::test]
async fn a_manager_imports_a_gbk_csv_checks_it_and_commits_exactly_what_the_check_said() {
    let app = TestApp::spawn().await;
    let m = app.sign_in("m").await;
    let data = gbk_csv(FILE);
    let file = upload(&m, data.clone()).await;

    let preview: Value = answer(&m, "import/preview", json!({ "file": file })).await;
    assert_eq!(preview["encoding"], "gb18030", "{preview}");
    assert_eq!(preview["rows"], 6);
    assert_eq!(preview["headers"][0], "客户名称");
    let mapping = preview["mapping"].clone();
    assert_eq!(mapping[0], json!({ "to": "name" }));
    assert_eq!(mapping[1], json!({ "to": "phones" }));
    assert_eq!(mapping[6], json!({ "to": "keeper" }));

    let options = json!({
        "mapping": mapping,
        "keys": { "phone": true, "email": true, "name_city": false },
        "keeper": { "keeper": "column" },
    });
    let check = m.json("import/check", json!({ "file": file, "options": options })).await;
    assert_eq!(check.status(), 200);
    let check: Value = check.json().await.unwrap();
    assert_eq!(check["counts"], json!([2, 0, 1, 3]), "{check}");
    let verdict =
        |line: u64| check["rows"].as_array().unwrap().iter().find(|r| r["line"] == line).unwrap().clone();
    assert_eq!(verdict(4)["verdict"], json!({ "verdict": "skip", "reason": "duplicate", "of": "3" }));
    let codes = |line: u64| -> Vec<String> {
        verdict(line)["verdict"]["issues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["error"]["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(codes(5), ["name.required"]);
    assert_eq!(codes(6), ["category.unknown"]);
    assert_eq!(codes(7), ["phone.excel_number"]);
    assert_eq!(
        verdict(3)["notes"][0]["error"]["code"],
        "birthday.converted",
        "an Excel date serial, read and said so"
    );

    // Nothing was written by the check.
    assert!(m.pull_all().await.is_empty());

    let ended = commit(&m, file.clone(), &options).await;
    assert_eq!(ended["state"], "done", "{ended}");
    assert_eq!((ended["pushed"].clone(), ended["changes"].clone()), (json!(2), json!(2)), "{ended}");
    let report = &ended["report"];
    assert_eq!(report, &json!({ "created": 2, "updated": 0, "skipped": 1, "errors": 3, "refused": 0 }));
    // The keepers the file named have them, and the rep's device pulls them.
    let b = app.sign_in("b").await;
    let pulled = b.pull_all().await;
    let names: Vec<&str> = pulled.iter().filter_map(|c| c["customer"]["fields"]["name"].as_str()).collect();
    assert_eq!(names, ["李四"]);
    assert_eq!(pulled[0]["customer"]["fields"]["birthday"], "1990-01-01");
    assert_eq!(pulled[0]["customer"]["fields"]["source"], "import");

    // The same file again: the two customers are found by phone and left alone.
    let again: Value = answer(&m, "import/check", json!({ "file": file, "options": options })).await;
    assert_eq!(again["counts"], json!([0, 0, 3, 3]), "{again}");
    // One entry for the import, naming the file by name and by content.
    let audit: Value = m.form("audit/list", &[]).await.json().await.unwrap();
    let entry = audit.as_array().unwrap().iter().find(|e| e["action"] == "import").expect("an import entry");
    let detail: Value = serde_json::from_str(entry["new"].as_str().unwrap()).unwrap();
    let sha256: String =
        <sha2::Sha256 as sha2::Digest>::digest(&data).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!((detail["file"].clone(), detail["sha256"].clone()), (json!("老系统导出.csv"), json!(sha256)));
    assert_eq!(detail["created"], 2);
}

#[tokio::test]
async fn a_manager_cannot_import_into_another_team_and_a_rep_cannot_import() {
    let app = TestApp::spawn().await;
    let data = gbk_csv("姓名,业务员\r\n孙八,c\r\n");
    let options = json!({
        "mapping": [{ "to": "name" }, { "to": "keeper" }],
        "keys": { "phone": true, "email": true, "name_city": false },
        "keeper": { "keeper": "column" },
    });
    let m = app.sign_in("m").await;
    let file = upload(&m, data.clone()).await;
    let check: Value = answer(&m, "import/check", json!({ "file": file, "options": options })).await;
    assert_eq!(check["rows"][0]["verdict"]["issues"][0]["error"]["code"], "keeper.unknown", "c is in south");
    // A rep may neither send a file nor use one sent by someone else.
    let a = app.sign_in("a").await;
    assert_eq!(a.upload("x.csv", data).await.status(), 403);
    let refused = a.json("import/preview", json!({ "file": file })).await;
    assert_eq!(refused.status(), 403);
    let sent = m.upload("x.xlsx", b"PK\x03\x04\n".to_vec()).await;
    let garbage = m
        .json(
            "import/preview",
            json!({ "file": { "file": sent.json::<Value>().await.unwrap()["id"], "encoding": null } }),
        )
        .await;
    assert_eq!(garbage.status(), 422, "a broken workbook is a clear error");
}

/// The archives `session` holds after a pull from scratch, by name (deleted ones left out).
async fn held(session: &crate::support::Session) -> std::collections::BTreeMap<String, Value> {
    session
        .pull_all()
        .await
        .into_iter()
        .filter_map(|change| {
            let customer = change.get("customer")?.clone();
            (customer["deletion"]["value"] != true)
                .then(|| (customer["fields"]["name"].as_str().unwrap_or_default().to_owned(), customer))
        })
        .collect()
}

#[tokio::test]
async fn an_import_is_undone_as_a_whole_and_what_someone_changed_since_is_kept_and_listed() {
    use domain::archive::{FieldValue, Fields, LabelledPhone, PhoneLabel};
    use domain::ids::{CustomerId, UserId};
    use domain::mutation::FieldEdit;
    use domain::{Change, CustomerName, Phone};

    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    // 周九 is in the archive before the import, a teacher with one phone.
    let zhou = CustomerId::new();
    let mut fields = Fields::named(CustomerName::parse("周九").unwrap());
    fields.owner = Some(UserId("a".into()));
    fields.occupation = Some("教师".into());
    fields.phones =
        vec![LabelledPhone { label: PhoneLabel::Mobile, number: Phone::parse("13500135000").unwrap() }];
    assert_eq!(a.push(zhou, Change::Create { fields: Box::new(fields) }).await["status"], "applied");

    let m = app.sign_in("m").await;
    let data = gbk_csv(
        "客户名称,手机号码,职业,邮箱,标签\r\n\
         周九,13500135000,律师,zhou9@example.com,老客户\r\n\
         吴十,13400134000,,,\r\n\
         郑十一,13300133000,,,\r\n",
    );
    let options = json!({
        "mapping": [{ "to": "name" }, { "to": "phones" }, { "to": "occupation" }, { "to": "emails" }, { "to": "tags" }],
        "keys": { "phone": true, "email": true, "name_city": false },
        "keeper": { "keeper": "user", "user": "a" },
    });
    let report = commit(&m, upload(&m, data).await, &options).await["report"].clone();
    assert_eq!(report, json!({ "created": 2, "updated": 1, "skipped": 0, "errors": 0, "refused": 0 }));

    // After the import the keeper works on two of its archives.
    let before = held(&a).await;
    assert_eq!(before["周九"]["fields"]["occupation"], "律师");
    let wu: CustomerId = before["吴十"]["id"].as_str().unwrap().parse().unwrap();
    let version = |name: &str| before[name]["version"].as_u64().unwrap();
    let edit = FieldEdit { value: FieldValue::Region(Some("华东".into())), base: version("吴十") };
    assert_eq!(a.push(wu, Change::SetFields { edits: vec![edit] }).await["status"], "applied");
    let edit = FieldEdit { value: FieldValue::Occupation(Some("医生".into())), base: version("周九") };
    assert_eq!(a.push(zhou, Change::SetFields { edits: vec![edit] }).await["status"], "applied");

    let recent: Value = answer(&m, "import/recent", json!({})).await;
    assert_eq!(recent.as_array().unwrap().len(), 1, "{recent}");
    assert_eq!((recent[0]["created"].clone(), recent[0]["updated"].clone()), (json!(2), json!(1)));
    assert_eq!(recent[0]["undone"], Value::Null);
    let id = recent[0]["id"].as_str().unwrap().to_owned();

    // Only whoever imported (or an admin) undoes it.
    let n = app.sign_in("n").await;
    assert_eq!(n.json("import/undo", json!({ "id": id })).await.status(), 403);
    assert_eq!(a.json("import/undo", json!({ "id": id })).await.status(), 403);

    let undone = undo(&m, &id).await;
    assert_eq!((undone["removed"].clone(), undone["restored"].clone()), (json!(1), json!(2)), "{undone}");
    let kept: Vec<(String, String)> = undone["kept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["name"].as_str().unwrap().to_owned(), k["what"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        kept,
        [("周九".to_owned(), "occupation".to_owned()), ("吴十".to_owned(), "archive".to_owned())]
    );

    // The keeper's device follows: the untouched new archive is gone, the
    // one they worked on stays, and 周九 is as before except for their edit.
    let after = held(&a).await;
    assert_eq!(after.keys().collect::<Vec<_>>(), ["吴十", "周九"]);
    let zhou9 = &after["周九"]["fields"];
    assert_eq!(zhou9["occupation"], "医生");
    assert_eq!(zhou9["emails"], json!([]));
    assert_eq!(zhou9["phones"].as_array().unwrap().len(), 1);
    assert!(
        after["周九"]["tags"].get("老客户").is_none_or(|t| t["value"] == false),
        "{}",
        after["周九"]["tags"]
    );

    // Once only; and the trail says who undid it.
    let again = m.json("import/undo", json!({ "id": id })).await;
    assert_eq!(again.status(), 422);
    let again: Value = again.json().await.unwrap();
    assert!(again.to_string().contains("import.undone"), "{again}");
    let recent: Value = answer(&m, "import/recent", json!({})).await;
    assert_eq!(recent[0]["undone"]["removed"], 1);
    let audit: Value = m.form("audit/list", &[]).await.json().await.unwrap();
    assert!(audit.as_array().unwrap().iter().any(|e| e["action"] == "import_undo"), "{audit}");
}

#[tokio::test]
async fn the_rows_in_error_come_back_in_the_files_encoding_with_their_reasons() {
    let app = TestApp::spawn().await;
    let m = app.sign_in("m").await;
    let data = upload(&m, gbk_csv(FILE)).await;
    let preview: Value = answer(&m, "import/preview", json!({ "file": data })).await;
    let options = json!({
        "mapping": preview["mapping"],
        "keys": { "phone": true, "email": true, "name_city": false },
        "keeper": { "keeper": "column" },
    });
    let body = json!({ "file": data, "options": options, "english": false });
    let file: Value = answer(&m, "import/failed_rows", body).await;
    assert_eq!(file["name"], "老系统导出-未导入.csv", "{file}");
    assert_eq!(file["content_type"], "text/csv; charset=gb18030");
    assert_eq!(file["rows"], 3);
    let bytes = base64::engine::general_purpose::STANDARD.decode(file["data"].as_str().unwrap()).unwrap();
    let table = sheet::read_file("x.csv", &bytes, None).unwrap();
    assert_eq!(table.encoding, sheet::Encoding::Gb18030, "as the file came");
    assert_eq!(table.headers.last().unwrap(), "原因");
    assert_eq!(table.rows.len(), 3);
    // The row as it was, with what is wrong, under the column's own header.
    let gold = table.rows.iter().find(|r| r[0] == "赵六").unwrap();
    assert_eq!(gold[4], "金牌");
    assert!(gold[7].starts_with("「客户等级」"), "{gold:?}");
    let lost = table.rows.iter().find(|r| r[0] == "钱七").unwrap();
    assert!(lost[7].starts_with("「手机号码」"), "{lost:?}");
    // Nothing was written.
    assert!(m.pull_all().await.is_empty());

    // A rep may not.
    let a = app.sign_in("a").await;
    let body = json!({ "file": data, "options": options, "english": false });
    assert_eq!(a.json("import/failed_rows", body).await.status(), 403);
}

#[tokio::test]
async fn the_columns_of_a_commit_open_the_next_file_with_the_same_headers() {
    let app = TestApp::spawn().await;
    let m = app.sign_in("m").await;
    // The third column's header means nothing to the guess.
    let first = gbk_csv("客户名称,手机号码,所在地\r\n孙九,13500135000,杭州\r\n");
    let first = upload(&m, first).await;
    let preview: Value = answer(&m, "import/preview", json!({ "file": first })).await;
    assert_eq!(preview["mapping"][2], Value::Null);
    assert_eq!(preview["saved"], Value::Null);
    let mut mapping = preview["mapping"].clone();
    mapping[2] = json!({ "to": "city" });
    let options = json!({
        "mapping": mapping,
        "keys": { "phone": true, "email": true, "name_city": false },
        "keeper": { "keeper": "me" },
    });
    let report = commit(&m, first, &options).await["report"].clone();
    assert_eq!(report["created"], 1, "{report}");

    // Next month's export from the same system, headers written a little differently.
    let next = gbk_csv("客户名称 ,手机号码（必填）,所在地\r\n周十,13400134000,宁波\r\n");
    let preview: Value = answer(&m, "import/preview", json!({ "file": upload(&m, next).await })).await;
    assert_eq!(preview["mapping"], mapping, "{preview}");
    assert_eq!(preview["saved"][0], "m");
    // Other headers: guessed as before.
    let other = gbk_csv("姓名,城市\r\n吴一,苏州\r\n");
    let preview: Value = answer(&m, "import/preview", json!({ "file": upload(&m, other).await })).await;
    assert_eq!(preview["saved"], Value::Null);
    assert_eq!(preview["mapping"][1], json!({ "to": "city" }));
}

/// A file of `rows` new customers, each with its own mobile.
pub(crate) fn many_rows(rows: usize) -> Vec<u8> {
    let mut text = String::from("客户名称,手机\r\n");
    for i in 0..rows {
        text.push_str(&format!("批量客户{i:05},139{i:08}\r\n"));
    }
    gbk_csv(&text)
}

/// Starts importing 3,000 new customers as `session`, kept by them: six
/// batches, long enough for something to reach it halfway. Gives its id.
async fn start_long_import(session: &crate::support::Session) -> String {
    let options = json!({
        "mapping": [{ "to": "name" }, { "to": "phones" }],
        "keys": { "phone": true, "email": false, "name_city": false },
        "keeper": { "keeper": "me" },
    });
    let file = upload(session, many_rows(3_000)).await;
    let started = session.json("import/commit", json!({ "file": file, "options": options })).await;
    assert_eq!(started.status(), 200);
    let started: Value = started.json().await.unwrap();
    assert_eq!(started["changes"], 3_000, "{started}");
    started["id"].as_str().unwrap().to_owned()
}

/// The detail of the latest `action` entry (`import`, `import_undo`) in
/// the audit trail, as `session` reads it.
async fn audit_detail(session: &crate::support::Session, action: &str) -> Value {
    let audit: Value = session.form("audit/list", &[]).await.json().await.unwrap();
    let entry = audit.as_array().unwrap().iter().find(|e| e["action"] == action);
    let entry = entry.unwrap_or_else(|| panic!("an {action} entry: {audit}"));
    serde_json::from_str(entry["new"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn a_long_import_runs_as_a_job_that_stops_when_asked_and_what_it_wrote_can_be_undone() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_on_disk(dir.path(), 2 * 1024 * 1024).await;
    let m = app.sign_in("m").await;
    // The stop reaches it long before the end.
    let id = start_long_import(&m).await;

    // Nobody else follows it, and it is not undone while it runs.
    let n = app.sign_in("n").await;
    assert_eq!(n.json("import/progress", json!({ "id": id })).await.status(), 404);
    assert_eq!(n.json("import/cancel", json!({ "id": id })).await.status(), 404);
    let early = m.json("import/undo", json!({ "id": id })).await;
    assert_eq!(early.status(), 422);
    assert!(early.text().await.unwrap().contains("import.running"));
    let recent: Value = answer(&m, "import/recent", json!({})).await;
    assert_eq!(recent[0]["running"], true, "{recent}");

    let stopping: Value = answer(&m, "import/cancel", json!({ "id": id })).await;
    assert_eq!((stopping["state"].clone(), stopping["stopping"].clone()), (json!("running"), json!(true)));
    let ended = follow(&m, &id).await;
    assert_eq!(ended["state"], "cancelled", "{ended}");
    let pushed = ended["pushed"].as_u64().unwrap();
    assert!(pushed < 3_000 && pushed % 500 == 0, "stopped between batches: {ended}");
    let recent: Value = answer(&m, "import/recent", json!({})).await;
    assert_eq!(
        (recent[0]["running"].clone(), recent[0]["stopped"].clone()),
        (json!(false), json!([pushed, 3_000]))
    );
    // What it wrote is in, once each, and the trail says it was stopped.
    assert_eq!(held(&m).await.len() as u64, pushed);
    let detail = audit_detail(&m, "import").await;
    assert_eq!((detail["status"].clone(), detail["pushed"].clone()), (json!("cancelled"), json!(pushed)));

    // Undone, it takes away exactly what it wrote.
    let undone = undo(&m, &id).await;
    assert_eq!(undone["removed"], pushed, "{undone}");
    assert!(held(&m).await.is_empty());
}

#[tokio::test]
async fn an_import_whose_importer_is_disabled_meanwhile_stops_and_the_trail_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_on_disk(dir.path(), 2 * 1024 * 1024).await;
    let m = app.sign_in("m").await;
    let root = app.sign_in("root").await;
    let id = start_long_import(&m).await;

    let disabled = root.form("admin/users/disable", &[("username", "m"), ("disabled", "true")]).await;
    assert_eq!(disabled.status(), 200);
    // Nothing more goes in under a disabled account; what went in stays.
    let ended = follow(&root, &id).await;
    assert_eq!(ended["state"], "cancelled", "{ended}");
    let pushed = ended["pushed"].as_u64().unwrap();
    assert!(pushed < 3_000, "{ended}");
    let detail = audit_detail(&root, "import").await;
    assert_eq!(
        (detail["status"].clone(), detail["why"].clone(), detail["pushed"].clone()),
        (json!("cancelled"), json!("importer_disabled"), json!(pushed))
    );
}

#[tokio::test]
async fn an_undo_with_nothing_left_to_change_ends_at_once_and_is_in_the_trail() {
    use domain::archive::FieldValue;
    use domain::ids::CustomerId;
    use domain::mutation::FieldEdit;

    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    let m = app.sign_in("m").await;
    let options = json!({
        "mapping": [{ "to": "name" }, { "to": "phones" }],
        "keys": { "phone": true, "email": false, "name_city": false },
        "keeper": { "keeper": "user", "user": "a" },
    });
    let data = gbk_csv("客户名称,手机号码\r\n王十二,13200132000\r\n");
    assert_eq!(commit(&m, upload(&m, data).await, &options).await["report"]["created"], 1);
    // Its keeper works on the one archive it made, so the undo keeps it.
    let made = &held(&a).await["王十二"];
    let id: CustomerId = made["id"].as_str().unwrap().parse().unwrap();
    let edit = FieldEdit {
        value: FieldValue::Region(Some("华东".into())),
        base: made["version"].as_u64().unwrap(),
    };
    assert_eq!(a.push(id, domain::Change::SetFields { edits: vec![edit] }).await["status"], "applied");

    let recent: Value = answer(&m, "import/recent", json!({})).await;
    let import = recent[0]["id"].as_str().unwrap().to_owned();
    let undone: Value = answer(&m, "import/undo", json!({ "id": import })).await;
    assert_eq!((undone["done"].clone(), undone["removed"].clone()), (json!(true), json!(0)), "{undone}");
    assert_eq!(undone["kept"].as_array().map(Vec::len), Some(1), "{undone}");
    let detail = audit_detail(&m, "import_undo").await;
    assert_eq!((detail["removed"].clone(), detail["kept"].clone()), (json!(0), json!(1)), "{detail}");
}

#[tokio::test]
async fn an_undo_whose_undoer_is_disabled_meanwhile_stops_and_an_admin_undoes_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_on_disk(dir.path(), 2 * 1024 * 1024).await;
    let m = app.sign_in("m").await;
    let root = app.sign_in("root").await;
    let id = start_long_import(&m).await;
    assert_eq!(follow(&m, &id).await["state"], "done");

    let started: Value = answer(&m, "import/undo", json!({ "id": id })).await;
    let job = started["job"].as_str().expect("an undo job").to_owned();
    let disabled = root.form("admin/users/disable", &[("username", "m"), ("disabled", "true")]).await;
    assert_eq!(disabled.status(), 200);
    let ended = follow(&root, &job).await;
    assert_eq!(ended["state"], "cancelled", "{ended}");
    let pushed = ended["pushed"].as_u64().unwrap();

    // The undo says where it stopped, as it ended, and so does the trail.
    let recent: Value = answer(&root, "import/recent", json!({})).await;
    let import = recent.as_array().unwrap().iter().find(|i| i["id"] == id).unwrap();
    assert_eq!(import["undone"]["done"], true, "{import}");
    assert_eq!(import["undone"]["stopped"], json!([pushed, 3_000]), "{import}");
    let detail = audit_detail(&root, "import_undo").await;
    assert_eq!(detail["stopped"], json!([pushed, 3_000]), "{detail}");

    // An admin undoes the rest: what the first undo removed is gone already.
    let rest = undo(&root, &id).await;
    assert_eq!(rest["stopped"], Value::Null, "{rest}");
    let removed = rest["removed"].as_u64().unwrap();
    assert_eq!(removed + rest["unreached"].as_u64().unwrap(), 3_000, "{rest}");
    assert!(removed <= 3_000 - pushed, "{rest}");
    let left = root.json("customers/list", json!({ "query": { "limit": 10 } })).await;
    assert_eq!(left.json::<Value>().await.unwrap(), json!([]));
    // Undone in full: not again.
    assert_eq!(root.json("import/undo", json!({ "id": id })).await.status(), 422);
}

#[tokio::test]
async fn a_file_past_the_request_limit_is_taken_for_import_up_to_its_own_limit() {
    let app = TestApp::spawn_with(|settings| settings.max_import_bytes = 4 * 1024 * 1024).await;
    let m = app.sign_in("m").await;
    // 2.2 MB: more than any other request may carry.
    let big = many_rows(80_000);
    assert!(big.len() > 2 * 1024 * 1024, "{} bytes", big.len());
    let file = upload(&m, big).await;
    let preview: Value = answer(&m, "import/preview", json!({ "file": file })).await;
    assert_eq!(preview["rows"], 80_000, "{preview}");

    // More rows than one import takes: read as far as the first row too
    // many, refused before anything is kept.
    let file = upload(&m, many_rows(sheet::MAX_ROWS + 1)).await;
    for endpoint in ["import/preview", "import/commit"] {
        let options = json!({
            "mapping": [{ "to": "name" }, { "to": "phones" }],
            "keys": { "phone": true, "email": false, "name_city": false },
            "keeper": { "keeper": "me" },
        });
        let refused = m.json(endpoint, json!({ "file": file, "options": options })).await;
        assert_eq!(refused.status(), 422, "{endpoint}");
        let refused: Value = refused.json().await.unwrap();
        assert_eq!(refused["errors"][0]["code"], "file.too_many", "{refused}");
        assert_eq!(refused["errors"][0]["limit"], sheet::MAX_ROWS, "{refused}");
    }
    assert_eq!(answer(&m, "import/recent", json!({})).await, json!([]), "no import was kept");

    // Past the import limit: refused with a reason the page shows.
    let refused = m.upload("huge.csv", vec![b'a'; 5 * 1024 * 1024]).await;
    assert_eq!(refused.status(), 413);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["errors"][0]["code"], "file.too_big", "{refused}");
    assert_eq!(refused["errors"][0]["limit"], 4);
    // An empty file, and a file nobody kept, are clear errors too.
    assert_eq!(m.upload("empty.csv", Vec::new()).await.status(), 422);
    let gone =
        m.json("import/preview", json!({ "file": { "file": "no-such-file", "encoding": null } })).await;
    assert_eq!(gone.status(), 422);
    assert!(gone.text().await.unwrap().contains("file.expired"));
    // Signed out: nothing is kept, nothing is read, and the client is told
    // not to send more on that connection; its next request gets through.
    let client = reqwest::Client::new();
    let anonymous = client.post(app.url("/api/import/files?name=x.csv")).body(vec![b'a'; 70_000]).send();
    let anonymous = anonymous.await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["connection"], "close");
    assert_eq!(client.get(app.url("/healthz")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn an_undo_leaves_an_archive_moved_out_of_the_undoers_sight_and_says_so() {
    let app = TestApp::spawn().await;
    let m = app.sign_in("m").await;
    let file = upload(&m, gbk_csv("客户名称,手机号码\r\n钱一,13100131000\r\n钱二,13200132000\r\n")).await;
    let options = json!({
        "mapping": [{ "to": "name" }, { "to": "phones" }],
        "keys": { "phone": true, "email": false, "name_city": false },
        "keeper": { "keeper": "user", "user": "a" },
    });
    assert_eq!(commit(&m, file, &options).await["report"]["created"], 2);
    // An admin hands one of them to a rep of another team.
    let a = app.sign_in("a").await;
    let moved = &held(&a).await["钱二"];
    let id: domain::ids::CustomerId = moved["id"].as_str().unwrap().parse().unwrap();
    let to_south = domain::Change::Reassign {
        owner: Some(domain::ids::UserId("c".into())),
        base: moved["version"].as_u64().unwrap(),
        reason: Some("客户搬到南方".into()),
        pool: None,
        over_limit: false,
    };
    let mut root = app.sign_in("root").await;
    assert_eq!(root.push(id, to_south).await["status"], "applied");

    let recent: Value = answer(&m, "import/recent", json!({})).await;
    let undone = undo(&m, recent[0]["id"].as_str().unwrap()).await;
    assert_eq!((undone["removed"].clone(), undone["unreached"].clone()), (json!(1), json!(1)), "{undone}");
    // The moved archive is as its new keeper has it.
    let c = app.sign_in("c").await;
    assert!(held(&c).await.contains_key("钱二"));
    assert!(held(&a).await.is_empty());
}
