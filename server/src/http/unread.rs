//! The unread rest of a refused request's body. A request refused before its body was read
//! whole (too large, a bad token, over a rate limit) would otherwise be answered and its
//! connection closed with the rest of the body still arriving: the kernel then resets the
//! connection, and the client, still sending, may never see the answer. So the rest is read
//! and dropped before the answer goes (a lingering read), within bounds, and the connection
//! stays usable for the client's next request.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::BodyExt;

/// The most of a refused body that is read: past it, or past [`READ_TIME`], the connection
/// is closed as before. Twice the largest body any route reads, so a photo just over its
/// limit is always heard refused.
const READ_MAX: usize = 2 * super::UPLOAD_LIMIT;
const READ_TIME: Duration = Duration::from_secs(10);

/// Middleware: after a 4xx, reads what is left of the request's body.
pub async fn read_after_refusal(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    // Most requests (every GET) have no body: nothing to keep hold of.
    if body.is_end_stream() {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let body = Arc::new(Mutex::new(body));
    let response = next.run(Request::from_parts(parts, Body::new(Shared(Arc::clone(&body))))).await;
    if response.status().is_client_error() {
        let rest = std::mem::take(&mut *body.lock().expect("a body's lock is never poisoned"));
        let _ = tokio::time::timeout(READ_TIME, read_and_drop(rest)).await;
    }
    response
}

async fn read_and_drop(mut body: Body) {
    let mut read = 0;
    while !body.is_end_stream() && read <= READ_MAX {
        match body.frame().await {
            Some(Ok(frame)) => read += frame.data_ref().map_or(0, Bytes::len),
            Some(Err(_)) | None => return,
        }
    }
}

/// The request's body as the handlers read it, while the middleware keeps hold of it.
struct Shared(Arc<Mutex<Body>>);

impl HttpBody for Shared {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut *self.0.lock().expect("a body's lock is never poisoned")).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.0.lock().expect("a body's lock is never poisoned").is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.lock().expect("a body's lock is never poisoned").size_hint()
    }
}
