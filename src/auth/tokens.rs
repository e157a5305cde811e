//! The tokens of a signed-in session ([`TokenSet`], kept only in the server-side session store) and
//! the token endpoint's successful response (RFC 6749 §5.1, OIDC Core §3.1.3.3).
//!
//! Tokens are [`Secret`]s: `Debug` prints `[redacted]`; they are serialized only into the session
//! store, through the `serde_secret` helpers.

use serde::{Deserialize, Serialize};

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

/// A successful token response, before the ID token is verified ([`super::oauth::token_response`]).
pub(crate) struct TokenResponse {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub id_token: Option<Secret>,
    pub expires_in: Option<u64>,
    pub scope: Option<String>,
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
}
