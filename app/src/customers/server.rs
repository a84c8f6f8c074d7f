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
    let rows = state.store.list_customers(LIST_LIMIT).await.map_err(respond_with_status)?;
    Ok(rows.into_iter().map(summary).collect())
}

pub(super) async fn create(name: String) -> Result<CustomerSummary, AppError> {
    let name = CustomerName::parse(&name).map_err(|e| respond_with_status(store::StoreError::Invalid(e)))?;
    let state = use_state()?;
    let row = state.store.create_customer(&name).await.map_err(respond_with_status)?;
    tracing::info!(customer = %row.id, "customer created");
    Ok(summary(row))
}

fn summary(row: store::CustomerRow) -> CustomerSummary {
    CustomerSummary { id: row.id, name: row.name, created_at: row.created_at }
}

/// Turns a store error into the wire error and sets a matching HTTP status.
fn respond_with_status(error: store::StoreError) -> AppError {
    let error = AppError::from(error);
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
