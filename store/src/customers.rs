//! Customer records.

use domain::CustomerName;
use surrealdb::types::SurrealValue;

use crate::{Store, StoreError};

/// A customer as stored.
#[derive(Debug, Clone, PartialEq, Eq, SurrealValue)]
pub struct CustomerRow {
    /// The record key (a UUIDv7, so keys sort by creation time).
    pub id: String,
    /// The normalised name.
    pub name: String,
    /// When the record was created, RFC 3339 in UTC.
    pub created_at: String,
}

/// The page size lists are capped at, so one request cannot ask for everything.
pub const MAX_PAGE: u32 = 500;

impl Store {
    /// Stores a new customer under a fresh UUIDv7 key.
    pub async fn create_customer(&self, name: &CustomerName) -> Result<CustomerRow, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        let mut response = self
            .db
            .query(
                "CREATE type::record('customer', $id) SET name = $name
                 RETURN record::id(id) AS id, name, <string> created_at AS created_at",
            )
            .bind(("id", id))
            .bind(("name", name.as_str().to_owned()))
            .await
            .map_err(StoreError::from_db)?;
        let row: Option<CustomerRow> = response.take(0).map_err(StoreError::from_db)?;
        row.ok_or(StoreError::Other)
    }

    /// The newest customers first, at most `limit` (capped at [`MAX_PAGE`]).
    pub async fn list_customers(&self, limit: u32) -> Result<Vec<CustomerRow>, StoreError> {
        let mut response = self
            .db
            .query(
                "SELECT record::id(id) AS id, name, <string> created_at AS created_at
                 FROM customer ORDER BY created_at DESC, id DESC LIMIT $limit",
            )
            .bind(("limit", i64::from(limit.min(MAX_PAGE))))
            .await
            .map_err(StoreError::from_db)?;
        response.take(0).map_err(StoreError::from_db)
    }
}
