//! The server side of sync: the signed-in user, then the store.

use domain::Mutation;
use domain::ids::ClientId;
use domain::policy::{self, Shown, Sight};
use domain::sync::{PullPage, Pulled, PushReply};

use crate::auth::signed_in;
use crate::error::{AppError, answer};

/// The default pull page.
const PAGE: u32 = 500;
/// How much of a refused push the log keeps: enough to see what it was,
/// never a client's whole 2 MB body.
const LOGGED_BODY_CHARS: usize = 500;

pub(super) async fn push(client: ClientId, mutations: Vec<Mutation>) -> Result<PushReply, AppError> {
    let (state, user) = signed_in().await?;
    let reply = match state.store.push(&user.viewer(), client, &mutations, store::today()).await {
        Ok(reply) => reply,
        Err(error) => {
            let body: String = serde_json::to_string(&mutations)
                .unwrap_or_default()
                .chars()
                .take(LOGGED_BODY_CHARS)
                .collect();
            tracing::info!(user = %user.id, %client, %error, %body, "push refused");
            return Err(AppError::from(error).respond());
        }
    };
    tracing::info!(user = %user.id, %client, mutations = mutations.len(), last_seq = reply.last_seq, "push");
    check_duplicates(&state, &mutations);
    Ok(reply)
}

pub(super) async fn pull(cookie: Option<String>, limit: Option<u32>) -> Result<PullPage, AppError> {
    let (state, user) = signed_in().await?;
    let viewer = user.viewer();
    let page = answer(state.store.pull(&viewer, cookie.as_deref(), limit.unwrap_or(PAGE)).await)?;
    // Only for the users page: a failure here must not fail the pull.
    if let Err(error) = state.store.note_sync(&user).await {
        tracing::warn!(user = %user.id, %error, "could not note the sync time");
    }
    // Sensitive fields of archives kept by others, seen in full by their
    // manager or an admin, are logged: one entry per page.
    let seen: Vec<String> = page
        .changes
        .iter()
        .filter_map(|c| match c {
            Pulled::Put { customer, masked, .. } => {
                let sight = if *masked { Sight::Masked } else { Sight::Full };
                policy::view_is_audited(&viewer, customer, sight, Shown::Archive)
                    .then(|| customer.id.to_string())
            }
            _ => None,
        })
        .collect();
    if !seen.is_empty() {
        let detail = serde_json::to_string(&seen).unwrap_or_default();
        answer(state.store.record_audit(&viewer, "view_sensitive", None, Some(detail)).await)?;
    }
    Ok(page)
}

/// Looks, in the background, for duplicates of the archives a push created
/// or whose identifying facts it changed: the answer does not wait for it.
pub(crate) fn check_duplicates(state: &crate::state::AppState, mutations: &[Mutation]) {
    use domain::Change;
    use domain::archive::FieldValue;
    let identifying = |change: &Change| match change {
        Change::Create { .. } => true,
        Change::SetFields { edits } => edits.iter().any(|e| {
            matches!(
                e.value,
                FieldValue::Name(_) | FieldValue::Phones(_) | FieldValue::Emails(_) | FieldValue::Address(_)
            )
        }),
        _ => false,
    };
    let mut ids: Vec<_> = mutations.iter().filter(|m| identifying(&m.change)).map(|m| m.customer).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return;
    }
    let store = state.store.clone();
    tokio::spawn(async move {
        match store.check_duplicates_of(&ids).await {
            Ok(0) => {}
            Ok(pairs) => tracing::info!(pairs, "likely duplicates queued"),
            Err(error) => tracing::warn!(%error, "looking for duplicates after a push failed"),
        }
    });
}
