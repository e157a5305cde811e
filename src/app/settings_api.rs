//! Server functions of the sign-in experience settings page and the form types they exchange.
//! The SES secret is write-only: the browser never receives it, only whether one is set.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const SES_FACTORY: &str = "aws-ses-mail";
pub const DEV_MAILBOX_FACTORY: &str = "dev-mailbox";
/// Usage types Logto requires in every SES connector.
pub const REQUIRED_USAGE_TYPES: [&str; 4] = ["Register", "SignIn", "ForgotPassword", "Generic"];
/// Further usage types an admin may add.
pub const OPTIONAL_USAGE_TYPES: [&str; 3] = [
    "OrganizationInvitation",
    "BindNewIdentifier",
    "MfaVerification",
];

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateForm {
    pub usage_type: String,
    pub subject: String,
    pub content: String,
}

/// The AWS SES connector's fields (Logto's config keys, in snake case).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SesForm {
    #[serde(default)]
    pub access_key_id: String,
    /// Write-only: empty when shown; empty on save keeps the stored secret.
    #[serde(default)]
    pub access_key_secret: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub email_address: String,
    #[serde(default)]
    pub email_address_identity_arn: String,
    #[serde(default)]
    pub feedback_forwarding_email_address: String,
    #[serde(default)]
    pub feedback_forwarding_email_address_identity_arn: String,
    #[serde(default)]
    pub configuration_set_name: String,
    #[serde(default)]
    pub templates: Vec<TemplateForm>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailSettings {
    /// `aws-ses-mail`, `dev-mailbox`, or empty when no email connector exists.
    pub factory: String,
    pub ses: SesForm,
    /// Whether an SES secret is stored.
    pub secret_set: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInSettings {
    pub email_sign_up: bool,
    pub verification_code: bool,
    pub password: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsData {
    pub email: EmailSettings,
    pub sign_in: SignInSettings,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The form field, e.g. `ses[region]` or `verification_code`.
    pub field: String,
    pub message: String,
}

/// The answer to a save or a test: a summary and, on failure, the fields at fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub ok: bool,
    pub message: String,
    pub field_errors: Vec<FieldError>,
}

impl Outcome {
    pub fn error_for(&self, field: &str) -> Option<String> {
        self.field_errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    }
}

/// The current settings (admins only: 403 otherwise, 401 when signed out).
#[server(prefix = "/api", endpoint = "settings")]
pub async fn load_settings() -> Result<SettingsData, ServerFnError> {
    crate::server::settings_fns::load().await
}

/// Saves the email connector (`intent=save`) or sends a test email through the unsaved form
/// (`intent=test`).
#[server(prefix = "/api", endpoint = "settings/email")]
pub async fn save_email(
    intent: String,
    factory: String,
    test_address: Option<String>,
    ses: Option<SesForm>,
) -> Result<Outcome, ServerFnError> {
    crate::server::settings_fns::email(intent, factory, test_address, ses.unwrap_or_default()).await
}

/// Saves the sign-up and sign-in methods (checkboxes: present means on).
#[server(prefix = "/api", endpoint = "settings/sign-in")]
pub async fn save_sign_in(
    email_sign_up: Option<String>,
    verification_code: Option<String>,
    password: Option<String>,
) -> Result<Outcome, ServerFnError> {
    crate::server::settings_fns::sign_in(SignInSettings {
        email_sign_up: email_sign_up.is_some(),
        verification_code: verification_code.is_some(),
        password: password.is_some(),
    })
    .await
}
