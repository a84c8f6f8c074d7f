//! `GET /api/customers/export?format=xlsx|csv|csv_gbk&stage=…`: the customer
//! list's export as a file download. The query carries the list's filter
//! (text, stage, category, tag, city, custom); the file holds what it
//! selects among the archives the user may see, masked as they see them.
//! A plain link downloads it, so the browser streams it to disk as it comes.

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use domain::export::ExportFormat;
use domain::portfolio::Filter;
use futures_util::{StreamExt, stream};
use serde::Deserialize;

use app::customers::CustomerExport;
use app::error::AppError;
use app::state::AppState;

/// The query of an export: the format and the list's filter, every part
/// optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExportQuery {
    format: Option<String>,
    text: String,
    stage: String,
    category: String,
    tag: String,
    city: String,
    custom: String,
}

/// Answers with the file, or with the error as JSON (401 signed out, 400 an
/// unknown format) before any byte of it.
pub async fn customers(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Query<ExportQuery>,
) -> Response {
    let Query(ExportQuery { format, text, stage, category, tag, city, custom }) = query;
    let filter = Filter { text, stage, category, tag, city, custom };
    let format = match format.as_deref().map(ExportFormat::parse) {
        None => ExportFormat::Xlsx,
        Some(Some(format)) => format,
        Some(None) => {
            let reason = "export.format".to_owned();
            let message = "format is one of xlsx, csv, csv_gbk".to_owned();
            return refuse(AppError::BadRequest { reason, message });
        }
    };
    let session = match app::auth::session_token(&headers) {
        Some(token) => state.store.session(&token, state.sessions.limits).await,
        None => Ok(None),
    };
    let user = match session {
        Ok(Some(session)) => session.user,
        Ok(None) => return refuse(AppError::SignedOut),
        Err(_) => return refuse(AppError::Internal),
    };
    let export = match CustomerExport::start(state, &user, filter, format).await {
        Ok(export) => export,
        Err(error) => return refuse(error),
    };
    let chunks = stream::unfold(export, |mut export| async move {
        match export.next_chunk().await {
            Ok(Some(bytes)) => Some((Ok(bytes), export)),
            Ok(None) => None,
            // The download breaks off rather than ending as if whole.
            Err(error) => Some((Err(std::io::Error::other(error.to_string())), export)),
        }
    });
    let day = store::today();
    let name = format!("customers-{day}.{}", format.extension());
    let name_zh = format!("客户-{day}.{}", format.extension());
    let disposition = format!(
        "attachment; filename=\"{name}\"; filename*=UTF-8''{}",
        domain::export::percent_encode(&name_zh)
    );
    // Fused: the compression layer may ask again after the end.
    let mut response = Body::from_stream(chunks.fuse()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn refuse(error: AppError) -> Response {
    (error.status(), axum::Json(error)).into_response()
}
