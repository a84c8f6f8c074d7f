//! The customer archive (客户档案): what a rep keeps about one customer.

mod field_meta_wire;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::custom_field::CustomValue;
use crate::ids::{ClientId, CustomerId, ItemId, UserId};
use crate::merge::{Candidate, Register, Stamp};
use crate::money::Money;
use crate::time::{Date, Timestamp};
use crate::{CustomerName, Email, Phone};

/// A person or a company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    /// A private customer.
    #[default]
    Person,
    /// A business customer, usually with contacts.
    Company,
}

/// A person's gender, as the customer gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// 男
    Male,
    /// 女
    Female,
    /// Another answer.
    Other,
}

/// How big a company is, by head count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompanySize {
    /// Fewer than 20 people.
    Micro,
    /// 20 to 99.
    Small,
    /// 100 to 999.
    Medium,
    /// 1000 or more.
    Large,
}

/// What a phone number is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneLabel {
    /// 手机
    Mobile,
    /// 工作
    Work,
    /// 家庭
    Home,
}

/// A phone number with what it is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LabelledPhone {
    /// Mobile, work or home.
    pub label: PhoneLabel,
    /// The number, E.164.
    pub number: Phone,
}

/// A postal address, Chinese style from province down.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Address {
    /// 省 / 直辖市
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// 市
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// 区 / 县
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// Street, building, room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Where the customer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SourceChannel {
    /// Entered by a rep.
    #[default]
    RepEntry,
    /// The public registration form.
    WebForm,
    /// A spreadsheet import.
    Import,
    /// Recommended by another customer.
    Referral,
    /// Met at an event or fair.
    Event,
    /// An online shop order.
    ECommerce,
}

/// The customer's class. VIP, regular and churned are built in; companies add their own.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// A key customer.
    Vip,
    /// The usual customer.
    #[default]
    Regular,
    /// Lost.
    Churned,
    /// A class the company configured, by its key.
    Custom(String),
}

/// Where the relationship stands, from first contact to lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleStage {
    /// A prospect, not yet a customer.
    #[default]
    Lead,
    /// Bought for the first time recently.
    New,
    /// Buys regularly.
    Active,
    /// Buys regularly for a long time.
    Loyal,
    /// Buying less; needs attention.
    AtRisk,
    /// Stopped buying.
    Churned,
}

impl LifecycleStage {
    /// Every stage, from first contact to lost.
    pub const ALL: [LifecycleStage; 6] = [
        LifecycleStage::Lead,
        LifecycleStage::New,
        LifecycleStage::Active,
        LifecycleStage::Loyal,
        LifecycleStage::AtRisk,
        LifecycleStage::Churned,
    ];
}

/// How to reach the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactChannel {
    /// A phone call.
    Phone,
    /// A text message.
    Sms,
    /// WeChat.
    Wechat,
    /// Email.
    Email,
    /// A visit.
    Visit,
}

/// What the customer likes and how they like to be contacted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Preferences {
    /// Favourite brands.
    pub brands: BTreeSet<String>,
    /// Favourite colours.
    pub colours: BTreeSet<String>,
    /// Anything else, as key and value.
    pub notes: BTreeMap<String, String>,
    /// The channel they prefer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_channel: Option<ContactChannel>,
    /// When they prefer to be contacted ("weekday evenings").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_time: Option<String>,
}

/// Whether the customer agreed to marketing, and how that was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Consent {
    /// Marketing allowed.
    pub marketing: bool,
    /// The channel the consent covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ContactChannel>,
    /// When it was given or withdrawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
    /// How it was collected ("signed form", "web form checkbox").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub how: Option<String>,
}

/// A person to talk to at a company customer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Contact {
    /// The contact's name.
    pub name: CustomerName,
    /// Their role ("采购经理").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Their numbers.
    pub phones: Vec<LabelledPhone>,
    /// Their email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
}

/// A sale.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Order {
    /// What was sold.
    pub product: String,
    /// How many; at least 1.
    pub quantity: u32,
    /// The total, in minor units (fen for CNY).
    pub amount: Money,
    /// When it was ordered.
    pub date: Date,
    /// Where ("门店", "天猫").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// When the contract or service it sold ends (合同/服务到期), if it
    /// does: a pool rule may send the archive back some days after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_on: Option<Date>,
}

/// What kind of contact an interaction was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InteractionKind {
    /// 电话
    Call,
    /// 拜访
    Visit,
    /// 邮件
    Email,
    /// 聊天 (WeChat and the like)
    Chat,
    /// 会议
    Meeting,
    /// 咨询
    Consultation,
    /// 投诉
    Complaint,
    /// 售后服务
    AfterSales,
}

/// One contact with the customer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Interaction {
    /// Call, visit, ...
    pub kind: InteractionKind,
    /// When it happened.
    pub at: Timestamp,
    /// What was said and agreed.
    pub summary: String,
    /// How satisfied the customer was, 1 to 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub satisfaction: Option<u8>,
    /// When to follow up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_follow_up: Option<Date>,
}

/// What a piece of feedback is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    /// 投诉
    Complaint,
    /// 建议
    Suggestion,
    /// 表扬
    Praise,
}

/// Where a piece of feedback is in its handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackStatus {
    /// Received, nobody on it yet.
    Open,
    /// Someone is working on it.
    InProgress,
    /// Answered; waiting to be closed.
    Resolved,
    /// Done.
    Closed,
}

impl FeedbackStatus {
    /// Whether handling may move from `self` to `next`: forward one step at a
    /// time, or back to in progress when a resolution did not hold.
    pub fn may_become(self, next: FeedbackStatus) -> bool {
        use FeedbackStatus::*;
        matches!(
            (self, next),
            (Open, InProgress)
                | (InProgress, Resolved)
                | (Resolved, Closed)
                | (Resolved, InProgress)
                | (Open, Resolved)
        ) || self == next
    }
}

/// A complaint, suggestion or praise, and how it was handled.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Feedback {
    /// Complaint, suggestion or praise.
    pub kind: FeedbackKind,
    /// What the customer said.
    pub content: String,
    /// Where its handling is.
    pub status: FeedbackStatus,
    /// What was done about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// How satisfied the customer was with the handling, 1 to 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub satisfaction: Option<u8>,
    /// When it was received.
    pub received_at: Timestamp,
    /// How serious a complaint is: it sets how soon it must be handled.
    #[serde(default)]
    pub severity: Severity,
}

/// How serious a complaint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Can wait a week.
    Low,
    /// The usual: three days.
    #[default]
    Medium,
    /// Handle the next day.
    High,
}

impl Severity {
    /// Every severity, mildest first.
    pub const ALL: [Severity; 3] = [Self::Low, Self::Medium, Self::High];

    /// Days from receipt within which a complaint of this severity is to
    /// be resolved; past them it escalates to the keeper's manager.
    pub fn deadline_days(self) -> i64 {
        match self {
            Self::Low => 7,
            Self::Medium => 3,
            Self::High => 1,
        }
    }
}

impl Feedback {
    /// The day a complaint is to be resolved by.
    pub fn deadline(&self) -> Date {
        Date::from_days_since_epoch(
            self.received_at.local_date().days_since_epoch() + self.severity.deadline_days(),
        )
    }

    /// Whether it is a complaint nobody has resolved yet.
    pub fn is_open_complaint(&self) -> bool {
        self.kind == FeedbackKind::Complaint
            && matches!(self.status, FeedbackStatus::Open | FeedbackStatus::InProgress)
    }
}

/// What a task reminds of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// 跟进
    FollowUp,
    /// 生日
    Birthday,
    /// 保养 / maintenance due
    Maintenance,
    /// 定期复核 the archive
    Review,
}

/// A reminder for the rep.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Task {
    /// What it is about.
    pub kind: TaskKind,
    /// When it is due.
    pub due: Date,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Done or not.
    pub done: bool,
    /// Whose task it is when not the keeper's (a rule may give one to the
    /// keeper's manager).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<UserId>,
}

/// An item of an archive. Its content merges like a field; removal is a
/// separate flag, so removing never rewrites the content, nothing typed is
/// lost, and a removal wins over an edit it did not see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item<T> {
    /// Who added it.
    pub added_by: UserId,
    /// The content and its concurrent edits.
    pub content: Register<T>,
    /// Removed or not.
    pub removed: Register<bool>,
}

impl<T: Clone + PartialEq> Item<T> {
    /// The current content.
    pub fn value(&self) -> &T {
        &self.content.value
    }

    /// Hidden when any surviving write removed it.
    pub fn hidden(&self) -> bool {
        self.removed.candidates().any(|c| *c.value)
    }
}

/// Scalar facts' bookkeeping: the write of the current value and the
/// concurrent values competing with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMeta {
    /// The write of the current value.
    pub stamp: Stamp,
    /// Concurrent writes; an open conflict when any differs from the current value.
    pub rivals: Vec<Candidate<FieldValue>>,
}

/// A custom field's bookkeeping, as [`FieldMeta`] is a built-in one's. An
/// empty value is a value too (`None`), so emptying a field merges like any edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomMeta {
    /// The write of the current value.
    pub stamp: Stamp,
    /// Concurrent writes; an open conflict when any differs from the current value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rivals: Vec<Candidate<Option<CustomValue>>>,
}

impl CustomMeta {
    /// The field's value and bookkeeping as one register, to write to.
    pub fn register(&self, value: Option<CustomValue>) -> Register<Option<CustomValue>> {
        Register { value, stamp: self.stamp.clone(), rivals: self.rivals.clone() }
    }

    /// Whether a concurrent write differs from `current`.
    pub fn in_conflict(&self, current: Option<&CustomValue>) -> bool {
        self.rivals.iter().any(|r| r.value.as_ref() != current)
    }
}

/// One customer's archive: basic facts, contacts, orders, interactions,
/// feedback and tasks, each value with the write that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// The archive's id.
    pub id: CustomerId,
    /// The scalar facts as they read now.
    pub fields: Fields,
    /// For each scalar fact, its write and any conflict.
    #[serde(with = "field_meta_wire")]
    pub field_meta: BTreeMap<FieldName, FieldMeta>,
    /// For each custom field ever written, its write and any conflict.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_meta: BTreeMap<String, CustomMeta>,
    /// Tags; a tag is shown when any surviving write added it.
    pub tags: BTreeMap<String, Register<bool>>,
    /// Contacts at a company.
    pub contacts: BTreeMap<ItemId, Item<Contact>>,
    /// Orders.
    pub orders: BTreeMap<ItemId, Item<Order>>,
    /// Calls, visits and other contacts.
    pub interactions: BTreeMap<ItemId, Item<Interaction>>,
    /// Complaints, suggestions, praise.
    pub feedback: BTreeMap<ItemId, Item<Feedback>>,
    /// Reminders.
    pub tasks: BTreeMap<ItemId, Item<Task>>,
    /// Deleted or not; a deletion wins over a restore it did not see.
    pub deletion: Register<bool>,
    /// Set when this archive was merged into another; it is then deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<CustomerId>,
    /// Who created the archive.
    pub created_by: UserId,
    /// When (client time, informational).
    pub created_at: Timestamp,
    /// When it last changed (client time of that change, informational).
    pub updated_at: Timestamp,
    /// The server version of the last change to anything in the archive.
    pub version: u64,
    /// The last sequence number applied from each client, so a mutation
    /// delivered twice takes effect once.
    pub applied_seq: BTreeMap<ClientId, u64>,
    /// With no keeper: the team whose pool holds it, none being the company
    /// pool (see [`crate::pool`]); with a keeper, the pool it was last in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    /// The server's day its keeper took it (created, claimed, assigned):
    /// recycle windows never count from before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_since: Option<Date>,
}

impl Customer {
    /// Everyone the archive names: its keeper, who created it, who it is
    /// shared with, and the author of every value and item it holds.
    pub fn people(&self) -> BTreeSet<&UserId> {
        fn items<'a, T: Clone + PartialEq>(
            list: &'a BTreeMap<ItemId, Item<T>>,
            into: &mut BTreeSet<&'a UserId>,
        ) {
            for item in list.values() {
                into.extend([&item.added_by, &item.content.stamp.author, &item.removed.stamp.author]);
            }
        }
        let mut people: BTreeSet<&UserId> = BTreeSet::from([&self.created_by]);
        people.extend(self.fields.owner.as_ref());
        people.extend(&self.fields.shared_with);
        people.extend(self.field_meta.values().map(|m| &m.stamp.author));
        people.extend(self.custom_meta.values().map(|m| &m.stamp.author));
        items(&self.contacts, &mut people);
        items(&self.orders, &mut people);
        items(&self.interactions, &mut people);
        items(&self.feedback, &mut people);
        items(&self.tasks, &mut people);
        people
    }

    /// Deleted: hidden from lists, kept so it can be restored.
    pub fn deleted(&self) -> bool {
        self.deletion.candidates().any(|c| *c.value)
    }

    /// The tags shown.
    pub fn visible_tags(&self) -> impl Iterator<Item = &str> {
        self.tags.iter().filter(|(_, r)| r.candidates().any(|c| *c.value)).map(|(t, _)| t.as_str())
    }

    /// True when any value has an open conflict or an edit met a deletion.
    pub fn has_conflicts(&self) -> bool {
        let fields = &self.fields;
        // Most fields have no rival: their value is not copied to compare.
        self.field_meta.iter().any(|(name, m)| {
            !m.rivals.is_empty() && {
                let current = FieldValue::read(fields, *name);
                m.rivals.iter().any(|r| r.value != current)
            }
        }) || self.custom_meta.iter().any(|(key, m)| m.in_conflict(self.fields.custom.get(key)))
            || self.contacts.values().any(|i| i.content.in_conflict())
            || self.orders.values().any(|i| i.content.in_conflict())
            || self.interactions.values().any(|i| i.content.in_conflict())
            || self.feedback.values().any(|i| i.content.in_conflict())
            || self.tasks.values().any(|i| i.content.in_conflict())
            || !self.edits_while_deleted().is_empty()
    }

    /// Every subject with an open conflict, in a stable order.
    pub fn conflicts(&self) -> Vec<Subject> {
        let mut subjects: Vec<Subject> = self
            .field_meta
            .iter()
            .filter(|(name, m)| {
                let current = FieldValue::read(&self.fields, **name);
                m.rivals.iter().any(|r| r.value != current)
            })
            .map(|(name, _)| Subject::Field(*name))
            .collect();
        subjects.extend(
            self.custom_meta
                .iter()
                .filter(|(key, m)| m.in_conflict(self.fields.custom.get(*key)))
                .map(|(key, _)| Subject::Custom(key.clone())),
        );
        subjects
            .extend(self.tags.iter().filter(|(_, r)| r.in_conflict()).map(|(t, _)| Subject::Tag(t.clone())));
        fn items<T: Clone + PartialEq>(
            out: &mut Vec<Subject>,
            kind: ItemKind,
            list: &BTreeMap<ItemId, Item<T>>,
        ) {
            out.extend(
                list.iter()
                    .filter(|(_, i)| i.content.in_conflict() || i.removed.in_conflict())
                    .map(|(id, _)| Subject::Item(kind, *id)),
            );
        }
        items(&mut subjects, ItemKind::Contact, &self.contacts);
        items(&mut subjects, ItemKind::Order, &self.orders);
        items(&mut subjects, ItemKind::Interaction, &self.interactions);
        items(&mut subjects, ItemKind::Feedback, &self.feedback);
        items(&mut subjects, ItemKind::Task, &self.tasks);
        if self.deletion.in_conflict() || !self.edits_while_deleted().is_empty() {
            subjects.push(Subject::Deletion);
        }
        subjects.sort();
        subjects.dedup();
        subjects
    }

    /// Edits made without seeing a deletion they met: the deletion wins and
    /// the edits are kept, so a restore brings them back; until then they are
    /// shown as conflicts. Derived from the surviving writes, so every
    /// replica lists the same ones whatever order the writes arrived in.
    pub fn edits_while_deleted(&self) -> Vec<DeletedEdit> {
        // Checked for every archive on every sync: nothing is copied until
        // a deletion is found.
        let deletions: Vec<Stamp> =
            self.deletion.writes().filter(|(deleted, _)| **deleted).map(|(_, stamp)| stamp.clone()).collect();
        if deletions.is_empty() {
            return Vec::new();
        }
        let mut writes: Vec<(Subject, Stamp)> = Vec::new();
        for (name, meta) in &self.field_meta {
            let stamps = std::iter::once(&meta.stamp).chain(meta.rivals.iter().map(|r| &r.stamp));
            writes.extend(stamps.map(|s| (Subject::Field(*name), s.clone())));
        }
        for (key, meta) in &self.custom_meta {
            let stamps = std::iter::once(&meta.stamp).chain(meta.rivals.iter().map(|r| &r.stamp));
            writes.extend(stamps.map(|s| (Subject::Custom(key.clone()), s.clone())));
        }
        for (tag, register) in &self.tags {
            writes.extend(register.candidates().map(|c| (Subject::Tag(tag.clone()), c.stamp)));
        }
        fn items<T: Clone + PartialEq>(
            writes: &mut Vec<(Subject, Stamp)>,
            kind: ItemKind,
            list: &BTreeMap<ItemId, Item<T>>,
        ) {
            for (id, item) in list {
                let stamps = item.content.candidates().chain(
                    item.removed
                        .candidates()
                        .map(|c| Candidate { value: &item.content.value, stamp: c.stamp }),
                );
                writes.extend(stamps.map(|c| (Subject::Item(kind, *id), c.stamp)));
            }
        }
        items(&mut writes, ItemKind::Contact, &self.contacts);
        items(&mut writes, ItemKind::Order, &self.orders);
        items(&mut writes, ItemKind::Interaction, &self.interactions);
        items(&mut writes, ItemKind::Feedback, &self.feedback);
        items(&mut writes, ItemKind::Task, &self.tasks);
        writes
            .into_iter()
            .filter(|(_, stamp)| deletions.iter().any(|d| stamp.concurrent_with(d)))
            .map(|(subject, stamp)| DeletedEdit { subject, stamp })
            .collect()
    }
}

/// An edit a client made without having seen that the archive was deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedEdit {
    /// What it edited.
    pub subject: Subject,
    /// The edit's write (the client's latest on that subject).
    pub stamp: Stamp,
}

/// Anything in an archive a write can target.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "key", rename_all = "snake_case")]
pub enum Subject {
    /// A scalar field.
    Field(FieldName),
    /// A tag.
    Tag(String),
    /// A custom field, by its key.
    Custom(String),
    /// An item, by its list and id.
    Item(ItemKind, ItemId),
    /// The archive's deleted flag.
    Deletion,
}

impl Subject {
    /// A short stable key: `field:phones`, `tag:VIP`, `order:<id>`, `deletion`.
    pub fn key(&self) -> String {
        match self {
            Self::Field(name) => format!("field:{}", name.as_str()),
            Self::Tag(tag) => format!("tag:{tag}"),
            Self::Custom(key) => format!("custom:{key}"),
            Self::Item(kind, id) => format!("{}:{id}", kind.as_str()),
            Self::Deletion => "deletion".to_owned(),
        }
    }
}

impl ItemKind {
    /// The stable snake_case name (also the name of its table on the server).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contact => "contact",
            Self::Order => "order",
            Self::Interaction => "interaction",
            Self::Feedback => "feedback",
            Self::Task => "task",
        }
    }
}

/// The lists of items an archive holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// Contacts.
    Contact,
    /// Orders.
    Order,
    /// Interactions.
    Interaction,
    /// Feedback.
    Feedback,
    /// Tasks.
    Task,
}

/// The scalar fields of a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fields {
    /// Person or company.
    pub kind: PartyKind,
    /// The name.
    pub name: CustomerName,
    /// For persons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    /// For persons; never in the future.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday: Option<Date>,
    /// The birthday is kept by the lunar calendar (农历生日): the lunar
    /// date of `birthday`, each lunar year.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub birthday_lunar: bool,
    /// For persons: occupation or title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupation: Option<String>,
    /// For companies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
    /// For companies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_size: Option<CompanySize>,
    /// Phone numbers.
    pub phones: Vec<LabelledPhone>,
    /// Email addresses.
    pub emails: Vec<Email>,
    /// Where they live or work.
    pub address: Address,
    /// Sales region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Where they came from.
    pub source: SourceChannel,
    /// VIP, regular, churned or a configured class.
    pub category: Category,
    /// Lead to churned.
    pub stage: LifecycleStage,
    /// Likes and contact preferences.
    pub preferences: Preferences,
    /// Marketing consent.
    pub consent: Consent,
    /// The record keeper (建档人); empty for the public pool (公海).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<UserId>,
    /// When the archive is next due for review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_review_at: Option<Date>,
    /// National ID or company registration number; sensitive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// Colleagues the record keeper shares the archive with (they see it masked).
    #[serde(default)]
    pub shared_with: BTreeSet<UserId>,
    /// The company's own fields, by key (see [`crate::custom_field`]); an
    /// empty one is absent. Written through [`crate::Change::SetCustom`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom: BTreeMap<String, CustomValue>,
}

impl Fields {
    /// The fields of a new archive with only a name.
    pub fn named(name: CustomerName) -> Self {
        Self {
            kind: PartyKind::default(),
            name,
            gender: None,
            birthday: None,
            birthday_lunar: false,
            occupation: None,
            industry: None,
            company_size: None,
            phones: Vec::new(),
            emails: Vec::new(),
            address: Address::default(),
            region: None,
            source: SourceChannel::default(),
            category: Category::default(),
            stage: LifecycleStage::default(),
            preferences: Preferences::default(),
            consent: Consent::default(),
            owner: None,
            next_review_at: None,
            id_number: None,
            shared_with: BTreeSet::new(),
            custom: BTreeMap::new(),
        }
    }
}

macro_rules! field_values {
    ($($(#[$doc:meta])* $variant:ident($ty:ty) => $field:ident),* $(,)?) => {
        /// The name of each scalar field, for stamps, conflicts and audit.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum FieldName {
            $($(#[$doc])* $variant),*
        }

        impl FieldName {
            /// Every field, in declaration order.
            pub const ALL: &[FieldName] = &[$(FieldName::$variant),*];

            /// The stable snake_case name, as on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(FieldName::$variant => stringify!($field)),*
                }
            }
        }

        /// A new value for one scalar field.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "field", content = "value", rename_all = "snake_case")]
        pub enum FieldValue {
            $($(#[$doc])* $variant($ty)),*
        }

        impl FieldValue {
            /// Which field this value is for.
            pub fn name(&self) -> FieldName {
                match self {
                    $(Self::$variant(_) => FieldName::$variant),*
                }
            }

            /// The current value of `name` in `fields`.
            pub fn read(fields: &Fields, name: FieldName) -> Self {
                match name {
                    $(FieldName::$variant => Self::$variant(fields.$field.clone())),*
                }
            }

            /// Puts this value into `fields`.
            pub fn write_into(self, fields: &mut Fields) {
                match self {
                    $(Self::$variant(value) => fields.$field = value),*
                }
            }
        }
    };
}

field_values! {
    /// Person or company.
    Kind(PartyKind) => kind,
    /// The name.
    Name(CustomerName) => name,
    /// Gender.
    Gender(Option<Gender>) => gender,
    /// Birthday.
    Birthday(Option<Date>) => birthday,
    /// Whether the birthday is kept by the lunar calendar.
    BirthdayLunar(bool) => birthday_lunar,
    /// Occupation or title.
    Occupation(Option<String>) => occupation,
    /// Industry.
    Industry(Option<String>) => industry,
    /// Company size.
    CompanySize(Option<CompanySize>) => company_size,
    /// Phone numbers.
    Phones(Vec<LabelledPhone>) => phones,
    /// Email addresses.
    Emails(Vec<Email>) => emails,
    /// Address.
    Address(Address) => address,
    /// Sales region.
    Region(Option<String>) => region,
    /// Source channel.
    Source(SourceChannel) => source,
    /// Category.
    Category(Category) => category,
    /// Lifecycle stage.
    Stage(LifecycleStage) => stage,
    /// Preferences.
    Preferences(Preferences) => preferences,
    /// Marketing consent.
    Consent(Consent) => consent,
    /// Record keeper.
    Owner(Option<UserId>) => owner,
    /// Next review date.
    NextReviewAt(Option<Date>) => next_review_at,
    /// ID or registration number.
    IdNumber(Option<String>) => id_number,
    /// Colleagues it is shared with.
    SharedWith(BTreeSet<UserId>) => shared_with,
}

/// The name a value travels under on the wire: the snake_case string of an
/// enum (`loyal`, `vip`), or the JSON text of anything else.
pub fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_not_given_are_left_out_and_the_earlier_form_with_nulls_still_reads() {
        let fields = Fields::named(CustomerName::parse("张三").unwrap());
        let json = serde_json::to_string(&fields).unwrap();
        // A new archive leaves most of its values empty: each written as
        // null made a sixth of every archive in a pull.
        assert!(!json.contains("null"), "{json}");
        assert_eq!(serde_json::from_str::<Fields>(&json).unwrap(), fields);

        let mut earlier = serde_json::to_value(&fields).unwrap();
        earlier["gender"] = serde_json::Value::Null;
        earlier["occupation"] = serde_json::Value::Null;
        earlier["address"]["city"] = serde_json::Value::Null;
        earlier["consent"]["how"] = serde_json::Value::Null;
        assert_eq!(serde_json::from_value::<Fields>(earlier).unwrap(), fields);
    }
}
