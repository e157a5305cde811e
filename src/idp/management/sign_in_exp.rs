//! `GET /api/sign-in-exp` and `PATCH /api/sign-in-exp` (partial body; see
//! [`crate::idp::sign_in_experience`] for the rules). A rejected PATCH stores nothing. And the
//! public `GET /api/.well-known/sign-in-exp` (no token), as Logto's.

use super::error::ApiError;
use super::json_body;
use crate::idp::sign_in_experience::{self, PatchError};
use crate::idp::Provider;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

pub async fn get(State(provider): State<Provider>) -> Result<Json<Value>, ApiError> {
    let experience = sign_in_experience::load(provider.store.as_ref()).await?;
    Ok(Json(experience.to_json()))
}

/// `GET /api/.well-known/sign-in-exp`: the document, with Logto's computed connector lists
/// (none here: no social or SSO connectors, no password reset).
pub async fn public(State(provider): State<Provider>) -> Result<Response, ApiError> {
    let experience = sign_in_experience::load(provider.store.as_ref()).await?;
    let mut document = experience.to_json();
    if let Some(object) = document.as_object_mut() {
        object.insert("socialConnectors".to_owned(), json!([]));
        object.insert("ssoConnectors".to_owned(), json!([]));
        object.insert(
            "forgotPassword".to_owned(),
            json!({"email": false, "phone": false}),
        );
    }
    let mut response = Json(document).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

pub async fn patch(State(provider): State<Provider>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let patch = json_body(&body)?;
    let email_connector = provider.connectors.has_email_connector().await?;
    let next = sign_in_experience::patch(provider.store.as_ref(), &patch, email_connector).await?;
    tracing::info!("sign-in experience updated");
    Ok(Json(next.to_json()))
}

impl From<PatchError> for ApiError {
    fn from(error: PatchError) -> Self {
        match error {
            PatchError::Load(error) => error.into(),
            PatchError::Rule(error) => error.into(),
        }
    }
}
