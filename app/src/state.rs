//! What the server hands to every handler and server function.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::*;
use store::Store;

use crate::auth::SignInLimiter;

/// Shared server state: cloned per request, never global.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Leptos' own options (site root, output name, address).
    pub leptos_options: LeptosOptions,
    /// The archive database.
    pub store: Store,
    /// How sessions are kept.
    pub sessions: SessionSettings,
    /// Recent sign-in attempts, per account and per address.
    pub limiter: Arc<SignInLimiter>,
    /// Whether an SMTP server is configured (without one, mail waits in the outbox).
    pub mail_configured: bool,
}

/// How long sessions last and how their cookie is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSettings {
    /// Idle and absolute lifetimes.
    pub limits: store::SessionLimits,
    /// Send the cookie only over TLS.
    pub secure: bool,
}

/// The state, as provided to server functions through context.
pub fn use_state() -> Result<AppState, crate::error::AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        crate::error::AppError::Internal
    })
}
