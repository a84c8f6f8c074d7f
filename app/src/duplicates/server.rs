//! The server side of the duplicates queue: managers and admins only.

use domain::mutation::{FieldEdit, Sequencer};
use domain::policy::{self, Viewer};
use domain::time::Timestamp;
use domain::views::DuplicatePairView;
use domain::{Change, FieldError};

use crate::auth::signed_in;
use crate::error::{AppError, answer};
use crate::state::AppState;

/// Most pairs the queue page shows at once.
const QUEUE_PAGE: usize = 50;

async fn runner() -> Result<(AppState, Viewer), AppError> {
    let (state, user) = signed_in().await?;
    let viewer = user.viewer();
    if !policy::may_merge(&viewer) {
        return Err(AppError::Forbidden { reason: "duplicates.forbidden".into() }.respond());
    }
    Ok((state, viewer))
}

pub(super) async fn queue() -> Result<Vec<DuplicatePairView>, AppError> {
    let (state, viewer) = runner().await?;
    answer(state.store.duplicate_queue(&viewer, QUEUE_PAGE).await)
}

pub(super) async fn pair(key: String) -> Result<DuplicatePairView, AppError> {
    let (state, viewer) = runner().await?;
    answer(state.store.duplicate_pair(&viewer, &key).await)?.ok_or_else(|| AppError::NotFound.respond())
}

pub(super) async fn sweep() -> Result<(u32, u32), AppError> {
    let (state, viewer) = runner().await?;
    let report = answer(state.store.dedup_sweep().await)?;
    tracing::info!(user = %viewer.user, scanned = report.scanned, pairs = report.pairs, "duplicates sweep");
    Ok((report.scanned as u32, report.pairs as u32))
}

pub(super) async fn dismiss(key: String) -> Result<(), AppError> {
    let (state, viewer) = runner().await?;
    answer(state.store.decide_pair(&viewer, &key, false).await)?;
    let detail = serde_json::json!({ "pair": key });
    answer(state.store.record_audit(&viewer, "not_duplicate", None, Some(detail.to_string())).await)
}

pub(super) async fn merge(key: String, keep: String, edits: Vec<FieldEdit>) -> Result<(), AppError> {
    let (state, viewer) = runner().await?;
    let pair = answer(state.store.duplicate_pair(&viewer, &key).await)?
        .ok_or_else(|| AppError::NotFound.respond())?;
    let (into, from) = match keep.as_str() {
        k if k == pair.a.id.to_string() => (&pair.a, &pair.b),
        k if k == pair.b.id.to_string() => (&pair.b, &pair.a),
        _ => return Err(AppError::invalid(FieldError::new("keep", "unknown")).respond()),
    };
    // One client per merge, numbered like a device's; the push checks it all.
    let mut client = Sequencer::new(viewer.user.clone());
    let change = Change::Merge { from: from.id, base: into.version, edits };
    let mutation = client.next(into.id, change, Timestamp(store::now_millis()));
    let reply = answer(state.store.push(&viewer, client.client, &[mutation], store::today()).await)?;
    if let Some(store::Outcome::Rejected { code, errors, .. }) =
        reply.results.into_iter().next().map(|r| r.outcome)
    {
        return Err(if errors.is_empty() {
            AppError::Forbidden { reason: code }.respond()
        } else {
            AppError::Invalid { errors }.respond()
        });
    }
    answer(state.store.decide_pair(&viewer, &key, true).await)?;
    tracing::info!(user = %viewer.user, into = %into.id, from = %from.id, "duplicates merged");
    Ok(())
}
