//! The server side of the settings page's server functions: every call checks, on the server,
//! that the caller is signed in (401) and an administrator (403), then calls `SettingsService`.

use super::auth_service::AuthService;
use super::settings_service::SettingsService;
use crate::app::settings_api::{Outcome, SesForm, SettingsData, SignInSettings};
use crate::management::ApiError;
use http::StatusCode;
use leptos::prelude::{use_context, ServerFnError};
use leptos_axum::ResponseOptions;
use std::sync::Arc;
use tower_sessions::Session;

/// Shown when no machine-to-machine app is configured.
pub const NOT_CONFIGURED: &str =
    "The Management API is not configured: set LOGTO_M2M_APP_ID and LOGTO_M2M_APP_SECRET.";

fn refuse(status: StatusCode, message: &str) -> ServerFnError {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(status);
    }
    ServerFnError::new(message)
}

/// The settings service, once the caller is known to be an administrator.
async fn admin() -> Result<Arc<SettingsService>, ServerFnError> {
    let auth = use_context::<Arc<AuthService>>()
        .ok_or_else(|| ServerFnError::new("the sign-in service is not available"))?;
    let session = leptos_axum::extract::<Session>()
        .await
        .map_err(|_| ServerFnError::new("the session is not available"))?;
    let user = match auth.current(&session).await {
        Ok(Some((user, _))) => user,
        Ok(None) => return Err(refuse(StatusCode::UNAUTHORIZED, "You are not signed in.")),
        Err(error) => {
            tracing::error!(%error, "cannot check the session");
            return Err(refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                error.user_message(),
            ));
        }
    };
    if !user.has_role(crate::idp::users::ADMIN_ROLE) {
        tracing::warn!(user = %user.sub, "non-admin refused the settings");
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "Only administrators can change the sign-in experience.",
        ));
    }
    use_context::<Option<Arc<SettingsService>>>()
        .flatten()
        .ok_or_else(|| refuse(StatusCode::SERVICE_UNAVAILABLE, NOT_CONFIGURED))
}

fn unavailable(error: &ApiError) -> ServerFnError {
    tracing::error!(%error, "Management API failure");
    refuse(
        StatusCode::BAD_GATEWAY,
        &format!(
            "The Management API did not answer as expected ({}). Try again in a moment.",
            error.code()
        ),
    )
}

pub async fn load() -> Result<SettingsData, ServerFnError> {
    admin().await?.load().await.map_err(|e| unavailable(&e))
}

pub async fn email(
    intent: String,
    factory: String,
    test_address: Option<String>,
    ses: SesForm,
) -> Result<Outcome, ServerFnError> {
    let service = admin().await?;
    let result = match intent.as_str() {
        "test" => {
            service
                .test_email(test_address.as_deref().unwrap_or_default(), &ses)
                .await
        }
        _ => service.save_email(&factory, &ses).await,
    };
    result.map_err(|e| unavailable(&e))
}

pub async fn sign_in(settings: SignInSettings) -> Result<Outcome, ServerFnError> {
    admin()
        .await?
        .save_sign_in(&settings)
        .await
        .map_err(|e| unavailable(&e))
}
