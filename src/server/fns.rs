//! What the app's server functions stand on: the request's [`Visit`] from the Leptos context, and
//! [`answer`], which sets the HTTP status of a refusal (401, 403, 502, 503…) on the response. A
//! server function is then one line: `answer(visit().await?.profile().await)`. Pages read what the
//! guard worked out before their render (who is signed in, their own data) without waiting, through
//! [`session_summary_now`], [`profile_now`] and [`settings_now`].

use super::extract::visit_of;
use crate::services::Visit;
use crate::ui_types::{AppError, ProfileData, SessionSummary, SettingsData};
use http::request::Parts;
use http::StatusCode;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// This request's use cases.
pub async fn visit() -> Result<Visit, AppError> {
    let parts = use_context::<Parts>().ok_or_else(|| {
        tracing::error!("a server function ran outside a request");
        AppError::Internal
    });
    answer(parts.and_then(|parts| visit_of(&parts)))
}

/// Who is signed in, as the guard worked it out before this page's render; `None` outside a
/// request, or when the guard did not run.
pub fn session_summary_now() -> Option<Result<SessionSummary, AppError>> {
    worked_out(Visit::summary_worked_out)
}

/// The profile page's data, as the guard worked it out before the render (`None` as above).
pub fn profile_now() -> Option<Result<ProfileData, AppError>> {
    worked_out(Visit::profile_worked_out)
}

/// The settings page's data, as the guard loaded it before the render (`None` as above).
pub fn settings_now() -> Option<Result<SettingsData, AppError>> {
    worked_out(Visit::settings_worked_out)
}

/// What this request's `Visit` has worked out already, read without waiting.
fn worked_out<T>(read: impl FnOnce(&Visit) -> Option<T>) -> Option<T> {
    use_context::<Parts>()
        .and_then(|parts| visit_of(&parts).ok())
        .and_then(|visit| read(&visit))
}

/// `result`, with the status of its error set on the response.
pub fn answer<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result {
        if let (Some(response), Ok(status)) = (
            use_context::<ResponseOptions>(),
            StatusCode::from_u16(error.status()),
        ) {
            response.set_status(status);
        }
    }
    result
}

/// Sends the browser (or the WASM client) to `url`.
pub fn redirect(url: &url::Url) {
    leptos_axum::redirect(url.as_str());
}
