//! The server side of sessions: the cookie, the lookup, sign-in and out.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::http::HeaderValue;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use store::User;

use super::limiter::{self, Reservation};
use crate::error::{AppError, answer};
use crate::state::{AppState, use_state};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "crm_session";

/// The session token a request presents in its cookie, if any.
pub fn session_token(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

fn presented_token() -> Option<String> {
    use_context::<Parts>().and_then(|parts| session_token(&parts.headers))
}

fn set_cookie(state: &AppState, token: &str, max_age_secs: i64) {
    let secure = if state.sessions.secure { "; Secure" } else { "" };
    let cookie =
        format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}");
    if let (Some(response), Ok(value)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(&cookie)) {
        response.append_header(SET_COOKIE, value);
    }
}

fn cookie_age_secs(expires_at: i64) -> i64 {
    ((expires_at - store::now_millis()) / 1000).max(0)
}

/// The signed-in user, or `SignedOut` (401). Renews the cookie when the
/// session was extended.
pub async fn signed_in() -> Result<(AppState, User), AppError> {
    let state = use_state()?;
    let token = presented_token().ok_or_else(|| AppError::SignedOut.respond())?;
    let session = answer(state.store.session(&token, state.sessions.limits).await)?
        .ok_or_else(|| AppError::SignedOut.respond())?;
    if session.renewed {
        set_cookie(&state, &token, cookie_age_secs(session.expires_at));
    }
    Ok((state, session.user))
}

/// The checks run in this order so that nothing costly or unbounded happens
/// for a request that will be refused: the name's form (cheap, and nothing
/// unchecked is kept in memory or logs), then the limiter, which counts the
/// attempt before the slow hash, then the hash itself, which waits for one
/// of a few turns.
pub(super) async fn sign_in(username: String, password: String) -> Result<User, AppError> {
    let state = use_state()?;
    let account = store::parse_username(&username).map_err(|error| {
        tracing::info!(name = %bounded(&username), "sign-in with a malformed user name");
        AppError::BadRequest {
            reason: error.code,
            message: "a user name is 1 to 32 of a-z, 0-9, '.', '_' and '-'".into(),
        }
        .respond()
    })?;
    let address = client_address();
    let attempt = admit(&state, &account.0, &address).await.inspect_err(|_| {
        tracing::warn!(%account, %address, "sign-in held after repeated failures");
    })?;
    let Some(user) = answer(state.store.check_credentials(&account.0, &password).await)? else {
        tracing::info!(%account, %address, "sign-in failed");
        failed(&state, &attempt).await?;
        return Err(AppError::SignedOut.respond());
    };
    succeeded(&state, attempt).await?;
    // Whatever session this browser had (another user's, on a shared
    // device) ends here, so it cannot come back.
    if let Some(previous) = presented_token() {
        answer(state.store.delete_session(&previous).await)?;
    }
    let (token, expires_at) = answer(state.store.create_session(&user.id, state.sessions.limits).await)?;
    set_cookie(&state, &token, cookie_age_secs(expires_at));
    tracing::info!(user = %user.id, "signed in");
    Ok(user)
}

/// A user sets a new password; their sessions on other devices end. The
/// current password is a guess like a sign-in's and counts against the same
/// limits: a stolen session cookie must not be a way to try passwords.
pub(super) async fn change_password(current: String, new: String) -> Result<(), AppError> {
    let (state, user) = signed_in().await?;
    let token = presented_token().ok_or_else(|| AppError::SignedOut.respond())?;
    store::check_password(&new).map_err(|error| AppError::Invalid { errors: vec![error] }.respond())?;
    let attempt = admit(&state, &user.id.0, &client_address()).await?;
    let changed = state.store.change_own_password(&user.id, &current, &new, &token).await;
    if matches!(&changed, Err(store::StoreError::Invalid(error)) if error.code == "wrong") {
        failed(&state, &attempt).await?;
    }
    answer(changed)?;
    succeeded(&state, attempt).await?;
    let viewer = user.viewer();
    answer(state.store.record_audit(&viewer, "password_changed", None, None).await)?;
    tracing::info!(user = %user.id, "password changed");
    Ok(())
}

/// Counts an attempt at a password against the limits: this server's
/// memory first, so a burst is refused before anything is hashed, then the
/// failures every app server recorded in the database.
async fn admit(state: &AppState, account: &str, address: &str) -> Result<Reservation, AppError> {
    let too_many = |wait: Duration| AppError::TooManyAttempts { retry_after: wait.as_secs() }.respond();
    let attempt = state.limiter.reserve(account, address, Instant::now()).map_err(too_many)?;
    let now = store::now_millis();
    let keys = attempt.keys();
    let names: Vec<String> = keys.iter().map(|(key, _)| key.clone()).collect();
    let since = now - limiter::WINDOW.as_millis() as i64;
    let failures = answer(state.store.failures_since(&names, since).await)?;
    let wait = keys
        .iter()
        .zip(&failures)
        .filter_map(|((_, limit), times)| limiter::held_for(times, *limit, now))
        .max();
    match wait {
        Some(wait) => Err(too_many(wait)),
        None => Ok(attempt),
    }
}

/// The password was wrong: every server counts it from now on.
async fn failed(state: &AppState, attempt: &Reservation) -> Result<(), AppError> {
    let now = store::now_millis();
    let names: Vec<String> = attempt.keys().into_iter().map(|(key, _)| key).collect();
    answer(state.store.record_failure(&names, now, now - limiter::WINDOW.as_millis() as i64).await)
}

/// The password was right: the account's failures are forgiven everywhere.
async fn succeeded(state: &AppState, attempt: Reservation) -> Result<(), AppError> {
    let key = attempt.account_key();
    state.limiter.succeeded(attempt);
    answer(state.store.forgive_failures(&key).await)
}

/// The address the request came from, for the limiter.
fn client_address() -> String {
    use_context::<Parts>()
        .and_then(|p| p.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()))
        .unwrap_or_else(|| "unknown".into())
}

/// At most 64 characters of what someone typed, for a log line.
fn bounded(text: &str) -> String {
    text.chars().take(64).collect()
}

pub(super) async fn sign_out() -> Result<(), AppError> {
    let state = use_state()?;
    if let Some(token) = use_context::<Parts>().and_then(|parts| session_token(&parts.headers)) {
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
