//! The server side of administration: admins only.

use domain::FieldError;
use domain::ids::UserId;
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
    let new = NewUser { username, display_name, role, team, password };
    let user = answer(state.store.create_user(&new).await)?;
    tracing::info!(admin = %admin.id, user = %user.id, role = role.as_str(), "user created");
    Ok(user)
}

pub(super) async fn set_disabled(username: String, disabled: bool) -> Result<User, AppError> {
    let (state, admin) = admin().await?;
    let id = UserId(username.trim().to_lowercase());
    if id == admin.id && disabled {
        return Err(AppError::Forbidden { reason: "self_disable".into() }.respond());
    }
    let user = answer(state.store.set_user_disabled(&id, disabled).await)?;
    tracing::info!(admin = %admin.id, user = %user.id, disabled, "user access changed");
    Ok(user)
}
