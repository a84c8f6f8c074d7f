use std::path::PathBuf;

use domain::FieldError;

/// What can go wrong in storage, in terms the layers above can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record asked for does not exist (or is not visible).
    #[error("not found")]
    NotFound,
    /// The write clashed with another one.
    #[error("conflict: {0}")]
    Conflict(String),
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
