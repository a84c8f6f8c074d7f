//! Versioned schema migrations, applied in order at start-up.
//!
//! Each migration runs in one transaction together with the record of its
//! version, so it is applied entirely or not at all, and exactly once: a
//! second start finds every version recorded and applies nothing.

use surrealdb::types::SurrealValue;

use crate::{Store, StoreError};

/// One schema change.
struct Migration {
    version: u32,
    name: &'static str,
    sql: &'static str,
}

/// Every migration, oldest first. Never edit one that has shipped: add another.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "customers",
    sql: r#"
        DEFINE TABLE customer SCHEMAFULL;
        DEFINE FIELD name ON customer TYPE string
            ASSERT string::len($value) > 0 AND string::len($value) <= 120;
        DEFINE FIELD created_at ON customer TYPE datetime DEFAULT time::now() READONLY;
        DEFINE INDEX customer_created_at ON customer FIELDS created_at;
    "#,
}];

/// The schema version this build expects.
pub const SCHEMA_VERSION: u32 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// What a migration run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Versions applied by this run, in order; empty when already up to date.
    pub applied: Vec<u32>,
    /// The schema version after the run.
    pub version: u32,
}

#[derive(SurrealValue)]
struct AppliedVersion {
    version: i64,
}

impl Store {
    /// Applies every migration not yet recorded in the database.
    pub async fn migrate(&self) -> Result<MigrationReport, StoreError> {
        self.db
            .query(
                "DEFINE TABLE IF NOT EXISTS schema_migration SCHEMAFULL;
                 DEFINE FIELD IF NOT EXISTS version ON schema_migration TYPE int;
                 DEFINE FIELD IF NOT EXISTS name ON schema_migration TYPE string;
                 DEFINE FIELD IF NOT EXISTS applied_at ON schema_migration TYPE datetime DEFAULT time::now();",
            )
            .await
            .and_then(|r| r.check())
            .map_err(StoreError::from_db)?;

        let current = self.schema_version().await?;
        let mut applied = Vec::new();
        for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
            let sql = format!(
                "BEGIN TRANSACTION;\n{}\nCREATE type::record('schema_migration', $version) SET version = $version, name = $name;\nCOMMIT TRANSACTION;",
                migration.sql
            );
            self.db
                .query(sql)
                .bind(("version", i64::from(migration.version)))
                .bind(("name", migration.name))
                .await
                .and_then(|r| r.check())
                .map_err(StoreError::from_db)?;
            tracing::info!(version = migration.version, name = migration.name, "applied migration");
            applied.push(migration.version);
        }
        Ok(MigrationReport { applied, version: self.schema_version().await? })
    }

    /// The highest migration version recorded, 0 for an empty database.
    pub(crate) async fn schema_version(&self) -> Result<u32, StoreError> {
        let mut response = self
            .db
            .query("SELECT version FROM schema_migration ORDER BY version DESC LIMIT 1")
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<AppliedVersion> = response.take(0).map_err(StoreError::from_db)?;
        Ok(rows.first().map_or(0, |r| r.version as u32))
    }
}
