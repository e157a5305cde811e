//! The embedded provider against the provider items of security.md and Logto's wire behaviour.

mod codes;
mod harness;
mod interop;
mod oidc;
mod tokens;
