//! The provider's OIDC endpoints (`/oidc/*`), axum handlers only: parse once, call the protocol
//! rules, render. The paths they are served at are in `idp::routes`.

pub(crate) mod authorize;
mod client_auth;
pub mod cookies;
pub(crate) mod discovery;
pub(crate) mod end_session;
pub(crate) mod token;
pub(crate) mod userinfo;
