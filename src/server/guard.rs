//! Pages for signed-in people only: a full page load of one while signed out is answered with a
//! redirect to sign in that comes back to it (server functions answer 401 themselves). Also gives
//! every request its [`RequestUser`] memo, so who is signed in is worked out once per request.

use super::auth_service::{AuthService, RequestUser};
use crate::app::pages::sign_in_error::SignInFailure;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tower_sessions::Session;

/// Paths of pages that require a signed-in person.
pub const PROTECTED_PAGES: &[&str] = &["/profile", "/settings/sign-in-experience"];

pub async fn protect_pages(
    State(auth): State<Arc<AuthService>>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let memo = RequestUser::default();
    request.extensions_mut().insert(memo.clone());
    let path = request.uri().path();
    if request.method() != Method::GET || !PROTECTED_PAGES.contains(&path) {
        return next.run(request).await;
    }
    let target = request
        .uri()
        .path_and_query()
        .map_or(path, |pq| pq.as_str())
        .to_owned();
    match auth.current_once(&session, &memo).await {
        Ok(Some(_)) => next.run(request).await,
        Ok(None) => redirect(&format!(
            "/logto/sign-in?return_to={}",
            urlencoding::encode(&target)
        )),
        Err(error) => {
            tracing::error!(%error, "cannot check the session");
            redirect(&format!(
                "/sign-in-error?reason={}",
                SignInFailure::from_auth_error(&error).code()
            ))
        }
    }
}

fn redirect(location: &str) -> Response {
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location.to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}
