//! The embedded provider against the provider items of security.md and Logto's wire behaviour.

mod codes;
mod forms;
mod harness;
mod interop;
mod oidc;
mod pages;
mod postgres;
mod production;
mod races;
mod tokens;
