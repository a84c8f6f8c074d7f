//! Validation failures, one field at a time, with codes the UI translates.

use serde::{Deserialize, Serialize};

/// Why one field of a record was refused.
///
/// `code` is stable (`name.required`, `name.too_long`, ...): the UI maps it to
/// zh-CN or English text, and API clients can branch on it. `limit` carries the
/// bound that was broken, when there is one, so the message can name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {code}")]
pub struct FieldError {
    /// The field the error belongs to, as named in forms and on the wire.
    pub field: String,
    /// The stable error code, `<field>.<reason>`.
    pub code: String,
    /// The bound that was broken (a maximum length, say), if any.
    pub limit: Option<u32>,
}

impl FieldError {
    /// An error on `field` for `reason`; the code becomes `field.reason`.
    pub fn new(field: &str, reason: &str) -> Self {
        Self { field: field.to_owned(), code: format!("{field}.{reason}"), limit: None }
    }

    /// The same error, naming the bound that was broken.
    pub fn with_limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }
}
