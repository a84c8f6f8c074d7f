//! The server side of the team page: managers and admins only.

use domain::FieldError;
use domain::ids::UserId;
use domain::mutation::Sequencer;
use domain::policy::{self, Role, Viewer};
use domain::time::Timestamp;
use domain::views::{HandoverOptions, HandoverReport, Selection, TeamView};
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
    options: HandoverOptions,
) -> Result<HandoverReport, AppError> {
    let (state, viewer) = runner().await?;
    let invalid = |field: &str, code: &str| AppError::invalid(FieldError::new(field, code)).respond();
    let to = match to.trim() {
        "" => None,
        name => Some(store::parse_username(name).map_err(|e| AppError::invalid(e).respond())?),
    };
    if selection.ids.is_empty() && options.round_robin.is_none() && to == selection.keeper {
        return Err(invalid("keeper", "same"));
    }
    let reason = reason.trim().to_owned();
    validate::reason(Some(&reason)).map_err(|e| AppError::invalid(e).respond())?;
    // Who takes them: one person (or the pool), or a team's reps in turn,
    // those who keep fewest first, so handing out one at a time shares too.
    let keepers: Vec<Option<UserId>> = match &options.round_robin {
        None => vec![to.clone()],
        Some(team) => {
            let teams = answer(state.store.teams(&viewer).await)?;
            let mut reps: Vec<_> = teams
                .into_iter()
                .filter(|t| t.name == *team)
                .flat_map(|t| t.members)
                .filter(|(user, _)| !user.disabled && user.role == Role::Rep)
                .collect();
            if reps.is_empty() {
                return Err(invalid("team", "no_reps"));
            }
            reps.sort_by(|(a, kept_a), (b, kept_b)| kept_a.cmp(kept_b).then_with(|| a.id.cmp(&b.id)));
            reps.into_iter().map(|(user, _)| Some(user.id)).collect()
        }
    };
    let selected = answer(state.store.select_for_handover(&viewer, &selection).await)?;
    let mut report = HandoverReport { selected: selected.len() as u32, ..HandoverReport::default() };
    if !commit {
        return Ok(report);
    }
    if reason.is_empty() {
        return Err(invalid("reason", "required"));
    }
    // One client per handover: its changes are numbered and checked like a
    // device's, so the policy and the pools' limits decide archive by
    // archive. A keeper the server finds at the hold limit drops out of
    // the turn and their archive goes round again to the others.
    let mut client = Sequencer::new(viewer.user.clone());
    let now = Timestamp(store::now_millis());
    let mut open = keepers;
    let mut pending = selected;
    let mut turn = 0;
    while !pending.is_empty() {
        if open.is_empty() {
            // Everyone is full: what is left stays where it is.
            report.refused += pending.len() as u32;
            break;
        }
        let round: Vec<_> = pending
            .drain(..)
            .enumerate()
            .map(|(i, (id, version))| (id, version, open[(turn + i) % open.len()].clone()))
            .collect();
        turn += round.len();
        for batch in round.chunks(MAX_BATCH) {
            let mutations: Vec<_> = batch
                .iter()
                .map(|(id, version, owner)| {
                    let change = Change::Reassign {
                        pool: None,
                        owner: owner.clone(),
                        base: *version,
                        reason: Some(reason.clone()),
                        over_limit: options.over_limit,
                    };
                    client.next(*id, change, now)
                })
                .collect();
            let reply = answer(state.store.push(&viewer, client.client, &mutations, store::today()).await)?;
            for ((id, version, owner), result) in batch.iter().zip(reply.results) {
                match result.outcome {
                    store::Outcome::Rejected { errors, .. }
                        if errors.iter().any(domain::pool::is_over_hold_limit) =>
                    {
                        open.retain(|k| k != owner);
                        pending.push((*id, *version));
                        if report.refusal.is_none() {
                            // Kept in case nobody has room left.
                            report.refusal_errors = errors;
                        }
                    }
                    store::Outcome::Rejected { code, errors, .. } => {
                        report.refused += 1;
                        if report.refusal.is_none() {
                            report.refusal = Some(code);
                            report.refusal_errors = errors;
                        }
                    }
                    _ => {
                        report.moved += 1;
                        let name = owner.as_ref().map_or_else(String::new, |o| o.0.clone());
                        *report.taken.entry(name).or_default() += 1;
                    }
                }
            }
        }
    }
    if report.refused > 0 && report.refusal.is_none() {
        report.refusal = Some(domain::Refusal::PoolRules.code().to_owned());
    }
    let detail = serde_json::json!({
        "from": selection.keeper.as_ref().map(|k| k.0.clone()), "ids": selection.ids.len(),
        "to": to.as_ref().map(|t| t.0.clone()), "round_robin": options.round_robin,
        "over_limit": options.over_limit, "reason": reason,
        "selected": report.selected, "moved": report.moved, "refused": report.refused,
    });
    answer(state.store.record_audit(&viewer, "handover", None, Some(detail.to_string())).await)?;
    tracing::info!(user = %viewer.user, moved = report.moved, refused = report.refused, "handover");
    Ok(report)
}
