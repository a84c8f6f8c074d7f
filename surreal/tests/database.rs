//! The workspace's SurrealDB server runs, and the archive opens on it over
//! the network from two app servers at once.

use std::time::Duration;

use surreal_process::{DatabaseProcess, ROOT_PASSWORD, ROOT_USER, Storage};

fn root() -> store::Credentials {
    store::Credentials { username: ROOT_USER.into(), password: ROOT_PASSWORD.into() }
}

#[tokio::test]
async fn two_app_servers_open_one_archive_on_the_database_server() {
    let database = DatabaseProcess::start_binary(env!("CARGO_BIN_EXE_surreal").as_ref(), Storage::Disk)
        .expect("the database server starts");
    let (first, report) = store::Store::open(&database.url, Some(&root())).await.expect("first app server");
    assert!(!report.applied.is_empty(), "the first app server creates the schema: {report:?}");
    let (second, report) = store::Store::open(&database.url, Some(&root())).await.expect("second app server");
    assert!(report.applied.is_empty(), "the second finds it in place");
    assert_eq!(first.health().await.unwrap(), second.health().await.unwrap());
    first.close(Duration::from_secs(5)).await.unwrap();
    second.close(Duration::from_secs(5)).await.unwrap();
}

#[test]
fn wrong_credentials_are_refused_with_a_clear_error() {
    let database = DatabaseProcess::start_binary(env!("CARGO_BIN_EXE_surreal").as_ref(), Storage::Memory)
        .expect("the database server starts");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let wrong = store::Credentials { username: ROOT_USER.into(), password: "not-it".into() };
    let refused = runtime.block_on(store::Store::open(&database.url, Some(&wrong)));
    let Err(error) = refused else { panic!("wrong credentials were accepted") };
    assert!(error.to_string().contains("refused the credentials"), "{error}");
}
