//! The server side of the team page: managers and admins only.

use domain::FieldError;
use domain::mutation::Sequencer;
use domain::policy::{self, Viewer};
use domain::time::Timestamp;
use domain::views::{HandoverReport, Selection, TeamView};
use domain::{Change, validate};
use store::MAX_BATCH;

use crate::auth::signed_in;
use crate::error::{AppError, answer};
use crate::state::AppState;

async fn runner() -> Result<(AppState, Viewer), AppError> {
    let (state, user) = signed_in().await?;
    let viewer = user.viewer();
    if !policy::may_reassign(&viewer) {
        return Err(AppError::Forbidden { reason: "team.forbidden".into() }.respond());
    }
    Ok((state, viewer))
}

pub(super) async fn teams() -> Result<Vec<TeamView>, AppError> {
    let (state, viewer) = runner().await?;
    answer(state.store.teams(&viewer).await)
}

pub(super) async fn handover(
    selection: Selection,
    to: String,
    reason: String,
    commit: bool,
) -> Result<HandoverReport, AppError> {
    let (state, viewer) = runner().await?;
    let invalid = |field: &str, code: &str| AppError::invalid(FieldError::new(field, code)).respond();
    let to = match to.trim() {
        "" => None,
        name => Some(store::parse_username(name).map_err(|e| AppError::invalid(e).respond())?),
    };
    if selection.ids.is_empty() && to == selection.keeper {
        return Err(invalid("keeper", "same"));
    }
    let reason = reason.trim().to_owned();
    validate::reason(Some(&reason)).map_err(|e| AppError::invalid(e).respond())?;
    let selected = answer(state.store.select_for_handover(&viewer, &selection).await)?;
    let mut report = HandoverReport { selected: selected.len() as u32, ..HandoverReport::default() };
    if !commit {
        return Ok(report);
    }
    if reason.is_empty() {
        return Err(invalid("reason", "required"));
    }
    // One client per handover: its changes are numbered and checked like a
    // device's, so the policy decides who may receive what, archive by archive.
    let mut client = Sequencer::new(viewer.user.clone());
    let now = Timestamp(store::now_millis());
    let mutations: Vec<_> = selected
        .iter()
        .map(|(id, version)| {
            let change = Change::Reassign {
                pool: None,
                owner: to.clone(),
                base: *version,
                reason: Some(reason.clone()),
            };
            client.next(*id, change, now)
        })
        .collect();
    for batch in mutations.chunks(MAX_BATCH) {
        let reply = answer(state.store.push(&viewer, client.client, batch, store::today()).await)?;
        for result in reply.results {
            match result.outcome {
                store::Outcome::Rejected { code, .. } => {
                    report.refused += 1;
                    report.refusal.get_or_insert(code);
                }
                _ => report.moved += 1,
            }
        }
    }
    let detail = serde_json::json!({
        "from": selection.keeper.as_ref().map(|k| k.0.clone()), "ids": selection.ids.len(),
        "to": to.as_ref().map(|t| t.0.clone()), "reason": reason,
        "selected": report.selected, "moved": report.moved, "refused": report.refused,
    });
    answer(state.store.record_audit(&viewer, "handover", None, Some(detail.to_string())).await)?;
    tracing::info!(user = %viewer.user, moved = report.moved, refused = report.refused, "handover");
    Ok(report)
}
