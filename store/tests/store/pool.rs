//! The public pool: who sees it, claims and their rules, releases,
//! recycling by rule, and one runner per job.

use std::collections::BTreeMap;

use domain::archive::{Fields, LabelledPhone, PhoneLabel};
use domain::ids::{ClientId, CustomerId, UserId};
use domain::mutation::Sequencer;
use domain::policy::{Role, Viewer};
use domain::pool::{PoolRules, RecycleRule, Silence};
use domain::sync::Pulled;
use domain::time::{Date, Timestamp};
use domain::{Change, CustomerName, Phone};
use store::{InitialPassword, JobTurn, NewUser, Outcome};

use crate::support::{World, pull_pages, today};

fn release(base: u64, pool: Option<&str>) -> Change {
    Change::Reassign {
        owner: None,
        base,
        reason: Some("客户不再跟进".into()),
        pool: pool.map(Into::into),
        over_limit: false,
    }
}

fn refusal(outcome: &Outcome) -> (&str, Option<&str>, Option<&str>) {
    match outcome {
        Outcome::Rejected { code, errors, by } => {
            (code.as_str(), errors.first().map(|e| e.code.as_str()), by.as_ref().map(|u| u.0.as_str()))
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn applied(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Applied { .. })
}

/// An archive kept by `owner` with a mobile number, released into `pool`.
async fn released(world: &mut World, owner: &str, pool: Option<&str>) -> CustomerId {
    let id = CustomerId::new();
    let mut fields = Fields::named(CustomerName::parse("王小明").unwrap());
    fields.owner = Some(UserId(owner.into()));
    fields.phones =
        vec![LabelledPhone { label: PhoneLabel::Mobile, number: Phone::parse("13800138000").unwrap() }];
    assert!(applied(&world.push_one(owner, id, Change::Create { fields: Box::new(fields) }).await));
    let base = world.version(id).await;
    let outcome = world.push_one(owner, id, release(base, pool)).await;
    assert!(applied(&outcome), "{outcome:?}");
    id
}

async fn set_rules(world: &World, pool: Option<&str>, rules: PoolRules) {
    world.store.save_pool_rules(&world.viewer("root"), pool, &rules).await.unwrap();
}

fn day(s: &str) -> Date {
    Date::parse_field(s, "day").unwrap()
}

#[tokio::test]
async fn a_team_pool_is_pulled_masked_by_its_reps_and_a_claim_brings_the_whole_archive() {
    let mut world = World::new().await;
    let id = released(&mut world, "a", Some("north")).await;

    let (b_pulled, b_cookie, _) = pull_pages(&world.store, &world.viewer("b"), None, 100).await;
    let Some(Pulled::Put { customer, masked, .. }) = b_pulled.first() else { panic!("{b_pulled:?}") };
    assert!(*masked, "a pool archive is masked until claimed");
    assert!(customer.fields.phones.is_empty(), "the mobile stays hidden: {:?}", customer.fields.phones);
    assert_eq!((customer.fields.owner.as_ref(), customer.pool.as_deref()), (None, Some("north")));
    let (c_pulled, _, _) = pull_pages(&world.store, &world.viewer("c"), None, 100).await;
    assert!(c_pulled.is_empty(), "south does not see north's pool: {c_pulled:?}");
    let found = world.store.customer_for(&world.viewer("c"), &id.to_string()).await.unwrap();
    assert!(found.is_none());

    // From the pool a rep may only claim.
    let base = world.version(id).await;
    let tag = world.push_one("b", id, Change::AddTag { tag: "想要".into(), base }).await;
    assert_eq!(refusal(&tag).0, "forbidden");
    assert!(applied(&world.push_one("b", id, Change::Claim { base }).await));
    let (after, _, _) = pull_pages(&world.store, &world.viewer("b"), Some(b_cookie), 100).await;
    let Some(Pulled::Put { customer, masked, .. }) = after.first() else { panic!("{after:?}") };
    assert!(!masked);
    assert_eq!(customer.fields.phones.len(), 1, "the keeper sees the mobile");
    assert_eq!(customer.fields.owner, Some(UserId("b".into())));
    assert_eq!(customer.kept_since, Some(today()));
}

#[tokio::test]
async fn a_pool_an_admin_adds_is_seen_and_claimed_from_by_every_team_under_its_own_rules() {
    let mut world = World::new().await;
    let rules = PoolRules { daily_claims: Some(1), ..PoolRules::default() };
    let forbidden = world.store.save_pool_rules(&world.viewer("m"), Some("*大客户"), &rules).await;
    assert!(matches!(forbidden, Err(store::StoreError::Forbidden(_))), "added pools are the admins'");
    set_rules(&world, Some("*大客户"), rules).await;
    let id = released(&mut world, "a", Some("*大客户")).await;
    let other = released(&mut world, "a", Some("*大客户")).await;

    // South's rep sees it, masked, and claims it under that pool's own cap.
    let (c_pulled, _, _) = pull_pages(&world.store, &world.viewer("c"), None, 100).await;
    assert_eq!(crate::support::put_ids(&c_pulled), [id, other].into());
    assert!(c_pulled.iter().all(|p| matches!(p, Pulled::Put { masked: true, .. })));
    let base = world.version(id).await;
    assert!(applied(&world.push_one("c", id, Change::Claim { base }).await));
    let base = world.version(other).await;
    assert_eq!(refusal(&world.push_one("c", other, Change::Claim { base }).await).1, Some("pool.daily_cap"));

    // No team may take a name that reads as an added pool.
    let taken = world
        .store
        .set_role_and_team(&UserId("root".into()), &UserId("b".into()), Role::Rep, Some("*大客户"))
        .await;
    assert!(matches!(taken, Err(store::StoreError::Invalid(e)) if e.code == "team.reserved"));
}

#[tokio::test]
async fn a_claim_leaving_the_pool_drops_the_archive_from_the_other_reps_devices() {
    let mut world = World::new().await;
    let id = released(&mut world, "a", None).await;
    let (c_pulled, c_cookie, _) = pull_pages(&world.store, &world.viewer("c"), None, 100).await;
    assert_eq!(crate::support::put_ids(&c_pulled), [id].into(), "everyone sees the company pool");
    let base = world.version(id).await;
    assert!(applied(&world.push_one("b", id, Change::Claim { base }).await));
    let (c_after, _, _) = pull_pages(&world.store, &world.viewer("c"), Some(c_cookie), 100).await;
    assert!(matches!(c_after.as_slice(), [Pulled::Delete { id: gone, .. }] if *gone == id), "{c_after:?}");
}

#[tokio::test]
async fn twenty_reps_claiming_one_archive_at_once_leave_one_keeper_and_nineteen_refusals_naming_them() {
    let mut world = World::new().await;
    for n in 0..20 {
        world
            .store
            .create_user(&NewUser {
                username: format!("r{n}"),
                display_name: format!("Rep {n}"),
                role: Role::Rep,
                team: Some("north".into()),
                password: InitialPassword::Hashed(store::HashedPassword::new("twenty reps claim").unwrap()),
            })
            .await
            .unwrap();
    }
    let id = released(&mut world, "a", Some("north")).await;
    let base = world.version(id).await;
    let claims = (0..20).map(|n| {
        let store = world.store.clone();
        let user = UserId(format!("r{n}"));
        tokio::spawn(async move {
            let viewer = Viewer { user: user.clone(), role: Role::Rep, team: Some("north".into()) };
            let mut client = Sequencer::new(user);
            let claim = client.next(id, Change::Claim { base }, Timestamp(1_700_000_000_000));
            let reply = store.push(&viewer, client.client, &[claim], today()).await.unwrap();
            (viewer.user, reply.results[0].outcome.clone(), reply.names)
        })
    });
    let mut outcomes = Vec::new();
    for claim in claims {
        outcomes.push(claim.await.unwrap());
    }
    let winners: Vec<&UserId> = outcomes.iter().filter(|(_, o, _)| applied(o)).map(|(u, _, _)| u).collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
    let winner = winners[0].0.as_str();
    let winner_name = format!("Rep {}", &winner[1..]);
    for (_, outcome, names) in outcomes.iter().filter(|(_, o, _)| !applied(o)) {
        assert_eq!(refusal(outcome), ("pool.claimed", None, Some(winner)));
        assert_eq!(names.get(winners[0]), Some(&winner_name), "the refusal brings the name to show");
    }
    let (kept, _) = world.store.customer_for(&world.viewer("root"), &id.to_string()).await.unwrap().unwrap();
    assert_eq!(kept.fields.owner.as_ref().map(|u| u.0.as_str()), Some(winner));
}

#[tokio::test]
async fn claims_stop_at_the_daily_cap_and_the_hold_limit_but_exempt_categories_do_not_count() {
    let mut world = World::new().await;
    set_rules(
        &world,
        Some("north"),
        PoolRules { daily_claims: Some(2), hold_limit: Some(3), ..PoolRules::default() },
    )
    .await;
    let mut pooled = Vec::new();
    for _ in 0..4 {
        pooled.push(released(&mut world, "a", Some("north")).await);
    }
    world.create("b", "已有客户").await;
    let claim = async |world: &mut World, id: CustomerId| {
        let base = world.version(id).await;
        world.push_one("b", id, Change::Claim { base }).await
    };
    assert!(applied(&claim(&mut world, pooled[0]).await));
    assert!(applied(&claim(&mut world, pooled[1]).await));
    assert_eq!(refusal(&claim(&mut world, pooled[2]).await), ("pool.rules", Some("pool.daily_cap"), None));

    // A new day, but b keeps three now.
    set_rules(
        &world,
        Some("north"),
        PoolRules { daily_claims: None, hold_limit: Some(3), ..PoolRules::default() },
    )
    .await;
    assert_eq!(refusal(&claim(&mut world, pooled[2]).await), ("pool.rules", Some("pool.hold_limit"), None));
    let mut exempt = PoolRules { daily_claims: None, hold_limit: Some(3), ..PoolRules::default() };
    exempt.exempt_categories.insert("regular".into());
    set_rules(&world, Some("north"), exempt).await;
    assert!(applied(&claim(&mut world, pooled[2]).await), "regular customers do not count toward the limit");
}

#[tokio::test]
async fn a_manager_assigning_out_of_the_pool_is_held_to_the_hold_limit_unless_going_past_it_with_a_reason() {
    let mut world = World::new().await;
    set_rules(&world, Some("north"), PoolRules { hold_limit: Some(1), ..PoolRules::default() }).await;
    world.create("b", "已有客户").await;
    let id = released(&mut world, "a", Some("north")).await;
    let assign = |base: u64, over_limit: bool, reason: Option<&str>| Change::Reassign {
        owner: Some(UserId("b".into())),
        base,
        reason: reason.map(Into::into),
        pool: None,
        over_limit,
    };
    let base = world.version(id).await;
    let full = world.push_one("m", id, assign(base, false, Some("分给小王"))).await;
    assert_eq!(refusal(&full), ("pool.rules", Some("keeper.over_hold_limit"), None));
    let Outcome::Rejected { errors, .. } = &full else { unreachable!() };
    assert_eq!(errors[0].limit, Some(1), "the message names the limit");
    let unexplained = world.push_one("m", id, assign(base, true, None)).await;
    assert_eq!(refusal(&unexplained), ("invalid", Some("reason.required"), None));

    let past = world.push_one("m", id, assign(base, true, Some("大客户，小王最熟"))).await;
    assert!(applied(&past), "{past:?}");
    let (kept, _) = world.store.customer_for(&world.viewer("root"), &id.to_string()).await.unwrap().unwrap();
    assert_eq!(kept.fields.owner, Some(UserId("b".into())));
    let trail = world
        .store
        .search_audit(
            &world.viewer("m"),
            &store::AuditFilter {
                action: Some("reassign_over_limit".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(trail.len(), 1, "going past the limit is found in the audit trail: {trail:?}");
    assert_eq!(trail[0].reason.as_deref(), Some("大客户，小王最熟"));

    // Someone with room takes one without a word about limits.
    let other = released(&mut world, "b", Some("north")).await;
    let base = world.version(other).await;
    let to_a = Change::Reassign {
        owner: Some(UserId("a".into())),
        base,
        reason: Some("从公海分配".into()),
        pool: None,
        over_limit: false,
    };
    assert!(applied(&world.push_one("m", other, to_a).await));
}

#[tokio::test]
async fn a_rep_who_released_an_archive_waits_out_the_cooldown_before_claiming_it_again() {
    let mut world = World::new().await;
    set_rules(&world, Some("north"), PoolRules { cooldown_days: 30, ..PoolRules::default() }).await;
    let id = released(&mut world, "a", Some("north")).await;
    let base = world.version(id).await;
    let again = world.push_one("a", id, Change::Claim { base }).await;
    assert_eq!(refusal(&again), ("pool.rules", Some("pool.cooldown"), None));
    let Outcome::Rejected { errors, .. } = &again else { unreachable!() };
    assert_eq!(errors[0].limit, Some(30), "the days still to wait");
    assert!(applied(&world.push_one("b", id, Change::Claim { base }).await), "another rep may");
}

fn quiet_for(days: u32) -> PoolRules {
    let rule = RecycleRule {
        silence: Silence::NoInteraction,
        days,
        days_by_category: BTreeMap::from([("vip".to_owned(), days * 3)]),
        stages: Default::default(),
        categories: Default::default(),
        tags: Default::default(),
    };
    PoolRules { recycle: vec![rule], protection_days: 0, ..PoolRules::default() }
}

#[tokio::test]
async fn the_recycle_run_sends_back_what_is_due_once_and_warns_of_what_comes_within_a_week() {
    let mut world = World::new().await;
    set_rules(&world, Some("north"), quiet_for(30)).await;
    let due = world.create("a", "久未联系").await;
    let south = world.create("c", "南方客户").await; // south has no rules
    // Taken five days later: its window ends after the run, within a week.
    let later = CustomerId::new();
    let mut fields = Fields::named(CustomerName::parse("下周到期").unwrap());
    fields.owner = Some(UserId("b".into()));
    let create = world.mutation("b", later, Change::Create { fields: Box::new(fields) });
    let client = world.client("b").client;
    world.store.push(&world.viewer("b"), client, &[create], day("2026-11-28")).await.unwrap();

    let on = day("2026-12-24"); // 31 days after the archives were created
    let preview = world.store.recycle(on, true).await.unwrap();
    let ids = |c: &[store::RecycleCandidate]| c.iter().map(|c| c.customer).collect::<Vec<_>>();
    assert_eq!((ids(&preview.due), ids(&preview.warned), preview.recycled), (vec![due], vec![later], 0));
    let (still, _) =
        world.store.customer_for(&world.viewer("root"), &due.to_string()).await.unwrap().unwrap();
    assert!(still.fields.owner.is_some(), "a dry run changes nothing");

    let run = world.store.recycle(on, false).await.unwrap();
    assert_eq!((run.recycled, run.spared), (1, 0));
    let (gone, _) = world.store.customer_for(&world.viewer("root"), &due.to_string()).await.unwrap().unwrap();
    assert_eq!((gone.fields.owner, gone.pool.as_deref()), (None, Some("north")));
    let again = world.store.recycle(on, false).await.unwrap();
    assert_eq!((again.due.len(), again.recycled), (0, 0), "a second run finds nothing more");
    let (south_kept, _) =
        world.store.customer_for(&world.viewer("root"), &south.to_string()).await.unwrap().unwrap();
    assert!(south_kept.fields.owner.is_some());

    // Its keeper lost it: the cool-down holds them off; it is audited as the system's.
    let base = world.version(due).await;
    assert_eq!(refusal(&world.push_one("a", due, Change::Claim { base }).await).1, Some("pool.cooldown"));
    let audit = world.store.list_audit(&world.viewer("root"), None, 100).await.unwrap();
    assert!(
        audit.iter().any(|e| e.user == store::SYSTEM_USER && e.customer.as_deref() == Some(&due.to_string()))
    );
}

#[tokio::test]
async fn a_contract_end_rule_sends_back_an_archive_whose_contract_ended_and_was_not_renewed() {
    let mut world = World::new().await;
    let ended = RecycleRule {
        silence: Silence::OrderEnded,
        days: 30,
        days_by_category: Default::default(),
        stages: Default::default(),
        categories: Default::default(),
        tags: Default::default(),
    };
    set_rules(
        &world,
        Some("north"),
        PoolRules { recycle: vec![ended], protection_days: 0, ..PoolRules::default() },
    )
    .await;
    let from_today = |days: i64| Date::from_days_since_epoch(today().days_since_epoch() + days);
    let contract = |ends: Date| domain::archive::Order {
        product: "年度维保".into(),
        quantity: 1,
        amount: domain::money::Money::parse("3000", domain::money::Currency::cny()).unwrap(),
        date: from_today(-400),
        channel: None,
        ends_on: Some(ends),
    };
    let lapsed = world.create("a", "合同已到期").await;
    let renewed = world.create("a", "已续签").await;
    let without = world.create("a", "无合同").await;
    for (id, ends) in [(lapsed, from_today(-34)), (renewed, from_today(-34)), (renewed, from_today(365))] {
        let base = world.version(id).await;
        let order = Change::PutOrder { id: domain::ids::ItemId::new(), order: contract(ends), base };
        assert!(applied(&world.push_one("a", id, order).await));
    }
    // Its keeper took it today: the window counts from then, not from the end before.
    assert!(world.store.recycle(from_today(29), true).await.unwrap().due.is_empty());
    let run = world.store.recycle(from_today(30), false).await.unwrap();
    let due: Vec<_> = run.due.iter().map(|c| c.customer).collect();
    assert_eq!(due, vec![lapsed], "the renewed one ends next year; {without} has no contract");
    assert_eq!(run.recycled, 1);
}

#[tokio::test]
async fn a_recycle_that_is_no_longer_due_is_refused() {
    let mut world = World::new().await;
    set_rules(&world, Some("north"), quiet_for(30)).await;
    let id = world.create("a", "刚联系过").await;
    let system = UserId(store::SYSTEM_USER.into());
    let viewer = Viewer { user: system.clone(), role: Role::Admin, team: None };
    let mut client = Sequencer { client: ClientId::new(), author: system, last_seq: 0 };
    let recycle = client.next(
        id,
        Change::Recycle { keeper: UserId("a".into()), pool: Some("north".into()), rule: 0, base: 0 },
        Timestamp(0),
    );
    let reply = world.store.push(&viewer, client.client, &[recycle], day("2026-12-01")).await.unwrap();
    assert_eq!(refusal(&reply.results[0].outcome).0, "pool.not_due");
}

#[tokio::test]
async fn only_those_who_run_a_pool_set_its_rules_and_devices_get_them_with_their_pull() {
    let world = World::new().await;
    let rules = quiet_for(60);
    let forbidden = |r: Result<_, store::StoreError>| matches!(r, Err(store::StoreError::Forbidden(_)));
    assert!(forbidden(world.store.save_pool_rules(&world.viewer("a"), Some("north"), &rules).await));
    assert!(forbidden(world.store.save_pool_rules(&world.viewer("m"), Some("south"), &rules).await));
    assert!(forbidden(world.store.save_pool_rules(&world.viewer("m"), None, &rules).await));
    let saved = world.store.save_pool_rules(&world.viewer("m"), Some("north"), &rules).await.unwrap();
    assert_eq!(saved.rules(Some("north")), rules);
    let page = world.store.pull(&world.viewer("a"), None, 100).await.unwrap();
    assert_eq!(page.pool_rules.map(|p| p.rules(Some("north"))), Some(rules));
    let zero = PoolRules { recycle: quiet_for(0).recycle, ..PoolRules::default() };
    let refused = world.store.save_pool_rules(&world.viewer("root"), None, &zero).await;
    assert!(matches!(refused, Err(store::StoreError::Invalid(e)) if e.code == "company.window_zero"));
}

#[tokio::test]
async fn one_server_at_a_time_runs_a_daily_job_and_a_restart_does_not_run_it_twice() {
    let world = World::new().await;
    let hour = 3_600_000;
    assert_eq!(world.store.take_job("recycle", "s1", hour, today()).await.unwrap(), JobTurn::Run);
    assert_eq!(world.store.take_job("recycle", "s2", hour, today()).await.unwrap(), JobTurn::Busy);
    // The holder itself restarting takes its own lease again.
    assert_eq!(world.store.take_job("recycle", "s1", hour, today()).await.unwrap(), JobTurn::Run);
    world.store.finish_job("recycle", "s1", today(), "recycle: candidates=0 warned=0").await.unwrap();
    assert_eq!(world.store.take_job("recycle", "s2", hour, today()).await.unwrap(), JobTurn::DoneToday);
    let tomorrow = day("2026-11-24");
    assert_eq!(world.store.take_job("recycle", "s2", hour, tomorrow).await.unwrap(), JobTurn::Run);
    // A lease that ran out (its holder died) is taken over.
    assert_eq!(world.store.take_job("other", "s1", -1, today()).await.unwrap(), JobTurn::Run);
    assert_eq!(world.store.take_job("other", "s2", hour, today()).await.unwrap(), JobTurn::Run);
}
