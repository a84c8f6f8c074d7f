//! The server side of the review rules: the store decides who may change them.

use domain::review::ReviewRules;

use crate::auth::signed_in;
use crate::error::{AppError, answer};

pub(super) async fn load() -> Result<ReviewRules, AppError> {
    let (state, _) = signed_in().await?;
    answer(state.store.review_rules().await)
}

pub(super) async fn save(rules: ReviewRules) -> Result<ReviewRules, AppError> {
    let (state, user) = signed_in().await?;
    answer(state.store.save_review_rules(&user.viewer(), &rules).await)
}
