//! What the relying party needs to know about itself and its provider, passed in by the
//! composition root (no global settings are read here).
//!
//! The issuer is derived, never configured separately: Logto's issuer is `{endpoint}/oidc`
//! (see `logto-compat.md` §1), and the discovery document must name exactly that issuer
//! (OIDC Discovery 1.0 §4.3).

use std::time::Duration;

use url::Url;

use crate::secret::Secret;

/// The relying party's registration at the provider and its HTTP behaviour.
#[derive(Debug, Clone)]
pub struct RpConfig {
    /// The provider's base URL, e.g. `https://tenant.logto.app` (no `/oidc`).
    pub endpoint: Url,
    /// The app id registered at the provider.
    pub client_id: String,
    /// The app secret; sent only in the HTTP Basic header (RFC 6749 §2.3.1).
    pub client_secret: Secret,
    /// The registered callback, e.g. `{base}/logto/sign-in-callback`; always from configuration,
    /// never from request headers.
    pub redirect_uri: Url,
    /// Where the provider sends the browser after sign-out.
    pub post_logout_redirect_uri: Url,
    /// Scopes requested on top of `openid offline_access profile` (e.g. `email`, `roles`).
    pub extra_scopes: Vec<String>,
    /// API resource indicators (RFC 8707) requested at sign-in.
    pub resources: Vec<String>,
    /// Bound on every provider call (connect + response).
    pub http_timeout: Duration,
}

impl RpConfig {
    /// `{endpoint}/oidc`, without a trailing slash on the endpoint.
    pub fn issuer(&self) -> String {
        format!("{}/oidc", self.endpoint.as_str().trim_end_matches('/'))
    }

    /// `{issuer}/.well-known/openid-configuration` (OIDC Discovery 1.0 §4).
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(endpoint: &str) -> RpConfig {
        RpConfig {
            endpoint: Url::parse(endpoint).unwrap(),
            client_id: "app".into(),
            client_secret: Secret::new("s"),
            redirect_uri: Url::parse("http://localhost:3000/logto/sign-in-callback").unwrap(),
            post_logout_redirect_uri: Url::parse("http://localhost:3000/").unwrap(),
            extra_scopes: vec![],
            resources: vec![],
            http_timeout: Duration::from_secs(10),
        }
    }

    #[test]
    fn issuer_is_endpoint_slash_oidc() {
        assert_eq!(
            config("https://tenant.logto.app").issuer(),
            "https://tenant.logto.app/oidc"
        );
        assert_eq!(
            config("https://tenant.logto.app/").issuer(),
            "https://tenant.logto.app/oidc"
        );
        assert_eq!(
            config("http://127.0.0.1:3001").discovery_url(),
            "http://127.0.0.1:3001/oidc/.well-known/openid-configuration"
        );
    }
}
