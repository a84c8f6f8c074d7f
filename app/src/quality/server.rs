//! The server side of the data-quality page: the store decides who may read it.

use domain::quality::QualityReport;

use crate::auth::signed_in;
use crate::error::{AppError, answer};

pub(super) async fn report() -> Result<QualityReport, AppError> {
    let (state, user) = signed_in().await?;
    answer(state.store.data_quality(&user.viewer(), store::today()).await)
}
