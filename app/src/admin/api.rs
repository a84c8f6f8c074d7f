//! Server functions for admins.

use domain::custom_field::{CustomField, CustomFields};
use domain::views::User;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;

/// Every user.
#[server(prefix = "/api", endpoint = "admin/users")]
pub async fn list_users() -> Result<Vec<User>, AppError> {
    super::server::list().await
}

/// Creates a user with an initial password.
#[server(prefix = "/api", endpoint = "admin/users/create")]
pub async fn create_user(
    username: String,
    display_name: String,
    role: String,
    team: String,
    password: String,
) -> Result<User, AppError> {
    super::server::create(username, display_name, role, team, password).await
}

/// Disables a user (their sessions end) or enables them again.
#[server(prefix = "/api", endpoint = "admin/users/disable")]
pub async fn set_user_disabled(username: String, disabled: bool) -> Result<User, AppError> {
    super::server::set_disabled(username, disabled).await
}

/// Gives a user another role or team. Archives they keep follow them to
/// the new team; their devices start over at the next sync when what they
/// may see changed.
#[server(prefix = "/api", endpoint = "admin/users/role_team")]
pub async fn set_role_and_team(username: String, role: String, team: String) -> Result<User, AppError> {
    super::server::set_role_and_team(username, role, team).await
}

/// Sets a new password for a user; every session of theirs ends.
#[server(prefix = "/api", endpoint = "admin/users/reset_password")]
pub async fn reset_password(username: String, password: String) -> Result<(), AppError> {
    super::server::reset_password(username, password).await
}

/// The custom field definitions, for the admin page that edits them
/// (devices get them with their pull).
#[server(prefix = "/api", endpoint = "admin/fields")]
pub async fn list_custom_fields() -> Result<CustomFields, AppError> {
    super::server::custom_fields().await
}

/// Replaces the custom field definitions. Nothing defined before may go
/// (retire it instead) and no kind may change, so no stored value is lost.
#[server(prefix = "/api", endpoint = "admin/fields/save", input = Json)]
pub async fn save_custom_fields(fields: Vec<CustomField>) -> Result<CustomFields, AppError> {
    super::server::save_custom_fields(fields).await
}
