//! Running the team: role and team changes, the handover selection, the
//! team overview, the reason a reassignment carries, sign-in and sync times.

use std::collections::BTreeSet;

use domain::Change;
use domain::ids::{CustomerId, UserId};
use domain::policy::{Role, Viewer};
use domain::sync::Pulled;
use domain::views::Selection;
use store::{Outcome, SessionLimits};

use crate::support::World;

async fn pull_all(world: &World, viewer: &Viewer, cookie: Option<String>) -> (Vec<Pulled>, String, bool) {
    crate::support::pull_pages(&world.store, viewer, cookie, 50).await
}

use crate::support::put_ids as puts;

fn deletes(changes: &[Pulled]) -> BTreeSet<CustomerId> {
    changes
        .iter()
        .filter_map(|c| match c {
            Pulled::Delete { id, .. } => Some(*id),
            Pulled::Put { .. } => None,
        })
        .collect()
}

fn user(name: &str) -> UserId {
    UserId(name.into())
}

#[tokio::test]
async fn a_rep_moved_to_another_team_takes_their_archives_and_the_old_team_drops_them() {
    let mut world = World::new().await;
    let (first, second) = (world.create("a", "张三").await, world.create("a", "李四").await);
    let stays = world.create("b", "王五").await;
    let (m, n) = (world.viewer("m"), world.viewer("n"));
    let (seen_by_m, m_cookie, _) = pull_all(&world, &m, None).await;
    assert_eq!(puts(&seen_by_m), [first, second, stays].into());
    let (seen_by_n, n_cookie, _) = pull_all(&world, &n, None).await;
    assert!(puts(&seen_by_n).is_empty());
    let a_before = world.viewer("a");
    let (_, a_cookie, _) = pull_all(&world, &a_before, None).await;

    let moved =
        world.store.set_role_and_team(&user("root"), &user("a"), Role::Rep, Some(" south ")).await.unwrap();
    assert_eq!(moved.team.as_deref(), Some("south"));

    // North's manager is told to drop both; south's gets them.
    let (m_changes, _, m_reset) = pull_all(&world, &m, Some(m_cookie)).await;
    assert!(!m_reset);
    assert_eq!(deletes(&m_changes), [first, second].into());
    let (n_changes, _, _) = pull_all(&world, &n, Some(n_cookie)).await;
    assert_eq!(puts(&n_changes), [first, second].into());
    // A rep sees their own archives in any team: no need to start over.
    let a_after = Viewer { team: Some("south".into()), ..a_before };
    let (a_changes, _, a_reset) = pull_all(&world, &a_after, Some(a_cookie)).await;
    assert!(!a_reset, "a rep's scope did not change");
    assert_eq!(puts(&a_changes), [first, second].into(), "the new versions reach a's devices");

    // Edits after the move land in the new team.
    let base = world.version(first).await;
    let outcome = world.push_one("a", first, Change::AddTag { tag: "搬家".into(), base }).await;
    assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    let teams = world.store.teams(&world.viewer("root")).await.unwrap();
    let south = teams.iter().find(|t| t.name == "south").unwrap();
    let kept: Vec<(&str, u32)> = south.members.iter().map(|(u, n)| (u.id.0.as_str(), *n)).collect();
    assert_eq!(kept, [("n", 0), ("a", 2), ("c", 0)], "managers first, then reps, with what each keeps");
    let audit = world.store.list_audit(&world.viewer("root"), None, 100).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "user_role_team" && e.user == "root"), "{audit:?}");
}

#[tokio::test]
async fn a_manager_moved_to_another_team_starts_their_archive_over() {
    let mut world = World::new().await;
    let north = world.create("a", "张三").await;
    let south = world.create("c", "赵六").await;
    let m = world.viewer("m");
    let (changes, cookie, _) = pull_all(&world, &m, None).await;
    assert_eq!(puts(&changes), [north].into());

    world.store.set_role_and_team(&user("root"), &user("m"), Role::Manager, Some("south")).await.unwrap();
    let moved = Viewer { team: Some("south".into()), ..m };
    let (changes, _, reset) = pull_all(&world, &moved, Some(cookie)).await;
    assert!(reset, "what m may see changed: the device starts over");
    assert_eq!(puts(&changes), [south].into());
}

#[tokio::test]
async fn a_handover_selection_holds_only_what_the_runner_sees_in_full() {
    let mut world = World::new().await;
    let a1 = world.create("a", "甲一").await;
    let a2 = world.create("a", "甲二").await;
    world.create("b", "乙一").await;
    let c1 = world.create("c", "丙一").await;
    let ids = |found: Vec<(CustomerId, u64)>| found.into_iter().map(|(id, _)| id).collect::<BTreeSet<_>>();

    let from_a = Selection { keeper: Some(user("a")), ..Selection::default() };
    assert_eq!(
        ids(world.store.select_for_handover(&world.viewer("m"), &from_a).await.unwrap()),
        [a1, a2].into()
    );
    // South's manager does not reach north's archives, by keeper or by id.
    assert!(world.store.select_for_handover(&world.viewer("n"), &from_a).await.unwrap().is_empty());
    let by_id = Selection { ids: vec![a1.to_string(), c1.to_string()], ..Selection::default() };
    assert_eq!(ids(world.store.select_for_handover(&world.viewer("n"), &by_id).await.unwrap()), [c1].into());
    assert_eq!(
        ids(world.store.select_for_handover(&world.viewer("root"), &by_id).await.unwrap()),
        [a1, c1].into()
    );
    // A filter narrows it.
    let vip = Selection { category: Some("vip".into()), ..from_a };
    assert!(world.store.select_for_handover(&world.viewer("m"), &vip).await.unwrap().is_empty());
    // Teams: a manager sees only their own.
    let teams = world.store.teams(&world.viewer("m")).await.unwrap();
    assert_eq!(teams.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["north"]);
    assert!(world.store.teams(&world.viewer("a")).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_reassignment_keeps_its_reason_in_the_audit_trail_and_a_long_one_is_refused() {
    let mut world = World::new().await;
    let id = world.create("a", "张三").await;
    let base = world.version(id).await;
    let too_long = Change::Reassign {
        pool: None,
        owner: Some(user("b")),
        base,
        reason: Some("长".repeat(101)),
        over_limit: false,
    };
    let outcome = world.push_one("m", id, too_long).await;
    assert!(
        matches!(&outcome, Outcome::Rejected { errors, .. } if errors[0].code == "reason.too_long"),
        "{outcome:?}"
    );

    let change = Change::Reassign {
        pool: None,
        owner: Some(user("b")),
        base,
        reason: Some("离职交接".into()),
        over_limit: false,
    };
    let outcome = world.push_one("m", id, change).await;
    assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    let audit = world.store.list_audit(&world.viewer("m"), Some(&id.to_string()), 10).await.unwrap();
    let entry = audit.iter().find(|e| e.action == "reassign").expect("the reassignment is audited");
    assert_eq!(entry.subject.as_deref(), Some("field:owner"));
    assert_eq!(entry.reason.as_deref(), Some("离职交接"));
    assert!(entry.new.as_deref().is_some_and(|new| new.contains("\"b\"")), "{entry:?}");
}

#[tokio::test]
async fn sign_in_and_sync_times_are_noted_for_the_users_page() {
    let world = World::new().await;
    let a = world.store.user(&user("a")).await.unwrap();
    assert_eq!((a.last_sign_in, a.last_sync), (None, None));
    let limits = SessionLimits { idle_ms: 60_000, absolute_ms: 120_000 };
    world.store.create_session(&user("a"), limits).await.unwrap();
    world.store.note_sync(&a).await.unwrap();
    let a = world.store.user(&user("a")).await.unwrap();
    let (signed_in, synced) = (a.last_sign_in.expect("noted"), a.last_sync.expect("noted"));
    assert!(signed_in <= synced);
    // Within the grain a second pull writes nothing.
    world.store.note_sync(&a).await.unwrap();
    assert_eq!(world.store.user(&user("a")).await.unwrap().last_sync, Some(synced));
}

#[tokio::test]
async fn a_records_history_has_old_and_new_values_and_stays_masked_for_a_colleague_it_is_shared_with() {
    use domain::archive::{FieldValue, Fields, LabelledPhone, PhoneLabel};
    use domain::mutation::FieldEdit;
    use domain::{CustomerName, Phone};

    let mut world = World::new().await;
    let id = CustomerId::new();
    let mut fields = Fields::named(CustomerName::parse("张三").unwrap());
    fields.owner = Some(user("a"));
    let mobile =
        |n: &str| vec![LabelledPhone { label: PhoneLabel::Mobile, number: Phone::parse(n).unwrap() }];
    fields.phones = mobile("13812345678");
    let outcome = world.push_one("a", id, Change::Create { fields: Box::new(fields) }).await;
    assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    let edit = |value: FieldValue, base: u64| Change::SetFields { edits: vec![FieldEdit { value, base }] };
    let base = world.version(id).await;
    world.push_one("a", id, edit(FieldValue::SharedWith([user("b")].into()), base)).await;
    let base = world.version(id).await;
    world.push_one("a", id, edit(FieldValue::Phones(mobile("13987654321")), base)).await;
    let base = world.version(id).await;
    world.push_one("a", id, edit(FieldValue::Region(Some("华东".into())), base)).await;

    let (full, audited) =
        world.store.customer_history(&world.viewer("a"), &id.to_string()).await.unwrap().unwrap();
    assert!(!audited, "the keeper reading their own archive is not a sensitive view");
    assert_eq!(full[0].subject.as_deref(), Some("field:region"), "newest first");
    let phones = full.iter().find(|e| e.subject.as_deref() == Some("field:phones")).unwrap();
    assert!(
        phones.old.as_deref().unwrap().contains("13812345678")
            && phones.new.as_deref().unwrap().contains("13987654321")
    );
    assert_eq!(full.last().unwrap().action, "create");

    // b sees the archive through sharing, masked: no number anywhere.
    let (masked, _) =
        world.store.customer_history(&world.viewer("b"), &id.to_string()).await.unwrap().unwrap();
    assert_eq!(masked.len(), full.len());
    let text = serde_json::to_string(&masked).unwrap();
    assert!(!text.contains("1381234") && !text.contains("1398765"), "{text}");
    assert!(text.contains("华东"), "what is not sensitive stays");
    // c does not see it at all; the manager reads it in full, and is audited.
    assert!(world.store.customer_history(&world.viewer("c"), &id.to_string()).await.unwrap().is_none());
    let (_, audited) =
        world.store.customer_history(&world.viewer("m"), &id.to_string()).await.unwrap().unwrap();
    assert!(audited);
}

#[tokio::test]
async fn the_audit_trail_is_filtered_by_person_action_and_day() {
    use domain::views::AuditFilter;
    let mut world = World::new().await;
    let first = world.create("a", "张三").await;
    world.create("b", "李四").await;
    let base = world.version(first).await;
    world
        .push_one(
            "m",
            first,
            Change::Reassign {
                pool: None,
                owner: Some(user("b")),
                base,
                reason: Some("调整".into()),
                over_limit: false,
            },
        )
        .await;
    let m = world.viewer("m");
    let search = |filter: AuditFilter| {
        let (store, m) = (&world.store, &m);
        async move { store.search_audit(m, &filter).await.unwrap() }
    };
    let by_b = search(AuditFilter { user: Some("b".into()), ..AuditFilter::default() }).await;
    assert!(!by_b.is_empty() && by_b.iter().all(|e| e.user == "b"));
    let moves = search(AuditFilter { action: Some("reassign".into()), ..AuditFilter::default() }).await;
    assert_eq!(moves.len(), 1);
    assert_eq!(moves[0].reason.as_deref(), Some("调整"));
    let today = domain::time::Timestamp(store::now_millis()).local_date();
    let yesterday = domain::time::Date::from_days_since_epoch(today.days_since_epoch() - 1);
    let since_today = search(AuditFilter { from: Some(today), ..AuditFilter::default() }).await;
    assert_eq!(since_today.len(), search(AuditFilter::default()).await.len());
    assert!(search(AuditFilter { to: Some(yesterday), ..AuditFilter::default() }).await.is_empty());
    assert_eq!(
        search(AuditFilter { to: Some(today), ..AuditFilter::default() }).await.len(),
        since_today.len()
    );
    // Reps read no audit trail.
    assert!(world.store.search_audit(&world.viewer("a"), &AuditFilter::default()).await.is_err());
}
