//! Management API errors as Logto renders them: a status and a body `{code, message, data?}`,
//! built in one place from the domain errors. 5xx bodies are generic; the detail is logged.
//! As a real Logto 1.37.1 (logto-compat.md §9): `connector.invalid_config` has the generic
//! message and one zod-like issue per bad field in `data.issues`; `connector.invalid_response`
//! has the mail service's answer as one sentence in `data.message` (and in `message`);
//! `guard.invalid_input` for bad branding or colours has `data.issues`.

use crate::idp::connectors::ConnectorError;
use crate::idp::issues;
use crate::idp::secrets::SecretsError;
use crate::idp::sign_in_experience::{ExperienceError, LoadError};
use crate::idp::store::StoreError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

/// Logto's message for `connector.invalid_config`; the fields are in `data.issues`.
pub const INVALID_CONFIG: &str = "The connector's config is invalid.";

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub data: Option<Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            data: None,
        }
    }

    pub fn with_data(mut self, data: Option<Value>) -> Self {
        self.data = data;
        self
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "auth.unauthorized",
            "Unauthorized. Please check credentials and its scope.",
        )
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "auth.forbidden",
            "Forbidden. Please check your user roles and permissions.",
        )
    }

    pub fn invalid_input(detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "guard.invalid_input",
            format!("The request input is invalid. {detail}"),
        )
    }

    /// A failure inside the provider: logged in full, answered generically.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "management API failure");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "unexpected_error",
            "An unexpected error occurred.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_client_error() {
            tracing::info!(
                code = self.code,
                status = self.status.as_u16(),
                "management API request refused"
            );
        }
        let mut body = serde_json::json!({ "code": self.code, "message": self.message });
        if let (Some(data), Some(object)) = (self.data, body.as_object_mut()) {
            object.insert("data".to_owned(), data);
        }
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<ConnectorError> for ApiError {
    fn from(error: ConnectorError) -> Self {
        let bad_request = |code, message: String| Self::new(StatusCode::BAD_REQUEST, code, message);
        match error {
            ConnectorError::InvalidConfig(found) => {
                bad_request("connector.invalid_config", INVALID_CONFIG.to_owned())
                    .with_data(Some(issues::data(&found)))
            }
            ConnectorError::TemplateNotFound(usage) => bad_request(
                "connector.template_not_found",
                format!("Unable to find correct template in connector config (usage type {usage}, no Generic template)."),
            ),
            // The sentence is also the top-level message, so clients that show `message` show it.
            ConnectorError::InvalidResponse { message, .. } => {
                bad_request("connector.invalid_response", message.clone())
                    .with_data(Some(serde_json::json!({ "message": message })))
            }
            ConnectorError::UnknownFactory(id) => {
                tracing::info!(connector_id = %id, "no connector factory with this id");
                Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "connector.not_found_with_connector_id",
                    "Can not find connector with given standard connector id.",
                )
            }
            ConnectorError::NotFound(id) => Self::new(
                StatusCode::NOT_FOUND,
                "entity.not_exists_with_id",
                format!("The connector with ID `{id}` does not exist."),
            ),
            ConnectorError::Secrets(error) => Self::from(error),
            ConnectorError::Delivery(detail) => Self::internal(detail),
            ConnectorError::Store(error) => Self::internal(error),
            ConnectorError::Corrupt(detail) => Self::internal(detail),
        }
    }
}

impl From<SecretsError> for ApiError {
    fn from(error: SecretsError) -> Self {
        match error {
            SecretsError::KeyMissing => Self::new(
                StatusCode::BAD_REQUEST,
                "connector.secrets_key_missing",
                error.to_string(),
            ),
            SecretsError::WrongKey { .. } | SecretsError::Undecryptable(_) => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "connector.secrets_unreadable",
                error.to_string(),
            ),
            SecretsError::KeyFile { .. } => Self::internal(error),
        }
    }
}

impl From<ExperienceError> for ApiError {
    fn from(error: ExperienceError) -> Self {
        match &error {
            ExperienceError::InvalidInput(detail) => Self::invalid_input(detail),
            ExperienceError::InvalidFields(_) => Self::new(
                StatusCode::BAD_REQUEST,
                error.code(),
                "The request body is invalid.",
            )
            .with_data(error.data()),
            _ => Self::new(StatusCode::BAD_REQUEST, error.code(), error.to_string())
                .with_data(error.data()),
        }
    }
}

impl From<LoadError> for ApiError {
    fn from(error: LoadError) -> Self {
        Self::internal(error)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::internal(error)
    }
}
