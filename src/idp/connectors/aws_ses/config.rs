//! The AWS SES connector's config, exactly Logto's (`@logto/connector-aws-ses`): field names,
//! the four required templates and their error message, and template selection and `{{code}}`
//! substitution. Pure functions, no I/O.

use crate::idp::connectors::{ConnectorError, UsageType};
use crate::secret::Secret;
use serde::Serialize;
use serde_json::{Map, Value};

/// The one secret field: write-only, sealed at rest, never returned.
pub const SECRET_FIELD: &str = "accessKeySecret";

/// A validated SES config.
#[derive(Clone, Debug)]
pub struct SesConfig {
    pub access_key_id: String,
    pub access_key_secret: Secret,
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

fn invalid(message: impl Into<String>) -> ConnectorError {
    ConnectorError::InvalidConfig(message.into())
}

/// Typed reads of a config object's fields, with messages naming the field.
struct Fields<'c>(&'c Map<String, Value>);

impl Fields<'_> {
    /// A string that may be absent, `null` or blank (all meaning "not set").
    fn optional(&self, key: &str) -> Result<Option<String>, ConnectorError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.trim().to_owned())),
            Some(_) => Err(invalid(format!("`{key}` must be a string"))),
        }
    }

    fn required(&self, key: &str) -> Result<String, ConnectorError> {
        self.optional(key)?
            .ok_or_else(|| invalid(format!("`{key}` is required")))
    }
}

impl SesConfig {
    /// Validates a config as Logto's guard does (plus format checks on region and addresses).
    pub fn parse(config: &Value) -> Result<Self, ConnectorError> {
        let object = config
            .as_object()
            .ok_or_else(|| invalid("the config must be a JSON object"))?;
        let fields = Fields(object);
        let access_key_secret = match object.get(SECRET_FIELD) {
            Some(Value::String(secret)) if !secret.trim().is_empty() => Secret::new(secret.trim()),
            Some(Value::String(_)) | Some(Value::Null) | None => {
                return Err(invalid(format!("`{SECRET_FIELD}` is required")))
            }
            Some(_) => return Err(invalid(format!("`{SECRET_FIELD}` must be a string"))),
        };
        let parsed = Self {
            access_key_id: fields.required("accessKeyId")?,
            access_key_secret,
            region: fields.required("region")?,
            email_address: fields.optional("emailAddress")?,
            email_address_identity_arn: fields.optional("emailAddressIdentityArn")?,
            feedback_forwarding_email_address: fields.optional("feedbackForwardingEmailAddress")?,
            feedback_forwarding_email_address_identity_arn: fields
                .optional("feedbackForwardingEmailAddressIdentityArn")?,
            configuration_set_name: fields.optional("configurationSetName")?,
            templates: parse_templates(object.get("templates"))?,
        };
        parsed.check_formats()?;
        Ok(parsed)
    }

    fn check_formats(&self) -> Result<(), ConnectorError> {
        if !plausible_region(&self.region) {
            return Err(invalid(
                "`region` must be an AWS region name such as us-east-1",
            ));
        }
        if let Some(sender) = &self.email_address {
            if sender_address(sender).is_none() {
                return Err(invalid(
                    "`emailAddress` must be an address such as no-reply@example.com or \
                     Example <no-reply@example.com>",
                ));
            }
        }
        if let Some(address) = &self.feedback_forwarding_email_address {
            if sender_address(address).is_none() {
                return Err(invalid(
                    "`feedbackForwardingEmailAddress` must be an email address",
                ));
            }
        }
        Ok(())
    }

    /// The config as stored and shown: every set field except the secret.
    pub fn public_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("accessKeyId".to_owned(), self.access_key_id.clone().into());
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

fn parse_templates(value: Option<&Value>) -> Result<Vec<Template>, ConnectorError> {
    let list = match value {
        Some(Value::Array(list)) => list,
        None | Some(Value::Null) => return Err(invalid("`templates` is required")),
        Some(_) => return Err(invalid("`templates` must be a list")),
    };
    let templates = list
        .iter()
        .enumerate()
        .map(|(index, item)| parse_template(index, item))
        .collect::<Result<Vec<_>, _>>()?;
    for usage in UsageType::REQUIRED {
        if !templates.iter().any(|t| t.usage_type == usage.as_str()) {
            return Err(invalid(format!(
                "Template with UsageType ({}) should be provided!",
                usage.as_str()
            )));
        }
    }
    Ok(templates)
}

fn parse_template(index: usize, item: &Value) -> Result<Template, ConnectorError> {
    let object = item
        .as_object()
        .ok_or_else(|| invalid(format!("`templates[{index}]` must be an object")))?;
    let text = |key: &str| match object.get(key) {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.clone()),
        Some(Value::String(_)) | Some(Value::Null) | None => {
            Err(invalid(format!("`templates[{index}].{key}` is required")))
        }
        Some(_) => Err(invalid(format!(
            "`templates[{index}].{key}` must be a string"
        ))),
    };
    Ok(Template {
        usage_type: text("usageType")?.trim().to_owned(),
        subject: text("subject")?,
        content: text("content")?,
    })
}

/// Lower-case letters, digits and hyphens with a letter first, e.g. `eu-central-1`.
fn plausible_region(region: &str) -> bool {
    region.len() <= 32
        && region.starts_with(|c: char| c.is_ascii_lowercase())
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The address in `Name <a@b>`, `<a@b>` or `a@b`, when plausible.
pub fn sender_address(sender: &str) -> Option<&str> {
    let sender = sender.trim();
    let address = match (sender.rfind('<'), sender.strip_suffix('>')) {
        (Some(open), Some(inner)) => inner.get(open + 1..)?,
        (None, None) => sender,
        _ => return None,
    };
    let (local, domain) = address.split_once('@')?;
    let bad = |c: char| c.is_whitespace() || c.is_control() || c == '<' || c == '>';
    let plausible = !local.is_empty()
        && !local.contains(bad)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains(|c: char| bad(c) || c == '@');
    plausible.then_some(address)
}

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
            Err(ConnectorError::InvalidConfig(message)) => message,
            other => panic!("expected invalid_config, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_config_parses_and_its_public_form_has_no_secret() {
        let config = SesConfig::parse(&valid()).unwrap();
        assert_eq!(config.access_key_secret.expose(), "s3cr3t");
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
