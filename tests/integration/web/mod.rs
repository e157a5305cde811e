//! The app as a whole against the embedded provider on a real socket: sign-in through the
//! `/logto/*` routes, pages and server functions, and the relying-party security requirements
//! that live in the web layer (CSRF, fixation, open redirects, token leaks).

mod client_addr;
mod csrf;
mod flow;
mod outage;
mod sessions;
mod settings_access;
pub mod world;
