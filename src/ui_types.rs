//! What crosses the wire between the browser and the server: the data server functions take and
//! return, the typed [`AppError`] they fail with, the sign-in failure vocabulary, and which pages
//! need a signed-in person. Compiled for both builds; imports nothing of this crate, so every layer
//! may use it. Tokens never appear in these types: the browser only learns who is signed in and
//! when things expire. The SES secret is write-only: only whether one is set comes back.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The signed-in person, as pages show them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserView {
    /// The provider's subject identifier (`sub`).
    pub id: String,
    pub display_name: String,
    pub email: Option<String>,
    pub is_admin: bool,
}

/// What every page needs to know.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SessionSummary {
    pub user: Option<UserView>,
    /// Set while the embedded provider's dev mailbox delivers sign-in codes.
    pub mailbox_url: Option<String>,
    /// Whether new people may create an account (only worked out for signed-out visitors).
    pub sign_up_open: bool,
}

/// The profile page's data.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProfileData {
    pub user: UserView,
    /// ID-token claims as (name, JSON value) pairs, sorted by name.
    pub claims: Vec<(String, String)>,
    /// Claims from the userinfo endpoint, or why they could not be fetched.
    pub userinfo: Result<Vec<(String, String)>, String>,
    /// How old (seconds) the userinfo claims may be; 0: fetched for this view.
    pub userinfo_max_age_secs: u64,
    /// Unix seconds.
    pub access_token_expires_at: u64,
    pub session_idle_timeout_secs: u64,
    pub session_absolute_lifetime_secs: u64,
}

// ---- The colour theme ---------------------------------------------------------------------

/// The theme cookie's name, prefixed so it cannot clash with the provider's cookies.
pub const THEME_COOKIE: &str = "leptos_logto_theme";

/// The colour theme a person chose (system → light → dark), kept in a cookie the server reads to
/// render it and to pass it on to the provider's pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn parse(text: &str) -> Self {
        match text {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::System,
        }
    }

    /// The theme chosen explicitly, as other sites are told it (`None`: follow the system).
    pub fn chosen(self) -> Option<&'static str> {
        match self {
            Theme::System => None,
            theme => Some(theme.as_str()),
        }
    }

    pub fn next(self) -> Self {
        match self {
            Theme::System => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::System,
        }
    }
}

/// The theme value of a `Cookie` header (or `document.cookie`), if any.
pub fn theme_from_cookie_header(header: &str) -> Option<Theme> {
    header.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == THEME_COOKIE).then(|| Theme::parse(value))
    })
}

// ---- Sign-in experience settings -----------------------------------------------------------

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

/// An email connector factory this page can configure, as the provider names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailFactory {
    /// `aws-ses-mail` or `dev-mailbox`.
    pub id: String,
    pub name: String,
}

/// The email connector in use, whatever made it (SES, SMTP, SendGrid, Logto's mock…).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveConnector {
    /// The connector's own id (what replacing it deletes).
    pub id: String,
    /// Its factory (`connectorId`), e.g. `aws-ses-mail` or `simple-mail-transfer-protocol`.
    pub factory: String,
    /// Its display name, e.g. "AWS Simple Email Service" or "SMTP".
    pub name: String,
}

/// How the provider keeps the SES secret, so the form can say what is true.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SecretStorage {
    /// The embedded provider: encrypted at rest, never returned by its API.
    Encrypted,
    /// Logto: stored as given and returned to Management API clients.
    PlainText,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailSettings {
    /// The factories the provider has that this page can configure, in the order offered.
    pub choices: Vec<EmailFactory>,
    /// The email connector in use, if any.
    pub active: Option<ActiveConnector>,
    pub ses: SesForm,
    /// Whether an SES secret is stored.
    pub secret_set: bool,
    pub secret_storage: SecretStorage,
}

impl EmailSettings {
    /// The factory to preselect: the active one when this page can configure it, else the
    /// first offered.
    pub fn selected_factory(&self) -> String {
        self.active
            .as_ref()
            .map(|active| active.factory.clone())
            .filter(|factory| self.choices.iter().any(|choice| &choice.id == factory))
            .or_else(|| self.choices.first().map(|choice| choice.id.clone()))
            .unwrap_or_default()
    }
}

/// Logto's sign-in experience branding (`branding` and `color`), as the settings form edits it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrandingSettings {
    #[serde(default)]
    pub logo_url: String,
    #[serde(default)]
    pub dark_logo_url: String,
    /// `#RRGGBB`.
    #[serde(default)]
    pub primary_color: String,
    #[serde(default)]
    pub dark_primary_color: String,
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
    pub branding: BrandingSettings,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The form field, e.g. `ses[region]` or `verification_code`.
    pub field: String,
    pub message: String,
}

/// How a finding of the SES check reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FindingLevel {
    Good,
    Warning,
    /// Sign-in codes would not be delivered.
    Problem,
}

/// One line of the SES check: what was found, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub level: FindingLevel,
    pub text: String,
}

/// A question the person must answer before a save goes ahead (replacing the active connector,
/// saving settings that did not pass the SES check).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    pub question: String,
    /// The confirming button's label, e.g. "Replace SMTP and save".
    pub button: String,
    /// Sent back as the form's `confirm` value: every confirmation given so far.
    pub value: String,
}

/// The answer to a save, a check or a test: a summary and, on failure, the fields at fault.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub ok: bool,
    pub message: String,
    pub field_errors: Vec<FieldError>,
    /// The SES check's findings, in order.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// Technical detail for support (an SDK or provider message), shown folded away.
    #[serde(default)]
    pub detail: Option<String>,
    /// Set when nothing was saved because the person must confirm first.
    #[serde(default)]
    pub confirm: Option<Confirmation>,
}

impl Outcome {
    pub fn error_for(&self, field: &str) -> Option<String> {
        self.field_errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    }
}

// ---- Failures ------------------------------------------------------------------------------

/// Why a sign-in failed, as the sign-in error page explains it (`/sign-in-error?reason=…`). A fixed
/// vocabulary, so nothing from the provider or the URL is ever echoed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInFailure {
    Cancelled,
    ProviderError,
    InvalidRequest,
    Expired,
    VerificationFailed,
    Unreachable,
    SignedOut,
    Internal,
}

impl SignInFailure {
    pub const ALL: [SignInFailure; 8] = [
        SignInFailure::Cancelled,
        SignInFailure::ProviderError,
        SignInFailure::InvalidRequest,
        SignInFailure::Expired,
        SignInFailure::VerificationFailed,
        SignInFailure::Unreachable,
        SignInFailure::SignedOut,
        SignInFailure::Internal,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SignInFailure::Cancelled => "cancelled",
            SignInFailure::ProviderError => "provider_error",
            SignInFailure::InvalidRequest => "invalid_request",
            SignInFailure::Expired => "expired",
            SignInFailure::VerificationFailed => "verification_failed",
            SignInFailure::Unreachable => "unreachable",
            SignInFailure::SignedOut => "signed_out",
            SignInFailure::Internal => "internal",
        }
    }

    pub fn parse(code: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|failure| failure.code() == code)
            .unwrap_or(SignInFailure::Internal)
    }

    pub fn title(self) -> &'static str {
        match self {
            SignInFailure::Cancelled => "Sign-in cancelled",
            SignInFailure::SignedOut => "Your session has ended",
            _ => "Sign-in didn't work",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            SignInFailure::Cancelled => "Sign-in was cancelled. You can try again whenever you like.",
            SignInFailure::ProviderError => "The sign-in service could not complete your request. Please try again.",
            SignInFailure::InvalidRequest => "This sign-in link is not valid for this browser, or it was already used. Please start signing in again.",
            SignInFailure::Expired => "The sign-in took too long. Please start again.",
            SignInFailure::VerificationFailed => "We could not confirm your sign-in with the sign-in service. Please try again.",
            SignInFailure::Unreachable => "The sign-in service is not reachable right now. Please try again in a moment.",
            SignInFailure::SignedOut => "Your session has ended. Please sign in again.",
            SignInFailure::Internal => "Something went wrong on our side. Please try again later.",
        }
    }
}

/// Why a server function refused or failed, typed end to end: pages match on the variant, never on
/// text. On the server the matching HTTP status is set on the response too ([`AppError::status`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppError {
    /// 401: nobody is signed in, or the session has ended.
    SignedOut,
    /// 403: signed in, but this needs an administrator.
    AdminsOnly,
    /// 503: the sign-in service or a store did not answer; trying again later may work.
    Unavailable,
    /// 503: no machine-to-machine app is configured, so the Management API cannot be used.
    ManagementNotConfigured,
    /// 502: the Management API answered something unexpected (Logto's error code, for support).
    ManagementFailed { code: String },
    /// 400: the request cannot be served as sent; the text is for people.
    BadRequest(String),
    /// 500: a fault on our side (details are in the server's log).
    Internal,
    /// The call never completed: the network failed or an answer could not be read. The detail is
    /// for developers' consoles, never shown on a page.
    Transport(String),
}

impl AppError {
    /// The HTTP status this failure answers with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::SignedOut => 401,
            AppError::AdminsOnly => 403,
            AppError::BadRequest(_) => 400,
            AppError::ManagementFailed { .. } => 502,
            AppError::Unavailable | AppError::ManagementNotConfigured => 503,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }

    /// One sentence for the person in front of the page.
    pub fn message(&self) -> String {
        match self {
            AppError::SignedOut => "You are not signed in.".to_owned(),
            AppError::AdminsOnly => {
                "Only administrators can change the sign-in experience.".to_owned()
            }
            AppError::Unavailable => {
                "The sign-in service is not reachable right now. Please try again in a moment."
                    .to_owned()
            }
            AppError::ManagementNotConfigured => {
                "The Management API is not configured: set LOGTO_M2M_APP_ID and LOGTO_M2M_APP_SECRET."
                    .to_owned()
            }
            AppError::ManagementFailed { code } => format!(
                "The Management API did not answer as expected ({code}). Try again in a moment."
            ),
            AppError::BadRequest(message) => message.clone(),
            AppError::Internal => "Something went wrong on our side. Please try again later.".to_owned(),
            AppError::Transport(_) => {
                "The server could not be reached. Check your connection and try again.".to_owned()
            }
        }
    }

    /// Whether trying the same thing again later may work.
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            AppError::Unavailable | AppError::ManagementFailed { .. } | AppError::Transport(_)
        )
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for AppError {}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

// ---- Pages ---------------------------------------------------------------------------------

/// Who may open a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Anyone,
    /// A full page load while signed out is redirected to sign in and back.
    SignedIn,
    /// Signed in as an administrator; others get the page's 403.
    Admin,
}

/// What a page shows beyond who is signed in. The server works it out before the page renders,
/// so that the page renders at once, with no data to wait for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageData {
    /// Nothing more.
    None,
    /// The signed-in person's [`ProfileData`].
    Profile,
    /// The sign-in experience's [`SettingsData`].
    Settings,
}

/// One row of the app's route table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRule {
    pub path: &'static str,
    pub access: Access,
    pub data: PageData,
}

/// The rule for `path` in `table`, if it is listed.
pub fn rule_of(table: &[PageRule], path: &str) -> Option<PageRule> {
    table.iter().find(|page| page.path == path).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_has_its_status_and_one_sentence() {
        for (error, status) in [
            (AppError::SignedOut, 401),
            (AppError::AdminsOnly, 403),
            (AppError::BadRequest("Enter an address.".into()), 400),
            (AppError::ManagementFailed { code: "x.y".into() }, 502),
            (AppError::Unavailable, 503),
            (AppError::ManagementNotConfigured, 503),
            (AppError::Internal, 500),
            (
                AppError::Transport("error sending request for url".into()),
                500,
            ),
        ] {
            assert_eq!(error.status(), status, "{error:?}");
            let message = error.message();
            assert!(message.ends_with('.'), "{message}");
            assert!(!message.contains("error sending request"), "{message}");
        }
    }

    #[test]
    fn a_failure_survives_the_wire() {
        use leptos::server_fn::error::FromServerFnError;
        let error = AppError::ManagementFailed {
            code: "connector.not_found".into(),
        };
        assert_eq!(AppError::de(error.ser()), error);
    }
}
