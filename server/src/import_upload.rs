//! `POST /api/import/files?name=<file name>`: a file for import, the request
//! body being the file as it is. It gets a limit of its own (a company's
//! export runs to megabytes, far past what any other request needs) and is
//! kept in the database; the import's server functions then name it by id,
//! so it crosses the network once, whichever app server takes the next step.

use axum::Json;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::FieldError;
use domain::policy;
use futures_util::StreamExt;
use serde::Deserialize;

use app::error::AppError;
use app::import::UploadedFile;
use app::state::AppState;

/// The query of an upload: the file's name, which tells its kind.
#[derive(Debug, Deserialize)]
pub struct UploadQuery {
    name: String,
}

/// Longest file name kept.
const MAX_NAME_CHARS: usize = 200;

/// Answers with the kept file's id, or with the error as JSON: 401 signed
/// out, 403 not allowed to import, 413 larger than `limit` bytes, 422 empty
/// or unnamed. (The general request limit does not apply to this route.)
pub async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(UploadQuery { name }): Query<UploadQuery>,
    body: Body,
    limit: usize,
) -> Response {
    let session = match app::auth::session_token(&headers) {
        Some(token) => state.store.session(&token, state.sessions.limits).await,
        None => Ok(None),
    };
    // Refused before its body is read: the connection cannot carry another
    // request after it, and the client is told so.
    let user = match session {
        Ok(Some(session)) => session.user,
        Ok(None) => return unread(refuse(AppError::SignedOut)),
        Err(_) => return unread(refuse(AppError::Internal)),
    };
    if !policy::may_import(&user.viewer()) {
        return unread(refuse(AppError::Forbidden { reason: "import.forbidden".into() }));
    }
    let bytes = match read_within(body, limit).await {
        Read::Whole(bytes) => bytes,
        Read::TooBig { whole } => {
            let mib = limit.div_ceil(1 << 20) as u32;
            let error = AppError::invalid(FieldError::new("file", "too_big").with_limit(mib));
            let answer = (StatusCode::PAYLOAD_TOO_LARGE, Json(error)).into_response();
            return if whole { answer } else { unread(answer) };
        }
        Read::BrokenOff => {
            let message = "the file broke off while it was sent; send it again".to_owned();
            return refuse(AppError::BadRequest { reason: "import.broken_off".into(), message });
        }
    };
    let name: String = name.trim().chars().take(MAX_NAME_CHARS).collect();
    if name.is_empty() {
        return refuse(AppError::invalid(FieldError::new("file", "required")));
    }
    if bytes.is_empty() {
        return refuse(AppError::invalid(FieldError::new("file", "empty")));
    }
    match state.store.save_import_file(&user.id, &name, &bytes).await {
        Ok(id) => Json(UploadedFile { id, name, size: bytes.len() as u64 }).into_response(),
        Err(error) => {
            tracing::error!(?error, "an uploaded file could not be kept");
            refuse(AppError::from(error))
        }
    }
}

/// Past this, a body too big is no longer read to its end: the connection
/// is cut, and the browser may show a network error instead of the reason.
const READ_PAST_LIMIT: usize = 256 << 20;

/// How reading a body for import ended.
enum Read {
    Whole(Vec<u8>),
    /// Past the limit; `whole`: read to its end all the same.
    TooBig {
        whole: bool,
    },
    /// The sender stopped halfway: nothing of it is kept.
    BrokenOff,
}

/// The body, if it fits in `limit` bytes. One that does not is still read
/// to its end (within a bound) without being kept: a browser still sending
/// when the answer comes shows a broken connection, not the answer.
async fn read_within(body: Body, limit: usize) -> Read {
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else { return Read::BrokenOff };
        seen += chunk.len();
        if seen <= limit {
            kept.extend_from_slice(&chunk);
        } else if seen > limit + READ_PAST_LIMIT {
            return Read::TooBig { whole: false };
        }
    }
    if seen <= limit { Read::Whole(kept) } else { Read::TooBig { whole: true } }
}

/// `answer` to a request whose body was not read to its end. The server
/// closes the connection after it; the header tells the client not to send
/// another request on it (one that did got a broken connection).
fn unread(mut answer: Response) -> Response {
    answer.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    answer
}

fn refuse(error: AppError) -> Response {
    (error.status(), Json(error)).into_response()
}
