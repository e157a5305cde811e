//! The app's session engines, chosen by `session.store_url`: SQLite (`sessions.sqlite` in the data
//! directory, the default, for one instance), Redis or PostgreSQL (shared by several instances).
//! Each gives, on one connection pool, the tower-sessions store for session records and the grant
//! store for their tokens ([`crate::auth::grants`]); it sweeps what expired and says whether it is
//! reachable (`/readyz`). SQLite's page-view reads skip the pool ([`sqlite`]). Connection URLs
//! may hold passwords: they are never logged.

pub mod redis;
pub mod sql;
pub mod sqlite;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::{ClientLike, Config, Pool, ReconnectPolicy};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion};
use tower_sessions::{MemoryStore, SessionStore};
use tower_sessions_redis_store::RedisStore;
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use crate::auth::{MemoryGrants, SharedGrants};
use crate::clock::SharedClock;
use crate::config::{SessionEngine, Settings};
use crate::secret::Secret;
use sql::{PostgresGrants, SqliteGrants};
use sqlite::{Reader, SqliteGrantStore, SqliteSessionStore};

/// How often expired sessions and grants are deleted from SQL engines (Redis expires keys itself).
const SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// Bound on connecting to the engine.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Bound on one command or on waiting for a pooled connection, so that a page answers 503 instead
/// of hanging; generous enough for a busy machine (a command waits behind the others).
const ENGINE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections per instance.
const POOL_SIZE: u32 = 8;
/// Held (PostgreSQL advisory lock) while creating tables, so instances starting together agree.
const SCHEMA_LOCK: i64 = 0x6c65_7074_6f73_0001;

/// The session records' store, whichever engine holds them.
#[derive(Clone, Debug)]
pub enum AnySessionStore {
    Sqlite(SqliteSessionStore),
    Postgres(PostgresStore),
    Redis(RedisStore<Pool>),
    /// Process memory: tests only.
    Memory(MemoryStore),
}

#[async_trait]
impl SessionStore for AnySessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.create(record).await,
            Self::Postgres(store) => store.create(record).await,
            Self::Redis(store) => store.create(record).await,
            Self::Memory(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.save(record).await,
            Self::Postgres(store) => store.save(record).await,
            Self::Redis(store) => store.save(record).await,
            Self::Memory(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Sqlite(store) => store.load(id).await,
            Self::Postgres(store) => store.load(id).await,
            Self::Redis(store) => store.load(id).await,
            Self::Memory(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.delete(id).await,
            Self::Postgres(store) => store.delete(id).await,
            Self::Redis(store) => store.delete(id).await,
            Self::Memory(store) => store.delete(id).await,
        }
    }
}

/// One engine, open: where session records and their grants go.
#[derive(Clone)]
pub struct Engine {
    pub sessions: AnySessionStore,
    pub grants: SharedGrants,
}

/// Why the session engine could not be opened, in one sentence (never the URL).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("the session database in the data directory could not be opened ({0})")]
    Sqlite(String),
    #[error("Redis at SESSION_STORE_URL could not be reached ({0})")]
    Redis(String),
    #[error("PostgreSQL at SESSION_STORE_URL could not be reached ({0})")]
    Postgres(String),
}

impl Engine {
    /// The engine `settings` name, connected, its tables created, its sweeper started.
    pub async fn open(settings: &Settings, clock: SharedClock) -> Result<Self, EngineError> {
        match &settings.session.engine {
            SessionEngine::Sqlite => Self::sqlite(settings, clock).await,
            SessionEngine::Redis(url) => Self::redis(url).await,
            SessionEngine::Postgres(url) => Self::postgres(url, clock).await,
        }
    }

    /// Everything in process memory: tests only.
    pub fn memory() -> Self {
        Self {
            sessions: AnySessionStore::Memory(MemoryStore::default()),
            grants: MemoryGrants::shared(),
        }
    }

    /// Whether the engine answers now.
    pub async fn ready(&self) -> bool {
        self.grants.ping().await.is_ok()
    }

    async fn sqlite(settings: &Settings, clock: SharedClock) -> Result<Self, EngineError> {
        let failed = |error: &dyn std::fmt::Display| EngineError::Sqlite(error.to_string());
        std::fs::create_dir_all(&settings.data_dir).map_err(|e| failed(&e))?;
        let path = settings.data_dir.join("sessions.sqlite");
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(5));
        // A local file's connection cannot go stale: no ping before each use, which would cost
        // every query a second round trip to the connection's worker thread.
        let pool = SqlitePoolOptions::new()
            .max_connections(POOL_SIZE)
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| failed(&e))?;
        let sessions = SqliteStore::new(pool.clone());
        sessions.migrate().await.map_err(|e| failed(&e))?;
        let grants = Arc::new(SqliteGrants::open(pool).await.map_err(|e| failed(&e))?);
        tokio::spawn(sessions.clone().continuously_delete_expired(SWEEP_EVERY));
        grants.sweep_periodically(Arc::clone(&clock), SWEEP_EVERY);
        // Page views read on the calling thread; everything else goes through the pool.
        let reader = Arc::new(Reader::new(&path));
        Ok(Self {
            sessions: AnySessionStore::Sqlite(SqliteSessionStore::new(
                sessions,
                Arc::clone(&reader),
                clock,
            )),
            grants: Arc::new(SqliteGrantStore::new(grants, reader)),
        })
    }

    async fn postgres(url: &Secret, clock: SharedClock) -> Result<Self, EngineError> {
        let failed = |what: &str| EngineError::Postgres(what.to_owned());
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ENGINE_TIMEOUT)
            .connect(url.expose())
            .await
            .map_err(|_| failed("connection refused, timed out or credentials wrong"))?;
        // Tables are created under a lock: instances starting together would race otherwise.
        let mut lock = pool.acquire().await.map_err(|_| failed("no connection"))?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(SCHEMA_LOCK)
            .execute(&mut *lock)
            .await
            .map_err(|_| failed("could not take the schema lock"))?;
        let sessions = PostgresStore::new(pool.clone());
        let created = async {
            sessions
                .migrate()
                .await
                .map_err(|_| failed("could not create the session table"))?;
            PostgresGrants::open(pool.clone())
                .await
                .map_err(|_| failed("could not create the grant tables"))
        }
        .await;
        let _unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(SCHEMA_LOCK)
            .execute(&mut *lock)
            .await;
        drop(lock);
        let grants = Arc::new(created?);
        tokio::spawn(sessions.clone().continuously_delete_expired(SWEEP_EVERY));
        grants.sweep_periodically(clock, SWEEP_EVERY);
        Ok(Self {
            sessions: AnySessionStore::Postgres(sessions),
            grants,
        })
    }

    async fn redis(url: &Secret) -> Result<Self, EngineError> {
        let failed = |what: &str| EngineError::Redis(what.to_owned());
        let config = Config::from_url(url.expose()).map_err(|_| failed("the URL is not valid"))?;
        let pool = fred::types::Builder::from_config(config)
            .with_connection_config(|connection| {
                connection.connection_timeout = CONNECT_TIMEOUT;
                connection.internal_command_timeout = ENGINE_TIMEOUT;
            })
            .with_performance_config(|performance| {
                performance.default_command_timeout = ENGINE_TIMEOUT;
            })
            // Reconnect forever, backing off up to 2 s: Redis restarting is survived.
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 2_000, 2))
            .build_pool(POOL_SIZE as usize)
            .map_err(|_| failed("the client could not be built"))?;
        pool.init()
            .await
            .map_err(|_| failed("connection refused, timed out or credentials wrong"))?;
        Ok(Self {
            sessions: AnySessionStore::Redis(RedisStore::new(pool.clone())),
            grants: Arc::new(redis::RedisGrants::new(pool)),
        })
    }
}
