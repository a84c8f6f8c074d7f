//! Server functions for the pools' rules and the recycle preview. Claims
//! and releases are changes like any other: they travel with the sync.

use domain::pool::{PoolRules, PoolSettings};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// One archive a recycle rule would send back now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecyclePreview {
    /// The archive.
    pub customer: String,
    /// Its name.
    pub name: String,
    /// Its keeper's display name.
    pub keeper: String,
    /// The day it was due.
    pub on: String,
}

/// Every pool's rules (devices get them with their pull; the form reads them here).
#[server(prefix = "/api", endpoint = "pool/rules")]
pub async fn load_pool_rules() -> Result<PoolSettings, AppError> {
    super::server::load().await
}

/// Replaces the rules of the pool of `team` (none: the company's), as
/// someone who runs it.
#[server(prefix = "/api", endpoint = "pool/rules/save", input = Json)]
pub async fn save_pool_rules(team: Option<String>, rules: PoolRules) -> Result<PoolSettings, AppError> {
    super::server::save(team, rules).await
}

/// The archives `rules` would send back to the pool of `team` now, before
/// they are saved.
#[server(prefix = "/api", endpoint = "pool/preview", input = Json)]
pub async fn preview_recycle(
    team: Option<String>,
    rules: PoolRules,
) -> Result<Vec<RecyclePreview>, AppError> {
    super::server::preview(team, rules).await
}
