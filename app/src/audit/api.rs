//! Reading the audit trail. Nobody writes it but the server itself.

use domain::views::{AuditEntry, AuditFilter};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;

/// The newest entries the signed-in user may read, optionally for one archive.
#[server(prefix = "/api", endpoint = "audit/list")]
pub async fn list_audit(customer: Option<String>, limit: Option<u32>) -> Result<Vec<AuditEntry>, AppError> {
    super::server::list(customer, limit).await
}

/// The entries matching `filter` that the signed-in manager (their team)
/// or admin may read, newest first.
#[server(prefix = "/api", endpoint = "audit/search", input = Json)]
pub async fn search_audit(filter: AuditFilter) -> Result<Vec<AuditEntry>, AppError> {
    super::server::search(filter).await
}

/// The same entries as a CSV document (the export is audited too).
#[server(prefix = "/api", endpoint = "audit/export", input = Json)]
pub async fn export_audit(filter: AuditFilter) -> Result<String, AppError> {
    super::server::export(filter).await
}

/// Every change to one archive with old and new values, for anyone who may
/// see it (masked as they see it).
#[server(prefix = "/api", endpoint = "audit/history")]
pub async fn customer_history(id: String) -> Result<Vec<AuditEntry>, AppError> {
    super::server::history(id).await
}
