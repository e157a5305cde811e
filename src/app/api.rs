//! Server functions: one-line adapters from the UI to the server's `AuthService`, and the UI types
//! they return. Tokens never appear in these types: the browser only learns who is signed in and
//! when things expire.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The signed-in person, as pages show them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserView {
    /// The provider's subject identifier (`sub`).
    pub id: String,
    pub display_name: String,
    pub email: Option<String>,
    pub is_admin: bool,
}

/// What every page needs to know.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SessionSummary {
    pub user: Option<UserView>,
    /// Set while the embedded provider's dev mailbox delivers sign-in codes.
    pub mailbox_url: Option<String>,
}

/// The profile page's data.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProfileData {
    pub user: UserView,
    /// ID-token claims as (name, JSON value) pairs, sorted by name.
    pub claims: Vec<(String, String)>,
    /// Claims from the userinfo endpoint, or why they could not be fetched.
    pub userinfo: Result<Vec<(String, String)>, String>,
    /// How old (seconds) the userinfo claims may be; 0: fetched for this view.
    pub userinfo_max_age_secs: u64,
    /// Unix seconds.
    pub access_token_expires_at: u64,
    pub session_idle_timeout_secs: u64,
    pub session_absolute_lifetime_secs: u64,
}

/// Who is signed in (if anyone) and whether the dev mailbox is in use.
#[server(prefix = "/api", endpoint = "session")]
pub async fn session_info() -> Result<SessionSummary, ServerFnError> {
    crate::server::fns::session_info().await
}

/// Starts a sign-in (or sign-up) and redirects to the provider.
#[server(prefix = "/api", endpoint = "sign-in")]
pub async fn start_sign_in(
    return_to: Option<String>,
    register: Option<bool>,
) -> Result<(), ServerFnError> {
    crate::server::fns::start_sign_in(return_to, register.unwrap_or(false)).await
}

/// Signs out here and at the provider (redirects to its end-session endpoint).
#[server(prefix = "/api", endpoint = "sign-out")]
pub async fn sign_out() -> Result<(), ServerFnError> {
    crate::server::fns::sign_out().await
}

/// The signed-in person's profile; 401 when signed out.
#[server(prefix = "/api", endpoint = "profile")]
pub async fn profile() -> Result<ProfileData, ServerFnError> {
    crate::server::fns::profile().await
}

/// Refreshes the tokens now; returns the new access-token expiry (Unix seconds). 401 when signed out.
#[server(prefix = "/api", endpoint = "refresh")]
pub async fn refresh_tokens() -> Result<u64, ServerFnError> {
    crate::server::fns::refresh_tokens().await
}
