//! `GET /api/sign-in-exp` and `PATCH /api/sign-in-exp` (partial body; see
//! [`crate::idp::sign_in_experience`] for the rules). A rejected PATCH stores nothing.

use super::error::ApiError;
use super::json_body;
use crate::idp::sign_in_experience::{self, SignInExperience};
use crate::idp::Provider;
use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use serde_json::Value;

pub async fn get(State(provider): State<Provider>) -> Result<Json<Value>, ApiError> {
    let experience = sign_in_experience::load(provider.store.as_ref()).await?;
    Ok(Json(experience.to_json()))
}

pub async fn patch(State(provider): State<Provider>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let patch = json_body(&body)?;
    let _guard = provider.sign_in_experience_writes.lock().await;
    let current = sign_in_experience::load(provider.store.as_ref()).await?;
    let next = current.patched(&patch)?;
    if SignInExperience::patch_changes_rules(&patch) {
        next.validate(provider.connectors.has_email_connector().await?)?;
    }
    sign_in_experience::save(provider.store.as_ref(), &next).await?;
    tracing::info!("sign-in experience updated");
    Ok(Json(next.to_json()))
}
