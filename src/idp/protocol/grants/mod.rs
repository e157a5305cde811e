//! The token endpoint's grants (RFC 6749 §4.1.3, §6, §4.4) as units behind one dispatcher. The
//! endpoint parses the form once into a [`TokenRequest`]; [`dispatch`] authenticates the client,
//! hands the request to its grant's unit (`authorization_code`, `refresh_token`,
//! `client_credentials`) and issues what the unit granted. The phases every grant shares live
//! here: client authentication, the resource policy (RFC 8707: only registered resources, and for
//! a user's grant only those granted at authorization), the scope policy (refresh may only
//! narrow; a machine-to-machine token gets the requested scopes its resource defines), the
//! grant's liveness, and storing a refresh token.

pub mod authorization_code;
pub mod client_credentials;
pub mod refresh_token;

use super::error::OAuthError;
use super::issuance::{self, Issue, TokenResponse};
use super::records::{RefreshTokenRecord, REFRESH_TOKEN_TTL};
use crate::idp::clients::{Application, Clients};
use crate::idp::random;
use crate::idp::resources::ApiResource;
use crate::idp::store::{Kind, Record, User};
use crate::idp::Provider;
use crate::secret::Secret;

/// A token request as parsed from the form, one variant per grant (each parameter at most once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRequest {
    /// RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.5) and RFC 8707 §2.2.
    AuthorizationCode {
        code: String,
        redirect_uri: String,
        code_verifier: String,
        resource: Option<String>,
    },
    /// RFC 6749 §6.
    RefreshToken {
        refresh_token: String,
        /// Space-separated words, split; `None` when absent or empty.
        scope: Option<Vec<String>>,
        resource: Option<String>,
    },
    /// RFC 6749 §4.4.2.
    ClientCredentials {
        resource: Option<String>,
        scope: Option<Vec<String>>,
    },
}

/// What the client presented to authenticate (RFC 6749 §2.3.1), either way it was sent.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub id: String,
    pub secret: Secret,
}

/// What a user's grant settled, for the dispatcher to issue.
pub struct Granted {
    pub user: User,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub auth_time: u64,
    pub grant_id: String,
    /// Stored already, when one is issued.
    pub refresh_token: Option<String>,
    pub resource: Option<ApiResource>,
}

/// Authenticates the client, runs its grant, issues the result.
pub async fn dispatch(
    provider: &Provider,
    credentials: &ClientCredentials,
    request: TokenRequest,
) -> Result<TokenResponse, OAuthError> {
    let client = authenticate(&provider.clients, credentials)?;
    match request {
        TokenRequest::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
            resource,
        } => {
            let exchange = authorization_code::Exchange {
                code: &code,
                redirect_uri: &redirect_uri,
                code_verifier: &code_verifier,
                resource: resource.as_deref(),
            };
            let granted = authorization_code::grant(provider, client, exchange).await?;
            issue_granted(provider, client, granted).await
        }
        TokenRequest::RefreshToken {
            refresh_token,
            scope,
            resource,
        } => {
            let granted = refresh_token::grant(
                provider,
                client,
                &refresh_token,
                scope.as_deref(),
                resource.as_deref(),
            )
            .await?;
            issue_granted(provider, client, granted).await
        }
        TokenRequest::ClientCredentials { resource, scope } => {
            client_credentials::grant(provider, client, resource.as_deref(), scope.as_deref()).await
        }
    }
}

/// Client authentication: an unknown id and a wrong secret take the same path and get the same
/// `invalid_client` (401).
pub fn authenticate<'c>(
    clients: &'c Clients,
    credentials: &ClientCredentials,
) -> Result<&'c Application, OAuthError> {
    clients
        .authenticate(&credentials.id, credentials.secret.expose())
        .ok_or_else(|| OAuthError::InvalidClient("client authentication failed".to_owned()))
}

/// Issues a user's grant; then, if the grant was revoked meanwhile (a concurrent replay of its
/// code or refresh token), revokes again so that nothing just issued outlives the revocation.
async fn issue_granted(
    provider: &Provider,
    client: &Application,
    granted: Granted,
) -> Result<TokenResponse, OAuthError> {
    let response = issuance::issue(
        provider,
        Issue {
            client,
            user: &granted.user,
            scopes: &granted.scopes,
            nonce: granted.nonce.as_deref(),
            auth_time: granted.auth_time,
            grant_id: &granted.grant_id,
            refresh_token: granted.refresh_token,
            resource: granted.resource.as_ref(),
        },
    )
    .await?;
    let now = provider.clock.unix_seconds();
    if provider
        .store
        .find(Kind::Grant, &granted.grant_id, now)
        .await?
        .is_none()
    {
        provider.store.revoke_by_grant(&granted.grant_id).await?;
    }
    Ok(response)
}

fn unknown_resource() -> OAuthError {
    OAuthError::InvalidTarget("resource indicator is missing, or unknown".to_owned())
}

/// The registered resource `indicator` names (RFC 8707 §2: otherwise `invalid_target`).
pub(crate) async fn registered_resource(
    provider: &Provider,
    indicator: &str,
) -> Result<ApiResource, OAuthError> {
    let registry = provider
        .resources
        .snapshot()
        .await
        .map_err(OAuthError::server)?;
    registry
        .by_indicator(indicator)
        .cloned()
        .ok_or_else(unknown_resource)
}

/// Resource policy of a user's grant: a `resource` on the token request must be registered and
/// must have been granted at authorization (RFC 8707 §2.2).
pub(crate) async fn check_resource(
    provider: &Provider,
    requested: Option<&str>,
    granted: &[String],
) -> Result<Option<ApiResource>, OAuthError> {
    let Some(indicator) = requested else {
        return Ok(None);
    };
    let resource = registered_resource(provider, indicator).await?;
    if granted.iter().any(|g| g == indicator) {
        Ok(Some(resource))
    } else {
        Err(OAuthError::InvalidTarget(
            "the resource was not requested at authorization".to_owned(),
        ))
    }
}

/// Scope policy of refresh: a `scope` must be a subset of what was granted (RFC 6749 §6).
pub(crate) fn narrowed_scopes(
    requested: Option<&[String]>,
    granted: &[String],
) -> Result<Vec<String>, OAuthError> {
    let Some(requested) = requested else {
        return Ok(granted.to_vec());
    };
    if requested.iter().all(|scope| granted.contains(scope)) {
        Ok(requested.to_vec())
    } else {
        Err(OAuthError::InvalidScope(
            "refresh may only narrow the granted scope".to_owned(),
        ))
    }
}

/// Scope policy of machine-to-machine tokens: the requested scopes `resource` defines, in request
/// order without duplicates; others are dropped (as node-oidc-provider does), so the response's
/// `scope` says what was granted.
pub(crate) fn resource_scopes(resource: &ApiResource, requested: Option<&[String]>) -> String {
    let mut granted: Vec<&str> = Vec::new();
    for scope in requested.unwrap_or_default() {
        if resource.has_scope(scope) && !granted.contains(&scope.as_str()) {
            granted.push(scope);
        }
    }
    granted.join(" ")
}

/// The user of a grant that still exists.
pub(crate) async fn live_grant_user(
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

/// Stores a new refresh token of `chain` under `grant_id` and returns it. It expires 14 days after
/// issue, never after the grant.
pub(crate) async fn store_refresh_token(
    provider: &Provider,
    chain: &RefreshTokenRecord,
    grant_id: &str,
) -> Result<String, OAuthError> {
    let token = random::token();
    let expires_at = (chain.issued_at + REFRESH_TOKEN_TTL).min(chain.grant_expires_at);
    let payload = serde_json::to_value(chain).map_err(OAuthError::server)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idp::resources::ResourceScope;

    fn words(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_owned).collect()
    }

    fn api(scopes: &[&str]) -> ApiResource {
        ApiResource {
            tenant_id: "default".to_owned(),
            id: "r".to_owned(),
            name: "API".to_owned(),
            indicator: "https://api.example.com".to_owned(),
            is_default: false,
            access_token_ttl: 600,
            scopes: scopes
                .iter()
                .map(|name| ResourceScope {
                    tenant_id: "default".to_owned(),
                    id: format!("s-{name}"),
                    resource_id: "r".to_owned(),
                    name: (*name).to_owned(),
                    description: None,
                    created_at: 0,
                })
                .collect(),
            created_at: 0,
        }
    }

    #[test]
    fn refresh_may_only_narrow_the_scope() {
        let granted = words("openid profile email");
        assert_eq!(narrowed_scopes(None, &granted).unwrap(), granted);
        assert_eq!(
            narrowed_scopes(Some(&words("openid email")), &granted).unwrap(),
            words("openid email")
        );
        assert_eq!(
            narrowed_scopes(Some(&words("openid phone")), &granted)
                .unwrap_err()
                .error_code(),
            "invalid_scope"
        );
    }

    #[test]
    fn machine_tokens_get_the_requested_scopes_the_resource_defines() {
        let resource = api(&["read", "write"]);
        assert_eq!(
            resource_scopes(&resource, Some(&words("write admin read write"))),
            "write read"
        );
        assert_eq!(resource_scopes(&resource, None), "");
    }

    #[test]
    fn unknown_client_and_wrong_secret_are_the_same_error() {
        let clients = Clients::load(
            vec![Application {
                id: "a".to_owned(),
                secret: Secret::new("s"),
                name: "A".to_owned(),
                kind: crate::idp::clients::ApplicationType::MachineToMachine,
                redirect_uris: vec![],
                post_logout_redirect_uris: vec![],
            }],
            None,
        )
        .unwrap();
        let attempt = |id: &str, secret: &str| {
            authenticate(
                &clients,
                &ClientCredentials {
                    id: id.to_owned(),
                    secret: Secret::new(secret),
                },
            )
            .map(|client| client.id.clone())
        };
        assert_eq!(attempt("a", "s"), Ok("a".to_owned()));
        let wrong = attempt("a", "x").unwrap_err();
        let unknown = attempt("b", "s").unwrap_err();
        assert_eq!(wrong, unknown);
        assert_eq!(wrong.error_code(), "invalid_client");
    }
}
