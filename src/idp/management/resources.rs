//! API resources (Logto's `/api/resources`; the registry is [`crate::idp::resources`]):
//!
//! - `GET /api/resources` → 200, every resource with its scopes, the built-in Management API
//!   first: `[{"tenantId":"default","id":"management-api","name":"Logto Management API",
//!   "indicator":"https://default.logto.app/api","isDefault":false,"accessTokenTtl":3600,
//!   "scopes":[{"tenantId":"default","id":"management-api-all","resourceId":"management-api",
//!   "name":"all","description":"…","createdAt":…}],"createdAt":…}, …]`.
//! - `POST /api/resources {"name", "indicator", "accessTokenTtl"?}` → 201 with the resource
//!   (`scopes: []`); 422 `resource.resource_identifier_in_use` when the indicator is registered;
//!   400 `guard.invalid_input` for a missing name or an indicator that is not an absolute URI
//!   without a fragment.
//! - `GET /api/resources/:id` → 200; unknown id → 404 `entity.not_exists_with_id`.
//! - `PATCH /api/resources/:id {"name"?, "accessTokenTtl"?}` → 200 (the indicator never
//!   changes); the Management API → 400 `resource.cannot_modify_management_api`.
//! - `DELETE /api/resources/:id` → 204; the Management API → 400
//!   `resource.cannot_delete_management_api`.
//! - `GET /api/resources/:id/scopes` → 200, its scopes.
//! - `POST /api/resources/:id/scopes {"name", "description"?}` → 201 with the scope; 422
//!   `scope.name_exists`, 400 `scope.name_with_space`.
//! - `PATCH /api/resources/:id/scopes/:scopeId {"name"?, "description"?}` → 200;
//!   `DELETE /api/resources/:id/scopes/:scopeId` → 204. The Management API's scopes are fixed
//!   (400 `resource.cannot_modify_management_api`).

use super::error::ApiError;
use super::json_body;
use crate::idp::resources::{NewResource, NewScope, ResourceError, ResourcePatch, ScopePatch};
use crate::idp::Provider;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::Value;

impl From<ResourceError> for ApiError {
    fn from(error: ResourceError) -> Self {
        let message = error.to_string();
        match error {
            ResourceError::NotFound { .. } => {
                Self::new(StatusCode::NOT_FOUND, "entity.not_exists_with_id", message)
            }
            ResourceError::IndicatorInUse(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "resource.resource_identifier_in_use",
                message,
            ),
            ResourceError::ScopeNameInUse(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "scope.name_exists",
                message,
            ),
            ResourceError::ScopeNameWithSpace => {
                Self::new(StatusCode::BAD_REQUEST, "scope.name_with_space", message)
            }
            ResourceError::CannotDeleteManagementApi => Self::new(
                StatusCode::BAD_REQUEST,
                "resource.cannot_delete_management_api",
                message,
            ),
            ResourceError::CannotModifyManagementApi => Self::new(
                StatusCode::BAD_REQUEST,
                "resource.cannot_modify_management_api",
                message,
            ),
            ResourceError::Invalid(detail) => Self::invalid_input(detail),
            ResourceError::Store(_) | ResourceError::Corrupt(_) => Self::internal(message),
        }
    }
}

/// The JSON body as `T`, or `guard.invalid_input` naming the problem.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    serde_json::from_value(json_body(bytes)?).map_err(ApiError::invalid_input)
}

fn json(value: &impl serde::Serialize) -> Result<Json<Value>, ApiError> {
    serde_json::to_value(value)
        .map(Json)
        .map_err(ApiError::internal)
}

pub async fn list(State(provider): State<Provider>) -> Result<Json<Value>, ApiError> {
    json(&provider.resources.snapshot().await?.all())
}

pub async fn create(
    State(provider): State<Provider>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let new: NewResource = body(&bytes)?;
    let created = provider
        .resources
        .modify(|registry, now| registry.create(new, now))
        .await?;
    tracing::info!(indicator = %created.indicator, "API resource created");
    Ok((StatusCode::CREATED, json(&created)?))
}

pub async fn get(
    State(provider): State<Provider>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    json(provider.resources.snapshot().await?.get(&id)?)
}

pub async fn update(
    State(provider): State<Provider>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let patch: ResourcePatch = body(&bytes)?;
    let updated = provider
        .resources
        .modify(|registry, _| registry.update(&id, patch))
        .await?;
    json(&updated)
}

pub async fn delete(
    State(provider): State<Provider>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    provider
        .resources
        .modify(|registry, _| registry.delete(&id))
        .await?;
    tracing::info!(%id, "API resource deleted");
    Ok(StatusCode::NO_CONTENT)
}

pub async fn scopes(
    State(provider): State<Provider>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    json(&provider.resources.snapshot().await?.get(&id)?.scopes)
}

pub async fn create_scope(
    State(provider): State<Provider>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let new: NewScope = body(&bytes)?;
    let created = provider
        .resources
        .modify(|registry, now| registry.add_scope(&id, new, now))
        .await?;
    Ok((StatusCode::CREATED, json(&created)?))
}

pub async fn update_scope(
    State(provider): State<Provider>,
    Path((id, scope_id)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let patch: ScopePatch = body(&bytes)?;
    let updated = provider
        .resources
        .modify(|registry, _| registry.update_scope(&id, &scope_id, patch))
        .await?;
    json(&updated)
}

pub async fn delete_scope(
    State(provider): State<Provider>,
    Path((id, scope_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    provider
        .resources
        .modify(|registry, _| registry.delete_scope(&id, &scope_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
