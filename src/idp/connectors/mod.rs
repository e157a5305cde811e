//! Email delivery behind one trait, so the sign-in experience does not care whether mail goes
//! through AWS SES or the development mailbox. Messages carry a Logto usage type, which picks the
//! template.
//!
//! - [`factory`]: the connector kinds an administrator can choose (`aws-ses-mail`,
//!   `dev-mailbox`), each validating its own config (Logto's connector factories).
//! - [`registry`]: the stored connectors (secrets sealed), the active email connector, test sends.
//! - [`aws_ses`]: Logto's AWS SES connector over SESv2; [`dev_mailbox`]: its test double.

pub mod aws_ses;
pub mod dev_mailbox;
pub mod factory;
pub mod registry;

use crate::idp::issues::{self, Issue};
use crate::idp::secrets::SecretsError;
use crate::idp::store::StoreError;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Logto's template usage types (connector `templates[].usageType`). Templates may also carry
/// usage types not listed here; they are kept as written and simply never selected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UsageType {
    Register,
    SignIn,
    ForgotPassword,
    Generic,
    OrganizationInvitation,
    UserPermissionValidation,
    BindNewIdentifier,
    MfaVerification,
    BindMfa,
}

impl UsageType {
    /// The usage types every email connector config must have a template for (Logto's rule).
    pub const REQUIRED: [UsageType; 4] = [
        UsageType::Register,
        UsageType::SignIn,
        UsageType::ForgotPassword,
        UsageType::Generic,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UsageType::Register => "Register",
            UsageType::SignIn => "SignIn",
            UsageType::ForgotPassword => "ForgotPassword",
            UsageType::Generic => "Generic",
            UsageType::OrganizationInvitation => "OrganizationInvitation",
            UsageType::UserPermissionValidation => "UserPermissionValidation",
            UsageType::BindNewIdentifier => "BindNewIdentifier",
            UsageType::MfaVerification => "MfaVerification",
            UsageType::BindMfa => "BindMfa",
        }
    }
}

/// Logto's connector types; every connector here is an `Email` one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ConnectorType {
    Email,
}

impl ConnectorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorType::Email => "Email",
        }
    }
}

/// A verification email to send. The code is the secret part: connectors put it in the body and
/// nowhere else (never in logs).
pub struct EmailMessage {
    pub to: String,
    pub usage: UsageType,
    pub code: String,
}

/// Everything that can go wrong with connectors; rendered once, as Logto's `connector.*` codes,
/// by the Management API. Messages never contain secrets.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// The config does not satisfy the factory: one issue per bad field.
    #[error("{}", issues::summary(.0))]
    InvalidConfig(Vec<Issue>),
    /// No template for the message's usage type, nor a `Generic` one.
    #[error("no template for usage type {0} and no Generic template")]
    TemplateNotFound(String),
    /// The mail service refused the message or could not be reached: `message` is one human
    /// sentence (never a debug dump); `code` is the service's error code when it gave one.
    #[error("{message}")]
    InvalidResponse {
        code: Option<String>,
        message: String,
    },
    /// The mail could not be delivered for a local reason (e.g. the dev mailbox's storage).
    #[error("{0}")]
    Delivery(String),
    #[error("no connector factory with id `{0}`")]
    UnknownFactory(String),
    #[error("no connector with id `{0}`")]
    NotFound(String),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error("connector storage: {0}")]
    Store(#[from] StoreError),
    /// A stored connector record cannot be read back.
    #[error("stored connectors are unreadable: {0}")]
    Corrupt(String),
}

impl ConnectorError {
    /// A config problem that is not about one field (the whole config, or sending without a
    /// field that the config may omit).
    pub fn invalid_config(path: &[&str], message: impl Into<String>) -> Self {
        let path = path
            .iter()
            .map(|key| serde_json::Value::from(*key))
            .collect();
        Self::InvalidConfig(vec![Issue::new(path, issues::code::CUSTOM, message)])
    }
}

#[async_trait]
pub trait EmailConnector: Send + Sync + 'static {
    /// A short name for logs, e.g. `dev-mailbox`.
    fn name(&self) -> &'static str;
    async fn send(&self, message: &EmailMessage) -> Result<(), ConnectorError>;
}

/// The subject and HTML body of the built-in templates, `{{code}}` substituted.
pub fn default_template(usage: UsageType, code: &str) -> (String, String) {
    let (subject, intro) = match usage {
        UsageType::Register => ("Your sign-up code", "Use this code to create your account"),
        UsageType::SignIn => ("Your sign-in code", "Use this code to sign in"),
        UsageType::ForgotPassword => (
            "Your password reset code",
            "Use this code to reset your password",
        ),
        _ => ("Your verification code", "Your verification code"),
    };
    let body = format!(
        "<p>{intro}:</p><p style=\"font-size:24px;font-weight:700;letter-spacing:4px\">{code}</p>\
         <p>The code expires in 10 minutes. If you did not ask for it, ignore this email.</p>"
    );
    (format!("{subject}: {code}"), body)
}
