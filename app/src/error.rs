//! The one error type that crosses the wire.
//!
//! Codes are stable and snake_case so the UI can translate them and API
//! clients can branch on them. Internal detail is logged on the server and
//! never sent.

use domain::FieldError;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Why a request failed, as the browser sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum AppError {
    /// One or more fields broke a rule; each error names its field.
    #[error("invalid input")]
    Invalid {
        /// The failures, one per field.
        errors: Vec<FieldError>,
    },
    /// The record does not exist or is not visible to this user.
    #[error("not found")]
    NotFound,
    /// The database cannot be reached right now; retrying later may work.
    #[error("service unavailable")]
    Unavailable,
    /// Something failed on the server; the detail is in the server log.
    #[error("internal error")]
    Internal,
    /// The request could not be made or understood (network, encoding).
    #[error("request failed: {message}")]
    Request {
        /// What went wrong, for the log and for developers.
        message: String,
    },
}

impl AppError {
    /// The error for one invalid field.
    pub fn invalid(error: FieldError) -> Self {
        Self::Invalid { errors: vec![error] }
    }

    /// The error for `field`, if this is a validation failure that names it.
    pub fn field(&self, field: &str) -> Option<&FieldError> {
        match self {
            Self::Invalid { errors } => errors.iter().find(|e| e.field == field),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Request { message: value.to_string() }
    }
}

#[cfg(feature = "ssr")]
impl From<store::StoreError> for AppError {
    fn from(error: store::StoreError) -> Self {
        use store::StoreError as E;
        match error {
            E::NotFound => Self::NotFound,
            E::Invalid(field) => Self::invalid(field),
            E::Unavailable(_) | E::Locked { .. } => Self::Unavailable,
            E::Conflict(_) | E::Other => Self::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_travels_as_a_snake_case_code() {
        let json = serde_json::to_value(AppError::invalid(FieldError::new("name", "required"))).unwrap();
        assert_eq!(json["code"], "invalid");
        assert_eq!(json["errors"][0]["code"], "name.required");
        assert_eq!(serde_json::to_value(AppError::Unavailable).unwrap()["code"], "unavailable");
    }
}
