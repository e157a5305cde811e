//! `/oidc/me` (OIDC Core §5.3: claims of the granted scopes for an opaque access token) and
//! `/oidc/token/revocation` (RFC 7009: always 200; revoking a refresh token revokes its grant).

use super::client_auth::authenticate;
use crate::idp::protocol::claims::user_claims;
use crate::idp::protocol::error::OAuthError;
use crate::idp::protocol::records::{AccessTokenRecord, RefreshTokenRecord};
use crate::idp::random;
use crate::idp::store::Kind;
use crate::idp::Provider;
use axum::extract::{RawForm, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

pub async fn userinfo(State(provider): State<Provider>, headers: HeaderMap) -> Response {
    match claims_for(&provider, &headers).await {
        Ok(claims) => Json(claims).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn claims_for(
    provider: &Provider,
    headers: &HeaderMap,
) -> Result<serde_json::Map<String, serde_json::Value>, OAuthError> {
    let invalid =
        || OAuthError::InvalidToken("access token is missing, invalid or expired".to_owned());
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(invalid)?;
    let now = provider.clock.unix_seconds();
    let record = provider
        .store
        .find(Kind::AccessToken, &random::handle_of(token.trim()), now)
        .await?
        .ok_or_else(invalid)?;
    let access: AccessTokenRecord =
        serde_json::from_value(record.payload).map_err(OAuthError::server)?;
    let user = provider
        .store
        .find_user(&access.user_id)
        .await?
        .ok_or_else(invalid)?;
    Ok(user_claims(&user, &access.scopes))
}

pub async fn revocation(
    State(provider): State<Provider>,
    headers: HeaderMap,
    RawForm(body): RawForm,
) -> Response {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    match revoke(&provider, &headers, &form).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(error) => error.into_response(),
    }
}

async fn revoke(
    provider: &Provider,
    headers: &HeaderMap,
    form: &[(String, String)],
) -> Result<(), OAuthError> {
    let client = authenticate(provider, headers, form)?;
    let Some(token) = form
        .iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.as_str())
    else {
        return Err(OAuthError::InvalidRequest(
            "missing required parameter 'token'".to_owned(),
        ));
    };
    let handle = random::handle_of(token);
    let now = provider.clock.unix_seconds();
    if let Some(record) = provider
        .store
        .find(Kind::RefreshToken, &handle, now)
        .await?
    {
        let owner =
            serde_json::from_value::<RefreshTokenRecord>(record.payload).map(|r| r.client_id);
        if owner.is_ok_and(|id| id == client.id) {
            if let Some(grant) = record.grant_id {
                provider.store.revoke_by_grant(&grant).await?;
            }
        }
    } else if let Some(record) = provider.store.find(Kind::AccessToken, &handle, now).await? {
        let owner =
            serde_json::from_value::<AccessTokenRecord>(record.payload).map(|r| r.client_id);
        if owner.is_ok_and(|id| id == client.id) {
            provider.store.destroy(Kind::AccessToken, &handle).await?;
        }
    }
    Ok(())
}
