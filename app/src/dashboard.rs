//! Managers' dashboards: the team overview, the churn warning list and
//! customer value by RFM segment, each chart with its table and a CSV export.
//! A rep sees the same pages for the archives they keep.

mod api;
mod charts;
mod page;
#[cfg(feature = "ssr")]
mod server;
mod tables;
pub(crate) mod texts;

pub use api::{
    ChurnData, DashboardChurn, DashboardOverview, DashboardTable, DashboardValue, ExportDashboard, ModelInfo,
    OverviewData, ValueData, dashboard_churn, dashboard_overview, dashboard_value, export_dashboard,
};
pub use page::{ChurnPage, DashboardPage, ValuePage};
pub use texts::DashboardTexts;
