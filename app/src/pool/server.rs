//! The server side of the pools' rules: the store decides who may change them.

use domain::pool::{PoolRules, PoolSettings};

use super::api::RecyclePreview;
use crate::auth::signed_in;
use crate::error::{AppError, answer};

pub(super) async fn load() -> Result<PoolSettings, AppError> {
    let (state, _) = signed_in().await?;
    answer(state.store.pool_settings().await)
}

pub(super) async fn save(team: Option<String>, rules: PoolRules) -> Result<PoolSettings, AppError> {
    let (state, user) = signed_in().await?;
    answer(state.store.save_pool_rules(&user.viewer(), team.as_deref(), &rules).await)
}

pub(super) async fn preview(team: Option<String>, rules: PoolRules) -> Result<Vec<RecyclePreview>, AppError> {
    let (state, user) = signed_in().await?;
    let due =
        answer(state.store.recycle_preview(&user.viewer(), team.as_deref(), &rules, store::today()).await)?;
    let names = answer(state.store.display_names().await)?;
    Ok(due
        .into_iter()
        .map(|c| RecyclePreview {
            customer: c.customer.to_string(),
            name: c.name,
            keeper: names.get(&c.keeper).cloned().unwrap_or_else(|| c.keeper.0.clone()),
            on: c.recycle.on.to_string(),
        })
        .collect())
}
