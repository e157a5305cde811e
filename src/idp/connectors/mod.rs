//! Email delivery behind one trait, so the sign-in experience does not care whether mail goes
//! through AWS SES or the development mailbox. Messages carry a Logto usage type, which picks the
//! template.

pub mod dev_mailbox;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Logto's template usage types (connector `templates[].usageType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UsageType {
    Register,
    SignIn,
    ForgotPassword,
    Generic,
}

/// A verification email to send. The code is the secret part: connectors put it in the body and
/// nowhere else (never in logs).
pub struct EmailMessage {
    pub to: String,
    pub usage: UsageType,
    pub code: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// The mail service refused or failed; its message is safe to show an administrator.
    #[error("{0}")]
    Delivery(String),
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
        UsageType::Generic => ("Your verification code", "Your verification code"),
    };
    let body = format!(
        "<p>{intro}:</p><p style=\"font-size:24px;font-weight:700;letter-spacing:4px\">{code}</p>\
         <p>The code expires in 10 minutes. If you did not ask for it, ignore this email.</p>"
    );
    (format!("{subject}: {code}"), body)
}
