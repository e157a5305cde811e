//! The app's use cases in plain async Rust — no Leptos, no axum: sign-in and the session
//! ([`sign_in`]), what pages show of the person ([`profile`]), the sign-in experience settings over
//! the Management API ([`settings`]) with its check of AWS SES ([`ses_check`]), and the one mapping of sign-in failures ([`failure`]). One
//! [`Services`] value holds them; the web layer puts it in every request and calls into it.

pub mod failure;
pub mod profile;
pub mod ses_check;
pub mod settings;
pub mod sign_in;

pub mod visit;

pub use sign_in::{AuthService, SignedIn};
pub use visit::Visit;

use crate::auth::{AuthError, SharedGrants};
use crate::clock::SharedClock;
use crate::config::Settings;
use settings::SettingsService;
use std::sync::Arc;

/// Every use case the app offers, built once at start.
pub struct Services {
    pub auth: AuthService,
    /// `None` when no machine-to-machine app is configured.
    pub settings: Option<SettingsService>,
}

impl Services {
    pub fn new(
        settings: &Settings,
        clock: SharedClock,
        grants: SharedGrants,
    ) -> Result<Arc<Self>, AuthError> {
        Ok(Arc::new(Self {
            settings: settings::management_client(settings, Arc::clone(&clock))
                .map(|client| SettingsService::new(client, settings::secret_storage(settings))),
            auth: AuthService::new(settings, clock, grants)?,
        }))
    }
}
