//! The data a page shows beyond who is signed in, as the server worked it out before the page
//! renders (the route table's [`PageData`](crate::ui_types::PageData)): a page reads it at once,
//! with no resource to wait for and no task that outlives the response. Pages render only on the
//! server (islands mode); in the browser build these answer the one-sentence failure.

use crate::ui_types::{AppError, ProfileData, SettingsData};

/// The profile page's data.
pub fn profile() -> Result<ProfileData, AppError> {
    #[cfg(feature = "ssr")]
    let known = crate::server::fns::profile_now();
    #[cfg(not(feature = "ssr"))]
    let known = None;
    known.unwrap_or_else(not_worked_out)
}

/// The settings page's data.
pub fn settings() -> Result<SettingsData, AppError> {
    #[cfg(feature = "ssr")]
    let known = crate::server::fns::settings_now();
    #[cfg(not(feature = "ssr"))]
    let known = None;
    known.unwrap_or_else(not_worked_out)
}

/// A render the server's guard did not prepare (outside a request, or a route missing from the
/// route table): a bug, answered with the one-sentence failure.
fn not_worked_out<T>() -> Result<T, AppError> {
    #[cfg(feature = "ssr")]
    tracing::error!("a page rendered without the data the guard works out first");
    Err(AppError::Internal)
}
