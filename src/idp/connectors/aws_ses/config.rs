//! The AWS SES connector's config, exactly Logto's (`@logto/connector-aws-ses`): field names,
//! the four required templates and their error message, and template selection and `{{code}}`
//! substitution. Pure functions, no I/O. Every bad field is reported (an [`Issue`] each, with
//! Logto's key names in its path, e.g. `["templates", 0, "subject"]`), not only the first.
//!
//! Credentials: Logto's config always carries `accessKeyId` and `accessKeySecret`, and
//! [`SesConfig::parse`] (every config that comes through the Management API) requires both. Only
//! the connector made from the settings without an access key uses [`Credentials::DefaultChain`]:
//! its stored config has neither field, and the stored record says so outside the config (see
//! `registry`), so no API client can ask for the default chain.

use crate::idp::connectors::{ConnectorError, UsageType};
use crate::idp::issues::{code, Issue};
use crate::secret::Secret;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// The one secret field: write-only, sealed at rest, never returned.
pub const SECRET_FIELD: &str = "accessKeySecret";

/// Where the connector's AWS credentials come from.
#[derive(Clone, Debug)]
pub enum Credentials {
    /// `accessKeyId` and `accessKeySecret` of the config (Logto's).
    Static {
        access_key_id: String,
        access_key_secret: Secret,
    },
    /// AWS's default credential chain: environment, shared profile, web identity token, ECS
    /// container or EC2 instance role. Only for the connector from settings without a key.
    DefaultChain,
}

/// A validated SES config.
#[derive(Clone, Debug)]
pub struct SesConfig {
    pub credentials: Credentials,
    pub region: String,
    /// The sender: `Name <a@b>`, `<a@b>` or `a@b`. Optional in Logto's guard; needed to send.
    pub email_address: Option<String>,
    pub email_address_identity_arn: Option<String>,
    pub feedback_forwarding_email_address: Option<String>,
    pub feedback_forwarding_email_address_identity_arn: Option<String>,
    pub configuration_set_name: Option<String>,
    pub templates: Vec<Template>,
}

/// One `templates[]` entry. `usage_type` is kept as written (unknown types are allowed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Template {
    pub usage_type: String,
    pub subject: String,
    pub content: String,
}

/// The issue of one top-level config field.
fn issue_at(key: &str, code: &'static str, message: impl Into<String>) -> Issue {
    Issue::at(key, code, message)
}

/// Typed reads of a config object's fields; each problem is noted in `found`, naming the field.
struct Fields<'c> {
    object: &'c Map<String, Value>,
    found: Vec<Issue>,
}

impl Fields<'_> {
    /// A string that may be absent, `null` or blank (all meaning "not set").
    fn optional(&mut self, key: &str) -> Option<String> {
        match self.object.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) if text.trim().is_empty() => None,
            Some(Value::String(text)) => Some(text.trim().to_owned()),
            Some(_) => {
                self.found.push(issue_at(
                    key,
                    code::INVALID_TYPE,
                    format!("`{key}` must be a string"),
                ));
                None
            }
        }
    }

    fn required(&mut self, key: &str) -> Option<String> {
        let wrong_type = self
            .object
            .get(key)
            .is_some_and(|value| !value.is_null() && !value.is_string());
        let value = self.optional(key);
        if value.is_none() && !wrong_type {
            self.missing(key);
        }
        value
    }

    fn missing(&mut self, key: &str) {
        self.found.push(issue_at(
            key,
            code::INVALID_TYPE,
            format!("`{key}` is required"),
        ));
    }
}

impl SesConfig {
    /// Validates a config as Logto's guard does (plus format checks on region and addresses):
    /// `accessKeyId` and `accessKeySecret` are required. Every bad field is reported, one
    /// [`Issue`] each.
    pub fn parse(config: &Value) -> Result<Self, ConnectorError> {
        Self::parse_with(config, false)
    }

    /// [`SesConfig::parse`] for the connector from settings: without `accessKeyId` and
    /// `accessKeySecret` (both absent or blank) the default credential chain is used.
    pub fn parse_for_default_chain(config: &Value) -> Result<Self, ConnectorError> {
        Self::parse_with(config, true)
    }

    fn parse_with(config: &Value, default_chain: bool) -> Result<Self, ConnectorError> {
        let object = config.as_object().ok_or_else(|| {
            ConnectorError::InvalidConfig(vec![Issue::new(
                Vec::new(),
                code::INVALID_TYPE,
                "the config must be a JSON object",
            )])
        })?;
        let mut fields = Fields {
            object,
            found: Vec::new(),
        };
        let access_key_secret = match object.get(SECRET_FIELD) {
            Some(Value::String(secret)) if !secret.trim().is_empty() => {
                Some(Secret::new(secret.trim()))
            }
            Some(Value::String(_)) | Some(Value::Null) | None => None,
            Some(_) => {
                fields.found.push(issue_at(
                    SECRET_FIELD,
                    code::INVALID_TYPE,
                    format!("`{SECRET_FIELD}` must be a string"),
                ));
                None
            }
        };
        let secret_wrong_type = object
            .get(SECRET_FIELD)
            .is_some_and(|value| !value.is_null() && !value.is_string());
        let access_key_id = fields.optional("accessKeyId");
        let credentials = match (access_key_id, access_key_secret) {
            (Some(access_key_id), Some(access_key_secret)) => Some(Credentials::Static {
                access_key_id,
                access_key_secret,
            }),
            (None, None) if default_chain && !secret_wrong_type => Some(Credentials::DefaultChain),
            (id, secret) => {
                let id_wrong_type = object
                    .get("accessKeyId")
                    .is_some_and(|value| !value.is_null() && !value.is_string());
                if id.is_none() && !id_wrong_type {
                    fields.missing("accessKeyId");
                }
                if secret.is_none() && !secret_wrong_type {
                    fields.missing(SECRET_FIELD);
                }
                None
            }
        };
        let region = fields.required("region");
        let email_address = fields.optional("emailAddress");
        let email_address_identity_arn = fields.optional("emailAddressIdentityArn");
        let feedback_forwarding_email_address = fields.optional("feedbackForwardingEmailAddress");
        let feedback_forwarding_email_address_identity_arn =
            fields.optional("feedbackForwardingEmailAddressIdentityArn");
        let configuration_set_name = fields.optional("configurationSetName");
        let templates = parse_templates(object.get("templates"), &mut fields.found);
        let mut found = fields.found;
        check_formats(
            region.as_deref(),
            email_address.as_deref(),
            feedback_forwarding_email_address.as_deref(),
            &mut found,
        );
        match (credentials, region) {
            (Some(credentials), Some(region)) if found.is_empty() => Ok(Self {
                credentials,
                region,
                email_address,
                email_address_identity_arn,
                feedback_forwarding_email_address,
                feedback_forwarding_email_address_identity_arn,
                configuration_set_name,
                templates,
            }),
            _ => Err(ConnectorError::InvalidConfig(found)),
        }
    }

    /// The config as stored and shown: every set field except the secret (and no `accessKeyId`
    /// with the default credential chain).
    pub fn public_json(&self) -> Value {
        let mut object = Map::new();
        if let Credentials::Static { access_key_id, .. } = &self.credentials {
            object.insert("accessKeyId".to_owned(), access_key_id.clone().into());
        }
        object.insert("region".to_owned(), self.region.clone().into());
        let optional = [
            ("emailAddress", &self.email_address),
            ("emailAddressIdentityArn", &self.email_address_identity_arn),
            (
                "feedbackForwardingEmailAddress",
                &self.feedback_forwarding_email_address,
            ),
            (
                "feedbackForwardingEmailAddressIdentityArn",
                &self.feedback_forwarding_email_address_identity_arn,
            ),
            ("configurationSetName", &self.configuration_set_name),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                object.insert(key.to_owned(), value.clone().into());
            }
        }
        let templates = serde_json::to_value(&self.templates).unwrap_or(Value::Array(Vec::new()));
        object.insert("templates".to_owned(), templates);
        Value::Object(object)
    }
}

/// The region's and the addresses' forms.
fn check_formats(
    region: Option<&str>,
    sender: Option<&str>,
    feedback: Option<&str>,
    found: &mut Vec<Issue>,
) {
    if region.is_some_and(|region| !plausible_region(region)) {
        found.push(issue_at(
            "region",
            code::INVALID_STRING,
            "`region` must be an AWS region name such as us-east-1",
        ));
    }
    if sender.is_some_and(|sender| sender_address(sender).is_none()) {
        found.push(issue_at(
            "emailAddress",
            code::INVALID_STRING,
            "`emailAddress` must be an address such as no-reply@example.com or \
             Example <no-reply@example.com>",
        ));
    }
    if feedback.is_some_and(|address| sender_address(address).is_none()) {
        found.push(issue_at(
            "feedbackForwardingEmailAddress",
            code::INVALID_STRING,
            "`feedbackForwardingEmailAddress` must be an email address",
        ));
    }
}

fn parse_templates(value: Option<&Value>, found: &mut Vec<Issue>) -> Vec<Template> {
    let list = match value {
        Some(Value::Array(list)) => list,
        None | Some(Value::Null) => {
            found.push(issue_at(
                "templates",
                code::INVALID_TYPE,
                "`templates` is required",
            ));
            return Vec::new();
        }
        Some(_) => {
            found.push(issue_at(
                "templates",
                code::INVALID_TYPE,
                "`templates` must be a list",
            ));
            return Vec::new();
        }
    };
    let before = found.len();
    let templates: Vec<Template> = list
        .iter()
        .enumerate()
        .filter_map(|(index, item)| parse_template(index, item, found))
        .collect();
    if found.len() == before {
        for usage in UsageType::REQUIRED {
            if !templates.iter().any(|t| t.usage_type == usage.as_str()) {
                found.push(issue_at(
                    "templates",
                    code::CUSTOM,
                    format!(
                        "Template with UsageType ({}) should be provided!",
                        usage.as_str()
                    ),
                ));
            }
        }
    }
    templates
}

/// The templates of a connector made from the settings (and the factory's config template): one
/// per required usage type, each with the code in its subject and body.
pub fn default_templates() -> Vec<Template> {
    [
        ("Register", "Your sign-up code: {{code}}"),
        ("SignIn", "Your sign-in code: {{code}}"),
        ("ForgotPassword", "Your password reset code: {{code}}"),
        ("Generic", "Your verification code: {{code}}"),
    ]
    .into_iter()
    .map(|(usage_type, subject)| Template {
        usage_type: usage_type.to_owned(),
        subject: subject.to_owned(),
        content: "<p>Your code is {{code}}.</p>".to_owned(),
    })
    .collect()
}

fn parse_template(index: usize, item: &Value, found: &mut Vec<Issue>) -> Option<Template> {
    let Some(object) = item.as_object() else {
        found.push(Issue::new(
            vec![json!("templates"), json!(index)],
            code::INVALID_TYPE,
            format!("`templates[{index}]` must be an object"),
        ));
        return None;
    };
    let mut text = |key: &str| match object.get(key) {
        Some(Value::String(text)) if !text.trim().is_empty() => Some(text.clone()),
        other => {
            let message = if matches!(other, Some(Value::String(_)) | Some(Value::Null) | None) {
                format!("`templates[{index}].{key}` is required")
            } else {
                format!("`templates[{index}].{key}` must be a string")
            };
            found.push(Issue::new(
                vec![json!("templates"), json!(index), json!(key)],
                code::INVALID_TYPE,
                message,
            ));
            None
        }
    };
    let usage_type = text("usageType");
    let subject = text("subject");
    let content = text("content");
    Some(Template {
        usage_type: usage_type?.trim().to_owned(),
        subject: subject?,
        content: content?,
    })
}

pub use crate::config::aws::{plausible_region, sender_address};

/// The template for `usage`: the one with that usage type, else `Generic` (Logto's rule).
pub fn select_template(
    templates: &[Template],
    usage: UsageType,
) -> Result<&Template, ConnectorError> {
    templates
        .iter()
        .find(|t| t.usage_type == usage.as_str())
        .or_else(|| {
            templates
                .iter()
                .find(|t| t.usage_type == UsageType::Generic.as_str())
        })
        .ok_or_else(|| ConnectorError::TemplateNotFound(usage.as_str().to_owned()))
}

/// Replaces `{{code}}` (spaces inside the braces allowed, e.g. `{{ code }}`) with `code`; any
/// other placeholder stays as written.
pub fn render(text: &str, code: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match placeholder_end(after) {
            Some(consumed) => {
                out.push_str(code);
                rest = &after[consumed..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// For text just after `{{`: the length through the closing `}}` when it is ` code `.
fn placeholder_end(after: &str) -> Option<usize> {
    let close = after.find("}}")?;
    (after[..close].trim() == "code").then_some(close + 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid() -> Value {
        json!({
            "accessKeyId": "AKIA123",
            "accessKeySecret": "s3cr3t",
            "region": "eu-west-1",
            "emailAddress": "Acme <no-reply@acme.example>",
            "templates": [
                {"usageType": "Register", "subject": "Welcome {{code}}", "content": "<p>{{ code }}</p>"},
                {"usageType": "SignIn", "subject": "Sign in", "content": "<p>{{code}}</p>"},
                {"usageType": "ForgotPassword", "subject": "Reset", "content": "<p>{{code}}</p>"},
                {"usageType": "Generic", "subject": "Code", "content": "<p>{{code}}</p>"},
                {"usageType": "SomethingNew", "subject": "New", "content": "<p>{{code}}</p>"},
            ],
        })
    }

    fn error_of(config: &Value) -> String {
        match SesConfig::parse(config) {
            Err(ConnectorError::InvalidConfig(found)) => crate::idp::issues::summary(&found),
            other => panic!("expected invalid_config, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_config_parses_and_its_public_form_has_no_secret() {
        let config = SesConfig::parse(&valid()).unwrap();
        let Credentials::Static {
            access_key_secret, ..
        } = &config.credentials
        else {
            panic!("static credentials expected");
        };
        assert_eq!(access_key_secret.expose(), "s3cr3t");
        assert_eq!(config.templates.len(), 5);
        let public = config.public_json();
        assert!(public.get(SECRET_FIELD).is_none());
        assert_eq!(public["accessKeyId"], "AKIA123");
        assert_eq!(public["emailAddress"], "Acme <no-reply@acme.example>");
        assert_eq!(public["templates"][4]["usageType"], "SomethingNew");
        assert!(!public.to_string().contains("s3cr3t"));
    }

    #[test]
    fn each_required_field_is_named_when_missing() {
        for key in ["accessKeyId", "accessKeySecret", "region", "templates"] {
            let mut config = valid();
            config.as_object_mut().unwrap().remove(key);
            assert_eq!(error_of(&config), format!("`{key}` is required"));
        }
        let mut blank = valid();
        blank["accessKeySecret"] = json!("  ");
        assert_eq!(error_of(&blank), "`accessKeySecret` is required");
        let mut wrong_type = valid();
        wrong_type["region"] = json!(1);
        assert_eq!(error_of(&wrong_type), "`region` must be a string");
    }

    #[test]
    fn only_the_settings_connector_may_go_without_an_access_key() {
        let mut keyless = valid();
        keyless.as_object_mut().unwrap().remove("accessKeyId");
        keyless.as_object_mut().unwrap().remove("accessKeySecret");
        assert_eq!(
            error_of(&keyless),
            "`accessKeyId` is required; `accessKeySecret` is required"
        );
        let config = SesConfig::parse_for_default_chain(&keyless).unwrap();
        assert!(matches!(config.credentials, Credentials::DefaultChain));
        assert!(config.public_json().get("accessKeyId").is_none());
        // Half a key is refused either way.
        let mut half = valid();
        half.as_object_mut().unwrap().remove("accessKeySecret");
        assert!(SesConfig::parse_for_default_chain(&half).is_err());
        let mut other_half = valid();
        other_half.as_object_mut().unwrap().remove("accessKeyId");
        assert_eq!(
            match SesConfig::parse_for_default_chain(&other_half) {
                Err(ConnectorError::InvalidConfig(found)) => crate::idp::issues::summary(&found),
                other => panic!("{other:?}"),
            },
            "`accessKeyId` is required"
        );
        let keyed = SesConfig::parse_for_default_chain(&valid()).unwrap();
        assert!(matches!(keyed.credentials, Credentials::Static { .. }));
    }

    #[test]
    fn the_default_templates_satisfy_the_factory() {
        let mut config = valid();
        config["templates"] = serde_json::to_value(default_templates()).unwrap();
        let parsed = SesConfig::parse(&config).unwrap();
        assert_eq!(parsed.templates, default_templates());
        let sign_in = select_template(&parsed.templates, UsageType::SignIn).unwrap();
        assert_eq!(
            render(&sign_in.subject, "123456"),
            "Your sign-in code: 123456"
        );
    }

    #[test]
    fn each_of_the_four_templates_is_required() {
        for (index, usage) in ["Register", "SignIn", "ForgotPassword", "Generic"]
            .iter()
            .enumerate()
        {
            let mut config = valid();
            config["templates"].as_array_mut().unwrap().remove(index);
            assert_eq!(
                error_of(&config),
                format!("Template with UsageType ({usage}) should be provided!")
            );
        }
        let mut empty_subject = valid();
        empty_subject["templates"][1]["subject"] = json!("");
        assert_eq!(
            error_of(&empty_subject),
            "`templates[1].subject` is required"
        );
    }

    #[test]
    fn every_bad_field_is_an_issue_with_logtos_path() {
        let mut config = valid();
        config["region"] = json!("not a region!");
        config["templates"][0]["subject"] = json!("");
        config["templates"][2]["content"] = json!(7);
        config.as_object_mut().unwrap().remove("accessKeySecret");
        let Err(ConnectorError::InvalidConfig(found)) = SesConfig::parse(&config) else {
            panic!("accepted");
        };
        let paths: Vec<Value> = found.iter().map(|issue| json!(issue.path)).collect();
        assert_eq!(
            paths,
            [
                json!(["accessKeySecret"]),
                json!(["templates", 0, "subject"]),
                json!(["templates", 2, "content"]),
                json!(["region"]),
            ]
        );
        assert_eq!(found[2].message, "`templates[2].content` must be a string");
        assert_eq!(found[3].code, "invalid_string");
    }

    #[test]
    fn senders_and_regions_are_checked() {
        for good in ["a@b.example", "<a@b.example>", "Acme Inc <a@b.example>"] {
            assert!(sender_address(good).is_some(), "{good}");
        }
        assert_eq!(sender_address("Acme <a@b.example>"), Some("a@b.example"));
        for bad in [
            "acme",
            "Acme <a@b>",
            "a@b.example>",
            "<a b@c.example>",
            "a@@b.example",
        ] {
            assert!(sender_address(bad).is_none(), "{bad}");
        }
        let mut config = valid();
        config["emailAddress"] = json!("not an address");
        assert!(error_of(&config).contains("`emailAddress`"));
        let mut config = valid();
        config["region"] = json!("https://evil.example/");
        assert!(error_of(&config).contains("`region`"));
    }

    #[test]
    fn templates_fall_back_to_generic() {
        let config = SesConfig::parse(&valid()).unwrap();
        let pick = |usage| {
            select_template(&config.templates, usage)
                .unwrap()
                .subject
                .clone()
        };
        assert_eq!(pick(UsageType::SignIn), "Sign in");
        assert_eq!(pick(UsageType::Register), "Welcome {{code}}");
        assert_eq!(pick(UsageType::MfaVerification), "Code");
        assert!(matches!(
            select_template(&[], UsageType::SignIn),
            Err(ConnectorError::TemplateNotFound(_))
        ));
    }

    #[test]
    fn only_the_code_placeholder_is_replaced() {
        assert_eq!(
            render(
                "{{code}} and {{ code }} and {{  code}} but {{name}} {{ and }}",
                "123456"
            ),
            "123456 and 123456 and 123456 but {{name}} {{ and }}"
        );
        assert_eq!(render("{{", "1"), "{{");
        assert_eq!(render("Grüße {{code}}", "000000"), "Grüße 000000");
    }
}
