//! What the provider stores per record kind, and Logto's default lifetimes (logto-compat.md §4).

use serde::{Deserialize, Serialize};

pub const AUTHORIZATION_CODE_TTL: u64 = 60;
pub const ACCESS_TOKEN_TTL: u64 = 3600;
pub const ID_TOKEN_TTL: u64 = 3600;
pub const REFRESH_TOKEN_TTL: u64 = 14 * 24 * 3600;
pub const GRANT_TTL: u64 = 180 * 24 * 3600;
pub const SESSION_TTL: u64 = 14 * 24 * 3600;
pub const INTERACTION_TTL: u64 = 3600;
/// A consumed refresh token may be presented again for this long (concurrent refreshes).
pub const REFRESH_REUSE_GRACE: u64 = 3;
/// Confidential clients get a new refresh token once this share of its lifetime has passed.
pub const REFRESH_ROTATION_PERCENT: u64 = 70;

/// The validated authorization request, kept while the person signs in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationParams {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub prompt_consent: bool,
    pub prompt_login: bool,
    pub prompt_none: bool,
    pub login_hint: Option<String>,
    pub first_screen: Option<String>,
    pub resources: Vec<String>,
    /// The app's `ui_theme` (`light` or `dark`): the sign-in pages follow it; `None` (absent or
    /// unknown): they follow the system (`prefers-color-scheme`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_theme: Option<UiTheme>,
}

/// The colour scheme the app asks the sign-in pages to use (`ui_theme`, this app's own
/// authorization parameter; Logto has none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UiTheme {
    Light,
    Dark,
}

impl UiTheme {
    /// `light` or `dark`; anything else is no theme.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "light" => Some(Self::Light),
            "dark" => Some(Self::Dark),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }
}

impl AuthorizationParams {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// A browser signed in at the provider.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionRecord {
    pub user_id: String,
    pub auth_time: u64,
}

/// A pending sign-in.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InteractionRecord {
    pub params: AuthorizationParams,
    /// The address the person entered, once they have.
    pub email: Option<String>,
    /// Unix seconds of the last code email, for the resend countdown.
    pub last_sent_at: Option<u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthorizationCodeRecord {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub user_id: String,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub auth_time: u64,
    pub grant_id: String,
    pub resources: Vec<String>,
    /// Whether a refresh token may be issued (`offline_access` with `prompt=consent`).
    pub offline: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessTokenRecord {
    pub client_id: String,
    pub user_id: String,
    pub scopes: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RefreshTokenRecord {
    pub client_id: String,
    pub user_id: String,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub auth_time: u64,
    pub issued_at: u64,
    /// No token of this chain lives past the grant's end.
    pub grant_expires_at: u64,
    /// API resources granted at authorization (RFC 8707), for JWT access tokens on refresh.
    #[serde(default)]
    pub resources: Vec<String>,
}

/// Whether a refresh token issued at `issued_at`, expiring at `expires_at`, is due for rotation.
pub fn refresh_rotation_due(issued_at: u64, expires_at: u64, now: u64) -> bool {
    let lifetime = expires_at.saturating_sub(issued_at);
    let elapsed = now.saturating_sub(issued_at);
    elapsed.saturating_mul(100) >= lifetime.saturating_mul(REFRESH_ROTATION_PERCENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_starts_at_seventy_percent() {
        assert!(!refresh_rotation_due(0, 100, 69));
        assert!(refresh_rotation_due(0, 100, 70));
        assert!(refresh_rotation_due(0, 100, 100));
    }
}
