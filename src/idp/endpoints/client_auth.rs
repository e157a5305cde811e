//! Client authentication at the token and revocation endpoints (RFC 6749 §2.3.1): reads the
//! presented credentials — `client_secret_basic` (credentials url-decoded) or
//! `client_secret_post`, never both — and verifies them through the grants' shared phase, which
//! treats an unknown client and a wrong secret alike.

use crate::idp::clients::Application;
use crate::idp::protocol::error::OAuthError;
use crate::idp::protocol::grants::{self, ClientCredentials};
use crate::idp::Provider;
use crate::secret::Secret;
use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// The authenticated client, or `invalid_client` (401).
pub fn authenticate<'p>(
    provider: &'p Provider,
    headers: &HeaderMap,
    form: &[(String, String)],
) -> Result<&'p Application, OAuthError> {
    grants::authenticate(&provider.clients, &credentials(headers, form)?)
}

/// The credentials the request presents (not yet verified).
pub fn credentials(
    headers: &HeaderMap,
    form: &[(String, String)],
) -> Result<ClientCredentials, OAuthError> {
    let form_value = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "));
    let (id, secret) = match (basic, form_value("client_secret")) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::InvalidRequest(
                "client authentication must use only one method".to_owned(),
            ))
        }
        (Some(encoded), None) => decode_basic(encoded)?,
        (None, Some(secret)) => {
            let id = form_value("client_id").ok_or_else(|| invalid("client_id is missing"))?;
            (id.to_owned(), secret.to_owned())
        }
        (None, None) => return Err(invalid("no client authentication included")),
    };
    if let Some(form_id) = form_value("client_id") {
        if form_id != id {
            return Err(OAuthError::InvalidRequest(
                "client_id does not match the authenticated client".to_owned(),
            ));
        }
    }
    Ok(ClientCredentials {
        id,
        secret: Secret::new(secret),
    })
}

fn decode_basic(encoded: &str) -> Result<(String, String), OAuthError> {
    let bytes = STANDARD
        .decode(encoded.trim())
        .map_err(|_| invalid("malformed Basic credentials"))?;
    let text = String::from_utf8(bytes).map_err(|_| invalid("malformed Basic credentials"))?;
    let (id, secret) = text
        .split_once(':')
        .ok_or_else(|| invalid("malformed Basic credentials"))?;
    let decode = |part: &str| {
        urlencoding::decode(&part.replace('+', " "))
            .map(|value| value.into_owned())
            .map_err(|_| invalid("malformed Basic credentials"))
    };
    Ok((decode(id)?, decode(secret)?))
}

fn invalid(description: &str) -> OAuthError {
    OAuthError::InvalidClient(description.to_owned())
}
