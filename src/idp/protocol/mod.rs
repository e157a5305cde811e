//! Protocol logic of the provider, free of HTTP: authorization-request checks, the token
//! endpoint's grants (one unit per grant behind a dispatcher) and issuance, PKCE, token
//! lifetimes and record shapes, and claims per scope. Handlers in `endpoints/` call into it.

pub mod authorize;
pub mod claims;
pub mod error;
pub mod grants;
pub mod issuance;
pub mod pkce;
pub mod records;
