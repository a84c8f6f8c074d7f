//! Server functions for customers. Their URLs are fixed (no hash suffix) so
//! API clients and tests can rely on them.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A customer as a list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSummary {
    /// The customer's id.
    pub id: String,
    /// The normalised name.
    pub name: String,
    /// When the archive was created (RFC 3339, UTC).
    pub created_at: String,
}

/// The newest customers.
#[server(prefix = "/api", endpoint = "customers/list")]
pub async fn list_customers() -> Result<Vec<CustomerSummary>, AppError> {
    super::server::list().await
}

/// Creates a customer; the name is validated here, on the server.
#[server(prefix = "/api", endpoint = "customers/create")]
pub async fn create_customer(name: String) -> Result<CustomerSummary, AppError> {
    super::server::create(name).await
}
