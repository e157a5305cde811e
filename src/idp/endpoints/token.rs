//! `/oidc/token` (RFC 6749 §4.1.3, §6, §4.4): one function per grant; client authentication is a
//! shared phase before the dispatch. Codes are single use and reuse revokes the grant; refresh
//! tokens rotate as Logto's do and reuse after the grace period revokes the grant.
//! `client_credentials` serves machine-to-machine apps only, for known resources only (the
//! Management API, scope `all`); any other resource is `invalid_target` (RFC 8707 §2).

use super::client_auth::authenticate;
use crate::idp::clients::{Application, ApplicationType};
use crate::idp::management;
use crate::idp::protocol::claims::user_claims;
use crate::idp::protocol::error::OAuthError;
use crate::idp::protocol::pkce;
use crate::idp::protocol::records::{
    refresh_rotation_due, AccessTokenRecord, AuthorizationCodeRecord, RefreshTokenRecord,
    ACCESS_TOKEN_TTL, GRANT_TTL, ID_TOKEN_TTL, REFRESH_REUSE_GRACE, REFRESH_TOKEN_TTL,
};
use crate::idp::random;
use crate::idp::store::{Consumed, Kind, Record, Rotation, User};
use crate::idp::Provider;
use axum::extract::{RawForm, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

type Form = Vec<(String, String)>;

#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
    token_type: &'static str,
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

impl IntoResponse for TokenResponse {
    fn into_response(self) -> Response {
        let mut response = Json(self).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
            .headers_mut()
            .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        response
    }
}

pub async fn token(
    State(provider): State<Provider>,
    headers: HeaderMap,
    RawForm(body): RawForm,
) -> Response {
    let form: Form = url::form_urlencoded::parse(&body).into_owned().collect();
    match dispatch(&provider, &headers, &form).await {
        Ok(response) => response.into_response(),
        Err(error) => error.into_response(),
    }
}

async fn dispatch(
    provider: &Provider,
    headers: &HeaderMap,
    form: &Form,
) -> Result<TokenResponse, OAuthError> {
    let client = authenticate(provider, headers, form)?;
    match single(form, "grant_type")? {
        Some("authorization_code") => authorization_code(provider, client, form).await,
        Some("refresh_token") => refresh_token(provider, client, form).await,
        Some("client_credentials") => client_credentials(provider, client, form),
        Some(_) => Err(OAuthError::UnsupportedGrantType(
            "unsupported grant_type".to_owned(),
        )),
        None => Err(OAuthError::InvalidRequest(
            "missing required parameter 'grant_type'".to_owned(),
        )),
    }
}

fn single<'f>(form: &'f Form, name: &str) -> Result<Option<&'f str>, OAuthError> {
    let mut values = form
        .iter()
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.as_str());
    let first = values.next();
    if values.next().is_some() {
        return Err(OAuthError::InvalidRequest(format!(
            "'{name}' parameter must only be provided once"
        )));
    }
    Ok(first.filter(|value| !value.is_empty()))
}

fn required<'f>(form: &'f Form, name: &str) -> Result<&'f str, OAuthError> {
    single(form, name)?
        .ok_or_else(|| OAuthError::InvalidRequest(format!("missing required parameter '{name}'")))
}

async fn authorization_code(
    provider: &Provider,
    client: &Application,
    form: &Form,
) -> Result<TokenResponse, OAuthError> {
    if client.kind != ApplicationType::Traditional {
        return Err(OAuthError::UnauthorizedClient(
            "this client cannot use authorization_code".to_owned(),
        ));
    }
    let code = required(form, "code")?;
    let redirect_uri = required(form, "redirect_uri")?;
    let verifier = required(form, "code_verifier")?;
    let now = provider.clock.unix_seconds();
    let record = match provider
        .store
        .consume(Kind::AuthorizationCode, &random::handle_of(code), now)
        .await?
    {
        Consumed::First(record) => record,
        Consumed::Already(record) => {
            // RFC 6749 §4.1.2: a reused code revokes what it issued.
            if let Some(grant) = &record.grant_id {
                provider.store.revoke_by_grant(grant).await?;
            }
            return Err(OAuthError::InvalidGrant(
                "authorization code already used".to_owned(),
            ));
        }
        Consumed::Missing => {
            return Err(OAuthError::InvalidGrant(
                "authorization code is invalid or expired".to_owned(),
            ))
        }
    };
    let code_record: AuthorizationCodeRecord =
        serde_json::from_value(record.payload).map_err(OAuthError::server)?;
    if code_record.client_id != client.id {
        return Err(OAuthError::InvalidGrant(
            "authorization code was issued to another client".to_owned(),
        ));
    }
    if code_record.redirect_uri != redirect_uri {
        return Err(OAuthError::InvalidGrant(
            "redirect_uri does not match the authorization request".to_owned(),
        ));
    }
    if !pkce::verify_s256(verifier, &code_record.code_challenge) {
        return Err(OAuthError::InvalidGrant(
            "PKCE verification failed".to_owned(),
        ));
    }
    let user = live_grant_user(provider, &code_record.grant_id, &code_record.user_id, now).await?;
    let refresh_token = if code_record.offline {
        let chain = RefreshTokenRecord {
            client_id: client.id.clone(),
            user_id: user.id.clone(),
            scopes: code_record.scopes.clone(),
            nonce: code_record.nonce.clone(),
            auth_time: code_record.auth_time,
            issued_at: now,
            grant_expires_at: now + GRANT_TTL,
            resources: code_record.resources.clone(),
        };
        Some(store_refresh_token(provider, chain, &code_record.grant_id).await?)
    } else {
        None
    };
    let resource = requested_resource(single(form, "resource")?, &code_record.resources)?;
    issue(
        provider,
        client,
        &user,
        &code_record.scopes,
        code_record.nonce.as_deref(),
        code_record.auth_time,
        &code_record.grant_id,
        refresh_token,
        resource,
    )
    .await
}

/// A `resource` on the token request must be one granted at authorization (RFC 8707 §2.2).
fn requested_resource<'f>(
    requested: Option<&'f str>,
    granted: &[String],
) -> Result<Option<&'f str>, OAuthError> {
    match requested {
        None => Ok(None),
        Some(resource) if granted.iter().any(|g| g == resource) => Ok(Some(resource)),
        Some(_) => Err(OAuthError::InvalidTarget(
            "the resource was not requested at authorization".to_owned(),
        )),
    }
}

async fn refresh_token(
    provider: &Provider,
    client: &Application,
    form: &Form,
) -> Result<TokenResponse, OAuthError> {
    let token = required(form, "refresh_token")?;
    let handle = random::handle_of(token);
    let now = provider.clock.unix_seconds();
    let invalid = || OAuthError::InvalidGrant("grant request is invalid".to_owned());
    let record = provider
        .store
        .find(Kind::RefreshToken, &handle, now)
        .await?
        .ok_or_else(invalid)?;
    let grant_id = record.grant_id.clone().ok_or_else(invalid)?;
    let chain: RefreshTokenRecord =
        serde_json::from_value(record.payload.clone()).map_err(OAuthError::server)?;
    if chain.client_id != client.id {
        return Err(invalid());
    }
    let within_grace = match record.consumed_at {
        None => false,
        Some(consumed_at) if now.saturating_sub(consumed_at) <= REFRESH_REUSE_GRACE => true,
        Some(_) => {
            tracing::warn!(client = %client.id, "refresh token reused: revoking its grant");
            provider.store.revoke_by_grant(&grant_id).await?;
            return Err(invalid());
        }
    };
    let scopes = narrowed_scopes(single(form, "scope")?, &chain.scopes)?;
    let user = live_grant_user(provider, &grant_id, &chain.user_id, now).await?;
    let new_refresh = if within_grace || refresh_rotation_due(chain.issued_at, record.expires_at, now)
    {
        Some(rotate(provider, &handle, &chain, &grant_id, now).await?)
    } else {
        None
    };
    issue(
        provider,
        client,
        &user,
        &scopes,
        chain.nonce.as_deref(),
        chain.auth_time,
        &grant_id,
        new_refresh,
        requested_resource(single(form, "resource")?, &chain.resources)?,
    )
    .await
}

fn client_credentials(
    provider: &Provider,
    client: &Application,
    form: &Form,
) -> Result<TokenResponse, OAuthError> {
    if client.kind != ApplicationType::MachineToMachine {
        return Err(OAuthError::UnauthorizedClient(
            "only machine-to-machine applications may use client_credentials".to_owned(),
        ));
    }
    let resource = single(form, "resource")?
        .ok_or_else(|| OAuthError::InvalidTarget("a resource indicator is required".to_owned()))?;
    let scope = m2m_scope(resource, single(form, "scope")?)?;
    let now = provider.clock.unix_seconds();
    let claims = serde_json::json!({
        "iss": provider.config.issuer(),
        "sub": client.id,
        "aud": resource,
        "client_id": client.id,
        "scope": scope,
        "iat": now,
        "exp": now + ACCESS_TOKEN_TTL,
        "jti": random::token(),
    });
    let access_token = provider.keys.sign("at+jwt", &claims)?;
    Ok(TokenResponse {
        access_token,
        expires_in: ACCESS_TOKEN_TTL,
        token_type: "Bearer",
        scope,
        id_token: None,
        refresh_token: None,
    })
}

/// The API resources machine-to-machine applications may ask tokens for, each with the scopes it
/// grants: only the Management API, with `all`. Registered M2M applications are trusted with it.
const M2M_RESOURCES: &[(&str, &[&str])] = &[(management::RESOURCE, &[management::auth::ALL_SCOPE])];

/// The granted scope for `resource` (RFC 8707 §2: an unknown resource is `invalid_target`):
/// the requested scopes the resource grants, in request order without duplicates; others are
/// dropped (as node-oidc-provider does), so the response's `scope` says what was granted.
fn m2m_scope(resource: &str, requested: Option<&str>) -> Result<String, OAuthError> {
    let (_, grantable) = M2M_RESOURCES
        .iter()
        .find(|(known, _)| *known == resource)
        .ok_or_else(|| OAuthError::InvalidTarget("the resource indicator is unknown".to_owned()))?;
    let mut granted: Vec<&str> = Vec::new();
    for scope in requested.unwrap_or_default().split(' ') {
        if grantable.contains(&scope) && !granted.contains(&scope) {
            granted.push(scope);
        }
    }
    Ok(granted.join(" "))
}

/// A narrower `scope` on refresh must be a subset of what was granted (RFC 6749 §6).
fn narrowed_scopes(requested: Option<&str>, granted: &[String]) -> Result<Vec<String>, OAuthError> {
    let Some(requested) = requested else {
        return Ok(granted.to_vec());
    };
    let scopes: Vec<String> = requested
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if scopes.iter().all(|scope| granted.contains(scope)) {
        Ok(scopes)
    } else {
        Err(OAuthError::InvalidScope(
            "refresh may only narrow the granted scope".to_owned(),
        ))
    }
}

/// The user of a grant that still exists.
async fn live_grant_user(
    provider: &Provider,
    grant_id: &str,
    user_id: &str,
    now: u64,
) -> Result<User, OAuthError> {
    if provider
        .store
        .find(Kind::Grant, grant_id, now)
        .await?
        .is_none()
    {
        return Err(OAuthError::InvalidGrant(
            "grant has been revoked".to_owned(),
        ));
    }
    provider
        .store
        .find_user(user_id)
        .await?
        .ok_or_else(|| OAuthError::InvalidGrant("the user no longer exists".to_owned()))
}

/// Replaces the refresh token `handle` by a new one of the same chain, as one atomic store step
/// ([`crate::idp::store::Store::rotate`]): concurrent refreshes within Logto's 3 s grace all get
/// a successor; a reuse after it revokes the grant.
async fn rotate(
    provider: &Provider,
    handle: &str,
    chain: &RefreshTokenRecord,
    grant_id: &str,
    now: u64,
) -> Result<String, OAuthError> {
    let next = RefreshTokenRecord {
        issued_at: now,
        ..chain.clone()
    };
    let token = random::token();
    let expires_at = (now + REFRESH_TOKEN_TTL).min(next.grant_expires_at);
    let payload = serde_json::to_value(&next).map_err(OAuthError::server)?;
    let successor = Record::new(payload, expires_at).with_grant(grant_id);
    match provider
        .store
        .rotate(
            Kind::RefreshToken,
            handle,
            &random::handle_of(&token),
            successor,
            REFRESH_REUSE_GRACE,
            now,
        )
        .await?
    {
        Rotation::Rotated(_) => Ok(token),
        Rotation::Reused { .. } => {
            tracing::warn!(client = %chain.client_id, "refresh token reused: revoked its grant");
            Err(OAuthError::InvalidGrant("grant request is invalid".to_owned()))
        }
        Rotation::Missing => Err(OAuthError::InvalidGrant("grant request is invalid".to_owned())),
    }
}

async fn store_refresh_token(
    provider: &Provider,
    chain: RefreshTokenRecord,
    grant_id: &str,
) -> Result<String, OAuthError> {
    let token = random::token();
    let expires_at = (chain.issued_at + REFRESH_TOKEN_TTL).min(chain.grant_expires_at);
    let payload = serde_json::to_value(&chain).map_err(OAuthError::server)?;
    provider
        .store
        .upsert(
            Kind::RefreshToken,
            &random::handle_of(&token),
            Record::new(payload, expires_at).with_grant(grant_id),
        )
        .await?;
    Ok(token)
}

#[allow(clippy::too_many_arguments)]
async fn issue(
    provider: &Provider,
    client: &Application,
    user: &User,
    scopes: &[String],
    nonce: Option<&str>,
    auth_time: u64,
    grant_id: &str,
    refresh_token: Option<String>,
    resource: Option<&str>,
) -> Result<TokenResponse, OAuthError> {
    let now = provider.clock.unix_seconds();
    let access_token = match resource {
        // For an API: a JWT it can verify with the JWKS (not usable at userinfo, as in Logto).
        Some(resource) => provider.keys.sign(
            "at+jwt",
            &serde_json::json!({
                "iss": provider.config.issuer(),
                "sub": user.id,
                "aud": resource,
                "client_id": client.id,
                "scope": scopes.join(" "),
                "iat": now,
                "exp": now + ACCESS_TOKEN_TTL,
                "jti": random::token(),
            }),
        )?,
        // For userinfo: an opaque handle to a stored record.
        None => {
            let access_token = random::token();
            let record = AccessTokenRecord {
                client_id: client.id.clone(),
                user_id: user.id.clone(),
                scopes: scopes.to_vec(),
            };
            let payload = serde_json::to_value(&record).map_err(OAuthError::server)?;
            provider
                .store
                .upsert(
                    Kind::AccessToken,
                    &random::handle_of(&access_token),
                    Record::new(payload, now + ACCESS_TOKEN_TTL).with_grant(grant_id),
                )
                .await?;
            access_token
        }
    };
    let mut claims = user_claims(user, scopes);
    claims.insert("iss".to_owned(), provider.config.issuer().into());
    claims.insert("aud".to_owned(), client.id.clone().into());
    claims.insert("iat".to_owned(), now.into());
    claims.insert("exp".to_owned(), (now + ID_TOKEN_TTL).into());
    claims.insert("auth_time".to_owned(), auth_time.into());
    if let Some(nonce) = nonce {
        claims.insert("nonce".to_owned(), nonce.into());
    }
    let id_token = provider.keys.sign("JWT", &claims)?;
    Ok(TokenResponse {
        access_token,
        expires_in: ACCESS_TOKEN_TTL,
        token_type: "Bearer",
        scope: scopes.join(" "),
        id_token: Some(id_token),
        refresh_token,
    })
}
