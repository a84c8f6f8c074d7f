//! The server side of rules: the store decides who may see and change them.

use domain::policy::Role;
use domain::rules::{Preview, Rule, RunEntry};

use super::api::RulesView;
use crate::auth::signed_in;
use crate::error::{AppError, answer};

pub(super) async fn load() -> Result<RulesView, AppError> {
    let (state, user) = signed_in().await?;
    let rules = answer(state.store.rules(&user.viewer()).await)?;
    let people = answer(state.store.list_users().await)?
        .into_iter()
        .filter(|u| !u.disabled && matches!(u.role, Role::Rep | Role::Manager))
        .map(|u| (u.id.0, u.display_name))
        .collect();
    Ok(RulesView { rules, people })
}

pub(super) async fn save(rule: Rule) -> Result<Rule, AppError> {
    let (state, user) = signed_in().await?;
    answer(state.store.save_rule(&user.viewer(), &rule).await)
}

pub(super) async fn delete(id: String) -> Result<(), AppError> {
    let (state, user) = signed_in().await?;
    answer(state.store.delete_rule(&user.viewer(), &id).await)
}

pub(super) async fn preview(rule: Rule) -> Result<Preview, AppError> {
    let (state, user) = signed_in().await?;
    answer(state.store.rule_preview(&user.viewer(), &rule, store::today()).await)
}

pub(super) async fn log(id: String) -> Result<Vec<RunEntry>, AppError> {
    let (state, user) = signed_in().await?;
    answer(state.store.rule_log(&user.viewer(), &id).await)
}
