//! `SqliteStore`: the default [`Store`] adapter, one SQLite file in the data directory (WAL mode,
//! a small connection pool). It owns the schema and its versioned migrations (`PRAGMA
//! user_version`), the mapping between rows and the store's types, and the atomicity of the
//! port's counting and consuming operations across connections and processes: each is either one
//! conditional statement (`consume`, `check_code`, `put_document_if`) or one `BEGIN IMMEDIATE`
//! transaction, which holds SQLite's single write lock from its first statement (`admit_code`,
//! `create_user_if_absent`, `record_sign_in`, `rotate`).

use super::{
    Admission, CodeCheck, Consumed, Kind, Mail, NewCode, Record, Rotation, SendLimits, Store,
    StoreError, StoreResult, StoredCode, User, Versioned,
};
use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::Row;
use std::path::Path;
use std::time::Duration;

const MAX_CONNECTIONS: u32 = 4;
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Schema steps, oldest first: step `n` (0-based) takes `user_version` from `n` to `n + 1`.
/// Append new steps; never edit one that has shipped.
const MIGRATIONS: &[&str] = &[SCHEMA_V1, SCHEMA_V2];

const SCHEMA_V1: &str = "
CREATE TABLE records (
    kind        TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    payload     TEXT    NOT NULL, -- JSON
    expires_at  INTEGER NOT NULL, -- Unix seconds
    grant_id    TEXT,
    lookup_key  TEXT,
    consumed_at INTEGER,          -- Unix seconds
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE INDEX records_by_grant ON records (grant_id);
CREATE INDEX records_by_key ON records (kind, lookup_key);
CREATE INDEX records_by_expiry ON records (expires_at);

CREATE TABLE users (
    id                 TEXT    NOT NULL PRIMARY KEY,
    primary_email      TEXT,
    email_lower        TEXT    UNIQUE, -- lower-cased in Rust (Unicode), unlike SQL lower()
    username           TEXT,
    name               TEXT,
    avatar             TEXT,
    roles              TEXT    NOT NULL, -- JSON array of role names
    created_at_ms      INTEGER NOT NULL,
    updated_at_ms      INTEGER NOT NULL,
    last_sign_in_at_ms INTEGER
);

CREATE TABLE documents (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL -- JSON
);

CREATE TABLE mail (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT    NOT NULL,
    subject   TEXT    NOT NULL,
    html      TEXT    NOT NULL,
    sent_at   INTEGER NOT NULL -- Unix seconds
);
CREATE INDEX mail_by_time ON mail (sent_at, id);
";

/// Verification codes and send counts get tables of their own, so that checking a code and
/// admitting a send are single conditional statements; documents get a version for
/// compare-and-swap. Codes kept as generic records by V1 are dropped (they live 10 minutes).
const SCHEMA_V2: &str = "
CREATE TABLE verification_codes (
    interaction TEXT    NOT NULL PRIMARY KEY,
    recipient   TEXT    NOT NULL, -- lower-cased
    mac         TEXT    NOT NULL, -- keyed digest, never the code
    issued_at   INTEGER NOT NULL, -- Unix seconds
    expires_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    consumed_at INTEGER
) WITHOUT ROWID;
CREATE INDEX verification_codes_by_expiry ON verification_codes (expires_at);

CREATE TABLE code_sends (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient    TEXT    NOT NULL,
    counts_until INTEGER NOT NULL -- Unix seconds: the send stops counting then
);
CREATE INDEX code_sends_by_recipient ON code_sends (recipient, counts_until);
CREATE INDEX code_sends_by_expiry ON code_sends (counts_until);

ALTER TABLE documents ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

DELETE FROM records WHERE kind IN ('VerificationCode', 'CodeSend');
";

const RECORD_COLUMNS: &str = "payload, expires_at, grant_id, lookup_key, consumed_at";
const USER_COLUMNS: &str = "id, primary_email, username, name, avatar, roles, created_at_ms, \
                            updated_at_ms, last_sign_in_at_ms";

/// A [`Store`] in a SQLite database.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing, parent directory included) the database file at `path` and
    /// brings its schema up to date.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        create_parent_dir(path).await?;
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .or_backend()?;
        Self::with_schema(pool).await
    }

    /// A private in-memory database. Every `:memory:` connection is its own database, so the pool
    /// holds exactly one connection and never lets it go.
    pub async fn in_memory() -> StoreResult<Self> {
        let options = SqliteConnectOptions::new()
            .filename(":memory:")
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .or_backend()?;
        Self::with_schema(pool).await
    }

    async fn with_schema(pool: SqlitePool) -> StoreResult<Self> {
        migrate(&pool).await?;
        Ok(Self { pool })
    }

    /// Closes every connection (waiting for those in use to come back).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

async fn create_parent_dir(path: &Path) -> StoreResult<()> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            tokio::fs::create_dir_all(parent).await.map_err(|error| {
                StoreError::Backend(format!("creating {}: {error}", parent.display()))
            })
        }
        _ => Ok(()),
    }
}

/// Applies the steps of [`MIGRATIONS`] the database lacks, each with its version bump, in one
/// write transaction (so two processes opening the same file cannot both migrate).
async fn migrate(pool: &SqlitePool) -> StoreResult<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.or_backend()?;
    let version: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(&mut *tx)
        .await
        .or_backend()?;
    let applied = usize::try_from(version)
        .map_err(|_| StoreError::Backend(format!("invalid schema version {version}")))?;
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Backend(format!(
            "database schema version {applied} is newer than this build knows ({})",
            MIGRATIONS.len()
        )));
    }
    for (step, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        sqlx::raw_sql(sql).execute(&mut *tx).await.or_backend()?;
        let bump = format!("PRAGMA user_version = {}", step + 1);
        sqlx::raw_sql(&bump).execute(&mut *tx).await.or_backend()?;
    }
    tx.commit().await.or_backend()
}

// --- conversions ---

/// Database and JSON failures become [`StoreError::Backend`], the detail kept for logs.
trait OrBackend<T> {
    fn or_backend(self) -> StoreResult<T>;
}

impl<T, E: std::fmt::Display> OrBackend<T> for Result<T, E> {
    fn or_backend(self) -> StoreResult<T> {
        self.map_err(|error| StoreError::Backend(error.to_string()))
    }
}

/// A unique violation becomes [`StoreError::Conflict`] naming what was taken (never its value).
fn user_write_error(error: &sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            let taken = if db.message().contains("email_lower") {
                "user email"
            } else {
                "user id"
            };
            StoreError::Conflict(taken.to_owned())
        }
        _ => StoreError::Backend(error.to_string()),
    }
}

/// Times past `i64::MAX` seconds (some 292 billion years) saturate: they mean "never".
fn time_to_db(time: u64) -> i64 {
    i64::try_from(time).unwrap_or(i64::MAX)
}

fn time_from_db(value: i64) -> StoreResult<u64> {
    u64::try_from(value)
        .map_err(|_| StoreError::Backend(format!("negative time {value} in the database")))
}

fn count_from_db(value: i64) -> StoreResult<u64> {
    u64::try_from(value)
        .map_err(|_| StoreError::Backend(format!("negative count {value} from the database")))
}

fn record_from_row(row: &SqliteRow) -> StoreResult<Record> {
    let payload: String = row.try_get("payload").or_backend()?;
    let consumed_at: Option<i64> = row.try_get("consumed_at").or_backend()?;
    Ok(Record {
        payload: serde_json::from_str(&payload).or_backend()?,
        expires_at: time_from_db(row.try_get("expires_at").or_backend()?)?,
        grant_id: row.try_get("grant_id").or_backend()?,
        key: row.try_get("lookup_key").or_backend()?,
        consumed_at: consumed_at.map(time_from_db).transpose()?,
    })
}

fn code_from_row(row: &SqliteRow) -> StoreResult<StoredCode> {
    let consumed_at: Option<i64> = row.try_get("consumed_at").or_backend()?;
    let attempts: i64 = row.try_get("attempts").or_backend()?;
    Ok(StoredCode {
        recipient: row.try_get("recipient").or_backend()?,
        mac: row.try_get("mac").or_backend()?,
        issued_at: time_from_db(row.try_get("issued_at").or_backend()?)?,
        expires_at: time_from_db(row.try_get("expires_at").or_backend()?)?,
        attempts: u32::try_from(attempts).or_backend()?,
        consumed_at: consumed_at.map(time_from_db).transpose()?,
    })
}

const CODE_COLUMNS: &str = "recipient, mac, issued_at, expires_at, attempts, consumed_at";

fn user_from_row(row: &SqliteRow) -> StoreResult<User> {
    let roles: String = row.try_get("roles").or_backend()?;
    Ok(User {
        id: row.try_get("id").or_backend()?,
        primary_email: row.try_get("primary_email").or_backend()?,
        username: row.try_get("username").or_backend()?,
        name: row.try_get("name").or_backend()?,
        avatar: row.try_get("avatar").or_backend()?,
        roles: serde_json::from_str(&roles).or_backend()?,
        created_at_ms: row.try_get("created_at_ms").or_backend()?,
        updated_at_ms: row.try_get("updated_at_ms").or_backend()?,
        last_sign_in_at_ms: row.try_get("last_sign_in_at_ms").or_backend()?,
    })
}

fn mail_from_row(row: &SqliteRow) -> StoreResult<Mail> {
    Ok(Mail {
        to: row.try_get("recipient").or_backend()?,
        subject: row.try_get("subject").or_backend()?,
        html: row.try_get("html").or_backend()?,
        sent_at: time_from_db(row.try_get("sent_at").or_backend()?)?,
    })
}

/// The user's values stored in another shape than the struct's: roles as JSON text, and the
/// lower-cased email that the unique index compares.
struct UserValues {
    roles: String,
    email_lower: Option<String>,
}

impl UserValues {
    fn of(user: &User) -> StoreResult<Self> {
        Ok(Self {
            roles: serde_json::to_string(&user.roles).or_backend()?,
            email_lower: user.primary_email.as_deref().map(str::to_lowercase),
        })
    }
}

async fn insert_record<'e>(
    executor: impl sqlx::SqliteExecutor<'e>,
    kind: Kind,
    id: &str,
    record: &Record,
) -> StoreResult<()> {
    let payload = serde_json::to_string(&record.payload).or_backend()?;
    sqlx::query(&format!(
        "INSERT OR REPLACE INTO records (kind, id, {RECORD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(kind.as_str())
    .bind(id)
    .bind(payload)
    .bind(time_to_db(record.expires_at))
    .bind(&record.grant_id)
    .bind(&record.key)
    .bind(record.consumed_at.map(time_to_db))
    .execute(executor)
    .await
    .or_backend()?;
    Ok(())
}

async fn insert_user<'e>(executor: impl sqlx::SqliteExecutor<'e>, user: &User) -> StoreResult<()> {
    let values = UserValues::of(user)?;
    sqlx::query(&format!(
        "INSERT INTO users ({USER_COLUMNS}, email_lower) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&user.id)
    .bind(&user.primary_email)
    .bind(&user.username)
    .bind(&user.name)
    .bind(&user.avatar)
    .bind(values.roles)
    .bind(user.created_at_ms)
    .bind(user.updated_at_ms)
    .bind(user.last_sign_in_at_ms)
    .bind(values.email_lower)
    .execute(executor)
    .await
    .map_err(|error| user_write_error(&error))?;
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn upsert(&self, kind: Kind, id: &str, record: Record) -> StoreResult<()> {
        insert_record(&self.pool, kind, id, &record).await
    }

    async fn find(&self, kind: Kind, id: &str, now: u64) -> StoreResult<Option<Record>> {
        let row = sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM records WHERE kind = ? AND id = ? AND expires_at > ?"
        ))
        .bind(kind.as_str())
        .bind(id)
        .bind(time_to_db(now))
        .fetch_optional(&self.pool)
        .await
        .or_backend()?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// The conditional `UPDATE` alone decides the winner; the surrounding write transaction only
    /// keeps the losers' read of the record consistent with it.
    async fn consume(&self, kind: Kind, id: &str, now: u64) -> StoreResult<Consumed> {
        let now = time_to_db(now);
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.or_backend()?;
        let claimed = sqlx::query(&format!(
            "UPDATE records SET consumed_at = ?1 \
             WHERE kind = ?2 AND id = ?3 AND consumed_at IS NULL AND expires_at > ?1 \
             RETURNING {RECORD_COLUMNS}"
        ))
        .bind(now)
        .bind(kind.as_str())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .or_backend()?;
        let outcome = match claimed {
            Some(row) => Consumed::First(Record {
                consumed_at: None,
                ..record_from_row(&row)?
            }),
            None => {
                let row = sqlx::query(&format!(
                    "SELECT {RECORD_COLUMNS} FROM records \
                     WHERE kind = ? AND id = ? AND expires_at > ?"
                ))
                .bind(kind.as_str())
                .bind(id)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await
                .or_backend()?;
                match row {
                    Some(row) => Consumed::Already(record_from_row(&row)?),
                    None => Consumed::Missing,
                }
            }
        };
        tx.commit().await.or_backend()?;
        Ok(outcome)
    }

    async fn destroy(&self, kind: Kind, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM records WHERE kind = ? AND id = ?")
            .bind(kind.as_str())
            .bind(id)
            .execute(&self.pool)
            .await
            .or_backend()?;
        Ok(())
    }

    async fn revoke_by_grant(&self, grant_id: &str) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM records WHERE grant_id = ?")
            .bind(grant_id)
            .execute(&self.pool)
            .await
            .or_backend()?;
        Ok(result.rows_affected())
    }

    async fn destroy_by_key(&self, kind: Kind, key: &str) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM records WHERE kind = ? AND lookup_key = ?")
            .bind(kind.as_str())
            .bind(key)
            .execute(&self.pool)
            .await
            .or_backend()?;
        Ok(result.rows_affected())
    }

    async fn rotate(
        &self,
        kind: Kind,
        old_id: &str,
        successor_id: &str,
        successor: Record,
        grace: u64,
        now: u64,
    ) -> StoreResult<Rotation> {
        let now_db = time_to_db(now);
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.or_backend()?;
        let row = sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM records WHERE kind = ? AND id = ? AND expires_at > ?"
        ))
        .bind(kind.as_str())
        .bind(old_id)
        .bind(now_db)
        .fetch_optional(&mut *tx)
        .await
        .or_backend()?;
        let Some(row) = row else {
            return Ok(Rotation::Missing);
        };
        let old = record_from_row(&row)?;
        let outcome = match old.consumed_at {
            Some(consumed_at) if now.saturating_sub(consumed_at) > grace => {
                let revoked = match &old.grant_id {
                    Some(grant_id) => {
                        sqlx::query("DELETE FROM records WHERE grant_id = ?")
                            .bind(grant_id)
                            .execute(&mut *tx)
                            .await
                    }
                    None => {
                        sqlx::query("DELETE FROM records WHERE kind = ? AND id = ?")
                            .bind(kind.as_str())
                            .bind(old_id)
                            .execute(&mut *tx)
                            .await
                    }
                }
                .or_backend()?
                .rows_affected();
                Rotation::Reused { revoked }
            }
            consumed_at => {
                if consumed_at.is_none() {
                    sqlx::query("UPDATE records SET consumed_at = ? WHERE kind = ? AND id = ?")
                        .bind(now_db)
                        .bind(kind.as_str())
                        .bind(old_id)
                        .execute(&mut *tx)
                        .await
                        .or_backend()?;
                }
                insert_record(&mut *tx, kind, successor_id, &successor).await?;
                Rotation::Rotated(old)
            }
        };
        tx.commit().await.or_backend()?;
        Ok(outcome)
    }

    async fn purge_expired(&self, now: u64) -> StoreResult<u64> {
        let now = time_to_db(now);
        let mut purged = 0;
        for statement in [
            "DELETE FROM records WHERE expires_at <= ?",
            "DELETE FROM verification_codes WHERE expires_at <= ?",
            "DELETE FROM code_sends WHERE counts_until <= ?",
        ] {
            let result = sqlx::query(statement)
                .bind(now)
                .execute(&self.pool)
                .await
                .or_backend()?;
            purged += result.rows_affected();
        }
        Ok(purged)
    }

    async fn admit_code(
        &self,
        code: &NewCode,
        limits: SendLimits,
        now: u64,
    ) -> StoreResult<Admission> {
        let now_db = time_to_db(now);
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.or_backend()?;
        let last_issued: Option<i64> = sqlx::query_scalar(
            "SELECT issued_at FROM verification_codes \
             WHERE interaction = ? AND recipient = ? AND expires_at > ?",
        )
        .bind(&code.interaction)
        .bind(&code.recipient)
        .bind(now_db)
        .fetch_optional(&mut *tx)
        .await
        .or_backend()?;
        if let Some(issued_at) = last_issued {
            let ready_at = time_from_db(issued_at)?.saturating_add(limits.resend_after);
            if ready_at > now {
                return Ok(Admission::TooSoon {
                    wait: ready_at - now,
                });
            }
        }
        let sends: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM code_sends WHERE recipient = ? AND counts_until > ?",
        )
        .bind(&code.recipient)
        .bind(now_db)
        .fetch_one(&mut *tx)
        .await
        .or_backend()?;
        if count_from_db(sends)? >= limits.max_sends {
            return Ok(Admission::RateLimited);
        }
        sqlx::query("INSERT INTO code_sends (recipient, counts_until) VALUES (?, ?)")
            .bind(&code.recipient)
            .bind(time_to_db(now.saturating_add(limits.window)))
            .execute(&mut *tx)
            .await
            .or_backend()?;
        sqlx::query(&format!(
            "INSERT OR REPLACE INTO verification_codes (interaction, {CODE_COLUMNS}) \
             VALUES (?, ?, ?, ?, ?, 0, NULL)"
        ))
        .bind(&code.interaction)
        .bind(&code.recipient)
        .bind(&code.mac)
        .bind(now_db)
        .bind(time_to_db(code.expires_at))
        .execute(&mut *tx)
        .await
        .or_backend()?;
        tx.commit().await.or_backend()?;
        Ok(Admission::Admitted)
    }

    /// The conditional `UPDATE` alone counts the attempt and consumes on a match; the `SELECT`
    /// after a refusal only tells "exhausted" from "missing".
    async fn check_code(
        &self,
        interaction: &str,
        recipient: &str,
        mac: &str,
        max_attempts: u32,
        now: u64,
    ) -> StoreResult<CodeCheck> {
        let now = time_to_db(now);
        let checked = sqlx::query(
            "UPDATE verification_codes SET attempts = attempts + 1, \
             consumed_at = CASE WHEN recipient = ?1 AND mac = ?2 THEN ?3 ELSE NULL END \
             WHERE interaction = ?4 AND consumed_at IS NULL AND expires_at > ?3 AND attempts < ?5 \
             RETURNING attempts, consumed_at",
        )
        .bind(recipient)
        .bind(mac)
        .bind(now)
        .bind(interaction)
        .bind(i64::from(max_attempts))
        .fetch_optional(&self.pool)
        .await
        .or_backend()?;
        if let Some(row) = checked {
            let consumed_at: Option<i64> = row.try_get("consumed_at").or_backend()?;
            let attempts: i64 = row.try_get("attempts").or_backend()?;
            if consumed_at.is_some() {
                return Ok(CodeCheck::Verified);
            }
            let attempts = u32::try_from(attempts).or_backend()?;
            return Ok(CodeCheck::Wrong {
                attempts_left: max_attempts.saturating_sub(attempts),
            });
        }
        let exhausted: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM verification_codes \
             WHERE interaction = ? AND consumed_at IS NULL AND expires_at > ? AND attempts >= ?",
        )
        .bind(interaction)
        .bind(now)
        .bind(i64::from(max_attempts))
        .fetch_optional(&self.pool)
        .await
        .or_backend()?;
        Ok(if exhausted.is_some() {
            CodeCheck::Exhausted
        } else {
            CodeCheck::Missing
        })
    }

    async fn find_code(&self, interaction: &str, now: u64) -> StoreResult<Option<StoredCode>> {
        let row = sqlx::query(&format!(
            "SELECT {CODE_COLUMNS} FROM verification_codes WHERE interaction = ? AND expires_at > ?"
        ))
        .bind(interaction)
        .bind(time_to_db(now))
        .fetch_optional(&self.pool)
        .await
        .or_backend()?;
        row.as_ref().map(code_from_row).transpose()
    }

    async fn create_user(&self, user: &User) -> StoreResult<()> {
        insert_user(&self.pool, user).await
    }

    /// One write transaction: look up the address, count the accounts, insert.
    async fn create_user_if_absent(
        &self,
        user: &User,
        first_account_roles: &[String],
    ) -> StoreResult<(User, bool)> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.or_backend()?;
        let email_lower = user.primary_email.as_deref().map(str::to_lowercase);
        if let Some(email) = &email_lower {
            let row = sqlx::query(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE email_lower = ?"
            ))
            .bind(email)
            .fetch_optional(&mut *tx)
            .await
            .or_backend()?;
            if let Some(row) = row {
                return Ok((user_from_row(&row)?, false));
            }
        }
        let accounts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&mut *tx)
            .await
            .or_backend()?;
        let mut created = user.clone();
        if accounts == 0 {
            super::add_roles(&mut created, first_account_roles);
        }
        insert_user(&mut *tx, &created).await?;
        tx.commit().await.or_backend()?;
        Ok((created, true))
    }

    async fn record_sign_in(
        &self,
        id: &str,
        now_ms: i64,
        add_role: Option<&str>,
    ) -> StoreResult<Option<User>> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.or_backend()?;
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .or_backend()?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut user = user_from_row(&row)?;
        super::apply_sign_in(&mut user, now_ms, add_role);
        sqlx::query(
            "UPDATE users SET roles = ?, updated_at_ms = ?, last_sign_in_at_ms = ? WHERE id = ?",
        )
        .bind(UserValues::of(&user)?.roles)
        .bind(user.updated_at_ms)
        .bind(user.last_sign_in_at_ms)
        .bind(id)
        .execute(&mut *tx)
        .await
        .or_backend()?;
        tx.commit().await.or_backend()?;
        Ok(Some(user))
    }

    async fn find_user(&self, id: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .or_backend()?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE email_lower = ?"
        ))
        .bind(email.to_lowercase())
        .fetch_optional(&self.pool)
        .await
        .or_backend()?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn update_user(&self, user: &User) -> StoreResult<()> {
        let values = UserValues::of(user)?;
        sqlx::query(
            "UPDATE users SET primary_email = ?, username = ?, name = ?, avatar = ?, roles = ?, \
             created_at_ms = ?, updated_at_ms = ?, last_sign_in_at_ms = ?, email_lower = ? \
             WHERE id = ?",
        )
        .bind(&user.primary_email)
        .bind(&user.username)
        .bind(&user.name)
        .bind(&user.avatar)
        .bind(values.roles)
        .bind(user.created_at_ms)
        .bind(user.updated_at_ms)
        .bind(user.last_sign_in_at_ms)
        .bind(values.email_lower)
        .bind(&user.id)
        .execute(&self.pool)
        .await
        .map_err(|error| user_write_error(&error))?;
        Ok(())
    }

    async fn count_users(&self) -> StoreResult<u64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .or_backend()?;
        count_from_db(count)
    }

    async fn any_user_with_role(&self, role: &str) -> StoreResult<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM users, json_each(users.roles) WHERE json_each.value = ? LIMIT 1",
        )
        .bind(role)
        .fetch_optional(&self.pool)
        .await
        .or_backend()?;
        Ok(found.is_some())
    }

    async fn get_document(&self, name: &str) -> StoreResult<Option<serde_json::Value>> {
        Ok(self
            .get_versioned_document(name)
            .await?
            .map(|stored| stored.value))
    }

    async fn get_versioned_document(&self, name: &str) -> StoreResult<Option<Versioned>> {
        let row = sqlx::query("SELECT value, version FROM documents WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .or_backend()?;
        let Some(row) = row else {
            return Ok(None);
        };
        let text: String = row.try_get("value").or_backend()?;
        let version: i64 = row.try_get("version").or_backend()?;
        Ok(Some(Versioned {
            value: serde_json::from_str(&text).or_backend()?,
            version: u64::try_from(version).or_backend()?,
        }))
    }

    async fn put_document(&self, name: &str, value: &serde_json::Value) -> StoreResult<()> {
        let text = serde_json::to_string(value).or_backend()?;
        sqlx::query(
            "INSERT INTO documents (name, value, version) VALUES (?, ?, 1) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, version = version + 1",
        )
        .bind(name)
        .bind(text)
        .execute(&self.pool)
        .await
        .or_backend()?;
        Ok(())
    }

    async fn put_document_if(
        &self,
        name: &str,
        value: &serde_json::Value,
        expected: Option<u64>,
    ) -> StoreResult<bool> {
        let text = serde_json::to_string(value).or_backend()?;
        let result = match expected {
            None => {
                sqlx::query(
                    "INSERT INTO documents (name, value, version) VALUES (?, ?, 1) \
                     ON CONFLICT (name) DO NOTHING",
                )
                .bind(name)
                .bind(text)
                .execute(&self.pool)
                .await
            }
            Some(version) => {
                sqlx::query(
                    "UPDATE documents SET value = ?, version = version + 1 \
                     WHERE name = ? AND version = ?",
                )
                .bind(text)
                .bind(name)
                .bind(time_to_db(version))
                .execute(&self.pool)
                .await
            }
        };
        Ok(result.or_backend()?.rows_affected() == 1)
    }

    async fn push_mail(&self, mail: &Mail, keep: u32) -> StoreResult<()> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.or_backend()?;
        sqlx::query("INSERT INTO mail (recipient, subject, html, sent_at) VALUES (?, ?, ?, ?)")
            .bind(&mail.to)
            .bind(&mail.subject)
            .bind(&mail.html)
            .bind(time_to_db(mail.sent_at))
            .execute(&mut *tx)
            .await
            .or_backend()?;
        sqlx::query(
            "DELETE FROM mail WHERE id NOT IN \
             (SELECT id FROM mail ORDER BY sent_at DESC, id DESC LIMIT ?)",
        )
        .bind(i64::from(keep))
        .execute(&mut *tx)
        .await
        .or_backend()?;
        tx.commit().await.or_backend()
    }

    async fn list_mail(&self, limit: u32) -> StoreResult<Vec<Mail>> {
        let rows = sqlx::query(
            "SELECT recipient, subject, html, sent_at FROM mail \
             ORDER BY sent_at DESC, id DESC LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .or_backend()?;
        rows.iter().map(mail_from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::SqliteStore;
    use crate::idp::store::{Kind, Record, SharedStore, Store, StoreError, User};
    use serde_json::json;
    use std::sync::Arc;
    use tempfile::TempDir;

    /// The suite against a real file (WAL, several connections racing for `consume`).
    mod file {
        use super::*;

        async fn fresh_store() -> (SharedStore, TempDir) {
            let dir = tempfile::tempdir().unwrap();
            let store = SqliteStore::open(&dir.path().join("idp.db")).await.unwrap();
            (Arc::new(store), dir)
        }

        crate::idp::store::conformance::conformance_suite!(fresh_store());
    }

    mod in_memory {
        use super::*;

        async fn fresh_store() -> (SharedStore, ()) {
            (Arc::new(SqliteStore::in_memory().await.unwrap()), ())
        }

        crate::idp::store::conformance::conformance_suite!(fresh_store());
    }

    fn person() -> User {
        User {
            id: "ada000000001".to_owned(),
            primary_email: Some("ada@example.com".to_owned()),
            username: None,
            name: Some("Ada".to_owned()),
            avatar: None,
            roles: vec!["admin".to_owned()],
            created_at_ms: 1,
            updated_at_ms: 2,
            last_sign_in_at_ms: Some(3),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn data_survives_closing_and_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("idp.db");
        let record = Record::new(json!({ "sub": "ada" }), 2_000).with_grant("g");

        let store = SqliteStore::open(&path).await.unwrap();
        store
            .upsert(Kind::Session, "s-1", record.clone())
            .await
            .unwrap();
        store.consume(Kind::Session, "s-1", 1_000).await.unwrap();
        store.create_user(&person()).await.unwrap();
        store
            .put_document("jwks", &json!({ "keys": [] }))
            .await
            .unwrap();
        store.close().await;
        drop(store);

        let reopened = SqliteStore::open(&path).await.unwrap();
        assert_eq!(
            reopened.find(Kind::Session, "s-1", 1_500).await.unwrap(),
            Some(Record {
                consumed_at: Some(1_000),
                ..record
            }),
            "the record and its consumption persist"
        );
        assert_eq!(
            reopened.find_user("ada000000001").await.unwrap(),
            Some(person())
        );
        assert_eq!(
            reopened.get_document("jwks").await.unwrap(),
            Some(json!({ "keys": [] }))
        );
        let version: i64 = sqlx::query_scalar("PRAGMA user_version")
            .fetch_one(&reopened.pool)
            .await
            .unwrap();
        assert_eq!(
            usize::try_from(version).unwrap(),
            super::MIGRATIONS.len(),
            "reopening does not migrate again"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn open_creates_missing_parent_directories() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("not").join("yet").join("idp.db");

        let store = SqliteStore::open(&path).await.unwrap();
        store.put_document("probe", &json!(1)).await.unwrap();

        assert!(
            path.is_file(),
            "the database file exists at {}",
            path.display()
        );
        assert_eq!(store.get_document("probe").await.unwrap(), Some(json!(1)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn open_refuses_a_schema_newer_than_it_knows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("idp.db");
        let store = SqliteStore::open(&path).await.unwrap();
        sqlx::raw_sql("PRAGMA user_version = 99")
            .execute(&store.pool)
            .await
            .unwrap();
        store.close().await;

        let reopened = SqliteStore::open(&path).await;
        assert!(
            matches!(&reopened, Err(StoreError::Backend(detail)) if detail.contains("newer")),
            "got {:?}",
            reopened.as_ref().err()
        );
    }
}
