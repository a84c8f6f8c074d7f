//! Duplicates across the whole archive: found after a push and by a sweep,
//! queued for whoever may merge both, merged with chosen values, dismissed
//! for good.

use domain::Change;
use domain::archive::{FieldValue, Fields, LabelledPhone, PhoneLabel};
use domain::ids::{CustomerId, UserId};
use domain::mutation::FieldEdit;
use domain::{CustomerName, Phone};
use store::Outcome;

use crate::support::World;

async fn create_with_phone(
    world: &mut World,
    owner: &str,
    name: &str,
    phone: &str,
    region: &str,
) -> CustomerId {
    let id = CustomerId::new();
    let mut fields = Fields::named(CustomerName::parse(name).unwrap());
    fields.owner = Some(UserId(owner.into()));
    fields.phones = vec![LabelledPhone { label: PhoneLabel::Mobile, number: Phone::parse(phone).unwrap() }];
    fields.region = Some(region.into());
    let outcome = world.push_one(owner, id, Change::Create { fields: Box::new(fields) }).await;
    assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    id
}

/// A customer kept by `owner`, with a mobile, as a create mutation of `owner`'s client.
fn new_with_phone(world: &mut World, owner: &str, name: &str, phone: &str) -> domain::Mutation {
    let mut fields = Fields::named(CustomerName::parse(name).unwrap());
    fields.owner = Some(UserId(owner.into()));
    fields.phones = vec![LabelledPhone { label: PhoneLabel::Mobile, number: Phone::parse(phone).unwrap() }];
    world.mutation(owner, CustomerId::new(), Change::Create { fields: Box::new(fields) })
}

#[tokio::test]
async fn a_push_of_hundreds_of_new_archives_is_checked_for_duplicates_in_full() {
    // An import's batch: more contact keys than one query may name.
    let mut world = World::new().await;
    let twin = create_with_phone(&mut world, "a", "李雷", "13800000007", "华东").await;
    let mut batch: Vec<_> = (0..300)
        .map(|i| new_with_phone(&mut world, "a", &format!("客户{i}"), &format!("139{i:08}")))
        .collect();
    batch.push(new_with_phone(&mut world, "a", "李雷雷", "13800000007"));
    let reply = world.push("a", &batch).await;
    assert!(reply.results.iter().all(|r| matches!(r.outcome, Outcome::Applied { .. })));
    let ids: Vec<CustomerId> = batch.iter().map(|m| m.customer).collect();
    assert_eq!(world.store.check_duplicates_of(&ids).await.unwrap(), 1);
    let queue = world.store.duplicate_queue(&world.viewer("m"), 10).await.unwrap();
    assert_eq!(queue.len(), 1);
    assert!([queue[0].a.id, queue[0].b.id].contains(&twin));
}

#[tokio::test]
async fn two_reps_creating_one_customer_meet_in_the_queue_and_a_merge_keeps_everything() {
    let mut world = World::new().await;
    // As the server does after each push: the first finds nothing yet, the second its twin.
    let first = create_with_phone(&mut world, "a", "张三", "13812345678", "华东").await;
    assert_eq!(world.store.check_duplicates_of(&[first]).await.unwrap(), 0);
    let second = create_with_phone(&mut world, "b", "张三丰", "13812345678", "华北").await;
    assert_eq!(world.store.check_duplicates_of(&[second]).await.unwrap(), 1);
    create_with_phone(&mut world, "c", "王五", "13900001111", "华南").await;

    let m = world.viewer("m");
    let queue = world.store.duplicate_queue(&m, 10).await.unwrap();
    assert_eq!(queue.len(), 1);
    let pair = &queue[0];
    assert!(pair.score >= 90, "same mobile: {}", pair.score);
    assert!(matches!(pair.reasons[0], domain::dedup::DuplicateReason::SamePhone(_)));
    // South's manager sees neither archive in full: no pair for them; reps read no queue at all.
    assert!(world.store.duplicate_queue(&world.viewer("n"), 10).await.unwrap().is_empty());

    // The sweep finds the same pair again and opens nothing new.
    let report = world.store.dedup_sweep().await.unwrap();
    assert_eq!((report.scanned, report.pairs), (3, 1));
    assert_eq!(world.store.duplicate_queue(&m, 10).await.unwrap().len(), 1);

    // m keeps the first, with the second's region chosen.
    let (into, from) = if pair.a.id == first { (&pair.a, &pair.b) } else { (&pair.b, &pair.a) };
    let edits = vec![FieldEdit { value: FieldValue::Region(Some("华北".into())), base: 0 }];
    let change = Change::Merge { from: from.id, base: into.version, edits };
    let outcome = world.push_one("m", into.id, change).await;
    assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    world.store.decide_pair(&m, &pair.key, true).await.unwrap();
    let (merged, _) = world.store.customer_for(&m, &first.to_string()).await.unwrap().unwrap();
    assert_eq!(merged.fields.region.as_deref(), Some("华北"));
    assert_eq!(merged.fields.name.as_str(), "张三");
    assert!(world.store.customer_for(&m, &second.to_string()).await.unwrap().is_none(), "merged away");
    assert!(world.store.duplicate_queue(&m, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn not_a_duplicate_is_remembered_and_only_whoever_sees_both_may_say_so() {
    let mut world = World::new().await;
    create_with_phone(&mut world, "a", "李四", "13700001111", "华东").await;
    create_with_phone(&mut world, "b", "李四", "13700001111", "华东").await;
    world.store.dedup_sweep().await.unwrap();
    let queue = world.store.duplicate_queue(&world.viewer("root"), 10).await.unwrap();
    assert_eq!(queue.len(), 1);
    let key = queue[0].key.clone();
    assert!(
        world.store.decide_pair(&world.viewer("n"), &key, false).await.is_err(),
        "south's manager may not"
    );
    world.store.decide_pair(&world.viewer("m"), &key, false).await.unwrap();
    assert!(world.store.duplicate_queue(&world.viewer("root"), 10).await.unwrap().is_empty());
    let report = world.store.dedup_sweep().await.unwrap();
    assert_eq!(report.pairs, 1, "the sweep still finds it");
    assert!(
        world.store.duplicate_queue(&world.viewer("root"), 10).await.unwrap().is_empty(),
        "but it stays closed"
    );
}

#[tokio::test]
async fn a_rep_typing_a_colleagues_customer_hears_who_keeps_it_and_nothing_more() {
    let mut world = World::new().await;
    let kept = create_with_phone(&mut world, "a", "赵六", "13611112222", "华东").await;
    world.store.check_duplicates_of(&[kept]).await.unwrap();
    let mut draft_fields = Fields::named(CustomerName::parse("赵先生").unwrap());
    draft_fields.owner = Some(UserId("b".into()));
    draft_fields.phones =
        vec![LabelledPhone { label: PhoneLabel::Mobile, number: Phone::parse("136 1111 2222").unwrap() }];
    let mut sequencer = domain::mutation::Sequencer::new(UserId("b".into()));
    let mutation = sequencer.next(
        CustomerId::new(),
        Change::Create { fields: Box::new(draft_fields) },
        domain::time::Timestamp(0),
    );
    let ctx = domain::ApplyContext { version: 0, today: crate::support::today() };
    let (draft, _) = domain::apply(None, &mutation, &ctx).unwrap();

    let for_b = world.store.duplicate_hints(&world.viewer("b"), &draft).await.unwrap();
    assert_eq!(for_b.len(), 1);
    assert_eq!(for_b[0].keeper.as_deref(), Some("User a"));
    assert!(for_b[0].customer.is_none(), "b may not see a's archive: not even its name");
    assert!(matches!(for_b[0].reason, domain::dedup::DuplicateReason::SamePhone(_)));
    let for_m = world.store.duplicate_hints(&world.viewer("m"), &draft).await.unwrap();
    assert_eq!(for_m[0].customer, Some((kept.to_string(), "赵六".to_owned())));
}

#[tokio::test]
async fn a_key_that_names_no_pair_is_not_found_whatever_it_holds() {
    let world = World::new().await;
    let root = world.viewer("root");
    for key in ["", "_", "x_y", "⟨⟩", "01890a5d-ac96-774b-bcce-b302099a8057"] {
        assert!(world.store.duplicate_pair(&root, key).await.unwrap().is_none(), "{key:?}");
        assert!(
            matches!(world.store.decide_pair(&root, key, false).await, Err(store::StoreError::NotFound)),
            "{key:?}"
        );
    }
}
