//! Each dashboard's numbers as tables: shown beside the charts and exported
//! as CSV, so what a manager downloads is what they saw.

use std::collections::BTreeMap;

use domain::analytics::dashboard::Average;
use domain::ids::UserId;

use super::api::{ChurnData, DashboardTable, OverviewData, ValueData};
use super::texts::DashboardTexts;
use crate::i18n::{Label, Locale};

/// A table: a header row and body rows, all text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// One row per line.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &[&str]) -> Self {
        Self { header: header.iter().map(|h| (*h).to_owned()).collect(), rows: Vec::new() }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
}

/// A user's display name, the pool for none.
pub fn who(names: &BTreeMap<String, String>, user: Option<&UserId>, t: &DashboardTexts) -> String {
    match user {
        Some(user) => names.get(&user.0).cloned().unwrap_or_else(|| user.0.clone()),
        None => t.pool.to_owned(),
    }
}

/// Minor units as a plain decimal (what a spreadsheet reads as a number).
pub fn decimal(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", minor.unsigned_abs() / 100, minor.unsigned_abs() % 100)
}

/// An average score as `4.25`, a dash without scores.
pub fn average(a: &Average, t: &DashboardTexts) -> String {
    a.x100().map_or_else(|| t.none.to_owned(), |x| format!("{}.{:02}", x / 100, x % 100))
}

/// A probability as a percentage with one decimal.
pub fn percent(p: f64) -> String {
    format!("{:.1}%", p * 100.0)
}

/// Archives per stage and per category.
pub fn stages(data: &OverviewData, locale: Locale) -> Table {
    let t = crate::i18n::texts(locale).dashboard;
    let mut table = Table::new(&[t.table, t.stage, t.count]);
    for (stage, n) in &data.overview.by_stage {
        table.row(vec![t.stage.into(), stage.label(locale), n.to_string()]);
    }
    for (category, n) in &data.overview.by_category {
        table.row(vec![t.category.into(), category.label(locale), n.to_string()]);
    }
    table
}

/// New customers, revenue and satisfaction per month.
pub fn months(data: &OverviewData, locale: Locale) -> Table {
    let t = crate::i18n::texts(locale).dashboard;
    let o = &data.overview;
    let mut table = Table::new(&[t.month, t.new_customers, t.revenue, t.satisfaction_average]);
    for (i, month) in o.months.iter().enumerate() {
        table.row(vec![
            month.to_string(),
            o.new_per_month[i].to_string(),
            decimal(o.revenue_per_month[i]),
            average(&data.satisfaction.per_month[i], t),
        ]);
    }
    table
}

/// Revenue per record keeper.
pub fn revenue_per_rep(data: &OverviewData, locale: Locale) -> Table {
    let t = crate::i18n::texts(locale).dashboard;
    let mut table = Table::new(&[t.rep, t.revenue]);
    for (rep, revenue) in &data.overview.revenue_per_rep {
        table.row(vec![who(&data.names, rep.as_ref(), t), decimal(*revenue)]);
    }
    table
}

/// Calls and visits per rep and week.
pub fn contacts_per_rep(data: &OverviewData, locale: Locale) -> Table {
    let t = crate::i18n::texts(locale).dashboard;
    let o = &data.overview;
    let mut table = Table::new(&[t.rep, t.week, t.visits, t.calls]);
    for rep in &o.contacts_per_rep {
        for (i, week) in o.weeks.iter().enumerate() {
            table.row(vec![
                who(&data.names, Some(&rep.rep), t),
                week.to_string(),
                rep.visits[i].to_string(),
                rep.calls[i].to_string(),
            ]);
        }
    }
    table
}

/// Open complaints, longest waiting first.
pub fn complaints(data: &OverviewData, locale: Locale) -> Table {
    let t = crate::i18n::texts(locale).dashboard;
    let mut table = Table::new(&[t.customer, t.rep, t.days_open]);
    for c in &data.overview.complaints_open {
        table.row(vec![c.name.clone(), who(&data.names, c.owner.as_ref(), t), c.days_open.to_string()]);
    }
    table
}

/// Satisfaction per rep and team, and the least satisfied customers.
pub fn satisfaction(data: &OverviewData, locale: Locale) -> Table {
    let t = crate::i18n::texts(locale).dashboard;
    let s = &data.satisfaction;
    let mut table = Table::new(&[t.table, t.customer, t.average, t.scores]);
    for (rep, a) in &s.per_rep {
        table.row(vec![t.rep.into(), who(&data.names, rep.as_ref(), t), average(a, t), a.count.to_string()]);
    }
    for (team, a) in &s.per_team {
        let name = team.clone().unwrap_or_else(|| t.none.into());
        table.row(vec![t.team.into(), name, average(a, t), a.count.to_string()]);
    }
    for c in &s.lowest {
        table.row(vec![
            t.customer.into(),
            c.name.clone(),
            average(&c.average, t),
            c.average.count.to_string(),
        ]);
    }
    table
}

/// The churn warning list.
pub fn churn(data: &ChurnData, locale: Locale) -> Table {
    let t = crate::i18n::texts(locale).dashboard;
    let mut table =
        Table::new(&[t.customer, t.rep, t.last_contact, t.p_alive, t.expected, t.current_stage, t.suggested]);
    for w in &data.warnings {
        table.row(vec![
            w.name.clone(),
            who(&data.names, w.owner.as_ref(), t),
            w.last_contact.map_or_else(|| t.none.into(), |d| d.to_string()),
            percent(w.p_alive),
            w.expected.map_or_else(|| t.none.into(), |e| format!("{e:.2}")),
            w.stage.label(locale),
            w.suggested.label(locale),
        ]);
    }
    table
}

/// Counts and revenue share per RFM segment.
pub fn segments(data: &ValueData, locale: Locale) -> Table {
    let t = crate::i18n::texts(locale).dashboard;
    let r = &data.report;
    let mut table = Table::new(&[t.segment, t.customers, t.revenue, t.revenue_share]);
    for s in &r.segments {
        let share = if r.total_revenue > 0 { s.revenue as f64 / r.total_revenue as f64 } else { 0.0 };
        table.row(vec![s.segment.label(locale), s.customers.to_string(), decimal(s.revenue), percent(share)]);
    }
    table
}

/// The customers drilled into.
pub fn segment_customers(data: &ValueData, locale: Locale) -> Table {
    let t = crate::i18n::texts(locale).dashboard;
    let mut table = Table::new(&[
        t.customer,
        t.rep,
        t.segment,
        t.scores_rfm,
        t.recency_days,
        t.frequency,
        t.monetary,
        t.current_stage,
        t.suggested,
    ]);
    for c in &data.customers {
        table.row(vec![
            c.name.clone(),
            who(&data.names, c.owner.as_ref(), t),
            c.rfm.segment.label(locale),
            format!("{}{}{}", c.rfm.r, c.rfm.f, c.rfm.m),
            c.rfm.recency_days.to_string(),
            c.rfm.frequency.to_string(),
            decimal(c.rfm.monetary),
            c.stage.label(locale),
            c.suggested.label(locale),
        ]);
    }
    table
}

/// The file name an exported table downloads as.
pub fn file_name(table: DashboardTable) -> String {
    let name = match table {
        DashboardTable::Stages => "stages",
        DashboardTable::Months => "months",
        DashboardTable::RevenuePerRep => "revenue-per-rep",
        DashboardTable::ContactsPerRep => "contacts-per-rep",
        DashboardTable::Complaints => "complaints",
        DashboardTable::Satisfaction => "satisfaction",
        DashboardTable::Churn => "churn-warning",
        DashboardTable::Segments => "rfm-segments",
        DashboardTable::SegmentCustomers => "rfm-customers",
    };
    format!("{name}.csv")
}
