//! The provider's metadata (OIDC Discovery 1.0 §3–4): fetched once from
//! `{issuer}/.well-known/openid-configuration`, checked and cached for the life of the process. A
//! failed fetch is not cached, so the next use retries.
//!
//! A document whose `issuer` is not exactly the expected issuer is refused (Discovery §4.3;
//! conformance module `oidcc-client-test-discovery-issuer-mismatch`), as is one whose endpoints are
//! not http(s) URLs (https only when the issuer is https) or that lacks PKCE `S256` while listing
//! challenge methods. `authorization_response_iss_parameter_supported` (RFC 9207 §3) is recorded:
//! when true, every callback must carry `iss`.

use std::sync::Arc;

use serde::Deserialize;
use tokio::sync::OnceCell;
use url::Url;

use super::error::AuthError;
use super::http;

/// The only `code_challenge_method` the relying party sends (RFC 7636 §4.2; never `plain`).
pub const CHALLENGE_METHOD: &str = "S256";

/// The parts of the discovery document the relying party uses.
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    pub jwks_uri: Url,
    #[serde(default)]
    pub userinfo_endpoint: Option<Url>,
    #[serde(default)]
    pub end_session_endpoint: Option<Url>,
    #[serde(default)]
    pub revocation_endpoint: Option<Url>,
    /// RFC 9207 §3; absent means false.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
}

impl ProviderMetadata {
    /// Accepts the document only for `expected_issuer` and with usable endpoints.
    pub fn validate(self, expected_issuer: &str) -> Result<Self, AuthError> {
        if self.issuer != expected_issuer {
            return Err(AuthError::Discovery(
                "the document's issuer differs from the configured issuer".into(),
            ));
        }
        let https_only = expected_issuer.starts_with("https://");
        let endpoints = [
            Some(&self.authorization_endpoint),
            Some(&self.token_endpoint),
            Some(&self.jwks_uri),
            self.userinfo_endpoint.as_ref(),
            self.end_session_endpoint.as_ref(),
            self.revocation_endpoint.as_ref(),
        ];
        for endpoint in endpoints.into_iter().flatten() {
            let acceptable = match endpoint.scheme() {
                "https" => true,
                "http" => !https_only,
                _ => false,
            };
            if !acceptable {
                return Err(AuthError::Discovery(format!(
                    "endpoint with unacceptable scheme `{}`",
                    endpoint.scheme()
                )));
            }
        }
        if let Some(methods) = &self.code_challenge_methods_supported {
            if !methods.iter().any(|m| m == CHALLENGE_METHOD) {
                return Err(AuthError::Discovery(
                    "the provider does not support PKCE S256".into(),
                ));
            }
        }
        Ok(self)
    }
}

/// Fetches the metadata on first use and keeps it; retries on the next use after a failure.
#[derive(Debug, Default)]
pub struct DiscoveryCache {
    metadata: OnceCell<Arc<ProviderMetadata>>,
}

impl DiscoveryCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The cached metadata, fetching it first if needed (concurrent callers share one fetch).
    pub async fn get(
        &self,
        client: &reqwest::Client,
        discovery_url: &str,
        expected_issuer: &str,
    ) -> Result<Arc<ProviderMetadata>, AuthError> {
        self.metadata
            .get_or_try_init(|| async {
                fetch(client, discovery_url, expected_issuer)
                    .await
                    .map(Arc::new)
            })
            .await
            .cloned()
    }

    /// Pre-loads metadata (unit tests that must not touch the network).
    #[cfg(test)]
    pub(crate) fn seed(&self, metadata: ProviderMetadata) {
        let _ = self.metadata.set(Arc::new(metadata));
    }
}

async fn fetch(
    client: &reqwest::Client,
    discovery_url: &str,
    expected_issuer: &str,
) -> Result<ProviderMetadata, AuthError> {
    let body = http::send("discovery", client.get(discovery_url)).await?;
    if body.status != reqwest::StatusCode::OK {
        tracing::warn!(status = %body.status, "discovery document fetch failed");
        return Err(AuthError::Discovery(format!(
            "HTTP {}",
            body.status.as_u16()
        )));
    }
    let metadata: ProviderMetadata = serde_json::from_slice(&body.bytes)
        .map_err(|_| AuthError::Discovery("the document is not valid provider metadata".into()))?;
    let metadata = metadata.validate(expected_issuer)?;
    tracing::info!(
        issuer = %metadata.issuer,
        iss_parameter = metadata.authorization_response_iss_parameter_supported,
        "provider metadata loaded"
    );
    Ok(metadata)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(issuer: &str, scheme: &str) -> ProviderMetadata {
        serde_json::from_value(serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{scheme}://idp.example/oidc/auth"),
            "token_endpoint": format!("{scheme}://idp.example/oidc/token"),
            "jwks_uri": format!("{scheme}://idp.example/oidc/jwks"),
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": true
        }))
        .unwrap()
    }

    #[test]
    fn issuer_must_match_exactly() {
        let ok = document("https://idp.example/oidc", "https");
        assert!(ok.validate("https://idp.example/oidc").is_ok());
        let trailing = document("https://idp.example/oidc/", "https");
        assert!(matches!(
            trailing.validate("https://idp.example/oidc"),
            Err(AuthError::Discovery(_))
        ));
    }

    #[test]
    fn https_issuer_refuses_http_endpoints() {
        let doc = document("https://idp.example/oidc", "http");
        assert!(doc.validate("https://idp.example/oidc").is_err());
    }

    #[test]
    fn iss_parameter_support_defaults_to_false() {
        let doc: ProviderMetadata = serde_json::from_value(serde_json::json!({
            "issuer": "https://idp.example/oidc",
            "authorization_endpoint": "https://idp.example/oidc/auth",
            "token_endpoint": "https://idp.example/oidc/token",
            "jwks_uri": "https://idp.example/oidc/jwks"
        }))
        .unwrap();
        assert!(!doc.authorization_response_iss_parameter_supported);
    }
}
