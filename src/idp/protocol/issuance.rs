//! Issuing tokens at the token endpoint (RFC 6749 §5.1, OIDC Core §3.1.3.3): the access token
//! (opaque for userinfo, or a JWT for an API resource, RFC 8707 §2.2 and RFC 9068, living that
//! resource's `accessTokenTtl`), the ID token, and the response carrying them. Grants decide
//! what to issue; this module only issues it.

use super::claims::user_claims;
use super::error::OAuthError;
use super::records::{AccessTokenRecord, ACCESS_TOKEN_TTL, ID_TOKEN_TTL};
use crate::idp::clients::Application;
use crate::idp::random;
use crate::idp::resources::ApiResource;
use crate::idp::store::{Kind, Record, User};
use crate::idp::Provider;
use serde::Serialize;

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires_in: u64,
    pub token_type: &'static str,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// What a user's grant (code or refresh) issues.
pub struct Issue<'a> {
    pub client: &'a Application,
    pub user: &'a User,
    pub scopes: &'a [String],
    /// Echoed into the ID token (the original one on refresh).
    pub nonce: Option<&'a str>,
    pub auth_time: u64,
    pub grant_id: &'a str,
    /// Already stored by the grant, when one is issued.
    pub refresh_token: Option<String>,
    /// A registered resource granted at authorization: the access token is a JWT for it.
    pub resource: Option<&'a ApiResource>,
}

/// Issues the access token and the ID token of a user's grant.
pub async fn issue(provider: &Provider, issue: Issue<'_>) -> Result<TokenResponse, OAuthError> {
    let now = provider.clock.unix_seconds();
    let scope = issue.scopes.join(" ");
    let (access_token, expires_in) = match issue.resource {
        // For an API: a JWT it can verify with the JWKS (not usable at userinfo, as in Logto).
        Some(resource) => {
            let claims = serde_json::json!({
                "iss": provider.config.issuer(),
                "sub": issue.user.id,
                "aud": resource.indicator,
                "client_id": issue.client.id,
                "scope": scope,
                "iat": now,
                "exp": now.saturating_add(resource.access_token_ttl),
                "jti": random::token(),
            });
            (
                provider.keys.sign("at+jwt", &claims)?,
                resource.access_token_ttl,
            )
        }
        // For userinfo: an opaque handle to a stored record.
        None => {
            let access_token = random::token();
            let record = AccessTokenRecord {
                client_id: issue.client.id.clone(),
                user_id: issue.user.id.clone(),
                scopes: issue.scopes.to_vec(),
            };
            let payload = serde_json::to_value(&record).map_err(OAuthError::server)?;
            provider
                .store
                .upsert(
                    Kind::AccessToken,
                    &random::handle_of(&access_token),
                    Record::new(payload, now + ACCESS_TOKEN_TTL).with_grant(issue.grant_id),
                )
                .await?;
            (access_token, ACCESS_TOKEN_TTL)
        }
    };
    let mut claims = user_claims(issue.user, issue.scopes);
    claims.insert("iss".to_owned(), provider.config.issuer().into());
    claims.insert("aud".to_owned(), issue.client.id.clone().into());
    claims.insert("iat".to_owned(), now.into());
    claims.insert("exp".to_owned(), (now + ID_TOKEN_TTL).into());
    claims.insert("auth_time".to_owned(), issue.auth_time.into());
    if let Some(nonce) = issue.nonce {
        claims.insert("nonce".to_owned(), nonce.into());
    }
    let id_token = provider.keys.sign("JWT", &claims)?;
    Ok(TokenResponse {
        access_token,
        expires_in,
        token_type: "Bearer",
        scope,
        id_token: Some(id_token),
        refresh_token: issue.refresh_token,
    })
}

/// Issues a machine-to-machine application's JWT access token for `resource` with the already
/// granted `scope` (RFC 6749 §4.4.3: no refresh token, no ID token).
pub fn issue_for_client(
    provider: &Provider,
    client: &Application,
    resource: &ApiResource,
    scope: String,
) -> Result<TokenResponse, OAuthError> {
    let now = provider.clock.unix_seconds();
    let claims = serde_json::json!({
        "iss": provider.config.issuer(),
        "sub": client.id,
        "aud": resource.indicator,
        "client_id": client.id,
        "scope": scope,
        "iat": now,
        "exp": now.saturating_add(resource.access_token_ttl),
        "jti": random::token(),
    });
    Ok(TokenResponse {
        access_token: provider.keys.sign("at+jwt", &claims)?,
        expires_in: resource.access_token_ttl,
        token_type: "Bearer",
        scope,
        id_token: None,
        refresh_token: None,
    })
}
