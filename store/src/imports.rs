//! Imports as they were committed: who imported which file, the client its
//! changes were numbered under (so the mutation log finds them by key), and
//! what its updates overwrote. That is what undoing one needs.

use std::collections::HashMap;

use domain::Mutation;
use domain::ids::{ClientId, CustomerId};
use domain::import::{Before, Logged};
use domain::policy::{Role, Viewer};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::query::{take_all, take_one};
use crate::sync::mutation_key;
use crate::{Store, StoreError};

/// An import, for the list of recent ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRecord {
    /// The client its changes were made under; also the import's id.
    pub id: String,
    /// Who imported.
    pub user: String,
    /// The file's name.
    pub file: String,
    /// When (milliseconds since the epoch).
    pub at: i64,
    /// How many changes it pushed.
    pub mutations: i64,
    /// Rows created, updated, skipped and in error.
    pub counts: Vec<i64>,
    /// When it was undone, by whom and with what result (JSON), if it was.
    pub undone: Option<String>,
    /// Where its job stands (`running`, `done`, `cancelled`; none: done).
    #[serde(default)]
    pub status: Option<String>,
    /// Changes pushed so far (none: all, for imports from before jobs).
    #[serde(default)]
    pub pushed: Option<i64>,
    /// For the job that undoes an import: that import's id.
    #[serde(default)]
    pub undoes: Option<String>,
}

impl ImportRecord {
    /// Where its job stands.
    pub fn job_status(&self) -> crate::ImportStatus {
        crate::ImportStatus::parse(self.status.as_deref())
    }
}

/// The columns last imported from files with one set of headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedMapping {
    /// What each column was taken for (`Vec<Option<Target>>` as JSON).
    pub mapping: String,
    /// Who imported with it.
    pub user: String,
    /// When (milliseconds since the epoch).
    pub at: i64,
}

/// The most imports the list shows.
const LISTED: u32 = 20;

impl Store {
    /// Keeps the columns an import used, for the next file with the same
    /// headers (`signature`, see `domain::import::header_signature`).
    pub async fn save_import_mapping(
        &self,
        viewer: &Viewer,
        signature: &str,
        mapping: &str,
    ) -> Result<(), StoreError> {
        let row = json!({ "mapping": mapping, "user": viewer.user.0, "at": crate::now_millis() });
        self.db
            .query("UPSERT type::record('import_mapping', $signature) CONTENT $row")
            .bind(("signature", signature.to_owned()))
            .bind(("row", row))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        Ok(())
    }

    /// The columns last imported from files with headers `signature`.
    pub async fn import_mapping(&self, signature: &str) -> Result<Option<SavedMapping>, StoreError> {
        let mut response = self
            .db
            .query("SELECT mapping, user, at FROM type::record('import_mapping', $signature)")
            .bind(("signature", signature.to_owned()))
            .await
            .map_err(StoreError::from_db)?;
        take_one(&mut response, 0)
    }

    /// Keeps an import before its changes are pushed: the client they are
    /// numbered under, how many there are, and what its updates overwrite.
    /// It starts as a running job (see `import_jobs.rs`): keep its batches first.
    /// The job that undoes an import is kept the same way, naming it in `undoes`.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_import(
        &self,
        viewer: &Viewer,
        client: ClientId,
        file: &str,
        sha256: &str,
        mutations: usize,
        counts: [usize; 4],
        before: &HashMap<CustomerId, Before>,
        undoes: Option<&str>,
    ) -> Result<(), StoreError> {
        let before = serde_json::to_string(before).map_err(|_| StoreError::Other)?;
        let row = crate::query::without_nulls(json!({
            "user": viewer.user.0, "team": viewer.team, "file": file, "at": crate::now_millis(),
            "mutations": mutations, "counts": counts, "before": before,
            "sha256": sha256, "status": "running", "pushed": 0, "undoes": undoes,
        }));
        self.db
            .query("CREATE type::record('import', $id) CONTENT $row")
            .bind(("id", client.to_string()))
            .bind(("row", row))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        Ok(())
    }

    /// The latest imports `viewer` may undo: an admin's list has everyone's,
    /// anyone else's their own.
    pub async fn recent_imports(&self, viewer: &Viewer) -> Result<Vec<ImportRecord>, StoreError> {
        let filter = if viewer.role == Role::Admin { "true" } else { "user = $user" };
        // Undo jobs are shown with the import they undo, not as imports.
        let mut response = self
            .db
            .query(format!(
                "SELECT record::id(id) AS id, user, file, at, mutations, counts, undone, status, pushed FROM import \
                 WHERE undoes = NONE AND {filter} ORDER BY at DESC LIMIT $limit"
            ))
            .bind(("user", viewer.user.0.clone()))
            .bind(("limit", LISTED))
            .await
            .map_err(StoreError::from_db)?;
        take_all(&mut response, 0)
    }

    /// One import with what its updates overwrote, and what the mutation
    /// log says each of its changes did.
    pub async fn import_for_undo(
        &self,
        id: &str,
    ) -> Result<Option<(ImportRecord, HashMap<CustomerId, Before>, Vec<Logged>)>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            #[serde(flatten)]
            record: ImportRecord,
            before: String,
        }
        #[derive(Deserialize)]
        struct LogRow {
            body: String,
            version: Option<i64>,
            status: String,
        }
        let Ok(client) = id.parse::<ClientId>() else { return Ok(None) };
        let mut response = self
            .db
            .query(
                "SELECT record::id(id) AS id, user, file, at, mutations, counts, undone, status, pushed, undoes, \
                 before FROM type::record('import', $id)",
            )
            .bind(("id", client.to_string()))
            .await
            .map_err(StoreError::from_db)?;
        let Some(row): Option<Row> = take_one(&mut response, 0)? else { return Ok(None) };
        let before: HashMap<CustomerId, Before> = serde_json::from_str(&row.before).map_err(|error| {
            tracing::error!(%error, import = id, "an import's earlier values do not parse");
            StoreError::Other
        })?;
        // Its changes are numbered 1, 2, ... under its own client: read by key.
        let keys: Vec<String> =
            (1..=row.record.mutations as u64).map(|seq| mutation_key(client, seq)).collect();
        let mut response = self
            .db
            .query(
                "SELECT seq, body, version, status FROM array::map($keys, |$k| type::record('mutation', $k))",
            )
            .bind(("keys", keys))
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<LogRow> = take_all(&mut response, 0)?;
        let mut logged = Vec::with_capacity(rows.len());
        for row in rows {
            let mutation: Mutation = serde_json::from_str(&row.body).map_err(|error| {
                tracing::error!(%error, import = id, "a logged change of an import does not parse");
                StoreError::Other
            })?;
            let applied = row.status != "rejected";
            logged.push(Logged {
                customer: mutation.customer,
                change: mutation.change,
                version: row.version.filter(|_| applied).map(|v| v as u64),
            });
        }
        Ok(Some((row.record, before, logged)))
    }

    /// Takes the undoing of an import for `who`, to be done by the job
    /// `job`, if its undo still stands as `over` (none: never undone; else
    /// the report of an undo that was cut short): false when someone else
    /// took it first.
    pub async fn claim_import_undo(
        &self,
        id: &str,
        who: &Viewer,
        job: ClientId,
        over: Option<&str>,
    ) -> Result<bool, StoreError> {
        let claim =
            json!({ "by": who.user.0, "at": crate::now_millis(), "job": job.to_string() }).to_string();
        let mut response = self
            .db
            .query(if over.is_some() {
                "UPDATE type::record('import', $id) SET undone = $claim WHERE undone = $over RETURN AFTER"
            } else {
                "UPDATE type::record('import', $id) SET undone = $claim WHERE undone = NONE RETURN AFTER"
            })
            .bind(("id", id.to_owned()))
            .bind(("claim", claim))
            .bind(("over", over.unwrap_or_default().to_owned()))
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<serde_json::Value> = take_all(&mut response, 0)?;
        Ok(!rows.is_empty())
    }

    /// How the undoing of import `id` stands, or how it went (JSON), if it was undone.
    pub async fn import_undone(&self, id: &str) -> Result<Option<String>, StoreError> {
        let mut response = self
            .db
            .query("SELECT VALUE undone FROM type::record('import', $id)")
            .bind(("id", id.to_owned()))
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<Option<String>> = response.take(0).map_err(StoreError::from_db)?;
        Ok(rows.into_iter().next().flatten())
    }

    /// Records how the undoing of an import stands, or how it went (JSON),
    /// with the undo's audit entry (by whom, its detail) in the same
    /// transaction when it ends here.
    pub async fn finish_import_undo(
        &self,
        id: &str,
        outcome: String,
        audit: Option<(&Viewer, String)>,
    ) -> Result<(), StoreError> {
        let entry =
            audit.map(|(by, detail)| crate::audit::audit_entry(by, "import_undo", None, Some(detail)));
        self.db
            .query(
                "BEGIN TRANSACTION;
                 UPDATE type::record('import', $id) SET undone = $outcome;
                 IF $entry != NONE { CREATE audit CONTENT $entry; };
                 COMMIT TRANSACTION;",
            )
            .bind(("id", id.to_owned()))
            .bind(("outcome", outcome))
            .bind(("entry", entry))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        Ok(())
    }
}
