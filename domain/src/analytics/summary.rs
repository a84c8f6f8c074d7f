//! What analytics needs of one archive, in a few hundred bytes: the server
//! keeps one summary per archive next to it, written in the same transaction,
//! so dashboards never read the full archives.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::archive::{
    Category, Customer, FeedbackKind, FeedbackStatus, InteractionKind, Item, LifecycleStage, TaskKind,
};
use crate::ids::{CustomerId, ItemId, UserId};
use crate::money::Currency;
use crate::policy::{Role, Viewer};
use crate::portfolio::last_contact;
use crate::time::Date;

/// One order, as analytics sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPoint {
    /// The day it was ordered (days since 1970-01-01).
    #[serde(rename = "d")]
    pub day: i64,
    /// The amount in minor units.
    #[serde(rename = "a")]
    pub amount: i64,
    /// The currency, when it is not the base currency (CNY). Revenue figures
    /// add up the base currency only; every order counts as a purchase.
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
}

impl OrderPoint {
    /// The amount in the base currency, if it is in it.
    pub fn base_amount(&self) -> Option<i64> {
        self.currency.is_none().then_some(self.amount)
    }
}

/// One interaction, as analytics sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPoint {
    /// The day it happened.
    #[serde(rename = "d")]
    pub day: i64,
    /// Call, visit, ...
    #[serde(rename = "k")]
    pub kind: InteractionKind,
    /// Who logged it.
    #[serde(rename = "b")]
    pub by: UserId,
    /// How satisfied the customer was, 1 to 5.
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub satisfaction: Option<u8>,
}

/// One piece of feedback, as analytics sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackPoint {
    /// The day it was received.
    #[serde(rename = "d")]
    pub day: i64,
    /// Complaint, suggestion or praise.
    #[serde(rename = "k")]
    pub kind: FeedbackKind,
    /// Where its handling is.
    #[serde(rename = "st")]
    pub status: FeedbackStatus,
    /// How satisfied the customer was with the handling.
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub satisfaction: Option<u8>,
}

impl FeedbackPoint {
    /// A complaint nobody has resolved yet.
    pub fn is_open_complaint(&self) -> bool {
        self.kind == FeedbackKind::Complaint
            && matches!(self.status, FeedbackStatus::Open | FeedbackStatus::InProgress)
    }
}

/// One archive, summarised for analytics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSummary {
    /// The archive.
    pub id: CustomerId,
    /// The server version it summarises.
    pub version: u64,
    /// Its name.
    pub name: String,
    /// The record keeper; none for the public pool.
    pub owner: Option<UserId>,
    /// The keeper's team when the archive was last written.
    pub team: Option<String>,
    /// Lifecycle stage as recorded.
    pub stage: LifecycleStage,
    /// Category as recorded.
    pub category: Category,
    /// Deleted or merged away: counted nowhere.
    pub deleted: bool,
    /// The day the archive was created.
    pub created: i64,
    /// Orders not removed, oldest first.
    pub orders: Vec<OrderPoint>,
    /// Interactions not removed, oldest first.
    pub contacts: Vec<ContactPoint>,
    /// Feedback not removed, oldest first.
    pub feedback: Vec<FeedbackPoint>,
    /// The earliest follow-up still waiting (an open task, or an
    /// interaction's follow-up date with nothing newer after it).
    pub follow_up_due: Option<i64>,
    /// The earliest review due (the archive's review date or an open review task).
    pub review_due: Option<i64>,
    /// The day of the last order or interaction.
    pub last_contact: Option<i64>,
}

/// Summarises `customer`, whose keeper is in `team`.
pub fn summarize(customer: &Customer, team: Option<&str>) -> CustomerSummary {
    let orders = points(
        &customer.orders,
        |o, _| OrderPoint {
            day: o.date.days_since_epoch(),
            amount: o.amount.minor,
            currency: (o.amount.currency != Currency::cny()).then(|| o.amount.currency.clone()),
        },
        |o| o.day,
    );
    let contacts = points(
        &customer.interactions,
        |v, by| ContactPoint {
            day: v.at.local_date().days_since_epoch(),
            kind: v.kind,
            by: by.clone(),
            satisfaction: v.satisfaction,
        },
        |c| c.day,
    );
    let feedback = points(
        &customer.feedback,
        |v, _| FeedbackPoint {
            day: v.received_at.local_date().days_since_epoch(),
            kind: v.kind,
            status: v.status,
            satisfaction: v.satisfaction,
        },
        |f| f.day,
    );

    let last = last_contact(customer);
    let open_tasks = customer.tasks.values().filter(|t| !t.hidden() && !t.value().done).map(|t| t.value());
    let mut follow_ups: Vec<Date> = Vec::new();
    let mut reviews: Vec<Date> = customer.fields.next_review_at.into_iter().collect();
    for task in open_tasks {
        match task.kind {
            TaskKind::FollowUp => follow_ups.push(task.due),
            TaskKind::Review => reviews.push(task.due),
            TaskKind::Birthday | TaskKind::Maintenance => {}
        }
    }
    // The same rule as the rep's agenda: an interaction's follow-up date
    // counts until something newer happened with the customer.
    for interaction in customer.interactions.values().filter(|i| !i.hidden()).map(|i| i.value()) {
        if let Some(due) = interaction.next_follow_up
            && last.is_none_or(|l| l <= interaction.at.local_date())
        {
            follow_ups.push(due);
        }
    }
    CustomerSummary {
        id: customer.id,
        version: customer.version,
        name: customer.fields.name.as_str().to_owned(),
        owner: customer.fields.owner.clone(),
        team: team.map(str::to_owned),
        stage: customer.fields.stage,
        category: customer.fields.category.clone(),
        deleted: customer.deleted(),
        created: customer.created_at.local_date().days_since_epoch(),
        orders,
        contacts,
        feedback,
        follow_up_due: follow_ups.iter().min().map(|d| d.days_since_epoch()),
        review_due: reviews.iter().min().map(|d| d.days_since_epoch()),
        last_contact: last.map(|d| d.days_since_epoch()),
    }
}

/// The items not removed, as points (made from the content and who added
/// it), oldest first by `day`.
fn points<T: Clone + PartialEq, P>(
    items: &BTreeMap<ItemId, Item<T>>,
    point: impl Fn(&T, &UserId) -> P,
    day: fn(&P) -> i64,
) -> Vec<P> {
    let mut out: Vec<P> =
        items.values().filter(|i| !i.hidden()).map(|i| point(i.value(), &i.added_by)).collect();
    out.sort_by_key(day);
    out
}

/// Whether `summary` counts in `viewer`'s dashboards: an admin's cover every
/// archive, a manager's their team's, a rep's the archives they keep.
pub fn in_dashboard_scope(viewer: &Viewer, summary: &CustomerSummary) -> bool {
    if summary.deleted {
        return false;
    }
    match viewer.role {
        Role::Admin => true,
        Role::Manager => {
            summary.owner.as_ref() == Some(&viewer.user)
                || (viewer.team.is_some() && summary.team.as_deref() == viewer.team.as_deref())
        }
        Role::Rep => summary.owner.as_ref() == Some(&viewer.user),
    }
}
