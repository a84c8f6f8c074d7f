//! The server side of administration: admins only.

use domain::FieldError;
use domain::custom_field::{CustomField, CustomFields};
use domain::policy::Role;
use domain::views::User;
use store::NewUser;

use crate::auth::signed_in;
use crate::error::{AppError, answer};
use crate::state::AppState;

async fn admin() -> Result<(AppState, User), AppError> {
    let (state, user) = signed_in().await?;
    if user.role != Role::Admin {
        return Err(AppError::Forbidden { reason: "admin_only".into() }.respond());
    }
    Ok((state, user))
}

pub(super) async fn custom_fields() -> Result<CustomFields, AppError> {
    let (state, _) = admin().await?;
    answer(state.store.custom_fields().await)
}

pub(super) async fn save_custom_fields(fields: Vec<CustomField>) -> Result<CustomFields, AppError> {
    let (state, admin) = admin().await?;
    answer(state.store.save_custom_fields(&admin.viewer(), fields).await)
}

pub(super) async fn list() -> Result<Vec<User>, AppError> {
    let (state, _) = admin().await?;
    answer(state.store.list_users().await)
}

pub(super) async fn create(
    username: String,
    display_name: String,
    role: String,
    team: String,
    password: String,
) -> Result<User, AppError> {
    let (state, admin) = admin().await?;
    let role =
        Role::parse(&role).ok_or_else(|| AppError::invalid(FieldError::new("role", "unknown")).respond())?;
    let team = Some(team).filter(|t| !t.trim().is_empty());
    let new = NewUser { username, display_name, role, team, password: password.into() };
    let user = answer(state.store.create_user(&new).await)?;
    tracing::info!(admin = %admin.id, user = %user.id, role = role.as_str(), "user created");
    let detail = serde_json::json!({ "user": user.id.0, "role": role.as_str(), "team": user.team });
    audit(&state, &admin, "user_created", detail).await?;
    Ok(user)
}

pub(super) async fn set_disabled(username: String, disabled: bool) -> Result<User, AppError> {
    let (state, admin) = admin().await?;
    let id = store::parse_username(&username).map_err(|e| AppError::invalid(e).respond())?;
    if id == admin.id && disabled {
        return Err(AppError::Forbidden { reason: "self_disable".into() }.respond());
    }
    let user = answer(state.store.set_user_disabled(&id, disabled).await)?;
    tracing::info!(admin = %admin.id, user = %user.id, disabled, "user access changed");
    let action = if disabled { "user_disabled" } else { "user_enabled" };
    audit(&state, &admin, action, serde_json::json!({ "user": user.id.0 })).await?;
    Ok(user)
}

pub(super) async fn set_role_and_team(
    username: String,
    role: String,
    team: String,
) -> Result<User, AppError> {
    let (state, admin) = admin().await?;
    let id = store::parse_username(&username).map_err(|e| AppError::invalid(e).respond())?;
    let role =
        Role::parse(&role).ok_or_else(|| AppError::invalid(FieldError::new("role", "unknown")).respond())?;
    // An admin cannot take away their own right to undo it.
    if id == admin.id && role != Role::Admin {
        return Err(AppError::Forbidden { reason: "self_demote".into() }.respond());
    }
    let user = answer(state.store.set_role_and_team(&admin.id, &id, role, Some(team.as_str())).await)?;
    tracing::info!(admin = %admin.id, user = %user.id, role = role.as_str(), team = ?user.team, "role and team changed");
    Ok(user)
}

pub(super) async fn reset_password(username: String, password: String) -> Result<(), AppError> {
    let (state, admin) = admin().await?;
    let id = store::parse_username(&username).map_err(|e| AppError::invalid(e).respond())?;
    answer(state.store.set_password(&id, &password, None).await)?;
    tracing::info!(admin = %admin.id, user = %id, "password reset");
    audit(&state, &admin, "password_reset", serde_json::json!({ "user": id.0 })).await
}

/// Admin actions are audit entries like any change to the archive.
async fn audit(
    state: &AppState,
    admin: &User,
    action: &str,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    answer(state.store.record_audit(&admin.viewer(), action, None, Some(detail.to_string())).await)
}
