//! Pages are rendered as a stream. When a client hangs up half way (a rep
//! closes the tab, a phone loses signal), dropping the stream would tear the
//! page's reactive state down while parts of the render still run on other
//! threads, and those parts panic on values that are gone. Instead the rest
//! of the page is rendered to nowhere, in the background, and the render
//! ends the way it always does.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::Response;
use http_body::{Body as _, Frame, SizeHint};

/// How long a page nobody waits for may go on rendering.
const FINISH_WITHIN: Duration = Duration::from_secs(30);

/// `response` with a body that is read to its end even if the client is gone.
pub fn finish_even_if_abandoned(response: Response<Body>) -> Response<Body> {
    response.map(|body| Body::new(FinishOnHangUp { rest: Some(body) }))
}

struct FinishOnHangUp {
    rest: Option<Body>,
}

impl http_body::Body for FinishOnHangUp {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let Some(rest) = self.rest.as_mut() else { return Poll::Ready(None) };
        let polled = Pin::new(rest).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) {
            self.rest = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.rest.as_ref().is_none_or(http_body::Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.rest.as_ref().map(http_body::Body::size_hint).unwrap_or_default()
    }
}

impl Drop for FinishOnHangUp {
    fn drop(&mut self) {
        let Some(mut rest) = self.rest.take() else { return };
        if rest.is_end_stream() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        runtime.spawn(async move {
            let drain = async {
                while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut rest).poll_frame(cx)).await {
                    if frame.is_err() {
                        break;
                    }
                }
            };
            if tokio::time::timeout(FINISH_WITHIN, drain).await.is_err() {
                tracing::warn!("a page abandoned by its client was still rendering after 30 s");
            }
        });
    }
}
