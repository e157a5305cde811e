//! The server functions of the sign-in experience settings page, each one line over the request's
//! `Visit`, which checks on the server that the caller is signed in (401) and an administrator
//! (403). The form types are in `ui_types`; the SES secret is write-only.

use crate::ui_types::{AppError, BrandingSettings, Outcome, SesForm, SettingsData};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::server::fns::{answer, visit};

/// The current settings (admins only: 403 otherwise, 401 when signed out).
#[server(prefix = "/api", endpoint = "settings")]
pub async fn load_settings() -> Result<SettingsData, AppError> {
    answer(visit().await?.settings().await)
}

/// Saves the email connector (`intent=save`, or no intent from a confirming button; `confirm`
/// carries the confirmations given so far),
/// runs the SES check on the form (`intent=check`), or sends a test email through the unsaved
/// form (`intent=test`).
#[server(prefix = "/api", endpoint = "settings/email")]
pub async fn save_email(
    intent: Option<String>,
    factory: String,
    test_address: Option<String>,
    confirm: Option<String>,
    ses: Option<SesForm>,
) -> Result<Outcome, AppError> {
    let form = ses.unwrap_or_default();
    answer(
        visit()
            .await?
            .submit_email(
                intent.as_deref().unwrap_or("save"),
                &factory,
                test_address.as_deref(),
                confirm.as_deref(),
                &form,
            )
            .await,
    )
}

/// Saves the sign-in pages' branding (logos and brand colours).
#[server(prefix = "/api", endpoint = "settings/branding")]
pub async fn save_branding(branding: BrandingSettings) -> Result<Outcome, AppError> {
    answer(visit().await?.save_branding(&branding).await)
}

/// Saves the sign-up and sign-in methods (checkboxes: present means on).
#[server(prefix = "/api", endpoint = "settings/sign-in")]
pub async fn save_sign_in(
    email_sign_up: Option<String>,
    verification_code: Option<String>,
    password: Option<String>,
) -> Result<Outcome, AppError> {
    let methods = crate::ui_types::SignInSettings {
        email_sign_up: email_sign_up.is_some(),
        verification_code: verification_code.is_some(),
        password: password.is_some(),
    };
    answer(visit().await?.save_sign_in(&methods).await)
}
