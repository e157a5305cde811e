//! Bearer authentication of the Management API, as Logto: a JWT access token from this provider's
//! `client_credentials` grant (`typ` `at+jwt`, ES384, signed by a published key, `iss` = the
//! issuer, `aud` = [`super::RESOURCE`], not expired by the provider's clock, issued to a
//! registered machine-to-machine application). Anything else → 401 `auth.unauthorized`; a valid
//! token without the `all` scope → 403 `auth.forbidden`.

use super::error::ApiError;
use super::RESOURCE;
use crate::idp::clients::ApplicationType;
use crate::idp::Provider;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;

/// The scope that grants the whole Management API.
pub const ALL_SCOPE: &str = "all";

#[derive(Deserialize)]
struct AccessClaims {
    exp: u64,
    #[serde(default)]
    nbf: Option<u64>,
    client_id: String,
    #[serde(default)]
    scope: String,
}

/// Middleware: lets the request through only with a token carrying `all`.
pub async fn require_all_scope(
    State(provider): State<Provider>,
    request: Request,
    next: Next,
) -> Response {
    match authorize(&provider, request.headers()) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

fn authorize(provider: &Provider, headers: &HeaderMap) -> Result<(), ApiError> {
    let token = bearer(headers).ok_or_else(ApiError::unauthorized)?;
    let header = jsonwebtoken::decode_header(token).map_err(|_| ApiError::unauthorized())?;
    if header.typ.as_deref() != Some("at+jwt") {
        return Err(ApiError::unauthorized());
    }
    let mut validation = Validation::new(Algorithm::ES384);
    validation.set_issuer(&[provider.config.issuer()]);
    validation.set_audience(&[RESOURCE]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    // Time is checked below with the provider's clock, not the wall clock.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let claims: AccessClaims = provider
        .keys
        .verify(token, &validation)
        .ok_or_else(ApiError::unauthorized)?;
    let now = provider.clock.unix_seconds();
    if claims.exp <= now || claims.nbf.is_some_and(|nbf| nbf > now) {
        return Err(ApiError::unauthorized());
    }
    let registered = provider
        .clients
        .get(&claims.client_id)
        .is_some_and(|client| client.kind == ApplicationType::MachineToMachine);
    if !registered {
        return Err(ApiError::unauthorized());
    }
    if !claims.scope.split(' ').any(|scope| scope == ALL_SCOPE) {
        return Err(ApiError::forbidden());
    }
    Ok(())
}
