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

/// Fires today's reminders to every keeper now (admins): what the morning
/// run does, each occasion still once. Answers how many fired.
#[server(prefix = "/api", endpoint = "notifications/run")]
pub async fn run_reminders_now() -> Result<usize, AppError> {
    super::server::run_now().await
}
