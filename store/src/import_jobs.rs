//! An import as a job: its changes are kept in batches before the first is
//! pushed, with how far the pushing got, so that a server that stops
//! halfway (a restart, a crash) carries on where it stopped. A change is
//! never taken twice: the changes are numbered under the import's own
//! client, and a push of numbers already taken is answered as the first
//! time. One server at a time runs a job, by a lease it renews per batch.

use domain::Mutation;
use domain::ids::ClientId;
use domain::policy::Viewer;
use serde::{Deserialize, Serialize};

use crate::query::{take_all, take_one};
use crate::sync::mutation_key;
use crate::{MAX_BATCH, Store, StoreError};

/// Where an import stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Its changes are being pushed.
    Running,
    /// Every change was pushed (imports from before jobs have no status: done).
    #[default]
    Done,
    /// Stopped on request; what was pushed stays (and can be undone).
    Cancelled,
}

impl ImportStatus {
    pub(crate) fn parse(text: Option<&str>) -> Self {
        match text {
            Some("running") => Self::Running,
            Some("cancelled") => Self::Cancelled,
            _ => Self::Done,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }
}

/// How far an import's job got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportJob {
    /// The import (also the client its changes are numbered under).
    pub id: String,
    /// Who imported: the job pushes as them.
    pub user: String,
    /// The file's name.
    pub file: String,
    /// Where it stands.
    pub status: ImportStatus,
    /// Its changes, and how many of them were pushed.
    pub total: u64,
    pub pushed: u64,
    /// Changes the server refused (known once it is done).
    pub refused: u64,
    /// Rows created, updated, skipped and in error, as planned.
    pub counts: Vec<i64>,
    /// When it started and, once over, when it ended (milliseconds).
    pub started: i64,
    pub finished: Option<i64>,
    /// Someone asked to stop it.
    pub cancel: bool,
    /// The file's SHA-256, for the audit trail.
    pub sha256: Option<String>,
    /// For the job that undoes an import: that import's id.
    pub undoes: Option<String>,
}

/// What ending a job writes with it: its entry in the audit trail (by whom,
/// the action, the detail) and, for the job undoing an import, that
/// import's report (its id and the report).
pub struct JobEnding {
    pub by: Viewer,
    pub action: &'static str,
    pub detail: String,
    pub undone: Option<(String, String)>,
}

#[derive(Deserialize)]
struct JobRow {
    id: String,
    user: String,
    file: String,
    status: Option<String>,
    mutations: i64,
    pushed: Option<i64>,
    refused: Option<i64>,
    counts: Vec<i64>,
    at: i64,
    finished: Option<i64>,
    cancel: Option<bool>,
    sha256: Option<String>,
    #[serde(default)]
    undoes: Option<String>,
}

impl From<JobRow> for ImportJob {
    fn from(row: JobRow) -> Self {
        let status = ImportStatus::parse(row.status.as_deref());
        let total = row.mutations.max(0) as u64;
        Self {
            id: row.id,
            user: row.user,
            file: row.file,
            status,
            total,
            // Imports from before jobs pushed everything in their request.
            pushed: row
                .pushed
                .map_or(if status == ImportStatus::Done { total } else { 0 }, |p| p.max(0) as u64),
            refused: row.refused.unwrap_or(0).max(0) as u64,
            counts: row.counts,
            started: row.at,
            finished: row.finished,
            cancel: row.cancel.unwrap_or(false),
            sha256: row.sha256,
            undoes: row.undoes,
        }
    }
}

const JOB_FIELDS: &str = "record::id(id) AS id, user, file, status, mutations, pushed, refused, counts, at, \
                          finished, cancel, sha256, undoes";

fn batch_key(client: &str, index: usize) -> String {
    format!("{client}-{index}")
}

impl Store {
    /// Keeps the changes of an import in batches, before any is pushed.
    /// Call before [`Store::record_import`], which makes the job runnable.
    pub async fn keep_import_batches(
        &self,
        client: ClientId,
        mutations: &[Mutation],
    ) -> Result<(), StoreError> {
        for (index, batch) in mutations.chunks(MAX_BATCH).enumerate() {
            self.keep_import_batch(client, index, batch).await?;
        }
        Ok(())
    }

    /// Keeps the `index`th batch of an import's changes (at most
    /// [`MAX_BATCH`]; every batch but the last holds that many), as the
    /// file is read.
    pub async fn keep_import_batch(
        &self,
        client: ClientId,
        index: usize,
        batch: &[Mutation],
    ) -> Result<(), StoreError> {
        let body = serde_json::to_string(batch).map_err(|_| StoreError::Other)?;
        self.db
            .query("UPSERT type::record('import_batch', $id) CONTENT { body: $body }")
            .bind(("id", batch_key(&client.to_string(), index)))
            .bind(("body", body))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        Ok(())
    }

    /// The `index`th batch of an import's changes, while it runs.
    pub async fn import_batch(&self, id: &str, index: usize) -> Result<Option<Vec<Mutation>>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            body: String,
        }
        let mut response = self
            .db
            .query("SELECT body FROM type::record('import_batch', $id)")
            .bind(("id", batch_key(id, index)))
            .await
            .map_err(StoreError::from_db)?;
        let Some(row): Option<Row> = take_one(&mut response, 0)? else { return Ok(None) };
        serde_json::from_str(&row.body).map(Some).map_err(|error| {
            tracing::error!(%error, import = id, index, "a kept batch of an import does not parse");
            StoreError::Other
        })
    }

    /// How far import `id` got.
    pub async fn import_job(&self, id: &str) -> Result<Option<ImportJob>, StoreError> {
        let mut response = self
            .db
            .query(format!("SELECT {JOB_FIELDS} FROM type::record('import', $id)"))
            .bind(("id", id.to_owned()))
            .await
            .map_err(StoreError::from_db)?;
        Ok(take_one::<JobRow>(&mut response, 0)?.map(ImportJob::from))
    }

    /// The imports still running, whoever runs them.
    pub async fn running_imports(&self) -> Result<Vec<ImportJob>, StoreError> {
        let mut response = self
            .db
            .query(format!("SELECT {JOB_FIELDS} FROM import WHERE status = 'running'"))
            .await
            .map_err(StoreError::from_db)?;
        Ok(take_all::<JobRow>(&mut response, 0)?.into_iter().map(ImportJob::from).collect())
    }

    /// Takes (or renews) the running of import `id` for `holder` for
    /// `lease_ms`: only while it runs, and only when nobody else holds a
    /// lease that has not run out, unless `take_over` (a restarted server
    /// on an engine no other server can reach takes its own jobs back).
    pub async fn lease_import(
        &self,
        id: &str,
        holder: &str,
        lease_ms: i64,
        take_over: bool,
    ) -> Result<Option<ImportJob>, StoreError> {
        let now = crate::now_millis();
        let mut response = self
            .db
            .query(format!(
                "UPDATE type::record('import', $id) SET holder = $holder, lease = $until \
                 WHERE status = 'running' AND (holder = $holder OR lease = NONE OR lease < $now OR $take_over) \
                 RETURN {JOB_FIELDS}"
            ))
            .bind(("id", id.to_owned()))
            .bind(("holder", holder.to_owned()))
            .bind(("until", now + lease_ms))
            .bind(("now", now))
            .bind(("take_over", take_over))
            .await
            .map_err(StoreError::from_db)?;
        Ok(take_one::<JobRow>(&mut response, 0)?.map(ImportJob::from))
    }

    /// Notes that the first `pushed` changes of import `id` are in (a count
    /// never goes back) and renews `holder`'s lease, in one write. Gives the
    /// job as it stands now (a stop asked for meanwhile), or none when
    /// another server took it over or it is no longer running.
    pub async fn import_pushed(
        &self,
        id: &str,
        holder: &str,
        pushed: u64,
        lease_ms: i64,
    ) -> Result<Option<ImportJob>, StoreError> {
        let mut response = self
            .db
            .query(format!(
                "UPDATE type::record('import', $id) SET pushed = math::max([pushed ?? 0, $pushed]), \
                 lease = $until WHERE holder = $holder AND status = 'running' RETURN {JOB_FIELDS}"
            ))
            .bind(("id", id.to_owned()))
            .bind(("holder", holder.to_owned()))
            .bind(("pushed", pushed as i64))
            .bind(("until", crate::now_millis() + lease_ms))
            .await
            .map_err(StoreError::from_db)?;
        Ok(take_one::<JobRow>(&mut response, 0)?.map(ImportJob::from))
    }

    /// Asks import `id` to stop at its next batch: false when it is not running.
    pub async fn cancel_import(&self, id: &str) -> Result<bool, StoreError> {
        let mut response = self
            .db
            .query(
                "UPDATE type::record('import', $id) SET cancel = true WHERE status = 'running' RETURN AFTER",
            )
            .bind(("id", id.to_owned()))
            .await
            .map_err(StoreError::from_db)?;
        let rows: Vec<serde_json::Value> = take_all(&mut response, 0)?;
        Ok(!rows.is_empty())
    }

    /// Ends import `id` as `status` (done or cancelled): counts what the
    /// server refused from the mutation log, so a batch pushed twice is not
    /// counted twice, and drops the kept batches. What `ending` gives for
    /// the job as it ends (its audit entry, an undo's report) is written in
    /// the same transaction, so a job never shows as ended without them,
    /// and a crash in between leaves it running, to be ended again.
    /// Gives the job as it ended; none when it was not running.
    pub async fn finish_import(
        &self,
        id: &str,
        status: ImportStatus,
        ending: impl FnOnce(&ImportJob) -> JobEnding,
    ) -> Result<Option<ImportJob>, StoreError> {
        let Some(job) = self.import_job(id).await? else { return Ok(None) };
        let Ok(client) = id.parse::<ClientId>() else { return Ok(None) };
        if job.status != ImportStatus::Running {
            return Ok(None);
        }
        let keys: Vec<String> = (1..=job.total).map(|seq| mutation_key(client, seq)).collect();
        let batches: Vec<String> =
            (0..(job.total as usize).div_ceil(MAX_BATCH)).map(|index| batch_key(id, index)).collect();
        #[derive(Deserialize)]
        struct Count {
            count: i64,
        }
        let mut response = self
            .db
            .query(
                "SELECT count() AS count FROM array::map($keys, |$k| type::record('mutation', $k)) \
                 WHERE status = 'rejected' GROUP ALL",
            )
            .bind(("keys", keys))
            .await
            .map_err(StoreError::from_db)?;
        let refused = take_one::<Count>(&mut response, 0)?.map_or(0, |c| c.count);
        let now = crate::now_millis();
        let ended = ImportJob { status, refused: refused.max(0) as u64, finished: Some(now), ..job };
        let JobEnding { by, action, detail, undone } = ending(&ended);
        let (undone_id, outcome) = undone.unzip();
        // Only a running job ends: a runner that lost its lease meanwhile
        // must not end it (or audit it) a second time.
        self.db
            .query(
                "BEGIN TRANSACTION;
                 IF (SELECT VALUE status FROM ONLY type::record('import', $id)) = 'running' {
                     UPDATE type::record('import', $id) SET status = $status, finished = $now, \
                         refused = $refused, holder = NONE, lease = NONE;
                     DELETE array::map($batches, |$b| type::record('import_batch', $b));
                     CREATE audit CONTENT $entry;
                     IF $undone_id != NONE {
                         UPDATE type::record('import', $undone_id) SET undone = $outcome;
                     };
                 };
                 COMMIT TRANSACTION;",
            )
            .bind(("id", id.to_owned()))
            .bind(("status", status.as_str()))
            .bind(("now", now))
            .bind(("refused", refused))
            .bind(("batches", batches))
            .bind(("entry", crate::audit::audit_entry(&by, action, None, Some(detail))))
            .bind(("undone_id", undone_id))
            .bind(("outcome", outcome))
            .await
            .and_then(crate::error::explain)
            .map_err(StoreError::from_db)?;
        Ok(self.import_job(id).await?.filter(|job| job.finished == Some(now)).map(|_| ended))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_reads_back_as_it_was_written_and_an_old_import_is_done() {
        for status in [ImportStatus::Running, ImportStatus::Done, ImportStatus::Cancelled] {
            assert_eq!(ImportStatus::parse(Some(status.as_str())), status);
        }
        assert_eq!(ImportStatus::parse(None), ImportStatus::Done);
    }
}
