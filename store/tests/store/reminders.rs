//! Reminders to keepers: each occasion fired once, whoever runs the day
//! and however often; each keeper sees their own.

use domain::Change;
use domain::archive::{FieldValue, Task, TaskKind};
use domain::ids::{CustomerId, ItemId, UserId};
use domain::mutation::FieldEdit;
use domain::reminder::{ReminderKind, first_day_to_cover};
use domain::time::Date;
use store::Outcome;

use crate::support::World;

fn day(s: &str) -> Date {
    Date::parse_field(s, "date").unwrap()
}

/// An archive kept by `owner`, born on `born` (lunar or not).
async fn born(world: &mut World, owner: &str, name: &str, born: &str, lunar: bool) -> CustomerId {
    let id = world.create(owner, name).await;
    let edits = vec![
        FieldEdit { value: FieldValue::Birthday(Some(day(born))), base: 1 },
        FieldEdit { value: FieldValue::BirthdayLunar(lunar), base: 1 },
    ];
    let outcome = world.push_one(owner, id, Change::SetFields { edits }).await;
    assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    id
}

#[tokio::test]
async fn a_days_reminders_fire_once_however_often_the_day_is_run() {
    let mut world = World::new().await;
    // Reminders fire three days ahead of a birthday: these fire on 12-06.
    born(&mut world, "a", "生日甲", "1980-12-09", false).await;
    born(&mut world, "b", "生日乙", "1975-12-09", false).await;
    // Kept by the lunar calendar, whose day this year is in November: no reminder.
    born(&mut world, "a", "农历", "1990-11-17", true).await;
    let run = world.store.run_reminders(day("2026-12-06"), day("2026-12-06"), false).await.unwrap();
    assert_eq!(run.fired, 2, "{:?}", run.due);
    assert_eq!(run.scanned, 3);

    // The same day again, as after a restart mid-run: nothing new.
    let again = world.store.run_reminders(day("2026-12-06"), day("2026-12-06"), false).await.unwrap();
    assert_eq!((again.due.len(), again.fired), (2, 0));

    // An archive added since is what a rerun of the day fires, alone.
    born(&mut world, "a", "生日丙", "1988-12-09", false).await;
    let rerun = world.store.run_reminders(day("2026-12-06"), day("2026-12-06"), false).await.unwrap();
    assert_eq!((rerun.due.len(), rerun.fired), (3, 1));

    let (list, unread) = world.store.notifications(&UserId("a".into())).await.unwrap();
    let names: Vec<&str> = list.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(unread, 2);
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"生日甲") && names.contains(&"生日丙"), "{names:?}");
    assert!(list.iter().all(|n| n.kind == ReminderKind::Birthday && n.on == day("2026-12-09")));
    let (list_b, _) = world.store.notifications(&UserId("b".into())).await.unwrap();
    assert_eq!(list_b.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["生日乙"]);
}

#[tokio::test]
async fn two_servers_running_one_day_at_once_fire_each_reminder_once() {
    let mut world = World::new().await;
    for n in 0..30 {
        born(&mut world, ["a", "b", "c"][n % 3], &format!("客户{n}"), "1980-12-09", false).await;
    }
    let one = world.store.clone();
    let two = world.store.clone();
    let (first, second) = tokio::join!(
        one.run_reminders(day("2026-12-06"), day("2026-12-06"), false),
        two.run_reminders(day("2026-12-06"), day("2026-12-06"), false),
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.fired + second.fired, 30, "{} + {}", first.fired, second.fired);
    let mut total = 0;
    for user in ["a", "b", "c"] {
        let (list, unread) = world.store.notifications(&UserId(user.into())).await.unwrap();
        assert_eq!((list.len(), unread), (10, 10));
        total += list.len();
    }
    assert_eq!(total, 30);
}

#[tokio::test]
async fn a_run_after_days_down_catches_up_the_week_but_no_further() {
    let mut world = World::new().await;
    // Fire on 12-04 (a Friday) and 12-06; the server was down from the 4th.
    born(&mut world, "a", "周五", "1980-12-07", false).await;
    born(&mut world, "a", "周日", "1980-12-09", false).await;
    // Would have fired in October: too long ago to bring up now.
    born(&mut world, "a", "十月", "1980-10-20", false).await;
    let today = day("2026-12-07");
    let from = first_day_to_cover(Some(day("2026-10-01")), today);
    assert_eq!(from, day("2026-11-30"));
    let run = world.store.run_reminders(from, today, false).await.unwrap();
    let mut names: Vec<&str> = run.due.iter().map(|r| r.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["周五", "周日"]);
    assert_eq!(run.fired, 2);
}

#[tokio::test]
async fn lunar_and_leap_day_birthdays_and_tasks_fire_on_their_days() {
    let mut world = World::new().await;
    // 1990-03-07 is 二月十一: in 2027 on 03-18, fired 03-15.
    born(&mut world, "a", "农历", "1990-03-07", true).await;
    // 29 February: in 2027 kept on 1 March, fired 26 February.
    born(&mut world, "a", "闰日", "2000-02-29", false).await;
    let id = world.create("c", "保养").await;
    let task =
        Task { kind: TaskKind::Maintenance, due: day("2027-03-18"), note: None, done: false, assignee: None };
    let outcome = world.push_one("c", id, Change::PutTask { id: ItemId::new(), task, base: 1 }).await;
    assert!(matches!(outcome, Outcome::Applied { .. }));

    let fired_on = |run: store::ReminderRun| -> Vec<(String, String)> {
        run.due.into_iter().map(|r| (r.name, r.on.to_string())).collect()
    };
    let feb = world.store.run_reminders(day("2027-02-26"), day("2027-02-26"), false).await.unwrap();
    assert_eq!(fired_on(feb), [("闰日".to_owned(), "2027-03-01".to_owned())]);
    let march = world.store.run_reminders(day("2027-03-15"), day("2027-03-15"), false).await.unwrap();
    let mut seen = fired_on(march);
    seen.sort();
    assert_eq!(
        seen,
        [("保养".to_owned(), "2027-03-18".to_owned()), ("农历".to_owned(), "2027-03-18".to_owned())]
    );
    let (list, _) = world.store.notifications(&UserId("a".into())).await.unwrap();
    assert!(list.iter().any(|n| n.name == "农历" && n.lunar));
}

#[tokio::test]
async fn a_dry_run_fires_nothing_and_read_marks_only_ones_own() {
    let mut world = World::new().await;
    born(&mut world, "a", "甲", "1980-12-09", false).await;
    born(&mut world, "b", "乙", "1980-12-09", false).await;
    let dry = world.store.run_reminders(day("2026-12-06"), day("2026-12-06"), true).await.unwrap();
    assert_eq!((dry.due.len(), dry.fired), (2, 0));
    assert_eq!(world.store.notifications(&UserId("a".into())).await.unwrap().1, 0);

    world.store.run_reminders(day("2026-12-06"), day("2026-12-06"), false).await.unwrap();
    let (list_b, _) = world.store.notifications(&UserId("b".into())).await.unwrap();
    // a cannot mark b's notification read by naming its key.
    world
        .store
        .mark_notifications_read(&UserId("a".into()), Some(vec![list_b[0].key.clone()]))
        .await
        .unwrap();
    assert_eq!(world.store.notifications(&UserId("b".into())).await.unwrap().1, 1);
    world.store.mark_notifications_read(&UserId("a".into()), None).await.unwrap();
    let (list_a, unread_a) = world.store.notifications(&UserId("a".into())).await.unwrap();
    assert_eq!(unread_a, 0);
    assert!(list_a[0].read);
    world
        .store
        .mark_notifications_read(&UserId("b".into()), Some(vec![list_b[0].key.clone()]))
        .await
        .unwrap();
    assert_eq!(world.store.notifications(&UserId("b".into())).await.unwrap().1, 0);
}

/// An archive kept by `owner` with an email, consenting to marketing or not.
async fn reachable(
    world: &mut World,
    owner: &str,
    name: &str,
    consent: bool,
    born: Option<&str>,
) -> CustomerId {
    let id = world.create(owner, name).await;
    let mut edits = vec![
        FieldEdit {
            value: FieldValue::Emails(vec![domain::email::Email::parse("x@example.com").unwrap()]),
            base: 1,
        },
        FieldEdit {
            value: FieldValue::Consent(domain::archive::Consent { marketing: consent, ..Default::default() }),
            base: 1,
        },
    ];
    if let Some(born) = born {
        edits.push(FieldEdit { value: FieldValue::Birthday(Some(day(born))), base: 1 });
    }
    let outcome = world.push_one(owner, id, Change::SetFields { edits }).await;
    assert!(matches!(outcome, Outcome::Applied { .. }), "{outcome:?}");
    id
}

#[tokio::test]
async fn a_festival_greeting_goes_once_to_each_customer_who_consented_and_the_cap_holds_with_a_birthday() {
    use domain::calendar::Festival;
    use domain::care::{CareSettings, FestivalGreeting, Skip, Template};
    let mut world = World::new().await;
    reachable(&mut world, "a", "同意", true, None).await;
    reachable(&mut world, "c", "不同意", false, None).await;
    // Born on Mid-Autumn 2026: with one care message a month, the birthday's goes.
    reachable(&mut world, "b", "中秋生日", true, Some("1980-09-25")).await;
    let template =
        |subject: &str| Template { subject: subject.into(), body: "{name}，祝您{festival}快乐".into() };
    let settings = CareSettings {
        birthday_greeting: Some(Template { subject: "生日快乐".into(), body: "{name}".into() }),
        festival_greeting: Some(FestivalGreeting {
            festivals: std::collections::BTreeSet::from([Festival::MidAutumn]),
            template: template("{festival}快乐"),
        }),
        monthly_cap: 1,
        ..CareSettings::default()
    };
    world.store.save_care_settings(&world.viewer("root"), &settings).await.unwrap();

    let mid_autumn = day("2026-09-25");
    let run = world.store.run_reminders(mid_autumn, mid_autumn, false).await.unwrap();
    let outcome =
        |name: &str| run.care.iter().filter(|c| c.name == name).map(|c| c.to.clone()).collect::<Vec<_>>();
    assert_eq!(outcome("同意"), [Ok("x@example.com".to_owned())]);
    assert_eq!(outcome("不同意"), [Err(Skip::NoConsent)]);
    assert_eq!(outcome("中秋生日"), [Ok("x@example.com".to_owned()), Err(Skip::Capped)], "birthday first");
    assert_eq!(run.queued, 2);
    let again = world.store.run_reminders(mid_autumn, mid_autumn, false).await.unwrap();
    assert_eq!(again.queued, 0);
    let next_day = world.store.run_reminders(day("2026-09-26"), day("2026-09-26"), false).await.unwrap();
    assert!(next_day.care.is_empty());
    assert_eq!(world.store.outbox(&world.viewer("root")).await.unwrap().queued, 2);
}

#[tokio::test]
async fn an_open_complaint_reminds_its_keeper_on_its_deadline_and_escalates_to_their_manager_after() {
    use domain::archive::{Feedback, FeedbackKind, FeedbackStatus, Severity};
    let mut world = World::new().await;
    let complain = |severity| Change::PutFeedback {
        id: ItemId::new(),
        feedback: Feedback {
            kind: FeedbackKind::Complaint,
            content: "安装后漏水".into(),
            status: FeedbackStatus::Open,
            resolution: None,
            satisfaction: None,
            received_at: domain::time::Timestamp(
                day("2026-12-01").days_since_epoch() * 86_400_000 + 3_600_000,
            ),
            severity,
        },
        base: 1,
    };
    let north = world.create("a", "北方客户").await;
    assert!(matches!(world.push_one("a", north, complain(Severity::High)).await, Outcome::Applied { .. }));
    let south = world.create("c", "南方客户").await;
    assert!(matches!(world.push_one("c", south, complain(Severity::High)).await, Outcome::Applied { .. }));

    let due = world.store.run_reminders(day("2026-12-02"), day("2026-12-02"), false).await.unwrap();
    assert_eq!(due.fired, 2);
    let (a_list, _) = world.store.notifications(&UserId("a".into())).await.unwrap();
    assert_eq!(a_list.iter().map(|n| n.kind).collect::<Vec<_>>(), [ReminderKind::ComplaintDue]);

    let overdue = world.store.run_reminders(day("2026-12-03"), day("2026-12-03"), false).await.unwrap();
    assert_eq!(overdue.fired, 2, "one manager each");
    let (m_list, _) = world.store.notifications(&UserId("m".into())).await.unwrap();
    assert_eq!(m_list.len(), 1);
    assert_eq!((m_list[0].kind, m_list[0].name.as_str()), (ReminderKind::ComplaintOverdue, "北方客户"));
    assert_eq!(m_list[0].keeper, Some(UserId("a".into())));
    let (n_list, _) = world.store.notifications(&UserId("n".into())).await.unwrap();
    assert_eq!(n_list.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["南方客户"]);
    assert_eq!(
        world.store.notifications(&UserId("a".into())).await.unwrap().0.len(),
        1,
        "the keeper is not told twice"
    );
    let again = world.store.run_reminders(day("2026-12-03"), day("2026-12-03"), false).await.unwrap();
    assert_eq!(again.fired, 0);
}

#[tokio::test]
async fn a_products_service_interval_reminds_the_keeper_of_each_service_once() {
    let mut world = World::new().await;
    let settings = domain::care::CareSettings {
        service_intervals: std::collections::BTreeMap::from([("空调".to_owned(), 180)]),
        ..Default::default()
    };
    world.store.save_care_settings(&world.viewer("root"), &settings).await.unwrap();
    let id = world.create("a", "买空调").await;
    let order = domain::archive::Order {
        product: "空调".into(),
        quantity: 1,
        amount: domain::money::Money { minor: 3_000_00, currency: domain::money::Currency::cny() },
        date: day("2026-06-01"),
        channel: None,
        ends_on: None,
    };
    world.push_one("a", id, Change::PutOrder { id: ItemId::new(), order, base: 0 }).await;
    // Serviced on 11-28, 180 days on; told on 11-25.
    let run = world.store.run_reminders(day("2026-11-25"), day("2026-11-25"), false).await.unwrap();
    assert_eq!(run.fired, 1, "{:?}", run.due);
    assert_eq!((run.due[0].kind, run.due[0].on), (ReminderKind::Maintenance, day("2026-11-28")));
    let again = world.store.run_reminders(day("2026-11-24"), day("2026-11-26"), false).await.unwrap();
    assert_eq!(again.fired, 0, "told once");
    let (list, _) = world.store.notifications(&UserId("a".into())).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "买空调");
}

#[tokio::test]
async fn the_morning_digest_goes_once_a_day_to_those_who_asked_with_their_unread_reminders() {
    let mut world = World::new().await;
    born(&mut world, "a", "生日甲", "1980-12-09", false).await;
    born(&mut world, "b", "生日乙", "1980-12-09", false).await;
    world.store.run_reminders(day("2026-12-06"), day("2026-12-06"), false).await.unwrap();
    // A digest needs an address, and the address is checked.
    let refused = world.store.save_own_mail(&UserId("a".into()), "", true).await.unwrap_err();
    assert!(matches!(refused, store::StoreError::Invalid(ref e) if e.field == "email"), "{refused:?}");
    assert!(world.store.save_own_mail(&UserId("a".into()), "not an address", false).await.is_err());
    let me = world.store.save_own_mail(&UserId("a".into()), " A@Example.com ", true).await.unwrap();
    assert!(me.digest && me.email.is_some());
    // b gave an address but wants no digest.
    world.store.save_own_mail(&UserId("b".into()), "b@example.com", false).await.unwrap();

    assert_eq!(world.store.send_digests(day("2026-12-06"), true).await.unwrap(), 1);
    assert_eq!(world.store.send_digests(day("2026-12-06"), false).await.unwrap(), 1);
    assert_eq!(world.store.send_digests(day("2026-12-06"), false).await.unwrap(), 0, "once a day");
    let outbox = world.store.outbox(&world.viewer("root")).await.unwrap();
    assert_eq!(outbox.queued, 1);
    // Read everything: the next morning has nothing to say.
    world.store.mark_notifications_read(&UserId("a".into()), None).await.unwrap();
    assert_eq!(world.store.send_digests(day("2026-12-07"), false).await.unwrap(), 0);
}

#[tokio::test]
async fn a_coming_festival_is_told_to_every_rep_and_manager_once() {
    let world = World::new().await;
    // 元旦 2027 is told on 2026-12-29, three days ahead.
    let quiet = world.store.run_reminders(day("2026-12-28"), day("2026-12-28"), false).await.unwrap();
    assert!(quiet.festivals.is_empty());
    let run = world.store.run_reminders(day("2026-12-29"), day("2026-12-29"), false).await.unwrap();
    assert_eq!(run.festivals, [(domain::calendar::Festival::NewYearsDay, day("2027-01-01"))]);
    // a, b, c, m and n; not the admin.
    assert_eq!(run.festival_notes, 5);
    let again = world.store.run_reminders(day("2026-12-27"), day("2026-12-29"), false).await.unwrap();
    assert_eq!(again.festival_notes, 0, "once");
    let (list, unread) = world.store.notifications(&UserId("m".into())).await.unwrap();
    assert_eq!((list.len(), unread), (1, 1));
    assert_eq!(
        (list[0].kind, list[0].customer, list[0].on),
        (ReminderKind::Festival, None, day("2027-01-01"))
    );
    let (admin, _) = world.store.notifications(&UserId("root".into())).await.unwrap();
    assert!(admin.is_empty());
}
