//! The SQLite engine's stores, which read on the calling thread: a page view reads its session
//! record and its grant, two lookups by primary key of a few microseconds each. Through sqlx each
//! would hop to its connection's worker thread and back twice (the query, then the ping sqlx runs
//! whenever a connection goes back to its pool); reading here made a signed-in profile view
//! about 28 % faster on 2 cores. So [`SqliteSessionStore::load`] and
//! [`SqliteGrantStore::get`](crate::auth::GrantStore::get) read through a [`Reader`] of read-only
//! connections, and everything that writes stays on sqlx's pool (a write may wait for SQLite's
//! lock, which must never block a worker of the async runtime). A read the reader cannot do at
//! once (the file busy, say) goes to the pool as before.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags, OptionalExtension as _};
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;
use tower_sessions::SessionStore;
use tower_sessions_sqlx_store::SqliteStore;

use super::sql::{self, SQLITE};
use crate::auth::{GrantStore, GrantStoreError, StoredGrant};
use crate::clock::SharedClock;

/// Connections kept open between reads: as many as threads that read at once (the runtime's
/// workers); a burst beyond that opens more and closes them after use.
const IDLE_CONNECTIONS: usize = 8;

/// tower-sessions-sqlx-store's table and columns (`SqliteStore::migrate`); its `data` column holds
/// the whole record, MessagePack-encoded.
const LOAD_SESSION: &str = "SELECT data FROM tower_sessions WHERE id = ?1";

/// Read-only connections to one SQLite file, used on the calling thread.
pub struct Reader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

/// Why a read on the calling thread failed; the caller then reads through the pool.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the database could not be read ({0})")]
    Sqlite(#[from] rusqlite::Error),
    #[error("a stored session record could not be decoded")]
    Undecodable,
}

impl Reader {
    /// Reads of the SQLite file at `path` (which sqlx created, in WAL mode: readers never wait for
    /// a writer).
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` on an idle connection, or a new one when all are in use.
    fn with_connection<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, ReadError>,
    ) -> Result<T, ReadError> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let connection = match idle {
            Some(connection) => connection,
            None => self.open()?,
        };
        let answer = read(&connection);
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < IDLE_CONNECTIONS {
            idle.push(connection);
        }
        answer
    }

    fn open(&self) -> Result<Connection, ReadError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(&self.path, flags)?;
        // Busy means a rare moment (the log being reset): the pool's connection waits instead.
        connection.busy_timeout(std::time::Duration::ZERO)?;
        Ok(connection)
    }

    /// The session record `id`, unless it is missing or expired at `now`.
    pub fn session(&self, id: &Id, now: OffsetDateTime) -> Result<Option<Record>, ReadError> {
        let data: Option<Vec<u8>> = self.with_connection(|connection| {
            Ok(connection
                .prepare_cached(LOAD_SESSION)?
                .query_row([id.to_string()], |row| row.get(0))
                .optional()?)
        })?;
        let Some(data) = data else {
            return Ok(None);
        };
        let record: Record = rmp_serde::from_slice(&data).map_err(|_| ReadError::Undecodable)?;
        Ok((record.expiry_date > now).then_some(record))
    }

    /// The grant `id`, unless it is missing or expired at `now` (Unix seconds).
    pub fn grant(&self, id: &str, now: u64) -> Result<Option<StoredGrant>, ReadError> {
        self.with_connection(|connection| {
            Ok(connection
                .prepare_cached(SQLITE.get)?
                .query_row(rusqlite::params![id, sql::signed(now)], |row| {
                    Ok(StoredGrant {
                        version: u64::try_from(row.get::<_, i64>(0)?).unwrap_or(0),
                        tokens: row.get(1)?,
                    })
                })
                .optional()?)
        })
    }
}

/// Session records in SQLite: written by tower-sessions-sqlx-store, read by a [`Reader`].
#[derive(Clone)]
pub struct SqliteSessionStore {
    store: SqliteStore,
    reader: Arc<Reader>,
    clock: SharedClock,
}

impl std::fmt::Debug for SqliteSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteSessionStore").finish_non_exhaustive()
    }
}

impl SqliteSessionStore {
    pub fn new(store: SqliteStore, reader: Arc<Reader>, clock: SharedClock) -> Self {
        Self {
            store,
            reader,
            clock,
        }
    }
}

#[async_trait]
impl SessionStore for SqliteSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.store.create(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.store.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self
            .reader
            .session(id, OffsetDateTime::from(self.clock.now()))
        {
            Ok(record) => Ok(record),
            Err(error) => {
                tracing::debug!(%error, "session read goes through the pool");
                self.store.load(id).await
            }
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.store.delete(id).await
    }
}

/// Grants in SQLite: the pool's [`sql::SqliteGrants`] for everything but [`GrantStore::get`],
/// which a [`Reader`] answers.
pub struct SqliteGrantStore {
    pool: Arc<sql::SqliteGrants>,
    reader: Arc<Reader>,
}

impl SqliteGrantStore {
    pub fn new(pool: Arc<sql::SqliteGrants>, reader: Arc<Reader>) -> Self {
        Self { pool, reader }
    }
}

#[async_trait]
impl GrantStore for SqliteGrantStore {
    async fn create(
        &self,
        id: &str,
        tokens: &str,
        now: u64,
        expires_at: u64,
    ) -> Result<(), GrantStoreError> {
        self.pool.create(id, tokens, now, expires_at).await
    }

    async fn get(&self, id: &str, now: u64) -> Result<Option<StoredGrant>, GrantStoreError> {
        match self.reader.grant(id, now) {
            Ok(grant) => Ok(grant),
            Err(error) => {
                tracing::debug!(%error, "grant read goes through the pool");
                self.pool.get(id, now).await
            }
        }
    }

    async fn replace(
        &self,
        id: &str,
        version: u64,
        tokens: &str,
        now: u64,
    ) -> Result<bool, GrantStoreError> {
        self.pool.replace(id, version, tokens, now).await
    }

    async fn delete(&self, id: &str) -> Result<(), GrantStoreError> {
        self.pool.delete(id).await
    }

    async fn lease(
        &self,
        id: &str,
        holder: &str,
        now: u64,
        ttl: std::time::Duration,
    ) -> Result<bool, GrantStoreError> {
        self.pool.lease(id, holder, now, ttl).await
    }

    async fn release(&self, id: &str, holder: &str) -> Result<(), GrantStoreError> {
        self.pool.release(id, holder).await
    }

    async fn ping(&self) -> Result<(), GrantStoreError> {
        self.pool.ping().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
    use std::time::{Duration, UNIX_EPOCH};

    const NOW: u64 = 1_800_000_000;

    /// The file, its pool's store and the calling-thread stores over it, as the engine opens them.
    struct Fixture {
        _dir: tempfile::TempDir,
        path: PathBuf,
        pool_store: SqliteStore,
        sessions: SqliteSessionStore,
        grants: SqliteGrantStore,
    }

    async fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sessions.sqlite");
        let pool = SqlitePoolOptions::new()
            .connect_with(
                SqliteConnectOptions::new()
                    .filename(&path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal),
            )
            .await
            .unwrap();
        let pool_store = SqliteStore::new(pool.clone());
        pool_store.migrate().await.unwrap();
        let pool_grants = Arc::new(sql::SqliteGrants::open(pool).await.unwrap());
        let reader = Arc::new(Reader::new(&path));
        let clock: SharedClock = Arc::new(ManualClock::at(NOW));
        Fixture {
            sessions: SqliteSessionStore::new(pool_store.clone(), Arc::clone(&reader), clock),
            grants: SqliteGrantStore::new(pool_grants, reader),
            pool_store,
            path,
            _dir: dir,
        }
    }

    fn at(unix_seconds: u64) -> OffsetDateTime {
        OffsetDateTime::from(UNIX_EPOCH + Duration::from_secs(unix_seconds))
    }

    fn record(expires_at: u64, marker: &str) -> Record {
        let mut data = std::collections::HashMap::new();
        data.insert("auth.grant".to_owned(), serde_json::json!(marker));
        Record {
            id: Id::default(),
            data,
            expiry_date: at(expires_at),
        }
    }

    #[tokio::test]
    async fn a_record_written_through_the_pool_reads_back_on_the_calling_thread_until_it_expires() {
        let f = fixture().await;
        let mut live = record(NOW + 60, "live");
        f.sessions.create(&mut live).await.unwrap();
        let read = f.sessions.reader.session(&live.id, at(NOW)).unwrap();
        assert_eq!(
            read.as_ref(),
            Some(&live),
            "read directly, not through the pool"
        );
        assert_eq!(f.sessions.load(&live.id).await.unwrap(), Some(live.clone()));

        let mut changed = live.clone();
        changed
            .data
            .insert("auth.last_seen".to_owned(), serde_json::json!(NOW));
        f.sessions.save(&changed).await.unwrap();
        assert_eq!(
            f.sessions.load(&live.id).await.unwrap(),
            Some(changed),
            "a save is seen by the next read"
        );

        let mut stale = record(NOW - 1, "stale");
        f.sessions.create(&mut stale).await.unwrap();
        assert_eq!(f.sessions.load(&stale.id).await.unwrap(), None, "expired");
        assert_eq!(
            f.sessions.load(&Id::default()).await.unwrap(),
            None,
            "unknown"
        );

        f.sessions.delete(&live.id).await.unwrap();
        assert_eq!(
            f.sessions.load(&live.id).await.unwrap(),
            None,
            "a sign-out is seen by the next read"
        );
    }

    #[tokio::test]
    async fn a_grant_reads_back_on_the_calling_thread_with_its_version_until_it_expires() {
        let f = fixture().await;
        f.grants
            .create("g", "tokens-1", NOW, NOW + 60)
            .await
            .unwrap();
        let read = f.grants.reader.grant("g", NOW).unwrap().unwrap();
        assert_eq!((read.version, read.tokens.as_str()), (1, "tokens-1"));
        assert!(f.grants.replace("g", 1, "tokens-2", NOW).await.unwrap());
        let read = f.grants.get("g", NOW).await.unwrap().unwrap();
        assert_eq!((read.version, read.tokens.as_str()), (2, "tokens-2"));
        assert_eq!(f.grants.get("g", NOW + 60).await.unwrap(), None, "expired");
        assert_eq!(f.grants.get("other", NOW).await.unwrap(), None, "unknown");
        f.grants.delete("g").await.unwrap();
        assert_eq!(f.grants.get("g", NOW).await.unwrap(), None, "deleted");
    }

    #[tokio::test]
    async fn reads_the_calling_thread_cannot_do_go_through_the_pool() {
        let f = fixture().await;
        let nowhere = Arc::new(Reader::new(&f.path.with_file_name("missing.sqlite")));
        let clock: SharedClock = Arc::new(ManualClock::at(NOW));
        let sessions = SqliteSessionStore::new(f.pool_store.clone(), Arc::clone(&nowhere), clock);
        let mut live = record(NOW + 60, "live");
        f.sessions.create(&mut live).await.unwrap();
        assert!(nowhere.session(&live.id, at(NOW)).is_err());
        assert_eq!(sessions.load(&live.id).await.unwrap(), Some(live));

        let grants = SqliteGrantStore::new(Arc::clone(&f.grants.pool), nowhere);
        f.grants
            .create("g", "tokens-1", NOW, NOW + 60)
            .await
            .unwrap();
        assert_eq!(
            grants.get("g", NOW).await.unwrap().unwrap().tokens,
            "tokens-1"
        );
    }

    /// Many views read while others save their sessions and replace their grants: every read
    /// answers at once (no fallback) with a whole record, and no more connections are opened than
    /// the runtime's 4 threads read at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_reads_beside_writes_all_answer_directly() {
        let f = Arc::new(fixture().await);
        let mut ids = Vec::new();
        for n in 0..20 {
            let mut session = record(NOW + 3_600, &format!("grant-{n}"));
            f.sessions.create(&mut session).await.unwrap();
            f.grants
                .create(&format!("grant-{n}"), "v1", NOW, NOW + 3_600)
                .await
                .unwrap();
            ids.push(session);
        }
        let mut tasks = tokio::task::JoinSet::new();
        for round in 0..400 {
            let f = Arc::clone(&f);
            let session = ids[round % ids.len()].clone();
            tasks.spawn(async move {
                let n = round % 20;
                if round % 4 == 0 {
                    let mut saved = session.clone();
                    saved
                        .data
                        .insert("round".to_owned(), serde_json::json!(round));
                    f.sessions.save(&saved).await.unwrap();
                    let grant = f
                        .grants
                        .get(&format!("grant-{n}"), NOW)
                        .await
                        .unwrap()
                        .unwrap();
                    f.grants
                        .replace(&format!("grant-{n}"), grant.version, "next", NOW)
                        .await
                        .unwrap();
                } else {
                    let read = f
                        .sessions
                        .reader
                        .session(&session.id, at(NOW))
                        .unwrap()
                        .unwrap();
                    assert_eq!(read.id, session.id);
                    assert_eq!(
                        read.data["auth.grant"],
                        serde_json::json!(format!("grant-{n}"))
                    );
                    let grant = f.grants.reader.grant(&format!("grant-{n}"), NOW).unwrap();
                    assert!(grant.is_some_and(|grant| grant.version >= 1));
                }
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
        let idle = f.sessions.reader.idle.lock().unwrap().len();
        assert!((1..=4).contains(&idle), "{idle} connections opened");
    }
}
