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

#[tokio::test]
async fn the_quality_report_finds_archives_a_new_required_field_leaves_failing_in_the_runners_scope_only() {
    use domain::custom_field::{CustomField, CustomKind};
    let mut world = World::new().await;
    world.create("a", "北区甲").await;
    world.create("b", "北区乙").await;
    world.create("c", "南区丙").await;
    let field = CustomField {
        key: "contract_no".into(),
        zh: "合同编号".into(),
        en: "Contract number".into(),
        kind: CustomKind::Text,
        required: true,
        choices: Vec::new(),
        retired: false,
    };
    world.store.save_custom_fields(&world.viewer("root"), vec![field]).await.unwrap();

    let north = world.store.data_quality(&world.viewer("m"), crate::support::today()).await.unwrap().teams;
    assert_eq!(north.iter().map(|t| t.team.as_deref()).collect::<Vec<_>>(), vec![Some("north")]);
    assert_eq!(north[0].archives, 2);
    let contract = north[0].fields.iter().find(|f| f.field == "custom.contract_no").unwrap();
    assert_eq!((contract.applicable, contract.filled, contract.failing), (2, 0, 2));
    let mut names: Vec<&str> = contract.examples.iter().map(|(_, n)| n.as_str()).collect();
    names.sort();
    assert_eq!(names, ["北区乙", "北区甲"]);

    let all = world.store.data_quality(&world.viewer("root"), crate::support::today()).await.unwrap().teams;
    assert_eq!(all.iter().map(|t| t.archives).sum::<u32>(), 3);
    let refused = world.store.data_quality(&world.viewer("a"), crate::support::today()).await;
    assert!(matches!(refused, Err(StoreError::Forbidden(_))), "{refused:?}");
}
