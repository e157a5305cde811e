//! Typed application settings: built-in defaults, then `Leptos.toml`, then environment variables.
//! [`load`] parses and validates every key and reports all problems together; nothing else in the
//! app reads the environment or the settings file. See `keys.rs` for the documented key table.

pub mod aws;
pub mod keys;
mod source;

pub use source::{ConfigError, Problem};

use crate::secret::Secret;
use keys::Key;
use source::{Problems, Source};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use url::Url;

/// The development app secret shipped in `Leptos.toml`; refused in production.
pub const DEV_APP_SECRET: &str = "dev-only-app-secret-not-for-production";
/// The development machine-to-machine secret shipped in `Leptos.toml`; refused in production.
pub const DEV_M2M_SECRET: &str = "dev-only-m2m-secret-not-for-production";

#[derive(Debug, Clone)]
pub struct Settings {
    pub site: SiteSettings,
    pub logto: LogtoSettings,
    pub session: SessionSettings,
    pub provider: ProviderSettings,
    /// Where databases and generated keys live.
    pub data_dir: PathBuf,
    pub log: LogSettings,
}

/// The embedded provider; it runs only when `logto.endpoint` is unset.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    pub addr: SocketAddr,
    /// Public origin, without a trailing slash.
    pub base_url: Url,
    /// Lower-cased addresses that get the `admin` role.
    pub admin_emails: Vec<String>,
    pub applications_file: Option<PathBuf>,
    /// Key file for connector secrets; `None` in DEV means "generate in the data directory".
    pub secrets_key_file: Option<PathBuf>,
    /// The email connector stored at start (`PROVIDER_EMAIL_CONNECTOR`); `None`: the dev mailbox
    /// on first start in DEV, and no connector from settings in PROD.
    pub email_connector: Option<EmailConnectorSetting>,
    /// JSON file of API resources to register on start.
    pub api_resources: Option<PathBuf>,
    /// Where the provider keeps its state (`PROVIDER_STORE_URL`).
    pub store: ProviderStoreSetting,
    /// Connections per instance to a PostgreSQL store (`PROVIDER_STORE_POOL_SIZE`).
    pub store_pool_size: u32,
}

/// The provider's store chosen in the settings.
#[derive(Debug, Clone, PartialEq)]
pub enum ProviderStoreSetting {
    /// `provider.sqlite` in the data directory (the key unset).
    Sqlite,
    /// A `postgres://` or `postgresql://` URL, which may hold a password.
    Postgres(Secret),
}

/// The email connector chosen in the settings.
#[derive(Debug, Clone, PartialEq)]
pub enum EmailConnectorSetting {
    /// The development mailbox (refused in PROD).
    DevMailbox,
    AwsSes(SesSettings),
}

/// AWS SES from the settings (`PROVIDER_SES_*`).
#[derive(Debug, Clone, PartialEq)]
pub struct SesSettings {
    pub region: String,
    /// `Name <a@b>` or `a@b`.
    pub sender: String,
    /// `None`: the AWS default credential chain (environment, profile, web identity, ECS or
    /// instance role).
    pub access_key: Option<SesAccessKey>,
    pub configuration_set: Option<String>,
}

/// A static AWS access key.
#[derive(Debug, Clone, PartialEq)]
pub struct SesAccessKey {
    pub id: String,
    pub secret: Secret,
}

impl ProviderSettings {
    /// `base_url` as text without a trailing slash.
    pub fn base(&self) -> &str {
        self.base_url.as_str().trim_end_matches('/')
    }
}

#[derive(Debug, Clone)]
pub struct SiteSettings {
    pub addr: SocketAddr,
    pub root: String,
    pub pkg_dir: String,
    pub output_name: String,
    pub mode: RunMode,
    pub reload_port: u16,
    /// Proxies whose `X-Forwarded-For` hops are believed (empty: none, the peer is the client).
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    Dev,
    Prod,
}

#[derive(Debug, Clone)]
pub struct LogtoSettings {
    /// `None`: sign in through the embedded provider.
    pub endpoint: Option<Url>,
    pub app_id: String,
    pub app_secret: Secret,
    /// The app's public origin, without a trailing slash.
    pub base_url: Url,
    /// The Management API client, when configured.
    pub m2m: Option<M2mCredentials>,
    /// Requested besides `openid offline_access profile`.
    pub scopes: Vec<String>,
    pub resources: Vec<String>,
    pub http_timeout: Duration,
    /// How old the profile page's userinfo may be; zero fetches it on every view.
    pub userinfo_max_age: Duration,
}

/// A machine-to-machine application's credentials.
#[derive(Debug, Clone)]
pub struct M2mCredentials {
    pub app_id: String,
    pub app_secret: Secret,
}

/// The app's sign-in sessions.
#[derive(Debug, Clone)]
pub struct SessionSettings {
    pub idle_timeout: Duration,
    pub absolute_lifetime: Duration,
    pub engine: SessionEngine,
}

/// Where the app keeps sessions and their tokens (`session.store_url`). The URLs may carry a
/// password: they are [`Secret`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEngine {
    /// `sessions.sqlite` in the data directory: one instance.
    Sqlite,
    /// `redis://` or `rediss://`.
    Redis(Secret),
    /// `postgres://` or `postgresql://`.
    Postgres(Secret),
}

/// A comma-separated list of IP addresses and networks (`10.0.0.0/8, 192.0.2.7`); empty is none.
pub fn parse_trusted_proxies(text: &str) -> Result<Vec<ipnet::IpNet>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    format!("`{item}` is not an IP address or a network such as 10.0.0.0/8")
                })
        })
        .collect()
}

/// The engine a `session.store_url` names. The message never repeats the URL (it may hold a
/// password).
fn parse_session_engine(text: &str) -> Result<SessionEngine, String> {
    let scheme = text.split_once("://").map(|(scheme, _)| scheme);
    let parsed =
        Url::parse(text).map_err(|_| "must be a URL such as redis://127.0.0.1:6379".to_owned());
    match scheme {
        Some("redis" | "rediss") => parsed.map(|_| SessionEngine::Redis(Secret::new(text))),
        Some("postgres" | "postgresql") => {
            parsed.map(|_| SessionEngine::Postgres(Secret::new(text)))
        }
        _ => Err("must start with redis://, rediss://, postgres:// or postgresql://".to_owned()),
    }
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    pub filter: String,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Loads the settings of this process: the file named by `APP_CONFIG` (an error if it is missing)
/// or `Leptos.toml` in the working directory (optional), overridden by the environment.
pub fn load_from_process() -> Result<Settings, ConfigError> {
    let env = |name: &str| std::env::var(name).ok();
    let (path, required) = match env(keys::CONFIG_FILE_ENV) {
        Some(path) if !path.trim().is_empty() => (path, true),
        _ => ("Leptos.toml".to_owned(), false),
    };
    let text = match std::fs::read_to_string(Path::new(&path)) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && !required => None,
        Err(error) => {
            return Err(ConfigError {
                problems: vec![Problem {
                    key: path,
                    env: keys::CONFIG_FILE_ENV.to_owned(),
                    message: format!("cannot read the settings file: {error}"),
                }],
            })
        }
    };
    load(text.as_deref().map(|text| (path.as_str(), text)), &env)
}

/// Parses and validates every setting from an optional `(file name, file text)` and an environment
/// lookup, reporting every problem at once.
pub fn load(
    file: Option<(&str, &str)>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, ConfigError> {
    let mut problems = Problems::default();
    let table = match file {
        None => toml::Table::new(),
        Some((name, text)) => text.parse::<toml::Table>().unwrap_or_else(|error| {
            problems.add_file(name, format!("not valid TOML: {}", error.message()));
            toml::Table::new()
        }),
    };
    let source = Source::new(table, env);
    for unknown in source.unknown_file_keys(keys::ALL) {
        problems.add_file(unknown, "unknown setting (see the README's settings table)");
    }
    let mut read = Reader {
        source: &source,
        problems: &mut problems,
    };

    let mode = read.parse(&keys::SITE_ENV, parse_mode);
    let rules = mode.unwrap_or(RunMode::Dev);
    let site = read_site(&mut read, mode);
    let logto = read_logto(&mut read, rules);
    let session = read_session(&mut read);
    let provider = read_provider(&mut read, rules);
    let data_dir = read.parse(&keys::DATA_DIR, |text| non_empty(text).map(PathBuf::from));
    let log = read_log(&mut read);
    for check in CHECKS {
        (check.run)(&mut read);
    }
    // Every `None` has recorded its problem, so `into_result` reports them all.
    let (Some(site), Some(logto), Some(session), Some(provider), Some(data_dir), Some(log)) =
        (site, logto, session, provider, data_dir, log)
    else {
        return Err(problems.into_error());
    };
    problems.into_result(Settings {
        site,
        logto,
        session,
        provider,
        data_dir,
        log,
    })
}

/// A rule across several keys, run after every key has been read on its own.
struct Check {
    /// What the rule says, for readers of this table (and its test).
    #[cfg_attr(not(test), allow(dead_code))]
    rule: &'static str,
    run: fn(&mut Reader<'_, '_>),
}

/// The cross-key rules. Each records its problems against the key to change.
const CHECKS: &[Check] = &[Check {
    rule: "LOGTO_M2M_APP_ID and LOGTO_M2M_APP_SECRET are set together or not at all",
    run: |read| {
        // A value that is set but invalid has already been reported.
        match (
            read.is_set(&keys::LOGTO_M2M_APP_ID),
            read.is_set(&keys::LOGTO_M2M_APP_SECRET),
        ) {
            (true, false) => read.problems.add(
                &keys::LOGTO_M2M_APP_SECRET,
                "must be set with LOGTO_M2M_APP_ID",
            ),
            (false, true) => read.problems.add(
                &keys::LOGTO_M2M_APP_ID,
                "must be set with LOGTO_M2M_APP_SECRET",
            ),
            _ => {}
        }
    },
}];

/// `[site]`: where the app listens and what cargo-leptos built.
fn read_site(read: &mut Reader<'_, '_>, mode: Option<RunMode>) -> Option<SiteSettings> {
    let addr = read.parse(&keys::SITE_ADDR, parse_socket_addr);
    let root = read.parse(&keys::SITE_ROOT, non_empty);
    let pkg_dir = read.parse(&keys::SITE_PKG_DIR, non_empty);
    let output_name = read.parse(&keys::SITE_OUTPUT_NAME, non_empty);
    let reload_port = read.parse(&keys::SITE_RELOAD_PORT, parse_port);
    let trusted_proxies = read.parse(&keys::SITE_TRUSTED_PROXIES, parse_trusted_proxies);
    Some(SiteSettings {
        addr: addr?,
        root: root?,
        pkg_dir: pkg_dir?,
        output_name: output_name?,
        mode: mode?,
        reload_port: reload_port?,
        trusted_proxies: trusted_proxies?,
    })
}

/// `[logto]`: the provider this app signs people in with, and how.
fn read_logto(read: &mut Reader<'_, '_>, mode: RunMode) -> Option<LogtoSettings> {
    let endpoint = read.parse_optional(&keys::LOGTO_ENDPOINT, |text| {
        parse_http_url(text, mode, false)
    });
    let app_id = read.parse(&keys::LOGTO_APP_ID, parse_identifier);
    let app_secret = read.parse(&keys::LOGTO_APP_SECRET, |text| parse_app_secret(text, mode));
    let base_url = read.parse(&keys::LOGTO_BASE_URL, |text| {
        parse_http_url(text, mode, true)
    });
    let m2m_app_id = read.parse_optional(&keys::LOGTO_M2M_APP_ID, parse_identifier);
    let m2m_app_secret = read.parse_optional(&keys::LOGTO_M2M_APP_SECRET, |text| {
        parse_app_secret(text, mode)
    });
    let m2m = match (m2m_app_id, m2m_app_secret) {
        (Some(app_id), Some(app_secret)) => Some(M2mCredentials { app_id, app_secret }),
        _ => None,
    };
    let scopes = read.parse(&keys::LOGTO_SCOPES, parse_scopes);
    let resources = read.parse(&keys::LOGTO_RESOURCES, parse_resources);
    let http_timeout = read.parse(&keys::LOGTO_HTTP_TIMEOUT, |text| {
        parse_seconds(text, 1, 120)
    });
    let userinfo_max_age = read.parse(&keys::LOGTO_USERINFO_MAX_AGE, |text| {
        parse_seconds(text, 0, 3600)
    });
    Some(LogtoSettings {
        endpoint,
        app_id: app_id?,
        app_secret: app_secret?,
        base_url: base_url?,
        m2m,
        scopes: scopes?,
        resources: resources?,
        http_timeout: http_timeout?,
        userinfo_max_age: userinfo_max_age?,
    })
}

/// `[session]`: how long people stay signed in.
fn read_session(read: &mut Reader<'_, '_>) -> Option<SessionSettings> {
    let idle_timeout = read.parse(&keys::SESSION_IDLE_TIMEOUT, |text| {
        parse_seconds(text, 60, 365 * 86400)
    });
    let absolute_lifetime = read.parse(&keys::SESSION_ABSOLUTE_LIFETIME, |text| {
        parse_seconds(text, 60, 365 * 86400)
    });
    let engine = read
        .parse_optional(&keys::SESSION_STORE_URL, parse_session_engine)
        .unwrap_or(SessionEngine::Sqlite);
    Some(SessionSettings {
        idle_timeout: idle_timeout?,
        absolute_lifetime: absolute_lifetime?,
        engine,
    })
}

/// `[provider]`: the embedded provider.
fn read_provider(read: &mut Reader<'_, '_>, mode: RunMode) -> Option<ProviderSettings> {
    let addr = read.parse(&keys::PROVIDER_ADDR, parse_socket_addr);
    let base_url = read.parse(&keys::PROVIDER_BASE_URL, |text| {
        parse_http_url(text, mode, true)
    });
    let admin_emails = read.parse(&keys::PROVIDER_ADMIN_EMAILS, parse_email_list);
    let path = |text: &str| Ok::<_, String>(PathBuf::from(text));
    let applications_file = read.parse_optional(&keys::PROVIDER_APPLICATIONS_FILE, path);
    let secrets_key_file = read.parse_optional(&keys::PROVIDER_SECRETS_KEY_FILE, path);
    let email_connector = read_email_connector(read, mode, secrets_key_file.is_some());
    let api_resources = read.parse_optional(&keys::PROVIDER_API_RESOURCES, path);
    let store = read
        .parse_optional(&keys::PROVIDER_STORE_URL, parse_store_url)
        .unwrap_or(ProviderStoreSetting::Sqlite);
    let store_pool_size = read.parse(&keys::PROVIDER_STORE_POOL_SIZE, |text| {
        parse_whole(text, 1_u32, 100, "a whole number")
    });
    Some(ProviderSettings {
        addr: addr?,
        base_url: base_url?,
        admin_emails: admin_emails?,
        applications_file,
        secrets_key_file,
        email_connector,
        api_resources,
        store,
        store_pool_size: store_pool_size?,
    })
}

/// A PostgreSQL URL; the message never repeats the value (it may hold a password).
fn parse_store_url(text: &str) -> Result<ProviderStoreSetting, String> {
    let scheme = text
        .split_once("://")
        .map(|(scheme, _)| scheme.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("postgres" | "postgresql") if Url::parse(text).is_ok() => {
            Ok(ProviderStoreSetting::Postgres(Secret::new(text)))
        }
        _ => Err(
            "expected a postgres:// or postgresql:// URL (unset: the SQLite file in the data \
                  directory)"
                .to_owned(),
        ),
    }
}

/// `[log]`: what is logged, and how.
fn read_log(read: &mut Reader<'_, '_>) -> Option<LogSettings> {
    let filter = read.parse(&keys::LOG_FILTER, |text| {
        tracing_subscriber::EnvFilter::try_new(text)
            .map(|_| text.to_owned())
            .map_err(|error| format!("not a valid tracing filter: {error}"))
    });
    let format = read.parse(&keys::LOG_FORMAT, |text| {
        match text.to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err("expected `text` or `json`".to_owned()),
        }
    });
    Some(LogSettings {
        filter: filter?,
        format: format?,
    })
}

struct Reader<'s, 'e> {
    source: &'s Source<'e>,
    problems: &'s mut Problems,
}

impl Reader<'_, '_> {
    /// A required key: unset or invalid records a problem and yields `None`.
    fn parse<T>(&mut self, key: &Key, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        match self.source.raw(key) {
            None => {
                self.problems.add(key, "must be set");
                None
            }
            Some(text) => parse(&text)
                .map_err(|message| self.problems.add(key, message))
                .ok(),
        }
    }

    /// Whether the key has a non-empty value anywhere.
    fn is_set(&self, key: &Key) -> bool {
        self.source.raw(key).is_some_and(|text| !text.is_empty())
    }

    /// An optional key: unset or empty yields `None` without a problem.
    fn parse_optional<T>(
        &mut self,
        key: &Key,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let text = self.source.raw(key).filter(|text| !text.is_empty())?;
        parse(&text)
            .map_err(|message| self.problems.add(key, message))
            .ok()
    }
}

fn non_empty(text: &str) -> Result<String, String> {
    if text.is_empty() {
        Err("must not be empty".to_owned())
    } else {
        Ok(text.to_owned())
    }
}

fn parse_socket_addr(text: &str) -> Result<SocketAddr, String> {
    text.parse::<SocketAddr>()
        .map_err(|_| "expected an address such as 127.0.0.1:3000".to_owned())
}

fn parse_email_list(text: &str) -> Result<Vec<String>, String> {
    let mut emails = Vec::new();
    for item in text
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        let valid = item
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
        if !valid || item.contains(char::is_whitespace) {
            return Err(format!("`{item}` is not an email address"));
        }
        emails.push(item.to_lowercase());
    }
    Ok(emails)
}

fn parse_scopes(text: &str) -> Result<Vec<String>, String> {
    let scopes: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
    if scopes
        .iter()
        .any(|scope| scope.contains(|c: char| c == '"' || c == '\\' || c.is_control()))
    {
        return Err("scopes are space-separated words".to_owned());
    }
    Ok(scopes)
}

/// Resource indicators (RFC 8707 §2): absolute URIs without a fragment, kept as written.
fn parse_resources(text: &str) -> Result<Vec<String>, String> {
    text.split_whitespace()
        .map(|item| match Url::parse(item) {
            Ok(url) if url.fragment().is_none() => Ok(item.to_owned()),
            _ => Err(format!(
                "`{item}` is not an absolute URI without a fragment"
            )),
        })
        .collect()
}

fn parse_seconds(text: &str, min: u64, max: u64) -> Result<Duration, String> {
    parse_whole(text, min, max, "whole seconds").map(Duration::from_secs)
}

/// A whole number from `min` to `max`; `what` names it in the message.
fn parse_whole<T>(text: &str, min: T, max: T, what: &str) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    match text.parse::<T>() {
        Ok(number) if number >= min && number <= max => Ok(number),
        _ => Err(format!("expected {what} from {min} to {max}")),
    }
}

fn parse_mode(text: &str) -> Result<RunMode, String> {
    match text.to_ascii_lowercase().as_str() {
        "dev" | "development" => Ok(RunMode::Dev),
        "prod" | "production" => Ok(RunMode::Prod),
        _ => Err("expected `DEV` or `PROD`".to_owned()),
    }
}

fn parse_port(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err("expected a port number from 1 to 65535".to_owned()),
    }
}

fn parse_identifier(text: &str) -> Result<String, String> {
    if text.is_empty() {
        Err("must be set".to_owned())
    } else if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err("must not contain spaces or control characters".to_owned())
    } else {
        Ok(text.to_owned())
    }
}

fn parse_app_secret(text: &str, mode: RunMode) -> Result<Secret, String> {
    if text.is_empty() {
        Err("must be set".to_owned())
    } else if mode == RunMode::Prod && (text == DEV_APP_SECRET || text == DEV_M2M_SECRET) {
        Err("is the development secret from Leptos.toml; set a real one in production".to_owned())
    } else {
        Ok(Secret::new(text))
    }
}

/// An absolute http(s) URL without credentials, query or fragment, normalised without a trailing
/// slash. `origin_only` also forbids a path. In production it must be https unless on loopback.
fn parse_http_url(text: &str, mode: RunMode, origin_only: bool) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|error| format!("not an absolute URL ({error})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must start with http:// or https://".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain credentials".to_owned());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".to_owned());
    }
    if origin_only && url.path() != "/" {
        return Err("must be an origin such as https://app.example.com (no path)".to_owned());
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if mode == RunMode::Prod && url.scheme() != "https" && !loopback {
        return Err("must use https in production".to_owned());
    }
    let mut url = url;
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok(url)
}

/// `PROVIDER_EMAIL_CONNECTOR` and the `PROVIDER_SES_*` keys, checked together: SES needs its
/// region and sender, a key id comes with its secret (in PROD only with a secrets key to seal it),
/// SES keys without `aws-ses` do nothing, and the dev mailbox is refused in production.
fn read_email_connector(
    read: &mut Reader<'_, '_>,
    mode: RunMode,
    has_secrets_key: bool,
) -> Option<EmailConnectorSetting> {
    #[derive(Clone, Copy, PartialEq)]
    enum Choice {
        Ses,
        DevMailbox,
    }
    let choice = read.parse_optional(&keys::PROVIDER_EMAIL_CONNECTOR, |text| {
        match text.to_ascii_lowercase().as_str() {
            "aws-ses" => Ok(Choice::Ses),
            "dev-mailbox" if mode == RunMode::Prod => Err(
                "the dev mailbox shows every sign-in code to anyone: it does not exist in \
                 production (use `aws-ses`)"
                    .to_owned(),
            ),
            "dev-mailbox" => Ok(Choice::DevMailbox),
            _ => Err("expected `aws-ses` or `dev-mailbox`".to_owned()),
        }
    });
    let ses_chosen = read
        .source
        .raw(&keys::PROVIDER_EMAIL_CONNECTOR)
        .is_some_and(|text| text.eq_ignore_ascii_case("aws-ses"));
    let ses_keys = [
        &keys::PROVIDER_SES_REGION,
        &keys::PROVIDER_SES_SENDER,
        &keys::PROVIDER_SES_ACCESS_KEY_ID,
        &keys::PROVIDER_SES_ACCESS_KEY_SECRET,
        &keys::PROVIDER_SES_CONFIGURATION_SET,
    ];
    if !ses_chosen {
        for key in ses_keys {
            if read.is_set(key) {
                read.problems
                    .add(key, "is set, but PROVIDER_EMAIL_CONNECTOR is not `aws-ses`");
            }
        }
        return (choice == Some(Choice::DevMailbox)).then_some(EmailConnectorSetting::DevMailbox);
    }
    let required = "must be set when PROVIDER_EMAIL_CONNECTOR is `aws-ses`";
    let region = read.parse_optional(&keys::PROVIDER_SES_REGION, |text| {
        if aws::plausible_region(text) {
            Ok(text.to_owned())
        } else {
            Err("expected an AWS region name such as eu-west-1".to_owned())
        }
    });
    if !read.is_set(&keys::PROVIDER_SES_REGION) {
        read.problems.add(&keys::PROVIDER_SES_REGION, required);
    }
    let sender = read.parse_optional(&keys::PROVIDER_SES_SENDER, |text| {
        aws::sender_address(text)
            .map(|_| text.to_owned())
            .ok_or_else(|| {
                "expected `Name <no-reply@example.com>` or `no-reply@example.com`".to_owned()
            })
    });
    if !read.is_set(&keys::PROVIDER_SES_SENDER) {
        read.problems.add(&keys::PROVIDER_SES_SENDER, required);
    }
    let id_set = read.is_set(&keys::PROVIDER_SES_ACCESS_KEY_ID);
    let secret_set = read.is_set(&keys::PROVIDER_SES_ACCESS_KEY_SECRET);
    let key_id = read.parse_optional(&keys::PROVIDER_SES_ACCESS_KEY_ID, parse_identifier);
    let key_secret = read.parse_optional(&keys::PROVIDER_SES_ACCESS_KEY_SECRET, |text| {
        if mode == RunMode::Prod && !has_secrets_key {
            Err(
                "is stored sealed, which in production needs PROVIDER_SECRETS_KEY_FILE; set \
                 it, or leave both access key settings unset to use the AWS default credential \
                 chain (e.g. an IAM role)"
                    .to_owned(),
            )
        } else {
            Ok(Secret::new(text))
        }
    });
    if id_set && !secret_set {
        read.problems.add(
            &keys::PROVIDER_SES_ACCESS_KEY_SECRET,
            "must be set with PROVIDER_SES_ACCESS_KEY_ID (or unset both for the AWS default \
             credential chain)",
        );
    } else if secret_set && !id_set {
        read.problems.add(
            &keys::PROVIDER_SES_ACCESS_KEY_ID,
            "must be set with PROVIDER_SES_ACCESS_KEY_SECRET",
        );
    }
    let configuration_set = read.parse_optional(&keys::PROVIDER_SES_CONFIGURATION_SET, |text| {
        let valid = text.len() <= 64
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if valid {
            Ok(text.to_owned())
        } else {
            Err("expected up to 64 letters, digits, `-` or `_`".to_owned())
        }
    });
    let access_key = match (key_id, key_secret) {
        (Some(id), Some(secret)) => Some(SesAccessKey { id, secret }),
        _ if id_set || secret_set => return None, // reported above
        _ => None,
    };
    Some(EmailConnectorSetting::AwsSes(SesSettings {
        region: region?,
        sender: sender?,
        access_key,
        configuration_set,
    }))
}

impl LogtoSettings {
    /// `base_url` as text without a trailing slash, ready to append a path to.
    pub fn base(&self) -> &str {
        self.base_url.as_str().trim_end_matches('/')
    }
}

#[cfg(test)]
mod tests;
