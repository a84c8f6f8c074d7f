//! Storage for the customer archive in SurrealDB.
//!
//! One [`Store`] talks to any engine `surrealdb::engine::any` knows: `mem://`
//! in tests, `surrealkv://path` embedded on disk (the default), `ws://host:port`
//! for a SurrealDB server or cluster. Everything above this crate sees typed
//! [`StoreError`]s; database error text stays in the server log.

mod accounts;
mod analytics;
mod attempts;
mod audit;
mod backup;
mod bulk;
mod conflicts;
mod custom_fields;
mod customers;
mod dedup;
mod error;
mod handover;
mod import_files;
mod import_jobs;
mod imports;
mod inspect;
mod legacy;
mod lock;
mod migrations;
mod outbox;
mod pool;
mod quality;
mod query;
mod reminders;
mod review;
mod rules;
mod search;
mod sync;
mod time_zone;

use std::path::PathBuf;

use surrealdb::Surreal;
use surrealdb::engine::any::Any;

pub use accounts::{
    HashedPassword, InitialPassword, NewUser, SessionInfo, SessionLimits, User, check_password,
    parse_username,
};
pub use analytics::ScoringRun;
pub use audit::{AuditEntry, AuditFilter, MAX_AUDIT_ROWS};
pub use conflicts::{CandidateView, ConflictView, conflicts_of};
pub use customers::{CustomerListItem, CustomerQuery, MAX_PAGE};
pub use dedup::SweepReport;
pub use error::StoreError;
pub use handover::MAX_HANDOVER;
pub use import_files::{IMPORT_FILE_KEPT_MS, ImportFile};
pub use import_jobs::{ImportJob, ImportStatus, JobEnding};
pub use imports::{ImportRecord, SavedMapping};
pub use inspect::{AuditStamp, LoggedMutation};
pub use legacy::SYSTEM_USER;
pub use migrations::{MigrationReport, SCHEMA_VERSION};
pub use outbox::{
    CareSender, MAX_ATTEMPTS, MailOutcome, MailStatus, NewMail, OutboxMessage, OutboxView, retry_delay_ms,
};
pub use pool::{JobTurn, RecycleCandidate, RecycleReport};
pub use reminders::{CareMail, MAX_NOTIFICATIONS, ReminderRun};
pub use rules::{CarryOut, LOG_LINES, RulesRun};
pub use sync::{
    MAX_BATCH, MAX_PULL_PAGE, MutationResult, Notice, Outcome, PullPage, Pulled, PushGroups, PushReply,
    wire_name,
};

/// The namespace and database the archive lives in.
const NAMESPACE: &str = "crm";
const DATABASE: &str = "crm";

/// A handle on the archive database. Cheap to clone; clones share one connection.
#[derive(Clone)]
pub struct Store {
    /// One client session, shared by every clone: cloning a `Surreal`
    /// handle opens a new session on the database, which on a SurrealDB
    /// server means signing in again (a password hash) before its first
    /// query, and under load queries raced that sign-in and were refused.
    db: std::sync::Arc<Surreal<Any>>,
    /// The embedded engine's directory, if any: `close` waits for it.
    dir: Option<PathBuf>,
    /// The database is a server other app servers may share: their commits
    /// are heard by following the counter.
    shared: bool,
    /// Pushes reaching this process, committed in groups, one group at a
    /// time. Every commit advances the one version counter, so two at once
    /// cannot both commit; letting them race makes the loser redo its work.
    /// Pushes from other app servers still race, and retry.
    pushes: std::sync::Arc<sync::PushQueue>,
    /// This process's cache of analytics summaries and its last scoring run.
    analytics: std::sync::Arc<analytics::Analytics>,
    /// Turns to hash passwords, so sign-in bursts cannot exhaust memory.
    hashing: std::sync::Arc<accounts::HashGate>,
    /// How common each search key is, estimated now and then.
    key_frequencies: std::sync::Arc<tokio::sync::Mutex<Option<std::sync::Arc<search::KeyFrequencies>>>>,
    /// Woken when a push fired a rule, so its events are carried out soon.
    rules_waiting: std::sync::Arc<tokio::sync::Notify>,
    /// Every user's team and standing as of a stamp of the user table
    /// (`counter:users`), so a push reads them again only after a change.
    colleagues: std::sync::Arc<std::sync::Mutex<Option<accounts::KnownColleagues>>>,
}

/// A database user for a SurrealDB server (`ws://`); embedded engines need none.
#[derive(Clone)]
pub struct Credentials {
    /// The root user name.
    pub username: String,
    /// The password; never printed.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish()
    }
}

/// What the health check reports about the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// The schema version the database is at.
    pub schema_version: u32,
}

impl Store {
    /// Connects to `url`, takes the data directory lock for embedded engines,
    /// and selects the archive namespace. Does not migrate: call [`Store::migrate`].
    pub async fn connect(url: &str, credentials: Option<&Credentials>) -> Result<Self, StoreError> {
        let dir = embedded_dir(url);
        if let Some(dir) = &dir {
            lock::ensure_available(dir)?;
        }
        let db = surrealdb::engine::any::connect(url).await.map_err(|e| {
            tracing::error!(error = %e, "connecting to the database failed");
            StoreError::Unavailable(format!("cannot open the database at {url}: {e}"))
        })?;
        if let Some(credentials) = credentials {
            let root = surrealdb::opt::auth::Root {
                username: credentials.username.clone(),
                password: credentials.password.clone(),
            };
            db.signin(root).await.map_err(|e| {
                tracing::error!(error = %e, "signing in to the database failed");
                StoreError::Unavailable(format!("the database at {url} refused the credentials"))
            })?;
        }
        db.use_ns(NAMESPACE).use_db(DATABASE).await.map_err(StoreError::from_db)?;
        let store = Self {
            db: std::sync::Arc::new(db),
            dir,
            shared: on_a_database_server(url),
            pushes: Default::default(),
            analytics: Default::default(),
            hashing: Default::default(),
            key_frequencies: Default::default(),
            rules_waiting: Default::default(),
            colleagues: Default::default(),
        };
        store.follow_other_servers().await;
        Ok(store)
    }

    /// Connects and brings the schema up to date: what a server does at start.
    pub async fn open(
        url: &str,
        credentials: Option<&Credentials>,
    ) -> Result<(Self, MigrationReport), StoreError> {
        let store = Self::connect(url, credentials).await?;
        let report = store.migrate().await?;
        store.adopt_legacy_customers(today()).await?;
        store.backfill_summaries().await?;
        store.rebuild_search_keys().await?;
        // The first search need not wait for a sample of a large archive.
        store.key_frequencies().await?;
        Ok((store, report))
    }

    /// Drops this handle and, for an embedded engine, waits until the engine
    /// has flushed and released its directory, so the process may exit or
    /// reopen it. Other clones must be dropped first; otherwise this gives up
    /// after `timeout`.
    pub async fn close(self, timeout: std::time::Duration) -> Result<(), StoreError> {
        let Self { db, dir, .. } = self;
        drop(db);
        match dir {
            Some(dir) => lock::wait_released(&dir, timeout).await,
            None => Ok(()),
        }
    }

    /// Whether the database is a server other app servers may share (an
    /// embedded engine is this process's alone).
    pub fn shared(&self) -> bool {
        self.shared
    }

    /// Answers whether the database responds, and at which schema version.
    pub async fn health(&self) -> Result<Health, StoreError> {
        let schema_version = self.schema_version().await?;
        Ok(Health { schema_version })
    }
}

/// Switches tracing off in a process that logs nothing: the simulation, the
/// benchmarks, test binaries. With no subscriber set at all, the `log`
/// feature of `tracing` (axum turns it on, through tower) has every disabled span
/// of the database engine still format its fields for the `log` crate: each
/// key read or written spelled out as escaped text. Measured on 40 seeds of
/// the simulation, turning that off took 15 % off the processor time. A
/// process with a subscriber of its own (the server) does not call this;
/// when one is already set, this does nothing.
pub fn without_tracing() {
    let _ = tracing::subscriber::set_global_default(tracing::subscriber::NoSubscriber::default());
}

/// The server clock in Unix milliseconds (sessions; never used to order changes).
pub fn now_millis() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Today on the server, in the company's time zone (for rules like "a birthday
/// is not in the future"); never used to order changes.
pub fn today() -> domain::time::Date {
    domain::time::Timestamp(now_millis()).local_date()
}

/// The directory an embedded on-disk engine writes to, if `url` names one.
/// Whether `url` names a SurrealDB server (which several app servers may
/// share) rather than an engine inside this process.
fn on_a_database_server(url: &str) -> bool {
    ["ws://", "wss://", "http://", "https://"].iter().any(|scheme| url.starts_with(scheme))
}

fn embedded_dir(url: &str) -> Option<PathBuf> {
    let path = url.strip_prefix("surrealkv://")?;
    // `surrealkv:///abs` keeps its leading slash; `surrealkv://rel` is relative.
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty()).then(|| PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::embedded_dir;
    use std::path::PathBuf;

    #[test]
    fn an_embedded_url_names_its_directory() {
        assert_eq!(embedded_dir("surrealkv:///var/crm"), Some(PathBuf::from("/var/crm")));
        assert_eq!(embedded_dir("surrealkv://data/crm.db"), Some(PathBuf::from("data/crm.db")));
        assert_eq!(embedded_dir("mem://"), None);
        assert_eq!(embedded_dir("ws://127.0.0.1:8000"), None);
    }
}
