//! The tokens of a signed-in session ([`TokenSet`], kept only in the server-side session store) and
//! the token endpoint's successful response (RFC 6749 §5.1, OIDC Core §3.1.3.3).
//!
//! Tokens are [`Secret`]s: `Debug` prints `[redacted]`; they are serialized only into the session
//! store, through the `serde_secret` helpers.

use serde::{Deserialize, Serialize};

use super::error::AuthError;
use super::id_token::IdTokenClaims;
use super::serde_secret;
use crate::secret::Secret;

/// Refresh when the access token expires within this many seconds (clock skew, request time).
pub const REFRESH_MARGIN_SECS: u64 = 60;

/// Everything the token endpoint gave us, after verification.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenSet {
    #[serde(with = "serde_secret")]
    pub access_token: Secret,
    #[serde(with = "serde_secret::option", default)]
    pub refresh_token: Option<Secret>,
    #[serde(with = "serde_secret")]
    pub id_token: Secret,
    /// Unix seconds.
    pub access_token_expires_at: u64,
    pub scope: Option<String>,
    /// The verified claims of `id_token`.
    pub claims: IdTokenClaims,
}

impl TokenSet {
    /// See [`needs_refresh`].
    pub fn needs_refresh(&self, now: u64) -> bool {
        needs_refresh(self, now)
    }
}

/// True when the access token expires within [`REFRESH_MARGIN_SECS`] of `now`.
pub fn needs_refresh(tokens: &TokenSet, now: u64) -> bool {
    now.saturating_add(REFRESH_MARGIN_SECS) >= tokens.access_token_expires_at
}

/// A successful token response, before the ID token is verified.
pub(crate) struct TokenResponse {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub id_token: Option<Secret>,
    pub expires_in: Option<u64>,
    pub scope: Option<String>,
}

impl TokenResponse {
    /// Parses a 200 body: a JSON object with a non-empty `access_token` and `token_type` Bearer
    /// (RFC 6749 §5.1, OIDC Core §3.1.3.3). Errors never quote the body.
    pub fn parse(bytes: &[u8]) -> Result<Self, AuthError> {
        #[derive(Deserialize)]
        struct Raw {
            access_token: Option<String>,
            token_type: Option<String>,
            expires_in: Option<serde_json::Value>,
            refresh_token: Option<String>,
            id_token: Option<String>,
            scope: Option<String>,
        }
        let raw: Raw = serde_json::from_slice(bytes)
            .map_err(|_| AuthError::TokenEndpoint("response is not a valid JSON object".into()))?;
        let access_token = raw
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| AuthError::TokenEndpoint("response has no access_token".into()))?;
        match raw.token_type.as_deref() {
            Some(kind) if kind.eq_ignore_ascii_case("bearer") => {}
            _ => {
                return Err(AuthError::TokenEndpoint(
                    "response token_type is not Bearer".into(),
                ))
            }
        }
        let expires_in = match raw.expires_in {
            None | Some(serde_json::Value::Null) => None,
            Some(value) => Some(
                value
                    .as_u64()
                    .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
                    .ok_or_else(|| {
                        AuthError::TokenEndpoint("response expires_in is not a number".into())
                    })?,
            ),
        };
        Ok(Self {
            access_token: Secret::new(access_token),
            refresh_token: raw.refresh_token.filter(|t| !t.is_empty()).map(Secret::new),
            id_token: raw.id_token.filter(|t| !t.is_empty()).map(Secret::new),
            expires_in,
            scope: raw.scope,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> IdTokenClaims {
        IdTokenClaims {
            iss: "i".into(),
            sub: "s".into(),
            aud: vec!["a".into()],
            exp: 10,
            iat: 1,
            auth_time: None,
            sid: None,
            name: None,
            username: None,
            picture: None,
            email: None,
            email_verified: None,
            roles: vec![],
            all: serde_json::Map::new(),
        }
    }

    fn tokens(expires_at: u64) -> TokenSet {
        TokenSet {
            access_token: Secret::new("access-secret"),
            refresh_token: Some(Secret::new("refresh-secret")),
            id_token: Secret::new("id-secret"),
            access_token_expires_at: expires_at,
            scope: None,
            claims: claims(),
        }
    }

    #[test]
    fn refresh_is_needed_within_the_margin() {
        let set = tokens(1000);
        assert!(!set.needs_refresh(1000 - REFRESH_MARGIN_SECS - 1));
        assert!(set.needs_refresh(1000 - REFRESH_MARGIN_SECS));
        assert!(needs_refresh(&set, 2000));
    }

    #[test]
    fn debug_never_prints_tokens_but_serde_keeps_them() {
        let set = tokens(1);
        let printed = format!("{set:?}");
        for secret in ["access-secret", "refresh-secret", "id-secret"] {
            assert!(!printed.contains(secret));
        }
        let json = serde_json::to_string(&set).unwrap();
        let back: TokenSet = serde_json::from_str(&json).unwrap();
        assert_eq!(back.refresh_token.unwrap().expose(), "refresh-secret");
        assert_eq!(back.access_token.expose(), "access-secret");
    }

    #[test]
    fn token_response_requires_bearer_access_token() {
        let ok = TokenResponse::parse(
            br#"{"access_token":"a","token_type":"Bearer","expires_in":3600,"id_token":"x"}"#,
        )
        .unwrap();
        assert_eq!(ok.expires_in, Some(3600));
        assert!(ok.refresh_token.is_none());
        assert!(TokenResponse::parse(br#"{"token_type":"Bearer"}"#).is_err());
        assert!(TokenResponse::parse(br#"{"access_token":"a","token_type":"mac"}"#).is_err());
        let err = TokenResponse::parse(b"{not json secret-code")
            .err()
            .unwrap();
        assert!(!err.to_string().contains("secret-code"));
    }
}
