//! `push` and `pull`. JSON in both directions: mutations are nested data.

use domain::Mutation;
use domain::ids::ClientId;
use domain::sync::{PullPage, PushReply};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;

/// Applies a batch of this client's mutations in order; answers one result
/// per mutation. Sending the same batch again changes nothing.
#[server(prefix = "/api", endpoint = "sync/push", input = Json)]
pub async fn push(client: ClientId, mutations: Vec<Mutation>) -> Result<PushReply, AppError> {
    super::server::push(client, mutations).await
}

/// What changed since `cookie` (none: everything), a page at a time.
#[server(prefix = "/api", endpoint = "sync/pull", input = Json)]
pub async fn pull(cookie: Option<String>, limit: Option<u32>) -> Result<PullPage, AppError> {
    super::server::pull(cookie, limit).await
}
