//! `GET /healthz`: is the server up, and can it reach its database?

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use store::Store;

#[derive(Serialize)]
pub(crate) struct HealthReport {
    status: &'static str,
    database: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema_version: Option<u32>,
    version: &'static str,
}

pub(crate) async fn healthz(State(store): State<Store>) -> (StatusCode, Json<HealthReport>) {
    let version = env!("CARGO_PKG_VERSION");
    match store.health().await {
        Ok(health) => (
            StatusCode::OK,
            Json(HealthReport {
                status: "ok",
                database: "ok",
                schema_version: Some(health.schema_version),
                version,
            }),
        ),
        Err(error) => {
            tracing::warn!(%error, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(HealthReport {
                    status: "degraded",
                    database: "unavailable",
                    schema_version: None,
                    version,
                }),
            )
        }
    }
}
