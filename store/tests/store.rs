//! The store against the real SurrealDB engine, in memory and on disk.

use domain::CustomerName;
use std::time::Duration;

use store::{SCHEMA_VERSION, Store, StoreError};

fn name(raw: &str) -> CustomerName {
    CustomerName::parse(raw).unwrap()
}

#[tokio::test]
async fn a_fresh_database_is_migrated_to_the_current_version() {
    let (store, report) = Store::open("mem://", None).await.unwrap();
    assert_eq!(report.version, SCHEMA_VERSION);
    assert_eq!(report.applied.last(), Some(&SCHEMA_VERSION));
    assert_eq!(store.health().await.unwrap().schema_version, SCHEMA_VERSION);
}

#[tokio::test]
async fn migrating_again_applies_nothing() {
    let (store, _) = Store::open("mem://", None).await.unwrap();
    let again = store.migrate().await.unwrap();
    assert!(again.applied.is_empty(), "second run applied {:?}", again.applied);
    assert_eq!(again.version, SCHEMA_VERSION);
}

#[tokio::test]
async fn customers_are_listed_newest_first() {
    let (store, _) = Store::open("mem://", None).await.unwrap();
    let first = store.create_customer(&name("张三")).await.unwrap();
    let second = store.create_customer(&name("Acme Trading")).await.unwrap();
    assert_eq!(first.name, "张三");
    let listed = store.list_customers(10).await.unwrap();
    assert_eq!(listed, vec![second, first]);
}

#[tokio::test]
async fn customers_survive_reopening_an_on_disk_store() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("surrealkv://{}", dir.path().join("crm.db").display());
    {
        let (store, report) = Store::open(&url, None).await.unwrap();
        assert!(!report.applied.is_empty());
        store.create_customer(&name("李四")).await.unwrap();
        store.close(Duration::from_secs(30)).await.unwrap();
    }
    let (store, report) = Store::open(&url, None).await.unwrap();
    assert!(report.applied.is_empty(), "reopen applied {:?}", report.applied);
    let names: Vec<_> = store.list_customers(10).await.unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["李四"]);
}

#[tokio::test]
async fn a_second_store_on_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("surrealkv://{}", dir.path().join("crm.db").display());
    let (_first, _) = Store::open(&url, None).await.unwrap();
    match Store::open(&url, None).await {
        Err(StoreError::Locked { .. }) => {}
        Err(other) => panic!("expected Locked, got {other}"),
        Ok(_) => panic!("a second store opened a locked directory"),
    }
}

#[tokio::test]
async fn a_directory_that_cannot_be_created_is_unavailable_not_a_panic() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let url = format!("surrealkv://{}", file.path().join("crm.db").display());
    match Store::open(&url, None).await {
        Err(StoreError::Unavailable(message)) => assert!(message.contains("data directory"), "{message}"),
        Err(other) => panic!("expected Unavailable, got {other}"),
        Ok(_) => panic!("opened a store below a regular file"),
    }
}
