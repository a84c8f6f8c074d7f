//! The server side of sessions: the cookie, the lookup, sign-in and out.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::ConnectInfo;
use axum::http::HeaderValue;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use store::User;

use crate::error::{AppError, answer};
use crate::state::{AppState, use_state};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "crm_session";

fn token_from(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

fn set_cookie(state: &AppState, token: &str, max_age_secs: i64) {
    let secure = if state.sessions.secure { "; Secure" } else { "" };
    let cookie =
        format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}");
    if let (Some(response), Ok(value)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(&cookie)) {
        response.append_header(SET_COOKIE, value);
    }
}

/// The signed-in user, or `SignedOut` (401). Renews the cookie when the
/// session was extended.
pub async fn signed_in() -> Result<(AppState, User), AppError> {
    let state = use_state()?;
    let token =
        use_context::<Parts>().as_ref().and_then(token_from).ok_or_else(|| AppError::SignedOut.respond())?;
    let session = answer(state.store.session(&token, state.sessions.ttl_ms).await)?
        .ok_or_else(|| AppError::SignedOut.respond())?;
    if session.renewed {
        set_cookie(&state, &token, state.sessions.ttl_ms / 1000);
    }
    Ok((state, session.user))
}

pub(super) async fn sign_in(username: String, password: String) -> Result<User, AppError> {
    let state = use_state()?;
    let account = username.trim().to_lowercase();
    let address = use_context::<Parts>()
        .and_then(|p| p.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()))
        .unwrap_or_else(|| "unknown".into());
    if let Err(wait) = state.limiter.check(&account, &address, Instant::now()) {
        tracing::warn!(%account, %address, "sign-in held after repeated failures");
        return Err(AppError::TooManyAttempts { retry_after: wait.as_secs() }.respond());
    }
    let Some(user) = answer(state.store.check_credentials(&username, &password).await)? else {
        state.limiter.failed(&account, &address, Instant::now());
        tracing::info!(%account, %address, "sign-in failed");
        return Err(AppError::SignedOut.respond());
    };
    state.limiter.succeeded(&account);
    let (token, _) = answer(state.store.create_session(&user.id, state.sessions.ttl_ms).await)?;
    set_cookie(&state, &token, state.sessions.ttl_ms / 1000);
    tracing::info!(user = %user.id, "signed in");
    Ok(user)
}

pub(super) async fn sign_out() -> Result<(), AppError> {
    let state = use_state()?;
    if let Some(token) = use_context::<Parts>().as_ref().and_then(token_from) {
        answer(state.store.delete_session(&token).await)?;
    }
    set_cookie(&state, "", 0);
    Ok(())
}

pub(super) async fn me() -> Result<Option<User>, AppError> {
    match signed_in().await {
        Ok((_, user)) => Ok(Some(user)),
        Err(AppError::SignedOut) => {
            // Not an error for this question: answer 200 with nobody.
            if let Some(response) = use_context::<ResponseOptions>() {
                response.set_status(axum::http::StatusCode::OK);
            }
            Ok(None)
        }
        Err(error) => Err(error),
    }
}
