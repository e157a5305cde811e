//! Everything that can go wrong while signing someone in, refreshing or signing out, as values.
//!
//! [`AuthError`] has one variant per situation a page can explain; [`AuthError::user_message`] is the
//! plain-language text for that page, `Display` the one-line text for logs. Neither ever contains a
//! token, an authorization code, a PKCE verifier or a client secret: variants carry only our own
//! wording, RFC 6749 §5.2 error codes and provider-supplied descriptions that have been scrubbed of
//! the secrets sent in the request that produced them.

use std::fmt;

/// Why a sign-in, refresh or provider call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The person declined or cancelled at the provider (`error=access_denied`, RFC 6749 §4.1.2.1).
    #[error("sign-in cancelled at the provider (access_denied){}", describe(.description))]
    Cancelled { description: Option<String> },
    /// The provider answered the authorization request with another error code.
    #[error("the provider returned error `{error}`{}", describe(.description))]
    ProviderError {
        error: String,
        description: Option<String>,
    },
    /// The callback's `state` differs from the transaction's (login CSRF or a mixed-up tab).
    #[error("callback state does not match the sign-in transaction")]
    StateMismatch,
    /// The callback carried no `state`.
    #[error("callback has no state parameter")]
    MissingState,
    /// The callback carried neither `code` nor `error`.
    #[error("callback has no authorization code")]
    MissingCode,
    /// The sign-in transaction is older than its lifetime.
    #[error("the sign-in transaction has expired")]
    TransactionExpired,
    /// No sign-in transaction for this `state` in this session (unknown, reused or foreign).
    #[error(
        "no sign-in transaction for this state (unknown, already used or from another browser)"
    )]
    UnknownTransaction,
    /// RFC 9207 §2.4: the callback's `iss` is not our issuer (or the transaction's issuer differs).
    #[error("callback issuer does not match the expected issuer")]
    IssuerMismatch,
    /// RFC 9207 §2.4: the provider advertises `iss` in authorization responses but this one has none.
    #[error("callback has no iss parameter although the provider advertises it")]
    MissingIssuer,
    /// The token endpoint refused or failed the request (status, protocol error or bad body).
    #[error("token endpoint: {0}")]
    TokenEndpoint(String),
    /// The ID token failed verification (OIDC Core §3.1.3.7).
    #[error("invalid ID token: {0}")]
    InvalidIdToken(IdTokenError),
    /// The provider could not be reached in time.
    #[error("provider unreachable: {0}")]
    ProviderUnreachable(String),
    /// The grant is gone (refresh answered `invalid_grant`, or no refresh token): sign in again.
    #[error("signed out: the provider no longer accepts this session's grant")]
    SignedOut,
    /// The discovery document could not be fetched or is unacceptable.
    #[error("discovery: {0}")]
    Discovery(String),
    /// The JWKS could not be fetched or parsed.
    #[error("jwks: {0}")]
    Jwks(String),
    /// The userinfo endpoint failed.
    #[error("userinfo: {0}")]
    Userinfo(String),
    /// Userinfo answered 401: the provider no longer accepts this access token (RFC 6750 §3.1).
    #[error("userinfo: the access token was rejected (HTTP 401)")]
    UserinfoRejected,
    /// OIDC Core §5.3.2: userinfo's `sub` differs from the ID token's.
    #[error("userinfo subject does not match the ID token subject")]
    UserinfoSubjectMismatch,
    /// Session data could not be encoded or decoded.
    #[error("session store: {0}")]
    Session(String),
    /// The session engine (database or Redis) did not answer; a retry may work.
    #[error("session store unavailable: {0}")]
    SessionUnavailable(String),
    /// The relying-party configuration cannot work (e.g. a URL that cannot carry a query).
    #[error("configuration: {0}")]
    Config(String),
}

fn describe(description: &Option<String>) -> String {
    match description {
        Some(text) => format!(": {text}"),
        None => String::new(),
    }
}

impl AuthError {
    /// A plain-language explanation for the person signing in; no internals.
    pub fn user_message(&self) -> &'static str {
        match self {
            Self::Cancelled { .. } => "Sign-in was cancelled. You can try again whenever you like.",
            Self::ProviderError { .. } => {
                "The sign-in service could not complete your request. Please try again."
            }
            Self::StateMismatch
            | Self::MissingState
            | Self::UnknownTransaction
            | Self::MissingCode
            | Self::IssuerMismatch
            | Self::MissingIssuer => {
                "This sign-in link is not valid for this browser, or it was already used. \
                 Please start signing in again."
            }
            Self::TransactionExpired => "The sign-in took too long. Please start again.",
            Self::TokenEndpoint(_) | Self::InvalidIdToken(_) | Self::UserinfoSubjectMismatch => {
                "We could not confirm your sign-in with the sign-in service. Please try again."
            }
            Self::ProviderUnreachable(_)
            | Self::Discovery(_)
            | Self::Jwks(_)
            | Self::Userinfo(_) => {
                "The sign-in service is not reachable right now. Please try again in a moment."
            }
            Self::SignedOut | Self::UserinfoRejected => {
                "Your session has ended. Please sign in again."
            }
            Self::SessionUnavailable(_) => {
                "We cannot reach our session storage right now. Please try again in a moment."
            }
            Self::Session(_) | Self::Config(_) => {
                "Something went wrong on our side. Please try again later."
            }
        }
    }

    /// True for failures a retry might cure (network trouble), false for rejections.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::ProviderUnreachable(_) | Self::SessionUnavailable(_)
        )
    }
}

impl From<IdTokenError> for AuthError {
    fn from(error: IdTokenError) -> Self {
        Self::InvalidIdToken(error)
    }
}

/// Why an ID token was rejected; each item is an OIDC Core §3.1.3.7 step (or RFC 7515/7517 rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdTokenError {
    /// Not three base64url parts, or header/payload not JSON objects.
    Malformed(&'static str),
    /// `alg` is not on the allow-list (ES384, RS256); covers `none` and HS256.
    DisallowedAlgorithm(String),
    /// The header carries `crit` extensions we do not understand (RFC 7515 §4.1.11).
    UnsupportedCritical,
    /// No JWKS key has the token's `kid`, even after one refetch.
    UnknownKey,
    /// No `kid` and the JWKS holds several keys.
    AmbiguousKey,
    /// The key cannot verify this algorithm (wrong type, curve or size).
    UnusableKey,
    /// The signature does not verify.
    BadSignature,
    /// `iss` is not exactly our issuer.
    WrongIssuer,
    /// `aud` is absent.
    MissingAudience,
    /// `aud` does not contain our client id.
    WrongAudience,
    /// Several audiences and `azp` is not our client id (or `azp` present and not ours).
    AzpMismatch,
    /// `exp` absent or not a number.
    MissingExpiry,
    /// `exp` is in the past (beyond leeway).
    Expired,
    /// `iat` absent or not a number.
    MissingIssuedAt,
    /// `iat` is in the future (beyond leeway).
    IssuedInFuture,
    /// `nbf` is in the future (beyond leeway).
    NotYetValid,
    /// `sub` absent or empty.
    MissingSubject,
    /// `nonce` absent although we sent one.
    MissingNonce,
    /// `nonce` differs from the one we sent (or, on refresh, from the original).
    NonceMismatch,
    /// `at_hash` present and not the access token's hash.
    AtHashMismatch,
    /// On refresh: `sub` differs from the original ID token's (OIDC Core §12.2).
    SubjectChanged,
}

impl fmt::Display for IdTokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(what) => write!(f, "malformed ({what})"),
            Self::DisallowedAlgorithm(alg) => {
                // `alg` comes from the attacker-controlled header: print it only if it is short
                // and plain.
                let shown = if alg.len() <= 16 && alg.chars().all(|c| c.is_ascii_alphanumeric()) {
                    alg.as_str()
                } else {
                    "?"
                };
                write!(f, "algorithm `{shown}` is not allowed")
            }
            Self::UnsupportedCritical => f.write_str("unsupported critical header parameters"),
            Self::UnknownKey => f.write_str("no JWKS key with this kid"),
            Self::AmbiguousKey => f.write_str("no kid and several keys in the JWKS"),
            Self::UnusableKey => f.write_str("the JWKS key does not fit the algorithm"),
            Self::BadSignature => f.write_str("signature does not verify"),
            Self::WrongIssuer => f.write_str("iss is not the expected issuer"),
            Self::MissingAudience => f.write_str("aud is missing"),
            Self::WrongAudience => f.write_str("aud does not contain our client id"),
            Self::AzpMismatch => f.write_str("azp is not our client id"),
            Self::MissingExpiry => f.write_str("exp is missing"),
            Self::Expired => f.write_str("expired"),
            Self::MissingIssuedAt => f.write_str("iat is missing"),
            Self::IssuedInFuture => f.write_str("iat is in the future"),
            Self::NotYetValid => f.write_str("nbf is in the future"),
            Self::MissingSubject => f.write_str("sub is missing"),
            Self::MissingNonce => f.write_str("nonce is missing"),
            Self::NonceMismatch => f.write_str("nonce does not match"),
            Self::AtHashMismatch => f.write_str("at_hash does not match the access token"),
            Self::SubjectChanged => f.write_str("sub differs from the original ID token"),
        }
    }
}

/// Replaces every occurrence of each (non-empty) secret in `text`, trims it and caps its length:
/// for provider-supplied descriptions that end up in `Display`.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        clean = clean.replace(secret, "[redacted]");
    }
    let clean = clean.trim();
    const MAX: usize = 200;
    if clean.chars().count() > MAX {
        let mut cut: String = clean.chars().take(MAX).collect();
        cut.push('…');
        cut
    } else {
        clean.to_owned()
    }
}

/// An RFC 6749 §5.2 error code is `1*( %x20-21 / %x23-5B / %x5D-7E )`; anything else is replaced.
pub(crate) fn clean_error_code(code: &str) -> String {
    let valid = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E));
    if valid {
        code.to_owned()
    } else {
        "invalid_error_code".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_secrets_and_control_characters() {
        let text = scrub("bad code abc123\nverifier xyz", &["abc123", "xyz", ""]);
        assert_eq!(text, "bad code [redacted] verifier [redacted]");
        assert!(scrub(&"a".repeat(500), &[]).chars().count() <= 201);
    }

    #[test]
    fn error_codes_outside_the_rfc_charset_are_replaced() {
        assert_eq!(clean_error_code("invalid_grant"), "invalid_grant");
        assert_eq!(clean_error_code("a\"b"), "invalid_error_code");
        assert_eq!(clean_error_code(""), "invalid_error_code");
    }

    #[test]
    fn user_messages_are_plain() {
        let message = AuthError::TokenEndpoint("HTTP 500".into()).user_message();
        assert!(!message.contains("500"));
        assert!(AuthError::SignedOut
            .user_message()
            .contains("sign in again"));
    }
}
