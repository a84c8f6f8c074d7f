//! Analytics summaries: kept by every push, equal to a recomputation from
//! the archives, seen by each viewer only for what they may see.

use domain::Change;
use domain::analytics::summary::CustomerSummary;
use domain::archive::{Interaction, InteractionKind, Order};
use domain::ids::{CustomerId, ItemId, UserId};
use domain::money::{Currency, Money};
use domain::time::{Date, Timestamp};
use store::Outcome;

use crate::support::{World, today};

fn order(yuan: i64, date: &str) -> Order {
    Order {
        product: "滤芯".into(),
        quantity: 1,
        amount: Money { minor: yuan * 100, currency: Currency::cny() },
        date: Date::parse_field(date, "date").unwrap(),
        channel: None,
        ends_on: None,
    }
}

async fn sorted(world: &World) -> (Vec<CustomerSummary>, Vec<CustomerSummary>) {
    let (_, cached) = world.store.summaries().await.unwrap();
    let mut cached: Vec<CustomerSummary> = cached.iter().map(|s| (**s).clone()).collect();
    let mut fresh = world.store.recomputed_summaries().await.unwrap();
    cached.sort_by_key(|s| s.id);
    fresh.sort_by_key(|s| s.id);
    (cached, fresh)
}

#[tokio::test]
async fn the_summaries_kept_by_pushes_equal_a_recomputation_from_the_archives() {
    let mut world = World::new().await;
    let first = world.create("a", "王五").await;
    let second = world.create("c", "赵六").await;
    // Read once so that what follows is picked up by an incremental refresh.
    assert_eq!(world.store.summaries().await.unwrap().1.len(), 2);

    for (i, date) in ["2026-01-10", "2026-03-02", "2026-11-20"].iter().enumerate() {
        let base = world.version(first).await;
        let put = Change::PutOrder { id: ItemId::new(), order: order(100 * (i as i64 + 1), date), base };
        assert!(matches!(world.push_one("a", first, put).await, Outcome::Applied { .. }));
    }
    let base = world.version(first).await;
    let visit = Interaction {
        kind: InteractionKind::Visit,
        at: Timestamp(1_795_000_000_000),
        summary: "回访".into(),
        satisfaction: Some(4),
        next_follow_up: Some(Date::new(2026, 11, 30).unwrap()),
    };
    world.push_one("a", first, Change::PutInteraction { id: ItemId::new(), interaction: visit, base }).await;
    let base = world.version(second).await;
    let moved = world
        .push_one(
            "root",
            second,
            Change::Reassign {
                pool: None,
                owner: Some(UserId("a".into())),
                base,
                reason: None,
                over_limit: false,
            },
        )
        .await;
    assert!(matches!(moved, Outcome::Applied { .. }), "{moved:?}");
    let base = world.version(second).await;
    let deleted = world.push_one("a", second, Change::Delete { base }).await;
    assert!(matches!(deleted, Outcome::Applied { .. }), "{deleted:?}");

    let (cached, fresh) = sorted(&world).await;
    assert_eq!(cached, fresh);
    let mine = cached.iter().find(|s| s.id == first).unwrap();
    assert_eq!(mine.orders.iter().map(|o| o.amount).sum::<i64>(), 60_000);
    assert_eq!(mine.contacts.len(), 1);
    assert_eq!(mine.team.as_deref(), Some("north"));
    let moved = cached.iter().find(|s| s.id == second).unwrap();
    assert!(moved.deleted && moved.team.as_deref() == Some("north"));
}

#[tokio::test]
async fn each_viewer_counts_only_what_their_dashboards_cover() {
    let mut world = World::new().await;
    let ids: Vec<(CustomerId, &str)> = vec![
        (world.create("a", "甲").await, "a"),
        (world.create("b", "乙").await, "b"),
        (world.create("c", "丙").await, "c"),
    ];
    let seen = |who: &'static str| {
        let store = world.store.clone();
        let viewer = world.viewer(who);
        async move {
            let mut names: Vec<String> =
                store.dashboard_summaries(&viewer).await.unwrap().iter().map(|s| s.name.clone()).collect();
            names.sort();
            names
        }
    };
    assert_eq!(seen("a").await, ["甲"]);
    assert_eq!(seen("m").await, ["乙", "甲"]);
    assert_eq!(seen("n").await, ["丙"]);
    assert_eq!(seen("root").await.len(), ids.len());
}

#[tokio::test]
async fn a_scoring_run_is_reused_until_the_data_moves_and_scores_follow_every_change() {
    let mut world = World::new().await;
    let id = world.create("a", "钱七").await;
    let first = world.store.scoring(today(), 365, false).await.unwrap();
    let again = world.store.scoring(today(), 365, false).await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &again), "nothing changed");
    assert!(first.scoring.fit.is_err(), "one customer cannot be fitted");
    assert!(first.scoring.scores[&id].rfm.is_none());
    let base = world.version(id).await;
    world
        .push_one("a", id, Change::PutOrder { id: ItemId::new(), order: order(5, "2026-11-01"), base })
        .await;
    let moved = world.store.scoring(today(), 365, false).await.unwrap();
    assert!(moved.version > first.version);
    assert!(moved.scoring.scores[&id].rfm.is_some(), "the new order is scored at once");
    // Asking for a fresh fit again within a minute of the last one cannot
    // make the server read the whole company again: the run is reused.
    let fresh = world.store.scoring(today(), 365, true).await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&moved, &fresh), "refits are at most once a minute");
    assert_eq!(fresh.fitted_at, moved.fitted_at);
}
