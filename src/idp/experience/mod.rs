//! The sign-in experience served by the provider: enter an email, enter the 6-digit code sent to
//! it, and go back to the application. Works without JavaScript. Layered one way: `routes` (thin
//! axum handlers) → `flow` (the steps, plain async Rust) → `pages` (HTML, escaped by
//! construction, in the `html` layout) and `error` (every refusal, rendering itself);
//! `codes` holds the verification-code rules, `mailbox` the development mailbox's own routes,
//! `context` what every provider page shows around its content (app, theme, logo).
//! The sign-in experience (`crate::idp::sign_in_experience`) decides whether email-code sign-in
//! and sign-up are on.

pub mod codes;
pub mod context;
pub mod error;
pub mod flow;
pub mod mailbox;
pub mod pages;
mod routes;

pub use routes::routes;
