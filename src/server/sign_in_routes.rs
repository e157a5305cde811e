//! The `@logto/express`-style routes: `GET /logto/sign-in` and `/logto/sign-up` (optional
//! `?return_to=`) redirect to the provider; `GET /logto/sign-in-callback` finishes the sign-in and
//! answers 303 to a clean URL — the return-to path, or the sign-in error page with a reason code
//! (never the provider's text). Thin adapters over the request's [`Visit`].

use crate::auth::{AuthError, CallbackParams};
use crate::services::failure::sign_in_failure;
use crate::services::Visit;
use axum::extract::Query;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/logto/sign-in", get(sign_in))
        .route("/logto/sign-up", get(sign_up))
        .route("/logto/sign-in-callback", get(callback))
}

#[derive(Deserialize)]
struct StartQuery {
    return_to: Option<String>,
}

async fn sign_in(visit: Visit, Query(query): Query<StartQuery>) -> Response {
    start(&visit, query.return_to.as_deref(), false).await
}

async fn sign_up(visit: Visit, Query(query): Query<StartQuery>) -> Response {
    start(&visit, query.return_to.as_deref(), true).await
}

async fn start(visit: &Visit, return_to: Option<&str>, register: bool) -> Response {
    match visit.begin_sign_in(return_to, register).await {
        Ok(url) => see_other(url.as_str()),
        Err(error) => failed(&error),
    }
}

async fn callback(visit: Visit, Query(params): Query<CallbackParams>) -> Response {
    match visit.finish_sign_in(&params).await {
        Ok(return_to) => see_other(&return_to),
        Err(error) => failed(&error),
    }
}

fn failed(error: &AuthError) -> Response {
    let failure = sign_in_failure(error);
    tracing::warn!(reason = failure.code(), %error, "sign-in failed");
    see_other(&format!("/sign-in-error?reason={}", failure.code()))
}

/// 303 without a referrer, so no code or state leaks onwards.
fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location.to_owned()),
            (header::REFERRER_POLICY, "no-referrer".to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}
