//! The server side of care: the store decides who may see and change it.

use domain::care::CareSettings;

use super::api::CareView;
use crate::auth::signed_in;
use crate::error::{AppError, answer};

pub(super) async fn load() -> Result<CareView, AppError> {
    let (state, user) = signed_in().await?;
    let outbox = answer(state.store.outbox(&user.viewer()).await)?;
    let settings = answer(state.store.care_settings().await)?;
    Ok(CareView { settings, outbox, mail_configured: state.mail_configured })
}

pub(super) async fn save(settings: CareSettings) -> Result<CareSettings, AppError> {
    let (state, user) = signed_in().await?;
    answer(state.store.save_care_settings(&user.viewer(), &settings).await)
}

pub(super) async fn retry(key: String) -> Result<(), AppError> {
    let (state, user) = signed_in().await?;
    answer(state.store.retry_mail(&user.viewer(), &key).await)
}
