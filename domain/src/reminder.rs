//! The one place that decides which reminders an archive gives its keeper,
//! and on which day each fires.
//!
//! A reminder is an occasion (a birthday, a maintenance or follow-up date)
//! told to the record keeper a few days ahead ([`ReminderKind::lead_days`]).
//! Each one has a key that names the occasion, so the server's daily run
//! fires it once: not again after a restart, not twice with two servers.

use serde::{Deserialize, Serialize};

use crate::archive::{Customer, TaskKind};
use crate::ids::{CustomerId, ItemId, UserId};
use crate::time::Date;

/// What a reminder is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    /// A birthday (solar or lunar).
    Birthday,
    /// A maintenance task comes due.
    Maintenance,
    /// A follow-up task, or an interaction's "follow up on" date, comes due.
    FollowUp,
    /// A complaint is to be resolved today (by its severity's deadline).
    ComplaintDue,
    /// A complaint is past its deadline: told to the keeper's manager.
    ComplaintOverdue,
    /// A public holiday or festival is coming: told to every rep and
    /// manager, for the greetings and visits it asks for.
    Festival,
}

impl ReminderKind {
    /// Every kind.
    pub const ALL: [ReminderKind; 6] = [
        Self::Birthday,
        Self::Maintenance,
        Self::FollowUp,
        Self::ComplaintDue,
        Self::ComplaintOverdue,
        Self::Festival,
    ];

    /// Its Chinese name, for mail the server writes (the morning digest).
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::Birthday => "生日",
            Self::Maintenance => "保养",
            Self::FollowUp => "跟进",
            Self::ComplaintDue => "投诉今日到期",
            Self::ComplaintOverdue => "投诉已超期",
            Self::Festival => "节日",
        }
    }

    /// The stable snake_case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Birthday => "birthday",
            Self::Maintenance => "maintenance",
            Self::FollowUp => "follow_up",
            Self::ComplaintDue => "complaint_due",
            Self::ComplaintOverdue => "complaint_overdue",
            Self::Festival => "festival",
        }
    }

    /// Whether it goes to the keeper's manager rather than the keeper.
    pub fn escalates(self) -> bool {
        self == Self::ComplaintOverdue
    }

    /// How many days before the occasion its keeper hears of it: time to
    /// buy a present or book a technician; a follow-up on its day.
    pub fn lead_days(self) -> i64 {
        match self {
            Self::Birthday | Self::Maintenance | Self::Festival => 3,
            Self::FollowUp | Self::ComplaintDue | Self::ComplaintOverdue => 0,
        }
    }
}

/// One occasion to tell an archive's keeper about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    /// What it is about.
    pub kind: ReminderKind,
    /// The archive.
    pub customer: CustomerId,
    /// Its name when the reminder fired.
    pub name: String,
    /// Its keeper, who is told.
    pub keeper: UserId,
    /// The day of the occasion.
    pub on: Date,
    /// The day it fires: `on` less the kind's lead.
    pub fires: Date,
    /// The task or complaint it comes from, if one.
    pub task: Option<ItemId>,
    /// The birthday is kept by the lunar calendar.
    pub lunar: bool,
}

impl Reminder {
    /// Names the occasion: the same birthday of the same archive in the
    /// same year, the same task on the same due date. A task moved to
    /// another day is another occasion.
    pub fn key(&self) -> String {
        let item = self.task.map(|t| t.to_string()).unwrap_or_default();
        format!("{}:{}:{}:{}", self.kind.as_str(), self.customer, item, self.on)
    }
}

/// A fired reminder, as its keeper's list of notifications shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// The reminder's key.
    pub key: String,
    /// What it is about.
    pub kind: ReminderKind,
    /// The archive (none for a festival).
    pub customer: Option<CustomerId>,
    /// Its name when the reminder fired (a festival's wire name).
    pub name: String,
    /// The day of the occasion.
    pub on: Date,
    /// The birthday is a lunar one.
    pub lunar: bool,
    /// For a reminder told to a manager: whose customer it is.
    #[serde(default)]
    pub keeper: Option<UserId>,
    /// When it fired (ms since the epoch).
    pub at: i64,
    /// The keeper has seen it.
    pub read: bool,
}

/// How many days back a run catches up on days no run covered: a server
/// down over a long weekend still tells Friday's reminders on Monday; one
/// down for a month does not bring up a month of old ones.
pub const CATCH_UP_DAYS: i64 = 7;

/// The first day a run on `today` covers, after a run that covered up to
/// `last_done`: the day after it, at most [`CATCH_UP_DAYS`] back, and
/// today for a first run ever (nothing from before it is back-filled).
pub fn first_day_to_cover(last_done: Option<Date>, today: Date) -> Date {
    let earliest = Date::from_days_since_epoch(today.days_since_epoch() - CATCH_UP_DAYS);
    match last_done {
        None => today,
        Some(done) => Date::from_days_since_epoch(done.days_since_epoch() + 1).max(earliest).min(today),
    }
}

/// The reminders of `customer` a run covering the days `from` to `to`
/// gives its keeper (none for an archive in a pool or deleted): those that
/// fire on one of those days, and those whose day to fire has passed while
/// their occasion is still to come (a birthday entered the day before it
/// is still worth telling). Which ones were told already is for the
/// caller to know, by their keys.
pub fn reminders_between(customer: &Customer, from: Date, to: Date) -> Vec<Reminder> {
    let Some(keeper) = customer.fields.owner.clone().filter(|_| !customer.deleted()) else {
        return Vec::new();
    };
    let shifted = |day: Date, days: i64| Date::from_days_since_epoch(day.days_since_epoch() + days);
    let mut out = Vec::new();
    // Who is told: the keeper, or whom a task is for.
    let mut add = |told: &UserId, kind: ReminderKind, on: Date, task: Option<ItemId>, lunar: bool| {
        let fires = shifted(on, -kind.lead_days());
        if fires <= to && (from <= fires || on >= to) {
            let name = customer.fields.name.as_str().to_owned();
            out.push(Reminder {
                kind,
                customer: customer.id,
                name,
                keeper: told.clone(),
                on,
                fires,
                task,
                lunar,
            });
        }
    };
    let birthday_lead = ReminderKind::Birthday.lead_days();
    if let Some(born) = customer.fields.birthday {
        let lunar = customer.fields.birthday_lunar;
        // Every birthday that fires in the window or is still to come
        // within the lead: a few days, so one, or two lunar ones in a
        // long catch-up.
        let mut after = shifted(from, birthday_lead).min(to);
        while let Some(on) = crate::calendar::next_birthday(born, lunar, after)
            && on <= shifted(to, birthday_lead)
        {
            add(&keeper, ReminderKind::Birthday, on, None, lunar);
            after = shifted(on, 1);
        }
    }
    for (id, task) in customer.tasks.iter().filter(|(_, t)| !t.hidden() && !t.value().done) {
        let task = task.value();
        let told = task.assignee.as_ref().unwrap_or(&keeper);
        match task.kind {
            TaskKind::Maintenance => add(told, ReminderKind::Maintenance, task.due, Some(*id), false),
            TaskKind::FollowUp => add(told, ReminderKind::FollowUp, task.due, Some(*id), false),
            TaskKind::Birthday | TaskKind::Review => {}
        }
    }
    // An interaction's "follow up on" date, unless something newer
    // happened with the customer since (as on Today).
    let last = crate::portfolio::last_contact(customer);
    for interaction in customer.interactions.values().filter(|i| !i.hidden()).map(|i| i.value()) {
        if let Some(due) = interaction.next_follow_up
            && last.is_none_or(|l| l <= interaction.at.local_date())
        {
            add(&keeper, ReminderKind::FollowUp, due, None, false);
        }
    }
    // A complaint still open: due on its deadline, overdue the day after
    // (an overdue one keeps its day: it escalates once).
    for (id, feedback) in customer.feedback.iter().filter(|(_, f)| !f.hidden()) {
        let feedback = feedback.value();
        if feedback.is_open_complaint() {
            let deadline = feedback.deadline();
            add(&keeper, ReminderKind::ComplaintDue, deadline, Some(*id), false);
            add(&keeper, ReminderKind::ComplaintOverdue, shifted(deadline, 1), Some(*id), false);
        }
    }
    // Two interactions may name the same follow-up day: one occasion.
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|r| seen.insert(r.key()));
    out.sort_by_key(|r| (r.fires, r.kind));
    out
}

/// The festivals a run covering `from` to `to` tells of, each with its
/// day: those whose day to tell ([`ReminderKind::lead_days`] ahead) falls
/// in the run.
pub fn festivals_to_tell(from: Date, to: Date) -> Vec<(crate::calendar::Festival, Date)> {
    let lead = ReminderKind::Festival.lead_days();
    let shifted = |day: Date| Date::from_days_since_epoch(day.days_since_epoch() + lead);
    crate::calendar::festivals_between(shifted(from), shifted(to))
}

/// The services due by `intervals` (product name to days) for the orders
/// of `customer` that a run covering `from` to `to` tells its keeper of:
/// each order's product is serviced every so many days after it was
/// ordered, until a later order of the same product starts a new round.
pub fn services_between(
    customer: &Customer,
    intervals: &std::collections::BTreeMap<String, u16>,
    from: Date,
    to: Date,
) -> Vec<Reminder> {
    let Some(keeper) = customer.fields.owner.clone().filter(|_| !customer.deleted()) else {
        return Vec::new();
    };
    let lead = ReminderKind::Maintenance.lead_days();
    let orders: Vec<(ItemId, &crate::archive::Order)> =
        customer.orders.iter().filter(|(_, o)| !o.hidden()).map(|(id, o)| (*id, o.value())).collect();
    let mut out = Vec::new();
    for (id, order) in &orders {
        let Some(&every) = intervals.get(order.product.trim()) else { continue };
        let next_round = orders
            .iter()
            .filter(|(other, o)| {
                other != id && o.product.trim() == order.product.trim() && o.date > order.date
            })
            .map(|(_, o)| o.date)
            .min();
        let start = order.date.days_since_epoch();
        // The first service whose day to tell is not before the run's first day.
        let first =
            ((from.days_since_epoch() + lead - start) as f64 / f64::from(every)).ceil().max(1.0) as i64;
        for k in first.. {
            let on = Date::from_days_since_epoch(start + k * i64::from(every));
            let fires = Date::from_days_since_epoch(on.days_since_epoch() - lead);
            if fires > to || next_round.is_some_and(|n| on >= n) {
                break;
            }
            out.push(Reminder {
                kind: ReminderKind::Maintenance,
                customer: customer.id,
                name: customer.fields.name.as_str().to_owned(),
                keeper: keeper.clone(),
                on,
                fires,
                task: Some(*id),
                lunar: false,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{FieldValue, Fields, Interaction, InteractionKind, Task};
    use crate::mutation::{Change, FieldEdit, Sequencer};
    use crate::time::Timestamp;
    use crate::{ApplyContext, CustomerName, apply};

    fn day(s: &str) -> Date {
        Date::parse_field(s, "date").unwrap()
    }

    /// An archive kept by `rep`, built by mutations.
    fn archive(changes: Vec<Change>) -> Customer {
        let mut client = Sequencer::new(UserId("rep".into()));
        let id = CustomerId::new();
        let mut fields = Fields::named(CustomerName::parse("王芳").unwrap());
        fields.owner = Some(UserId("rep".into()));
        let create = Change::Create { fields: Box::new(fields) };
        let mut customer: Option<Customer> = None;
        for change in std::iter::once(create).chain(changes) {
            let m = client.next(id, change, Timestamp(0));
            let ctx = ApplyContext { version: m.seq, today: day("2026-11-23") };
            customer = Some(apply(customer.as_ref(), &m, &ctx).unwrap().0);
        }
        customer.unwrap()
    }

    fn born(on: &str, lunar: bool) -> Change {
        Change::SetFields {
            edits: vec![
                FieldEdit { value: FieldValue::Birthday(Some(day(on))), base: 1 },
                FieldEdit { value: FieldValue::BirthdayLunar(lunar), base: 1 },
            ],
        }
    }

    fn task(kind: TaskKind, due: &str) -> Change {
        Change::PutTask {
            id: ItemId::new(),
            task: Task { kind, due: day(due), note: None, done: false, assignee: None },
            base: 1,
        }
    }

    fn fired(customer: &Customer, from: &str, to: &str) -> Vec<(ReminderKind, String, String)> {
        reminders_between(customer, day(from), day(to))
            .into_iter()
            .map(|r| (r.kind, r.on.to_string(), r.fires.to_string()))
            .collect()
    }

    #[test]
    fn a_birthday_fires_three_days_ahead_once_a_year() {
        let customer = archive(vec![born("1980-12-09", false)]);
        let expected = vec![(ReminderKind::Birthday, "2026-12-09".to_owned(), "2026-12-06".to_owned())];
        assert_eq!(fired(&customer, "2026-12-06", "2026-12-06"), expected);
        assert!(fired(&customer, "2026-12-05", "2026-12-05").is_empty());
        assert!(fired(&customer, "2026-12-10", "2026-12-10").is_empty(), "past: not brought up");
        assert_eq!(fired(&customer, "2026-01-01", "2027-12-31").len(), 2);
    }

    #[test]
    fn an_occasion_whose_day_to_fire_has_passed_is_still_told_before_it_comes() {
        // Entered on the 8th: the reminder's day (the 6th) is gone, the birthday is not.
        let customer = archive(vec![born("1980-12-09", false)]);
        let expected = vec![(ReminderKind::Birthday, "2026-12-09".to_owned(), "2026-12-06".to_owned())];
        assert_eq!(fired(&customer, "2026-12-08", "2026-12-08"), expected);
        assert_eq!(fired(&customer, "2026-12-09", "2026-12-09"), expected);
        // The same occasion, so the same key: told once whichever run tells it.
        let keys = |from, to| reminders_between(&customer, day(from), day(to))[0].key();
        assert_eq!(keys("2026-12-06", "2026-12-06"), keys("2026-12-08", "2026-12-08"));
    }

    #[test]
    fn a_leap_day_birthday_fires_for_the_first_of_march_in_other_years() {
        let customer = archive(vec![born("2000-02-29", false)]);
        assert_eq!(fired(&customer, "2027-02-26", "2027-02-26")[0].1, "2027-03-01");
        assert_eq!(fired(&customer, "2028-02-26", "2028-02-26")[0].1, "2028-02-29");
    }

    #[test]
    fn a_lunar_birthday_fires_ahead_of_its_lunar_date() {
        // 1990-03-07 is 二月十一: 2026-03-29, 2027-03-18.
        let customer = archive(vec![born("1990-03-07", true)]);
        let year: Vec<String> =
            fired(&customer, "2026-01-01", "2027-12-31").into_iter().map(|f| f.1).collect();
        assert_eq!(year, ["2026-03-29", "2027-03-18"]);
        assert!(reminders_between(&customer, day("2026-03-26"), day("2026-03-26"))[0].lunar);
    }

    #[test]
    fn tasks_and_an_interactions_follow_up_fire_by_their_kind() {
        let visit = Interaction {
            kind: InteractionKind::Visit,
            at: Timestamp(day("2026-12-01").days_since_epoch() * 86_400_000),
            summary: "拜访".into(),
            satisfaction: None,
            next_follow_up: Some(day("2026-12-08")),
        };
        let customer = archive(vec![
            task(TaskKind::Maintenance, "2026-12-10"),
            task(TaskKind::FollowUp, "2026-12-07"),
            task(TaskKind::Review, "2026-12-07"),
            Change::PutInteraction { id: ItemId::new(), interaction: visit, base: 1 },
        ]);
        let seen = fired(&customer, "2026-12-06", "2026-12-08");
        assert_eq!(
            seen,
            [
                (ReminderKind::Maintenance, "2026-12-10".to_owned(), "2026-12-07".to_owned()),
                (ReminderKind::FollowUp, "2026-12-07".to_owned(), "2026-12-07".to_owned()),
                (ReminderKind::FollowUp, "2026-12-08".to_owned(), "2026-12-08".to_owned()),
            ]
        );
    }

    #[test]
    fn a_task_for_someone_else_reminds_them_and_is_on_their_agenda_not_the_keepers() {
        let boss = UserId("boss".into());
        let rep = UserId("rep".into());
        let for_boss = Change::PutTask {
            id: ItemId::new(),
            task: Task {
                kind: TaskKind::FollowUp,
                due: day("2026-12-05"),
                note: None,
                done: false,
                assignee: Some(boss.clone()),
            },
            base: 1,
        };
        let customer = archive(vec![for_boss, task(TaskKind::FollowUp, "2026-12-07")]);
        let told: Vec<UserId> = reminders_between(&customer, day("2026-12-05"), day("2026-12-07"))
            .into_iter()
            .map(|r| r.keeper)
            .collect();
        assert_eq!(told.len(), 2);
        assert!(told.contains(&boss) && told.contains(&rep));
        // Each one's Today lists the earliest follow-up that is theirs.
        let follow_up = |me: &UserId| -> Vec<Date> {
            crate::portfolio::agenda([&customer], day("2026-12-07"), &Default::default(), Some(me))
                .iter()
                .filter_map(|e| match e.due {
                    crate::portfolio::Due::FollowUp { due, .. } => Some(due),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(follow_up(&rep), [day("2026-12-07")], "the boss's earlier one is not the keeper's");
        assert_eq!(follow_up(&boss), [day("2026-12-05")]);
    }

    #[test]
    fn an_orders_service_is_due_every_interval_until_the_product_is_bought_again() {
        let order = |product: &str, date: &str| Change::PutOrder {
            id: ItemId::new(),
            order: crate::archive::Order {
                product: product.into(),
                quantity: 1,
                amount: crate::money::Money { minor: 100, currency: crate::money::Currency::cny() },
                date: day(date),
                channel: None,
                ends_on: None,
            },
            base: 1,
        };
        let intervals = std::collections::BTreeMap::from([("空调".to_owned(), 180_u16)]);
        let customer = archive(vec![order("空调", "2026-01-01"), order("茶叶", "2026-01-01")]);
        let due = |from: &str, to: &str| -> Vec<String> {
            services_between(&customer, &intervals, day(from), day(to))
                .iter()
                .map(|r| r.on.to_string())
                .collect()
        };
        // 180 and 360 days on; told three days ahead.
        assert_eq!(due("2026-06-27", "2026-06-27"), ["2026-06-30"]);
        assert!(due("2026-06-26", "2026-06-26").is_empty());
        assert_eq!(due("2026-01-01", "2026-12-31"), ["2026-06-30", "2026-12-27"]);
        // Bought again in September: the first order's rounds stop there.
        let again = archive(vec![order("空调", "2026-01-01"), order("空调", "2026-09-01")]);
        let rounds: Vec<String> = services_between(&again, &intervals, day("2026-01-01"), day("2027-03-31"))
            .iter()
            .map(|r| r.on.to_string())
            .collect();
        assert_eq!(rounds, ["2026-06-30", "2027-02-28"]);
    }

    #[test]
    fn a_festival_is_told_three_days_ahead_lunar_ones_on_their_lunar_day() {
        use crate::calendar::Festival;
        assert_eq!(
            festivals_to_tell(day("2026-12-29"), day("2026-12-29")),
            [(Festival::NewYearsDay, day("2027-01-01"))]
        );
        assert!(festivals_to_tell(day("2026-12-30"), day("2026-12-30")).is_empty());
        // 春节 2027 is on 6 February; 除夕 the day before.
        let told: Vec<Festival> =
            festivals_to_tell(day("2027-02-01"), day("2027-02-03")).into_iter().map(|(f, _)| f).collect();
        assert_eq!(told, [Festival::NewYearsEve, Festival::SpringFestival]);
    }

    #[test]
    fn the_key_names_the_occasion_so_a_moved_task_is_a_new_one() {
        let customer = archive(vec![task(TaskKind::FollowUp, "2026-12-07")]);
        let first = reminders_between(&customer, day("2026-12-07"), day("2026-12-07")).remove(0);
        let mut moved = first.clone();
        moved.on = day("2026-12-09");
        assert_ne!(first.key(), moved.key());
        assert_eq!(first.key(), reminders_between(&customer, day("2026-12-01"), day("2026-12-31"))[0].key());
    }

    #[test]
    fn a_run_covers_the_days_since_the_last_one_but_never_more_than_a_week() {
        let today = day("2026-12-07");
        assert_eq!(first_day_to_cover(Some(day("2026-12-06")), today), today);
        assert_eq!(first_day_to_cover(Some(day("2026-12-04")), today), day("2026-12-05"));
        assert_eq!(first_day_to_cover(Some(day("2026-10-01")), today), day("2026-11-30"));
        assert_eq!(first_day_to_cover(Some(today), today), today);
        assert_eq!(first_day_to_cover(None, today), today);
    }

    #[test]
    fn an_open_complaint_is_due_on_its_deadline_by_severity_and_overdue_the_day_after() {
        use crate::archive::{Feedback, FeedbackKind, FeedbackStatus, Severity};
        let complaint = |severity, status| Change::PutFeedback {
            id: ItemId::new(),
            feedback: Feedback {
                kind: FeedbackKind::Complaint,
                content: "漏水".into(),
                status,
                resolution: None,
                satisfaction: None,
                received_at: Timestamp(day("2026-12-01").days_since_epoch() * 86_400_000 + 3_600_000),
                severity,
            },
            base: 1,
        };
        let customer = archive(vec![
            complaint(Severity::High, FeedbackStatus::Open),
            complaint(Severity::Medium, FeedbackStatus::Resolved),
        ]);
        assert_eq!(
            fired(&customer, "2026-12-02", "2026-12-02"),
            [(ReminderKind::ComplaintDue, "2026-12-02".to_owned(), "2026-12-02".to_owned())]
        );
        assert_eq!(
            fired(&customer, "2026-12-03", "2026-12-03"),
            [(ReminderKind::ComplaintOverdue, "2026-12-03".to_owned(), "2026-12-03".to_owned())]
        );
        assert!(ReminderKind::ComplaintOverdue.escalates());
        let low = archive(vec![complaint(Severity::Low, FeedbackStatus::InProgress)]);
        assert_eq!(fired(&low, "2026-12-08", "2026-12-08")[0].0, ReminderKind::ComplaintDue);
    }

    #[test]
    fn an_archive_in_a_pool_reminds_nobody() {
        let mut customer = archive(vec![born("1980-12-09", false)]);
        customer.fields.owner = None;
        assert!(fired(&customer, "2026-12-06", "2026-12-06").is_empty());
    }
}
