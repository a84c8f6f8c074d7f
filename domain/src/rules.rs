//! Workflow rules: what an admin builds (a trigger, conditions on the
//! customer, actions) and the pure steps that decide when a rule fires and
//! which changes it makes.
//!
//! A rule's changes are mutations authored by the rule (`rule:<id>`), so
//! they go through the push path like a person's: checked, merged, audited
//! and pulled by devices. The store keeps the rules, writes one event per
//! firing (keyed by rule, customer and occasion, so it fires once) and
//! carries the events out.

use serde::{Deserialize, Serialize};

use crate::archive::{Customer, FeedbackKind, FieldName, FieldValue, LifecycleStage, Task, TaskKind};
use crate::care::Template;
use crate::custom_field::CustomValue;
use crate::field_error::FieldError;
use crate::ids::{ItemId, UserId};
use crate::mutation::{Change, FieldEdit};
use crate::time::Date;

/// How long a chain of rule runs may grow: a person's change may trigger a
/// rule, whose change may trigger another; a change made at this depth
/// triggers nothing more.
pub const MAX_DEPTH: u8 = 2;
/// How authors of rule-made changes are named.
pub const AUTHOR_PREFIX: &str = "rule:";
/// Longest rule name, in characters.
pub const MAX_NAME: usize = 60;
/// Most conditions, and most actions, of one rule.
pub const MAX_PARTS: usize = 10;
/// Most days a date trigger or a task may lie away.
pub const MAX_DAYS: i32 = 366;
/// Longest tag, in characters.
pub const MAX_TAG: usize = 30;

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Its id (fixed at creation).
    pub id: String,
    /// What people call it.
    pub name: String,
    /// Whether it fires.
    pub enabled: bool,
    /// When it fires.
    pub trigger: Trigger,
    /// What the customer must be for it to act (all of them).
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// What it does, in order.
    pub actions: Vec<Action>,
}

/// When a rule fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// A customer is created.
    CustomerCreated,
    /// A field changes, optionally from and to given values (wire text,
    /// as [`field_text`] gives it; none: any).
    FieldChanged {
        /// The field.
        field: FieldName,
        /// The value before, if it matters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        /// The value after, if it matters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
    },
    /// An order is added.
    OrderAdded,
    /// A complaint is recorded.
    ComplaintOpened,
    /// An open complaint passes its deadline.
    ComplaintOverdue,
    /// A date of the customer, moved by some days (before: negative).
    DateOffset {
        /// Which date.
        date: DateField,
        /// Days after it (negative: before).
        days: i32,
    },
    /// Every day, week or month, for each customer the conditions select.
    Schedule {
        /// How often.
        every: Every,
    },
    /// The churn risk passes a percentage (fires again only after it has
    /// been below).
    ChurnRiskAbove {
        /// The threshold, 1 to 99.
        percent: u8,
    },
}

impl Trigger {
    /// Whether a change to an archive fires it (else the daily run does).
    pub fn on_change(&self) -> bool {
        matches!(
            self,
            Self::CustomerCreated | Self::FieldChanged { .. } | Self::OrderAdded | Self::ComplaintOpened
        )
    }

    /// Its wire name.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::CustomerCreated => "customer_created",
            Self::FieldChanged { .. } => "field_changed",
            Self::OrderAdded => "order_added",
            Self::ComplaintOpened => "complaint_opened",
            Self::ComplaintOverdue => "complaint_overdue",
            Self::DateOffset { .. } => "date_offset",
            Self::Schedule { .. } => "schedule",
            Self::ChurnRiskAbove { .. } => "churn_risk_above",
        }
    }
}

/// A date of the customer a trigger counts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "key", rename_all = "snake_case")]
pub enum DateField {
    /// The birthday, each year (the lunar one when it is marked so).
    Birthday,
    /// The last order or interaction.
    LastContact,
    /// The last order.
    LastOrder,
    /// The next periodic review.
    NextReview,
    /// Each order's end of contract or service.
    OrderEnds,
    /// A custom field of the date kind, by its key.
    Custom(String),
}

/// How often a scheduled rule fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Every {
    /// Each day.
    Day,
    /// Each week on a weekday (1 Monday to 7 Sunday).
    Week {
        /// The weekday.
        weekday: u8,
    },
    /// Each month on a day (1 to 28, so every month has it).
    Month {
        /// The day of the month.
        day: u8,
    },
}

impl Every {
    /// Whether it fires on `day`.
    pub fn on(self, day: Date) -> bool {
        match self {
            Self::Day => true,
            Self::Week { weekday } => weekday_of(day) == weekday,
            Self::Month { day: d } => day.day() == d,
        }
    }
}

/// 1 for Monday to 7 for Sunday.
pub fn weekday_of(day: Date) -> u8 {
    // 1970-01-01 was a Thursday.
    ((day.days_since_epoch() + 3).rem_euclid(7) + 1) as u8
}

/// What the customer must be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    /// The field holds one of the values.
    FieldIs {
        /// The field.
        field: FieldName,
        /// The values (wire text).
        values: Vec<String>,
    },
    /// The field holds none of the values.
    FieldIsNot {
        /// The field.
        field: FieldName,
        /// The values (wire text).
        values: Vec<String>,
    },
    /// It carries the tag.
    HasTag {
        /// The tag.
        tag: String,
    },
    /// It does not carry the tag.
    LacksTag {
        /// The tag.
        tag: String,
    },
    /// Its churn risk is at least a percentage.
    ChurnRiskAtLeast {
        /// The percentage.
        percent: u8,
    },
    /// The scoring counts it as high value.
    HighValue,
    /// Someone keeps it (it is not in a pool).
    Kept,
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Adds a task, due some days after the firing.
    CreateTask {
        /// What kind.
        task: TaskKind,
        /// Days after the firing.
        in_days: u16,
        /// Its text.
        #[serde(default)]
        note: String,
        /// For the keeper's manager rather than the keeper.
        #[serde(default)]
        for_manager: bool,
    },
    /// Gives the customer to a rep (none: back to its pool).
    Assign {
        /// The rep.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<UserId>,
    },
    /// Sets the stage or the category.
    SetField {
        /// The field (stage or category).
        field: FieldName,
        /// The value (wire text).
        value: String,
    },
    /// Sets the stage the scoring suggests.
    ApplySuggestedStage,
    /// Adds a tag.
    AddTag {
        /// The tag.
        tag: String,
    },
    /// Removes a tag.
    RemoveTag {
        /// The tag.
        tag: String,
    },
    /// Emails the customer (with their consent, within the care rules).
    EmailCustomer {
        /// The words.
        template: Template,
    },
    /// Emails the customer's keeper, at the address they gave.
    EmailKeeper {
        /// The words.
        template: Template,
    },
}

/// What the scoring says of a customer, for conditions and actions.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Facts {
    /// Churn risk, 0 to 1, where the model scores them.
    pub churn_risk: Option<f64>,
    /// Counted as high value.
    pub high_value: bool,
    /// The stage the figures suggest.
    pub suggested: Option<LifecycleStage>,
}

/// What one action comes to for one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A change to push, as the rule.
    Change(Change),
    /// A message to the customer.
    Email(Template),
    /// A message to the keeper.
    EmailKeeper(Template),
    /// Nothing to do, and why (a wire code).
    Nothing(&'static str),
}

/// Where a firing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Fired; its actions are still to be carried out.
    Pending,
    /// Carried out.
    Done,
    /// Not carried out, and why (the customer did not meet a condition,
    /// the rule was switched off, the chain was too long).
    Skipped,
    /// Its changes were refused.
    Failed,
}

/// One line of a rule's run log: a firing and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunEntry {
    /// The customer.
    pub customer: String,
    /// Their name when it fired.
    pub name: String,
    /// What fired it (`change:<mutation>`, `birthday:<day>`, ...).
    pub occasion: String,
    /// The day it fired for.
    pub day: String,
    /// How many rule runs led to it (0: a person's change or the calendar).
    pub depth: u8,
    /// Where it stands.
    pub state: RunState,
    /// Why it was skipped or failed, or what an action found (a code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Changes it made.
    pub changes: u32,
    /// Messages it queued.
    pub emails: u32,
    /// When it fired (Unix milliseconds).
    pub at: i64,
}

/// A firing a preview or a dry run finds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Firing {
    /// The rule.
    pub rule: String,
    /// The customer.
    pub customer: String,
    /// Their name.
    pub name: String,
    /// The day.
    pub day: String,
    /// What fires it.
    pub occasion: String,
    /// The condition they do not meet (its kind), if any: then it is skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unmet: Option<String>,
}

/// What a rule would do, shown before it is switched on.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Preview {
    /// The firings of the coming days (time triggers), at most [`PREVIEW_FIRINGS`].
    pub firings: Vec<Firing>,
    /// For a trigger on a change: how many customers meet the conditions now.
    pub matching: usize,
    /// Some of them, by name.
    pub examples: Vec<String>,
}

/// Days a preview looks ahead.
pub const PREVIEW_DAYS: i64 = 30;
/// Most firings a preview lists.
pub const PREVIEW_FIRINGS: usize = 50;

/// The wire name of a condition's kind.
pub fn condition_kind(condition: &Condition) -> String {
    serde_json::to_value(condition)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

impl Rule {
    /// Whether it reads the scoring (churn risk, value, suggested stage).
    pub fn needs_scores(&self) -> bool {
        matches!(self.trigger, Trigger::ChurnRiskAbove { .. })
            || self
                .conditions
                .iter()
                .any(|c| matches!(c, Condition::ChurnRiskAtLeast { .. } | Condition::HighValue))
            || self.actions.iter().any(|a| matches!(a, Action::ApplySuggestedStage))
    }
}

/// The author of the changes `rule` makes.
pub fn author(rule: &str) -> UserId {
    UserId(format!("{AUTHOR_PREFIX}{rule}"))
}

/// The rule that made a change, if a rule did.
pub fn rule_of(author: &UserId) -> Option<&str> {
    author.0.strip_prefix(AUTHOR_PREFIX)
}

/// A field's value as wire text (none when empty), the form triggers and
/// conditions compare.
pub fn field_text(customer: &Customer, field: FieldName) -> Option<String> {
    let value = serde_json::to_value(FieldValue::read(&customer.fields, field)).ok()?;
    match value.get("value")? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The fields a trigger or a condition may name: those that hold one value.
pub const WATCHED_FIELDS: [FieldName; 9] = [
    FieldName::Stage,
    FieldName::Category,
    FieldName::Owner,
    FieldName::Source,
    FieldName::Industry,
    FieldName::Region,
    FieldName::Kind,
    FieldName::Gender,
    FieldName::CompanySize,
];

/// The fields an action may set.
pub const SETTABLE_FIELDS: [FieldName; 2] = [FieldName::Stage, FieldName::Category];

impl Rule {
    /// A name, at least one action, and every part within its bounds.
    pub fn check(&self) -> Result<(), FieldError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(FieldError::new("name", "required"));
        }
        if name.chars().count() > MAX_NAME {
            return Err(FieldError::new("name", "too_long").with_limit(MAX_NAME as u32));
        }
        if self.id.is_empty()
            || self.id.len() > 40
            || !self.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(FieldError::new("id", "invalid"));
        }
        if self.actions.is_empty() {
            return Err(FieldError::new("actions", "required"));
        }
        if self.actions.len() > MAX_PARTS {
            return Err(FieldError::new("actions", "too_many").with_limit(MAX_PARTS as u32));
        }
        if self.conditions.len() > MAX_PARTS {
            return Err(FieldError::new("conditions", "too_many").with_limit(MAX_PARTS as u32));
        }
        self.check_trigger()?;
        for condition in &self.conditions {
            check_condition(condition)?;
        }
        for action in &self.actions {
            check_action(action)?;
        }
        Ok(())
    }

    fn check_trigger(&self) -> Result<(), FieldError> {
        let bad = || Err(FieldError::new("trigger", "invalid"));
        match &self.trigger {
            Trigger::FieldChanged { field, from, to } => {
                if !WATCHED_FIELDS.contains(field) {
                    return bad();
                }
                if from.is_some() && from == to {
                    return bad();
                }
            }
            Trigger::DateOffset { days, date } => {
                if days.abs() > MAX_DAYS {
                    return Err(FieldError::new("trigger", "out_of_range").with_limit(MAX_DAYS as u32));
                }
                if matches!(date, DateField::Custom(key) if key.is_empty()) {
                    return bad();
                }
            }
            Trigger::Schedule { every: Every::Week { weekday } } if !(1..=7).contains(weekday) => {
                return bad();
            }
            Trigger::Schedule { every: Every::Month { day } } if !(1..=28).contains(day) => return bad(),
            Trigger::ChurnRiskAbove { percent } if !(1..=99).contains(percent) => return bad(),
            _ => {}
        }
        Ok(())
    }

    /// Whether a change by `author` may fire this rule: never its own
    /// change, and never a change at the end of a chain.
    pub fn fires_for(&self, author: &UserId, depth: u8) -> Result<(), &'static str> {
        if rule_of(author) == Some(self.id.as_str()) {
            return Err("rule.own_change");
        }
        if depth >= MAX_DEPTH {
            return Err("rule.chain_too_deep");
        }
        Ok(())
    }
}

fn check_tag(tag: &str) -> Result<(), FieldError> {
    let tag = tag.trim();
    if tag.is_empty() {
        return Err(FieldError::new("tag", "required"));
    }
    if tag.chars().count() > MAX_TAG {
        return Err(FieldError::new("tag", "too_long").with_limit(MAX_TAG as u32));
    }
    Ok(())
}

/// One condition within its bounds (as [`Rule::check`] checks each).
pub fn check_condition(condition: &Condition) -> Result<(), FieldError> {
    match condition {
        Condition::FieldIs { field, values } | Condition::FieldIsNot { field, values } => {
            if !WATCHED_FIELDS.contains(field) || values.is_empty() {
                return Err(FieldError::new("conditions", "invalid"));
            }
        }
        Condition::HasTag { tag } | Condition::LacksTag { tag } => check_tag(tag)?,
        Condition::ChurnRiskAtLeast { percent } if !(1..=99).contains(percent) => {
            return Err(FieldError::new("conditions", "out_of_range"));
        }
        _ => {}
    }
    Ok(())
}

/// One action within its bounds (as [`Rule::check`] checks each).
pub fn check_action(action: &Action) -> Result<(), FieldError> {
    match action {
        Action::CreateTask { in_days, note, .. } => {
            if i32::from(*in_days) > MAX_DAYS {
                return Err(FieldError::new("actions", "out_of_range").with_limit(MAX_DAYS as u32));
            }
            if note.chars().count() > 200 {
                return Err(FieldError::new("note", "too_long").with_limit(200));
            }
        }
        Action::SetField { field, value } => {
            if !SETTABLE_FIELDS.contains(field) || parse_value(*field, value).is_none() {
                return Err(FieldError::new("actions", "invalid"));
            }
        }
        Action::AddTag { tag } | Action::RemoveTag { tag } => check_tag(tag)?,
        Action::EmailCustomer { template } | Action::EmailKeeper { template } => {
            template.check_using(&["name", "date", "keeper"])?
        }
        Action::Assign { .. } | Action::ApplySuggestedStage => {}
    }
    Ok(())
}

/// `value` (wire text) as a value of `field`, if it is one.
fn parse_value(field: FieldName, value: &str) -> Option<FieldValue> {
    serde_json::from_value(serde_json::json!({ "field": field.as_str(), "value": value })).ok()
}

/// Whether `change`, which turned `before` into `after`, fires `trigger`.
pub fn triggered_by(trigger: &Trigger, change: &Change, before: Option<&Customer>, after: &Customer) -> bool {
    let was_live = before.is_some_and(|b| !b.deleted());
    match trigger {
        Trigger::CustomerCreated => matches!(change, Change::Create { .. }) && !was_live,
        Trigger::FieldChanged { field, from, to } => {
            // A new archive is the creation trigger's, not a change of its fields.
            let old = before.and_then(|b| field_text(b, *field));
            let new = field_text(after, *field);
            was_live
                && old != new
                && from.as_ref().is_none_or(|f| old.as_ref() == Some(f))
                && to.as_ref().is_none_or(|t| new.as_ref() == Some(t))
        }
        Trigger::OrderAdded => match change {
            Change::PutOrder { id, .. } => before.is_none_or(|b| !b.orders.contains_key(id)),
            _ => false,
        },
        Trigger::ComplaintOpened => match change {
            Change::PutFeedback { id, feedback, .. } => {
                feedback.kind == FeedbackKind::Complaint
                    && before.is_none_or(|b| !b.feedback.contains_key(id))
            }
            _ => false,
        },
        _ => false,
    }
}

/// The occasions on which a time `trigger` fires for `customer` on `day`,
/// each named so that it fires once (a date trigger's by the date it
/// counts from, a complaint's by the complaint).
pub fn occasions_on(trigger: &Trigger, customer: &Customer, day: Date) -> Vec<String> {
    if customer.deleted() {
        return Vec::new();
    }
    let shifted = |d: Date, days: i64| Date::from_days_since_epoch(d.days_since_epoch() + days);
    match trigger {
        Trigger::ComplaintOverdue => customer
            .feedback
            .iter()
            .filter(|(_, f)| !f.hidden() && f.value().is_open_complaint())
            .filter(|(_, f)| shifted(f.value().deadline(), 1) <= day)
            .map(|(id, _)| format!("complaint:{id}"))
            .collect(),
        Trigger::DateOffset { date, days } => {
            let base = shifted(day, -i64::from(*days));
            let mut out = Vec::new();
            let mut on = |name: &str, d: Option<Date>| {
                if d == Some(base) {
                    out.push(format!("{name}:{base}"));
                }
            };
            match date {
                DateField::Birthday => {
                    let next = customer.fields.birthday.and_then(|born| {
                        crate::calendar::next_birthday(born, customer.fields.birthday_lunar, base)
                    });
                    on("birthday", next);
                }
                DateField::LastContact => on("last_contact", crate::portfolio::last_contact(customer)),
                DateField::LastOrder => {
                    let last = customer.orders.values().filter(|o| !o.hidden()).map(|o| o.value().date).max();
                    on("last_order", last);
                }
                DateField::NextReview => on("review", customer.fields.next_review_at),
                DateField::OrderEnds => {
                    for (id, order) in customer.orders.iter().filter(|(_, o)| !o.hidden()) {
                        if order.value().ends_on == Some(base) {
                            out.push(format!("order_ends:{id}"));
                        }
                    }
                }
                DateField::Custom(key) => {
                    let value = customer.fields.custom.get(key);
                    on(
                        &format!("custom.{key}"),
                        value.and_then(|v| match v {
                            CustomValue::Date(d) => Some(*d),
                            _ => None,
                        }),
                    );
                }
            }
            out
        }
        Trigger::Schedule { every } if every.on(day) => vec![format!("schedule:{day}")],
        _ => Vec::new(),
    }
}

/// The first of `conditions` that `customer` does not meet, if any.
pub fn unmet<'a>(conditions: &'a [Condition], customer: &Customer, facts: &Facts) -> Option<&'a Condition> {
    conditions.iter().find(|condition| !meets(condition, customer, facts))
}

fn meets(condition: &Condition, customer: &Customer, facts: &Facts) -> bool {
    let has_tag = |tag: &str| customer.visible_tags().any(|t| t == tag.trim());
    match condition {
        Condition::FieldIs { field, values } => {
            field_text(customer, *field).is_some_and(|v| values.contains(&v))
        }
        Condition::FieldIsNot { field, values } => {
            field_text(customer, *field).is_none_or(|v| !values.contains(&v))
        }
        Condition::HasTag { tag } => has_tag(tag),
        Condition::LacksTag { tag } => !has_tag(tag),
        Condition::ChurnRiskAtLeast { percent } => {
            facts.churn_risk.is_some_and(|risk| risk * 100.0 >= f64::from(*percent))
        }
        Condition::HighValue => facts.high_value,
        Condition::Kept => customer.fields.owner.is_some(),
    }
}

/// What `action` comes to for `customer`, fired on `day`; `manager` is
/// the keeper's manager, `task_id` the id a new task takes (fixed per
/// firing, so a firing carried out again puts the same task).
pub fn step(
    action: &Action,
    customer: &Customer,
    facts: &Facts,
    day: Date,
    manager: Option<&UserId>,
    task_id: ItemId,
) -> Step {
    let base = customer.version;
    let set = |value: FieldValue| {
        if FieldValue::read(&customer.fields, value.name()) == value {
            Step::Nothing("rule.already_so")
        } else {
            Step::Change(Change::SetFields { edits: vec![FieldEdit { value, base }] })
        }
    };
    match action {
        Action::CreateTask { task: kind, in_days, note, for_manager } => {
            let assignee = if *for_manager {
                match manager {
                    Some(m) => Some(m.clone()),
                    None => return Step::Nothing("rule.no_manager"),
                }
            } else {
                None
            };
            let due = Date::from_days_since_epoch(day.days_since_epoch() + i64::from(*in_days));
            let note = Some(note.trim().to_owned()).filter(|n| !n.is_empty());
            let task = Task { kind: *kind, due, note, done: false, assignee };
            Step::Change(Change::PutTask { id: task_id, task, base: 0 })
        }
        Action::Assign { to } => {
            if customer.fields.owner == *to {
                return Step::Nothing("rule.already_so");
            }
            Step::Change(Change::Reassign {
                owner: to.clone(),
                base,
                reason: Some("rule".into()),
                pool: None,
                over_limit: false,
            })
        }
        Action::SetField { field, value } => match parse_value(*field, value) {
            Some(value) => set(value),
            None => Step::Nothing("rule.bad_value"),
        },
        Action::ApplySuggestedStage => match facts.suggested {
            Some(stage) => set(FieldValue::Stage(stage)),
            None => Step::Nothing("rule.no_suggestion"),
        },
        Action::AddTag { tag } => {
            let tag = tag.trim().to_owned();
            if customer.visible_tags().any(|t| t == tag) {
                return Step::Nothing("rule.already_so");
            }
            Step::Change(Change::AddTag { tag, base })
        }
        Action::RemoveTag { tag } => {
            let tag = tag.trim().to_owned();
            if !customer.visible_tags().any(|t| t == tag) {
                return Step::Nothing("rule.already_so");
            }
            Step::Change(Change::RemoveTag { tag, base })
        }
        Action::EmailCustomer { template } => Step::Email(template.clone()),
        Action::EmailKeeper { template } => match customer.fields.owner {
            Some(_) => Step::EmailKeeper(template.clone()),
            None => Step::Nothing("rule.no_keeper"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{Feedback, FeedbackStatus, Fields, Order, Severity};
    use crate::money::Money;
    use crate::mutation::Sequencer;
    use crate::time::Timestamp;
    use crate::{ApplyContext, CustomerName, apply};

    fn day(s: &str) -> Date {
        Date::parse_field(s, "day").unwrap()
    }

    fn rep() -> Sequencer {
        Sequencer::new(UserId("rep".into()))
    }

    /// Applies `change` to `current` as the rep; the archive after.
    fn applied(current: Option<&Customer>, change: Change) -> Customer {
        let id = current.map_or_else(crate::ids::CustomerId::new, |c| c.id);
        let m = rep().next(id, change, Timestamp(1_700_000_000_000));
        let version = current.map_or(1, |c| c.version + 1);
        apply(current, &m, &ApplyContext { version, today: day("2026-12-01") }).unwrap().0
    }

    fn created() -> (Change, Customer) {
        let mut fields = Fields::named(CustomerName::parse("王芳").unwrap());
        fields.owner = Some(UserId("rep".into()));
        let change = Change::Create { fields: Box::new(fields) };
        let customer = applied(None, change.clone());
        (change, customer)
    }

    fn order(date: &str, ends_on: Option<&str>) -> Order {
        Order {
            product: "空调".into(),
            quantity: 1,
            amount: Money { minor: 100_00, currency: crate::money::Currency::cny() },
            date: day(date),
            channel: None,
            ends_on: ends_on.map(day),
        }
    }

    fn rule(trigger: Trigger, actions: Vec<Action>) -> Rule {
        Rule { id: "r1".into(), name: "规则".into(), enabled: true, trigger, conditions: vec![], actions }
    }

    #[test]
    fn a_created_customer_fires_the_creation_trigger_and_an_edit_does_not() {
        let (change, customer) = created();
        assert!(triggered_by(&Trigger::CustomerCreated, &change, None, &customer));
        let edit = Change::SetFields {
            edits: vec![FieldEdit { value: FieldValue::Stage(LifecycleStage::Active), base: 1 }],
        };
        let after = applied(Some(&customer), edit.clone());
        assert!(!triggered_by(&Trigger::CustomerCreated, &edit, Some(&customer), &after));
    }

    #[test]
    fn a_field_trigger_fires_on_a_change_between_the_values_it_names() {
        let (_, customer) = created();
        let edit = Change::SetFields {
            edits: vec![FieldEdit { value: FieldValue::Stage(LifecycleStage::Active), base: 1 }],
        };
        let after = applied(Some(&customer), edit.clone());
        let changed = |from: Option<&str>, to: Option<&str>| Trigger::FieldChanged {
            field: FieldName::Stage,
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
        };
        assert!(triggered_by(&changed(None, None), &edit, Some(&customer), &after));
        assert!(triggered_by(&changed(Some("lead"), Some("active")), &edit, Some(&customer), &after));
        assert!(!triggered_by(&changed(None, Some("loyal")), &edit, Some(&customer), &after));
        assert!(!triggered_by(&changed(Some("new"), None), &edit, Some(&customer), &after));
        let category = Trigger::FieldChanged { field: FieldName::Category, from: None, to: None };
        assert!(!triggered_by(&category, &edit, Some(&customer), &after), "another field did not change");
    }

    #[test]
    fn an_added_order_fires_once_and_its_later_edit_does_not() {
        let (_, customer) = created();
        let id = ItemId::new();
        let put = Change::PutOrder { id, order: order("2026-12-01", None), base: 0 };
        let after = applied(Some(&customer), put.clone());
        assert!(triggered_by(&Trigger::OrderAdded, &put, Some(&customer), &after));
        let edit = Change::PutOrder { id, order: order("2026-12-02", None), base: after.version };
        let edited = applied(Some(&after), edit.clone());
        assert!(!triggered_by(&Trigger::OrderAdded, &edit, Some(&after), &edited));
    }

    #[test]
    fn only_a_complaint_opens_a_complaint() {
        let (_, customer) = created();
        let feedback = |kind| Feedback {
            kind,
            content: "太慢".into(),
            status: FeedbackStatus::Open,
            resolution: None,
            satisfaction: None,
            received_at: Timestamp(1_764_547_200_000),
            severity: Severity::High,
        };
        for (kind, fires) in [(FeedbackKind::Complaint, true), (FeedbackKind::Praise, false)] {
            let put = Change::PutFeedback { id: ItemId::new(), feedback: feedback(kind), base: 0 };
            let after = applied(Some(&customer), put.clone());
            assert_eq!(triggered_by(&Trigger::ComplaintOpened, &put, Some(&customer), &after), fires);
        }
        // Overdue the day after its one-day deadline, named by the complaint.
        let put =
            Change::PutFeedback { id: ItemId::new(), feedback: feedback(FeedbackKind::Complaint), base: 0 };
        let after = applied(Some(&customer), put);
        let received = Timestamp(1_764_547_200_000).local_date();
        let overdue = |d: i64| {
            occasions_on(
                &Trigger::ComplaintOverdue,
                &after,
                Date::from_days_since_epoch(received.days_since_epoch() + d),
            )
        };
        assert!(overdue(1).is_empty());
        assert_eq!(overdue(2).len(), 1);
        assert_eq!(overdue(2), overdue(9), "one occasion however many days it is late");
    }

    #[test]
    fn a_date_trigger_fires_on_the_day_its_offset_reaches_and_a_birthday_each_year() {
        let (_, customer) = created();
        let born = Change::SetFields {
            edits: vec![FieldEdit { value: FieldValue::Birthday(Some(day("1992-02-29"))), base: 1 }],
        };
        let customer = applied(Some(&customer), born);
        let three_before = Trigger::DateOffset { date: DateField::Birthday, days: -3 };
        // A leap-day birthday falls on 1 March in other years.
        assert_eq!(occasions_on(&three_before, &customer, day("2027-02-26")), vec!["birthday:2027-03-01"]);
        assert_eq!(occasions_on(&three_before, &customer, day("2028-02-26")), vec!["birthday:2028-02-29"]);
        assert!(occasions_on(&three_before, &customer, day("2027-02-25")).is_empty());

        let id = ItemId::new();
        let put = Change::PutOrder { id, order: order("2026-06-01", Some("2027-06-01")), base: 0 };
        let customer = applied(Some(&customer), put);
        let ends = Trigger::DateOffset { date: DateField::OrderEnds, days: -30 };
        assert_eq!(occasions_on(&ends, &customer, day("2027-05-02")), vec![format!("order_ends:{id}")]);
        let quiet = Trigger::DateOffset { date: DateField::LastContact, days: 30 };
        assert_eq!(occasions_on(&quiet, &customer, day("2026-07-01")), vec!["last_contact:2026-06-01"]);
    }

    #[test]
    fn a_schedule_fires_on_its_days() {
        let (_, customer) = created();
        // 2026-12-07 is a Monday.
        assert_eq!(weekday_of(day("2026-12-07")), 1);
        let weekly = Trigger::Schedule { every: Every::Week { weekday: 1 } };
        assert_eq!(occasions_on(&weekly, &customer, day("2026-12-07")), vec!["schedule:2026-12-07"]);
        assert!(occasions_on(&weekly, &customer, day("2026-12-08")).is_empty());
        let monthly = Trigger::Schedule { every: Every::Month { day: 15 } };
        assert_eq!(occasions_on(&monthly, &customer, day("2027-01-15")).len(), 1);
    }

    #[test]
    fn conditions_read_fields_tags_and_scores() {
        let (_, customer) = created();
        let tagged = applied(Some(&customer), Change::AddTag { tag: "重点".into(), base: 1 });
        let facts = Facts { churn_risk: Some(0.75), high_value: false, suggested: None };
        let is = |field, v: &str| Condition::FieldIs { field, values: vec![v.into()] };
        assert_eq!(unmet(&[is(FieldName::Category, "regular"), Condition::Kept], &tagged, &facts), None);
        assert!(unmet(&[is(FieldName::Category, "vip")], &tagged, &facts).is_some());
        assert_eq!(unmet(&[Condition::HasTag { tag: "重点".into() }], &tagged, &facts), None);
        assert!(unmet(&[Condition::LacksTag { tag: "重点".into() }], &tagged, &facts).is_some());
        assert_eq!(unmet(&[Condition::ChurnRiskAtLeast { percent: 70 }], &tagged, &facts), None);
        assert!(unmet(&[Condition::ChurnRiskAtLeast { percent: 80 }], &tagged, &facts).is_some());
        assert!(unmet(&[Condition::HighValue], &tagged, &facts).is_some());
    }

    #[test]
    fn actions_become_changes_and_say_when_there_is_nothing_to_do() {
        let (_, customer) = created();
        let facts = Facts { suggested: Some(LifecycleStage::AtRisk), ..Facts::default() };
        let today = day("2026-12-06");
        let id = ItemId::new();
        let task = Action::CreateTask {
            task: TaskKind::FollowUp,
            in_days: 7,
            note: "回访".into(),
            for_manager: false,
        };
        match step(&task, &customer, &facts, today, None, id) {
            Step::Change(Change::PutTask { id: put, task, .. }) => {
                assert_eq!(put, id);
                assert_eq!(task.due, day("2026-12-13"));
                assert_eq!(task.assignee, None);
            }
            other => panic!("{other:?}"),
        }
        let for_manager = Action::CreateTask {
            task: TaskKind::FollowUp,
            in_days: 1,
            note: String::new(),
            for_manager: true,
        };
        assert_eq!(step(&for_manager, &customer, &facts, today, None, id), Step::Nothing("rule.no_manager"));
        let boss = UserId("boss".into());
        assert!(matches!(
            step(&for_manager, &customer, &facts, today, Some(&boss), id),
            Step::Change(Change::PutTask { task: Task { assignee: Some(_), .. }, .. })
        ));
        let stage = Action::SetField { field: FieldName::Stage, value: "lead".into() };
        assert_eq!(step(&stage, &customer, &facts, today, None, id), Step::Nothing("rule.already_so"));
        assert!(matches!(
            step(&Action::ApplySuggestedStage, &customer, &facts, today, None, id),
            Step::Change(_)
        ));
        let to_pool = Action::Assign { to: None };
        assert!(matches!(
            step(&to_pool, &customer, &facts, today, None, id),
            Step::Change(Change::Reassign { owner: None, .. })
        ));
    }

    #[test]
    fn a_rule_never_fires_on_its_own_change_nor_past_the_chain_depth() {
        let r = rule(Trigger::OrderAdded, vec![Action::AddTag { tag: "x".into() }]);
        assert_eq!(r.fires_for(&UserId("rep".into()), 0), Ok(()));
        assert_eq!(r.fires_for(&author("r2"), 1), Ok(()));
        assert_eq!(r.fires_for(&author("r1"), 1), Err("rule.own_change"));
        assert_eq!(r.fires_for(&author("r2"), MAX_DEPTH), Err("rule.chain_too_deep"));
        assert_eq!(rule_of(&author("r9")), Some("r9"));
    }

    #[test]
    fn a_rule_is_checked_before_it_is_saved() {
        let ok = rule(Trigger::OrderAdded, vec![Action::AddTag { tag: "复购".into() }]);
        assert_eq!(ok.check(), Ok(()));
        let field = |e: Result<(), FieldError>| e.unwrap_err().field;
        assert_eq!(field(Rule { name: " ".into(), ..ok.clone() }.check()), "name");
        assert_eq!(field(Rule { actions: vec![], ..ok.clone() }.check()), "actions");
        let far = Trigger::DateOffset { date: DateField::Birthday, days: 400 };
        assert_eq!(field(Rule { trigger: far, ..ok.clone() }.check()), "trigger");
        let bad_stage = Action::SetField { field: FieldName::Stage, value: "nirvana".into() };
        assert_eq!(field(Rule { actions: vec![bad_stage], ..ok.clone() }.check()), "actions");
        let phones = Action::SetField { field: FieldName::Phones, value: "1".into() };
        assert_eq!(field(Rule { actions: vec![phones], ..ok.clone() }.check()), "actions");
        let bad_mail =
            Action::EmailCustomer { template: Template { subject: "{oops}".into(), body: "x".into() } };
        assert_eq!(field(Rule { actions: vec![bad_mail], ..ok.clone() }.check()), "subject");
        // Round trip through the wire form.
        let text = serde_json::to_string(&ok).unwrap();
        assert_eq!(serde_json::from_str::<Rule>(&text).unwrap(), ok);
    }
}
