//! What a rep's cached portfolio answers without the server: search as you
//! type, filters, the order of the list, and today's agenda.

use serde::{Deserialize, Serialize};

use crate::archive::{Customer, FeedbackKind, FeedbackStatus, TaskKind, wire_name};
use crate::custom_field::CustomValue;
use crate::dedup::SearchKeys;
use crate::ids::{CustomerId, ItemId, UserId};
use crate::time::Date;

/// What the list is narrowed to. Empty fields do not narrow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// Typed text: name, pinyin, initials, phone digits, contact or company.
    pub text: String,
    /// Lifecycle stage, snake_case.
    pub stage: String,
    /// Category, snake_case.
    pub category: String,
    /// A tag, exactly.
    pub tag: String,
    /// A city, exactly.
    pub city: String,
    /// A choice of a custom field, as `key=choice`.
    pub custom: String,
}

/// Whether `customer` (with its search keys, when the server sent them)
/// matches `filter`.
pub fn matches(customer: &Customer, keys: Option<&SearchKeys>, filter: &Filter) -> bool {
    Search::new(filter).matches(customer, keys)
}

/// A filter made ready to run over a whole portfolio: the typed text is
/// lower-cased, compacted and reduced to its digits once, not once per
/// archive, so a keystroke over thousands of archives allocates almost nothing.
#[derive(Debug, Clone)]
pub struct Search<'f> {
    filter: &'f Filter,
    text: String,
    compact: String,
    digits: String,
}

impl<'f> Search<'f> {
    /// Prepares `filter`.
    pub fn new(filter: &'f Filter) -> Self {
        let text = filter.text.trim().to_lowercase();
        let compact = text.chars().filter(|c| !c.is_whitespace()).collect();
        let digits = text.chars().filter(char::is_ascii_digit).collect();
        Self { filter, text, compact, digits }
    }

    /// Whether `customer` (with its search keys, when the server sent them) matches.
    pub fn matches(&self, customer: &Customer, keys: Option<&SearchKeys>) -> bool {
        let (filter, fields) = (self.filter, &customer.fields);
        (filter.stage.is_empty() || wire_name(&fields.stage) == filter.stage)
            && (filter.category.is_empty() || wire_name(&fields.category) == filter.category)
            && (filter.tag.is_empty() || customer.visible_tags().any(|t| t == filter.tag))
            && (filter.city.is_empty() || fields.address.city.as_deref() == Some(filter.city.as_str()))
            && custom_matches(customer, &filter.custom)
            && self.text_matches(customer, keys)
    }

    fn text_matches(&self, customer: &Customer, keys: Option<&SearchKeys>) -> bool {
        let text = self.text.as_str();
        if text.is_empty() {
            return true;
        }
        let fields = &customer.fields;
        if contains_folded(fields.name.as_str(), text) {
            return true;
        }
        if let Some(keys) = keys {
            if keys.initials.starts_with(&self.compact) || keys.pinyin.contains(&self.compact) {
                return true;
            }
        }
        if self.digits.len() >= 3 {
            let mut phones =
                fields.phones.iter().chain(customer.contacts.values().flat_map(|c| &c.value().phones));
            if phones.any(|p| p.number.digits_contain(&self.digits)) {
                return true;
            }
        }
        let contact_names =
            customer.contacts.values().filter(|c| !c.hidden()).map(|c| c.value().name.as_str());
        let employer = [fields.occupation.as_deref(), fields.industry.as_deref()];
        let custom_text = fields.custom.values().filter_map(|v| match v {
            CustomValue::Text(text) => Some(text.as_str()),
            _ => None,
        });
        contact_names
            .chain(employer.into_iter().flatten())
            .chain(custom_text)
            .any(|s| contains_folded(s, text))
    }
}

fn custom_matches(customer: &Customer, wanted: &str) -> bool {
    match wanted.split_once('=') {
        Some((key, choice)) => customer.fields.custom.get(key).is_some_and(|v| v.holds(choice)),
        None => wanted.is_empty(),
    }
}

/// Whether `haystack` holds `needle` (already lower case), ignoring case.
/// Most names are Chinese, with no case at all: those are not copied.
fn contains_folded(haystack: &str, needle: &str) -> bool {
    if haystack.chars().any(char::is_uppercase) {
        haystack.to_lowercase().contains(needle)
    } else {
        haystack.contains(needle)
    }
}

/// The day of the last order or interaction, none when there was neither.
pub fn last_contact(customer: &Customer) -> Option<Date> {
    let orders = customer.orders.values().filter(|i| !i.hidden()).map(|i| i.value().date);
    let talks = customer.interactions.values().filter(|i| !i.hidden()).map(|i| i.value().at.local_date());
    orders.chain(talks).max()
}

/// Sorts for the list: most recently contacted first, never contacted last,
/// then by name so the order is stable.
pub fn sort_by_last_contact(customers: &mut [&Customer]) {
    let shown = customers.len();
    first_by_last_contact(customers, shown);
}

/// Puts the first `n` of the list's order at the front, sorted; the rest
/// follow in no particular order. A list that shows a page of a long
/// portfolio sorts only that page.
pub fn first_by_last_contact<'a>(customers: &mut [&'a Customer], n: usize) {
    let key = |c: &&'a Customer| (std::cmp::Reverse(last_contact(c)), c.fields.name.as_str());
    if n == 0 {
        return;
    }
    if n < customers.len() {
        customers.select_nth_unstable_by_key(n - 1, key);
    }
    let first = n.min(customers.len());
    customers[..first].sort_by_cached_key(key);
}

/// Why an archive is on today's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Due {
    /// A follow-up task or an interaction's next follow-up, due by today.
    FollowUp {
        /// The day it was due.
        due: Date,
        /// The task, when it is one (an interaction's date is not a task).
        task: Option<ItemId>,
    },
    /// A birthday within the next seven days.
    Birthday {
        /// This year's (or next year's) birthday.
        on: Date,
        /// Kept by the lunar calendar.
        #[serde(default)]
        lunar: bool,
    },
    /// A maintenance task due within the next seven days or overdue.
    Maintenance {
        /// The day.
        due: Date,
        /// The task.
        task: ItemId,
    },
    /// The archive is due for review.
    Review {
        /// The day.
        due: Date,
    },
    /// No change and no contact for longer than the review rules allow.
    Quiet {
        /// The last change or contact.
        since: Date,
    },
    /// A complaint not yet resolved.
    Complaint {
        /// The feedback item.
        item: ItemId,
        /// Days it has been open.
        days_open: i64,
    },
}

/// One line of the agenda.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaEntry {
    /// The archive.
    pub customer: CustomerId,
    /// Its name.
    pub name: String,
    /// Why it is here.
    pub due: Due,
}

/// What needs `me` today across `customers`, most urgent first within
/// each kind: follow-ups, birthdays, maintenance, reviews, archives gone
/// quiet (by `rules`), complaints. A task given to someone (a rule's task
/// for the keeper's manager) is on that person's agenda only.
pub fn agenda<'a>(
    customers: impl IntoIterator<Item = &'a Customer>,
    today: Date,
    rules: &crate::review::ReviewRules,
    me: Option<&UserId>,
) -> Vec<AgendaEntry> {
    let week = Date::from_days_since_epoch(today.days_since_epoch() + 7);
    let mut out = Vec::new();
    for customer in customers.into_iter().filter(|c| !c.deleted()) {
        let name = customer.fields.name.as_str().to_owned();
        let mut push = |due: Due| out.push(AgendaEntry { customer: customer.id, name: name.clone(), due });
        let mut follow_ups: Vec<(Date, Option<ItemId>)> = Vec::new();
        let mine = |task: &crate::archive::Task| task.assignee.is_none() || task.assignee.as_ref() == me;
        for (id, task) in
            customer.tasks.iter().filter(|(_, t)| !t.hidden() && !t.value().done && mine(t.value()))
        {
            let task_value = task.value();
            match task_value.kind {
                TaskKind::FollowUp if task_value.due <= today => follow_ups.push((task_value.due, Some(*id))),
                TaskKind::Maintenance if task_value.due <= week => {
                    push(Due::Maintenance { due: task_value.due, task: *id })
                }
                TaskKind::Review if task_value.due <= today => push(Due::Review { due: task_value.due }),
                _ => {}
            }
        }
        // An interaction's "follow up on" date counts until something newer
        // happened with the customer.
        let last = last_contact(customer);
        for interaction in customer.interactions.values().filter(|i| !i.hidden()).map(|i| i.value()) {
            if let Some(due) = interaction.next_follow_up
                && due <= today
                && last.is_none_or(|l| l <= interaction.at.local_date())
            {
                follow_ups.push((due, None));
            }
        }
        if let Some(earliest) = follow_ups.iter().min() {
            push(Due::FollowUp { due: earliest.0, task: earliest.1 });
        }
        if let Some(birthday) = customer.fields.birthday
            && let Some(on) = crate::calendar::next_birthday(birthday, customer.fields.birthday_lunar, today)
            && on <= week
        {
            push(Due::Birthday { on, lunar: customer.fields.birthday_lunar });
        }
        if let Some(due) = customer.fields.next_review_at
            && due <= today
        {
            push(Due::Review { due });
        }
        if let Some(since) = rules.quiet_since(customer, today) {
            push(Due::Quiet { since });
        }
        for (id, feedback) in customer.feedback.iter().filter(|(_, f)| !f.hidden()) {
            let value = feedback.value();
            if value.kind == FeedbackKind::Complaint
                && matches!(value.status, FeedbackStatus::Open | FeedbackStatus::InProgress)
            {
                let days_open = value.received_at.local_date().days_until(today).max(0);
                push(Due::Complaint { item: *id, days_open });
            }
        }
    }
    let rank = |due: &Due| match due {
        Due::FollowUp { due, .. } => (0, due.days_since_epoch()),
        Due::Birthday { on, .. } => (1, on.days_since_epoch()),
        Due::Maintenance { due, .. } => (2, due.days_since_epoch()),
        Due::Review { due } => (3, due.days_since_epoch()),
        Due::Quiet { since } => (4, since.days_since_epoch()),
        Due::Complaint { days_open, .. } => (5, -days_open),
    };
    out.sort_by(|a, b| rank(&a.due).cmp(&rank(&b.due)).then_with(|| a.name.cmp(&b.name)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{
        Feedback, FieldValue, Fields, Interaction, InteractionKind, LabelledPhone, PhoneLabel, Task,
    };
    use crate::ids::UserId;
    use crate::mutation::{Change, FieldEdit, Sequencer};
    use crate::time::Timestamp;
    use crate::{ApplyContext, CustomerName, Phone, apply};

    fn day(s: &str) -> Date {
        Date::parse_field(s, "date").unwrap()
    }

    /// An archive built by mutations, as everywhere else.
    fn archive(name: &str, changes: Vec<Change>) -> Customer {
        let mut client = Sequencer::new(UserId("rep".into()));
        let id = CustomerId::new();
        let create = Change::Create { fields: Box::new(Fields::named(CustomerName::parse(name).unwrap())) };
        let mut customer: Option<Customer> = None;
        for change in std::iter::once(create).chain(changes) {
            let m = client.next(id, change, Timestamp(0));
            let ctx = ApplyContext { version: m.seq, today: day("2026-11-23") };
            customer = Some(apply(customer.as_ref(), &m, &ctx).unwrap().0);
        }
        customer.unwrap()
    }

    fn phones(number: &str) -> Change {
        let phone = LabelledPhone { label: PhoneLabel::Mobile, number: Phone::parse(number).unwrap() };
        Change::SetFields { edits: vec![FieldEdit { value: FieldValue::Phones(vec![phone]), base: 1 }] }
    }

    fn visit(on: &str, follow_up: Option<&str>) -> Change {
        let at = Timestamp(day(on).days_since_epoch() * 86_400_000 + 3_600_000);
        let interaction = Interaction {
            kind: InteractionKind::Visit,
            at,
            summary: "拜访".into(),
            satisfaction: Some(4),
            next_follow_up: follow_up.map(day),
        };
        Change::PutInteraction { id: ItemId::new(), interaction, base: 1 }
    }

    fn text(text: &str) -> Filter {
        Filter { text: text.into(), ..Filter::default() }
    }

    #[test]
    fn search_finds_names_initials_pinyin_and_phone_digits() {
        let customer = archive("张三丰", vec![phones("138 0013 8000")]);
        let keys = SearchKeys { pinyin: "zhangsanfeng".into(), initials: "zsf".into() };
        for query in ["三丰", "zs", "ZSF", "sanfeng", "0013", "13800138000"] {
            assert!(matches(&customer, Some(&keys), &text(query)), "{query}");
        }
        for query in ["李", "zx", "999"] {
            assert!(!matches(&customer, Some(&keys), &text(query)), "{query}");
        }
        assert!(!matches(&customer, None, &text("zs")), "no keys, no pinyin match");
    }

    #[test]
    fn filters_narrow_by_stage_category_tag_and_city() {
        let customer = archive("王五", vec![Change::AddTag { tag: "老客户".into(), base: 1 }]);
        let by = |f: Filter| matches(&customer, None, &f);
        assert!(by(Filter { stage: "lead".into(), category: "regular".into(), ..Filter::default() }));
        assert!(by(Filter { tag: "老客户".into(), ..Filter::default() }));
        assert!(!by(Filter { tag: "新".into(), ..Filter::default() }));
        assert!(!by(Filter { stage: "loyal".into(), ..Filter::default() }));
        assert!(!by(Filter { city: "上海".into(), ..Filter::default() }));
    }

    #[test]
    fn a_custom_choice_narrows_the_list_and_custom_text_is_searched() {
        use crate::custom_field::{CustomEdit, CustomValue};
        let set = |key: &str, value: CustomValue| Change::SetCustom {
            edits: vec![CustomEdit { key: key.into(), value: Some(value), base: 1 }],
        };
        let customer = archive(
            "赵六",
            vec![
                set("colours", CustomValue::Choices(["red".to_owned(), "blue".to_owned()].into())),
                set("plate", CustomValue::Text("京A12345".into())),
            ],
        );
        let by =
            |custom: &str| matches(&customer, None, &Filter { custom: custom.into(), ..Filter::default() });
        assert!(by("colours=red") && by("colours=blue"));
        assert!(!by("colours=green") && !by("level=gold"));
        assert!(matches(&customer, None, &text("a123")), "custom text is searched");
    }

    #[test]
    fn the_first_rows_of_a_long_list_are_those_a_full_sort_puts_first() {
        let names = ["甲", "乙", "丙", "丁", "戊", "己", "庚", "辛"];
        let archives: Vec<Customer> = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let visits =
                    if i % 3 == 0 { vec![] } else { vec![visit(&format!("2026-0{}-01", i % 9 + 1), None)] };
                archive(n, visits)
            })
            .collect();
        let mut full: Vec<&Customer> = archives.iter().collect();
        sort_by_last_contact(&mut full);
        for n in [0, 1, 3, 8, 20] {
            let mut page: Vec<&Customer> = archives.iter().rev().collect();
            first_by_last_contact(&mut page, n);
            let first = n.min(page.len());
            assert_eq!(
                page[..first].iter().map(|c| c.id).collect::<Vec<_>>(),
                full[..first].iter().map(|c| c.id).collect::<Vec<_>>(),
                "first {n}"
            );
        }
    }

    #[test]
    fn the_list_puts_the_most_recently_contacted_first_and_the_never_contacted_last() {
        let old = archive("甲", vec![visit("2026-01-05", None)]);
        let never = archive("乙", vec![]);
        let recent = archive("丙", vec![visit("2026-11-01", None)]);
        let mut list = vec![&old, &never, &recent];
        sort_by_last_contact(&mut list);
        let names: Vec<&str> = list.iter().map(|c| c.fields.name.as_str()).collect();
        assert_eq!(names, ["丙", "甲", "乙"]);
    }

    #[test]
    fn the_agenda_lists_follow_ups_birthdays_maintenance_reviews_and_open_complaints() {
        let today = day("2026-11-23");
        let task = |kind, due: &str| Change::PutTask {
            id: ItemId::new(),
            task: Task { kind, due: day(due), note: None, done: false, assignee: None },
            base: 1,
        };
        let birthday = Change::SetFields {
            edits: vec![FieldEdit { value: FieldValue::Birthday(Some(day("1980-11-27"))), base: 1 }],
        };
        let complaint = Change::PutFeedback {
            id: ItemId::new(),
            feedback: Feedback {
                kind: FeedbackKind::Complaint,
                content: "漏水".into(),
                status: FeedbackStatus::Open,
                resolution: None,
                satisfaction: None,
                received_at: Timestamp(day("2026-11-20").days_since_epoch() * 86_400_000),
                severity: Default::default(),
            },
            base: 1,
        };
        let customers = [
            archive("跟进", vec![visit("2026-11-10", Some("2026-11-20"))]),
            archive("已跟进", vec![visit("2026-11-10", Some("2026-11-20")), visit("2026-11-21", None)]),
            archive("生日", vec![birthday]),
            archive(
                "保养",
                vec![task(TaskKind::Maintenance, "2026-11-28"), task(TaskKind::Maintenance, "2027-01-01")],
            ),
            archive("投诉", vec![complaint]),
            archive("复核", vec![task(TaskKind::Review, "2026-11-23")]),
        ];
        // These archives were made in 1970: not one of them counts as quiet here.
        let rules = crate::review::ReviewRules { stale_after_days: u16::MAX, ..Default::default() };
        let entries = agenda(&customers, today, &rules, None);
        let seen: Vec<(&str, &Due)> = entries.iter().map(|e| (e.name.as_str(), &e.due)).collect();
        assert!(matches!(seen[0], ("跟进", Due::FollowUp { task: None, .. })), "{seen:?}");
        assert!(matches!(seen[1], ("生日", Due::Birthday { on, lunar: false }) if *on == day("2026-11-27")));
        assert!(matches!(seen[2], ("保养", Due::Maintenance { .. })));
        assert!(matches!(seen[3], ("复核", Due::Review { .. })));
        assert!(matches!(seen[4], ("投诉", Due::Complaint { days_open: 3, .. })));
        assert_eq!(seen.len(), 5, "a follow-up already done by a later visit is not listed: {seen:?}");
    }

    #[test]
    fn a_lunar_birthday_is_on_the_agenda_in_the_week_of_its_lunar_date() {
        // Born 1990-03-07 (二月十一): in 2026 that is 29 March, not 7 March.
        let born = |lunar| Change::SetFields {
            edits: vec![
                FieldEdit { value: FieldValue::Birthday(Some(day("1990-03-07"))), base: 1 },
                FieldEdit { value: FieldValue::BirthdayLunar(lunar), base: 1 },
            ],
        };
        let customers = [archive("农历", vec![born(true)]), archive("公历", vec![born(false)])];
        let rules = crate::review::ReviewRules { stale_after_days: u16::MAX, ..Default::default() };
        let early_march = agenda(&customers, day("2026-03-03"), &rules, None);
        let late_march = agenda(&customers, day("2026-03-25"), &rules, None);
        let seen = |entries: &[AgendaEntry]| {
            entries.iter().map(|e| (e.name.clone(), e.due.clone())).collect::<Vec<_>>()
        };
        assert_eq!(
            seen(&early_march),
            [("公历".to_owned(), Due::Birthday { on: day("2026-03-07"), lunar: false })]
        );
        assert_eq!(
            seen(&late_march),
            [("农历".to_owned(), Due::Birthday { on: day("2026-03-29"), lunar: true })]
        );
    }

    #[test]
    fn archives_gone_quiet_are_listed_after_reviews_and_a_recent_contact_keeps_one_off() {
        let today = day("2026-11-23");
        let customers = [
            archive("久未联系", vec![visit("2026-03-01", None)]),
            archive("刚拜访", vec![visit("2026-11-01", None)]),
        ];
        let entries = agenda(&customers, today, &crate::review::ReviewRules::default(), None);
        let seen: Vec<(&str, &Due)> = entries.iter().map(|e| (e.name.as_str(), &e.due)).collect();
        assert_eq!(seen, vec![("久未联系", &Due::Quiet { since: day("2026-03-01") })]);
    }
}
