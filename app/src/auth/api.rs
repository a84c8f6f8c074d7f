//! Server functions for sessions.

use leptos::prelude::*;

use domain::views::User;

use crate::error::AppError;

/// Checks a name and password and starts a session (an `HttpOnly` cookie).
#[server(prefix = "/api", endpoint = "auth/sign_in")]
pub async fn sign_in(username: String, password: String) -> Result<User, AppError> {
    super::server::sign_in(username, password).await
}

/// Ends the session.
#[server(prefix = "/api", endpoint = "auth/sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    super::server::sign_out().await
}

/// Sets a new password after checking the current one; the user's other
/// sessions end.
#[server(prefix = "/api", endpoint = "auth/change_password")]
pub async fn change_password(current: String, new: String) -> Result<(), AppError> {
    super::server::change_password(current, new).await
}

/// Who is signed in, if anyone.
#[server(prefix = "/api", endpoint = "auth/me")]
pub async fn me() -> Result<Option<User>, AppError> {
    super::server::me().await
}
