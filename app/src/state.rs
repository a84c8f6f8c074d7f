//! What the server hands to every handler and server function.

use axum::extract::FromRef;
use leptos::prelude::*;
use store::Store;

/// Shared server state: cloned per request, never global.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Leptos' own options (site root, output name, address).
    pub leptos_options: LeptosOptions,
    /// The archive database.
    pub store: Store,
}

/// The state, as provided to server functions through context.
pub fn use_state() -> Result<AppState, crate::error::AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        crate::error::AppError::Internal
    })
}
