//! OAuth 2.0 / OIDC errors as protocol values (RFC 6749 §5.2, OIDC Core §3.1.2.6), rendered in one
//! place with both Logto's `code`/`message` and the standard `error`/`error_description`.
//! Internal detail goes to the log; a 5xx body stays generic.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthError {
    InvalidRequest(String),
    /// Client authentication failed (401).
    InvalidClient(String),
    InvalidGrant(String),
    UnauthorizedClient(String),
    UnsupportedGrantType(String),
    UnsupportedResponseType(String),
    InvalidScope(String),
    InvalidTarget(String),
    AccessDenied(String),
    LoginRequired(String),
    /// A bearer token was missing, unknown or expired (RFC 6750 §3.1).
    InvalidToken(String),
    /// Something broke inside; the detail is logged, never sent.
    ServerError(String),
}

impl OAuthError {
    pub fn error_code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::InvalidClient(_) => "invalid_client",
            OAuthError::InvalidGrant(_) => "invalid_grant",
            OAuthError::UnauthorizedClient(_) => "unauthorized_client",
            OAuthError::UnsupportedGrantType(_) => "unsupported_grant_type",
            OAuthError::UnsupportedResponseType(_) => "unsupported_response_type",
            OAuthError::InvalidScope(_) => "invalid_scope",
            OAuthError::InvalidTarget(_) => "invalid_target",
            OAuthError::AccessDenied(_) => "access_denied",
            OAuthError::LoginRequired(_) => "login_required",
            OAuthError::InvalidToken(_) => "invalid_token",
            OAuthError::ServerError(_) => "server_error",
        }
    }

    /// What the client may read.
    pub fn description(&self) -> &str {
        match self {
            OAuthError::ServerError(_) => "an internal error occurred",
            OAuthError::InvalidRequest(text)
            | OAuthError::InvalidClient(text)
            | OAuthError::InvalidGrant(text)
            | OAuthError::UnauthorizedClient(text)
            | OAuthError::UnsupportedGrantType(text)
            | OAuthError::UnsupportedResponseType(text)
            | OAuthError::InvalidScope(text)
            | OAuthError::InvalidTarget(text)
            | OAuthError::AccessDenied(text)
            | OAuthError::LoginRequired(text)
            | OAuthError::InvalidToken(text) => text,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            OAuthError::InvalidClient(_) | OAuthError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            OAuthError::ServerError(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    pub fn server(detail: impl std::fmt::Display) -> Self {
        OAuthError::ServerError(detail.to_string())
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        if let OAuthError::ServerError(detail) = &self {
            tracing::error!(%detail, "provider error");
        } else {
            tracing::info!(
                error = self.error_code(),
                description = self.description(),
                "request refused"
            );
        }
        let body = serde_json::json!({
            "code": format!("oidc.{}", self.error_code()),
            "message": self.description(),
            "error": self.error_code(),
            "error_description": self.description(),
        });
        let mut response = (self.status(), Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        match self {
            OAuthError::InvalidClient(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"oidc\""),
                );
            }
            OAuthError::InvalidToken(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"oidc\", error=\"invalid_token\""),
                );
            }
            _ => {}
        }
        response
    }
}

impl From<super::super::store::StoreError> for OAuthError {
    fn from(error: super::super::store::StoreError) -> Self {
        OAuthError::server(error)
    }
}

impl From<super::super::keys::KeyError> for OAuthError {
    fn from(error: super::super::keys::KeyError) -> Self {
        OAuthError::server(error)
    }
}
