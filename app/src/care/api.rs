//! Server functions for care settings and the outbox; admins only.

use domain::care::CareSettings;
use domain::outbox::OutboxView;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The care settings and the outbox, for the admin's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareView {
    /// How care messages are sent.
    pub settings: CareSettings,
    /// What waits, what went, what needs a person.
    pub outbox: OutboxView,
    /// Whether an SMTP server is configured: without one, mail waits.
    pub mail_configured: bool,
}

/// The care settings and the outbox.
#[server(prefix = "/api", endpoint = "care")]
pub async fn load_care() -> Result<CareView, AppError> {
    super::server::load().await
}

/// Replaces the care settings; answers them as saved.
#[server(prefix = "/api", endpoint = "care/save", input = Json)]
pub async fn save_care_settings(settings: CareSettings) -> Result<CareSettings, AppError> {
    super::server::save(settings).await
}

/// Queues a failed or held message again, after a person looked at it.
#[server(prefix = "/api", endpoint = "care/retry")]
pub async fn retry_mail(key: String) -> Result<(), AppError> {
    super::server::retry(key).await
}
