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
    /// No session, or it expired: sign in again. Nothing queued is lost.
    #[error("signed out")]
    SignedOut,
    /// Signed in, but this user may not do this; `reason` says why.
    #[error("forbidden: {reason}")]
    Forbidden {
        /// A stable code (`client.foreign`, `admin_only`, `origin`, ...).
        reason: String,
    },
    /// The request as a whole is malformed (not one field of it).
    #[error("bad request: {reason}")]
    BadRequest {
        /// A stable code (`sync.client_mismatch`, ...).
        reason: String,
        /// What is wrong, for people and logs.
        message: String,
    },
    /// A push skipped sequence numbers: send from `expected` on.
    #[error("sequence gap: expected {expected}, got {got}")]
    SequenceGap {
        /// The next sequence number the server takes.
        expected: u64,
        /// The first new one the push carried.
        got: u64,
    },
    /// The record exists already (a user name that is taken).
    #[error("already exists")]
    Exists,
    /// Too many failed sign-ins; wait before trying again.
    #[error("too many attempts")]
    TooManyAttempts {
        /// Seconds until the next attempt is allowed.
        retry_after: u64,
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
        // The message can quote the whole request (a 100 KB field that did
        // not decode): answer with its start only.
        const MAX_CHARS: usize = 300;
        let mut message: String = value.to_string().chars().take(MAX_CHARS).collect();
        if message.chars().count() == MAX_CHARS {
            message.push('…');
        }
        Self::Request { message }
    }
}

#[cfg(feature = "ssr")]
impl From<store::StoreError> for AppError {
    fn from(error: store::StoreError) -> Self {
        use store::StoreError as E;
        match error {
            E::NotFound => Self::NotFound,
            E::Invalid(field) => Self::invalid(field),
            E::Forbidden(reason) => Self::Forbidden { reason },
            E::BadRequest { code, message } => Self::BadRequest { reason: code, message },
            E::SequenceGap { expected, got } => Self::SequenceGap { expected, got },
            E::Unavailable(_) | E::Locked { .. } => Self::Unavailable,
            E::Conflict(_) => Self::Exists,
            E::Other => Self::Internal,
        }
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode as S;
        match self {
            Self::Invalid { .. } => S::UNPROCESSABLE_ENTITY,
            Self::SignedOut => S::UNAUTHORIZED,
            Self::Forbidden { .. } => S::FORBIDDEN,
            Self::BadRequest { .. } | Self::Request { .. } => S::BAD_REQUEST,
            Self::SequenceGap { .. } | Self::Exists => S::CONFLICT,
            Self::TooManyAttempts { .. } => S::TOO_MANY_REQUESTS,
            Self::NotFound => S::NOT_FOUND,
            Self::Unavailable => S::SERVICE_UNAVAILABLE,
            Self::Internal => S::INTERNAL_SERVER_ERROR,
        }
    }

    /// Sets the response status for this error (inside a server function)
    /// and hands it back, for `map_err(AppError::respond)`.
    pub fn respond(self) -> Self {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(self.status());
            if let Some(seconds) = self.retry_after() {
                response.insert_header(axum::http::header::RETRY_AFTER, seconds.into());
            }
        }
        self
    }

    /// Seconds a client should wait before trying again, for errors that pass.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyAttempts { retry_after } => Some((*retry_after).max(1)),
            Self::Unavailable => Some(5),
            _ => None,
        }
    }
}

/// A store result as a server function answers it: errors carry their status.
#[cfg(feature = "ssr")]
pub fn answer<T>(result: Result<T, store::StoreError>) -> Result<T, AppError> {
    result.map_err(|e| AppError::from(e).respond())
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
