//! The refresh token grant (RFC 6749 §6) with Logto's rotation (logto-compat.md §4): the token is
//! bound to its client; `scope` may only narrow, `resource` must have been granted; a token is
//! replaced once 70 % of its lifetime has passed; a replaced token stays usable for 3 s
//! (concurrent refreshes), and presenting it after that revokes the whole grant.
//!
//! Every check runs before anything is written; the rotation itself is one atomic store
//! operation ([`rotate`]), so concurrent refreshes never lose or duplicate a chain.

use super::{check_resource, live_grant_user, narrowed_scopes, Granted};
use crate::idp::clients::Application;
use crate::idp::protocol::error::OAuthError;
use crate::idp::protocol::records::{
    refresh_rotation_due, RefreshTokenRecord, REFRESH_REUSE_GRACE, REFRESH_TOKEN_TTL,
};
use crate::idp::random;
use crate::idp::store::{Kind, Record, Rotation};
use crate::idp::Provider;

fn invalid() -> OAuthError {
    OAuthError::InvalidGrant("grant request is invalid".to_owned())
}

pub async fn grant(
    provider: &Provider,
    client: &Application,
    refresh_token: &str,
    scope: Option<&[String]>,
    resource: Option<&str>,
) -> Result<Granted, OAuthError> {
    let handle = random::handle_of(refresh_token);
    let now = provider.clock.unix_seconds();
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
    let scopes = narrowed_scopes(scope, &chain.scopes)?;
    let resource = check_resource(provider, resource, &chain.resources).await?;
    let user = live_grant_user(provider, &grant_id, &chain.user_id, now).await?;
    let refresh_token = rotate(provider, &handle, &record, &chain, &grant_id, now).await?;
    Ok(Granted {
        user,
        scopes,
        nonce: chain.nonce,
        auth_time: chain.auth_time,
        grant_id,
        refresh_token,
        resource,
    })
}

/// The rotation decision and its writes, for the refresh token stored under `handle` (`found`
/// is its record as just read, `chain` its payload):
///
/// - consumed more than [`REFRESH_REUSE_GRACE`] seconds ago → reuse: the whole grant is revoked
///   and the request is `invalid_grant`;
/// - consumed within the grace (a concurrent refresh replaced it), or at least 70 % of its
///   lifetime passed → one atomic store step ([`crate::idp::store::Store::rotate`]) consumes it
///   (if not yet) and stores a new token of the chain — or, if it turns out consumed longer ago
///   than the grace by now, revokes the grant;
/// - otherwise → `None`: no new token, the client keeps the one it has.
///
/// Returns the new refresh token, if one was stored.
pub async fn rotate(
    provider: &Provider,
    handle: &str,
    found: &Record,
    chain: &RefreshTokenRecord,
    grant_id: &str,
    now: u64,
) -> Result<Option<String>, OAuthError> {
    let within_grace = match found.consumed_at {
        None => false,
        Some(consumed_at) if now.saturating_sub(consumed_at) <= REFRESH_REUSE_GRACE => true,
        Some(_) => {
            tracing::warn!(client = %chain.client_id, "refresh token reused: revoking its grant");
            provider.store.revoke_by_grant(grant_id).await?;
            return Err(invalid());
        }
    };
    if !within_grace && !refresh_rotation_due(chain.issued_at, found.expires_at, now) {
        return Ok(None);
    }
    let next = RefreshTokenRecord {
        issued_at: now,
        ..chain.clone()
    };
    let token = random::token();
    let expires_at = (now + REFRESH_TOKEN_TTL).min(next.grant_expires_at);
    let payload = serde_json::to_value(&next).map_err(OAuthError::server)?;
    let successor = Record::new(payload, expires_at).with_grant(grant_id);
    let rotation = provider
        .store
        .rotate(
            Kind::RefreshToken,
            handle,
            &random::handle_of(&token),
            successor,
            REFRESH_REUSE_GRACE,
            now,
        )
        .await?;
    match rotation {
        Rotation::Rotated(_) => Ok(Some(token)),
        Rotation::Reused { .. } => {
            tracing::warn!(client = %chain.client_id, "refresh token reused: revoked its grant");
            Err(invalid())
        }
        Rotation::Missing => Err(invalid()),
    }
}
