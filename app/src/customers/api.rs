//! Server functions for reading archives. Every one goes through the policy
//! in the store; their URLs are fixed so API clients and tests can rely on them.

use domain::archive::Customer;
use domain::views::{ConflictView, CustomerListItem, CustomerQuery};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// One archive as the signed-in user may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerDetail {
    /// The archive, with sensitive fields hidden when `masked`.
    pub customer: Customer,
    /// Sensitive fields are hidden from this user.
    pub masked: bool,
}

/// The archives the signed-in user may see that match `query`.
#[server(prefix = "/api", endpoint = "customers/list", input = Json)]
pub async fn list_customers(query: CustomerQuery) -> Result<Vec<CustomerListItem>, AppError> {
    super::server::list(query).await
}

/// Likely duplicates, anywhere in the archive, of a customer being typed
/// in: why, who keeps each, and which archive only where the user may see
/// it. The device checks its own cache as well; this finds the rest.
#[server(prefix = "/api", endpoint = "customers/duplicate_hints", input = Json)]
pub async fn duplicate_hints(
    fields: domain::archive::Fields,
) -> Result<Vec<domain::views::DuplicateHint>, AppError> {
    super::server::duplicate_hints(fields).await
}

/// One archive.
#[server(prefix = "/api", endpoint = "customers/get")]
pub async fn get_customer(id: String) -> Result<CustomerDetail, AppError> {
    super::server::get(id).await
}

/// The open conflicts of one archive, with every competing value.
#[server(prefix = "/api", endpoint = "customers/conflicts")]
pub async fn customer_conflicts(id: String) -> Result<Vec<ConflictView>, AppError> {
    super::server::conflicts(id).await
}
