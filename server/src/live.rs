//! Live updates: a signed-in device keeps `/api/sync/live` open as a stream
//! of server-sent events and hears "changed" whenever a commit touched an
//! archive it sees (the policy's `is_told`, the same rule as pull). The
//! event carries only the version: the device then pulls, so every check
//! stays where it is. Polling every 30 s remains the fallback.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use domain::policy::{self, Viewer};
use futures_util::StreamExt;
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;

use app::state::AppState;

/// A stream ends after this long and the browser opens it again, so that a
/// session that ended meanwhile stops hearing within minutes.
const STREAM_LIFETIME: Duration = Duration::from_secs(300);
/// How soon the browser comes back after a stream ends (the `retry` field).
const RECONNECT: Duration = Duration::from_secs(2);

/// `GET /api/sync/live`: 401 without a session, else the event stream.
pub async fn live(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = match app::auth::session_token(&headers) {
        Some(token) => state.store.session(&token, state.sessions.limits).await,
        None => Ok(None),
    };
    let user = match session {
        Ok(Some(session)) => session.user,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    let changes = told(user.viewer(), state.store.live_changes());
    let first = Event::default().event("ready").retry(RECONNECT).data("");
    let events = stream::iter([Ok::<_, Infallible>(first)]).chain(changes);
    let events = events.take_until(tokio::time::sleep(STREAM_LIFETIME));
    Sse::new(events).keep_alive(KeepAlive::default()).into_response()
}

/// The "changed" events of `changes` that `viewer` is told of. A listener
/// that fell behind is told once that something changed.
fn told(
    viewer: Viewer,
    changes: tokio::sync::broadcast::Receiver<std::sync::Arc<store::Notice>>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold((viewer, changes), |(viewer, mut changes)| async move {
        loop {
            let version = match changes.recv().await {
                Ok(notice) if notice.audiences.iter().any(|a| policy::is_told(&viewer, a)) => {
                    notice.version.to_string()
                }
                Ok(_) => continue,
                Err(RecvError::Lagged(_)) => "lagged".to_owned(),
                Err(RecvError::Closed) => return None,
            };
            let event = Event::default().event("changed").data(version);
            return Some((Ok(event), (viewer, changes)));
        }
    })
}
