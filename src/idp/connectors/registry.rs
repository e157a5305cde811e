//! The stored connectors: one store document (`connectors`) holding, per connector, its id, its
//! factory id (`connectorId`), its config without secret fields, its secret fields sealed by
//! [`SecretBox`] (associated data `connector:<id>:<field>`), and its creation and update times.
//!
//! Rules (Logto's, plus write-only secrets):
//! - First start creates a `dev-mailbox` connector, so sign-in works out of the box. Deleting it
//!   afterwards is allowed; it is not recreated.
//! - There is at most one `Email` connector: creating one replaces the existing one.
//! - Updating replaces the config, except that an absent or blank secret field keeps the stored
//!   value. Test sends fill a blank secret from the stored connector of the same factory.
//! - Views ([`ConnectorView`]) never contain a secret; `secrets` says which are set.
//! - The sign-in pages send through [`Connectors::email_sender`], i.e. whatever is stored now.

use super::aws_ses::SesConnector;
use super::dev_mailbox::DevMailbox;
use super::factory::{Factory, ValidConfig};
use super::{ConnectorError, ConnectorType, EmailConnector, EmailMessage, UsageType};
use crate::clock::SharedClock;
use crate::idp::random;
use crate::idp::secrets::SecretBox;
use crate::idp::store::{update_document, SharedStore};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

const DOCUMENT: &str = "connectors";
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
    /// (`AWS_ENDPOINT_URL_SESV2`, `AWS_ENDPOINT_URL`, then AWS).
    pub fn new(
        store: SharedStore,
        clock: SharedClock,
        secrets: SecretBox,
        ses_endpoint_url: Option<String>,
    ) -> Self {
        Self {
            store,
            clock,
            secrets,
            ses_endpoint_url,
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
            serde_json::to_value(&stored).map_err(|error| ConnectorError::Corrupt(error.to_string()))
        })
        .await?;
        outcome.ok_or_else(|| ConnectorError::Corrupt("the connectors were not changed".to_owned()))
    }

    /// On first start (no connectors document yet), stores the dev mailbox connector.
    pub async fn seed(&self) -> Result<(), ConnectorError> {
        if self.store.get_document(DOCUMENT).await?.is_some() {
            return Ok(());
        }
        let record = self.record(Factory::DevMailbox, &ValidConfig::DevMailbox, None)?;
        let initial = serde_json::to_value(StoredConnectors {
            connectors: vec![record],
        })
        .map_err(|error| ConnectorError::Corrupt(error.to_string()))?;
        if self.store.put_document_if(DOCUMENT, &initial, None).await? {
            tracing::info!("no connectors yet: email goes to the development mailbox (/dev/mailbox)");
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
        Ok(StoredConnector {
            config: config.public_json(),
            secrets,
            connector_id: factory.id().to_owned(),
            created_at: existing.map_or(now, |record| record.created_at),
            updated_at: now,
            id,
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
        let factory = Factory::from_id(factory_id)
            .ok_or_else(|| ConnectorError::UnknownFactory(factory_id.to_owned()))?;
        let valid = factory.validate(config)?;
        let record = self.record(factory, &valid, None)?;
        let replaced = self.modify(|stored| {
            let before = stored.connectors.len();
            stored.connectors.retain(|existing| {
                existing.factory().map(Factory::kind).ok() != Some(factory.kind())
            });
            let replaced = before - stored.connectors.len();
            stored.connectors.push(record.clone());
            Ok(replaced)
        })
        .await?;
        tracing::info!(connector = %record.id, factory = factory.id(), replaced, "connector created");
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

    /// Whether an Email connector is stored (the sign-in experience's precondition for email).
    pub async fn has_email_connector(&self) -> Result<bool, ConnectorError> {
        Ok(self
            .read_all()
            .await?
            .connectors
            .iter()
            .any(|record| record.factory().map(Factory::kind).ok() == Some(ConnectorType::Email)))
    }

    /// The stored Email connector, ready to send (its secrets opened), if there is one.
    pub async fn email_sender(&self) -> Result<Option<Box<dyn EmailConnector>>, ConnectorError> {
        let stored = self.read_all().await?;
        let Some(record) = stored
            .connectors
            .iter()
            .find(|record| record.factory().map(Factory::kind).ok() == Some(ConnectorType::Email))
        else {
            return Ok(None);
        };
        let factory = record.factory()?;
        let config = self.fill_blank_secrets(factory, &record.config, Some(record))?;
        let valid = factory.validate(&config)?;
        Ok(Some(self.sender(valid)))
    }

    /// Sends the Generic template with code `000000` to `to` through an unsaved `config`.
    pub async fn test(
        &self,
        factory_id: &str,
        to: &str,
        config: &Value,
    ) -> Result<(), ConnectorError> {
        let factory = Factory::from_id(factory_id)
            .ok_or_else(|| ConnectorError::UnknownFactory(factory_id.to_owned()))?;
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
            ValidConfig::AwsSes(config) => {
                Box::new(SesConnector::new(*config, self.ses_endpoint_url.clone()))
            }
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
        Connectors::new(
            store,
            Arc::new(ManualClock::at(1_800_000_000)),
            SecretBox::new(Some(SecretsKey::from_bytes(&[3; 32]))),
            None,
        )
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
