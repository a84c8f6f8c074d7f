//! Server functions of the team page.

use domain::views::{HandoverOptions, HandoverReport, Selection, TeamView};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;

/// The teams the signed-in manager (their own) or admin (every one) runs.
#[server(prefix = "/api", endpoint = "team/list")]
pub async fn list_teams() -> Result<Vec<TeamView>, AppError> {
    super::server::teams().await
}

/// Moves the archives `selection` names to `to` (a user name; empty: the
/// public pool), or in turn to a team's reps, with `reason`, as mutations
/// like any other change. With `commit` false only counts them, for the
/// preview.
#[server(prefix = "/api", endpoint = "team/handover", input = Json)]
pub async fn handover(
    selection: Selection,
    to: String,
    reason: String,
    commit: bool,
    #[server(default)] options: HandoverOptions,
) -> Result<HandoverReport, AppError> {
    super::server::handover(selection, to, reason, commit, options).await
}
