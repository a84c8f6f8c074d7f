//! Opening, migrating, locking and reopening the store.

use std::time::Duration;

use store::{SCHEMA_VERSION, Store, StoreError};

use crate::support::World;

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
async fn archives_survive_reopening_an_on_disk_store() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("surrealkv://{}", dir.path().join("crm.db").display());
    let id = {
        let (store, report) = Store::open(&url, None).await.unwrap();
        assert!(!report.applied.is_empty());
        let mut world = World::on(store).await;
        let id = world.create("a", "李四").await;
        world.store.close(Duration::from_secs(30)).await.unwrap();
        id
    };
    let (store, report) = Store::open(&url, None).await.unwrap();
    assert!(report.applied.is_empty(), "reopen applied {:?}", report.applied);
    let world = World::existing(store);
    let found = world.store.customer_for(&world.viewer("a"), &id.to_string()).await.unwrap();
    assert_eq!(found.unwrap().0.fields.name.as_str(), "李四");
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

#[tokio::test]
async fn a_backup_restored_into_an_empty_store_holds_identical_data() {
    let mut world = World::new().await;
    let id = world.create("a", "周九").await;
    let base = world.version(id).await;
    world.push_one("m", id, domain::Change::AddTag { tag: "VIP".into(), base }).await;
    let limits = store::SessionLimits { idle_ms: 60_000, absolute_ms: 60_000 };
    world.store.create_session(&domain::ids::UserId("a".into()), limits).await.unwrap();
    let before = world.store.snapshot().await.unwrap();
    assert!(before["customer"].len() == 1 && !before["audit"].is_empty() && !before["mutation"].is_empty());

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.surql");
    world.store.backup(&file).await.unwrap();
    let (restored, _) = Store::open("mem://", None).await.unwrap();
    // A device pulled before the backup was restored.
    let pulled = world.store.pull(&world.viewer("a"), None, 10).await.unwrap();
    restored.restore(&file).await.unwrap();
    let mut after = restored.snapshot().await.unwrap();
    // Everything is as it was but the sync epoch, which is new.
    let (old_epoch, new_epoch) = (&before["counter"][0]["epoch"], &after["counter"][0]["epoch"]);
    assert_ne!(old_epoch, new_epoch, "a restore starts a new sync epoch");
    after.get_mut("counter").unwrap()[0]["epoch"] = old_epoch.clone();
    assert_eq!(after, before);
    // And it works as a store: the restored archive can be pulled, and a
    // device holding a cookie from before starts over from the beginning.
    let page = restored.pull(&world.viewer("a"), None, 10).await.unwrap();
    assert_eq!(page.changes.len(), 1);
    let again = restored.pull(&world.viewer("a"), Some(&pulled.cookie.to_string()), 10).await.unwrap();
    assert!(again.reset, "the old cookie is from another epoch");
    assert_eq!(again.changes.len(), 1);
    // A second restore over data is refused rather than mixing two databases.
    assert!(matches!(restored.restore(&file).await, Err(StoreError::Conflict(_))));
}
