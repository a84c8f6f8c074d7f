//! Dashboards over HTTP: figures checked against a small team computed by
//! hand, scoped to what each person may see, exported as audited CSV; and
//! the analysts' command that fits the churn model to a file.

use domain::archive::{Feedback, FeedbackKind, FeedbackStatus, Fields, Interaction, InteractionKind, Order};
use domain::ids::{CustomerId, ItemId, UserId};
use domain::money::{Currency, Money};
use domain::time::{Date, Timestamp};
use domain::{Change, CustomerName};
use serde_json::{Value, json};

use crate::support::{Session, TestApp, run_command};

const DAY_MS: i64 = 86_400_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

fn days_ago(n: i64) -> Date {
    Timestamp(now_ms() - n * DAY_MS).local_date()
}

async fn order(session: &mut Session, customer: CustomerId, yuan: i64, days: i64) {
    let order = Order {
        product: "净水器".into(),
        quantity: 1,
        amount: Money { minor: yuan * 100, currency: Currency::cny() },
        date: days_ago(days),
        channel: None,
        ends_on: None,
    };
    let outcome = session.push(customer, Change::PutOrder { id: ItemId::new(), order, base: 0 }).await;
    assert_eq!(outcome["status"], "applied", "{outcome}");
}

/// Creates an archive kept by `owner` now (the device's clock dates it).
async fn create(session: &mut Session, owner: &str, name: &str) -> CustomerId {
    let id = CustomerId::new();
    let mut fields = Fields::named(CustomerName::parse(name).unwrap());
    fields.owner = Some(UserId(owner.into()));
    let outcome = session.push_at(id, Change::Create { fields: Box::new(fields) }, Timestamp(now_ms())).await;
    assert_eq!(outcome["status"], "applied", "{outcome}");
    id
}

async fn overview(session: &Session) -> Value {
    let response = session.form("dashboard/overview", &[]).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn sum(values: &Value) -> i64 {
    values.as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).sum()
}

/// North: a keeps 甲 (orders ¥100 and ¥50, a visit scored 4), b keeps 乙
/// (an order of ¥30, an open complaint scored 2, three days old).
/// South: c keeps 丙 (an order of ¥999).
async fn small_company(app: &TestApp) -> (Session, Session, Session) {
    let (mut a, mut b, mut c) = (app.sign_in("a").await, app.sign_in("b").await, app.sign_in("c").await);
    let jia = create(&mut a, "a", "甲").await;
    order(&mut a, jia, 100, 10).await;
    order(&mut a, jia, 50, 40).await;
    let visit = Interaction {
        kind: InteractionKind::Visit,
        at: Timestamp(now_ms() - 60_000),
        summary: "上门回访".into(),
        satisfaction: Some(4),
        next_follow_up: None,
    };
    a.push(jia, Change::PutInteraction { id: ItemId::new(), interaction: visit, base: 0 }).await;
    let yi = create(&mut b, "b", "乙").await;
    order(&mut b, yi, 30, 5).await;
    let complaint = Feedback {
        kind: FeedbackKind::Complaint,
        content: "送货晚了".into(),
        status: FeedbackStatus::Open,
        resolution: None,
        satisfaction: Some(2),
        received_at: Timestamp(now_ms() - 3 * DAY_MS),
        severity: Default::default(),
    };
    b.push(yi, Change::PutFeedback { id: ItemId::new(), feedback: complaint, base: 0 }).await;
    let bing = create(&mut c, "c", "丙").await;
    order(&mut c, bing, 999, 1).await;
    (a, b, c)
}

#[tokio::test]
async fn the_overview_matches_a_small_team_computed_by_hand() {
    let app = TestApp::spawn().await;
    small_company(&app).await;
    let m = overview(&app.sign_in("m").await).await;
    let o = &m["overview"];
    assert_eq!(o["customers"], 2);
    assert_eq!(sum(&o["revenue_per_month"]), 18_000, "{o}");
    assert_eq!(o["new_per_month"].as_array().unwrap().last().unwrap(), 2);
    assert_eq!(o["revenue_per_rep"], json!([["a", 15_000], ["b", 3_000]]));
    assert_eq!(o["complaints_open"][0]["name"], "乙");
    assert_eq!(o["complaints_open"][0]["days_open"], 3);
    assert_eq!(o["contacts_per_rep"][0]["rep"], "a");
    assert_eq!(o["contacts_per_rep"][0]["visits"].as_array().unwrap().last().unwrap(), 1);
    let s = &m["satisfaction"];
    assert_eq!((s["overall"]["sum"].as_i64(), s["overall"]["count"].as_i64()), (Some(6), Some(2)));
    assert_eq!(s["lowest"][0]["name"], "乙");
    assert_eq!(m["names"]["a"], "User a");
    let lead = o["by_stage"].as_array().unwrap().iter().find(|p| p[0] == "lead").unwrap();
    assert_eq!(lead[1], 2, "new archives start as leads");
}

#[tokio::test]
async fn nobody_sees_figures_of_archives_out_of_their_reach() {
    let app = TestApp::spawn().await;
    let (a, _b, c) = small_company(&app).await;
    let mine = overview(&a).await;
    assert_eq!(mine["overview"]["customers"], 1);
    assert_eq!(sum(&mine["overview"]["revenue_per_month"]), 15_000);
    assert_eq!(mine["overview"]["complaints_open"], json!([]), "乙 is b's");
    let south = overview(&c).await;
    assert_eq!(south["overview"]["customers"], 1);
    assert_eq!(sum(&south["overview"]["revenue_per_month"]), 99_900);
    let n = overview(&app.sign_in("n").await).await;
    assert_eq!(sum(&n["overview"]["revenue_per_month"]), 99_900, "south's manager sees south only");
    let root = overview(&app.sign_in("root").await).await;
    assert_eq!(sum(&root["overview"]["revenue_per_month"]), 117_900);

    for session in [&a, &c] {
        let value: Value = session.form("dashboard/value", &[]).await.json().await.unwrap();
        let names: Vec<&str> =
            value["customers"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names.len(), 1, "{names:?}");
        let csv: String =
            session.form("dashboard/export", &[("table", "segment_customers")]).await.json().await.unwrap();
        assert!(!(csv.contains("甲") && csv.contains("丙")), "{csv}");
    }
    let churn: Value = c.form("dashboard/churn", &[]).await.json().await.unwrap();
    assert!(churn["model"]["fit"]["Err"]["code"] == "too_few_customers", "{churn}");
    assert_eq!(churn["warnings"], json!([]));
    // A rep's answers name only the people of the rep's own figures, and
    // count only the rep's own customers.
    assert_eq!(churn["model"]["scored"], 1, "not the company's three");
    for answer in [mine.clone(), churn] {
        let names: Vec<&String> = answer["names"].as_object().unwrap().keys().collect();
        assert!(names.iter().all(|n| ["a", "c"].contains(&n.as_str())), "{names:?}");
        assert!(!names.iter().any(|n| ["b", "m", "n", "root"].contains(&n.as_str())), "{names:?}");
    }
    let root_names = overview(&app.sign_in("root").await).await["names"].as_object().unwrap().len();
    assert!(root_names >= 3, "an admin's figures name every keeper");
    // RFM windows come from a fixed set.
    let odd = a.form("dashboard/value", &[("window_days", "8")]).await;
    assert_eq!(odd.status(), 400);
    assert_eq!(a.form("dashboard/value", &[("window_days", "180")]).await.status(), 200);
    let signed_out = app.client.post(app.url("/api/dashboard/overview")).send().await.unwrap();
    assert_eq!(signed_out.status(), 401);
}

#[tokio::test]
async fn a_dashboard_table_exports_as_csv_with_a_bom_and_the_export_is_audited() {
    let app = TestApp::spawn().await;
    small_company(&app).await;
    let m = app.sign_in("m").await;
    let response = m.form("dashboard/export", &[("table", "months")]).await;
    assert_eq!(response.status(), 200);
    let csv: String = response.json().await.unwrap();
    assert!(csv.starts_with("\u{feff}月份,新客户,销售额,平均满意度\r\n"), "{csv}");
    assert_eq!(csv.lines().count(), 13, "a header and twelve months");
    let spent: f64 = csv.lines().skip(1).map(|l| l.split(',').nth(2).unwrap().parse::<f64>().unwrap()).sum();
    assert_eq!(spent, 180.0, "{csv}");
    let complaints: String =
        m.form("dashboard/export", &[("table", "complaints")]).await.json().await.unwrap();
    assert!(complaints.contains("乙,User b,3"), "{complaints}");
    let audit: Value = m.form("audit/list", &[]).await.json().await.unwrap();
    let exports: Vec<&Value> =
        audit.as_array().unwrap().iter().filter(|e| e["action"] == "export_dashboard").collect();
    assert_eq!(exports.len(), 2, "{audit}");
    assert!(exports.iter().any(|e| e["new"].as_str().unwrap().contains("\"table\":\"months\"")));
    let bad = m.form("dashboard/export", &[("table", "everything")]).await;
    assert_eq!(bad.status(), 400);
}

#[test]
fn the_analytics_command_fits_a_file_and_names_a_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let truth = domain::analytics::bgnbd::Params { r: 0.5, alpha: 5.0, a: 0.8, b: 2.5 };
    let cohort = domain::analytics::bgnbd::simulate(&truth, 5_000, (26.0, 104.0), 7);
    let mut csv = String::from("id,frequency,recency,T\n");
    for (i, h) in cohort.iter().enumerate() {
        csv.push_str(&format!("{i},{},{:.4},{:.4}\n", h.frequency, h.recency, h.age));
    }
    let good = dir.path().join("cohort.csv");
    std::fs::write(&good, &csv).unwrap();
    let (code, out) = run_command(&["analytics", "bgnbd", good.to_str().unwrap()], &[], "");
    assert_eq!(code, Some(0), "{out}");
    let last = out.lines().last().unwrap();
    assert!(last.starts_with("bgnbd: r="), "{out}");
    let value = |name: &str| -> f64 {
        last.split_whitespace().find_map(|w| w.strip_prefix(&format!("{name}="))).unwrap().parse().unwrap()
    };
    assert!(
        (value("r") / truth.r - 1.0).abs() < 0.2 && (value("alpha") / truth.alpha - 1.0).abs() < 0.2,
        "{last}"
    );
    assert!(value("loglik") < 0.0);

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "id,frequency,recency,T\n1,2,3,4\n2,two,1,5\n").unwrap();
    let (code, out) = run_command(&["analytics", "bgnbd", bad.to_str().unwrap()], &[], "");
    assert_eq!(code, Some(6));
    assert!(out.contains("line 3: frequency `two` is not a number"), "{out}");
}
