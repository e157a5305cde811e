//! The provider's signing keys (RFC 7517), fetched only from the discovery document's `jwks_uri`
//! and cached by `kid`.
//!
//! Key selection (OIDC Core §10.1.1; conformance `kid-absent-*`, `signing-key-rotation*`):
//! - a token with a `kid` uses the one key with that `kid`; an unknown `kid` triggers one refetch,
//!   at most one per [`REFETCH_INTERVAL_SECS`] (so forged `kid`s cannot make us hammer the
//!   provider), then the lookup is retried once;
//! - a token without `kid` is accepted only when the JWKS holds exactly one signing key.
//!
//! Keys marked `use: enc`, symmetric (`oct`) keys and keys of unknown types are ignored. A key is
//! used only for its own algorithm: ES384 needs an EC P-384 key, RS256 an RSA key of at least
//! 2048 bits, and a key that names its `alg` must name this one.

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::DecodingKey;
use serde::Deserialize;
use tokio::sync::Mutex;

use super::error::{AuthError, IdTokenError};
use super::http;
use super::id_token::SigningAlg;

/// An unknown `kid` refetches the JWKS at most once per this many seconds.
pub const REFETCH_INTERVAL_SECS: u64 = 30;

/// Smallest RSA modulus accepted, in bytes (2048 bits).
const MIN_RSA_MODULUS_BYTES: usize = 256;

/// The outcome of looking a `kid` up in a key set.
#[derive(Debug)]
pub enum Lookup<'a> {
    Found(&'a Jwk),
    Unknown,
    Ambiguous,
}

/// Picks the verification key for a token's `kid` from `keys` (pure; see the module docs).
pub fn select<'a>(keys: &'a [Jwk], kid: Option<&str>) -> Lookup<'a> {
    let mut candidates = keys
        .iter()
        .filter(|key| kid.is_none() || key.common.key_id.as_deref() == kid);
    match (candidates.next(), candidates.next()) {
        (None, _) => Lookup::Unknown,
        (Some(key), None) => Lookup::Found(key),
        (Some(_), Some(_)) => Lookup::Ambiguous,
    }
}

/// Turns `jwk` into a key that verifies `alg`, or explains why it cannot.
pub fn decoding_key(jwk: &Jwk, alg: SigningAlg) -> Result<DecodingKey, IdTokenError> {
    if let Some(key_alg) = jwk.common.key_algorithm {
        let expected = match alg {
            SigningAlg::Es384 => KeyAlgorithm::ES384,
            SigningAlg::Rs256 => KeyAlgorithm::RS256,
        };
        if key_alg != expected {
            return Err(IdTokenError::UnusableKey);
        }
    }
    match (alg, &jwk.algorithm) {
        (SigningAlg::Es384, AlgorithmParameters::EllipticCurve(params))
            if params.curve == EllipticCurve::P384 =>
        {
            DecodingKey::from_ec_components(&params.x, &params.y)
                .map_err(|_| IdTokenError::UnusableKey)
        }
        (SigningAlg::Rs256, AlgorithmParameters::RSA(params)) => {
            let key = DecodingKey::from_rsa_components(&params.n, &params.e)
                .map_err(|_| IdTokenError::UnusableKey)?;
            let modulus_bytes = match key.kind() {
                jsonwebtoken::DecodingKeyKind::RsaModulusExponent { n, .. } => {
                    n.iter().skip_while(|byte| **byte == 0).count()
                }
                jsonwebtoken::DecodingKeyKind::SecretOrDer(_) => 0,
            };
            if modulus_bytes < MIN_RSA_MODULUS_BYTES {
                return Err(IdTokenError::UnusableKey);
            }
            Ok(key)
        }
        _ => Err(IdTokenError::UnusableKey),
    }
}

/// Parses a JWKS document, keeping only asymmetric signing keys of known types.
pub fn parse_key_set(bytes: &[u8]) -> Result<Vec<Jwk>, AuthError> {
    #[derive(Deserialize)]
    struct RawSet {
        keys: Vec<serde_json::Value>,
    }
    let raw: RawSet = serde_json::from_slice(bytes)
        .map_err(|_| AuthError::Jwks("the document is not a JWK set".into()))?;
    let keys = raw
        .keys
        .into_iter()
        .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
        .filter(|key| {
            matches!(
                key.common.public_key_use,
                None | Some(PublicKeyUse::Signature)
            )
        })
        .filter(|key| {
            matches!(
                key.algorithm,
                AlgorithmParameters::EllipticCurve(_) | AlgorithmParameters::RSA(_)
            )
        })
        .collect();
    Ok(keys)
}

#[derive(Debug, Default)]
struct State {
    keys: Option<Vec<Jwk>>,
    last_fetch: Option<u64>,
}

/// The cached JWKS, shared by all verifications of one relying party.
#[derive(Debug, Default)]
pub struct JwksCache {
    state: Mutex<State>,
}

impl JwksCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The key for a token with header `kid`, fetching the JWKS on first use and refetching once
    /// (rate-limited) when the `kid` is unknown.
    pub async fn key(
        &self,
        client: &reqwest::Client,
        jwks_uri: &url::Url,
        kid: Option<&str>,
        now: u64,
    ) -> Result<Jwk, AuthError> {
        let mut state = self.state.lock().await;
        if state.keys.is_none() {
            state.last_fetch = Some(now);
            state.keys = Some(fetch(client, jwks_uri).await?);
        }
        match select(state.keys.as_deref().unwrap_or_default(), kid) {
            Lookup::Found(key) => return Ok(key.clone()),
            Lookup::Ambiguous => return Err(IdTokenError::AmbiguousKey.into()),
            Lookup::Unknown => {}
        }
        let may_refetch = state
            .last_fetch
            .is_none_or(|last| now >= last.saturating_add(REFETCH_INTERVAL_SECS));
        if !may_refetch {
            return Err(IdTokenError::UnknownKey.into());
        }
        state.last_fetch = Some(now);
        tracing::info!("unknown signing key; refetching the JWKS");
        state.keys = Some(fetch(client, jwks_uri).await?);
        match select(state.keys.as_deref().unwrap_or_default(), kid) {
            Lookup::Found(key) => Ok(key.clone()),
            Lookup::Ambiguous => Err(IdTokenError::AmbiguousKey.into()),
            Lookup::Unknown => Err(IdTokenError::UnknownKey.into()),
        }
    }

    /// For a token without `kid` whose signature the cached single key did not verify: the
    /// provider may have rotated to another single key (OIDC Core §10.1 lets it omit `kid` then).
    /// Refetches once (rate-limited like unknown `kid`s) and returns the set's single key if it
    /// changed; `None` when no refetch is allowed yet or the key is the same.
    pub async fn rotated_single_key(
        &self,
        client: &reqwest::Client,
        jwks_uri: &url::Url,
        previous: &Jwk,
        now: u64,
    ) -> Result<Option<Jwk>, AuthError> {
        let mut state = self.state.lock().await;
        let may_refetch = state
            .last_fetch
            .is_none_or(|last| now >= last.saturating_add(REFETCH_INTERVAL_SECS));
        if !may_refetch {
            return Ok(None);
        }
        state.last_fetch = Some(now);
        tracing::info!("signature not verified by the only cached key; refetching the JWKS");
        state.keys = Some(fetch(client, jwks_uri).await?);
        match select(state.keys.as_deref().unwrap_or_default(), None) {
            Lookup::Found(key) if key != previous => Ok(Some(key.clone())),
            Lookup::Found(_) | Lookup::Unknown => Ok(None),
            Lookup::Ambiguous => Err(IdTokenError::AmbiguousKey.into()),
        }
    }
}

async fn fetch(client: &reqwest::Client, jwks_uri: &url::Url) -> Result<Vec<Jwk>, AuthError> {
    let body = http::send("jwks", client.get(jwks_uri.clone())).await?;
    if body.status != reqwest::StatusCode::OK {
        tracing::warn!(status = %body.status, "JWKS fetch failed");
        return Err(AuthError::Jwks(format!("HTTP {}", body.status.as_u16())));
    }
    parse_key_set(&body.bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ec_key(kid: Option<&str>) -> serde_json::Value {
        let mut key = serde_json::json!({
            "kty": "EC", "crv": "P-384", "use": "sig", "alg": "ES384",
            "x": "iA7lWQLzVrKGEFjfGMfMHfTEZ2KnLiKU7JuNT3E7ygsfE7ygsfE7ygsfE7ygsfE7",
            "y": "iA7lWQLzVrKGEFjfGMfMHfTEZ2KnLiKU7JuNT3E7ygsfE7ygsfE7ygsfE7ygsfE7"
        });
        if let Some(kid) = kid {
            key["kid"] = kid.into();
        }
        key
    }

    fn set(keys: &[serde_json::Value]) -> Vec<Jwk> {
        parse_key_set(serde_json::json!({ "keys": keys }).to_string().as_bytes()).unwrap()
    }

    #[test]
    fn kid_selects_and_absent_kid_needs_a_single_key() {
        let keys = set(&[ec_key(Some("a")), ec_key(Some("b"))]);
        assert!(
            matches!(select(&keys, Some("b")), Lookup::Found(k) if k.common.key_id.as_deref() == Some("b"))
        );
        assert!(matches!(select(&keys, Some("c")), Lookup::Unknown));
        assert!(matches!(select(&keys, None), Lookup::Ambiguous));
        let single = set(&[ec_key(Some("a"))]);
        assert!(matches!(select(&single, None), Lookup::Found(_)));
    }

    #[test]
    fn encryption_symmetric_and_unknown_keys_are_ignored() {
        let mut enc = ec_key(Some("enc"));
        enc["use"] = "enc".into();
        let oct = serde_json::json!({"kty": "oct", "k": "c2VjcmV0", "kid": "oct"});
        let odd = serde_json::json!({"kty": "XYZ", "kid": "odd"});
        let keys = set(&[enc, oct, odd, ec_key(Some("sig"))]);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].common.key_id.as_deref(), Some("sig"));
    }

    #[test]
    fn key_is_used_only_for_its_algorithm() {
        let keys = set(&[ec_key(Some("a"))]);
        assert!(matches!(
            decoding_key(&keys[0], SigningAlg::Rs256),
            Err(IdTokenError::UnusableKey)
        ));
        let small_rsa = serde_json::json!({"kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB"});
        let keys = set(&[small_rsa]);
        assert!(matches!(
            decoding_key(&keys[0], SigningAlg::Rs256),
            Err(IdTokenError::UnusableKey)
        ));
    }
}
