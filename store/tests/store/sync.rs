//! Push and pull against the real engine.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use domain::archive::{FieldValue, Interaction, InteractionKind, LabelledPhone, PhoneLabel};
use domain::ids::{CustomerId, ItemId, UserId};
use domain::mutation::{FieldEdit, Sequencer};
use domain::sync::Cookie;
use domain::time::Timestamp;
use domain::{Change, Phone};
use store::{Outcome, Pulled, Store, StoreError};

use crate::support::{World, today};

fn region(value: &str, base: u64) -> Change {
    Change::SetFields { edits: vec![FieldEdit { value: FieldValue::Region(Some(value.into())), base }] }
}

async fn pull_all(
    store: &Store,
    viewer: &domain::policy::Viewer,
    cookie: Option<String>,
) -> (Vec<Pulled>, String) {
    let (changes, cookie, _) = crate::support::pull_pages(store, viewer, cookie, 2).await;
    (changes, cookie)
}

use crate::support::put_ids;

#[tokio::test]
async fn a_pushed_edit_is_pulled_once_and_the_cookie_moves_forward() {
    let mut world = World::new().await;
    let id = world.create("a", "张三").await;
    let a = world.viewer("a");
    let (changes, cookie) = pull_all(&world.store, &a, None).await;
    assert_eq!(put_ids(&changes), [id].into());

    let base = world.version(id).await;
    let outcome = world.push_one("a", id, region("华东", base)).await;
    let Outcome::Applied { version } = outcome else { panic!("{outcome:?}") };
    assert!(version > base);

    let page = world.store.pull(&a, Some(&cookie), 100).await.unwrap();
    let [Pulled::Put { customer, masked: false, keys }] = page.changes.as_slice() else {
        panic!("{:?}", page.changes)
    };
    assert_eq!(customer.fields.region.as_deref(), Some("华东"));
    // The browser cannot compute pinyin: it travels with the record.
    assert_eq!((keys.initials.as_str(), keys.pinyin.as_str()), ("zs", "zhangsan"));
    assert_eq!(page.head, version, "the page says how far the server is");
    assert!(page.cookie.version > Cookie::parse(&cookie).unwrap().version, "{} then {}", cookie, page.cookie);
    let again = world.store.pull(&a, Some(&page.cookie.to_string()), 100).await.unwrap();
    assert!(again.changes.is_empty());
    assert_eq!(again.cookie, page.cookie);
}

#[tokio::test]
async fn a_pull_that_brings_archives_names_their_people_and_nobody_else() {
    let mut world = World::new().await;
    let id = world.create("a", "张三").await;
    let base = world.version(id).await;
    world.push_one("m", id, region("华东", base)).await;
    let page = world.store.pull(&world.viewer("m"), None, 100).await.unwrap();
    let names: Vec<(&str, &str)> =
        page.names.iter().map(|(id, name)| (id.0.as_str(), name.as_str())).collect();
    assert_eq!(names, [("a", "User a"), ("m", "User m")], "the keeper and the author of an edit");
    let quiet = world.store.pull(&world.viewer("m"), Some(&page.cookie.to_string()), 100).await.unwrap();
    assert!(quiet.changes.is_empty() && quiet.names.is_empty(), "{:?}", quiet.names);
}

#[tokio::test]
async fn a_retried_push_changes_nothing_and_answers_the_same() {
    let mut world = World::new().await;
    let id = world.create("a", "张三").await;
    let base = world.version(id).await;
    let batch =
        vec![world.mutation("a", id, region("华北", base)), world.mutation("a", id, region("华南", base))];
    let first = world.push("a", &batch).await;
    let version = world.version(id).await;
    let audit =
        world.store.list_audit(&world.viewer("root"), Some(&id.to_string()), 100).await.unwrap().len();
    let second = world.push("a", &batch).await;
    assert_eq!(first, second);
    assert_eq!(world.version(id).await, version);
    let audit_after =
        world.store.list_audit(&world.viewer("root"), Some(&id.to_string()), 100).await.unwrap().len();
    assert_eq!(audit, audit_after);
}

#[tokio::test]
async fn a_rejected_mutation_does_not_block_the_ones_after_it() {
    let mut world = World::new().await;
    let id = world.create("a", "张三").await;
    let base = world.version(id).await;
    let too_long = "长".repeat(200);
    let batch =
        vec![world.mutation("a", id, region(&too_long, base)), world.mutation("a", id, region("西南", base))];
    let reply = world.push("a", &batch).await;
    let Outcome::Rejected { code, errors, .. } = &reply.results[0].outcome else { panic!("{reply:?}") };
    assert_eq!(code, "invalid");
    assert_eq!(errors[0].code, "region.too_long");
    assert!(matches!(reply.results[1].outcome, Outcome::Applied { .. }));
    assert_eq!(reply.last_seq, batch[1].seq);
}

#[tokio::test]
async fn a_sequence_gap_a_foreign_client_and_a_mixed_batch_are_refused_whole() {
    let mut world = World::new().await;
    let id = world.create("a", "张三").await;
    let base = world.version(id).await;
    let version = world.version(id).await;

    let mut gap = world.mutation("a", id, region("x", base));
    gap.seq += 5;
    let client = gap.client;
    match world.store.push(&world.viewer("a"), client, &[gap], today()).await {
        Err(StoreError::SequenceGap { expected, got }) => assert_eq!((expected, got), (2, 7)),
        other => panic!("{other:?}"),
    }

    // b pushes on a's client id.
    let mut stolen = Sequencer { client, author: UserId("b".into()), last_seq: 1 };
    let mutation = stolen.next(id, region("y", base), Timestamp(0));
    match world.store.push(&world.viewer("b"), client, &[mutation], today()).await {
        Err(StoreError::Forbidden(code)) => assert_eq!(code, "client.foreign"),
        other => panic!("{other:?}"),
    }

    let other_client = Sequencer::new(UserId("a".into())).next(id, region("z", base), Timestamp(0));
    match world.store.push(&world.viewer("a"), client, &[other_client], today()).await {
        Err(StoreError::BadRequest { code, .. }) => assert_eq!(code, "sync.client_mismatch"),
        other => panic!("{other:?}"),
    }
    assert_eq!(world.version(id).await, version, "nothing of a refused push was written");
}

#[tokio::test]
async fn concurrent_edits_of_one_field_open_a_conflict_that_a_resolution_closes() {
    let mut world = World::new().await;
    let id = world.create("a", "张三").await;
    let manager_edit = {
        let base = world.version(id).await;
        let outcome = world.push_one("m", id, region("华东", base)).await;
        assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
        base
    };
    let outcome = world.push_one("a", id, region("华西", manager_edit)).await;
    let Outcome::Conflict { conflicts, .. } = outcome else { panic!("{outcome:?}") };
    assert_eq!(conflicts, [format!("{id}/field:region")]);

    let open = async |world: &World| {
        let (customer, _) =
            world.store.customer_for(&world.viewer("a"), &id.to_string()).await.unwrap().unwrap();
        store::conflicts_of(&customer)
    };
    let listed = open(&world).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].subject, "field:region");
    assert_eq!(listed[0].candidates.len(), 2);

    let base = world.version(id).await;
    let resolve = Change::ResolveConflict {
        edits: vec![FieldEdit { value: FieldValue::Region(Some("华西".into())), base }],
    };
    let outcome = world.push_one("a", id, resolve).await;
    assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    assert!(open(&world).await.is_empty());
}

#[tokio::test]
async fn a_reassigned_archive_leaves_the_old_keeper_as_a_tombstone() {
    let mut world = World::new().await;
    let id = world.create("a", "张三").await;
    let (a, b) = (world.viewer("a"), world.viewer("b"));
    let (_, a_cookie) = pull_all(&world.store, &a, None).await;
    let (b_changes, b_cookie) = pull_all(&world.store, &b, None).await;
    assert!(b_changes.is_empty());

    let base = world.version(id).await;
    let outcome = world
        .push_one(
            "m",
            id,
            Change::Reassign {
                pool: None,
                owner: Some(UserId("b".into())),
                base,
                reason: None,
                over_limit: false,
            },
        )
        .await;
    assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");

    let (a_changes, _) = pull_all(&world.store, &a, Some(a_cookie)).await;
    assert!(
        matches!(a_changes.as_slice(), [Pulled::Delete { id: gone, .. }] if *gone == id),
        "{a_changes:?}"
    );
    let (b_changes, _) = pull_all(&world.store, &b, Some(b_cookie)).await;
    assert_eq!(put_ids(&b_changes), [id].into());

    // a can no longer edit it; the answer does not even admit it exists.
    let outcome = world.push_one("a", id, region("x", base + 1)).await;
    assert!(
        matches!(&outcome, Outcome::Rejected { code, .. } if code == "customer.not_found"),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_shared_colleague_pulls_the_archive_masked_and_may_not_edit_sensitive_fields() {
    let mut world = World::new().await;
    let id = world.create("a", "张三").await;
    let base = world.version(id).await;
    let phones =
        vec![LabelledPhone { label: PhoneLabel::Mobile, number: Phone::parse("13800138000").unwrap() }];
    let edits = vec![
        FieldEdit { value: FieldValue::Phones(phones), base },
        FieldEdit { value: FieldValue::SharedWith([UserId("c".into())].into()), base },
    ];
    let outcome = world.push_one("a", id, Change::SetFields { edits }).await;
    assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");

    let (changes, _) = pull_all(&world.store, &world.viewer("c"), None).await;
    let [Pulled::Put { customer, masked: true, .. }] = changes.as_slice() else { panic!("{changes:?}") };
    assert!(customer.fields.phones.is_empty());

    let base = world.version(id).await;
    let outcome = world
        .push_one(
            "c",
            id,
            Change::SetFields { edits: vec![FieldEdit { value: FieldValue::Phones(Vec::new()), base }] },
        )
        .await;
    assert!(
        matches!(&outcome, Outcome::Rejected { code, .. } if code == "forbidden.sensitive"),
        "{outcome:?}"
    );
    let visit = Interaction {
        kind: InteractionKind::Visit,
        at: Timestamp(1_700_000_000_000),
        summary: "上门拜访".into(),
        satisfaction: Some(5),
        next_follow_up: None,
    };
    let outcome =
        world.push_one("c", id, Change::PutInteraction { id: ItemId::new(), interaction: visit, base }).await;
    assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
}

#[tokio::test]
async fn every_applied_edit_leaves_an_audit_entry_with_old_and_new_values() {
    let mut world = World::new().await;
    let id = world.create("a", "张三").await;
    let base = world.version(id).await;
    world.push_one("a", id, region("华东", base)).await;
    let entries = world.store.list_audit(&world.viewer("m"), Some(&id.to_string()), 10).await.unwrap();
    let edit = entries.iter().find(|e| e.subject.as_deref() == Some("field:region")).expect("region entry");
    assert_eq!(edit.user, "a");
    assert_eq!(edit.action, "set_fields");
    assert_eq!(edit.old.as_deref(), Some(r#"{"field":"region","value":null}"#));
    assert_eq!(edit.new.as_deref(), Some(r#"{"field":"region","value":"华东"}"#));
    assert!(entries.iter().any(|e| e.action == "create"));
    // The other team's manager sees none of it; a rep may not read the trail.
    assert!(world.store.list_audit(&world.viewer("n"), Some(&id.to_string()), 10).await.unwrap().is_empty());
    assert!(matches!(
        world.store.list_audit(&world.viewer("a"), None, 10).await,
        Err(StoreError::Forbidden(_))
    ));
}

#[tokio::test]
async fn an_unknown_cookie_answers_a_full_reset() {
    let mut world = World::new().await;
    let id = world.create("a", "张三").await;
    let page = world.store.pull(&world.viewer("a"), Some("someone-elses-db.42"), 100).await.unwrap();
    assert!(page.reset);
    assert_eq!(put_ids(&page.changes), [id].into());
}

/// Many pushers and pullers on one database at once: every applied change
/// gets its own version, and no pull ever moves its cookie past a change it
/// has not been given.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_pushes_get_unique_versions_and_pulls_skip_nothing() {
    const PUSHERS: usize = 6;
    const BATCHES: usize = 12;
    let mut world = World::new().await;
    let mut customers = Vec::new();
    for i in 0..PUSHERS {
        customers.push(world.create("a", &format!("客户{i}")).await);
    }
    let store = world.store.clone();
    let a = world.viewer("a");
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));

    let mut pushers = Vec::new();
    for (i, id) in customers.iter().copied().enumerate() {
        let (store, a) = (store.clone(), a.clone());
        pushers.push(tokio::spawn(async move {
            let mut client = Sequencer::new(UserId("a".into()));
            let mut versions = Vec::new();
            for batch in 0..BATCHES {
                let mutations: Vec<_> = (0..3)
                    .map(|k| client.next(id, region(&format!("r{i}-{batch}-{k}"), 0), Timestamp(0)))
                    .collect();
                let reply = store.push(&a, client.client, &mutations, today()).await.unwrap();
                for result in reply.results {
                    match result.outcome {
                        Outcome::Applied { version } | Outcome::Conflict { version, .. } => {
                            versions.push((version, id))
                        }
                        Outcome::Rejected { code, .. } => panic!("rejected: {code}"),
                    }
                }
            }
            versions
        }));
    }
    let mut pullers = Vec::new();
    for _ in 0..2 {
        let (store, a, done) = (store.clone(), a.clone(), done.clone());
        pullers.push(tokio::spawn(async move {
            let mut cookie: Option<String> = None;
            let mut seen: HashMap<CustomerId, u64> = HashMap::new();
            let mut history = Vec::new();
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let page = store.pull(&a, cookie.as_deref(), 5).await.unwrap();
                for change in page.changes {
                    if let Pulled::Put { customer, .. } = change {
                        seen.insert(customer.id, customer.version);
                    }
                }
                let upper = page.cookie.version;
                if let Some(previous) = &cookie {
                    assert!(
                        !page.cookie.is_before(&Cookie::parse(previous).unwrap()),
                        "cookie moved backwards"
                    );
                }
                history.push((upper, seen.clone()));
                cookie = Some(page.cookie.to_string());
                if finished && !page.more {
                    return history;
                }
            }
        }));
    }
    let mut all = Vec::new();
    for pusher in pushers {
        all.extend(pusher.await.unwrap());
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let unique: BTreeSet<u64> = all.iter().map(|(v, _)| *v).collect();
    assert_eq!(unique.len(), all.len(), "two changes share a version");
    assert_eq!(all.len(), PUSHERS * BATCHES * 3);

    for puller in pullers {
        let history = puller.await.unwrap();
        for (upper, seen) in &history {
            for (version, id) in &all {
                if version <= upper {
                    let got = seen.get(id).copied().unwrap_or(0);
                    assert!(
                        got >= *version,
                        "cookie {upper} passed version {version} of {id}, puller had {got}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn a_merge_writes_two_archives_at_one_version_and_a_small_page_keeps_them_together() {
    let mut world = World::new().await;
    let into = world.create("a", "张三").await;
    let from = world.create("a", "张三 (旧)").await;
    let a = world.viewer("a");
    let (_, cookie) = pull_all(&world.store, &a, None).await;
    let base = world.version(from).await;
    let outcome = world.push_one("a", into, Change::Merge { from, base, edits: Vec::new() }).await;
    assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");

    let page = world.store.pull(&a, Some(&cookie), 1).await.unwrap();
    assert_eq!(page.changes.len(), 2, "{:?}", page.changes);
    assert!(page.changes.iter().any(|c| matches!(c, Pulled::Put { customer, .. } if customer.id == into)));
    assert!(page.changes.iter().any(|c| matches!(c, Pulled::Delete { id, .. } if *id == from)));
    let next = world.store.pull(&a, Some(&page.cookie.to_string()), 1).await.unwrap();
    assert!(next.changes.is_empty() && !next.more);
}

/// Forty devices push at once: the server commits them in a few shared
/// transactions, yet each push gets its own answer. A push from a stolen
/// client id and one with a gap are refused in the middle of the crowd
/// without holding the others back, and a batch sent twice at once (a
/// retry racing the original) is taken once and answered the same twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pushes_arriving_together_share_transactions_and_keep_their_own_answers() {
    let mut world = World::new().await;
    let victim = world.create("a", "被盗客户端").await;
    let stolen_client = world.client("a").client;
    let store = world.store.clone();
    let before = store.push_groups();

    let mut tasks = Vec::new();
    for n in 0..40 {
        let user = if n % 2 == 0 { "a" } else { "b" };
        let (store, viewer) = (store.clone(), world.viewer(user));
        let mut client = Sequencer::new(UserId(user.into()));
        let id = CustomerId::new();
        let mut fields =
            domain::archive::Fields::named(domain::CustomerName::parse(&format!("客户{n}")).unwrap());
        fields.owner = Some(UserId(user.into()));
        let batch = vec![
            client.next(id, Change::Create { fields: Box::new(fields) }, Timestamp(0)),
            client.next(id, region(&format!("区{n}"), 0), Timestamp(0)),
        ];
        tasks.push(tokio::spawn(
            async move { (id, store.push(&viewer, client.client, &batch, today()).await) },
        ));
    }
    let (store_b, viewer_b) = (store.clone(), world.viewer("b"));
    let mut thief = Sequencer { client: stolen_client, author: UserId("b".into()), last_seq: 1 };
    let stolen = thief.next(victim, region("偷改", 0), Timestamp(0));
    let theft = tokio::spawn(async move { store_b.push(&viewer_b, stolen_client, &[stolen], today()).await });
    let (store_gap, viewer_a) = (store.clone(), world.viewer("a"));
    let mut skipping = Sequencer::new(UserId("a".into()));
    skipping.last_seq = 9;
    let skipped = skipping.next(victim, region("跳号", 0), Timestamp(0));
    let gap =
        tokio::spawn(async move { store_gap.push(&viewer_a, skipping.client, &[skipped], today()).await });
    let twice = {
        let mut client = Sequencer::new(UserId("a".into()));
        let id = CustomerId::new();
        let mut fields = domain::archive::Fields::named(domain::CustomerName::parse("重发").unwrap());
        fields.owner = Some(UserId("a".into()));
        let batch = vec![client.next(id, Change::Create { fields: Box::new(fields) }, Timestamp(0))];
        let send = |batch: Vec<domain::Mutation>| {
            let (store, viewer, client) = (store.clone(), world.viewer("a"), client.client);
            tokio::spawn(async move { store.push(&viewer, client, &batch, today()).await.unwrap() })
        };
        [send(batch.clone()), send(batch)]
    };

    let mut versions = BTreeSet::new();
    for task in tasks {
        let (id, reply) = task.await.unwrap();
        let reply = reply.unwrap();
        assert_eq!(reply.last_seq, 2);
        for result in &reply.results {
            let Outcome::Applied { version } = result.outcome else { panic!("{id}: {:?}", result.outcome) };
            assert!(versions.insert(version), "version {version} given twice");
        }
    }
    assert!(matches!(theft.await.unwrap(), Err(StoreError::Forbidden(code)) if code == "client.foreign"));
    assert!(matches!(gap.await.unwrap(), Err(StoreError::SequenceGap { expected: 1, got: 10 })));
    let [first, second] = twice;
    let (first, second) = (first.await.unwrap(), second.await.unwrap());
    assert_eq!(first, second, "a retry racing the original gets the same answer");

    let groups = store.push_groups();
    let (commits, pushes) = (groups.commits - before.commits, groups.pushes - before.pushes);
    println!("{pushes} pushes in {commits} transactions");
    assert!(pushes >= 41, "forty devices and the batch sent twice, at least once in a commit: {pushes}");
    assert!(commits * 4 <= pushes, "{pushes} pushes took {commits} transactions");
    let admin = world.viewer("root");
    let (changes, _) = pull_all(&store, &admin, None).await;
    assert_eq!(put_ids(&changes).len(), 42, "the victim, forty new archives and the one sent twice");
}
