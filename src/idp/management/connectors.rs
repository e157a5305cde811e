//! Connector endpoints: factories, stored connectors (create, read, replace config, delete) and
//! test sends, over [`crate::idp::connectors::registry::Connectors`]. Responses never contain a
//! secret value.

use super::error::ApiError;
use super::json_body;
use crate::idp::connectors::factory::FactoryView;
use crate::idp::connectors::registry::ConnectorView;
use crate::idp::users;
use crate::idp::Provider;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::Value;

/// The factories offered: in production, not the dev mailbox.
pub async fn factories(State(provider): State<Provider>) -> Json<Vec<FactoryView>> {
    Json(provider.connectors.factories())
}

pub async fn factory(
    State(provider): State<Provider>,
    Path(id): Path<String>,
) -> Result<Json<FactoryView>, ApiError> {
    provider
        .connectors
        .factory(&id)
        .map(|factory| Json(factory.view()))
        .map_err(|_| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "entity.not_found",
                "The resource does not exist.",
            )
        })
}

pub async fn list(State(provider): State<Provider>) -> Result<Json<Vec<ConnectorView>>, ApiError> {
    Ok(Json(provider.connectors.list().await?))
}

pub async fn get(
    State(provider): State<Provider>,
    Path(id): Path<String>,
) -> Result<Json<ConnectorView>, ApiError> {
    Ok(Json(provider.connectors.get(&id).await?))
}

/// `POST /api/connectors {connectorId, config}`.
pub async fn create(
    State(provider): State<Provider>,
    body: Bytes,
) -> Result<Json<ConnectorView>, ApiError> {
    let body = json_body(&body)?;
    let factory_id = body
        .get("connectorId")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid_input("`connectorId` is required."))?;
    let config = body.get("config").unwrap_or(&Value::Null);
    Ok(Json(provider.connectors.create(factory_id, config).await?))
}

/// `PATCH /api/connectors/:id {config}`: replaces the config; a blank secret keeps the stored one.
pub async fn update(
    State(provider): State<Provider>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ConnectorView>, ApiError> {
    let body = json_body(&body)?;
    let config = body.get("config").filter(|config| !config.is_null());
    Ok(Json(provider.connectors.update(&id, config).await?))
}

pub async fn delete(
    State(provider): State<Provider>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    provider.connectors.delete(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/connectors/:factoryId/test {email, config}`: the Generic template, code `000000`.
pub async fn test(
    State(provider): State<Provider>,
    Path(factory_id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let body = json_body(&body)?;
    let email = body
        .get("email")
        .and_then(Value::as_str)
        .and_then(users::normalize_email)
        .ok_or_else(|| ApiError::invalid_input("`email` must be an email address."))?;
    let config = body.get("config").unwrap_or(&Value::Null);
    provider
        .connectors
        .test(&factory_id, &email, config)
        .await?;
    tracing::info!(factory = %factory_id, "connector test email sent");
    Ok(StatusCode::NO_CONTENT)
}
