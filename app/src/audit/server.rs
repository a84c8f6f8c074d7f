//! The server side of the audit trail.

use domain::views::AuditEntry;

use crate::auth::signed_in;
use crate::error::{AppError, answer};

pub(super) async fn list(customer: Option<String>, limit: Option<u32>) -> Result<Vec<AuditEntry>, AppError> {
    let (state, user) = signed_in().await?;
    answer(state.store.list_audit(&user.viewer(), customer.as_deref(), limit.unwrap_or(200)).await)
}
