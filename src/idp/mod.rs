//! The embedded Logto-compatible identity provider: OIDC endpoints, the email-code sign-in
//! experience, the dev mailbox, and its storage. It shares no internals with `auth` (the relying
//! party): the app talks to it over HTTP exactly as it would to a real Logto.
//!
//! Production mode (`LEPTOS_ENV=PROD`, [`ProviderConfig::mode`]): the dev mailbox does not exist
//! (no routes, no factory, never a default, a stored one is not used), email goes only through a
//! configured connector (`PROVIDER_EMAIL_CONNECTOR` or the Management API), and without
//! `PROVIDER_ADMIN_EMAILS` the first administrator redeems a one-time setup link ([`setup`])
//! printed to the log at start, never "whoever signs up first".
//!
//! Layers: `endpoints/` (axum handlers only) → `protocol/` (pure rules) → `store/` (the port);
//! `experience/` renders the sign-in pages; `connectors/` delivers email (the stored connector:
//! AWS SES or the dev mailbox); `management/` is the Management API (`/api`);
//! `sign_in_experience` holds the sign-up/sign-in rules and the branding; `issues` is the
//! zod-like shape of validation problems (Logto's `data.issues`); `html` is the page layout;
//! `secrets` seals connector secrets at rest; `keys` signs tokens; `resources` is the registry of
//! API resources (RFC 8707).

pub mod clients;
pub mod connectors;
pub mod endpoints;
pub mod experience;
pub mod html;
pub mod issues;
pub mod keys;
pub mod management;
pub mod protocol;
pub mod random;
pub mod resources;
pub mod routes;
pub mod secrets;
pub mod setup;
pub mod sign_in_experience;
pub mod store;
pub mod users;

use crate::clock::SharedClock;
use crate::config::{ProviderStoreSetting, RunMode, Settings};
use crate::secret::Secret;
use clients::{Application, ApplicationType, Clients};
use connectors::registry::Connectors;
use keys::SigningKeys;
use secrets::{SecretBox, SecretsKey};
use std::sync::Arc;
use store::SharedStore;

/// What the provider needs to know about its surroundings.
#[derive(Clone, Debug)]
pub struct ProviderConfig {
    /// Public origin without a trailing slash, e.g. `http://127.0.0.1:3001`.
    pub base_url: String,
    /// Lower-cased addresses with the admin role.
    pub admin_emails: Vec<String>,
    /// `Prod`: no dev mailbox, and the first administrator comes from the setup link.
    pub mode: RunMode,
}

impl ProviderConfig {
    /// `{base_url}/oidc`, as Logto.
    pub fn issuer(&self) -> String {
        format!("{}/oidc", self.base_url)
    }

    /// Who becomes an administrator when an account is created: the listed addresses, else the
    /// first account in DEV and the setup link's redeemer in PROD.
    pub fn admin_policy(&self) -> users::AdminPolicy {
        if !self.admin_emails.is_empty() {
            users::AdminPolicy::Listed(self.admin_emails.clone())
        } else if self.mode == RunMode::Prod {
            users::AdminPolicy::SetupLink
        } else {
            users::AdminPolicy::FirstAccount
        }
    }

    /// Whether development-only features (the dev mailbox) exist.
    pub fn development(&self) -> bool {
        self.mode == RunMode::Dev
    }

    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

/// The provider's shared state, cheap to clone into handlers.
#[derive(Clone)]
pub struct Provider(Arc<ProviderInner>);

pub struct ProviderInner {
    pub config: ProviderConfig,
    pub store: SharedStore,
    pub clock: SharedClock,
    pub keys: SigningKeys,
    pub clients: Clients,
    /// The stored connectors; sign-in codes go through its current Email connector.
    pub connectors: Connectors,
    /// The API resources access tokens may be issued for.
    pub resources: resources::ApiResources,
}

/// How the provider treats connector secrets and reaches SES.
#[derive(Debug)]
pub struct ProviderOptions {
    /// Seals connector secrets; without a key, secrets cannot be stored.
    pub secrets: SecretBox,
    /// Overrides the SES endpoint (tests); `None`: `AWS_ENDPOINT_URL_SESV2`, `AWS_ENDPOINT_URL`,
    /// then AWS.
    pub ses_endpoint_url: Option<String>,
}

impl std::ops::Deref for Provider {
    type Target = ProviderInner;
    fn deref(&self) -> &ProviderInner {
        &self.0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("provider storage: {0}")]
    Store(#[from] store::StoreError),
    #[error("provider keys: {0}")]
    Keys(#[from] keys::KeyError),
    #[error("provider applications: {0}")]
    Clients(String),
    #[error("provider listener: {0}")]
    Io(#[from] std::io::Error),
    #[error("provider secrets: {0}")]
    Secrets(#[from] secrets::SecretsError),
    #[error("provider connectors: {0}")]
    Connectors(#[from] connectors::ConnectorError),
    #[error("provider API resources: {0}")]
    Resources(#[from] resources::ResourceError),
}

impl Provider {
    /// A provider whose connector secrets are sealed with a key generated for this process:
    /// for tests and in-memory stores (secrets stored under it do not survive a restart).
    /// [`start`] uses [`Provider::with_options`] with the configured key.
    pub async fn new(
        config: ProviderConfig,
        store: SharedStore,
        clock: SharedClock,
        clients: Clients,
    ) -> Result<Self, ProviderError> {
        let options = ProviderOptions {
            secrets: SecretBox::new(Some(SecretsKey::generate())),
            ses_endpoint_url: None,
        };
        Self::with_options(config, store, clock, clients, options).await
    }

    /// Loads (or creates) keys and the code pepper, registers the applications, and on first
    /// start stores the default connector (the dev mailbox, in DEV only) and sign-in experience.
    pub async fn with_options(
        config: ProviderConfig,
        store: SharedStore,
        clock: SharedClock,
        clients: Clients,
        options: ProviderOptions,
    ) -> Result<Self, ProviderError> {
        let keys = SigningKeys::load_or_create(store.as_ref(), clock.unix_seconds()).await?;
        experience::codes::pepper(store.as_ref()).await?;
        let connectors = Connectors::new(
            store.clone(),
            clock.clone(),
            options.secrets,
            options.ses_endpoint_url,
            config.mode,
        );
        connectors.seed().await?;
        sign_in_experience::seed(store.as_ref()).await?;
        let resources = resources::ApiResources::new(
            store.clone(),
            clock.clone(),
            management::RESOURCE,
            management::auth::ALL_SCOPE,
        );
        resources.seed(&[]).await?;
        Ok(Self(Arc::new(ProviderInner {
            config,
            store,
            clock,
            keys,
            clients,
            connectors,
            resources,
        })))
    }

    pub fn router(&self) -> axum::Router {
        routes::router(self.clone())
    }
}

/// The app's own registration at the embedded provider, from the app's settings.
pub fn app_application(settings: &Settings) -> Application {
    let base = settings.logto.base();
    Application {
        id: settings.logto.app_id.clone(),
        secret: Secret::new(settings.logto.app_secret.expose()),
        name: "Leptos × Logto".to_owned(),
        kind: ApplicationType::Traditional,
        redirect_uris: vec![format!("{base}/logto/sign-in-callback")],
        post_logout_redirect_uris: vec![base.to_owned(), format!("{base}/")],
    }
}

/// The Management API client of the app's settings page, when configured.
pub fn management_application(settings: &Settings) -> Option<Application> {
    settings.logto.m2m.as_ref().map(|m2m| Application {
        id: m2m.app_id.clone(),
        secret: Secret::new(m2m.app_secret.expose()),
        name: "Leptos × Logto settings".to_owned(),
        kind: ApplicationType::MachineToMachine,
        redirect_uris: Vec::new(),
        post_logout_redirect_uris: Vec::new(),
    })
}

/// Opens the store of the settings (`PROVIDER_STORE_URL`: PostgreSQL with a pool of
/// `PROVIDER_STORE_POOL_SIZE` connections, or by default the SQLite file in the data directory)
/// and brings its schema up to date.
pub async fn open_store(settings: &Settings) -> Result<SharedStore, ProviderError> {
    Ok(match &settings.provider.store {
        ProviderStoreSetting::Sqlite => {
            let path = settings.data_dir.join("provider.sqlite");
            Arc::new(store::sqlite::SqliteStore::open(&path).await?)
        }
        ProviderStoreSetting::Postgres(url) => Arc::new(
            store::postgres::PostgresStore::open_with_pool(url, settings.provider.store_pool_size)
                .await?,
        ),
    })
}

/// Opens the configured store ([`open_store`]), builds the provider from the settings, binds
/// its listener and serves it in the background until `shutdown` resolves.
pub async fn start(
    settings: &Settings,
    clock: SharedClock,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<tokio::task::JoinHandle<()>, ProviderError> {
    let store = open_store(settings).await?;
    let mut builtin = vec![app_application(settings)];
    builtin.extend(management_application(settings));
    let clients = Clients::load(builtin, settings.provider.applications_file.as_deref())
        .map_err(ProviderError::Clients)?;
    let config = ProviderConfig {
        base_url: settings.provider.base().to_owned(),
        admin_emails: settings.provider.admin_emails.clone(),
        mode: settings.site.mode,
    };
    let options = ProviderOptions {
        secrets: secrets::from_settings(settings)?,
        ses_endpoint_url: None,
    };
    let mut api_resources = match &settings.provider.api_resources {
        Some(path) => resources::read_seed_file(path).map_err(resources::ResourceError::Invalid)?,
        None => Vec::new(),
    };
    // The resources the app itself asks for at sign-in (`LOGTO_RESOURCES`) exist here too.
    for indicator in &settings.logto.resources {
        if !api_resources
            .iter()
            .any(|listed| &listed.indicator == indicator)
        {
            api_resources.push(resources::NewResource {
                name: indicator.clone(),
                indicator: indicator.clone(),
                access_token_ttl: None,
                scopes: Vec::new(),
            });
        }
    }
    let provider =
        Provider::with_options(config, store.clone(), clock.clone(), clients, options).await?;
    let email = settings.provider.email_connector.as_ref();
    let applied = provider.connectors.apply_settings(email).await?;
    let active = provider.connectors.describe_active().await?;
    let message = match applied {
        connectors::registry::SettingsOutcome::Stored => "email connector stored from the settings",
        connectors::registry::SettingsOutcome::Unchanged => {
            "email connector settings unchanged since the last start: keeping the stored connector"
        }
        connectors::registry::SettingsOutcome::NotConfigured => "email connector",
    };
    if provider.connectors.has_email_connector().await? {
        tracing::info!(connector = %active, "{message}");
    } else {
        tracing::warn!(connector = %active, "{message}");
    }
    setup::invite(&provider, settings.logto.base()).await?;
    provider.resources.seed(&api_resources).await?;
    let listener = tokio::net::TcpListener::bind(settings.provider.addr).await?;
    if provider.config.development() {
        tracing::info!(
            address = %settings.provider.addr,
            issuer = %provider.config.issuer(),
            mailbox = %format!("{}/dev/mailbox", provider.config.base_url),
            "embedded provider listening"
        );
    } else {
        tracing::info!(
            address = %settings.provider.addr,
            issuer = %provider.config.issuer(),
            "embedded provider listening (production: no dev mailbox)"
        );
    }
    spawn_purge(store, clock);
    let app = crate::runtime::telemetry::apply(provider.router());
    Ok(tokio::spawn(async move {
        if let Err(error) = crate::runtime::serve::serve(listener, app, shutdown).await {
            tracing::error!(%error, "embedded provider stopped with an error");
        }
    }))
}

/// Deletes expired records every ten minutes.
fn spawn_purge(store: SharedStore, clock: SharedClock) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            match store.purge_expired(clock.unix_seconds()).await {
                Ok(0) => {}
                Ok(count) => tracing::debug!(count, "purged expired provider records"),
                Err(error) => tracing::warn!(%error, "purging expired provider records failed"),
            }
        }
    });
}
