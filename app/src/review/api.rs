//! Server functions for the review rules.

use domain::review::ReviewRules;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;

/// The review rules, for the admin form (devices get them with their pull).
#[server(prefix = "/api", endpoint = "review/rules")]
pub async fn load_review_rules() -> Result<ReviewRules, AppError> {
    super::server::load().await
}

/// Replaces the review rules; admins only. Every device gets them at its
/// next sync.
#[server(prefix = "/api", endpoint = "review/rules/save", input = Json)]
pub async fn save_review_rules(rules: ReviewRules) -> Result<ReviewRules, AppError> {
    super::server::save(rules).await
}
