//! The `oauth2` crate set up for our one provider: the client built from the discovery document,
//! the token response with its `id_token`, the error body (RFC 6749 §5.2 and Logto's
//! `{code, message}`), and the adapter that sends `oauth2`'s requests through our bounded client.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use oauth2::basic::{BasicTokenIntrospectionResponse, BasicTokenType};
use oauth2::{
    AsyncHttpClient, AuthUrl, ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, ErrorResponse, ExtraTokenFields, HttpRequest, HttpResponse, RedirectUrl,
    RequestTokenError, RevocationUrl, StandardRevocableToken, StandardTokenResponse,
    TokenResponse as _, TokenUrl,
};
use serde::{Deserialize, Serialize};

use super::config::RpConfig;
use super::discovery::ProviderMetadata;
use super::error::{clean_error_code, scrub, AuthError};
use super::http;
use super::tokens::TokenResponse;
use crate::secret::Secret;

/// The OIDC field of a token response that plain OAuth 2.0 does not have.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub(crate) struct IdTokenField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

/// A token endpoint's 200 body, as `oauth2` parses it.
pub(crate) type TokenReply = StandardTokenResponse<IdTokenField, BasicTokenType>;

/// An error body of the token or revocation endpoint. Logto sends both shapes at once
/// (`{"code":"oidc.invalid_grant","message":…,"error":"invalid_grant","error_description":…}`);
/// either one is enough.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub(crate) struct ProviderError {
    error: Option<String>,
    error_description: Option<String>,
    code: Option<String>,
    message: Option<String>,
}

impl ProviderError {
    /// The RFC 6749 §5.2 code: `error`, else Logto's `code` without its `oidc.` prefix.
    pub fn error_code(&self) -> Option<String> {
        let code = self.error.as_deref().or_else(|| {
            self.code
                .as_deref()
                .map(|code| code.strip_prefix("oidc.").unwrap_or(code))
        })?;
        Some(code)
            .filter(|code| !code.is_empty())
            .map(clean_error_code)
    }

    /// `error_description`, else Logto's `message`.
    pub fn description(&self) -> Option<&str> {
        self.error_description
            .as_deref()
            .or(self.message.as_deref())
            .filter(|text| !text.is_empty())
    }
}

/// Only the code: descriptions reach text only through [`failure`], which scrubs them.
impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.error_code().as_deref().unwrap_or("unknown error"))
    }
}

impl ErrorResponse for ProviderError {}

/// `oauth2`'s client with our types: authorization and token endpoints always (discovery requires
/// them), a revocation endpoint when the provider has one.
pub(crate) type Client = oauth2::Client<
    ProviderError,
    TokenReply,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    ProviderError,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointSet,
>;

/// The client for `config` at the endpoints of `metadata`; it authenticates with HTTP Basic
/// (RFC 6749 §2.3.1, id and secret form-urlencoded first). Cheap: a few strings.
pub(crate) fn client(config: &RpConfig, metadata: &ProviderMetadata) -> Client {
    oauth2::Client::new(ClientId::new(config.client_id.clone()))
        .set_client_secret(ClientSecret::new(config.client_secret.expose().to_owned()))
        .set_auth_uri(AuthUrl::from_url(metadata.authorization_endpoint.clone()))
        .set_token_uri(TokenUrl::from_url(metadata.token_endpoint.clone()))
        .set_redirect_uri(RedirectUrl::from_url(config.redirect_uri.clone()))
        .set_revocation_url_option(
            metadata
                .revocation_endpoint
                .clone()
                .map(RevocationUrl::from_url),
        )
}

/// What a token, refresh or revocation request can end with.
pub(crate) type RequestError = RequestTokenError<AuthError, ProviderError>;

/// The HTTP client `oauth2` sends through: ours, with its timeouts, no redirects and capped body.
pub(crate) struct Sender<'a> {
    client: &'a reqwest::Client,
    what: &'static str,
}

impl<'a> Sender<'a> {
    /// Sends through `client`, naming the endpoint `what` in errors.
    pub fn new(client: &'a reqwest::Client, what: &'static str) -> Self {
        Self { client, what }
    }
}

impl<'c> AsyncHttpClient<'c> for Sender<'_> {
    type Error = AuthError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, AuthError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(send(self.client, self.what, request))
    }
}

/// Sends one request `oauth2` built. A redirect, or a refusal whose body is no error object, is
/// answered here, with its status, since `oauth2` could only say it failed to parse it.
async fn send(
    client: &reqwest::Client,
    what: &'static str,
    request: HttpRequest,
) -> Result<HttpResponse, AuthError> {
    let request = reqwest::Request::try_from(request)
        .map_err(|_| AuthError::Config(format!("cannot build the {what} request")))?;
    let body = http::send(
        what,
        reqwest::RequestBuilder::from_parts(client.clone(), request),
    )
    .await?;
    let failed = |detail: String| AuthError::TokenEndpoint(detail);
    if body.status.is_redirection() {
        return Err(failed(format!(
            "unexpected redirect (HTTP {})",
            body.status.as_u16()
        )));
    }
    if !body.status.is_success() && serde_json::from_slice::<ProviderError>(&body.bytes).is_err() {
        return Err(failed(format!("HTTP {}", body.status.as_u16())));
    }
    let mut response = ::http::Response::builder().status(body.status);
    if let Some(kind) = &body.content_type {
        response = response.header(::http::header::CONTENT_TYPE, kind);
    }
    response
        .body(body.bytes)
        .map_err(|_| failed("unreadable response".into()))
}

/// A token endpoint failure, with the RFC 6749 §5.2 error code when the provider sent one.
pub(crate) struct TokenFailure {
    pub code: Option<String>,
    pub error: AuthError,
}

impl From<AuthError> for TokenFailure {
    fn from(error: AuthError) -> Self {
        Self { code: None, error }
    }
}

/// What `oauth2` reported, as our error. `secrets` (what the request carried) are scrubbed from
/// any provider text; no body is ever quoted.
pub(crate) fn failure(error: RequestError, secrets: &[&str]) -> TokenFailure {
    match error {
        RequestTokenError::Request(error) => error.into(),
        RequestTokenError::ServerResponse(body) => {
            let code = body.error_code();
            let mut message = code.clone().unwrap_or_else(|| "refused".to_owned());
            if let Some(description) = body
                .description()
                .map(|text| scrub(text, secrets))
                .filter(|text| !text.is_empty())
            {
                message.push_str(&format!(": {description}"));
            }
            tracing::warn!(
                error = code.as_deref().unwrap_or("-"),
                "token request refused"
            );
            TokenFailure {
                code,
                error: AuthError::TokenEndpoint(message),
            }
        }
        RequestTokenError::Parse(..) => {
            AuthError::TokenEndpoint("response is not a valid token response".into()).into()
        }
        RequestTokenError::Other(detail) => {
            AuthError::TokenEndpoint(scrub(&detail, secrets)).into()
        }
    }
}

/// A parsed 200 body, checked: a non-empty access token of type Bearer (RFC 6749 §5.1,
/// OIDC Core §3.1.3.3).
pub(crate) fn token_response(reply: &TokenReply) -> Result<TokenResponse, AuthError> {
    let refused = |why: &str| Err(AuthError::TokenEndpoint(format!("response {why}")));
    if reply.access_token().secret().is_empty() {
        return refused("has no access_token");
    }
    if *reply.token_type() != BasicTokenType::Bearer {
        return refused("token_type is not Bearer");
    }
    let non_empty = |value: &str| Some(value.to_owned()).filter(|value| !value.is_empty());
    Ok(TokenResponse {
        access_token: Secret::new(reply.access_token().secret().clone()),
        refresh_token: reply
            .refresh_token()
            .and_then(|token| non_empty(token.secret()))
            .map(Secret::new),
        id_token: reply
            .extra_fields()
            .id_token
            .as_deref()
            .and_then(non_empty)
            .map(Secret::new),
        expires_in: reply.expires_in().map(|lifetime| lifetime.as_secs()),
        scope: reply.scopes().map(|scopes| {
            scopes
                .iter()
                .map(|scope| scope.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        }),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use oauth2::{RefreshToken, StandardRevocableToken};
    use url::Url;

    use super::*;

    fn reply(json: &str) -> Result<TokenResponse, AuthError> {
        token_response(&serde_json::from_str(json).map_err(|_| {
            AuthError::TokenEndpoint("response is not a valid token response".into())
        })?)
    }

    #[test]
    fn a_token_response_needs_a_bearer_access_token() {
        let ok = reply(
            r#"{"access_token":"a","token_type":"Bearer","expires_in":3600,"id_token":"x","scope":"openid email"}"#,
        )
        .unwrap();
        assert_eq!(ok.expires_in, Some(3600));
        assert_eq!(ok.id_token.unwrap().expose(), "x");
        assert_eq!(ok.scope.as_deref(), Some("openid email"));
        assert!(ok.refresh_token.is_none());
        assert!(reply(r#"{"access_token":"a","token_type":"bearer"}"#).is_ok());
        assert!(reply(r#"{"token_type":"Bearer"}"#).is_err());
        assert!(reply(r#"{"access_token":"","token_type":"Bearer"}"#).is_err());
        assert!(reply(r#"{"access_token":"a","token_type":"mac"}"#).is_err());
        assert!(
            reply(r#"{"access_token":"a","token_type":"Bearer","id_token":""}"#)
                .unwrap()
                .id_token
                .is_none()
        );
    }

    #[test]
    fn logto_error_bodies_are_read_in_either_shape() {
        let rfc: ProviderError =
            serde_json::from_str(r#"{"error":"invalid_grant","error_description":"gone"}"#)
                .unwrap();
        assert_eq!(rfc.error_code().as_deref(), Some("invalid_grant"));
        assert_eq!(rfc.description(), Some("gone"));
        let logto: ProviderError =
            serde_json::from_str(r#"{"code":"oidc.invalid_grant","message":"Grant is gone."}"#)
                .unwrap();
        assert_eq!(logto.error_code().as_deref(), Some("invalid_grant"));
        assert_eq!(logto.description(), Some("Grant is gone."));
        let failure = failure(
            RequestTokenError::ServerResponse(logto),
            &["the-refresh-token"],
        );
        assert_eq!(failure.code.as_deref(), Some("invalid_grant"));
        assert!(
            matches!(failure.error, AuthError::TokenEndpoint(m) if m == "invalid_grant: Grant is gone.")
        );
    }

    #[test]
    fn provider_text_is_scrubbed_of_what_was_sent() {
        let body: ProviderError = serde_json::from_str(
            r#"{"error":"invalid_grant","error_description":"token the-secret is unknown"}"#,
        )
        .unwrap();
        let failure = failure(RequestTokenError::ServerResponse(body), &["the-secret"]);
        assert!(!failure.error.to_string().contains("the-secret"));
    }

    /// Over https, revocation goes through `oauth2`: Basic client authentication and the
    /// RFC 7009 §2.1 form.
    #[tokio::test]
    async fn revocation_request_is_rfc_7009() {
        let config = RpConfig {
            endpoint: Url::parse("https://idp.example").unwrap(),
            client_id: "my app".into(),
            client_secret: Secret::new("p:w+d"),
            redirect_uri: Url::parse("https://app.example/callback").unwrap(),
            post_logout_redirect_uri: Url::parse("https://app.example/").unwrap(),
            extra_scopes: vec![],
            resources: vec![],
            http_timeout: Duration::from_secs(5),
        };
        let metadata: ProviderMetadata = serde_json::from_value(serde_json::json!({
            "issuer": "https://idp.example/oidc",
            "authorization_endpoint": "https://idp.example/oidc/auth",
            "token_endpoint": "https://idp.example/oidc/token",
            "jwks_uri": "https://idp.example/oidc/jwks",
            "revocation_endpoint": "https://idp.example/oidc/token/revocation"
        }))
        .unwrap();
        let seen = Mutex::new(None);
        let fake = |request: HttpRequest| {
            *seen.lock().unwrap() = Some(request);
            async {
                Ok::<_, AuthError>(
                    ::http::Response::builder()
                        .status(200)
                        .body(Vec::new())
                        .unwrap(),
                )
            }
        };
        let token = StandardRevocableToken::RefreshToken(RefreshToken::new("rt".into()));
        client(&config, &metadata)
            .revoke_token(token)
            .unwrap()
            .request_async(&fake)
            .await
            .unwrap();
        let request = seen.lock().unwrap().take().unwrap();
        assert_eq!(
            request.uri().to_string(),
            "https://idp.example/oidc/token/revocation"
        );
        let authorization = request.headers()["authorization"].to_str().unwrap();
        use base64::Engine as _;
        let pair = base64::engine::general_purpose::STANDARD
            .decode(authorization.strip_prefix("Basic ").unwrap())
            .unwrap();
        assert_eq!(String::from_utf8(pair).unwrap(), "my+app:p%3Aw%2Bd");
        let form: Vec<(String, String)> = url::form_urlencoded::parse(request.body())
            .into_owned()
            .collect();
        assert!(form.contains(&("token".into(), "rt".into())));
        assert!(form.contains(&("token_type_hint".into(), "refresh_token".into())));
    }
}
