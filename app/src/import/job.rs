//! Running an import's job (or the job undoing one): its kept batches
//! pushed one after another as the importer, how far it got noted after
//! each, until every change is in or someone stops it. A server that stopped halfway carries on at its
//! next look (see `store/src/import_jobs.rs` for why nothing is done twice).

use std::collections::BTreeSet;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use domain::ids::{ClientId, UserId};
use domain::policy::{Role, Viewer};
use store::{ImportJob, ImportStatus, JobEnding, MAX_BATCH};

use crate::error::{AppError, answer};
use crate::state::AppState;

/// How long a runner's hold on a job lasts; renewed with every batch, so
/// another server takes over a job this long after its runner stopped.
const LEASE_MS: i64 = 15_000;
/// How often a server looks for jobs nobody runs.
const LOOK_EVERY: Duration = Duration::from_secs(5);

/// Names this process to the leases.
static HOLDER: LazyLock<String> = LazyLock::new(|| ClientId::new().to_string());
/// The jobs this process runs now, so it never runs one twice at once.
static RUNNING: LazyLock<Mutex<BTreeSet<String>>> = LazyLock::new(Default::default);

/// Takes `id` off [`RUNNING`] however the run ends.
struct Running(String);

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.0);
    }
}

/// Runs import `id` to its end (or until it is stopped, or another server
/// holds it): `progress` hears changes pushed so far and their total after
/// each batch. `take_over`: this process may take the job from a holder
/// whose lease has not run out (a restarted server on its own engine).
/// Gives the job as it ended, or none when it was not this process's to run.
pub async fn run(
    state: &AppState,
    id: &str,
    take_over: bool,
    mut progress: impl FnMut(u64, u64),
) -> Result<Option<ImportJob>, AppError> {
    if !RUNNING.lock().unwrap_or_else(|e| e.into_inner()).insert(id.to_owned()) {
        return Ok(None);
    }
    let _running = Running(id.to_owned());
    let store = &state.store;
    let Ok(client) = id.parse::<ClientId>() else { return Ok(None) };
    let Some(mut job) = answer(store.lease_import(id, &HOLDER, LEASE_MS, take_over).await)? else {
        return Ok(None);
    };
    loop {
        // Read per batch, so the job acts as the importer is now: disabled
        // since (or gone), nothing more is pushed in their name; what was
        // pushed stays, and can be undone.
        let (viewer, may_act) = importer(state, &job.user).await?;
        let unable = !may_act && job.pushed < job.total;
        if job.cancel || unable || job.pushed >= job.total {
            let status = if job.pushed >= job.total { ImportStatus::Done } else { ImportStatus::Cancelled };
            // An undo's report so far is read first: the ending is written
            // in one transaction with the job's end.
            let undo = match &job.undoes {
                Some(undone) => Some((undone.clone(), answer(store.import_undone(undone).await)?)),
                None => None,
            };
            let why = unable.then_some("importer_disabled");
            let ended = store.finish_import(id, status, |job| match undo {
                Some((undone, so_far)) => {
                    super::server::undo_ending(&viewer, &undone, so_far.as_deref(), job)
                }
                None => ending(&viewer, job, why),
            });
            let Some(job) = answer(ended.await)? else { return Ok(None) };
            tracing::info!(user = %viewer.user, import = id, file = %job.file, pushed = job.pushed,
                changes = job.total, refused = job.refused, status = ?job.status, why, undoes = ?job.undoes,
                "import job ended");
            return Ok(Some(job));
        }
        let index = job.pushed as usize / MAX_BATCH;
        let batch = answer(store.import_batch(id, index).await)?.ok_or_else(|| {
            tracing::error!(import = id, index, "a batch of a running import is missing");
            AppError::Internal.respond()
        })?;
        answer(store.push(&viewer, client, &batch, store::today()).await)?;
        crate::sync::check_duplicates(state, &batch);
        let pushed = (index * MAX_BATCH + batch.len()) as u64;
        // Noted with the lease renewed, and read again (a stop asked for);
        // none when another server took it over meanwhile.
        let next = answer(store.import_pushed(id, &HOLDER, pushed, LEASE_MS).await)?;
        progress(pushed, job.total);
        match next {
            Some(next) => job = next,
            None => return Ok(None),
        }
    }
}

/// Who the job pushes as: the person who imported, as they are now, or the
/// system for an import from the command line; and whether they may still
/// act (not when disabled since, or gone).
async fn importer(state: &AppState, user: &str) -> Result<(Viewer, bool), AppError> {
    let id = UserId(user.to_owned());
    if user == store::SYSTEM_USER {
        return Ok((Viewer { user: id, role: Role::Admin, team: None }, true));
    }
    match state.store.user(&id).await {
        Ok(found) => Ok((found.viewer(), !found.disabled)),
        Err(store::StoreError::NotFound) => Ok((Viewer { user: id, role: Role::Rep, team: None }, false)),
        Err(error) => Err(AppError::from(error).respond()),
    }
}

/// The import's entry in the audit trail, written as its job ends: who,
/// which file, what it did, and why it stopped when nobody asked it to.
fn ending(viewer: &Viewer, job: &ImportJob, why: Option<&str>) -> JobEnding {
    let [created, updated, skipped, errors] = super::server::counts(job);
    let status = match job.status {
        ImportStatus::Cancelled => "cancelled",
        _ => "done",
    };
    let detail = serde_json::json!({
        "file": job.file, "sha256": job.sha256, "created": created, "updated": updated,
        "skipped": skipped, "errors": errors, "refused": job.refused,
        "pushed": job.pushed, "changes": job.total, "status": status, "why": why,
    });
    JobEnding { by: viewer.clone(), action: "import", detail: detail.to_string(), undone: None }
}

/// Starts running import `id` in the background.
pub(super) fn start(state: AppState, id: String) {
    tokio::spawn(async move {
        if let Err(error) = run(&state, &id, false, |_, _| {}).await {
            tracing::warn!(import = %id, ?error, "an import stopped; it carries on at the next look");
        }
    });
}

/// Looks for imports nobody runs, now and every few seconds, and runs them:
/// those of a server that stopped halfway. At the first look a server on
/// an engine of its own takes its jobs back at once (no other server can
/// be running them); on a shared database it waits for their leases to
/// run out. The task ends when the returned handle is aborted.
pub fn resume(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut first = true;
        loop {
            match state.store.running_imports().await {
                Ok(jobs) => {
                    for job in jobs {
                        let take_over = first && !state.store.shared();
                        let state = state.clone();
                        tokio::spawn(async move {
                            if let Err(error) = run(&state, &job.id, take_over, |_, _| {}).await {
                                tracing::warn!(import = %job.id, ?error, "an import stopped again");
                            }
                        });
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot look for running imports"),
            }
            first = false;
            tokio::time::sleep(LOOK_EVERY).await;
        }
    })
}
