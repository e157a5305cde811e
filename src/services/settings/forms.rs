//! The settings page's forms ↔ Logto's documents: the SES connector config (Logto's config keys,
//! a template per usage type), the sign-in methods, and the branding; defaults for a new form and
//! the checks made before anything is sent. Pure functions, no I/O. The SES secret goes into a
//! config but never into a form.

use crate::ui_types::{
    BrandingSettings, FieldError, SesForm, SignInSettings, TemplateForm, REQUIRED_USAGE_TYPES,
};
use serde_json::{json, Map, Value};

/// Logto config key ↔ form field, for every SES text field.
pub const SES_FIELDS: [(&str, &str); 8] = [
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

/// Logto's sign-in experience key ↔ branding form field.
pub const BRANDING_FIELDS: [(&str, &str, &str); 4] = [
    ("branding", "logoUrl", "logo_url"),
    ("branding", "darkLogoUrl", "dark_logo_url"),
    ("color", "primaryColor", "primary_color"),
    ("color", "darkPrimaryColor", "dark_primary_color"),
];

/// Logto's default brand colours.
pub const DEFAULT_PRIMARY_COLOR: &str = "#6139F6";
pub const DEFAULT_DARK_PRIMARY_COLOR: &str = "#8457FF";

pub fn field(name: &str, message: &str) -> FieldError {
    FieldError {
        field: name.to_owned(),
        message: message.to_owned(),
    }
}

/// Whether `connector` holds an SES secret: in plain text (Logto) or marked as stored (the
/// embedded provider, which never returns it).
pub fn secret_is_set(connector: Option<&Value>) -> bool {
    let Some(connector) = connector else {
        return false;
    };
    stored_secret(Some(connector)).is_some()
        || connector["secrets"]["accessKeySecret"] == true
        || connector["config"]["secrets"]["accessKeySecret"] == true
}

/// The secret a real Logto returns in the connector's config.
pub fn stored_secret(connector: Option<&Value>) -> Option<&str> {
    connector?["config"]["accessKeySecret"]
        .as_str()
        .filter(|secret| !secret.is_empty())
}

/// The SES form for a stored SES connector (the secret left out).
pub fn ses_form(connector: &Value) -> SesForm {
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
    SesForm {
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

pub fn sign_in_settings(experience: &Value) -> SignInSettings {
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

pub fn branding_settings(experience: &Value) -> BrandingSettings {
    let text = |section: &str, key: &str| {
        experience[section][key]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let color = |key: &str, default: &str| {
        Some(text("color", key))
            .filter(|value| !value.is_empty())
            .unwrap_or_else(|| default.to_owned())
    };
    BrandingSettings {
        logo_url: text("branding", "logoUrl"),
        dark_logo_url: text("branding", "darkLogoUrl"),
        primary_color: color("primaryColor", DEFAULT_PRIMARY_COLOR),
        dark_primary_color: color("darkPrimaryColor", DEFAULT_DARK_PRIMARY_COLOR),
    }
}

/// Checks made before calling the API, so obvious mistakes are shown at once.
pub fn validate_ses(form: &SesForm, secret_stored: bool) -> Vec<FieldError> {
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

pub fn validate_branding(form: &BrandingSettings) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (name, url) in [
        ("branding[logo_url]", &form.logo_url),
        ("branding[dark_logo_url]", &form.dark_logo_url),
    ] {
        let url = url.trim();
        let web =
            url::Url::parse(url).is_ok_and(|parsed| matches!(parsed.scheme(), "https" | "http"));
        if !url.is_empty() && !web {
            errors.push(field(
                name,
                "Enter the full address of an image, starting with https://.",
            ));
        }
    }
    for (name, color) in [
        ("branding[primary_color]", &form.primary_color),
        ("branding[dark_primary_color]", &form.dark_primary_color),
    ] {
        if !is_hex_color(color.trim()) {
            errors.push(field(
                name,
                "Enter a colour as # and six hexadecimal digits, e.g. #6139F6.",
            ));
        }
    }
    errors
}

fn is_hex_color(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// The `PATCH /api/sign-in-exp` body for the branding form (empty logos left out).
pub fn branding_patch(form: &BrandingSettings) -> Value {
    let mut branding = Map::new();
    for (key, value) in [
        ("logoUrl", &form.logo_url),
        ("darkLogoUrl", &form.dark_logo_url),
    ] {
        if !value.trim().is_empty() {
            branding.insert(key.to_owned(), Value::from(value.trim()));
        }
    }
    json!({
        "branding": branding,
        "color": {
            "primaryColor": form.primary_color.trim(),
            "darkPrimaryColor": form.dark_primary_color.trim(),
            "isDarkModeEnabled": true,
        },
    })
}

pub fn sender_is_plausible(sender: &str) -> bool {
    plausible_email(crate::services::ses_check::sender_address(sender))
}

pub fn plausible_email(address: &str) -> bool {
    address.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !address.contains(char::is_whitespace)
    })
}

/// The Logto config for the form; a blank secret keeps the stored one (re-sent when the API shows
/// it, as a real Logto does; omitted for the embedded provider, which keeps it).
pub fn ses_config(form: &SesForm, current: Option<&Value>) -> Value {
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
        if let Some(stored) = stored_secret(current) {
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
        let connector = json!({"connectorId": "aws-ses-mail", "config": {"accessKeyId": "AKIA", "accessKeySecret": "sentinel", "region": "eu-west-1", "templates": []}});
        let form = ses_form(&connector);
        assert!(secret_is_set(Some(&connector)));
        assert_eq!(form.access_key_secret, "");
        assert!(!serde_json::to_string(&form).unwrap().contains("sentinel"));
        assert_eq!(form.templates.len(), 4, "defaults fill missing templates");
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
    fn branding_is_checked_and_sent_in_logtos_shape() {
        let mut form = BrandingSettings {
            logo_url: "javascript:alert(1)".into(),
            dark_logo_url: String::new(),
            primary_color: "red".into(),
            dark_primary_color: "#8457FF".into(),
        };
        let fields: Vec<String> = validate_branding(&form)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["branding[logo_url]", "branding[primary_color]"]);
        form.logo_url = "https://cdn.example.com/logo.svg".into();
        form.primary_color = "#0A7CFF".into();
        assert!(validate_branding(&form).is_empty());
        assert_eq!(
            branding_patch(&form),
            json!({"branding": {"logoUrl": "https://cdn.example.com/logo.svg"},
                   "color": {"primaryColor": "#0A7CFF", "darkPrimaryColor": "#8457FF", "isDarkModeEnabled": true}})
        );
        let read = branding_settings(&json!({"branding": {}, "color": {}}));
        assert_eq!(read.primary_color, DEFAULT_PRIMARY_COLOR);
    }
}
