//! The sign-in experience settings as use cases over the Management API: read the email
//! connector, the factories the provider offers, the sign-in methods and the branding into the
//! page's form types; check (with AWS SES itself), validate and save them; send a test email.
//! Replacing the active connector and saving SES settings that fail the check each need the
//! person's confirmation first. Works with a real Logto (which returns connector secrets in plain
//! text — they never leave this module) and with the embedded provider (which never returns
//! them). `forms` converts between forms and Logto's documents; `rejections` explains Logto's
//! refusals.

mod forms;
mod rejections;

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::management::{ApiError, ManagementClient};
use crate::services::ses_check::{SesCheckInput, SesChecker, SesReport};
use crate::ui_types::{
    ActiveConnector, AppError, BrandingSettings, Confirmation, EmailFactory, EmailSettings,
    Outcome, SecretStorage, SesForm, SettingsData, SignInSettings, DEV_MAILBOX_FACTORY,
    SES_FACTORY,
};
pub use forms::{default_ses_form, default_templates};
use forms::{field, secret_is_set, stored_secret};
use rejections::api_outcome;
use serde_json::{json, Value};

/// The email factories this page can configure, in the order it offers them.
const CONFIGURABLE: [&str; 2] = [SES_FACTORY, DEV_MAILBOX_FACTORY];
/// The `confirm` words a form sends back.
const REPLACE: &str = "replace";
const UNCHECKED: &str = "unchecked";

pub struct SettingsService {
    client: ManagementClient,
    secret_storage: SecretStorage,
    ses: SesChecker,
}

/// The Management API client for the configured Logto (or the embedded provider), when a
/// machine-to-machine app is configured.
pub fn management_client(settings: &Settings, clock: SharedClock) -> Option<ManagementClient> {
    let credentials = settings.logto.m2m.clone()?;
    let endpoint = settings
        .logto
        .endpoint
        .as_ref()
        .unwrap_or(&settings.provider.base_url);
    match ManagementClient::new(endpoint, credentials, settings.logto.http_timeout, clock) {
        Ok(client) => Some(client),
        Err(error) => {
            tracing::error!(%error, "cannot build the Management API client");
            None
        }
    }
}

/// How the configured provider keeps secrets: the embedded one (no Logto endpoint) encrypts
/// them; Logto stores them as given.
pub fn secret_storage(settings: &Settings) -> SecretStorage {
    if settings.logto.endpoint.is_none() {
        SecretStorage::Encrypted
    } else {
        SecretStorage::PlainText
    }
}

/// A Management API failure as server functions report it (logged here with its detail).
pub fn app_error(error: &ApiError) -> AppError {
    tracing::error!(%error, "Management API failure");
    match error {
        ApiError::Unreachable(_) => AppError::Unavailable,
        ApiError::Rejected { code, .. } => AppError::ManagementFailed { code: code.clone() },
        ApiError::Malformed(_) => AppError::ManagementFailed {
            code: error.code().to_owned(),
        },
    }
}

/// What the email form sent.
pub struct EmailSubmission<'a> {
    /// `save`, `check` (the SES check alone) or `test` (a test email through the unsaved form).
    pub intent: &'a str,
    pub factory: &'a str,
    pub test_address: Option<&'a str>,
    /// The confirmations given so far (`replace`, `unchecked`), space-separated.
    pub confirm: Option<&'a str>,
    pub form: &'a SesForm,
}

impl SettingsService {
    /// `secret_storage`: how the provider keeps connector secrets ([`secret_storage`]).
    pub fn new(client: ManagementClient, secret_storage: SecretStorage) -> Self {
        Self {
            client,
            secret_storage,
            ses: SesChecker::new(None),
        }
    }

    /// Sends the SES check to `endpoint_url` instead of AWS (tests, local stand-ins).
    pub fn with_ses_endpoint(mut self, endpoint_url: Option<String>) -> Self {
        self.ses = SesChecker::new(endpoint_url);
        self
    }

    pub async fn load(&self) -> Result<SettingsData, ApiError> {
        let connector = self.email_connector().await?;
        let choices = self.email_factories().await?;
        let experience = self.client.sign_in_experience().await?;
        let ses = connector
            .as_ref()
            .filter(|c| c["connectorId"] == SES_FACTORY)
            .map_or_else(default_ses_form, forms::ses_form);
        Ok(SettingsData {
            email: EmailSettings {
                choices,
                active: connector.as_ref().map(active_connector),
                secret_set: connector
                    .as_ref()
                    .is_some_and(|c| c["connectorId"] == SES_FACTORY && secret_is_set(Some(c))),
                secret_storage: self.secret_storage,
                ses,
            },
            sign_in: forms::sign_in_settings(&experience),
            branding: forms::branding_settings(&experience),
        })
    }

    /// The configurable email factories the provider has (`GET /api/connector-factories`).
    async fn email_factories(&self) -> Result<Vec<EmailFactory>, ApiError> {
        let factories = self.client.connector_factories().await?;
        Ok(CONFIGURABLE
            .iter()
            .filter_map(|id| {
                factories
                    .iter()
                    .find(|factory| factory["id"] == *id && factory["type"] == "Email")
                    .map(|factory| EmailFactory {
                        id: (*id).to_owned(),
                        name: display_name(factory, id),
                    })
            })
            .collect())
    }

    /// The stored email connector, if any (a tenant has at most one).
    async fn email_connector(&self) -> Result<Option<Value>, ApiError> {
        let connectors = self.client.connectors().await?;
        Ok(connectors.into_iter().find(|connector| {
            connector["type"] == "Email"
                || connector["connectorId"] == SES_FACTORY
                || connector["connectorId"] == DEV_MAILBOX_FACTORY
        }))
    }

    /// The email form's three buttons.
    pub async fn submit_email(&self, sent: &EmailSubmission<'_>) -> Result<Outcome, ApiError> {
        match sent.intent {
            "test" => {
                self.test_email(sent.test_address.unwrap_or_default(), sent.form)
                    .await
            }
            "check" => self.check_ses(sent.form).await,
            _ => {
                let confirmed: Vec<&str> = sent
                    .confirm
                    .unwrap_or_default()
                    .split_whitespace()
                    .collect();
                self.save_email(sent.factory, sent.form, &confirmed).await
            }
        }
    }

    /// Runs the SES check on the form alone and reports what it found.
    async fn check_ses(&self, form: &SesForm) -> Result<Outcome, ApiError> {
        let current = self.email_connector().await?;
        let report = self.ses.check(&check_input(form, current.as_ref())).await;
        let ok = !report.has_problems();
        let message = if ok {
            "The SES check passed: these settings can send sign-in codes."
        } else {
            "The SES check found problems: sign-in codes would not be delivered with these settings."
        };
        Ok(report_outcome(ok, message, report))
    }

    pub async fn save_email(
        &self,
        factory: &str,
        form: &SesForm,
        confirmed: &[&str],
    ) -> Result<Outcome, ApiError> {
        let choices = self.email_factories().await?;
        let Some(choice) = choices.iter().find(|choice| choice.id == factory) else {
            return Ok(failure(
                "Choose an email service.",
                vec![field(
                    "factory",
                    "Choose one of the email services this provider offers.",
                )],
            ));
        };
        let current = self.email_connector().await?;
        let current_factory = current
            .as_ref()
            .and_then(|c| c["connectorId"].as_str())
            .unwrap_or_default()
            .to_owned();
        let mut report = SesReport::default();
        if factory == SES_FACTORY {
            let stored = current_factory == SES_FACTORY && secret_is_set(current.as_ref());
            let errors = forms::validate_ses(form, stored);
            if !errors.is_empty() {
                return Ok(failure("Some fields need attention.", errors));
            }
        }
        if let Some(active) = current.as_ref().filter(|_| current_factory != factory) {
            if !confirmed.contains(&REPLACE) {
                let active = active_connector(active);
                return Ok(confirmation(
                    format!(
                        "{} is the active email connector. Saving removes it and its settings, and sends sign-in codes with {} instead.",
                        active.name, choice.name
                    ),
                    format!("Replace {} and save", active.name),
                    confirmed,
                    REPLACE,
                ));
            }
        }
        if factory == SES_FACTORY && !confirmed.contains(&UNCHECKED) {
            if let Some(input) = self.input_to_check(form, current.as_ref()) {
                report = self.ses.check(&input).await;
                if !report.field_errors.is_empty() {
                    return Ok(report_outcome(false, "Some fields need attention.", report));
                }
                if report.has_problems() {
                    let mut outcome = report_outcome(
                        false,
                        "The SES check found problems, so nothing was saved: sign-in codes would not be delivered with these settings.",
                        report,
                    );
                    outcome.confirm = confirmation(
                        "Save these settings anyway? Until the problems are fixed, nobody can sign in with an email code.".to_owned(),
                        "Save anyway".to_owned(),
                        confirmed,
                        UNCHECKED,
                    )
                    .confirm;
                    return Ok(outcome);
                }
            }
        }
        let saved = match (factory, &current) {
            (SES_FACTORY, Some(connector)) if current_factory == SES_FACTORY => {
                let id = connector["id"].as_str().unwrap_or_default();
                self.client
                    .update_connector(id, &forms::ses_config(form, current.as_ref()))
                    .await
            }
            (SES_FACTORY, _) => {
                self.client
                    .create_connector(SES_FACTORY, &forms::ses_config(form, None))
                    .await
            }
            (_, _) if current_factory == factory => Ok(Value::Null),
            (_, _) => self.client.create_connector(factory, &json!({})).await,
        };
        match saved {
            Ok(_) if factory == SES_FACTORY => Ok(report_outcome(
                true,
                "AWS SES settings saved. Sign-in codes are now sent through SES.",
                report,
            )),
            Ok(_) => Ok(success(&format!(
                "Saved. Sign-in codes now go to the {}.",
                choice.name.to_lowercase()
            ))),
            Err(error) => api_outcome(error),
        }
    }

    /// What the SES check needs, unless it cannot run and need not: no secret in the form, none
    /// readable from the provider, and the same key, region and sender as the stored settings
    /// (which are already in use).
    fn input_to_check(&self, form: &SesForm, current: Option<&Value>) -> Option<SesCheckInput> {
        let input = check_input(form, current);
        let stored = current.filter(|c| c["connectorId"] == SES_FACTORY);
        let unchanged = stored.is_some_and(|connector| {
            let saved = forms::ses_form(connector);
            saved.access_key_id == form.access_key_id.trim()
                && saved.region == form.region.trim()
                && saved.email_address == form.email_address.trim()
        });
        if input.access_key_secret.is_empty() && unchanged {
            None
        } else {
            Some(input)
        }
    }

    pub async fn test_email(&self, address: &str, form: &SesForm) -> Result<Outcome, ApiError> {
        let address = address.trim();
        if !forms::plausible_email(address) {
            return Ok(failure(
                "Enter the address to send the test to.",
                vec![field("test_address", "Enter a valid email address.")],
            ));
        }
        let current = self.email_connector().await?;
        let stored_secret = current
            .as_ref()
            .is_some_and(|c| c["connectorId"] == SES_FACTORY)
            && secret_is_set(current.as_ref());
        let errors = forms::validate_ses(form, stored_secret);
        if !errors.is_empty() {
            return Ok(failure(
                "Some fields need attention before a test can be sent.",
                errors,
            ));
        }
        let config = forms::ses_config(form, current.as_ref());
        match self
            .client
            .test_connector(SES_FACTORY, address, &config)
            .await
        {
            Ok(()) => Ok(success(&format!("Test email sent to {address}."))),
            Err(error) => api_outcome(error),
        }
    }

    pub async fn save_sign_in(&self, settings: &SignInSettings) -> Result<Outcome, ApiError> {
        let patch = json!({
            "signUp": {
                "identifiers": if settings.email_sign_up { vec!["email"] } else { Vec::new() },
                "password": settings.password,
                "verify": true,
            },
            "signIn": {
                "methods": [{
                    "identifier": "email",
                    "password": settings.password,
                    "verificationCode": settings.verification_code,
                    "isPasswordPrimary": settings.password,
                }],
            },
        });
        match self.client.update_sign_in_experience(&patch).await {
            Ok(_) => Ok(success("Sign-up and sign-in settings saved.")),
            Err(error) => api_outcome(error),
        }
    }

    pub async fn save_branding(&self, form: &BrandingSettings) -> Result<Outcome, ApiError> {
        let errors = forms::validate_branding(form);
        if !errors.is_empty() {
            return Ok(failure("Some fields need attention.", errors));
        }
        match self
            .client
            .update_sign_in_experience(&forms::branding_patch(form))
            .await
        {
            Ok(_) => Ok(success(
                "Branding saved. The sign-in pages show it from the next visit.",
            )),
            Err(error) => api_outcome(error),
        }
    }
}

/// The name a factory or connector shows people: Logto's `name.en`, else any name, else `id`.
fn display_name(item: &Value, id: &str) -> String {
    let name = &item["name"];
    name["en"]
        .as_str()
        .or_else(|| name.as_str())
        .or_else(|| {
            name.as_object()
                .and_then(|names| names.values().find_map(Value::as_str))
        })
        .or_else(|| item["metadata"]["name"]["en"].as_str())
        .unwrap_or(id)
        .to_owned()
}

fn active_connector(connector: &Value) -> ActiveConnector {
    let factory = connector["connectorId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    ActiveConnector {
        id: connector["id"].as_str().unwrap_or_default().to_owned(),
        name: display_name(connector, &factory),
        factory,
    }
}

/// The form as the SES check takes it; a blank secret is the one a real Logto returned.
fn check_input(form: &SesForm, current: Option<&Value>) -> SesCheckInput {
    let secret = match form.access_key_secret.trim() {
        "" => stored_secret(current.filter(|c| c["connectorId"] == SES_FACTORY))
            .unwrap_or_default()
            .to_owned(),
        typed => typed.to_owned(),
    };
    SesCheckInput {
        access_key_id: form.access_key_id.trim().to_owned(),
        access_key_secret: secret,
        region: form.region.trim().to_owned(),
        sender: form.email_address.trim().to_owned(),
        sender_identity_arn: form.email_address_identity_arn.trim().to_owned(),
        feedback_identity_arn: form
            .feedback_forwarding_email_address_identity_arn
            .trim()
            .to_owned(),
    }
}

fn success(message: &str) -> Outcome {
    Outcome {
        ok: true,
        message: message.to_owned(),
        ..Outcome::default()
    }
}

fn failure(message: &str, field_errors: Vec<crate::ui_types::FieldError>) -> Outcome {
    Outcome {
        ok: false,
        message: message.to_owned(),
        field_errors,
        ..Outcome::default()
    }
}

fn report_outcome(ok: bool, message: &str, report: SesReport) -> Outcome {
    Outcome {
        ok,
        message: message.to_owned(),
        field_errors: report.field_errors,
        findings: report.findings,
        detail: report.detail,
        confirm: None,
    }
}

/// Nothing saved: `question` must be confirmed first; the button sends every confirmation so far
/// plus `word`.
fn confirmation(question: String, button: String, confirmed: &[&str], word: &str) -> Outcome {
    let mut value: Vec<&str> = confirmed.to_vec();
    value.push(word);
    Outcome {
        ok: false,
        message: question.clone(),
        confirm: Some(Confirmation {
            question,
            button,
            value: value.join(" "),
        }),
        ..Outcome::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_logtos_localised_name() {
        let smtp = json!({"id": "c1", "connectorId": "simple-mail-transfer-protocol", "name": {"en": "SMTP", "fr": "SMTP"}});
        assert_eq!(
            active_connector(&smtp),
            ActiveConnector {
                id: "c1".into(),
                factory: "simple-mail-transfer-protocol".into(),
                name: "SMTP".into()
            }
        );
        assert_eq!(
            display_name(&json!({"id": "x"}), "mock-email-service"),
            "mock-email-service"
        );
    }

    #[test]
    fn confirmations_accumulate() {
        let asked = confirmation("Sure?".into(), "Yes".into(), &["replace"], UNCHECKED);
        assert!(!asked.ok);
        assert_eq!(asked.confirm.unwrap().value, "replace unchecked");
    }

    #[test]
    fn a_real_logtos_stored_secret_is_used_for_the_check() {
        let mut form = default_ses_form();
        form.access_key_id = "AKIAIOSFODNN7EXAMPLE".into();
        let real = json!({"connectorId": SES_FACTORY, "config": {"accessKeySecret": "stored"}});
        assert_eq!(check_input(&form, Some(&real)).access_key_secret, "stored");
        form.access_key_secret = " typed ".into();
        assert_eq!(check_input(&form, Some(&real)).access_key_secret, "typed");
    }
}
