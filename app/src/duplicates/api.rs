//! Server functions of the duplicates queue.

use domain::mutation::FieldEdit;
use domain::views::DuplicatePairView;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;

/// The open pairs whose two archives the signed-in manager or admin sees in
/// full, most likely first.
#[server(prefix = "/api", endpoint = "duplicates/queue")]
pub async fn duplicate_queue() -> Result<Vec<DuplicatePairView>, AppError> {
    super::server::queue().await
}

/// One open pair, for the merge screen.
#[server(prefix = "/api", endpoint = "duplicates/pair")]
pub async fn duplicate_pair(key: String) -> Result<DuplicatePairView, AppError> {
    super::server::pair(key).await
}

/// Looks at every archive for likely duplicates; answers (scanned, pairs).
#[server(prefix = "/api", endpoint = "duplicates/sweep")]
pub async fn sweep_duplicates() -> Result<(u32, u32), AppError> {
    super::server::sweep().await
}

/// "Not a duplicate": the pair closes and never comes back.
#[server(prefix = "/api", endpoint = "duplicates/dismiss")]
pub async fn dismiss_pair(key: String) -> Result<(), AppError> {
    super::server::dismiss(key).await
}

/// Merges the pair into the archive `keep` (one of its two), with the
/// values chosen field by field, as one merge change.
#[server(prefix = "/api", endpoint = "duplicates/merge", input = Json)]
pub async fn merge_pair(key: String, keep: String, edits: Vec<FieldEdit>) -> Result<(), AppError> {
    super::server::merge(key, keep, edits).await
}
