//! Server functions of the data-quality page.

use domain::quality::QualityReport;
use leptos::prelude::*;

use crate::error::AppError;

/// The report for the signed-in manager (their team) or admin (every team).
#[server(prefix = "/api", endpoint = "quality/report")]
pub async fn load_quality_report() -> Result<QualityReport, AppError> {
    super::server::report().await
}
