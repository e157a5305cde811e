//! The Management API of the embedded provider against Logto's wire behaviour (logto-compat.md
//! §6): bearer auth, the sign-in experience and its validation, connectors, and the sign-in pages
//! following the settings.

mod auth;
mod branding;
mod connectors;
pub mod harness;
mod resources;
mod sign_in_exp;
mod ui;
