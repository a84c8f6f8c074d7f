//! Server functions for a keeper's notifications.

use domain::reminder::Notification;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The newest notifications of the signed-in user, and how many are unread.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notifications {
    /// Newest first.
    pub list: Vec<Notification>,
    /// How many are unread, of all of them.
    pub unread: u64,
}

/// The signed-in user's notifications.
#[server(prefix = "/api", endpoint = "notifications")]
pub async fn load_notifications() -> Result<Notifications, AppError> {
    super::server::load().await
}

/// Marks the signed-in user's notifications named by `keys` read, or all
/// of them when `keys` is empty.
#[server(prefix = "/api", endpoint = "notifications/read", input = Json)]
pub async fn mark_notifications_read(keys: Vec<String>) -> Result<(), AppError> {
    super::server::mark_read(keys).await
}

/// The signed-in user's own address and whether they get the morning digest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    /// Their address ("" when none).
    pub email: String,
    /// The morning digest by email.
    pub on: bool,
}

/// The signed-in user's digest setting.
#[server(prefix = "/api", endpoint = "notifications/digest")]
pub async fn load_digest() -> Result<Digest, AppError> {
    super::server::digest().await
}

/// Sets the signed-in user's address and digest; answers them as saved.
#[server(prefix = "/api", endpoint = "notifications/digest/save")]
pub async fn save_digest(email: String, on: bool) -> Result<Digest, AppError> {
    super::server::save_digest(email, on).await
}

/// Fires today's reminders to every keeper now (admins): what the morning
/// run does, each occasion still once. Answers how many fired.
#[server(prefix = "/api", endpoint = "notifications/run")]
pub async fn run_reminders_now() -> Result<usize, AppError> {
    super::server::run_now().await
}
