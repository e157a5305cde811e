//! The app's client of Logto's Management API (logto-compat.md §6), used by the sign-in
//! experience settings page. It authenticates as a machine-to-machine app
//! (`client_credentials`, resource `https://default.logto.app/api`, scope `all`), caches the token
//! until shortly before it expires, and retries once with a new token on a 401. It works the same
//! against a real Logto and the embedded provider.

use crate::clock::SharedClock;
use crate::config::M2mCredentials;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;
use tokio::sync::Mutex;
use url::Url;

/// The Management API's resource indicator in every Logto tenant.
pub const MANAGEMENT_RESOURCE: &str = "https://default.logto.app/api";
/// Renew the token this long before it expires.
const TOKEN_MARGIN_SECS: u64 = 60;

/// An error answer of the Management API (`{code, message, data?}`), or a transport failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    #[error("{code}: {message}")]
    Rejected {
        status: u16,
        code: String,
        message: String,
        data: Option<Value>,
    },
    #[error("the Management API is unreachable: {0}")]
    Unreachable(String),
    #[error("the Management API answered something unreadable: {0}")]
    Malformed(String),
}

/// One problem Logto found with a field (a zod issue): where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The path into the request body, e.g. `["region"]` or `["templates", "0", "subject"]`.
    pub path: Vec<String>,
    pub message: String,
}

/// What a rejection says beyond its code and generic `message`: Logto puts the cause in `data`
/// (`data.message` for a refused test email, `data.issues` for a config it cannot accept; the
/// newer connector handler nests them one level deeper as `data.data`) or in `details`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reason {
    /// The specific cause in words, when Logto gave one.
    pub message: Option<String>,
    pub issues: Vec<Issue>,
}

impl ApiError {
    /// The cause behind a rejection (empty for transport failures).
    pub fn reason(&self) -> Reason {
        match self {
            ApiError::Rejected { data, .. } => data.as_ref().map(reason_in).unwrap_or_default(),
            _ => Reason::default(),
        }
    }

    /// The Logto error code, e.g. `connector.invalid_config`.
    pub fn code(&self) -> &str {
        match self {
            ApiError::Rejected { code, .. } => code,
            ApiError::Unreachable(_) => "request.unreachable",
            ApiError::Malformed(_) => "request.malformed",
        }
    }
}

struct CachedToken {
    value: String,
    expires_at: u64,
}

pub struct ManagementClient {
    endpoint: String,
    credentials: M2mCredentials,
    http: reqwest::Client,
    clock: SharedClock,
    token: Mutex<Option<CachedToken>>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: Option<u64>,
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    code: Option<String>,
    message: Option<String>,
    data: Option<Value>,
    details: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

impl ManagementClient {
    pub fn new(
        endpoint: &Url,
        credentials: M2mCredentials,
        timeout: Duration,
        clock: SharedClock,
    ) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| ApiError::Unreachable(error.to_string()))?;
        Ok(Self {
            endpoint: endpoint.as_str().trim_end_matches('/').to_owned(),
            credentials,
            http,
            clock,
            token: Mutex::new(None),
        })
    }

    /// A valid access token, from the cache or freshly requested.
    async fn token(&self) -> Result<String, ApiError> {
        let mut cached = self.token.lock().await;
        let now = self.clock.unix_seconds();
        if let Some(token) = cached.as_ref() {
            if now + TOKEN_MARGIN_SECS < token.expires_at {
                return Ok(token.value.clone());
            }
        }
        let response = self
            .http
            .post(format!("{}/oidc/token", self.endpoint))
            .basic_auth(
                urlencoding::encode(&self.credentials.app_id),
                Some(urlencoding::encode(self.credentials.app_secret.expose())),
            )
            .form(&[
                ("grant_type", "client_credentials"),
                ("resource", MANAGEMENT_RESOURCE),
                ("scope", "all"),
            ])
            .send()
            .await
            .map_err(|error| ApiError::Unreachable(without_url(&error)))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| ApiError::Unreachable(without_url(&error)))?;
        if !status.is_success() {
            return Err(rejection(status, &bytes));
        }
        let answer: TokenAnswer = serde_json::from_slice(&bytes)
            .map_err(|error| ApiError::Malformed(error.to_string()))?;
        let value = answer.access_token.clone();
        *cached = Some(CachedToken {
            value: answer.access_token,
            expires_at: now + answer.expires_in.unwrap_or(3600),
        });
        Ok(value)
    }

    async fn forget_token(&self) {
        *self.token.lock().await = None;
    }

    /// One API call; a 401 (e.g. a token revoked early) is retried once with a new token.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Option<Value>, ApiError> {
        for attempt in 0..2 {
            let token = self.token().await?;
            let mut request = self
                .http
                .request(method.clone(), format!("{}{path}", self.endpoint))
                .bearer_auth(token);
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request
                .send()
                .await
                .map_err(|error| ApiError::Unreachable(without_url(&error)))?;
            let status = response.status();
            if status == StatusCode::UNAUTHORIZED && attempt == 0 {
                self.forget_token().await;
                continue;
            }
            let bytes = response
                .bytes()
                .await
                .map_err(|error| ApiError::Unreachable(without_url(&error)))?;
            if !status.is_success() {
                return Err(rejection(status, &bytes));
            }
            if bytes.is_empty() {
                return Ok(None);
            }
            return serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|error| ApiError::Malformed(error.to_string()));
        }
        Err(ApiError::Malformed("unauthorized twice".to_owned()))
    }

    pub async fn get(&self, path: &str) -> Result<Value, ApiError> {
        self.call(Method::GET, path, None)
            .await?
            .ok_or_else(|| ApiError::Malformed("empty body".to_owned()))
    }

    pub async fn sign_in_experience(&self) -> Result<Value, ApiError> {
        self.get("/api/sign-in-exp").await
    }

    pub async fn update_sign_in_experience(&self, patch: &Value) -> Result<Value, ApiError> {
        self.call(Method::PATCH, "/api/sign-in-exp", Some(patch))
            .await?
            .ok_or_else(|| ApiError::Malformed("empty body".to_owned()))
    }

    /// The connector factories the provider can create connectors from.
    pub async fn connector_factories(&self) -> Result<Vec<Value>, ApiError> {
        match self.get("/api/connector-factories").await? {
            Value::Array(list) => Ok(list),
            _ => Err(ApiError::Malformed("factories is not a list".to_owned())),
        }
    }

    pub async fn connectors(&self) -> Result<Vec<Value>, ApiError> {
        match self.get("/api/connectors").await? {
            Value::Array(list) => Ok(list),
            _ => Err(ApiError::Malformed("connectors is not a list".to_owned())),
        }
    }

    pub async fn create_connector(
        &self,
        factory_id: &str,
        config: &Value,
    ) -> Result<Value, ApiError> {
        let body = serde_json::json!({ "connectorId": factory_id, "config": config });
        self.call(Method::POST, "/api/connectors", Some(&body))
            .await?
            .ok_or_else(|| ApiError::Malformed("empty body".to_owned()))
    }

    pub async fn update_connector(&self, id: &str, config: &Value) -> Result<Value, ApiError> {
        let body = serde_json::json!({ "config": config });
        let path = format!("/api/connectors/{}", urlencoding::encode(id));
        self.call(Method::PATCH, &path, Some(&body))
            .await?
            .ok_or_else(|| ApiError::Malformed("empty body".to_owned()))
    }

    pub async fn delete_connector(&self, id: &str) -> Result<(), ApiError> {
        let path = format!("/api/connectors/{}", urlencoding::encode(id));
        self.call(Method::DELETE, &path, None).await.map(|_| ())
    }

    /// Sends the Generic template with code `000000` through the unsaved `config`.
    pub async fn test_connector(
        &self,
        factory_id: &str,
        email: &str,
        config: &Value,
    ) -> Result<(), ApiError> {
        let body = serde_json::json!({ "email": email, "config": config });
        let path = format!("/api/connectors/{}/test", urlencoding::encode(factory_id));
        self.call(Method::POST, &path, Some(&body))
            .await
            .map(|_| ())
    }
}

fn rejection(status: StatusCode, bytes: &[u8]) -> ApiError {
    let body = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    rejection_from(status.as_u16(), &body)
}

/// A rejection from its status and body, RFC 6749's `{error, error_description}` or Logto's
/// `{code, message, data?, details?}` (anything else keeps only the status).
pub fn rejection_from(status: u16, body: &Value) -> ApiError {
    let body: ErrorBody = serde_json::from_value(body.clone()).unwrap_or_default();
    // Logto's guard errors may carry the zod text only in `details`.
    let data = match (body.data, body.details) {
        (None, Some(details)) => Some(serde_json::json!({ "message": details })),
        (data, _) => data,
    };
    ApiError::Rejected {
        status,
        code: body
            .code
            .or(body.error)
            .unwrap_or_else(|| format!("http.{status}")),
        message: body.message.or(body.error_description).unwrap_or_default(),
        data,
    }
}

/// The cause in a rejection's `data`, at either depth Logto uses.
fn reason_in(data: &Value) -> Reason {
    let layers = [data, &data["data"]];
    let message = layers.iter().find_map(|layer| {
        ["message", "errorDescription", "zodErrorMessage"]
            .iter()
            .find_map(|key| layer[*key].as_str())
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
    });
    let issues = layers
        .iter()
        .find_map(|layer| layer["issues"].as_array())
        .map(|list| list.iter().filter_map(issue_in).collect())
        .unwrap_or_default();
    Reason { message, issues }
}

fn issue_in(issue: &Value) -> Option<Issue> {
    let path = issue["path"]
        .as_array()?
        .iter()
        .map(|part| match part {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .collect();
    let message = issue["message"].as_str().unwrap_or_default().to_owned();
    Some(Issue { path, message })
}

/// reqwest errors print the URL; ours carry no secrets in URLs, but keep messages short.
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(url.as_str(), "");
    }
    text
}
