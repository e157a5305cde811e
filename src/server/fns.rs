//! What the app's server functions stand on: the request's [`Visit`] from the Leptos context, and
//! [`answer`], which sets the HTTP status of a refusal (401, 403, 502, 503…) on the response. A
//! server function is then one line: `answer(visit().await?.profile().await)`.

use super::extract::visit_of;
use crate::services::Visit;
use crate::ui_types::AppError;
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
