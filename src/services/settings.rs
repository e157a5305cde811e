//! The sign-in experience settings as use cases over the Management API: read the email
//! connector and sign-in methods into the page's form types, validate and save them, send a test
//! email. Works with a real Logto (which returns connector secrets in plain text — they never
//! leave this module) and with the embedded provider (which never returns them).

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::management::{ApiError, ManagementClient};
use crate::ui_types::AppError;
use crate::ui_types::{
    EmailSettings, FieldError, Outcome, SesForm, SettingsData, SignInSettings, TemplateForm,
    DEV_MAILBOX_FACTORY, REQUIRED_USAGE_TYPES, SES_FACTORY,
};
use serde_json::{json, Map, Value};

pub struct SettingsService {
    client: ManagementClient,
}

/// Logto config key ↔ form field, for every SES text field.
const SES_FIELDS: [(&str, &str); 8] = [
    ("accessKeyId", "access_key_id"),
    ("accessKeySecret", "access_key_secret"),
    ("region", "region"),
    ("emailAddress", "email_address"),
    ("emailAddressIdentityArn", "email_address_identity_arn"),
    (
        "feedbackForwardingEmailAddress",
        "feedback_forwarding_email_address",
    ),
    (
        "feedbackForwardingEmailAddressIdentityArn",
        "feedback_forwarding_email_address_identity_arn",
    ),
    ("configurationSetName", "configuration_set_name"),
];

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

impl SettingsService {
    pub fn new(client: ManagementClient) -> Self {
        Self { client }
    }

    pub async fn load(&self) -> Result<SettingsData, ApiError> {
        let connector = self.email_connector().await?;
        let experience = self.client.sign_in_experience().await?;
        Ok(SettingsData {
            email: connector
                .as_ref()
                .map_or_else(default_email_settings, email_settings),
            sign_in: sign_in_settings(&experience),
        })
    }

    /// The stored Email connector, if any.
    async fn email_connector(&self) -> Result<Option<Value>, ApiError> {
        let connectors = self.client.connectors().await?;
        Ok(connectors.into_iter().find(|connector| {
            connector["type"] == "Email"
                || connector["connectorId"] == SES_FACTORY
                || connector["connectorId"] == DEV_MAILBOX_FACTORY
        }))
    }

    /// The email form's two buttons: `intent=test` sends a test email through the unsaved form;
    /// anything else saves it.
    pub async fn submit_email(
        &self,
        intent: &str,
        factory: &str,
        test_address: Option<&str>,
        form: &SesForm,
    ) -> Result<Outcome, ApiError> {
        match intent {
            "test" => {
                self.test_email(test_address.unwrap_or_default(), form)
                    .await
            }
            _ => self.save_email(factory, form).await,
        }
    }

    pub async fn save_email(&self, factory: &str, form: &SesForm) -> Result<Outcome, ApiError> {
        let current = self.email_connector().await?;
        let current_factory = current
            .as_ref()
            .and_then(|c| c["connectorId"].as_str())
            .unwrap_or_default()
            .to_owned();
        match factory {
            DEV_MAILBOX_FACTORY => {
                if current_factory != DEV_MAILBOX_FACTORY {
                    self.client
                        .create_connector(DEV_MAILBOX_FACTORY, &json!({}))
                        .await?;
                }
                Ok(success("Email now goes to the development mailbox."))
            }
            SES_FACTORY => {
                let errors = validate_ses(
                    form,
                    current_factory == SES_FACTORY && secret_is_set(current.as_ref()),
                );
                if !errors.is_empty() {
                    return Ok(failure("Some fields need attention.", errors));
                }
                let config = ses_config(form, current.as_ref());
                let saved = match (&current, current_factory.as_str()) {
                    (Some(connector), SES_FACTORY) => {
                        let id = connector["id"].as_str().unwrap_or_default();
                        self.client.update_connector(id, &config).await
                    }
                    _ => self.client.create_connector(SES_FACTORY, &config).await,
                };
                match saved {
                    Ok(_) => Ok(success(
                        "AWS SES settings saved. Sign-in codes are now sent through SES.",
                    )),
                    Err(error) => api_outcome(error),
                }
            }
            _ => Ok(failure(
                "Choose an email service.",
                vec![field(
                    "factory",
                    "Choose AWS SES or the development mailbox.",
                )],
            )),
        }
    }

    pub async fn test_email(&self, address: &str, form: &SesForm) -> Result<Outcome, ApiError> {
        let address = address.trim();
        if !plausible_email(address) {
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
        let errors = validate_ses(form, stored_secret);
        if !errors.is_empty() {
            return Ok(failure(
                "Some fields need attention before a test can be sent.",
                errors,
            ));
        }
        let config = ses_config(form, current.as_ref());
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
}

fn success(message: &str) -> Outcome {
    Outcome {
        ok: true,
        message: message.to_owned(),
        field_errors: Vec::new(),
    }
}

fn failure(message: &str, field_errors: Vec<FieldError>) -> Outcome {
    Outcome {
        ok: false,
        message: message.to_owned(),
        field_errors,
    }
}

fn field(name: &str, message: &str) -> FieldError {
    FieldError {
        field: name.to_owned(),
        message: message.to_owned(),
    }
}

/// A rejection the page can show next to the right field; transport failures stay errors.
fn api_outcome(error: ApiError) -> Result<Outcome, ApiError> {
    let ApiError::Rejected { code, message, .. } = &error else {
        return Err(error);
    };
    let shown = if message.is_empty() {
        code.clone()
    } else {
        message.clone()
    };
    let at = |name: &str| vec![field(name, &shown)];
    let field_errors = match code.as_str() {
        "connector.invalid_response" => at("test_address"),
        "connector.invalid_config" => SES_FIELDS
            .iter()
            .filter(|(key, _)| message.contains(key))
            .max_by_key(|(key, _)| key.len())
            .map(|(_, name)| at(&format!("ses[{name}]")))
            .unwrap_or_else(|| {
                if message.contains("emplate") {
                    at("templates")
                } else {
                    Vec::new()
                }
            }),
        "sign_in_experiences.enabled_connector_not_found"
        | "sign_in_experiences.passwordless_requires_verify"
        | "sign_in_experiences.missing_sign_up_identifiers"
        | "sign_in_experiences.duplicated_sign_up_identifiers" => at("email_sign_up"),
        "sign_in_experiences.code_sign_in_must_be_enabled"
        | "sign_in_experiences.at_least_one_authentication_factor" => at("verification_code"),
        _ => Vec::new(),
    };
    Ok(failure(&shown, field_errors))
}

fn secret_is_set(connector: Option<&Value>) -> bool {
    let Some(connector) = connector else {
        return false;
    };
    connector["config"]["accessKeySecret"]
        .as_str()
        .is_some_and(|s| !s.is_empty())
        || connector["secrets"]["accessKeySecret"] == true
        || connector["config"]["secrets"]["accessKeySecret"] == true
}

fn default_email_settings() -> EmailSettings {
    EmailSettings {
        factory: String::new(),
        ses: default_ses_form(),
        secret_set: false,
    }
}

fn email_settings(connector: &Value) -> EmailSettings {
    let factory = connector["connectorId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if factory != SES_FACTORY {
        return EmailSettings {
            factory,
            ses: default_ses_form(),
            secret_set: false,
        };
    }
    let config = &connector["config"];
    let text = |key: &str| config[key].as_str().unwrap_or_default().to_owned();
    let templates: Vec<TemplateForm> = config["templates"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|t| TemplateForm {
                    usage_type: t["usageType"].as_str().unwrap_or_default().to_owned(),
                    subject: t["subject"].as_str().unwrap_or_default().to_owned(),
                    content: t["content"].as_str().unwrap_or_default().to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    EmailSettings {
        factory,
        secret_set: secret_is_set(Some(connector)),
        ses: SesForm {
            access_key_id: text("accessKeyId"),
            access_key_secret: String::new(),
            region: text("region"),
            email_address: text("emailAddress"),
            email_address_identity_arn: text("emailAddressIdentityArn"),
            feedback_forwarding_email_address: text("feedbackForwardingEmailAddress"),
            feedback_forwarding_email_address_identity_arn: text(
                "feedbackForwardingEmailAddressIdentityArn",
            ),
            configuration_set_name: text("configurationSetName"),
            templates: if templates.is_empty() {
                default_templates()
            } else {
                templates
            },
        },
    }
}

/// A new SES form: region and templates prefilled with sensible defaults.
pub fn default_ses_form() -> SesForm {
    SesForm {
        region: "us-east-1".to_owned(),
        templates: default_templates(),
        ..SesForm::default()
    }
}

pub fn default_templates() -> Vec<TemplateForm> {
    REQUIRED_USAGE_TYPES
        .iter()
        .map(|usage| {
            let (subject, action) = match *usage {
                "Register" => ("Your sign-up code", "create your account"),
                "SignIn" => ("Your sign-in code", "sign in"),
                "ForgotPassword" => ("Your password reset code", "reset your password"),
                _ => ("Your verification code", "continue"),
            };
            TemplateForm {
                usage_type: (*usage).to_owned(),
                subject: format!("{subject}: {{{{code}}}}"),
                content: format!(
                    "<p>Use this code to {action}:</p><p style=\"font-size:24px;font-weight:700\">{{{{code}}}}</p>\
                     <p>It expires in 10 minutes. If you did not ask for it, you can ignore this email.</p>"
                ),
            }
        })
        .collect()
}

fn sign_in_settings(experience: &Value) -> SignInSettings {
    let email_sign_up = experience["signUp"]["identifiers"]
        .as_array()
        .is_some_and(|ids| ids.iter().any(|id| id == "email"));
    let email_method = experience["signIn"]["methods"]
        .as_array()
        .and_then(|methods| methods.iter().find(|m| m["identifier"] == "email"));
    SignInSettings {
        email_sign_up,
        verification_code: email_method.is_some_and(|m| m["verificationCode"] == true),
        password: experience["signUp"]["password"] == true
            || email_method.is_some_and(|m| m["password"] == true),
    }
}

/// Checks made before calling the API, so obvious mistakes are shown at once.
fn validate_ses(form: &SesForm, secret_stored: bool) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if form.access_key_id.trim().is_empty() {
        errors.push(field("ses[access_key_id]", "Enter the access key ID."));
    }
    if form.access_key_secret.trim().is_empty() && !secret_stored {
        errors.push(field(
            "ses[access_key_secret]",
            "Enter the secret access key.",
        ));
    }
    if form.region.trim().is_empty() {
        errors.push(field(
            "ses[region]",
            "Enter the AWS region, e.g. us-east-1.",
        ));
    }
    if !sender_is_plausible(&form.email_address) {
        errors.push(field(
            "ses[email_address]",
            "Enter the sender, e.g. Acme <no-reply@acme.com>, verified in SES.",
        ));
    }
    for usage in REQUIRED_USAGE_TYPES {
        let template = form.templates.iter().find(|t| t.usage_type == usage);
        if template.is_none_or(|t| t.subject.trim().is_empty() || t.content.trim().is_empty()) {
            errors.push(field(
                "templates",
                &format!("The {usage} template needs a subject and content."),
            ));
        }
    }
    errors
}

fn sender_is_plausible(sender: &str) -> bool {
    let sender = sender.trim();
    let address = match (sender.rfind('<'), sender.ends_with('>')) {
        (Some(open), true) => &sender[open + 1..sender.len() - 1],
        _ => sender,
    };
    plausible_email(address)
}

fn plausible_email(address: &str) -> bool {
    address.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !address.contains(char::is_whitespace)
    })
}

/// The Logto config for the form; a blank secret keeps the stored one (re-sent when the API shows
/// it, as a real Logto does; omitted for the embedded provider, which keeps it).
fn ses_config(form: &SesForm, current: Option<&Value>) -> Value {
    let values = [
        &form.access_key_id,
        &form.access_key_secret,
        &form.region,
        &form.email_address,
        &form.email_address_identity_arn,
        &form.feedback_forwarding_email_address,
        &form.feedback_forwarding_email_address_identity_arn,
        &form.configuration_set_name,
    ];
    let mut config = Map::new();
    for ((key, _), value) in SES_FIELDS.iter().zip(values) {
        if !value.trim().is_empty() {
            config.insert((*key).to_owned(), Value::from(value.trim()));
        }
    }
    if form.access_key_secret.trim().is_empty() {
        if let Some(stored) = current
            .and_then(|c| c["config"]["accessKeySecret"].as_str())
            .filter(|s| !s.is_empty())
        {
            config.insert("accessKeySecret".to_owned(), Value::from(stored));
        }
    }
    let templates: Vec<Value> = form
        .templates
        .iter()
        .filter(|t| !t.usage_type.trim().is_empty())
        .map(|t| json!({ "usageType": t.usage_type.trim(), "subject": t.subject, "content": t.content }))
        .collect();
    config.insert("templates".to_owned(), Value::from(templates));
    Value::Object(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_secret_is_kept_from_a_real_logto_and_omitted_otherwise() {
        let mut form = default_ses_form();
        form.access_key_id = "AKIA".to_owned();
        let real = json!({"config": {"accessKeySecret": "stored"}});
        assert_eq!(ses_config(&form, Some(&real))["accessKeySecret"], "stored");
        let embedded = json!({"config": {}, "secrets": {"accessKeySecret": true}});
        assert!(ses_config(&form, Some(&embedded))
            .get("accessKeySecret")
            .is_none());
        form.access_key_secret = "new".to_owned();
        assert_eq!(ses_config(&form, Some(&real))["accessKeySecret"], "new");
    }

    #[test]
    fn the_secret_never_reaches_the_form() {
        let connector = json!({"connectorId": SES_FACTORY, "config": {"accessKeyId": "AKIA", "accessKeySecret": "sentinel", "region": "eu-west-1", "templates": []}});
        let settings = email_settings(&connector);
        assert!(settings.secret_set);
        assert_eq!(settings.ses.access_key_secret, "");
        assert!(!serde_json::to_string(&settings)
            .unwrap()
            .contains("sentinel"));
        assert_eq!(
            settings.ses.templates.len(),
            4,
            "defaults fill missing templates"
        );
    }

    #[test]
    fn local_validation_names_the_fields() {
        let errors = validate_ses(&SesForm::default(), false);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(
            fields.contains(&"ses[access_key_id]") && fields.contains(&"ses[access_key_secret]")
        );
        assert!(fields.contains(&"ses[region]") && fields.contains(&"ses[email_address]"));
        assert_eq!(fields.iter().filter(|f| **f == "templates").count(), 4);
        let mut form = default_ses_form();
        form.access_key_id = "AKIA".to_owned();
        form.email_address = "Acme <no-reply@acme.com>".to_owned();
        assert!(validate_ses(&form, true).is_empty());
    }

    #[test]
    fn logto_errors_land_on_their_fields() {
        let rejected = |code: &str, message: &str| ApiError::Rejected {
            status: 400,
            code: code.to_owned(),
            message: message.to_owned(),
            data: None,
        };
        let outcome = api_outcome(rejected(
            "sign_in_experiences.code_sign_in_must_be_enabled",
            "Verification code sign-in must be enabled",
        ))
        .unwrap();
        assert_eq!(
            outcome.error_for("verification_code").as_deref(),
            Some("Verification code sign-in must be enabled")
        );
        let outcome =
            api_outcome(rejected("connector.invalid_config", "region is required")).unwrap();
        assert!(outcome.error_for("ses[region]").is_some());
        assert!(api_outcome(ApiError::Unreachable("down".to_owned())).is_err());
    }
}
