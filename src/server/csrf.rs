//! Cross-site request forgery defence for every state-changing request (server functions
//! included, which have none of their own): a non-GET request must pass the shared origin policy
//! (`crate::runtime::origin`, the same rule as the provider's sign-in forms), else 403.

use crate::runtime::origin;
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
    match origin::check_headers(&origin.0, request.headers()) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            tracing::warn!(
                method = %request.method(),
                path = %request.uri().path(),
                origin = request
                    .headers()
                    .get(header::ORIGIN)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-"),
                reason = %refusal,
                "cross-site request refused"
            );
            (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response()
        }
    }
}
