//! Workflow rules: each trigger fires once per occasion, its actions are
//! the rule's own mutations through the push path, and chains stop.

use domain::Change;
use domain::archive::{
    Feedback, FeedbackKind, FeedbackStatus, FieldName, FieldValue, LifecycleStage, Order, Severity, TaskKind,
};
use domain::care::Template;
use domain::ids::{CustomerId, ItemId, UserId};
use domain::money::{Currency, Money};
use domain::mutation::FieldEdit;
use domain::rules::{Action, Condition, DateField, Every, Rule, RunState, Trigger};
use domain::time::{Date, Timestamp};
use store::Outcome;

use crate::support::{World, today};

fn day(s: &str) -> Date {
    Date::parse_field(s, "day").unwrap()
}

fn rule(id: &str, trigger: Trigger, actions: Vec<Action>) -> Rule {
    Rule { id: id.into(), name: format!("规则 {id}"), enabled: true, trigger, conditions: vec![], actions }
}

fn follow_up_in(days: u16) -> Action {
    Action::CreateTask { task: TaskKind::FollowUp, in_days: days, note: "回访".into(), for_manager: false }
}

fn order() -> Change {
    let order = Order {
        product: "空调".into(),
        quantity: 1,
        amount: Money { minor: 3_000_00, currency: Currency::cny() },
        date: today(),
        channel: None,
        ends_on: None,
    };
    Change::PutOrder { id: ItemId::new(), order, base: 0 }
}

async fn save(world: &World, rule: &Rule) {
    world.store.save_rule(&world.viewer("root"), rule).await.unwrap();
}

/// The archive as an admin reads it.
async fn archive(world: &World, id: CustomerId) -> domain::archive::Customer {
    world.store.customer_for(&world.viewer("root"), &id.to_string()).await.unwrap().unwrap().0
}

#[tokio::test]
async fn an_added_order_gives_the_keeper_a_follow_up_task_once_as_the_rules_own_change() {
    let mut world = World::new().await;
    save(&world, &rule("order-follow-up", Trigger::OrderAdded, vec![follow_up_in(7)])).await;
    let id = world.create("a", "王芳").await;
    assert!(matches!(world.push_one("a", id, order()).await, Outcome::Applied { .. }));
    let (_, cookie, _) = crate::support::pull_pages(&world.store, &world.viewer("a"), None, 100).await;

    let carried = world.store.carry_out_rules("server one").await.unwrap();
    assert_eq!((carried.done, carried.changes), (1, 1), "{carried:?}");
    let customer = archive(&world, id).await;
    let tasks: Vec<_> = customer.tasks.values().collect();
    assert_eq!(tasks.len(), 1);
    let task = tasks[0].value();
    assert_eq!(task.due, Date::from_days_since_epoch(today().days_since_epoch() + 7));
    assert_eq!(task.kind, TaskKind::FollowUp);
    assert_eq!(tasks[0].added_by, UserId("rule:order-follow-up".into()), "authored by the rule");

    // Carried out again (a second server, a restart): nothing more.
    let again = world.store.carry_out_rules("server two").await.unwrap();
    assert_eq!(again.done + again.skipped + again.failed, 0);
    assert_eq!(archive(&world, id).await.tasks.len(), 1);

    // The rep's device pulls it like any change.
    let (pulled, _, _) =
        crate::support::pull_pages(&world.store, &world.viewer("a"), Some(cookie), 100).await;
    assert!(crate::support::put_ids(&pulled).contains(&id));

    let log = world.store.rule_log(&world.viewer("root"), "order-follow-up").await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].state, log[0].changes), (RunState::Done, 1));
    assert_eq!(log[0].name, "王芳");
    // A rep may not read or change rules.
    assert!(world.store.rule_log(&world.viewer("a"), "order-follow-up").await.is_err());
    assert!(
        world
            .store
            .save_rule(&world.viewer("a"), &rule("x", Trigger::OrderAdded, vec![follow_up_in(1)]))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn conditions_decide_and_a_skip_is_logged_with_its_reason() {
    let mut world = World::new().await;
    let mut vip_only = rule("vip-orders", Trigger::OrderAdded, vec![Action::AddTag { tag: "大单".into() }]);
    vip_only.conditions = vec![Condition::FieldIs { field: FieldName::Category, values: vec!["vip".into()] }];
    save(&world, &vip_only).await;
    let regular = world.create("a", "普通").await;
    let vip = world.create("a", "贵宾").await;
    let edit = Change::SetFields {
        edits: vec![FieldEdit { value: FieldValue::Category(domain::archive::Category::Vip), base: 1 }],
    };
    world.push_one("a", vip, edit).await;
    world.push_one("a", regular, order()).await;
    world.push_one("a", vip, order()).await;
    let carried = world.store.carry_out_rules("one").await.unwrap();
    assert_eq!((carried.done, carried.skipped), (1, 1));
    assert!(archive(&world, vip).await.visible_tags().any(|t| t == "大单"));
    assert!(!archive(&world, regular).await.visible_tags().any(|t| t == "大单"));
    let log = world.store.rule_log(&world.viewer("root"), "vip-orders").await.unwrap();
    let skipped = log.iter().find(|l| l.state == RunState::Skipped).unwrap();
    assert_eq!(skipped.reason.as_deref(), Some("rule.unmet:field_is"));
}

#[tokio::test]
async fn a_stage_change_fires_a_field_trigger_and_chains_stop_at_their_depth() {
    let mut world = World::new().await;
    // A person's stage change → rule one sets the category → rule two
    // (category changed) tags → rule three (on any change of the stage…
    // here: a tag rule cannot fire on tags, so chain through fields).
    let to_loyal = Trigger::FieldChanged { field: FieldName::Stage, from: None, to: Some("loyal".into()) };
    save(
        &world,
        &rule("one", to_loyal, vec![Action::SetField { field: FieldName::Category, value: "vip".into() }]),
    )
    .await;
    let to_vip = Trigger::FieldChanged { field: FieldName::Category, from: None, to: Some("vip".into()) };
    save(
        &world,
        &rule("two", to_vip, vec![Action::SetField { field: FieldName::Stage, value: "active".into() }]),
    )
    .await;
    let any_stage = Trigger::FieldChanged { field: FieldName::Stage, from: None, to: Some("active".into()) };
    save(&world, &rule("three", any_stage, vec![Action::AddTag { tag: "三".into() }])).await;

    let id = world.create("a", "连锁").await;
    let edit = Change::SetFields {
        edits: vec![FieldEdit { value: FieldValue::Stage(LifecycleStage::Loyal), base: 1 }],
    };
    world.push_one("a", id, edit).await;
    // Each pass carries out what waits, including what the pass fired.
    for _ in 0..3 {
        world.store.carry_out_rules("one").await.unwrap();
    }
    let customer = archive(&world, id).await;
    assert_eq!(customer.fields.category, domain::archive::Category::Vip, "rule one ran");
    assert_eq!(customer.fields.stage, LifecycleStage::Active, "rule two ran on rule one's change");
    assert!(!customer.visible_tags().any(|t| t == "三"), "rule three was past the chain's depth");
    let log = world.store.rule_log(&world.viewer("root"), "three").await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].state, log[0].reason.as_deref()), (RunState::Skipped, Some("rule.chain_too_deep")));
}

#[tokio::test]
async fn a_rule_never_fires_on_its_own_change() {
    let mut world = World::new().await;
    // On any category change, set the category to vip: its own change
    // would fire it again.
    let changed = Trigger::FieldChanged { field: FieldName::Category, from: None, to: None };
    save(
        &world,
        &rule("self", changed, vec![Action::SetField { field: FieldName::Category, value: "vip".into() }]),
    )
    .await;
    let id = world.create("a", "自己").await;
    let edit = Change::SetFields {
        edits: vec![FieldEdit { value: FieldValue::Category(domain::archive::Category::Churned), base: 1 }],
    };
    world.push_one("a", id, edit).await;
    world.store.carry_out_rules("one").await.unwrap();
    world.store.carry_out_rules("one").await.unwrap();
    let log = world.store.rule_log(&world.viewer("root"), "self").await.unwrap();
    let states: Vec<_> = log.iter().map(|l| (l.state, l.reason.clone())).collect();
    assert_eq!(log.len(), 2, "{states:?}");
    assert!(states.contains(&(RunState::Skipped, Some("rule.own_change".into()))), "{states:?}");
    assert_eq!(archive(&world, id).await.fields.category, domain::archive::Category::Vip);
}

#[tokio::test]
async fn time_triggers_fire_once_per_occasion_and_a_catch_up_does_not_repeat_them() {
    let mut world = World::new().await;
    let id = world.create("a", "生日").await;
    let born = Change::SetFields {
        edits: vec![FieldEdit { value: FieldValue::Birthday(Some(day("1990-12-09"))), base: 1 }],
    };
    world.push_one("a", id, born).await;
    let three_before = Trigger::DateOffset { date: DateField::Birthday, days: -3 };
    save(&world, &rule("birthday-call", three_before, vec![follow_up_in(2)])).await;
    save(
        &world,
        &rule(
            "monday",
            Trigger::Schedule { every: Every::Week { weekday: 1 } },
            vec![Action::AddTag { tag: "周一".into() }],
        ),
    )
    .await;

    // Dry run: what would fire, nothing written.
    let dry = world.store.run_rules(day("2026-12-06"), day("2026-12-07"), true, "cli").await.unwrap();
    let mut fired: Vec<(String, String)> =
        dry.firings.iter().map(|f| (f.rule.clone(), f.day.clone())).collect();
    fired.sort();
    assert_eq!(
        fired,
        [("birthday-call".into(), "2026-12-06".into()), ("monday".into(), "2026-12-07".into())]
    );
    assert_eq!((dry.rules, dry.fired), (2, 0));
    assert_eq!(archive(&world, id).await.tasks.len(), 0);

    let run = world.store.run_rules(day("2026-12-06"), day("2026-12-07"), false, "one").await.unwrap();
    assert_eq!((run.fired, run.carried.done), (2, 2));
    let customer = archive(&world, id).await;
    assert_eq!(customer.tasks.len(), 1);
    assert_eq!(
        customer.tasks.values().next().unwrap().value().due,
        day("2026-12-08"),
        "due from the firing's day"
    );
    // The next day, catching up the two before: nothing fires twice.
    let again = world.store.run_rules(day("2026-12-06"), day("2026-12-08"), false, "two").await.unwrap();
    assert_eq!(again.fired, 0);
    assert_eq!(archive(&world, id).await.tasks.len(), 1);
}

#[tokio::test]
async fn an_overdue_complaint_tasks_the_keepers_manager() {
    let mut world = World::new().await;
    let task_for_manager = Action::CreateTask {
        task: TaskKind::FollowUp,
        in_days: 0,
        note: "投诉超期".into(),
        for_manager: true,
    };
    save(&world, &rule("overdue", Trigger::ComplaintOverdue, vec![task_for_manager])).await;
    let id = world.create("a", "投诉").await;
    let feedback = Feedback {
        kind: FeedbackKind::Complaint,
        content: "没人上门".into(),
        status: FeedbackStatus::Open,
        resolution: None,
        satisfaction: None,
        received_at: Timestamp(1_764_547_200_000),
        severity: Severity::High,
    };
    world.push_one("a", id, Change::PutFeedback { id: ItemId::new(), feedback, base: 0 }).await;
    let received = Timestamp(1_764_547_200_000).local_date();
    let late = Date::from_days_since_epoch(received.days_since_epoch() + 3);
    let run = world.store.run_rules(late, late, false, "one").await.unwrap();
    assert_eq!(run.fired, 1);
    let customer = archive(&world, id).await;
    let task = customer.tasks.values().next().unwrap().value().clone();
    assert_eq!(task.assignee, Some(UserId("m".into())), "north's manager");
}

#[tokio::test]
async fn an_email_action_queues_mail_only_with_consent() {
    let mut world = World::new().await;
    let greet = Action::EmailCustomer {
        template: Template { subject: "{name}，感谢惠顾".into(), body: "您好，{keeper}".into() },
    };
    save(&world, &rule("thanks", Trigger::OrderAdded, vec![greet])).await;
    let mut ids = Vec::new();
    for (name, consent) in [("同意", true), ("不同意", false)] {
        let id = world.create("a", name).await;
        let edits = vec![
            FieldEdit {
                value: FieldValue::Emails(vec![domain::email::Email::parse("x@example.com").unwrap()]),
                base: 1,
            },
            FieldEdit {
                value: FieldValue::Consent(domain::archive::Consent {
                    marketing: consent,
                    ..Default::default()
                }),
                base: 1,
            },
        ];
        world.push_one("a", id, Change::SetFields { edits }).await;
        world.push_one("a", id, order()).await;
        ids.push(id);
    }
    let carried = world.store.carry_out_rules("one").await.unwrap();
    assert_eq!((carried.done, carried.emails), (2, 1));
    let outbox = world.store.outbox(&world.viewer("root")).await.unwrap();
    assert_eq!(outbox.queued, 1);
    let log = world.store.rule_log(&world.viewer("root"), "thanks").await.unwrap();
    let refused = log.iter().find(|l| l.name == "不同意").unwrap();
    assert_eq!((refused.emails, refused.reason.as_deref()), (0, Some("care.no_consent")));
    let sent = log.iter().find(|l| l.name == "同意").unwrap();
    assert_eq!(sent.emails, 1);
}

#[tokio::test]
async fn a_preview_lists_the_coming_firings_and_who_meets_a_change_rules_conditions() {
    let mut world = World::new().await;
    let id = world.create("a", "预览").await;
    let born = Change::SetFields {
        edits: vec![FieldEdit { value: FieldValue::Birthday(Some(day("1990-12-20"))), base: 1 }],
    };
    world.push_one("a", id, born).await;
    world.create("b", "其他").await;
    let root = world.viewer("root");
    let on_birthday =
        rule("bd", Trigger::DateOffset { date: DateField::Birthday, days: 0 }, vec![follow_up_in(0)]);
    let preview = world.store.rule_preview(&root, &on_birthday, day("2026-12-06")).await.unwrap();
    assert_eq!(preview.firings.len(), 1);
    assert_eq!((preview.firings[0].name.as_str(), preview.firings[0].day.as_str()), ("预览", "2026-12-20"));
    let mut kept_by_a = rule("orders", Trigger::OrderAdded, vec![follow_up_in(1)]);
    kept_by_a.conditions = vec![Condition::FieldIs { field: FieldName::Owner, values: vec!["a".into()] }];
    let preview = world.store.rule_preview(&root, &kept_by_a, day("2026-12-06")).await.unwrap();
    assert_eq!((preview.matching, preview.examples.clone()), (1, vec!["预览".to_owned()]));
    // Nothing was written by looking.
    assert!(world.store.rule_log(&root, "bd").await.unwrap().is_empty());
}

#[tokio::test]
async fn creation_and_complaint_triggers_assign_retag_and_apply_the_suggested_stage() {
    let mut world = World::new().await;
    save(
        &world,
        &rule(
            "welcome",
            Trigger::CustomerCreated,
            vec![Action::Assign { to: Some(UserId("b".into())) }, Action::AddTag { tag: "新客".into() }],
        ),
    )
    .await;
    save(
        &world,
        &rule(
            "complained",
            Trigger::ComplaintOpened,
            vec![Action::RemoveTag { tag: "新客".into() }, Action::AddTag { tag: "投诉".into() }],
        ),
    )
    .await;
    save(&world, &rule("stage", Trigger::OrderAdded, vec![Action::ApplySuggestedStage])).await;
    let id = world.create("a", "新来的").await;
    world.store.carry_out_rules("one").await.unwrap();
    let customer = archive(&world, id).await;
    assert_eq!(customer.fields.owner, Some(UserId("b".into())), "assigned by the rule");
    assert!(customer.visible_tags().any(|t| t == "新客"));

    let feedback = Feedback {
        kind: FeedbackKind::Complaint,
        content: "送货慢".into(),
        status: FeedbackStatus::Open,
        resolution: None,
        satisfaction: None,
        received_at: Timestamp(1_764_547_200_000),
        severity: Severity::Low,
    };
    world.push_one("b", id, Change::PutFeedback { id: ItemId::new(), feedback, base: 0 }).await;
    world.push_one("b", id, order()).await;
    world.store.carry_out_rules("one").await.unwrap();
    let customer = archive(&world, id).await;
    let tags: Vec<&str> = customer.visible_tags().collect();
    assert_eq!(tags, ["投诉"]);
    let scored = world.store.scoring(crate::support::today(), 365, false).await.unwrap();
    let suggested = scored.scoring.scores[&id].suggested;
    assert_ne!(suggested, LifecycleStage::Lead, "one order moves a lead on");
    assert_eq!(customer.fields.stage, suggested);
    // The audit trail names the rule as the author of its changes.
    let (history, _) =
        world.store.customer_history(&world.viewer("root"), &id.to_string()).await.unwrap().unwrap();
    assert!(history.iter().any(|h| h.user == "rule:welcome"), "{history:?}");
}

#[tokio::test]
async fn two_servers_carrying_out_at_once_carry_each_event_out_once() {
    let mut world = World::new().await;
    save(&world, &rule("busy", Trigger::OrderAdded, vec![follow_up_in(1)])).await;
    let mut ids = Vec::new();
    for n in 0..12 {
        let id = world.create(["a", "b", "c"][n % 3], &format!("客户{n}")).await;
        world.push_one(["a", "b", "c"][n % 3], id, order()).await;
        ids.push(id);
    }
    let (one, two) = (world.store.clone(), world.store.clone());
    let (first, second) = tokio::join!(one.carry_out_rules("server one"), two.carry_out_rules("server two"));
    let (first, second) = (first.unwrap(), second.unwrap());
    // Whoever missed the lease leaves the rest to the one holding it (or
    // to its next pass): nothing is done twice.
    let rest = world.store.carry_out_rules("server one").await.unwrap();
    assert_eq!(first.done + second.done + rest.done, 12);
    for id in ids {
        assert_eq!(archive(&world, id).await.tasks.len(), 1);
    }
}

#[tokio::test]
async fn a_rule_emails_the_keeper_at_the_address_they_gave() {
    let mut world = World::new().await;
    let tell = Action::EmailKeeper {
        template: Template { subject: "{name} 下单了".into(), body: "{keeper}，请回访。".into() },
    };
    save(&world, &rule("tell-keeper", Trigger::OrderAdded, vec![tell])).await;
    let first = world.create("a", "无邮箱负责人").await;
    world.push_one("a", first, order()).await;
    world.store.carry_out_rules("one").await.unwrap();
    world.store.save_own_mail(&UserId("a".into()), "a@example.com", false).await.unwrap();
    let second = world.create("a", "有邮箱负责人").await;
    world.push_one("a", second, order()).await;
    let carried = world.store.carry_out_rules("one").await.unwrap();
    assert_eq!(carried.emails, 1);
    let log = world.store.rule_log(&world.viewer("root"), "tell-keeper").await.unwrap();
    let without = log.iter().find(|l| l.name == "无邮箱负责人").unwrap();
    assert_eq!(without.reason.as_deref(), Some("rule.keeper_no_email"));
    assert_eq!(log.iter().find(|l| l.name == "有邮箱负责人").unwrap().emails, 1);
}
