//! The server side of notifications: a user reads and marks only their own.

use super::api::Notifications;
use crate::auth::signed_in;
use crate::error::{AppError, answer};

pub(super) async fn load() -> Result<Notifications, AppError> {
    let (state, user) = signed_in().await?;
    let (list, unread) = answer(state.store.notifications(&user.id).await)?;
    Ok(Notifications { list, unread })
}

pub(super) async fn mark_read(keys: Vec<String>) -> Result<(), AppError> {
    let (state, user) = signed_in().await?;
    let keys = (!keys.is_empty()).then_some(keys);
    answer(state.store.mark_notifications_read(&user.id, keys).await)
}

pub(super) async fn digest() -> Result<super::api::Digest, AppError> {
    let (state, user) = signed_in().await?;
    let me = answer(state.store.user(&user.id).await)?;
    Ok(super::api::Digest { email: me.email.unwrap_or_default(), on: me.digest })
}

pub(super) async fn save_digest(email: String, on: bool) -> Result<super::api::Digest, AppError> {
    let (state, user) = signed_in().await?;
    let me = answer(state.store.save_own_mail(&user.id, &email, on).await)?;
    Ok(super::api::Digest { email: me.email.unwrap_or_default(), on: me.digest })
}

pub(super) async fn run_now() -> Result<usize, AppError> {
    let (state, user) = signed_in().await?;
    let run = answer(state.store.run_reminders_now(&user.viewer(), store::today()).await)?;
    let rules = answer(state.store.run_rules_now(&user.viewer(), store::today()).await)?;
    answer(state.store.send_digests(store::today(), false).await)?;
    Ok(run.fired + rules.fired)
}
