//! ID-token verification (OIDC Core §3.1.3.7, and §12.2 for tokens returned by a refresh), as
//! pure functions: [`parse`] the compact JWS (RFC 7515 §7.1) and check its `alg` against the
//! allow-list, [`verify_signature`] with a key chosen by [`super::jwks`], then [`validate_claims`]
//! at an injected `now`. Only after all three pass does the caller get [`IdTokenClaims`].
//!
//! The allow-list is ES384 (Logto's default) and RS256 (older tenants); `none`, every HMAC
//! algorithm (which would let a public key act as a shared secret) and anything else are refused
//! before a key is even looked up. Time checks allow [`LEEWAY_SECS`] of clock skew.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256, Sha384};
use subtle::ConstantTimeEq as _;

use super::error::IdTokenError;
use crate::secret::Secret;

/// Allowed clock skew for `exp`, `iat` and `nbf`, in seconds.
pub const LEEWAY_SECS: u64 = 60;

/// The signature algorithms we accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlg {
    Es384,
    Rs256,
}

impl SigningAlg {
    /// Exact, case-sensitive match against the allow-list (RFC 7518 §3.1 names).
    pub fn from_header(alg: &str) -> Option<Self> {
        match alg {
            "ES384" => Some(Self::Es384),
            "RS256" => Some(Self::Rs256),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es384 => "ES384",
            Self::Rs256 => "RS256",
        }
    }

    fn jwt_algorithm(self) -> Algorithm {
        match self {
            Self::Es384 => Algorithm::ES384,
            Self::Rs256 => Algorithm::RS256,
        }
    }

    /// OIDC Core §3.1.3.6 `at_hash`: base64url of the left half of the hash (the algorithm's hash
    /// function) of the ASCII access token.
    pub fn at_hash(self, access_token: &str) -> String {
        let digest = match self {
            Self::Es384 => Sha384::digest(access_token.as_bytes()).to_vec(),
            Self::Rs256 => Sha256::digest(access_token.as_bytes()).to_vec(),
        };
        URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
    }
}

/// A compact JWS split and decoded, its `alg` allowed, its signature not yet checked.
pub struct UnverifiedToken<'a> {
    pub alg: SigningAlg,
    pub kid: Option<String>,
    signing_input: &'a str,
    signature: &'a str,
    payload: Map<String, Value>,
}

impl fmt::Debug for UnverifiedToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnverifiedToken")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn decode_json_object(part: &str, what: &'static str) -> Result<Map<String, Value>, IdTokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| IdTokenError::Malformed(what))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(IdTokenError::Malformed(what)),
    }
}

/// Splits `token` (RFC 7515 §7.1), decodes header and payload and checks the header: `alg` on the
/// allow-list, no `crit`, `kid` a string if present.
pub fn parse(token: &str) -> Result<UnverifiedToken<'_>, IdTokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(IdTokenError::Malformed("not a compact JWS"));
    };
    let header_map = decode_json_object(header, "header")?;
    let alg = match header_map.get("alg") {
        Some(Value::String(alg)) => SigningAlg::from_header(alg)
            .ok_or_else(|| IdTokenError::DisallowedAlgorithm(alg.clone()))?,
        _ => return Err(IdTokenError::Malformed("header without alg")),
    };
    if header_map.contains_key("crit") {
        return Err(IdTokenError::UnsupportedCritical);
    }
    let kid = match header_map.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(IdTokenError::Malformed("kid is not a string")),
    };
    if signature.is_empty() {
        return Err(IdTokenError::BadSignature);
    }
    let payload_map = decode_json_object(payload, "payload")?;
    let signing_input_len = header.len() + 1 + payload.len();
    Ok(UnverifiedToken {
        alg,
        kid,
        signing_input: &token[..signing_input_len],
        signature,
        payload: payload_map,
    })
}

/// Checks the signature over `header.payload` with `key` for the token's own (allowed) algorithm.
pub fn verify_signature(
    token: &UnverifiedToken<'_>,
    key: &DecodingKey,
) -> Result<(), IdTokenError> {
    match jsonwebtoken::crypto::verify(
        token.signature,
        token.signing_input.as_bytes(),
        key,
        token.alg.jwt_algorithm(),
    ) {
        Ok(true) => Ok(()),
        Ok(false) | Err(_) => Err(IdTokenError::BadSignature),
    }
}

/// What the claims must say.
#[derive(Debug, Clone, Copy)]
pub struct Expectations<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The transaction's nonce on sign-in (required and equal); `None` on refresh.
    pub nonce: Option<&'a str>,
    /// The access token issued with this ID token, for `at_hash` (checked when present).
    pub access_token: Option<&'a Secret>,
    /// On refresh: the ID token of the original sign-in (`sub` must match, OIDC Core §12.2).
    pub original: Option<&'a IdTokenClaims>,
    /// Unix seconds.
    pub now: u64,
}

/// The verified claims of an ID token: typed fields for the app, plus every claim for display.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Vec<String>,
    pub exp: u64,
    pub iat: u64,
    pub auth_time: Option<u64>,
    pub sid: Option<String>,
    pub name: Option<String>,
    pub username: Option<String>,
    pub picture: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub roles: Vec<String>,
    /// Every claim as received (for a profile page).
    pub all: Map<String, Value>,
}

/// A JSON number as whole seconds (negative → 0, fractions dropped); `None` if not a number.
fn seconds(value: Option<&Value>) -> Option<u64> {
    let value = value?;
    if let Some(n) = value.as_u64() {
        return Some(n);
    }
    if let Some(n) = value.as_i64() {
        return Some(u64::try_from(n).unwrap_or(0));
    }
    let float = value.as_f64()?;
    if !float.is_finite() {
        return None;
    }
    // Saturating float-to-int cast is the intent here.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some(float.max(0.0) as u64)
}

fn string(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn ct_eq(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// OIDC Core §3.1.3.7 steps 2–3 and 9–11 (+ §3.1.3.8 `at_hash`, §12.2 on refresh).
pub fn validate_claims(
    token: &UnverifiedToken<'_>,
    expect: &Expectations<'_>,
) -> Result<IdTokenClaims, IdTokenError> {
    let claims = &token.payload;
    let now = expect.now;

    let iss = string(claims, "iss").ok_or(IdTokenError::WrongIssuer)?;
    if iss != expect.issuer {
        return Err(IdTokenError::WrongIssuer);
    }

    let aud: Vec<String> = match claims.get("aud") {
        None | Some(Value::Null) => return Err(IdTokenError::MissingAudience),
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or(IdTokenError::WrongAudience)?,
        Some(_) => return Err(IdTokenError::WrongAudience),
    };
    if aud.is_empty() {
        return Err(IdTokenError::MissingAudience);
    }
    if !aud.iter().any(|a| a == expect.client_id) {
        return Err(IdTokenError::WrongAudience);
    }
    let azp = claims.get("azp");
    match azp {
        Some(Value::String(azp)) if azp == expect.client_id => {}
        Some(_) => return Err(IdTokenError::AzpMismatch),
        None if aud.len() > 1 => return Err(IdTokenError::AzpMismatch),
        None => {}
    }

    let exp = seconds(claims.get("exp")).ok_or(IdTokenError::MissingExpiry)?;
    if now >= exp.saturating_add(LEEWAY_SECS) {
        return Err(IdTokenError::Expired);
    }
    let iat = seconds(claims.get("iat")).ok_or(IdTokenError::MissingIssuedAt)?;
    if iat > now.saturating_add(LEEWAY_SECS) {
        return Err(IdTokenError::IssuedInFuture);
    }
    if let Some(nbf) = claims.get("nbf") {
        let nbf = seconds(Some(nbf)).ok_or(IdTokenError::NotYetValid)?;
        if nbf > now.saturating_add(LEEWAY_SECS) {
            return Err(IdTokenError::NotYetValid);
        }
    }

    let sub = string(claims, "sub")
        .filter(|s| !s.is_empty())
        .ok_or(IdTokenError::MissingSubject)?;

    let nonce = claims.get("nonce");
    match (expect.nonce, expect.original) {
        (Some(expected), _) => match nonce {
            None | Some(Value::Null) => return Err(IdTokenError::MissingNonce),
            Some(Value::String(got)) if ct_eq(got, expected) => {}
            Some(_) => return Err(IdTokenError::NonceMismatch),
        },
        (None, Some(original)) => {
            if let Some(got) = nonce {
                if original.all.get("nonce") != Some(got) {
                    return Err(IdTokenError::NonceMismatch);
                }
            }
        }
        (None, None) => {}
    }

    if let Some(original) = expect.original {
        if original.sub != sub {
            return Err(IdTokenError::SubjectChanged);
        }
    }

    if let Some(at_hash) = claims.get("at_hash") {
        let Some(access_token) = expect.access_token else {
            return Err(IdTokenError::AtHashMismatch);
        };
        let expected = token.alg.at_hash(access_token.expose());
        match at_hash {
            Value::String(got) if ct_eq(got, &expected) => {}
            _ => return Err(IdTokenError::AtHashMismatch),
        }
    }

    let roles = match claims.get("roles") {
        Some(Value::Array(roles)) => roles
            .iter()
            .filter_map(|r| r.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };

    Ok(IdTokenClaims {
        iss,
        sub,
        aud,
        exp,
        iat,
        auth_time: seconds(claims.get("auth_time")),
        sid: string(claims, "sid"),
        name: string(claims, "name"),
        username: string(claims, "username"),
        picture: string(claims, "picture"),
        email: string(claims, "email"),
        email_verified: claims.get("email_verified").and_then(Value::as_bool),
        roles,
        all: claims.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b64(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    fn token(header: &Value, payload: &Value) -> String {
        format!("{}.{}.c2ln", b64(header), b64(payload))
    }

    const NOW: u64 = 1_700_000_000;

    fn good_claims() -> Value {
        json!({
            "iss": "https://idp.example/oidc", "sub": "user-1", "aud": "app",
            "exp": NOW + 3600, "iat": NOW, "nonce": "n-1",
            "name": null, "roles": ["admin", 7], "email": "a@b.example"
        })
    }

    fn expect(nonce: Option<&str>) -> Expectations<'_> {
        Expectations {
            issuer: "https://idp.example/oidc",
            client_id: "app",
            nonce,
            access_token: None,
            original: None,
            now: NOW,
        }
    }

    fn check(payload: &Value) -> Result<IdTokenClaims, IdTokenError> {
        let raw = token(&json!({"alg": "ES384", "kid": "k"}), payload);
        let parsed = parse(&raw)?;
        validate_claims(&parsed, &expect(Some("n-1")))
    }

    fn with(change: impl FnOnce(&mut Map<String, Value>)) -> Value {
        let mut claims = good_claims();
        change(claims.as_object_mut().unwrap());
        claims
    }

    #[test]
    fn allow_list_is_es384_and_rs256_only() {
        for alg in [
            "none", "HS256", "HS384", "ES256", "RS512", "PS256", "EdDSA", "es384",
        ] {
            let raw = token(&json!({"alg": alg}), &good_claims());
            assert_eq!(
                parse(&raw).unwrap_err(),
                IdTokenError::DisallowedAlgorithm(alg.into()),
                "{alg}"
            );
        }
        assert!(parse(&token(&json!({"alg": "RS256"}), &good_claims())).is_ok());
    }

    #[test]
    fn crit_and_malformed_tokens_are_refused() {
        let raw = token(&json!({"alg": "ES384", "crit": ["x"]}), &good_claims());
        assert_eq!(parse(&raw).unwrap_err(), IdTokenError::UnsupportedCritical);
        assert!(matches!(parse("a.b"), Err(IdTokenError::Malformed(_))));
        assert!(matches!(parse("a.b.c.d"), Err(IdTokenError::Malformed(_))));
        let unsigned = format!("{}.{}.", b64(&json!({"alg": "ES384"})), b64(&good_claims()));
        assert_eq!(parse(&unsigned).unwrap_err(), IdTokenError::BadSignature);
    }

    #[test]
    fn good_claims_are_typed() {
        let claims = check(&good_claims()).unwrap();
        assert_eq!(claims.sub, "user-1");
        assert_eq!(claims.aud, vec!["app".to_owned()]);
        assert_eq!(claims.name, None);
        assert_eq!(claims.roles, vec!["admin".to_owned()]);
        assert_eq!(claims.email.as_deref(), Some("a@b.example"));
        assert_eq!(claims.all.get("nonce"), Some(&json!("n-1")));
    }

    #[test]
    fn each_claim_rule_rejects() {
        use IdTokenError as E;
        let cases: Vec<(Value, E)> = vec![
            (
                with(|c| {
                    c.insert("iss".into(), json!("https://evil.example/oidc"));
                }),
                E::WrongIssuer,
            ),
            (
                with(|c| {
                    c.remove("aud");
                }),
                E::MissingAudience,
            ),
            (
                with(|c| {
                    c.insert("aud".into(), json!("other"));
                }),
                E::WrongAudience,
            ),
            (
                with(|c| {
                    c.insert("aud".into(), json!(["app", "other"]));
                }),
                E::AzpMismatch,
            ),
            (
                with(|c| {
                    c.insert("azp".into(), json!("other"));
                }),
                E::AzpMismatch,
            ),
            (
                with(|c| {
                    c.insert("exp".into(), json!(NOW - LEEWAY_SECS));
                }),
                E::Expired,
            ),
            (
                with(|c| {
                    c.remove("exp");
                }),
                E::MissingExpiry,
            ),
            (
                with(|c| {
                    c.remove("iat");
                }),
                E::MissingIssuedAt,
            ),
            (
                with(|c| {
                    c.insert("iat".into(), json!(NOW + LEEWAY_SECS + 1));
                }),
                E::IssuedInFuture,
            ),
            (
                with(|c| {
                    c.insert("nbf".into(), json!(NOW + LEEWAY_SECS + 1));
                }),
                E::NotYetValid,
            ),
            (
                with(|c| {
                    c.remove("sub");
                }),
                E::MissingSubject,
            ),
            (
                with(|c| {
                    c.insert("sub".into(), json!(""));
                }),
                E::MissingSubject,
            ),
            (
                with(|c| {
                    c.remove("nonce");
                }),
                E::MissingNonce,
            ),
            (
                with(|c| {
                    c.insert("nonce".into(), json!("n-2"));
                }),
                E::NonceMismatch,
            ),
            (
                with(|c| {
                    c.insert("at_hash".into(), json!("x"));
                }),
                E::AtHashMismatch,
            ),
        ];
        for (claims, expected) in cases {
            assert_eq!(check(&claims).unwrap_err(), expected, "{claims}");
        }
    }

    #[test]
    fn leeway_applies_to_exp_and_iat() {
        assert!(check(&with(|c| {
            c.insert("exp".into(), json!(NOW - LEEWAY_SECS + 1));
        }))
        .is_ok());
        assert!(check(&with(|c| {
            c.insert("iat".into(), json!(NOW + LEEWAY_SECS));
        }))
        .is_ok());
        let several = with(|c| {
            c.insert("aud".into(), json!(["app", "other"]));
            c.insert("azp".into(), json!("app"));
        });
        assert!(check(&several).is_ok());
    }

    #[test]
    fn at_hash_is_left_half_of_the_algorithms_hash() {
        // OIDC Core §A.3 example: at_hash of "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y".
        let access = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
        assert_eq!(SigningAlg::Rs256.at_hash(access), "77QmUPtjPfzWtF2AnpK9RQ");
        assert_eq!(SigningAlg::Es384.at_hash(access).len(), 32);
        let secret = Secret::new(access);
        let claims = with(|c| {
            c.insert("at_hash".into(), json!(SigningAlg::Es384.at_hash(access)));
        });
        let raw = token(&json!({"alg": "ES384"}), &claims);
        let parsed = parse(&raw).unwrap();
        let expectations = Expectations {
            access_token: Some(&secret),
            ..expect(Some("n-1"))
        };
        assert!(validate_claims(&parsed, &expectations).is_ok());
    }

    #[test]
    fn refresh_keeps_subject_and_nonce() {
        let original = check(&good_claims()).unwrap();
        let refreshed = |claims: &Value| {
            let raw = token(&json!({"alg": "ES384"}), claims);
            let parsed = parse(&raw).unwrap();
            let expectations = Expectations {
                original: Some(&original),
                ..expect(None)
            };
            validate_claims(&parsed, &expectations)
        };
        assert!(refreshed(&with(|c| {
            c.remove("nonce");
        }))
        .is_ok());
        assert!(refreshed(&good_claims()).is_ok());
        assert_eq!(
            refreshed(&with(|c| {
                c.insert("sub".into(), json!("user-2"));
            }))
            .unwrap_err(),
            IdTokenError::SubjectChanged
        );
        assert_eq!(
            refreshed(&with(|c| {
                c.insert("nonce".into(), json!("other"));
            }))
            .unwrap_err(),
            IdTokenError::NonceMismatch
        );
    }
}
