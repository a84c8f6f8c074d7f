//! The customer list's export: a file download of what the filters select,
//! in the formats spreadsheets in China open, streamed page by page.

use domain::Change;
use domain::archive::Fields;
use domain::export::{ExportFormat, address};
use domain::ids::{CustomerId, UserId};
use domain::portfolio::Filter;
use domain::time::Timestamp;
use serde_json::{Value, json};
use sheet::Encoding;

use crate::support::{Session, TestApp};

async fn download(
    session: &Session,
    filter: &Filter,
    format: ExportFormat,
) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let response = session.get(&address(filter, format)).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    (headers, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn an_export_is_a_csv_download_with_a_bom_and_is_audited() {
    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    a.create("a", "王五").await;
    let (headers, bytes) = download(&a, &Filter::default(), ExportFormat::Csv).await;
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment; filename=\"customers-"), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''%E5%AE%A2%E6%88%B7-"), "{disposition}");
    assert_eq!(headers["cache-control"], "no-store");
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("\u{feff}客户编号,客户名称,"), "{text}");
    assert!(text.contains("王五"));

    let m = app.sign_in("m").await;
    let audit: Value = m.form("audit/list", &[]).await.json().await.unwrap();
    let entry = audit.as_array().unwrap().iter().find(|e| e["action"] == "export" && e["user"] == "a");
    assert!(entry.is_some_and(|e| e.to_string().contains("csv")), "{audit}");
}

#[tokio::test]
async fn an_export_holds_only_what_the_filter_selects() {
    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    a.create("a", "王五").await;
    a.create("a", "赵六").await;
    let filter = Filter { text: "王五".into(), ..Filter::default() };
    let (_, bytes) = download(&a, &filter, ExportFormat::Csv).await;
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("王五") && !text.contains("赵六"), "{text}");
    // The pinyin initials the list searches by select too.
    let filter = Filter { text: "zl".into(), ..Filter::default() };
    let (_, bytes) = download(&a, &filter, ExportFormat::Csv).await;
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("赵六") && !text.contains("王五"), "{text}");
}

#[tokio::test]
async fn a_workbook_and_a_gbk_csv_read_back_as_written() {
    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    a.create("a", "王五").await;

    let (headers, bytes) = download(&a, &Filter::default(), ExportFormat::Xlsx).await;
    assert!(headers["content-type"].to_str().unwrap().contains("spreadsheetml"));
    let table = sheet::read_file("客户.xlsx", &bytes, None).unwrap();
    assert_eq!(table.headers[..3], ["客户编号", "客户名称", "客户类型"]);
    assert_eq!(table.rows.len(), 1);
    assert_eq!(table.rows[0][1], "王五");

    let (headers, bytes) = download(&a, &Filter::default(), ExportFormat::CsvGbk).await;
    assert_eq!(headers["content-type"], "text/csv; charset=gb18030");
    assert!(std::str::from_utf8(&bytes).is_err(), "GBK, not UTF-8");
    let table = sheet::read_file("客户.csv", &bytes, None).unwrap();
    assert_eq!(table.encoding, Encoding::Gb18030);
    assert_eq!(table.rows[0][1], "王五");
}

#[tokio::test]
async fn a_large_export_streams_every_archive_once_across_pages() {
    let app = TestApp::spawn().await;
    let mut a = app.sign_in("a").await;
    // More than a page (1,000) of archives, pushed 50 at a time (a request is at most 2 MiB).
    let total = 1_050;
    let mut created = 0;
    while created < total {
        let batch: Vec<_> = (created..(created + 50).min(total))
            .map(|i| {
                let mut fields = Fields::named(domain::CustomerName::parse(&format!("客户{i:04}")).unwrap());
                fields.owner = Some(UserId("a".into()));
                let change = Change::Create { fields: Box::new(fields) };
                a.sequencer.next(CustomerId::new(), change, Timestamp(1_700_000_000_000))
            })
            .collect();
        created += batch.len();
        let response = a.json("sync/push", json!({ "client": a.sequencer.client, "mutations": batch })).await;
        assert_eq!(response.status(), 200);
    }
    let (_, bytes) = download(&a, &Filter::default(), ExportFormat::Csv).await;
    let text = String::from_utf8(bytes).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), total);
    let ids: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.split(',').next().unwrap()).collect();
    assert_eq!(ids.len(), total, "no archive twice");
}

#[tokio::test]
async fn an_unknown_format_or_a_missing_session_is_refused_before_any_byte() {
    let app = TestApp::spawn().await;
    let a = app.sign_in("a").await;
    let response = a.get("/api/customers/export?format=pdf").await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(body.to_string().contains("export.format"), "{body}");

    let anonymous = reqwest::Client::new();
    let response = anonymous.get(app.url("/api/customers/export?format=csv")).send().await.unwrap();
    assert_eq!(response.status(), 401);
}
