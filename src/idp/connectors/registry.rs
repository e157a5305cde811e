//! The stored connectors: one store document (`connectors`) holding, per connector, its id, its
//! factory id (`connectorId`), its config without secret fields, its secret fields sealed by
//! [`SecretBox`] (associated data `connector:<id>:<field>`), and its creation and update times.
//!
//! Rules (Logto's, plus write-only secrets and the production mode):
//! - First start in DEV creates a `dev-mailbox` connector, so sign-in works out of the box.
//!   Deleting it afterwards is allowed; it is not recreated. In PROD nothing is created, the
//!   `dev-mailbox` factory is neither listed nor creatable, and a `dev-mailbox` connector stored by
//!   an earlier development run is ignored for sending (as if there were no email connector).
//! - The settings (`PROVIDER_EMAIL_CONNECTOR`, [`Connectors::apply_settings`]) store their
//!   connector at start when they differ from the ones applied last time (kept in the
//!   `connector_settings` document, the secret sealed): changed settings replace the Email
//!   connector, unchanged settings leave whatever the Management API made of it since. Only that
//!   connector may have no access key: its record is marked `awsDefaultCredentials`, outside the
//!   config, and it then sends with AWS's default credential chain. Saving it through the API
//!   again requires a key, as for every API-made connector.
//! - There is at most one `Email` connector: creating one replaces the existing one.
//! - Updating replaces the config, except that an absent or blank secret field keeps the stored
//!   value. Test sends fill a blank secret from the stored connector of the same factory.
//! - Views ([`ConnectorView`]) never contain a secret; `secrets` says which are set.
//! - The sign-in pages send through [`Connectors::email_sender`], i.e. whatever is stored now.

use super::aws_ses::config::{default_templates, Credentials, SesConfig};
use super::aws_ses::{DefaultChain, SesConnector};
use super::dev_mailbox::DevMailbox;
use super::factory::{Factory, FactoryView, ValidConfig};
use super::{ConnectorError, ConnectorType, EmailConnector, EmailMessage, UsageType};
use crate::clock::SharedClock;
use crate::config::{EmailConnectorSetting, RunMode};
use crate::idp::random;
use crate::idp::secrets::SecretBox;
use crate::idp::store::{update_document, SharedStore};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

const DOCUMENT: &str = "connectors";
/// The email connector settings applied last ([`AppliedSettings`]).
const SETTINGS_DOCUMENT: &str = "connector_settings";
/// The associated data of the sealed secret in [`SETTINGS_DOCUMENT`].
const SETTINGS_SECRET_DATA: &str = "connector-settings:accessKeySecret";
/// The code a test send carries (Logto's).
pub const TEST_CODE: &str = "000000";

#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredConnector {
    id: String,
    connector_id: String,
    /// The config without its secret fields.
    config: Value,
    /// Secret field → sealed value.
    #[serde(default)]
    secrets: BTreeMap<String, String>,
    /// Unix milliseconds, as Logto.
    created_at: i64,
    updated_at: i64,
    /// An SES connector from the settings without an access key: it sends with AWS's default
    /// credential chain. Never set through the Management API.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    aws_default_credentials: bool,
}

impl StoredConnector {
    fn factory(&self) -> Result<Factory, ConnectorError> {
        Factory::from_id(&self.connector_id).ok_or_else(|| {
            ConnectorError::Corrupt(format!("unknown factory `{}`", self.connector_id))
        })
    }
}

#[derive(Default, Serialize, Deserialize)]
struct StoredConnectors {
    connectors: Vec<StoredConnector>,
}

/// The email connector settings applied last: its factory, public config, default-chain flag and
/// sealed secret. Compared at start to tell whether the settings changed.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AppliedSettings {
    connector_id: String,
    config: Value,
    #[serde(default)]
    aws_default_credentials: bool,
    #[serde(default)]
    secret: Option<String>,
}

/// What [`Connectors::apply_settings`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingsOutcome {
    /// No email connector in the settings.
    NotConfigured,
    /// The settings changed (or were never applied): their connector replaced the Email one.
    Stored,
    /// The same settings as last time: the stored connectors were left as they are.
    Unchanged,
}
/// A connector as the Management API shows it (Logto's connector response, minus secrets).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorView {
    pub id: String,
    /// The factory id, e.g. `aws-ses-mail`.
    pub connector_id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub target: &'static str,
    pub platform: Option<&'static str>,
    pub name: Value,
    pub is_standard: bool,
    pub is_demo: bool,
    /// The config without secret fields.
    pub config: Value,
    /// Each secret field of the factory → whether a value is stored.
    pub secrets: BTreeMap<&'static str, bool>,
    pub metadata: Value,
    pub sync_profile: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

pub struct Connectors {
    store: SharedStore,
    clock: SharedClock,
    secrets: SecretBox,
    ses_endpoint_url: Option<String>,
    /// DEV offers the dev mailbox; PROD neither offers nor uses it.
    mode: RunMode,
    /// Shared by every SES sender without an access key.
    default_chain: DefaultChain,
}

/// The stored document, or none yet.
fn parse(document: Option<Value>) -> Result<StoredConnectors, ConnectorError> {
    match document {
        None => Ok(StoredConnectors::default()),
        Some(value) => serde_json::from_value(value)
            .map_err(|error| ConnectorError::Corrupt(error.to_string())),
    }
}

fn associated_data(id: &str, field: &str) -> String {
    format!("connector:{id}:{field}")
}

fn is_blank(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(text)) => text.trim().is_empty(),
        Some(_) => false,
    }
}

impl Connectors {
    /// `ses_endpoint_url` overrides the SES endpoint (tests); `None` uses the standard resolution
    /// (`AWS_ENDPOINT_URL_SESV2`, `AWS_ENDPOINT_URL`, then AWS). `mode` decides whether the dev
    /// mailbox exists.
    pub fn new(
        store: SharedStore,
        clock: SharedClock,
        secrets: SecretBox,
        ses_endpoint_url: Option<String>,
        mode: RunMode,
    ) -> Self {
        Self {
            store,
            clock,
            secrets,
            ses_endpoint_url,
            mode,
            default_chain: DefaultChain::default(),
        }
    }

    /// The factories offered (`GET /api/connector-factories`).
    pub fn factories(&self) -> Vec<FactoryView> {
        Factory::available(self.mode).map(Factory::view).collect()
    }

    /// The factory `id`, when offered: otherwise [`ConnectorError::UnknownFactory`].
    pub fn factory(&self, id: &str) -> Result<Factory, ConnectorError> {
        Factory::available_from_id(self.mode, id)
            .ok_or_else(|| ConnectorError::UnknownFactory(id.to_owned()))
    }

    /// Whether `record` is an Email connector that may send in this mode.
    fn sends_email(&self, record: &StoredConnector) -> bool {
        record.factory().ok().is_some_and(|factory| {
            factory.kind() == ConnectorType::Email
                && (self.mode == RunMode::Dev || factory != Factory::DevMailbox)
        })
    }

    /// A stored record's config (secrets opened) as its factory accepts it; a connector from the
    /// settings without an access key keeps the default credential chain.
    fn stored_config(
        &self,
        factory: Factory,
        record: &StoredConnector,
    ) -> Result<ValidConfig, ConnectorError> {
        let config = self.fill_blank_secrets(factory, &record.config, Some(record))?;
        if record.aws_default_credentials && factory == Factory::AwsSes {
            SesConfig::parse_for_default_chain(&config)
                .map(|config| ValidConfig::AwsSes(Box::new(config)))
        } else {
            factory.validate(&config)
        }
    }

    fn now_ms(&self) -> i64 {
        i64::try_from(self.clock.unix_seconds())
            .unwrap_or(i64::MAX)
            .saturating_mul(1000)
    }

    async fn read_all(&self) -> Result<StoredConnectors, ConnectorError> {
        parse(self.store.get_document(DOCUMENT).await?)
    }

    /// Changes the stored connectors as one compare-and-swap of the document, so concurrent
    /// changes (several admins, several instances) never overwrite each other; `change` runs
    /// again on the newer document when another writer got there first.
    async fn modify<T>(
        &self,
        mut change: impl FnMut(&mut StoredConnectors) -> Result<T, ConnectorError>,
    ) -> Result<T, ConnectorError> {
        let mut outcome = None;
        update_document(self.store.as_ref(), DOCUMENT, |current| {
            let mut stored = parse(current)?;
            outcome = Some(change(&mut stored)?);
            serde_json::to_value(&stored)
                .map_err(|error| ConnectorError::Corrupt(error.to_string()))
        })
        .await?;
        outcome.ok_or_else(|| ConnectorError::Corrupt("the connectors were not changed".to_owned()))
    }

    /// On first start in DEV (no connectors document yet), stores the dev mailbox connector. In
    /// PROD it does nothing: there is no default connector.
    pub async fn seed(&self) -> Result<(), ConnectorError> {
        if self.mode == RunMode::Prod || self.store.get_document(DOCUMENT).await?.is_some() {
            return Ok(());
        }
        let record = self.record(Factory::DevMailbox, &ValidConfig::DevMailbox, None)?;
        let initial = serde_json::to_value(StoredConnectors {
            connectors: vec![record],
        })
        .map_err(|error| ConnectorError::Corrupt(error.to_string()))?;
        if self.store.put_document_if(DOCUMENT, &initial, None).await? {
            tracing::info!(
                "no connectors yet: email goes to the development mailbox (/dev/mailbox)"
            );
        }
        Ok(())
    }

    /// A new stored record (new id) or a replacement for `existing`, secrets sealed.
    fn record(
        &self,
        factory: Factory,
        config: &ValidConfig,
        existing: Option<&StoredConnector>,
    ) -> Result<StoredConnector, ConnectorError> {
        let now = self.now_ms();
        let id = existing.map_or_else(random::user_id, |record| record.id.clone());
        let mut secrets = BTreeMap::new();
        for (field, value) in config.secrets() {
            let sealed = self.secrets.seal(value, &associated_data(&id, field))?;
            secrets.insert(field.to_owned(), sealed);
        }
        let aws_default_credentials = matches!(
            config,
            ValidConfig::AwsSes(ses) if matches!(ses.credentials, Credentials::DefaultChain)
        );
        Ok(StoredConnector {
            config: config.public_json(),
            secrets,
            connector_id: factory.id().to_owned(),
            created_at: existing.map_or(now, |record| record.created_at),
            updated_at: now,
            id,
            aws_default_credentials,
        })
    }

    fn view(record: &StoredConnector) -> Result<ConnectorView, ConnectorError> {
        let factory = record.factory()?;
        let secrets = factory
            .secret_fields()
            .iter()
            .map(|field| (*field, record.secrets.contains_key(*field)))
            .collect();
        Ok(ConnectorView {
            id: record.id.clone(),
            connector_id: record.connector_id.clone(),
            kind: factory.kind().as_str(),
            target: factory.target(),
            platform: None,
            name: serde_json::json!({ "en": factory.name() }),
            is_standard: false,
            is_demo: factory == Factory::DevMailbox,
            config: record.config.clone(),
            secrets,
            metadata: serde_json::json!({}),
            sync_profile: false,
            created_at: record.created_at,
            updated_at: record.updated_at,
        })
    }

    pub async fn list(&self) -> Result<Vec<ConnectorView>, ConnectorError> {
        self.read_all()
            .await?
            .connectors
            .iter()
            .map(Self::view)
            .collect()
    }

    pub async fn get(&self, id: &str) -> Result<ConnectorView, ConnectorError> {
        let stored = self.read_all().await?;
        let record = find(&stored, id)?;
        Self::view(record)
    }

    /// Creates a connector from `factory_id`; an Email connector replaces the existing one.
    pub async fn create(
        &self,
        factory_id: &str,
        config: &Value,
    ) -> Result<ConnectorView, ConnectorError> {
        let factory = self.factory(factory_id)?;
        let valid = factory.validate(config)?;
        self.replace_email(factory, &valid, "connector created")
            .await
    }

    /// Stores `valid` as a new connector; an Email connector replaces the existing one.
    async fn replace_email(
        &self,
        factory: Factory,
        valid: &ValidConfig,
        event: &str,
    ) -> Result<ConnectorView, ConnectorError> {
        let record = self.record(factory, valid, None)?;
        let replaced = self
            .modify(|stored| {
                let before = stored.connectors.len();
                stored.connectors.retain(|existing| {
                    existing.factory().map(Factory::kind).ok() != Some(factory.kind())
                });
                let replaced = before - stored.connectors.len();
                stored.connectors.push(record.clone());
                Ok(replaced)
            })
            .await?;
        tracing::info!(connector = %record.id, factory = factory.id(), replaced, "{event}");
        Self::view(&record)
    }

    /// Replaces the config of connector `id` (`None`: leaves it as is); blank secret fields keep
    /// their stored values.
    pub async fn update(
        &self,
        id: &str,
        config: Option<&Value>,
    ) -> Result<ConnectorView, ConnectorError> {
        let record = self
            .modify(|stored| {
                let index = stored
                    .connectors
                    .iter()
                    .position(|record| record.id == id)
                    .ok_or_else(|| ConnectorError::NotFound(id.to_owned()))?;
                let existing = &stored.connectors[index];
                let Some(config) = config else {
                    return Ok(existing.clone());
                };
                let factory = existing.factory()?;
                let filled = self.fill_blank_secrets(factory, config, Some(existing))?;
                let valid = factory.validate(&filled)?;
                let record = self.record(factory, &valid, Some(existing))?;
                stored.connectors[index] = record.clone();
                Ok(record)
            })
            .await?;
        if config.is_some() {
            tracing::info!(connector = %record.id, factory = %record.connector_id, "connector updated");
        }
        Self::view(&record)
    }

    pub async fn delete(&self, id: &str) -> Result<(), ConnectorError> {
        self.modify(|stored| {
            let before = stored.connectors.len();
            stored.connectors.retain(|record| record.id != id);
            if stored.connectors.len() == before {
                return Err(ConnectorError::NotFound(id.to_owned()));
            }
            Ok(())
        })
        .await?;
        tracing::info!(connector = %id, "connector deleted");
        Ok(())
    }

    /// Whether an Email connector that may send is stored (the sign-in experience's
    /// precondition for email).
    pub async fn has_email_connector(&self) -> Result<bool, ConnectorError> {
        Ok(self
            .read_all()
            .await?
            .connectors
            .iter()
            .any(|record| self.sends_email(record)))
    }

    /// The stored Email connector, ready to send (its secrets opened), if there is one (in PROD
    /// a stored dev mailbox does not count).
    pub async fn email_sender(&self) -> Result<Option<Box<dyn EmailConnector>>, ConnectorError> {
        let stored = self.read_all().await?;
        let Some(record) = stored
            .connectors
            .iter()
            .find(|record| self.sends_email(record))
        else {
            return Ok(None);
        };
        let factory = record.factory()?;
        let valid = self.stored_config(factory, record)?;
        Ok(Some(self.sender(valid)))
    }

    /// Stores the email connector of the settings when they differ from those applied last
    /// (then it replaces the Email connector); unchanged settings leave the stored connectors as
    /// the Management API left them. SES gets the default templates, the sender, the optional
    /// configuration set, and either the static key (sealed) or the default credential chain.
    pub async fn apply_settings(
        &self,
        setting: Option<&EmailConnectorSetting>,
    ) -> Result<SettingsOutcome, ConnectorError> {
        let Some(setting) = setting else {
            // Forget what was applied, so that setting the same values again applies them.
            if self.store.get_document(SETTINGS_DOCUMENT).await?.is_some() {
                self.store
                    .put_document(SETTINGS_DOCUMENT, &Value::Null)
                    .await?;
            }
            return Ok(SettingsOutcome::NotConfigured);
        };
        let (factory, valid) = match setting {
            EmailConnectorSetting::DevMailbox => (
                self.factory(Factory::DevMailbox.id())?,
                ValidConfig::DevMailbox,
            ),
            EmailConnectorSetting::AwsSes(ses) => {
                let credentials = match &ses.access_key {
                    Some(key) => Credentials::Static {
                        access_key_id: key.id.clone(),
                        access_key_secret: key.secret.clone(),
                    },
                    None => Credentials::DefaultChain,
                };
                let config = SesConfig {
                    credentials,
                    region: ses.region.clone(),
                    email_address: Some(ses.sender.clone()),
                    email_address_identity_arn: None,
                    feedback_forwarding_email_address: None,
                    feedback_forwarding_email_address_identity_arn: None,
                    configuration_set_name: ses.configuration_set.clone(),
                    templates: default_templates(),
                };
                (Factory::AwsSes, ValidConfig::AwsSes(Box::new(config)))
            }
        };
        let secret = valid.secrets().first().map(|(_, secret)| (*secret).clone());
        let default_chain = matches!(
            &valid,
            ValidConfig::AwsSes(ses) if matches!(ses.credentials, Credentials::DefaultChain)
        );
        let previous = match self.store.get_document(SETTINGS_DOCUMENT).await? {
            Some(value) if !value.is_null() => {
                serde_json::from_value::<AppliedSettings>(value).ok()
            }
            _ => None,
        };
        let unchanged = previous.is_some_and(|previous| {
            previous.connector_id == factory.id()
                && previous.config == valid.public_json()
                && previous.aws_default_credentials == default_chain
                && match (&previous.secret, &secret) {
                    (None, None) => true,
                    (Some(sealed), Some(secret)) => self
                        .secrets
                        .open(sealed, SETTINGS_SECRET_DATA)
                        .is_ok_and(|opened| opened == *secret),
                    _ => false,
                }
        });
        if unchanged {
            return Ok(SettingsOutcome::Unchanged);
        }
        self.replace_email(factory, &valid, "email connector stored from the settings")
            .await?;
        let applied = AppliedSettings {
            connector_id: factory.id().to_owned(),
            config: valid.public_json(),
            aws_default_credentials: default_chain,
            secret: secret
                .as_ref()
                .map(|secret| self.secrets.seal(secret, SETTINGS_SECRET_DATA))
                .transpose()?,
        };
        let value = serde_json::to_value(&applied)
            .map_err(|error| ConnectorError::Corrupt(error.to_string()))?;
        self.store.put_document(SETTINGS_DOCUMENT, &value).await?;
        Ok(SettingsOutcome::Stored)
    }

    /// One line for the log saying which connector sends the codes, or why none does.
    pub async fn describe_active(&self) -> Result<String, ConnectorError> {
        let stored = self.read_all().await?;
        let Some(record) = stored
            .connectors
            .iter()
            .find(|record| self.sends_email(record))
        else {
            let ignored = stored
                .connectors
                .iter()
                .any(|record| record.connector_id == Factory::DevMailbox.id());
            return Ok(if ignored {
                "none: the stored dev-mailbox connector is not used in production; email sign-in \
                 fails until PROVIDER_EMAIL_CONNECTOR or the settings page sets up AWS SES"
                    .to_owned()
            } else {
                "none: email sign-in fails until PROVIDER_EMAIL_CONNECTOR or the settings page \
                 sets up a connector"
                    .to_owned()
            });
        };
        let factory = record.factory()?;
        Ok(match factory {
            Factory::DevMailbox => "dev-mailbox (codes readable at /dev/mailbox)".to_owned(),
            Factory::AwsSes => {
                let field = |name: &str| {
                    record
                        .config
                        .get(name)
                        .and_then(Value::as_str)
                        .unwrap_or("-")
                        .to_owned()
                };
                let credentials = if record.aws_default_credentials {
                    "the AWS default credential chain"
                } else {
                    "a static access key"
                };
                format!(
                    "aws-ses (region {}, sender {}, credentials: {credentials})",
                    field("region"),
                    field("emailAddress")
                )
            }
        })
    }

    /// Sends the Generic template with code `000000` to `to` through an unsaved `config`.
    pub async fn test(
        &self,
        factory_id: &str,
        to: &str,
        config: &Value,
    ) -> Result<(), ConnectorError> {
        let factory = self.factory(factory_id)?;
        let stored = self.read_all().await?;
        let same_factory = stored
            .connectors
            .iter()
            .find(|record| record.connector_id == factory.id());
        let filled = self.fill_blank_secrets(factory, config, same_factory)?;
        let valid = factory.validate(&filled)?;
        let message = EmailMessage {
            to: to.to_owned(),
            usage: UsageType::Generic,
            code: TEST_CODE.to_owned(),
        };
        self.sender(valid).send(&message).await
    }

    /// `config` with each blank secret field of `factory` taken (opened) from `stored`.
    fn fill_blank_secrets(
        &self,
        factory: Factory,
        config: &Value,
        stored: Option<&StoredConnector>,
    ) -> Result<Value, ConnectorError> {
        let mut filled = config.clone();
        let (Some(object), Some(stored)) = (filled.as_object_mut(), stored) else {
            return Ok(filled);
        };
        for field in factory.secret_fields() {
            if !is_blank(object.get(*field)) {
                continue;
            }
            if let Some(sealed) = stored.secrets.get(*field) {
                let secret = self
                    .secrets
                    .open(sealed, &associated_data(&stored.id, field))?;
                object.insert(
                    (*field).to_owned(),
                    Value::String(secret.expose().to_owned()),
                );
            }
        }
        Ok(filled)
    }

    fn sender(&self, config: ValidConfig) -> Box<dyn EmailConnector> {
        match config {
            ValidConfig::AwsSes(config) => Box::new(SesConnector::new(
                *config,
                self.ses_endpoint_url.clone(),
                self.default_chain.clone(),
            )),
            ValidConfig::DevMailbox => {
                Box::new(DevMailbox::new(self.store.clone(), self.clock.clone()))
            }
        }
    }
}

fn find<'s>(stored: &'s StoredConnectors, id: &str) -> Result<&'s StoredConnector, ConnectorError> {
    stored
        .connectors
        .iter()
        .find(|record| record.id == id)
        .ok_or_else(|| ConnectorError::NotFound(id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::idp::secrets::SecretsKey;
    use crate::idp::store::memory::MemoryStore;
    use crate::idp::store::Store;
    use serde_json::json;
    use std::sync::Arc;

    fn ses_config(secret: &str) -> Value {
        let template = |usage: &str| json!({"usageType": usage, "subject": "S {{code}}", "content": "C {{code}}"});
        json!({
            "accessKeyId": "AKIA1",
            "accessKeySecret": secret,
            "region": "us-east-1",
            "emailAddress": "no-reply@example.com",
            "templates": [template("Register"), template("SignIn"), template("ForgotPassword"), template("Generic")],
        })
    }

    fn registry(store: Arc<MemoryStore>) -> Connectors {
        registry_in(store, RunMode::Dev)
    }

    fn registry_in(store: Arc<MemoryStore>, mode: RunMode) -> Connectors {
        Connectors::new(
            store,
            Arc::new(ManualClock::at(1_800_000_000)),
            SecretBox::new(Some(SecretsKey::from_bytes(&[3; 32]))),
            None,
            mode,
        )
    }

    fn ses_setting(sender: &str, key: Option<(&str, &str)>) -> EmailConnectorSetting {
        EmailConnectorSetting::AwsSes(crate::config::SesSettings {
            region: "eu-west-1".to_owned(),
            sender: sender.to_owned(),
            access_key: key.map(|(id, secret)| crate::config::SesAccessKey {
                id: id.to_owned(),
                secret: crate::secret::Secret::new(secret),
            }),
            configuration_set: Some("codes".to_owned()),
        })
    }

    #[tokio::test]
    async fn production_neither_offers_nor_uses_the_dev_mailbox() {
        let store = Arc::new(MemoryStore::new());
        // An earlier development run left its dev mailbox.
        registry(store.clone()).seed().await.unwrap();
        let prod = registry_in(store.clone(), RunMode::Prod);
        prod.seed().await.unwrap();
        assert_eq!(prod.list().await.unwrap()[0].connector_id, "dev-mailbox");
        assert!(!prod.has_email_connector().await.unwrap());
        assert!(prod.email_sender().await.unwrap().is_none());
        assert!(prod
            .describe_active()
            .await
            .unwrap()
            .contains("not used in production"));
        assert!(prod
            .factories()
            .iter()
            .all(|factory| factory.id != "dev-mailbox"));
        assert!(matches!(
            prod.create("dev-mailbox", &json!({})).await,
            Err(ConnectorError::UnknownFactory(_))
        ));
        assert!(matches!(
            prod.test("dev-mailbox", "a@example.com", &json!({})).await,
            Err(ConnectorError::UnknownFactory(_))
        ));
        assert!(store.list_mail(10).await.unwrap().is_empty());

        let fresh = registry_in(Arc::new(MemoryStore::new()), RunMode::Prod);
        fresh.seed().await.unwrap();
        assert!(fresh.list().await.unwrap().is_empty(), "no default in PROD");
    }

    #[tokio::test]
    async fn the_settings_connector_without_a_key_uses_the_default_chain() {
        let store = Arc::new(MemoryStore::new());
        let connectors = registry_in(store.clone(), RunMode::Prod);
        let setting = ses_setting("Acme <no-reply@acme.example>", None);
        let outcome = connectors.apply_settings(Some(&setting)).await.unwrap();
        assert_eq!(outcome, SettingsOutcome::Stored);
        let document = store.get_document(DOCUMENT).await.unwrap().unwrap();
        let record = &document["connectors"][0];
        assert_eq!(record["connectorId"], "aws-ses-mail");
        assert_eq!(record["awsDefaultCredentials"], true);
        assert_eq!(record["secrets"], json!({}));
        let config = &record["config"];
        assert!(config.get("accessKeyId").is_none(), "{config}");
        assert_eq!(config["region"], "eu-west-1");
        assert_eq!(config["emailAddress"], "Acme <no-reply@acme.example>");
        assert_eq!(config["configurationSetName"], "codes");
        assert_eq!(config["templates"].as_array().unwrap().len(), 4);
        assert!(connectors.has_email_connector().await.unwrap());
        let sender = connectors.email_sender().await.unwrap().unwrap();
        assert_eq!(sender.name(), "aws-ses");
        assert!(connectors
            .describe_active()
            .await
            .unwrap()
            .contains("the AWS default credential chain"));

        // Through the Management API the key stays required, also for this connector.
        let id = record["id"].as_str().unwrap().to_owned();
        let mut without_key = config.clone();
        without_key["accessKeySecret"] = json!("");
        assert!(matches!(
            connectors.update(&id, Some(&without_key)).await,
            Err(ConnectorError::InvalidConfig(_))
        ));
        let mut with_key = config.clone();
        with_key["accessKeyId"] = json!("AKIAEDITED");
        with_key["accessKeySecret"] = json!("edited-secret");
        connectors.update(&id, Some(&with_key)).await.unwrap();
        let stored = connectors.read_all().await.unwrap();
        assert!(!stored.connectors[0].aws_default_credentials);
    }

    #[tokio::test]
    async fn settings_replace_the_connector_only_when_they_changed() {
        let store = Arc::new(MemoryStore::new());
        let connectors = registry(store.clone());
        connectors.seed().await.unwrap();
        let setting = ses_setting(
            "no-reply@acme.example",
            Some(("AKIA1", "sentinel-settings")),
        );
        assert_eq!(
            connectors.apply_settings(Some(&setting)).await.unwrap(),
            SettingsOutcome::Stored
        );
        let list = connectors.list().await.unwrap();
        assert_eq!(list.len(), 1, "replaced the dev mailbox");
        assert_eq!(list[0].config["accessKeyId"], "AKIA1");
        assert_eq!(list[0].secrets.get("accessKeySecret"), Some(&true));
        for name in [DOCUMENT, SETTINGS_DOCUMENT] {
            let text = store.get_document(name).await.unwrap().unwrap().to_string();
            assert!(!text.contains("sentinel-settings"), "{name}: {text}");
        }

        // Edited through the API, then a restart with the same settings: the edit stays.
        let mut edited = list[0].config.clone();
        edited["region"] = json!("us-east-1");
        connectors.update(&list[0].id, Some(&edited)).await.unwrap();
        assert_eq!(
            connectors.apply_settings(Some(&setting)).await.unwrap(),
            SettingsOutcome::Unchanged
        );
        assert_eq!(
            connectors.list().await.unwrap()[0].config["region"],
            "us-east-1"
        );

        // Only the secret changed: that is a change.
        let rotated = ses_setting("no-reply@acme.example", Some(("AKIA1", "sentinel-rotated")));
        assert_eq!(
            connectors.apply_settings(Some(&rotated)).await.unwrap(),
            SettingsOutcome::Stored
        );
        let list = connectors.list().await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].config["region"], "eu-west-1", "settings won");
        let kept = connectors
            .fill_blank_secrets(
                Factory::AwsSes,
                &json!({}),
                connectors.read_all().await.unwrap().connectors.first(),
            )
            .unwrap();
        assert_eq!(kept["accessKeySecret"], "sentinel-rotated");

        // Removed from the settings: the connector stays, and setting it again applies it.
        assert_eq!(
            connectors.apply_settings(None).await.unwrap(),
            SettingsOutcome::NotConfigured
        );
        assert_eq!(connectors.list().await.unwrap().len(), 1);
        assert_eq!(
            connectors.apply_settings(Some(&rotated)).await.unwrap(),
            SettingsOutcome::Stored
        );
    }

    #[tokio::test]
    async fn secrets_are_sealed_in_the_document_and_kept_when_blank() {
        let store = Arc::new(MemoryStore::new());
        let connectors = registry(store.clone());
        connectors.seed().await.unwrap();
        let created = connectors
            .create("aws-ses-mail", &ses_config("sentinel-secret"))
            .await
            .unwrap();
        assert_eq!(created.secrets.get("accessKeySecret"), Some(&true));
        assert!(created.config.get("accessKeySecret").is_none());
        let document = store.get_document(DOCUMENT).await.unwrap().unwrap();
        let text = document.to_string();
        assert!(!text.contains("sentinel-secret"), "{text}");
        assert!(text.contains("\"accessKeySecret\":\"v1:"));
        assert_eq!(
            document["connectors"].as_array().unwrap().len(),
            1,
            "replaced the dev mailbox"
        );

        let mut blank = ses_config("");
        blank["region"] = json!("eu-west-1");
        let updated = connectors.update(&created.id, Some(&blank)).await.unwrap();
        assert_eq!(updated.config["region"], "eu-west-1");
        let stored = connectors.read_all().await.unwrap();
        let kept = connectors
            .fill_blank_secrets(Factory::AwsSes, &json!({}), stored.connectors.first())
            .unwrap();
        assert_eq!(kept["accessKeySecret"], "sentinel-secret");
    }

    #[tokio::test]
    async fn seeding_happens_once() {
        let store = Arc::new(MemoryStore::new());
        let connectors = registry(store);
        connectors.seed().await.unwrap();
        let list = connectors.list().await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].connector_id, "dev-mailbox");
        connectors.delete(&list[0].id).await.unwrap();
        connectors.seed().await.unwrap();
        assert!(connectors.list().await.unwrap().is_empty());
        assert!(!connectors.has_email_connector().await.unwrap());
        assert!(connectors.email_sender().await.unwrap().is_none());
    }
}
