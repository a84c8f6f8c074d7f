//! Review rules: set by admins only, checked, audited, and brought to
//! devices by the next pull.

use domain::review::ReviewRules;
use store::StoreError;

use crate::support::{World, pull_pages};

#[tokio::test]
async fn an_admin_sets_the_review_rules_and_every_device_gets_them_at_its_next_pull() {
    let mut world = World::new().await;
    world.create("a", "赵六").await;
    let rep = world.viewer("a");
    let (_, cookie, _) = pull_pages(&world.store, &rep, None, 100).await;
    let first = world.store.pull(&rep, None, 100).await.unwrap();
    assert_eq!(first.review_rules, None, "the defaults need no travel");

    let mut rules = ReviewRules::default();
    rules.cycles.insert("vip".into(), 30);
    rules.stale_after_days = 60;
    for who in ["a", "m"] {
        let refused = world.store.save_review_rules(&world.viewer(who), &rules).await;
        assert!(matches!(refused, Err(StoreError::Forbidden(_))), "{who}: {refused:?}");
    }
    let saved = world.store.save_review_rules(&world.viewer("root"), &rules).await.unwrap();
    assert!(saved.version > 0);
    assert_eq!(world.store.review_rules().await.unwrap(), saved);

    let page = world.store.pull(&rep, Some(&cookie), 100).await.unwrap();
    assert_eq!(page.review_rules.as_ref().map(|r| r.cycles["vip"]), Some(30));
    assert_eq!(page.review_rules.as_ref().map(|r| r.stale_after_days), Some(60));
    let again = world.store.pull(&rep, Some(&page.cookie.to_string()), 100).await.unwrap();
    assert_eq!(again.review_rules, None, "once is enough");

    let entries = world
        .store
        .search_audit(
            &world.viewer("root"),
            &store::AuditFilter { action: Some("review_rules".into()), limit: 10, ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
}

#[tokio::test]
async fn a_cycle_shorter_than_a_week_is_refused_and_nothing_changes() {
    let world = World::new().await;
    let mut rules = ReviewRules::default();
    rules.cycles.insert("vip".into(), 3);
    let refused = world.store.save_review_rules(&world.viewer("root"), &rules).await;
    assert!(matches!(&refused, Err(StoreError::Invalid(e)) if e.field == "vip"), "{refused:?}");
    assert_eq!(world.store.review_rules().await.unwrap(), ReviewRules::default());
}
