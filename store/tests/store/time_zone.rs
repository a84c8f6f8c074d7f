//! The company's time zone: recorded once per change, audited, and brought
//! to devices by their next pull.

use domain::time::Zone;

use crate::support::{World, pull_pages};

#[tokio::test]
async fn a_new_time_zone_reaches_every_device_once_and_the_same_one_again_writes_nothing() {
    let mut world = World::new().await;
    world.create("a", "赵六").await;
    let rep = world.viewer("a");
    let first = world.store.pull(&rep, None, 100).await.unwrap();
    assert_eq!(first.time_zone, None, "China time needs no travel");
    let (_, cookie, _) = pull_pages(&world.store, &rep, None, 100).await;

    let urumqi = Zone::named("Asia/Urumqi").unwrap();
    assert!(world.store.record_time_zone(&urumqi).await.unwrap());
    let head = world.store.head().await.unwrap();
    assert!(!world.store.record_time_zone(&urumqi).await.unwrap(), "a restart with the same zone");
    assert_eq!(world.store.head().await.unwrap(), head, "took no version");

    let page = world.store.pull(&rep, Some(&cookie), 100).await.unwrap();
    assert_eq!(page.time_zone.as_ref(), Some(&urumqi));
    let again = world.store.pull(&rep, Some(&page.cookie.to_string()), 100).await.unwrap();
    assert_eq!(again.time_zone, None, "once is enough");
    let fresh = world.store.pull(&world.viewer("m"), None, 100).await.unwrap();
    assert_eq!(fresh.time_zone.as_ref(), Some(&urumqi), "a new device's first pull brings it");

    let entries = world
        .store
        .search_audit(
            &world.viewer("root"),
            &store::AuditFilter { action: Some("time_zone".into()), limit: 10, ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].old.as_deref(), entries[0].new.as_deref()),
        (Some("Asia/Shanghai"), Some("Asia/Urumqi"))
    );
    assert!(world.store.setting_versions().await.unwrap().contains(&head), "the checker knows the version");
}
