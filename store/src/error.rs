use std::path::PathBuf;

use domain::FieldError;

/// What can go wrong in storage, in terms the layers above can act on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The record asked for does not exist (or is not visible).
    #[error("not found")]
    NotFound,
    /// The write clashed with another one.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The signed-in user may not do this; the code says why.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The request itself is malformed (not any one value in it).
    #[error("{code}: {message}")]
    BadRequest {
        /// A stable code (`sync.client_mismatch`, ...).
        code: String,
        /// What is wrong, for people.
        message: String,
    },
    /// A push skipped sequence numbers: the client must send `expected` first.
    #[error("sequence gap: expected {expected}, got {got}")]
    SequenceGap {
        /// The next sequence number the server will take.
        expected: u64,
        /// The first new one the push carried.
        got: u64,
    },
    /// A value broke a rule of the archive.
    #[error("invalid: {0}")]
    Invalid(FieldError),
    /// Another running server holds the data directory.
    #[error(
        "the data directory {} is in use by another running server (lock file {})",
        dir.display(),
        lock.display()
    )]
    Locked {
        /// The data directory.
        dir: PathBuf,
        /// The lock file that is held.
        lock: PathBuf,
    },
    /// The database cannot be reached, opened or written.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else the database reported; the detail is logged, not shown.
    #[error("database error")]
    Other,
}

impl StoreError {
    /// Logs a database error with its detail and hides it behind `Other`.
    pub(crate) fn from_db(error: surrealdb::Error) -> Self {
        tracing::error!(error = %error, "database error");
        Self::Other
    }
}

/// The error that explains why a query failed. When a transaction fails,
/// every statement in it reports "not executed"; only one says why.
pub(crate) fn cause(response: &mut surrealdb::IndexedResults) -> Option<surrealdb::Error> {
    let mut errors: Vec<(usize, surrealdb::Error)> = response.take_errors().into_iter().collect();
    errors.sort_by_key(|(index, _)| *index);
    let position = errors.iter().position(|(_, e)| !e.to_string().contains("not executed due to"));
    match position {
        Some(position) => Some(errors.swap_remove(position).1),
        None => errors.into_iter().next().map(|(_, e)| e),
    }
}

/// The results, or the database error that explains why the query failed.
pub(crate) fn explain(
    mut response: surrealdb::IndexedResults,
) -> surrealdb::Result<surrealdb::IndexedResults> {
    match cause(&mut response) {
        Some(error) => Err(error),
        None => Ok(response),
    }
}
