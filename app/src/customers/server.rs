//! The server side of the customer functions: thin, over domain and store.

use axum::http::StatusCode;
use domain::CustomerName;
use leptos_axum::ResponseOptions;

use super::CustomerSummary;
use crate::error::AppError;
use crate::state::use_state;

const LIST_LIMIT: u32 = 200;

pub(super) async fn list() -> Result<Vec<CustomerSummary>, AppError> {
    let state = use_state()?;
    let rows = state.store.list_customers(LIST_LIMIT).await.map_err(|e| with_status(e.into()))?;
    Ok(rows.into_iter().map(summary).collect())
}

pub(super) async fn create(name: String) -> Result<CustomerSummary, AppError> {
    let name = CustomerName::parse(&name).map_err(|e| with_status(AppError::invalid(e)))?;
    let state = use_state()?;
    let row = state.store.create_customer(&name).await.map_err(|e| with_status(e.into()))?;
    tracing::info!(customer = %row.id, "customer created");
    Ok(summary(row))
}

fn summary(row: store::CustomerRow) -> CustomerSummary {
    CustomerSummary { id: row.id, name: row.name, created_at: row.created_at }
}

/// Sets the HTTP status that matches `error` and hands it back.
fn with_status(error: AppError) -> AppError {
    let status = match &error {
        AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Request { .. } => StatusCode::BAD_REQUEST,
        AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if let Some(response) = leptos::prelude::use_context::<ResponseOptions>() {
        response.set_status(status);
    }
    error
}
