//! The connector factories an administrator can choose from, as Logto lists them at
//! `GET /api/connector-factories`: each has an id (the `connectorId` of connectors made from it),
//! a target, a type, its secret fields and its config validation.
//!
//! | id | target | type | config |
//! |---|---|---|---|
//! | `aws-ses-mail` | `aws-ses` | `Email` | Logto's AWS SES config (see [`super::aws_ses::config`]) |
//! | `dev-mailbox` | `dev-mailbox` | `Email` | `{}`: mail lands in the provider's `/dev/mailbox` |
//!
//! In production (`LEPTOS_ENV=PROD`) the dev mailbox is not offered: it is neither listed nor
//! creatable, exactly as if it did not exist ([`Factory::available`]).

use super::aws_ses::config::{default_templates, Credentials, SesConfig, SECRET_FIELD};
use super::{ConnectorError, ConnectorType};
use crate::config::RunMode;
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Factory {
    AwsSes,
    DevMailbox,
}

/// A config accepted by its factory. The SES variant holds the secret (as a [`crate::secret::Secret`]).
#[derive(Clone, Debug)]
pub enum ValidConfig {
    AwsSes(Box<SesConfig>),
    DevMailbox,
}

impl ValidConfig {
    /// The config as stored and shown: no secret fields.
    pub fn public_json(&self) -> Value {
        match self {
            ValidConfig::AwsSes(config) => config.public_json(),
            ValidConfig::DevMailbox => json!({}),
        }
    }

    /// The secret fields and their values.
    pub fn secrets(&self) -> Vec<(&'static str, &crate::secret::Secret)> {
        match self {
            ValidConfig::AwsSes(config) => match &config.credentials {
                Credentials::Static {
                    access_key_secret, ..
                } => vec![(SECRET_FIELD, access_key_secret)],
                Credentials::DefaultChain => Vec::new(),
            },
            ValidConfig::DevMailbox => Vec::new(),
        }
    }
}

/// One entry of `GET /api/connector-factories`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FactoryView {
    pub id: &'static str,
    pub target: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub platform: Option<&'static str>,
    pub name: Value,
    pub description: Value,
    pub is_standard: bool,
    pub is_demo: bool,
    /// Config fields that are write-only (never returned once saved).
    pub secret_fields: &'static [&'static str],
    pub config_template: Value,
}

impl Factory {
    pub const ALL: [Factory; 2] = [Factory::AwsSes, Factory::DevMailbox];

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|factory| factory.id() == id)
    }

    /// The factories offered in `mode`: all in DEV, all but the dev mailbox in PROD.
    pub fn available(mode: RunMode) -> impl Iterator<Item = Factory> {
        Self::ALL
            .into_iter()
            .filter(move |factory| mode == RunMode::Dev || *factory != Factory::DevMailbox)
    }

    /// [`Factory::from_id`] among the factories offered in `mode`.
    pub fn available_from_id(mode: RunMode, id: &str) -> Option<Self> {
        Self::available(mode).find(|factory| factory.id() == id)
    }

    pub fn id(self) -> &'static str {
        match self {
            Factory::AwsSes => "aws-ses-mail",
            Factory::DevMailbox => "dev-mailbox",
        }
    }

    pub fn target(self) -> &'static str {
        match self {
            Factory::AwsSes => "aws-ses",
            Factory::DevMailbox => "dev-mailbox",
        }
    }

    pub fn kind(self) -> ConnectorType {
        ConnectorType::Email
    }

    pub fn secret_fields(self) -> &'static [&'static str] {
        match self {
            Factory::AwsSes => &[SECRET_FIELD],
            Factory::DevMailbox => &[],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Factory::AwsSes => "AWS Direct Mail",
            Factory::DevMailbox => "Development mailbox",
        }
    }

    /// Validates `config` for this factory.
    pub fn validate(self, config: &Value) -> Result<ValidConfig, ConnectorError> {
        match self {
            Factory::AwsSes => {
                SesConfig::parse(config).map(|config| ValidConfig::AwsSes(Box::new(config)))
            }
            Factory::DevMailbox => match config {
                Value::Object(_) | Value::Null => Ok(ValidConfig::DevMailbox),
                _ => Err(ConnectorError::invalid_config(
                    &[],
                    "the config must be a JSON object",
                )),
            },
        }
    }

    pub fn view(self) -> FactoryView {
        let (description, template) = match self {
            Factory::AwsSes => (
                "Sends email through Amazon SES (SESv2 SendEmail).",
                json!({
                    "accessKeyId": "<access-key-id>",
                    "accessKeySecret": "<access-key-secret>",
                    "region": "us-east-1",
                    "emailAddress": "Example <no-reply@example.com>",
                    "templates": default_templates(),
                }),
            ),
            Factory::DevMailbox => (
                "Keeps email in the provider's development mailbox (/dev/mailbox) instead of sending it.",
                json!({}),
            ),
        };
        FactoryView {
            id: self.id(),
            target: self.target(),
            kind: self.kind().as_str(),
            platform: None,
            name: json!({ "en": self.name() }),
            description: json!({ "en": description }),
            is_standard: false,
            is_demo: self == Factory::DevMailbox,
            secret_fields: self.secret_fields(),
            config_template: template,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factories_are_found_by_id() {
        assert_eq!(Factory::from_id("aws-ses-mail"), Some(Factory::AwsSes));
        assert_eq!(Factory::from_id("dev-mailbox"), Some(Factory::DevMailbox));
        assert_eq!(Factory::from_id("aws-ses"), None);
        let view = serde_json::to_value(Factory::AwsSes.view()).unwrap();
        assert_eq!(view["target"], "aws-ses");
        assert_eq!(view["type"], "Email");
        assert_eq!(view["secretFields"][0], "accessKeySecret");
    }

    #[test]
    fn production_offers_no_dev_mailbox() {
        let dev: Vec<_> = Factory::available(RunMode::Dev).collect();
        assert_eq!(dev, Factory::ALL);
        let prod: Vec<_> = Factory::available(RunMode::Prod).collect();
        assert_eq!(prod, [Factory::AwsSes]);
        assert_eq!(
            Factory::available_from_id(RunMode::Prod, "dev-mailbox"),
            None
        );
        assert_eq!(
            Factory::available_from_id(RunMode::Prod, "aws-ses-mail"),
            Some(Factory::AwsSes)
        );
        let template = &Factory::AwsSes.view().config_template;
        assert_eq!(template["templates"][1]["usageType"], "SignIn");
        assert_eq!(
            template["templates"][1]["subject"],
            "Your sign-in code: {{code}}"
        );
    }

    #[test]
    fn the_dev_mailbox_takes_an_empty_object() {
        assert!(Factory::DevMailbox.validate(&json!({})).is_ok());
        assert!(Factory::DevMailbox.validate(&json!([])).is_err());
    }
}
