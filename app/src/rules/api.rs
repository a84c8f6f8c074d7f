//! Server functions for workflow rules; admins only.

use domain::rules::{Preview, Rule, RunEntry};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The rules, and whom an assign action may name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesView {
    /// Every rule, by name.
    pub rules: Vec<Rule>,
    /// Active reps and managers: user id and name.
    pub people: Vec<(String, String)>,
}

/// The rules page's data.
#[server(prefix = "/api", endpoint = "rules")]
pub async fn load_rules() -> Result<RulesView, AppError> {
    super::server::load().await
}

/// Saves a rule, new or changed; answers it as saved.
#[server(prefix = "/api", endpoint = "rules/save", input = Json)]
pub async fn save_rule(rule: Rule) -> Result<Rule, AppError> {
    super::server::save(rule).await
}

/// Deletes a rule (its run log stays).
#[server(prefix = "/api", endpoint = "rules/delete")]
pub async fn delete_rule(id: String) -> Result<(), AppError> {
    super::server::delete(id).await
}

/// What a rule would do in the coming days.
#[server(prefix = "/api", endpoint = "rules/preview", input = Json)]
pub async fn preview_rule(rule: Rule) -> Result<Preview, AppError> {
    super::server::preview(rule).await
}

/// A rule's run log, newest first.
#[server(prefix = "/api", endpoint = "rules/log")]
pub async fn rule_log(id: String) -> Result<Vec<RunEntry>, AppError> {
    super::server::log(id).await
}
