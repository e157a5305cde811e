//! The authorization code grant (RFC 6749 §4.1.3, PKCE RFC 7636 §4.6). The code is checked
//! before it is consumed, so that nobody but its rightful client can burn it:
//!
//! 1. `find` the code (a consumed one is still found);
//! 2. issued to another client → `invalid_grant`, nothing changes;
//! 3. already consumed → its grant is revoked (RFC 6749 §4.1.2: a replay revokes what the code
//!    issued) and `invalid_grant`;
//! 4. `redirect_uri`, PKCE verifier, resource (RFC 8707) and the grant's liveness are checked —
//!    a mismatch is an error and the code stays usable;
//! 5. only then the code is consumed, atomically: losing a race to a concurrent exchange is a
//!    replay too (revoke, refuse). After consuming nothing can fail but storage.

use super::{check_resource, live_grant_user, store_refresh_token, Granted};
use crate::idp::clients::{Application, ApplicationType};
use crate::idp::protocol::error::OAuthError;
use crate::idp::protocol::pkce;
use crate::idp::protocol::records::{AuthorizationCodeRecord, RefreshTokenRecord, GRANT_TTL};
use crate::idp::random;
use crate::idp::store::{Consumed, Kind};
use crate::idp::Provider;

/// The parameters of the exchange.
pub struct Exchange<'r> {
    pub code: &'r str,
    pub redirect_uri: &'r str,
    pub code_verifier: &'r str,
    pub resource: Option<&'r str>,
}

fn expired() -> OAuthError {
    OAuthError::InvalidGrant("authorization code is invalid or expired".to_owned())
}

fn already_used() -> OAuthError {
    OAuthError::InvalidGrant("authorization code already used".to_owned())
}

pub async fn grant(
    provider: &Provider,
    client: &Application,
    exchange: Exchange<'_>,
) -> Result<Granted, OAuthError> {
    if client.kind != ApplicationType::Traditional {
        return Err(OAuthError::UnauthorizedClient(
            "this client cannot use authorization_code".to_owned(),
        ));
    }
    let handle = random::handle_of(exchange.code);
    let now = provider.clock.unix_seconds();
    let record = provider
        .store
        .find(Kind::AuthorizationCode, &handle, now)
        .await?
        .ok_or_else(expired)?;
    let code: AuthorizationCodeRecord =
        serde_json::from_value(record.payload).map_err(OAuthError::server)?;
    if code.client_id != client.id {
        return Err(OAuthError::InvalidGrant(
            "authorization code was issued to another client".to_owned(),
        ));
    }
    if record.consumed_at.is_some() {
        provider.store.revoke_by_grant(&code.grant_id).await?;
        return Err(already_used());
    }
    if code.redirect_uri != exchange.redirect_uri {
        return Err(OAuthError::InvalidGrant(
            "redirect_uri does not match the authorization request".to_owned(),
        ));
    }
    if !pkce::verify_s256(exchange.code_verifier, &code.code_challenge) {
        return Err(OAuthError::InvalidGrant(
            "PKCE verification failed".to_owned(),
        ));
    }
    let resource = check_resource(provider, exchange.resource, &code.resources).await?;
    let user = live_grant_user(provider, &code.grant_id, &code.user_id, now).await?;
    match provider
        .store
        .consume(Kind::AuthorizationCode, &handle, now)
        .await?
    {
        Consumed::First(_) => {}
        Consumed::Already(_) => {
            // A concurrent exchange won: a second use all the same.
            provider.store.revoke_by_grant(&code.grant_id).await?;
            return Err(already_used());
        }
        Consumed::Missing => return Err(expired()),
    }
    let refresh_token = if code.offline {
        let chain = RefreshTokenRecord {
            client_id: client.id.clone(),
            user_id: user.id.clone(),
            scopes: code.scopes.clone(),
            nonce: code.nonce.clone(),
            auth_time: code.auth_time,
            issued_at: now,
            grant_expires_at: now + GRANT_TTL,
            resources: code.resources.clone(),
        };
        Some(store_refresh_token(provider, &chain, &code.grant_id).await?)
    } else {
        None
    };
    Ok(Granted {
        user,
        scopes: code.scopes,
        nonce: code.nonce,
        auth_time: code.auth_time,
        grant_id: code.grant_id,
        refresh_token,
        resource,
    })
}
