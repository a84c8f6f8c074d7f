//! The figures of the managers' dashboards, computed from archive summaries
//! already narrowed to what the viewer may see.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::rfm::{RfmScore, Segment, Window};
use super::scoring::{Churn, CustomerScore};
use super::summary::CustomerSummary;
use crate::archive::{Category, InteractionKind, LifecycleStage};
use crate::ids::{CustomerId, UserId};
use crate::time::Date;

/// Months shown in monthly series (the current one included).
pub const MONTHS: usize = 12;
/// Weeks shown in weekly series (the current one included).
pub const WEEKS: usize = 8;

/// A calendar month, as `YYYY-MM` in tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Month {
    /// The year.
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
}

impl Month {
    /// The month `day` (days since the epoch) falls in.
    pub fn of_day(day: i64) -> Self {
        let date = Date::from_days_since_epoch(day);
        Self { year: date.year(), month: date.month() }
    }

    /// The month `n` months before this one.
    pub fn back(self, n: usize) -> Self {
        let index = self.year * 12 + i32::from(self.month) - 1 - n as i32;
        Self { year: index.div_euclid(12), month: (index.rem_euclid(12) + 1) as u8 }
    }

    /// The month after this one.
    pub fn next(self) -> Self {
        if self.month == 12 {
            Self { year: self.year + 1, month: 1 }
        } else {
            Self { month: self.month + 1, ..self }
        }
    }

    /// The last `count` months up to and including the month of `today`, oldest first.
    pub fn last(count: usize, today: i64) -> Vec<Month> {
        let now = Self::of_day(today);
        (0..count).rev().map(|n| now.back(n)).collect()
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Finds which of a run of consecutive months a day falls in, by the days
/// the months start on (no calendar arithmetic per order).
struct MonthIndex {
    /// The first day of each month, then the first day after the last.
    bounds: Vec<i64>,
}

impl MonthIndex {
    fn new(months: &[Month]) -> Self {
        let start = |m: Month| Date::new(m.year, m.month, 1).map_or(0, |d| d.days_since_epoch());
        let mut bounds: Vec<i64> = months.iter().map(|m| start(*m)).collect();
        if let Some(last) = months.last() {
            bounds.push(start(last.next()));
        }
        Self { bounds }
    }

    fn of(&self, day: i64) -> Option<usize> {
        match self.bounds.binary_search(&day) {
            Ok(i) if i + 1 < self.bounds.len() => Some(i),
            Err(i) if i > 0 && i < self.bounds.len() => Some(i - 1),
            _ => None,
        }
    }
}

/// The Monday of the week `day` falls in (1970-01-01 was a Thursday).
pub fn week_start(day: i64) -> i64 {
    day - (day + 3).rem_euclid(7)
}

/// A complaint nobody has resolved, and how long it has waited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenComplaint {
    /// The archive.
    pub customer: CustomerId,
    /// Its name.
    pub name: String,
    /// Its keeper.
    pub owner: Option<UserId>,
    /// Days since it was received.
    pub days_open: i64,
}

/// One rep's calls and visits, per week of [`Overview::weeks`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepWeeks {
    /// Who logged them.
    pub rep: UserId,
    /// Visits per week.
    pub visits: Vec<u32>,
    /// Calls per week.
    pub calls: Vec<u32>,
}

/// The team overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    /// The day it describes.
    pub today: Date,
    /// Archives counted.
    pub customers: u32,
    /// Archives per lifecycle stage, every stage listed.
    pub by_stage: Vec<(LifecycleStage, u32)>,
    /// Archives per category, largest first.
    pub by_category: Vec<(Category, u32)>,
    /// The months of the monthly series, oldest first.
    pub months: Vec<Month>,
    /// Archives created per month.
    pub new_per_month: Vec<u32>,
    /// Revenue (base currency, minor units) per month, from order dates.
    pub revenue_per_month: Vec<i64>,
    /// Revenue over the months shown, per record keeper, largest first.
    pub revenue_per_rep: Vec<(Option<UserId>, i64)>,
    /// The Mondays of the weekly series, oldest first.
    pub weeks: Vec<Date>,
    /// Calls and visits per rep (who logged them) and week.
    pub contacts_per_rep: Vec<RepWeeks>,
    /// Archives with a follow-up due before today.
    pub overdue_follow_ups: u32,
    /// Archives with a review due before today.
    pub overdue_reviews: u32,
    /// Open complaints, longest waiting first.
    pub complaints_open: Vec<OpenComplaint>,
}

/// The overview of `customers` as of `today`.
pub fn overview(customers: &[&CustomerSummary], today: i64) -> Overview {
    let months = Month::last(MONTHS, today);
    let month_index = MonthIndex::new(&months);
    let this_week = week_start(today);
    let weeks: Vec<i64> = (0..WEEKS as i64).rev().map(|n| this_week - 7 * n).collect();
    let mut by_stage: BTreeMap<LifecycleStage, u32> = BTreeMap::new();
    let mut by_category: BTreeMap<Category, u32> = BTreeMap::new();
    let mut new_per_month = vec![0u32; MONTHS];
    let mut revenue_per_month = vec![0i64; MONTHS];
    let mut revenue_per_rep: BTreeMap<Option<UserId>, i64> = BTreeMap::new();
    let mut contacts: BTreeMap<UserId, RepWeeks> = BTreeMap::new();
    let (mut overdue_follow_ups, mut overdue_reviews) = (0, 0);
    let mut complaints_open = Vec::new();
    for c in customers.iter().filter(|c| !c.deleted) {
        *by_stage.entry(c.stage).or_default() += 1;
        *by_category.entry(c.category.clone()).or_default() += 1;
        if let Some(i) = month_index.of(c.created)
            && c.created <= today
        {
            new_per_month[i] += 1;
        }
        let mut spent: i64 = 0;
        for order in c.orders.iter().filter(|o| o.day <= today) {
            if let (Some(i), Some(amount)) = (month_index.of(order.day), order.base_amount()) {
                // Amounts are bounded by validation; saturate anyway, so no
                // stored value can break a company-wide sum.
                revenue_per_month[i] = revenue_per_month[i].saturating_add(amount);
                spent = spent.saturating_add(amount);
            }
        }
        if spent != 0 {
            let total = revenue_per_rep.entry(c.owner.clone()).or_default();
            *total = total.saturating_add(spent);
        }
        for contact in c.contacts.iter().filter(|t| t.day <= today && t.day >= weeks[0]) {
            let w = ((week_start(contact.day) - weeks[0]) / 7) as usize;
            let entry = contacts.entry(contact.by.clone()).or_insert_with(|| RepWeeks {
                rep: contact.by.clone(),
                visits: vec![0; WEEKS],
                calls: vec![0; WEEKS],
            });
            match contact.kind {
                InteractionKind::Visit => entry.visits[w] += 1,
                InteractionKind::Call => entry.calls[w] += 1,
                _ => {}
            }
        }
        overdue_follow_ups += u32::from(c.follow_up_due.is_some_and(|d| d < today));
        overdue_reviews += u32::from(c.review_due.is_some_and(|d| d < today));
        for f in c.feedback.iter().filter(|f| f.is_open_complaint()) {
            complaints_open.push(OpenComplaint {
                customer: c.id,
                name: c.name.clone(),
                owner: c.owner.clone(),
                days_open: (today - f.day).max(0),
            });
        }
    }
    complaints_open.sort_by(|a, b| b.days_open.cmp(&a.days_open).then_with(|| a.name.cmp(&b.name)));
    let mut by_category: Vec<(Category, u32)> = by_category.into_iter().collect();
    by_category.sort_by_key(|c| std::cmp::Reverse(c.1));
    let mut revenue_per_rep: Vec<(Option<UserId>, i64)> = revenue_per_rep.into_iter().collect();
    revenue_per_rep.sort_by_key(|r| std::cmp::Reverse(r.1));
    let contacts_per_rep: Vec<RepWeeks> =
        contacts.into_values().filter(|r| r.visits.iter().chain(&r.calls).any(|&n| n > 0)).collect();
    Overview {
        today: Date::from_days_since_epoch(today),
        customers: customers.iter().filter(|c| !c.deleted).count() as u32,
        by_stage: LifecycleStage::ALL.iter().map(|s| (*s, by_stage.get(s).copied().unwrap_or(0))).collect(),
        by_category,
        months,
        new_per_month,
        revenue_per_month,
        revenue_per_rep,
        weeks: weeks.into_iter().map(Date::from_days_since_epoch).collect(),
        contacts_per_rep,
        overdue_follow_ups,
        overdue_reviews,
        complaints_open,
    }
}

/// An average of 1-to-5 scores, kept as sum and count so it adds up exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Average {
    /// The sum of the scores.
    pub sum: u32,
    /// How many scores.
    pub count: u32,
}

impl Average {
    fn add(&mut self, score: u8) {
        self.sum += u32::from(score);
        self.count += 1;
    }

    /// The average in hundredths (4.25 is 425), rounded half up; none without scores.
    pub fn x100(&self) -> Option<u32> {
        (self.count > 0).then(|| (200 * self.sum + self.count) / (2 * self.count))
    }
}

/// One customer's satisfaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSatisfaction {
    /// The archive.
    pub customer: CustomerId,
    /// Its name.
    pub name: String,
    /// Its keeper.
    pub owner: Option<UserId>,
    /// The scores of the period.
    pub average: Average,
}

/// Satisfaction over the months shown: from interactions and feedback that
/// carry a score, by the day they happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SatisfactionReport {
    /// Every score of the period.
    pub overall: Average,
    /// The months, oldest first.
    pub months: Vec<Month>,
    /// Per month: the trend.
    pub per_month: Vec<Average>,
    /// Per record keeper of the customers scored.
    pub per_rep: Vec<(Option<UserId>, Average)>,
    /// Per team.
    pub per_team: Vec<(Option<String>, Average)>,
    /// The least satisfied customers, lowest first (at most 20).
    pub lowest: Vec<CustomerSatisfaction>,
    /// Complaints open now.
    pub complaints_open: u32,
    /// The longest an open complaint has waited, in days.
    pub longest_open_days: Option<i64>,
    /// How long open complaints have waited on average, in days (rounded).
    pub average_open_days: Option<i64>,
}

/// The satisfaction report of `customers` as of `today`.
pub fn satisfaction(customers: &[&CustomerSummary], today: i64) -> SatisfactionReport {
    let months = Month::last(MONTHS, today);
    let month_index = MonthIndex::new(&months);
    let mut overall = Average::default();
    let mut per_month = vec![Average::default(); MONTHS];
    let mut per_rep: BTreeMap<Option<UserId>, Average> = BTreeMap::new();
    let mut per_team: BTreeMap<Option<String>, Average> = BTreeMap::new();
    let mut lowest = Vec::new();
    let mut open_days = Vec::new();
    for c in customers.iter().filter(|c| !c.deleted) {
        let mut mine = Average::default();
        let scores = c
            .contacts
            .iter()
            .filter_map(|t| Some((t.day, t.satisfaction?)))
            .chain(c.feedback.iter().filter_map(|f| Some((f.day, f.satisfaction?))));
        for (day, score) in scores {
            let Some(i) = month_index.of(day).filter(|_| day <= today) else { continue };
            overall.add(score);
            per_month[i].add(score);
            per_rep.entry(c.owner.clone()).or_default().add(score);
            per_team.entry(c.team.clone()).or_default().add(score);
            mine.add(score);
        }
        if mine.count > 0 {
            lowest.push(CustomerSatisfaction {
                customer: c.id,
                name: c.name.clone(),
                owner: c.owner.clone(),
                average: mine,
            });
        }
        open_days.extend(c.feedback.iter().filter(|f| f.is_open_complaint()).map(|f| (today - f.day).max(0)));
    }
    // Lowest average first, compared exactly (a/b < c/d as a*d < c*b).
    lowest.sort_by(|x, y| {
        let (a, b) = (u64::from(x.average.sum), u64::from(x.average.count));
        let (c, d) = (u64::from(y.average.sum), u64::from(y.average.count));
        (a * d).cmp(&(c * b)).then_with(|| x.name.cmp(&y.name))
    });
    lowest.truncate(20);
    let complaints_open = open_days.len() as u32;
    SatisfactionReport {
        overall,
        months,
        per_month,
        per_rep: per_rep.into_iter().collect(),
        per_team: per_team.into_iter().collect(),
        lowest,
        complaints_open,
        longest_open_days: open_days.iter().max().copied(),
        average_open_days: (!open_days.is_empty()).then(|| {
            (2 * open_days.iter().sum::<i64>() + open_days.len() as i64) / (2 * open_days.len() as i64)
        }),
    }
}

/// One customer on the churn warning list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChurnWarning {
    /// The archive.
    pub customer: CustomerId,
    /// Its name.
    pub name: String,
    /// Its keeper.
    pub owner: Option<UserId>,
    /// The day of the last order or interaction.
    pub last_contact: Option<Date>,
    /// The probability it is still active.
    pub p_alive: f64,
    /// Purchases expected in the next 90 days.
    pub expected: Option<f64>,
    /// Its stage now.
    pub stage: LifecycleStage,
    /// The stage the figures suggest.
    pub suggested: LifecycleStage,
    /// An open follow-up is already waiting.
    pub follow_up_due: Option<Date>,
}

/// Customers whose probability of being active is below `threshold`, least
/// likely first, at most `limit`.
pub fn churn_warnings(
    customers: &[&CustomerSummary],
    scores: &HashMap<CustomerId, CustomerScore>,
    threshold: f64,
    limit: usize,
) -> Vec<ChurnWarning> {
    let mut out: Vec<ChurnWarning> = customers
        .iter()
        .filter(|c| !c.deleted)
        .filter_map(|c| {
            let score = scores.get(&c.id)?;
            let Churn::Scored { p_alive, expected } = score.churn else { return None };
            (p_alive < threshold).then(|| ChurnWarning {
                customer: c.id,
                name: c.name.clone(),
                owner: c.owner.clone(),
                last_contact: c.last_contact.map(Date::from_days_since_epoch),
                p_alive,
                expected,
                stage: c.stage,
                suggested: score.suggested,
                follow_up_due: c.follow_up_due.map(Date::from_days_since_epoch),
            })
        })
        .collect();
    out.sort_by(|a, b| a.p_alive.total_cmp(&b.p_alive).then_with(|| a.name.cmp(&b.name)));
    out.truncate(limit);
    out
}

/// One RFM segment's share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentShare {
    /// The segment.
    pub segment: Segment,
    /// Customers in it.
    pub customers: u32,
    /// Their spend in the window (base currency, minor units).
    pub revenue: i64,
}

/// Customer value by RFM segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueReport {
    /// The window RFM covers.
    pub window: Window,
    /// Every segment, best first.
    pub segments: Vec<SegmentShare>,
    /// Spend of everyone scored in the window.
    pub total_revenue: i64,
    /// Customers flagged high value.
    pub high_value: u32,
    /// Customers who never bought (not scored).
    pub no_purchases: u32,
}

/// The value report of `customers`.
pub fn value_report(
    customers: &[&CustomerSummary],
    scores: &HashMap<CustomerId, CustomerScore>,
    window: Window,
) -> ValueReport {
    let mut shares: BTreeMap<Segment, SegmentShare> = Segment::ALL
        .iter()
        .map(|&segment| (segment, SegmentShare { segment, customers: 0, revenue: 0 }))
        .collect();
    let (mut high_value, mut no_purchases, mut total_revenue) = (0, 0, 0);
    for c in customers.iter().filter(|c| !c.deleted) {
        match scores.get(&c.id).and_then(|s| s.rfm) {
            Some(rfm) => {
                let share = shares.get_mut(&rfm.segment).expect("every segment is listed");
                share.customers += 1;
                share.revenue = share.revenue.saturating_add(rfm.monetary);
                total_revenue = i64::saturating_add(total_revenue, rfm.monetary);
                high_value += u32::from(rfm.high_value);
            }
            None => no_purchases += 1,
        }
    }
    ValueReport { window, segments: shares.into_values().collect(), total_revenue, high_value, no_purchases }
}

/// One customer of a segment, for the drill-down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueCustomer {
    /// The archive.
    pub customer: CustomerId,
    /// Its name.
    pub name: String,
    /// Its keeper.
    pub owner: Option<UserId>,
    /// Its scores.
    pub rfm: RfmScore,
    /// Its stage now.
    pub stage: LifecycleStage,
    /// The stage the figures suggest.
    pub suggested: LifecycleStage,
}

/// The customers of `segment` (all scored customers when none), biggest
/// spenders first, at most `limit`.
pub fn segment_customers(
    customers: &[&CustomerSummary],
    scores: &HashMap<CustomerId, CustomerScore>,
    segment: Option<Segment>,
    limit: usize,
) -> Vec<ValueCustomer> {
    let mut out: Vec<ValueCustomer> = customers
        .iter()
        .filter(|c| !c.deleted)
        .filter_map(|c| {
            let score = scores.get(&c.id)?;
            let rfm = score.rfm?;
            segment.is_none_or(|s| s == rfm.segment).then(|| ValueCustomer {
                customer: c.id,
                name: c.name.clone(),
                owner: c.owner.clone(),
                rfm,
                stage: c.stage,
                suggested: score.suggested,
            })
        })
        .collect();
    out.sort_by(|a, b| b.rfm.monetary.cmp(&a.rfm.monetary).then_with(|| a.name.cmp(&b.name)));
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::scoring::score_all;
    use crate::analytics::summary::{ContactPoint, FeedbackPoint, OrderPoint};
    use crate::archive::{FeedbackKind, FeedbackStatus};

    fn day(s: &str) -> i64 {
        Date::parse_field(s, "d").unwrap().days_since_epoch()
    }

    fn summary(name: &str, owner: &str, created: &str) -> CustomerSummary {
        CustomerSummary {
            id: CustomerId::new(),
            version: 1,
            name: name.into(),
            owner: Some(UserId(owner.into())),
            team: Some("north".into()),
            stage: LifecycleStage::Active,
            category: Category::Regular,
            deleted: false,
            created: day(created),
            orders: Vec::new(),
            contacts: Vec::new(),
            feedback: Vec::new(),
            follow_up_due: None,
            review_due: None,
            last_contact: None,
        }
    }

    fn order(d: &str, yuan: i64) -> OrderPoint {
        OrderPoint { day: day(d), amount: yuan * 100, currency: None }
    }

    #[test]
    fn the_overview_adds_up_a_small_team_by_hand() {
        let today = day("2026-12-01"); // a Tuesday
        let mut a = summary("甲", "alice", "2026-11-03");
        a.orders = vec![order("2026-11-05", 100), order("2026-12-01", 50), order("2025-11-30", 999)];
        a.contacts = vec![
            ContactPoint {
                day: day("2026-11-30"),
                kind: InteractionKind::Visit,
                by: UserId("alice".into()),
                satisfaction: Some(4),
            },
            ContactPoint {
                day: day("2026-11-24"),
                kind: InteractionKind::Call,
                by: UserId("bob".into()),
                satisfaction: None,
            },
        ];
        a.follow_up_due = Some(day("2026-11-30"));
        let mut b = summary("乙", "bob", "2026-01-15");
        b.stage = LifecycleStage::Lead;
        b.category = Category::Vip;
        b.orders = vec![OrderPoint {
            day: day("2026-06-01"),
            amount: 700,
            currency: Some(crate::money::Currency::parse("USD").unwrap()),
        }];
        b.review_due = Some(day("2026-12-01"));
        b.feedback = vec![FeedbackPoint {
            day: day("2026-11-21"),
            kind: FeedbackKind::Complaint,
            status: FeedbackStatus::Open,
            satisfaction: Some(2),
        }];
        let mut gone = summary("丙", "alice", "2026-11-01");
        gone.deleted = true;
        gone.orders = vec![order("2026-11-02", 10_000)];

        let o = overview(&[&a, &b, &gone], today);
        assert_eq!(o.customers, 2);
        assert_eq!(o.by_stage[0], (LifecycleStage::Lead, 1));
        assert_eq!(o.by_stage[2], (LifecycleStage::Active, 1));
        assert_eq!(o.months.first().unwrap().to_string(), "2026-01");
        assert_eq!(o.months.last().unwrap().to_string(), "2026-12");
        assert_eq!((o.new_per_month[0], o.new_per_month[10], o.new_per_month[11]), (1, 1, 0));
        // 2025-11-30 falls before the twelve months; USD is not added up.
        assert_eq!((o.revenue_per_month[10], o.revenue_per_month[11]), (10_000, 5_000));
        assert_eq!(o.revenue_per_month.iter().sum::<i64>(), 15_000);
        assert_eq!(o.revenue_per_rep, vec![(Some(UserId("alice".into())), 15_000)]);
        assert_eq!(o.weeks.last().unwrap().to_string(), "2026-11-30");
        let alice = o.contacts_per_rep.iter().find(|r| r.rep.0 == "alice").unwrap();
        let bob = o.contacts_per_rep.iter().find(|r| r.rep.0 == "bob").unwrap();
        assert_eq!((alice.visits[WEEKS - 1], alice.calls[WEEKS - 1]), (1, 0));
        assert_eq!((bob.calls[WEEKS - 2], bob.visits.iter().sum::<u32>()), (1, 0));
        // Due today is not overdue yet.
        assert_eq!((o.overdue_follow_ups, o.overdue_reviews), (1, 0));
        assert_eq!(o.complaints_open.len(), 1);
        assert_eq!((o.complaints_open[0].name.as_str(), o.complaints_open[0].days_open), ("乙", 10));

        let s = satisfaction(&[&a, &b, &gone], today);
        assert_eq!((s.overall.sum, s.overall.count, s.overall.x100()), (6, 2, Some(300)));
        assert_eq!(s.lowest[0].name, "乙");
        assert_eq!((s.complaints_open, s.longest_open_days, s.average_open_days), (1, Some(10), Some(10)));
        assert_eq!(s.per_team, vec![(Some("north".into()), Average { sum: 6, count: 2 })]);
    }

    #[test]
    fn scoring_gives_every_customer_a_status_and_never_a_nan() {
        let today = day("2026-12-01");
        let params = crate::analytics::bgnbd::Params { r: 0.6, alpha: 4.0, a: 0.8, b: 2.5 };
        let histories = crate::analytics::bgnbd::simulate(&params, 400, (10.0, 100.0), 9);
        let mut customers: Vec<CustomerSummary> = histories
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let mut c = summary(&format!("c{i}"), if i % 2 == 0 { "alice" } else { "bob" }, "2024-01-01");
                let first = today - (h.age * 7.0) as i64;
                let last = first + (h.recency * 7.0) as i64;
                c.orders.push(order("2024-01-01", 1).clone());
                c.orders[0].day = first;
                for k in 0..h.frequency as i64 {
                    let d = if k + 1 == h.frequency as i64 { last } else { first + 1 + k };
                    c.orders.push(OrderPoint { day: d.min(last), amount: 1000 * (k + 1), currency: None });
                }
                c
            })
            .collect();
        customers.push(summary("prospect", "alice", "2026-11-01"));
        let refs: Vec<&CustomerSummary> = customers.iter().collect();
        let scoring = score_all(&refs, today, 365);
        assert!(scoring.fit.is_ok(), "{:?}", scoring.fit);
        assert_eq!(scoring.scores.len(), customers.len());
        for score in scoring.scores.values() {
            if let Churn::Scored { p_alive, expected } = score.churn {
                assert!((0.0..=1.0).contains(&p_alive));
                assert!(expected.is_none_or(|e| e.is_finite() && e >= 0.0));
            }
        }
        let prospect = &scoring.scores[&customers.last().unwrap().id];
        assert_eq!((prospect.churn.clone(), prospect.suggested), (Churn::NoPurchases, LifecycleStage::Lead));

        let warnings = churn_warnings(&refs, &scoring.scores, 0.5, 1000);
        assert!(warnings.windows(2).all(|w| w[0].p_alive <= w[1].p_alive));
        assert!(warnings.iter().all(|w| w.p_alive < 0.5));
        let value = value_report(&refs, &scoring.scores, scoring.window);
        assert_eq!(
            value.segments.iter().map(|s| s.customers).sum::<u32>() + value.no_purchases,
            customers.len() as u32
        );
        assert_eq!(value.segments.iter().map(|s| s.revenue).sum::<i64>(), value.total_revenue);
        let champions = segment_customers(&refs, &scoring.scores, Some(Segment::Champions), 10_000);
        assert_eq!(champions.len() as u32, value.segments[0].customers);
    }

    #[test]
    fn a_cohort_that_cannot_be_fitted_says_so_for_each_customer() {
        let today = day("2026-12-01");
        let mut one = summary("one", "alice", "2026-01-01");
        one.orders = vec![order("2026-05-01", 10), order("2026-06-01", 10)];
        let scoring = score_all(&[&one], today, 365);
        assert!(matches!(scoring.fit, Err(crate::analytics::bgnbd::FitError::TooFewCustomers { .. })));
        assert!(matches!(scoring.scores[&one.id].churn, Churn::ModelUnavailable { .. }));
        assert!(scoring.scores[&one.id].rfm.is_some());
    }

    #[test]
    fn a_day_finds_its_month_and_days_outside_find_none() {
        let months = Month::last(3, day("2026-01-15"));
        let index = MonthIndex::new(&months);
        assert_eq!(index.of(day("2025-10-31")), None);
        assert_eq!(index.of(day("2025-11-01")), Some(0));
        assert_eq!(index.of(day("2025-12-31")), Some(1));
        assert_eq!(index.of(day("2026-01-01")), Some(2));
        assert_eq!(index.of(day("2026-01-31")), Some(2));
        assert_eq!(index.of(day("2026-02-01")), None);
    }

    #[test]
    fn months_count_back_across_years() {
        let m = Month { year: 2026, month: 2 };
        assert_eq!(m.back(2), Month { year: 2025, month: 12 });
        assert_eq!(
            Month::last(3, day("2026-01-31")).iter().map(|m| m.to_string()).collect::<Vec<_>>(),
            ["2025-11", "2025-12", "2026-01"]
        );
        assert_eq!(Date::from_days_since_epoch(week_start(day("2026-12-06"))).to_string(), "2026-11-30");
    }
}
