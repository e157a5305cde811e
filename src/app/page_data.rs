//! The data a page shows beyond who is signed in, as the server worked it out before the page
//! renders (the route table's [`PageData`](crate::ui_types::PageData)): a page reads it at once,
//! with no resource to wait for and no task that outlives the response. Pages render only on the
//! server (islands mode); in the browser build nothing is ever prepared.
//!
//! Add a page's data here (and to `PageData`), not as a `Resource`: a resource's fetch runs apart
//! from the response, and when a browser cut the request off, reactive_graph 0.2 read disposed
//! signals (panics) and deadlocked worker threads dropping the request's owners mid-lookup.

use crate::ui_types::{AppError, ProfileData, SettingsData};

#[cfg(feature = "ssr")]
use crate::server::fns::{profile_now, settings_now};

/// The profile page's data.
pub fn profile() -> Result<ProfileData, AppError> {
    prepared(profile_now())
}

/// The settings page's data.
pub fn settings() -> Result<SettingsData, AppError> {
    prepared(settings_now())
}

/// What the guard prepared; a render it did not prepare (outside a request, or a route missing
/// from the route table) is a bug, answered with the one-sentence failure.
fn prepared<T>(known: Option<Result<T, AppError>>) -> Result<T, AppError> {
    known.unwrap_or_else(|| {
        #[cfg(feature = "ssr")]
        tracing::error!("a page rendered without the data the guard works out first");
        Err(AppError::Internal)
    })
}

#[cfg(not(feature = "ssr"))]
fn profile_now() -> Option<Result<ProfileData, AppError>> {
    None
}

#[cfg(not(feature = "ssr"))]
fn settings_now() -> Option<Result<SettingsData, AppError>> {
    None
}
