//! The app as an OpenID Connect relying party of Logto (or any Logto-compatible provider).
//!
//! Plain async Rust, no Leptos types: the web layer calls [`RelyingParty`] to start and finish a
//! sign-in (authorization code flow with PKCE, OIDC Core §3.1), refresh and revoke tokens and build
//! the RP-initiated logout URL (the token calls on the `oauth2` crate, in `oauth`), and keeps the
//! results in an [`AuthSession`], whose tokens live in a [`grants`] record of the session engine;
//! [`Refresher`] refreshes them once however many requests and instances ask. The provider's
//! endpoints come from discovery ([`discovery`]), its keys from its JWKS ([`jwks`]); every ID token
//! is verified by [`id_token`] before anything is used.

pub mod client;
pub mod config;
pub mod discovery;
pub mod error;
pub mod experience;
pub mod grants;
mod http;
pub mod id_token;
pub mod jwks;
mod oauth;
pub mod refresh;
mod serde_secret;
pub mod session;
pub mod tokens;
pub mod transaction;

/// The role this app treats as administrator: Logto's RBAC role of that name, which the embedded
/// provider gives its first account. Roles come from the ID token's `roles` claim, or from
/// userinfo when the ID token has none.
pub const ADMIN_ROLE: &str = "admin";

pub use client::{
    CallbackParams, DirectSignIn, FirstScreen, Identifier, RelyingParty, SignInOptions, SignedIn,
};
pub use config::RpConfig;
pub use error::{AuthError, IdTokenError};
pub use grants::{GrantStore, GrantStoreError, Grants, MemoryGrants, SharedGrants, StoredGrant};
pub use id_token::IdTokenClaims;
pub use refresh::Refresher;
pub use session::{AuthSession, CurrentUser, Grant};
pub use tokens::{needs_refresh, TokenSet};
pub use transaction::{Transaction, TransactionStore, TRANSACTION_LIFETIME_SECS};
