//! Cross-site request forgery defence for every state-changing request (server functions
//! included, which have none of their own): a non-GET request is accepted only when its `Origin`
//! is the app's own, or, without `Origin`, when `Sec-Fetch-Site` says it came from this origin.
//! Requests with neither header are refused.

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The app's origin, e.g. `http://localhost:3000`.
#[derive(Clone)]
pub struct AppOrigin(pub Arc<str>);

pub async fn guard(State(origin): State<AppOrigin>, request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let request_origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let allowed = match (request_origin, fetch_site) {
        (_, Some("cross-site" | "same-site")) => false,
        (Some(sent), _) => sent == &*origin.0,
        (None, Some("same-origin")) => true,
        (None, _) => false,
    };
    if allowed {
        next.run(request).await
    } else {
        tracing::warn!(
            method = %request.method(),
            path = %request.uri().path(),
            origin = request_origin.unwrap_or("-"),
            "cross-site request refused"
        );
        (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response()
    }
}
