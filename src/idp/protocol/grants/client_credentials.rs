//! The client credentials grant (RFC 6749 §4.4) for machine-to-machine applications only: a JWT
//! access token for a registered API resource (RFC 8707 §2: a resource is required, an
//! unregistered one is `invalid_target`), carrying the requested scopes that resource defines
//! (the built-in Management API defines `all`), living the resource's `accessTokenTtl`.

use super::{registered_resource, resource_scopes};
use crate::idp::clients::{Application, ApplicationType};
use crate::idp::protocol::error::OAuthError;
use crate::idp::protocol::issuance::{issue_for_client, TokenResponse};
use crate::idp::Provider;

pub async fn grant(
    provider: &Provider,
    client: &Application,
    resource: Option<&str>,
    scope: Option<&[String]>,
) -> Result<TokenResponse, OAuthError> {
    if client.kind != ApplicationType::MachineToMachine {
        return Err(OAuthError::UnauthorizedClient(
            "only machine-to-machine applications may use client_credentials".to_owned(),
        ));
    }
    let indicator = resource
        .ok_or_else(|| OAuthError::InvalidTarget("a resource indicator is required".to_owned()))?;
    let resource = registered_resource(provider, indicator).await?;
    let scope = resource_scopes(&resource, scope);
    issue_for_client(provider, client, &resource, scope)
}
