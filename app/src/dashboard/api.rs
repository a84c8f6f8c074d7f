//! Server functions of the dashboards. Every figure is computed on the
//! server from what the signed-in user may see: a rep their own archives, a
//! manager their team's, an admin everything.

use std::collections::BTreeMap;

use domain::analytics::bgnbd::{Fit, FitError};
use domain::analytics::dashboard::{ChurnWarning, Overview, SatisfactionReport, ValueCustomer, ValueReport};
use domain::analytics::rfm::Segment;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The team overview and satisfaction figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewData {
    /// Stages, categories, monthly and weekly series, what is overdue.
    pub overview: Overview,
    /// Satisfaction over the same months.
    pub satisfaction: SatisfactionReport,
    /// Display names by user id.
    pub names: BTreeMap<String, String>,
}

/// The churn model as fitted in the last scoring run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The fit, or why there is none.
    pub fit: Result<Fit, FitError>,
    /// When the run finished (Unix milliseconds).
    pub finished_at: i64,
    /// How long it took.
    pub took_ms: u64,
    /// Customers of this view it scored.
    pub scored: usize,
}

/// The churn warning list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChurnData {
    /// Customers below the threshold, least likely to be active first.
    pub warnings: Vec<ChurnWarning>,
    /// The threshold used.
    pub threshold: f64,
    /// The model behind it.
    pub model: ModelInfo,
    /// Display names by user id.
    pub names: BTreeMap<String, String>,
}

/// Customer value by RFM segment, with one segment's customers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueData {
    /// Counts and revenue share per segment.
    pub report: ValueReport,
    /// The segment drilled into, if any.
    pub segment: Option<Segment>,
    /// Its customers (or the top customers of every segment), biggest spenders first.
    pub customers: Vec<ValueCustomer>,
    /// Display names by user id.
    pub names: BTreeMap<String, String>,
}

/// A dashboard table that can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DashboardTable {
    /// Archives per stage and category.
    Stages,
    /// New customers and revenue per month.
    Months,
    /// Revenue per record keeper.
    RevenuePerRep,
    /// Calls and visits per rep and week.
    ContactsPerRep,
    /// Open complaints.
    Complaints,
    /// Satisfaction per month, rep and team.
    Satisfaction,
    /// The churn warning list.
    Churn,
    /// RFM segments.
    Segments,
    /// The customers of a segment.
    SegmentCustomers,
}

/// The team overview.
#[server(prefix = "/api", endpoint = "dashboard/overview")]
pub async fn dashboard_overview() -> Result<OverviewData, AppError> {
    super::server::overview().await
}

/// Customers whose probability of being active is below `threshold` (0.5 when none).
#[server(prefix = "/api", endpoint = "dashboard/churn")]
pub async fn dashboard_churn(threshold: Option<f64>, fresh: Option<bool>) -> Result<ChurnData, AppError> {
    super::server::churn(threshold, fresh.unwrap_or(false)).await
}

/// RFM segments over the last `window_days` (365 when none), and the
/// customers of `segment`.
#[server(prefix = "/api", endpoint = "dashboard/value")]
pub async fn dashboard_value(
    segment: Option<Segment>,
    window_days: Option<i64>,
) -> Result<ValueData, AppError> {
    super::server::value(segment, window_days).await
}

/// One table as CSV (UTF-8 with BOM, so Excel opens Chinese text); the
/// export is logged in the audit trail.
#[server(prefix = "/api", endpoint = "dashboard/export")]
pub async fn export_dashboard(
    table: DashboardTable,
    threshold: Option<f64>,
    segment: Option<Segment>,
) -> Result<String, AppError> {
    super::server::export(table, threshold, segment).await
}
