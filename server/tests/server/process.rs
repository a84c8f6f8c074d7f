//! The real binary: start-up, restart on the same data, shutdown, bad settings.

use crate::support::{run_binary_to_exit, start_binary};

fn surrealkv_url(dir: &std::path::Path) -> String {
    format!("surrealkv://{}", dir.join("crm.db").display())
}

async fn create(base: &str, name: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{base}/api/customers/create"))
        .header("accept", "application/json")
        .form(&[("name", name)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn customers_survive_a_restart_and_the_second_start_applies_no_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let url = surrealkv_url(dir.path());
    let env = [("CRM_DATABASE_URL", url.as_str()), ("CRM_ADDR", "127.0.0.1:0")];

    let first = start_binary(&env);
    assert!(first.startup_log.iter().any(|l| l.contains("database ready") && l.contains("applied=[1")));
    assert_eq!(create(&first.base, "赵六").await, 200);
    let (code, log) = first.terminate();
    assert_eq!(code, Some(0), "clean exit on SIGTERM; log: {log:?}");
    assert!(log.iter().any(|l| l.contains("stopped")), "{log:?}");

    let second = start_binary(&env);
    assert!(
        second.startup_log.iter().any(|l| l.contains("database ready") && l.contains("applied=[]")),
        "second start applied migrations: {:?}",
        second.startup_log
    );
    let page = reqwest::get(format!("{}/", second.base)).await.unwrap().text().await.unwrap();
    assert!(page.contains("赵六"), "customer lost across restart");
    let (code, _) = second.terminate();
    assert_eq!(code, Some(0));
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
    assert_eq!(create(&first.base, "孙七").await, 200);
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
