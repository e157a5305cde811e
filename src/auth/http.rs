//! The HTTP plumbing shared by every provider call: one `reqwest` client with connect and total
//! timeouts that never follows redirects (a redirect from a token or JWKS endpoint is an error,
//! RFC 9700 §4.11), bounded body reads, and client authentication with HTTP Basic
//! (RFC 6749 §2.3.1: id and secret form-urlencoded before base64).

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::error::AuthError;
use crate::secret::Secret;

/// Larger provider responses are refused (discovery, JWKS and token bodies are a few KB).
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The client every provider call goes through.
pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, AuthError> {
    reqwest::Client::builder()
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("leptos-logto/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|_| AuthError::Config("cannot build the HTTP client".into()))
}

/// `Basic base64(urlencode(id):urlencode(secret))`, form-urlencoded as `oauth2` does.
pub(crate) fn basic_auth(client_id: &str, client_secret: &Secret) -> Secret {
    let encode =
        |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", encode(client_id), encode(client_secret.expose()));
    Secret::new(format!("Basic {}", STANDARD.encode(pair)))
}

/// A transport failure, described without the URL's query or any body.
pub(crate) fn unreachable(what: &str, error: &reqwest::Error) -> AuthError {
    let why = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    AuthError::ProviderUnreachable(format!("{what}: {why}"))
}

/// A response read in full, up to [`MAX_BODY_BYTES`].
pub(crate) struct Body {
    pub status: reqwest::StatusCode,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// Sends `request` and reads the response body, mapping transport trouble to
/// [`AuthError::ProviderUnreachable`].
pub(crate) async fn send(what: &str, request: reqwest::RequestBuilder) -> Result<Body, AuthError> {
    let mut response = request.send().await.map_err(|e| unreachable(what, &e))?;
    let status = response.status();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| unreachable(what, &e))? {
        if bytes.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(AuthError::ProviderUnreachable(format!(
                "{what}: response too large"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Body {
        status,
        content_type,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_urlencodes_before_base64() {
        let header = basic_auth("my app", &Secret::new("p:w+d"));
        let encoded = header.expose().strip_prefix("Basic ").unwrap();
        let decoded = String::from_utf8(STANDARD.decode(encoded).unwrap()).unwrap();
        assert_eq!(decoded, "my+app:p%3Aw%2Bd");
    }
}
