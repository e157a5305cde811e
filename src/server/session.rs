//! The app's session layer: tower-sessions with its SQLite store (a file in the data directory,
//! so restarts keep people signed in) and expired rows swept hourly. Every request reads its
//! record from the store: nothing about a session is kept in process memory, so a sign-out is
//! seen at once by every request and every instance. The cookie is HttpOnly, SameSite=Lax (it
//! must survive the redirect back from Logto), Secure with a `__Host-` name over https, and named
//! so it cannot clash with the provider's cookies. Nothing is stored, and no cookie set, for
//! anonymous requests: tower-sessions saves only modified sessions.

use crate::config::Settings;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use std::time::Duration;
use tower_sessions::cookie::SameSite;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer, SessionStore};
use tower_sessions_sqlx_store::SqliteStore;

pub const COOKIE: &str = "leptos_logto_session";
pub const SECURE_COOKIE: &str = "__Host-leptos_logto_session";

/// Opens (creating if needed) the session database and starts the sweeper.
pub async fn sqlite_layer(
    settings: &Settings,
) -> Result<SessionManagerLayer<SqliteStore>, sqlx::Error> {
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

/// The session layer over any store, with the app's cookie rules.
pub fn layer<S: SessionStore + Clone>(store: S, settings: &Settings) -> SessionManagerLayer<S> {
    let secure = settings.logto.base_url.scheme() == "https";
    let idle = i64::try_from(settings.session.idle_timeout.as_secs()).unwrap_or(i64::MAX);
    SessionManagerLayer::new(store)
        .with_name(if secure { SECURE_COOKIE } else { COOKIE })
        .with_same_site(SameSite::Lax)
        .with_http_only(true)
        .with_secure(secure)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::seconds(idle),
        ))
}
