//! Signed-in state as axum extractors, over the request's [`Visit`] (which [`attach`] puts in every
//! request's extensions inside the session layer, with the colour theme the person chose):
//!
//! - [`Visit`]: the use cases for this request;
//! - [`CurrentUser`]: a signed-in person, else 401; `Option<CurrentUser>`: anyone;
//! - [`Admin`]: a signed-in administrator, else 401 / 403.
//!
//! A failure is an [`AppRejection`]: the [`AppError`]'s status and its one sentence.

use crate::services::{Services, SignedIn, Visit};
use crate::ui_types::{theme_from_cookie_header, AppError, Theme};
use axum::extract::{FromRequestParts, OptionalFromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::StatusCode;
use std::sync::Arc;
use tower_sessions::Session;

/// Middleware: gives the request its [`Visit`] (after the session layer has run).
pub async fn attach(
    State(services): State<Arc<Services>>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let theme = request
        .headers()
        .get(http::header::COOKIE)
        .and_then(|value| value.to_str().ok())
        .and_then(theme_from_cookie_header)
        .and_then(Theme::chosen);
    request
        .extensions_mut()
        .insert(Visit::new(services, session).with_ui_theme(theme));
    next.run(request).await
}

/// An extractor's refusal, answered as the error's status and message.
#[derive(Debug)]
pub struct AppRejection(pub AppError);

impl IntoResponse for AppRejection {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            [(http::header::CACHE_CONTROL, "no-store")],
            self.0.message(),
        )
            .into_response()
    }
}

/// This request's [`Visit`], from its extensions.
pub fn visit_of(parts: &Parts) -> Result<Visit, AppError> {
    parts.extensions.get::<Visit>().cloned().ok_or_else(|| {
        tracing::error!("a request reached the app without its services");
        AppError::Internal
    })
}

impl<S: Send + Sync> FromRequestParts<S> for Visit {
    type Rejection = AppRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        visit_of(parts).map_err(AppRejection)
    }
}

/// A signed-in person.
#[derive(Clone, Debug)]
pub struct CurrentUser(pub SignedIn);

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let visit = visit_of(parts).map_err(AppRejection)?;
        visit.signed_in().await.map(Self).map_err(AppRejection)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for CurrentUser {
    type Rejection = AppRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let visit = visit_of(parts).map_err(AppRejection)?;
        visit
            .person()
            .await
            .map(|person| person.map(Self))
            .map_err(AppRejection)
    }
}

/// A signed-in administrator.
#[derive(Clone, Debug)]
pub struct Admin(pub SignedIn);

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = AppRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let visit = visit_of(parts).map_err(AppRejection)?;
        visit.admin().await.map(Self).map_err(AppRejection)
    }
}
