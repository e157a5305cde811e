//! Protocol logic of the provider, free of HTTP: authorization-request checks, PKCE, token
//! lifetimes and record shapes, and claims per scope. Handlers in `endpoints/` call into it.

pub mod authorize;
pub mod claims;
pub mod error;
pub mod pkce;
pub mod records;
