//! The table of every configuration key: its place in `Leptos.toml`, its environment variable, its
//! default and what it means. Loading, validation messages and the README table all read this list.

/// One setting, as a person configures it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// `section.name` in `Leptos.toml`.
    pub toml: &'static str,
    /// The environment variable that overrides the file.
    pub env: &'static str,
    /// The value used when neither the file nor the environment sets the key (`None`: unset).
    pub default: Option<&'static str>,
    /// What the setting means, in one line.
    pub doc: &'static str,
}

pub const SITE_ADDR: Key = Key {
    toml: "site.addr",
    env: "LEPTOS_SITE_ADDR",
    default: Some("127.0.0.1:3000"),
    doc: "Socket address the app listens on.",
};
pub const SITE_ROOT: Key = Key {
    toml: "site.root",
    env: "LEPTOS_SITE_ROOT",
    default: Some("target/site"),
    doc: "Directory holding the built site (WASM, JS, CSS, public assets).",
};
pub const SITE_PKG_DIR: Key = Key {
    toml: "site.pkg_dir",
    env: "LEPTOS_SITE_PKG_DIR",
    default: Some("pkg"),
    doc: "Sub-directory of the site root with the WASM/JS/CSS bundle.",
};
pub const SITE_OUTPUT_NAME: Key = Key {
    toml: "site.output_name",
    env: "LEPTOS_OUTPUT_NAME",
    default: Some("leptos-logto"),
    doc: "File name (without extension) of the WASM/JS/CSS bundle.",
};
pub const SITE_ENV: Key = Key {
    toml: "site.env",
    env: "LEPTOS_ENV",
    default: Some("DEV"),
    doc: "`DEV` or `PROD`. PROD demands https URLs (except on loopback) and disables live reload.",
};
pub const SITE_RELOAD_PORT: Key = Key {
    toml: "site.reload_port",
    env: "LEPTOS_RELOAD_PORT",
    default: Some("3100"),
    doc: "Port of `cargo leptos watch`'s live-reload socket (kept off the provider's 3001).",
};
pub const SITE_TRUSTED_PROXIES: Key = Key {
    toml: "site.trusted_proxies",
    env: "SITE_TRUSTED_PROXIES",
    default: Some(""),
    doc: "Load balancers and proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed for the client's address.",
};
pub const LOGTO_ENDPOINT: Key = Key {
    toml: "logto.endpoint",
    env: "LOGTO_ENDPOINT",
    default: None,
    doc: "Base URL of a Logto tenant, e.g. `https://tenant.logto.app`. Unset or empty: the embedded provider.",
};
pub const LOGTO_APP_ID: Key = Key {
    toml: "logto.app_id",
    env: "LOGTO_APP_ID",
    default: None,
    doc: "App ID of the Traditional Web application registered in Logto.",
};
pub const LOGTO_APP_SECRET: Key = Key {
    toml: "logto.app_secret",
    env: "LOGTO_APP_SECRET",
    default: None,
    doc: "App secret of that application (never logged or shown).",
};
pub const LOGTO_BASE_URL: Key = Key {
    toml: "logto.base_url",
    env: "LOGTO_BASE_URL",
    default: Some("http://localhost:3000"),
    doc: "The app's public base URL; the sign-in callback and post-logout URIs derive from it.",
};
pub const LOGTO_M2M_APP_ID: Key = Key {
    toml: "logto.m2m_app_id",
    env: "LOGTO_M2M_APP_ID",
    default: None,
    doc: "Machine-to-machine app for the Management API (settings page). Unset: settings unavailable.",
};
pub const LOGTO_M2M_APP_SECRET: Key = Key {
    toml: "logto.m2m_app_secret",
    env: "LOGTO_M2M_APP_SECRET",
    default: None,
    doc: "Its secret (never logged or shown).",
};
pub const LOGTO_SCOPES: Key = Key {
    toml: "logto.scopes",
    env: "LOGTO_SCOPES",
    default: Some("email roles"),
    doc: "Scopes requested besides `openid offline_access profile` (space-separated).",
};
pub const LOGTO_RESOURCES: Key = Key {
    toml: "logto.resources",
    env: "LOGTO_RESOURCES",
    default: Some(""),
    doc: "API resource indicators requested at sign-in (space-separated URLs).",
};
pub const LOGTO_HTTP_TIMEOUT: Key = Key {
    toml: "logto.http_timeout_secs",
    env: "LOGTO_HTTP_TIMEOUT_SECS",
    default: Some("10"),
    doc: "Bound, in seconds, on every call from the app to Logto.",
};
pub const LOGTO_USERINFO_MAX_AGE: Key = Key {
    toml: "logto.userinfo_max_age_secs",
    env: "LOGTO_USERINFO_MAX_AGE_SECS",
    default: Some("30"),
    doc:
        "The profile's userinfo is fetched again once older than this (seconds); 0: on every view.",
};
pub const SESSION_IDLE_TIMEOUT: Key = Key {
    toml: "session.idle_timeout_secs",
    env: "SESSION_IDLE_TIMEOUT_SECS",
    default: Some("86400"),
    doc: "A session unused this long (seconds) is signed out.",
};
pub const SESSION_ABSOLUTE_LIFETIME: Key = Key {
    toml: "session.absolute_lifetime_secs",
    env: "SESSION_ABSOLUTE_LIFETIME_SECS",
    default: Some("1209600"),
    doc: "A session is signed out this long (seconds) after sign-in, however active.",
};
pub const SESSION_STORE_URL: Key = Key {
    toml: "session.store_url",
    env: "SESSION_STORE_URL",
    default: None,
    doc: "Where sessions are kept: unset, a SQLite file in the data directory; `redis://…` or `postgres://…` to share them between instances.",
};
pub const DATA_DIR: Key = Key {
    toml: "app.data_dir",
    env: "APP_DATA_DIR",
    default: Some("data"),
    doc: "Directory for the SQLite databases and the provider's generated keys.",
};
pub const PROVIDER_ADDR: Key = Key {
    toml: "provider.addr",
    env: "PROVIDER_ADDR",
    default: Some("127.0.0.1:3001"),
    doc: "Socket address of the embedded provider (used only when LOGTO_ENDPOINT is unset).",
};
pub const PROVIDER_BASE_URL: Key = Key {
    toml: "provider.base_url",
    env: "PROVIDER_BASE_URL",
    default: Some("http://127.0.0.1:3001"),
    doc: "Public origin of the embedded provider; its issuer is `{base_url}/oidc`.",
};
pub const PROVIDER_ADMIN_EMAILS: Key = Key {
    toml: "provider.admin_emails",
    env: "PROVIDER_ADMIN_EMAILS",
    default: Some(""),
    doc: "Comma-separated addresses that get the `admin` role. Empty: the first account created in DEV, the setup link in PROD.",
};
pub const PROVIDER_SECRETS_KEY_FILE: Key = Key {
    toml: "provider.secrets_key_file",
    env: "PROVIDER_SECRETS_KEY_FILE",
    default: None,
    doc: "File with the key that encrypts connector secrets at rest. Unset in DEV: generated in the data directory.",
};
pub const PROVIDER_APPLICATIONS_FILE: Key = Key {
    toml: "provider.applications_file",
    env: "PROVIDER_APPLICATIONS_FILE",
    default: None,
    doc: "JSON file registering further applications at the embedded provider.",
};
pub const PROVIDER_EMAIL_CONNECTOR: Key = Key {
    toml: "provider.email_connector",
    env: "PROVIDER_EMAIL_CONNECTOR",
    default: None,
    doc: "`aws-ses` or `dev-mailbox` (DEV only): stored as the email connector at start. Unset: the dev mailbox in DEV, none in PROD.",
};
pub const PROVIDER_SES_REGION: Key = Key {
    toml: "provider.ses_region",
    env: "PROVIDER_SES_REGION",
    default: None,
    doc: "AWS region of SES, e.g. `eu-west-1` (with `aws-ses`).",
};
pub const PROVIDER_SES_SENDER: Key = Key {
    toml: "provider.ses_sender",
    env: "PROVIDER_SES_SENDER",
    default: None,
    doc: "Sender of the codes, `Name <no-reply@example.com>` or `no-reply@example.com`, verified in SES.",
};
pub const PROVIDER_SES_ACCESS_KEY_ID: Key = Key {
    toml: "provider.ses_access_key_id",
    env: "PROVIDER_SES_ACCESS_KEY_ID",
    default: None,
    doc: "AWS access key id for SES. Unset with its secret: the AWS default credential chain (e.g. an IAM role).",
};
pub const PROVIDER_SES_ACCESS_KEY_SECRET: Key = Key {
    toml: "provider.ses_access_key_secret",
    env: "PROVIDER_SES_ACCESS_KEY_SECRET",
    default: None,
    doc: "Its secret access key (never logged or shown; stored sealed).",
};
pub const PROVIDER_SES_CONFIGURATION_SET: Key = Key {
    toml: "provider.ses_configuration_set",
    env: "PROVIDER_SES_CONFIGURATION_SET",
    default: None,
    doc: "Optional SES configuration set for the messages.",
};
pub const PROVIDER_API_RESOURCES: Key = Key {
    toml: "provider.api_resources",
    env: "PROVIDER_API_RESOURCES",
    default: None,
    doc: "JSON file of API resources (RFC 8707) registered at the embedded provider on start.",
};
pub const PROVIDER_STORE_URL: Key = Key {
    toml: "provider.store_url",
    env: "PROVIDER_STORE_URL",
    default: None,
    doc: "Where the embedded provider keeps its state: unset for `provider.sqlite` in the data directory, or a `postgres://` URL shared by several instances.",
};
pub const PROVIDER_STORE_POOL_SIZE: Key = Key {
    toml: "provider.store_pool_size",
    env: "PROVIDER_STORE_POOL_SIZE",
    default: Some("8"),
    doc: "Connections each instance opens to the provider's PostgreSQL store (1–100); instances add up, so keep their sum under the server's `max_connections`. Unused with SQLite.",
};
pub const LOG_FILTER: Key = Key {
    toml: "log.filter",
    env: "RUST_LOG",
    default: Some("info"),
    doc: "`tracing` filter directives, e.g. `info,leptos_logto=debug`.",
};
pub const LOG_FORMAT: Key = Key {
    toml: "log.format",
    env: "LOG_FORMAT",
    default: Some("text"),
    doc: "`text` for people, `json` for log collectors.",
};

/// Every key, in the order the README documents them.
pub const ALL: &[Key] = &[
    SITE_ADDR,
    SITE_ROOT,
    SITE_PKG_DIR,
    SITE_OUTPUT_NAME,
    SITE_ENV,
    SITE_RELOAD_PORT,
    SITE_TRUSTED_PROXIES,
    LOGTO_ENDPOINT,
    LOGTO_APP_ID,
    LOGTO_APP_SECRET,
    LOGTO_BASE_URL,
    LOGTO_M2M_APP_ID,
    LOGTO_M2M_APP_SECRET,
    LOGTO_SCOPES,
    LOGTO_RESOURCES,
    LOGTO_HTTP_TIMEOUT,
    LOGTO_USERINFO_MAX_AGE,
    SESSION_IDLE_TIMEOUT,
    SESSION_ABSOLUTE_LIFETIME,
    SESSION_STORE_URL,
    DATA_DIR,
    PROVIDER_ADDR,
    PROVIDER_BASE_URL,
    PROVIDER_ADMIN_EMAILS,
    PROVIDER_APPLICATIONS_FILE,
    PROVIDER_SECRETS_KEY_FILE,
    PROVIDER_EMAIL_CONNECTOR,
    PROVIDER_SES_REGION,
    PROVIDER_SES_SENDER,
    PROVIDER_SES_ACCESS_KEY_ID,
    PROVIDER_SES_ACCESS_KEY_SECRET,
    PROVIDER_SES_CONFIGURATION_SET,
    PROVIDER_API_RESOURCES,
    PROVIDER_STORE_URL,
    PROVIDER_STORE_POOL_SIZE,
    LOG_FILTER,
    LOG_FORMAT,
];

/// The variable naming an alternative settings file (default `Leptos.toml` in the working directory).
pub const CONFIG_FILE_ENV: &str = "APP_CONFIG";
