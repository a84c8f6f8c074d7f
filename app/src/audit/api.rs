//! Reading the audit trail. Nobody writes it but the server itself.

use domain::views::AuditEntry;
use leptos::prelude::*;

use crate::error::AppError;

/// The newest entries the signed-in user may read, optionally for one archive.
#[server(prefix = "/api", endpoint = "audit/list")]
pub async fn list_audit(customer: Option<String>, limit: Option<u32>) -> Result<Vec<AuditEntry>, AppError> {
    super::server::list(customer, limit).await
}
