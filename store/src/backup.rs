//! Backup and restore through SurrealDB's own export and import.

use std::path::Path;

use crate::{Store, StoreError};

impl Store {
    /// Writes the whole archive database (schema and data) to `file` as SurrealQL.
    pub async fn backup(&self, file: &Path) -> Result<(), StoreError> {
        self.db.export(file).await.map_err(|error| {
            tracing::error!(%error, file = %file.display(), "backup failed");
            StoreError::Unavailable(format!("cannot write the backup to {}: {error}", file.display()))
        })
    }

    /// Loads a backup made by [`Store::backup`] into this (empty) database.
    pub async fn restore(&self, file: &Path) -> Result<(), StoreError> {
        if !file.is_file() {
            return Err(StoreError::Unavailable(format!("no backup file at {}", file.display())));
        }
        if self.has_users().await.unwrap_or(false) {
            return Err(StoreError::Conflict(
                "the database already holds data; restore into an empty data directory".into(),
            ));
        }
        // The freshly migrated schema would clash with the backup's own
        // definitions and counter: clear it, then load the backup whole.
        self.db
            .query("REMOVE DATABASE IF EXISTS crm; DEFINE DATABASE crm;")
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        self.db.use_ns(crate::NAMESPACE).use_db(crate::DATABASE).await.map_err(StoreError::from_db)?;
        self.db.import(file).await.map_err(|error| {
            tracing::error!(%error, file = %file.display(), "restore failed");
            StoreError::Unavailable(format!("cannot restore from {}: {error}", file.display()))
        })?;
        // Devices may have pulled changes made after the backup, under
        // version numbers the restored counter will hand out again. A new
        // epoch makes every device start its pull over instead of silently
        // skipping what reuses those numbers.
        self.db
            .query("UPDATE counter:sync SET epoch = <string> rand::uuid::v7()")
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        Ok(())
    }
}

/// Every table the archive keeps, for whole-database comparisons.
pub const TABLES: &[&str] = &[
    "schema_migration",
    "legacy_customer",
    "counter",
    "customer",
    "customer_keys",
    "team",
    "user",
    "session",
    "client",
    "mutation",
    "conflict",
    "revocation",
    "audit",
];

impl Store {
    /// Every row of every table, in key order: for checking that a restore,
    /// a restart or a replay left the data exactly as it was.
    pub async fn snapshot(
        &self,
    ) -> Result<std::collections::BTreeMap<String, Vec<serde_json::Value>>, StoreError> {
        let mut tables = std::collections::BTreeMap::new();
        for table in TABLES {
            let mut response = self
                .db
                .query(format!("SELECT * FROM {table} ORDER BY id"))
                .await
                .map_err(StoreError::from_db)?;
            let rows: Vec<serde_json::Value> = response.take(0).map_err(StoreError::from_db)?;
            tables.insert((*table).to_owned(), rows);
        }
        Ok(tables)
    }
}
