//! Administration from the command line: the first admin, backup, restore.
//! Each opens the store the server would use (so not while it runs on an
//! embedded directory: the lock says so), does one thing and closes it.

use std::path::Path;

use domain::policy::Role;
use store::{NewUser, Store, StoreError};

use crate::config::Settings;
use crate::startup::SHUTDOWN_GRACE;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The database could not be opened, read or written.
    #[error("{0}")]
    Database(#[from] StoreError),
    /// What was asked for cannot be done; the message says why.
    #[error("{0}")]
    Refused(String),
}

impl CommandError {
    /// The process exit code: 3 locked, 4 database, 6 refused.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Database(StoreError::Locked { .. }) => 3,
            Self::Database(_) => 4,
            Self::Refused(_) => 6,
        }
    }
}

async fn open(settings: &Settings) -> Result<Store, CommandError> {
    let (store, _) = Store::open(&settings.database_url, settings.credentials().as_ref()).await?;
    Ok(store)
}

async fn close(store: Store) {
    if let Err(error) = store.close(SHUTDOWN_GRACE).await {
        tracing::warn!(%error, "database did not close cleanly");
    }
}

/// Creates an admin account (the first one, or another).
pub async fn create_admin(
    settings: &Settings,
    username: &str,
    password: &str,
) -> Result<String, CommandError> {
    let store = open(settings).await?;
    let new = NewUser {
        username: username.into(),
        display_name: username.trim().into(),
        role: Role::Admin,
        team: None,
        password: password.into(),
    };
    let result = store.create_user(&new).await;
    close(store).await;
    match result {
        Ok(user) => Ok(format!("admin {} created; sign in at /signin", user.id)),
        Err(StoreError::Invalid(error)) => Err(CommandError::Refused(match error.code.as_str() {
            "password.too_short" => {
                format!("the password needs at least {} characters", error.limit.unwrap_or(8))
            }
            "password.too_long" => {
                format!("the password can have at most {} characters", error.limit.unwrap_or(128))
            }
            "username.required" => "give a user name".into(),
            "username.format" => "a user name is 1 to 32 of a-z, 0-9, '.', '_', '-'".into(),
            other => format!("not accepted: {other}"),
        })),
        Err(StoreError::Conflict(message)) => Err(CommandError::Refused(message)),
        Err(other) => Err(other.into()),
    }
}

/// Looks at every archive for likely duplicates and queues the pairs.
pub async fn dedup_sweep(settings: &Settings) -> Result<String, CommandError> {
    let store = open(settings).await?;
    let started = std::time::Instant::now();
    let result = store.dedup_sweep().await;
    close(store).await;
    let report = result?;
    Ok(format!(
        "dedup: scanned={} pairs={} seconds={:.1}",
        report.scanned,
        report.pairs,
        started.elapsed().as_secs_f64()
    ))
}

/// Sends archives due by the pools' recycle rules on `today` back to their
/// pools (with `dry_run`, only lists them): one line per archive, then the
/// figures.
pub async fn recycle(
    settings: &Settings,
    dry_run: bool,
    today: domain::time::Date,
) -> Result<String, CommandError> {
    let store = open(settings).await?;
    let result = store.recycle(today, dry_run).await;
    close(store).await;
    let report = result?;
    let mut out = String::new();
    for (what, list) in [("due", &report.due), ("warned", &report.warned)] {
        for c in list {
            out.push_str(&format!(
                "{what} {} {} keeper={} pool={} on={} rule={}\n",
                c.customer,
                c.name,
                c.keeper,
                c.pool.as_deref().unwrap_or("company"),
                c.recycle.on,
                c.recycle.rule + 1
            ));
        }
    }
    if !dry_run {
        out.push_str(&format!("recycled={} spared={}\n", report.recycled, report.spared));
    }
    out.push_str(&format!("recycle: candidates={} warned={}", report.due.len(), report.warned.len()));
    Ok(out)
}

/// Writes everything to `file`.
pub async fn backup(settings: &Settings, file: &Path) -> Result<String, CommandError> {
    let store = open(settings).await?;
    let result = store.backup(file).await;
    close(store).await;
    result?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    Ok(format!("backup written to {} ({bytes} bytes)", file.display()))
}

/// Loads `file` into an empty database.
pub async fn restore(settings: &Settings, file: &Path) -> Result<String, CommandError> {
    let store = open(settings).await?;
    let result = store.restore(file).await;
    close(store).await;
    match result {
        Ok(()) => Ok(format!("restored from {}", file.display())),
        Err(StoreError::Conflict(message)) => Err(CommandError::Refused(message)),
        Err(other) => Err(other.into()),
    }
}
