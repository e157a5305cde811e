//! The app's session layer: tower-sessions with its SQLite store (a file in the data directory,
//! so restarts keep people signed in), expired rows swept hourly, and a bounded in-memory cache of
//! records in front of it (writes go through to SQLite; `cache.sessions = 0` turns the cache off,
//! as it must be when several instances share one store). The cookie is HttpOnly, SameSite=Lax (it
//! must survive the redirect back from Logto), Secure with a `__Host-` name over https, and named
//! so it cannot clash with the provider's cookies. Nothing is stored, and no cookie set, for
//! anonymous requests: tower-sessions saves only modified sessions.

use crate::config::Settings;
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use std::time::Duration;
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion};
use tower_sessions::{Expiry, SessionManagerLayer, SessionStore};
use tower_sessions_moka_store::MokaStore;
use tower_sessions_sqlx_store::SqliteStore;

pub const COOKIE: &str = "leptos_logto_session";
pub const SECURE_COOKIE: &str = "__Host-leptos_logto_session";

/// Opens (creating if needed) the session database and starts the sweeper.
pub async fn sqlite_layer(
    settings: &Settings,
) -> Result<SessionManagerLayer<CachedStore<SqliteStore>>, sqlx::Error> {
    std::fs::create_dir_all(&settings.data_dir).map_err(sqlx::Error::Io)?;
    let options = SqliteConnectOptions::new()
        .filename(settings.data_dir.join("sessions.sqlite"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    let store = SqliteStore::new(pool);
    store.migrate().await?;
    tokio::spawn(
        store
            .clone()
            .continuously_delete_expired(Duration::from_secs(3600)),
    );
    Ok(layer(store, settings))
}

/// The session layer over any store (behind the configured cache), with the app's cookie rules.
pub fn layer<S: SessionStore + Clone>(
    store: S,
    settings: &Settings,
) -> SessionManagerLayer<CachedStore<S>> {
    let secure = settings.logto.base_url.scheme() == "https";
    let idle = i64::try_from(settings.session.idle_timeout.as_secs()).unwrap_or(i64::MAX);
    SessionManagerLayer::new(CachedStore::new(store, settings.cache.session_entries))
        .with_name(if secure { SECURE_COOKIE } else { COOKIE })
        .with_same_site(SameSite::Lax)
        .with_http_only(true)
        .with_secure(secure)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::seconds(idle),
        ))
}

/// A store with an optional bounded memory cache in front: reads are answered from memory when
/// the record is there (and the cache filled from the store when not); writes and deletions go to
/// the store first, then to the cache.
#[derive(Clone, Debug)]
pub struct CachedStore<S> {
    cache: Option<MokaStore>,
    store: S,
}

impl<S> CachedStore<S> {
    /// `entries` records at most; zero means no cache.
    pub fn new(store: S, entries: u64) -> Self {
        Self {
            cache: (entries > 0).then(|| MokaStore::new(Some(entries))),
            store,
        }
    }
}

#[async_trait]
impl<S: SessionStore> SessionStore for CachedStore<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.store.create(record).await?;
        match &self.cache {
            Some(cache) => cache.save(record).await,
            None => Ok(()),
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.store.save(record).await?;
        match &self.cache {
            Some(cache) => cache.save(record).await,
            None => Ok(()),
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(cache) = &self.cache else {
            return self.store.load(id).await;
        };
        if let Some(record) = cache.load(id).await? {
            return Ok(Some(record));
        }
        let record = self.store.load(id).await?;
        if let Some(record) = &record {
            cache.save(record).await?;
        }
        Ok(record)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        // The cache first: a failure after it can only cost a later store read, never leave a
        // deleted session readable from memory.
        if let Some(cache) = &self.cache {
            cache.delete(id).await?;
        }
        self.store.delete(id).await
    }
}
