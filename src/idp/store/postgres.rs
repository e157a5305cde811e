//! `PostgresStore`: the [`Store`] adapter for several provider instances sharing one PostgreSQL
//! database. It owns the `idp_*` tables and their versioned migrations (applied at open under an
//! advisory lock; a schema newer than this build is refused), the mapping between rows and the
//! store's types, and the atomicity of the port's counting and consuming operations across any
//! number of processes: each is one conditional statement (`consume`, `check_code`,
//! `record_sign_in`, `put_document_if`) or one transaction whose decisions are taken while it
//! holds a row lock every competing writer must take first (`admit_code`: the recipient's row;
//! `create_user`, `create_user_if_absent`: the one account-creation row; `rotate`: the token's
//! row, `SELECT … FOR UPDATE`). The database URL may hold a password: it is kept as a
//! [`Secret`] and scrubbed from every error.

use super::{
    Admission, CodeCheck, Consumed, Kind, Mail, NewCode, Record, Rotation, SendLimits, Store,
    StoreError, StoreResult, StoredCode, User, Versioned,
};
use crate::secret::Secret;
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};
use sqlx::{Connection, Executor, Row};
use std::str::FromStr;
use std::time::Duration;

/// Connections per process unless `provider.store_pool_size` says otherwise; several instances
/// multiply it, so keep it well under the server's `max_connections` (100 by default).
pub const DEFAULT_POOL_SIZE: u32 = 8;
/// Bounds connecting and waiting for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// No statement (a lock wait included) runs longer than this.
const STATEMENT_TIMEOUT: &str = "15s";
/// The session-level key of `pg_advisory_xact_lock` that serializes migrations (any constant
/// that other users of the database do not take; this one spells "idp-migr").
const MIGRATION_LOCK: i64 = 0x6964_702d_6d69_6772;

/// Schema steps, oldest first: step `n` (0-based) takes `idp_schema.version` from `n` to `n + 1`.
/// Append new steps; never edit one that has shipped.
const MIGRATIONS: &[&str] = &[SCHEMA_V1];

/// The version table itself, created (if missing) under the migration lock before any step.
const SCHEMA_TABLE: &str = "
CREATE TABLE IF NOT EXISTS idp_schema (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    version   BIGINT  NOT NULL
);
INSERT INTO idp_schema (version) VALUES (0) ON CONFLICT (singleton) DO NOTHING;
";

const SCHEMA_V1: &str = "
CREATE TABLE idp_records (
    kind        TEXT   NOT NULL,
    id          TEXT   NOT NULL,
    payload     TEXT   NOT NULL, -- JSON, exactly as serialized
    expires_at  BIGINT NOT NULL, -- Unix seconds
    grant_id    TEXT,
    lookup_key  TEXT,
    consumed_at BIGINT,          -- Unix seconds
    PRIMARY KEY (kind, id)
);
CREATE INDEX idp_records_by_grant ON idp_records (grant_id);
CREATE INDEX idp_records_by_key ON idp_records (kind, lookup_key);
CREATE INDEX idp_records_by_expiry ON idp_records (expires_at);

CREATE TABLE idp_users (
    id                 TEXT   NOT NULL PRIMARY KEY,
    primary_email      TEXT,
    email_lower        TEXT   UNIQUE, -- lower-cased in Rust (Unicode), unlike SQL lower()
    username           TEXT,
    name               TEXT,
    avatar             TEXT,
    roles              TEXT[] NOT NULL,
    created_at_ms      BIGINT NOT NULL,
    updated_at_ms      BIGINT NOT NULL,
    last_sign_in_at_ms BIGINT
);
-- The row every account creation locks first, so that \"is this the first account\" has one
-- answer however many processes create accounts at once.
CREATE TABLE idp_account_creation (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton)
);
INSERT INTO idp_account_creation DEFAULT VALUES;

CREATE TABLE idp_documents (
    name    TEXT   NOT NULL PRIMARY KEY,
    value   TEXT   NOT NULL, -- JSON
    version BIGINT NOT NULL
);

CREATE TABLE idp_mail (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient TEXT   NOT NULL,
    subject   TEXT   NOT NULL,
    html      TEXT   NOT NULL,
    sent_at   BIGINT NOT NULL -- Unix seconds
);
CREATE INDEX idp_mail_by_time ON idp_mail (sent_at, id);

CREATE TABLE idp_verification_codes (
    interaction TEXT   NOT NULL PRIMARY KEY,
    recipient   TEXT   NOT NULL, -- lower-cased
    mac         TEXT   NOT NULL, -- keyed digest, never the code
    issued_at   BIGINT NOT NULL, -- Unix seconds
    expires_at  BIGINT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    consumed_at BIGINT
);
CREATE INDEX idp_verification_codes_by_expiry ON idp_verification_codes (expires_at);

-- One row per recipient that admissions lock first (the sends themselves are below), so that
-- counting and adding a send is one writer at a time per address.
CREATE TABLE idp_code_recipients (
    recipient TEXT NOT NULL PRIMARY KEY
);
CREATE TABLE idp_code_sends (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient    TEXT   NOT NULL,
    counts_until BIGINT NOT NULL -- Unix seconds: the send stops counting then
);
CREATE INDEX idp_code_sends_by_recipient ON idp_code_sends (recipient, counts_until);
CREATE INDEX idp_code_sends_by_expiry ON idp_code_sends (counts_until);
";

const RECORD_COLUMNS: &str = "payload, expires_at, grant_id, lookup_key, consumed_at";
const USER_COLUMNS: &str = "id, primary_email, username, name, avatar, roles, created_at_ms, \
                            updated_at_ms, last_sign_in_at_ms";
const CODE_COLUMNS: &str = "recipient, mac, issued_at, expires_at, attempts, consumed_at";

/// How many times [`Store::revoke_by_grant`] deletes again after a pass that found something: a
/// rotation the pass waited for may have committed a successor its snapshot could not see.
const REVOKE_PASSES: usize = 8;

/// A [`Store`] in a PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://…` or `postgresql://…`) with a pool of
    /// [`DEFAULT_POOL_SIZE`] connections and brings its schema up to date. Errors never contain
    /// the URL's password.
    pub async fn open(url: &Secret) -> StoreResult<Self> {
        Self::open_with_pool(url, DEFAULT_POOL_SIZE).await
    }

    /// [`Self::open`] with a pool of at most `pool_size` connections (at least 1).
    pub async fn open_with_pool(url: &Secret, pool_size: u32) -> StoreResult<Self> {
        let scrub = Scrubber::of(url);
        let options = PgConnectOptions::from_str(url.expose())
            .map_err(|error| scrub.error(&error))?
            .application_name("leptos-logto provider")
            .options([("statement_timeout", STATEMENT_TIMEOUT)]);
        // One connection first: it says why connecting fails (a pool only says that it timed
        // out), and it runs the migrations.
        let mut first = tokio::time::timeout(ACQUIRE_TIMEOUT, PgConnection::connect_with(&options))
            .await
            .map_err(|_| {
                StoreError::Backend(format!(
                    "PostgreSQL: no connection within {} s",
                    ACQUIRE_TIMEOUT.as_secs()
                ))
            })?
            .map_err(|error| scrub.error(&error))?;
        migrate(&mut first)
            .await
            .map_err(|error| scrub.store_error(error))?;
        first.close().await.map_err(|error| scrub.error(&error))?;
        let pool = PgPoolOptions::new()
            .max_connections(pool_size.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_lazy_with(options);
        Ok(Self { pool })
    }

    /// The schema version this build migrates to.
    pub fn schema_version() -> usize {
        MIGRATIONS.len()
    }

    /// Closes every connection (waiting for those in use to come back).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Takes the URL's password (raw and percent-decoded) out of error details.
struct Scrubber {
    secrets: Vec<String>,
}

impl Scrubber {
    fn of(url: &Secret) -> Self {
        let mut secrets = vec![url.expose().to_owned()];
        if let Some(password) = url::Url::parse(url.expose())
            .ok()
            .and_then(|parsed| parsed.password().map(str::to_owned))
        {
            if let Ok(decoded) = urlencoding::decode(&password) {
                secrets.push(decoded.into_owned());
            }
            secrets.push(password);
        }
        secrets.retain(|secret| !secret.is_empty());
        Self { secrets }
    }

    fn text(&self, detail: &str) -> String {
        let mut clean = detail.to_owned();
        for secret in &self.secrets {
            clean = clean.replace(secret.as_str(), "[redacted]");
        }
        clean
    }

    fn error(&self, error: &impl std::fmt::Display) -> StoreError {
        StoreError::Backend(format!("PostgreSQL: {}", self.text(&error.to_string())))
    }

    fn store_error(&self, error: StoreError) -> StoreError {
        match error {
            StoreError::Backend(detail) => StoreError::Backend(self.text(&detail)),
            StoreError::Conflict(detail) => StoreError::Conflict(self.text(&detail)),
        }
    }
}

/// Applies the steps of [`MIGRATIONS`] the database lacks, each with its version bump, in one
/// transaction that first takes the migration advisory lock: processes starting at once queue
/// there, and each finds the schema as the previous one left it.
/// (Steps run as plain text without arguments: the simple query protocol, several statements.)
async fn migrate(connection: &mut PgConnection) -> StoreResult<()> {
    let mut tx = connection.begin().await.or_backend()?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await
        .or_backend()?;
    tx.execute(SCHEMA_TABLE).await.or_backend()?;
    let version: i64 = sqlx::query_scalar("SELECT version FROM idp_schema")
        .fetch_one(&mut *tx)
        .await
        .or_backend()?;
    let applied = usize::try_from(version)
        .map_err(|_| StoreError::Backend(format!("invalid schema version {version}")))?;
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Backend(format!(
            "the provider database has schema version {applied}, newer than version {} that \
             this build knows: run a newer build against it",
            MIGRATIONS.len()
        )));
    }
    for (step, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.execute(*sql).await.or_backend()?;
        sqlx::query("UPDATE idp_schema SET version = $1")
            .bind(i64::try_from(step + 1).or_backend()?)
            .execute(&mut *tx)
            .await
            .or_backend()?;
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
            let taken = if db.constraint().is_some_and(|name| name.contains("email")) {
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

fn record_from_row(row: &PgRow) -> StoreResult<Record> {
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

fn code_from_row(row: &PgRow) -> StoreResult<StoredCode> {
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

fn user_from_row(row: &PgRow) -> StoreResult<User> {
    Ok(User {
        id: row.try_get("id").or_backend()?,
        primary_email: row.try_get("primary_email").or_backend()?,
        username: row.try_get("username").or_backend()?,
        name: row.try_get("name").or_backend()?,
        avatar: row.try_get("avatar").or_backend()?,
        roles: row.try_get("roles").or_backend()?,
        created_at_ms: row.try_get("created_at_ms").or_backend()?,
        updated_at_ms: row.try_get("updated_at_ms").or_backend()?,
        last_sign_in_at_ms: row.try_get("last_sign_in_at_ms").or_backend()?,
    })
}

fn mail_from_row(row: &PgRow) -> StoreResult<Mail> {
    Ok(Mail {
        to: row.try_get("recipient").or_backend()?,
        subject: row.try_get("subject").or_backend()?,
        html: row.try_get("html").or_backend()?,
        sent_at: time_from_db(row.try_get("sent_at").or_backend()?)?,
    })
}

fn email_lower(user: &User) -> Option<String> {
    user.primary_email.as_deref().map(str::to_lowercase)
}

async fn insert_record<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    kind: Kind,
    id: &str,
    record: &Record,
) -> StoreResult<()> {
    let payload = serde_json::to_string(&record.payload).or_backend()?;
    sqlx::query(&format!(
        "INSERT INTO idp_records (kind, id, {RECORD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (kind, id) DO UPDATE SET payload = excluded.payload, \
         expires_at = excluded.expires_at, grant_id = excluded.grant_id, \
         lookup_key = excluded.lookup_key, consumed_at = excluded.consumed_at"
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

/// Inserts `user`, holding the account-creation row's lock until `tx` ends.
async fn insert_user(tx: &mut sqlx::PgConnection, user: &User) -> StoreResult<()> {
    sqlx::query(&format!(
        "INSERT INTO idp_users ({USER_COLUMNS}, email_lower) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(&user.id)
    .bind(&user.primary_email)
    .bind(&user.username)
    .bind(&user.name)
    .bind(&user.avatar)
    .bind(&user.roles)
    .bind(user.created_at_ms)
    .bind(user.updated_at_ms)
    .bind(user.last_sign_in_at_ms)
    .bind(email_lower(user))
    .execute(tx)
    .await
    .map_err(|error| user_write_error(&error))?;
    Ok(())
}

/// Takes the account-creation lock for the rest of the transaction.
async fn lock_account_creation(tx: &mut sqlx::PgConnection) -> StoreResult<()> {
    sqlx::query("SELECT singleton FROM idp_account_creation FOR UPDATE")
        .execute(tx)
        .await
        .or_backend()?;
    Ok(())
}

#[async_trait]
impl Store for PostgresStore {
    async fn upsert(&self, kind: Kind, id: &str, record: Record) -> StoreResult<()> {
        insert_record(&self.pool, kind, id, &record).await
    }

    async fn find(&self, kind: Kind, id: &str, now: u64) -> StoreResult<Option<Record>> {
        let row = sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM idp_records \
             WHERE kind = $1 AND id = $2 AND expires_at > $3"
        ))
        .bind(kind.as_str())
        .bind(id)
        .bind(time_to_db(now))
        .fetch_optional(&self.pool)
        .await
        .or_backend()?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// The conditional `UPDATE` alone decides the winner: concurrent ones queue on the row lock
    /// and re-check `consumed_at IS NULL` against the winner's committed row. The `SELECT` after
    /// a refusal (a fresh snapshot, so it sees that row) only tells "already" from "missing".
    async fn consume(&self, kind: Kind, id: &str, now: u64) -> StoreResult<Consumed> {
        let now = time_to_db(now);
        let claimed = sqlx::query(&format!(
            "UPDATE idp_records SET consumed_at = $1 \
             WHERE kind = $2 AND id = $3 AND consumed_at IS NULL AND expires_at > $1 \
             RETURNING {RECORD_COLUMNS}"
        ))
        .bind(now)
        .bind(kind.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .or_backend()?;
        if let Some(row) = claimed {
            return Ok(Consumed::First(Record {
                consumed_at: None,
                ..record_from_row(&row)?
            }));
        }
        let row = sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM idp_records \
             WHERE kind = $1 AND id = $2 AND expires_at > $3 AND consumed_at IS NOT NULL"
        ))
        .bind(kind.as_str())
        .bind(id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .or_backend()?;
        Ok(match row {
            Some(row) => Consumed::Already(record_from_row(&row)?),
            None => Consumed::Missing,
        })
    }

    async fn destroy(&self, kind: Kind, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM idp_records WHERE kind = $1 AND id = $2")
            .bind(kind.as_str())
            .bind(id)
            .execute(&self.pool)
            .await
            .or_backend()?;
        Ok(())
    }

    /// Deletes again while a pass finds something: a pass that waited for a concurrent
    /// [`Store::rotate`] of one of the grant's tokens cannot see the successor that rotation
    /// committed, the next pass (a new snapshot) does.
    async fn revoke_by_grant(&self, grant_id: &str) -> StoreResult<u64> {
        let mut revoked = 0;
        for _ in 0..REVOKE_PASSES {
            let deleted = sqlx::query("DELETE FROM idp_records WHERE grant_id = $1")
                .bind(grant_id)
                .execute(&self.pool)
                .await
                .or_backend()?
                .rows_affected();
            revoked += deleted;
            if deleted == 0 {
                break;
            }
        }
        Ok(revoked)
    }

    async fn destroy_by_key(&self, kind: Kind, key: &str) -> StoreResult<u64> {
        let result = sqlx::query("DELETE FROM idp_records WHERE kind = $1 AND lookup_key = $2")
            .bind(kind.as_str())
            .bind(key)
            .execute(&self.pool)
            .await
            .or_backend()?;
        Ok(result.rows_affected())
    }

    /// One transaction that first locks the old token's row (`FOR UPDATE`): concurrent
    /// rotations of it run one after the other, each deciding on what the previous committed; a
    /// rotation waiting behind a reuse revocation finds the row gone ([`Rotation::Missing`]).
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
        let mut tx = self.pool.begin().await.or_backend()?;
        let row = sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM idp_records \
             WHERE kind = $1 AND id = $2 AND expires_at > $3 FOR UPDATE"
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
                        sqlx::query("DELETE FROM idp_records WHERE grant_id = $1")
                            .bind(grant_id)
                            .execute(&mut *tx)
                            .await
                    }
                    None => {
                        sqlx::query("DELETE FROM idp_records WHERE kind = $1 AND id = $2")
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
                    sqlx::query(
                        "UPDATE idp_records SET consumed_at = $1 WHERE kind = $2 AND id = $3",
                    )
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

    /// The recipients' lock rows without sends are deleted too, but not counted: they are no
    /// data (an admission that races the delete simply makes its row again).
    async fn purge_expired(&self, now: u64) -> StoreResult<u64> {
        let now = time_to_db(now);
        let mut purged = 0;
        for statement in [
            "DELETE FROM idp_records WHERE expires_at <= $1",
            "DELETE FROM idp_verification_codes WHERE expires_at <= $1",
            "DELETE FROM idp_code_sends WHERE counts_until <= $1",
        ] {
            let result = sqlx::query(statement)
                .bind(now)
                .execute(&self.pool)
                .await
                .or_backend()?;
            purged += result.rows_affected();
        }
        sqlx::query(
            "DELETE FROM idp_code_recipients AS r WHERE NOT EXISTS \
             (SELECT 1 FROM idp_code_sends AS s WHERE s.recipient = r.recipient)",
        )
        .execute(&self.pool)
        .await
        .or_backend()?;
        Ok(purged)
    }

    /// One transaction that first upserts the recipient's lock row (which locks it until the
    /// end): every admission for one address waits there, then counts and adds sends on what the
    /// previous one committed.
    async fn admit_code(
        &self,
        code: &NewCode,
        limits: SendLimits,
        now: u64,
    ) -> StoreResult<Admission> {
        let now_db = time_to_db(now);
        let mut tx = self.pool.begin().await.or_backend()?;
        sqlx::query(
            "INSERT INTO idp_code_recipients (recipient) VALUES ($1) \
             ON CONFLICT (recipient) DO UPDATE SET recipient = excluded.recipient",
        )
        .bind(&code.recipient)
        .execute(&mut *tx)
        .await
        .or_backend()?;
        let last_issued: Option<i64> = sqlx::query_scalar(
            "SELECT issued_at FROM idp_verification_codes \
             WHERE interaction = $1 AND recipient = $2 AND expires_at > $3",
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
            "SELECT COUNT(*) FROM idp_code_sends WHERE recipient = $1 AND counts_until > $2",
        )
        .bind(&code.recipient)
        .bind(now_db)
        .fetch_one(&mut *tx)
        .await
        .or_backend()?;
        if count_from_db(sends)? >= limits.max_sends {
            return Ok(Admission::RateLimited);
        }
        sqlx::query("INSERT INTO idp_code_sends (recipient, counts_until) VALUES ($1, $2)")
            .bind(&code.recipient)
            .bind(time_to_db(now.saturating_add(limits.window)))
            .execute(&mut *tx)
            .await
            .or_backend()?;
        sqlx::query(&format!(
            "INSERT INTO idp_verification_codes (interaction, {CODE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, 0, NULL) \
             ON CONFLICT (interaction) DO UPDATE SET recipient = excluded.recipient, \
             mac = excluded.mac, issued_at = excluded.issued_at, \
             expires_at = excluded.expires_at, attempts = 0, consumed_at = NULL"
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

    /// The conditional `UPDATE` alone counts the attempt and consumes on a match (concurrent
    /// checks queue on the row and re-check `attempts < max` and `consumed_at IS NULL`); the
    /// `SELECT` after a refusal only tells "exhausted" from "missing".
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
            "UPDATE idp_verification_codes SET attempts = attempts + 1, \
             consumed_at = CASE WHEN recipient = $1 AND mac = $2 THEN $3 ELSE NULL END \
             WHERE interaction = $4 AND consumed_at IS NULL AND expires_at > $3 \
             AND attempts < $5 \
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
        let exhausted: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM idp_verification_codes \
             WHERE interaction = $1 AND consumed_at IS NULL AND expires_at > $2 \
             AND attempts >= $3",
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
            "SELECT {CODE_COLUMNS} FROM idp_verification_codes \
             WHERE interaction = $1 AND expires_at > $2"
        ))
        .bind(interaction)
        .bind(time_to_db(now))
        .fetch_optional(&self.pool)
        .await
        .or_backend()?;
        row.as_ref().map(code_from_row).transpose()
    }

    /// Under the account-creation lock, so that it cannot slip past a concurrent
    /// [`Store::create_user_if_absent`] deciding on the first account.
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.or_backend()?;
        lock_account_creation(&mut tx).await?;
        insert_user(&mut tx, user).await?;
        tx.commit().await.or_backend()
    }

    /// One transaction under the account-creation lock: look up the address, see whether any
    /// account exists, insert.
    async fn create_user_if_absent(
        &self,
        user: &User,
        first_account_roles: &[String],
    ) -> StoreResult<(User, bool)> {
        let mut tx = self.pool.begin().await.or_backend()?;
        lock_account_creation(&mut tx).await?;
        if let Some(email) = email_lower(user) {
            let row = sqlx::query(&format!(
                "SELECT {USER_COLUMNS} FROM idp_users WHERE email_lower = $1"
            ))
            .bind(email)
            .fetch_optional(&mut *tx)
            .await
            .or_backend()?;
            if let Some(row) = row {
                return Ok((user_from_row(&row)?, false));
            }
        }
        let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM idp_users)")
            .fetch_one(&mut *tx)
            .await
            .or_backend()?;
        let mut created = user.clone();
        if !any {
            super::add_roles(&mut created, first_account_roles);
        }
        insert_user(&mut tx, &created).await?;
        tx.commit().await.or_backend()?;
        Ok((created, true))
    }

    /// One conditional `UPDATE` (the same change as [`super::apply_sign_in`], in SQL): every
    /// `SET` reads the row as the previous writer committed it.
    async fn record_sign_in(
        &self,
        id: &str,
        now_ms: i64,
        add_role: Option<&str>,
    ) -> StoreResult<Option<User>> {
        let row = sqlx::query(&format!(
            "UPDATE idp_users SET \
             roles = CASE WHEN $2::TEXT IS NULL OR $2 = ANY (roles) THEN roles \
                     ELSE array_append(roles, $2) END, \
             updated_at_ms = CASE WHEN $2::TEXT IS NULL OR $2 = ANY (roles) THEN updated_at_ms \
                             ELSE $3 END, \
             last_sign_in_at_ms = $3 \
             WHERE id = $1 RETURNING {USER_COLUMNS}"
        ))
        .bind(id)
        .bind(add_role)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await
        .or_backend()?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn find_user(&self, id: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM idp_users WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .or_backend()?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM idp_users WHERE email_lower = $1"
        ))
        .bind(email.to_lowercase())
        .fetch_optional(&self.pool)
        .await
        .or_backend()?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn update_user(&self, user: &User) -> StoreResult<()> {
        sqlx::query(
            "UPDATE idp_users SET primary_email = $1, username = $2, name = $3, avatar = $4, \
             roles = $5, created_at_ms = $6, updated_at_ms = $7, last_sign_in_at_ms = $8, \
             email_lower = $9 WHERE id = $10",
        )
        .bind(&user.primary_email)
        .bind(&user.username)
        .bind(&user.name)
        .bind(&user.avatar)
        .bind(&user.roles)
        .bind(user.created_at_ms)
        .bind(user.updated_at_ms)
        .bind(user.last_sign_in_at_ms)
        .bind(email_lower(user))
        .bind(&user.id)
        .execute(&self.pool)
        .await
        .map_err(|error| user_write_error(&error))?;
        Ok(())
    }

    async fn count_users(&self) -> StoreResult<u64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM idp_users")
            .fetch_one(&self.pool)
            .await
            .or_backend()?;
        count_from_db(count)
    }

    async fn any_user_with_role(&self, role: &str) -> StoreResult<bool> {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM idp_users WHERE $1 = ANY (roles))")
            .bind(role)
            .fetch_one(&self.pool)
            .await
            .or_backend()
    }

    async fn get_document(&self, name: &str) -> StoreResult<Option<serde_json::Value>> {
        Ok(self
            .get_versioned_document(name)
            .await?
            .map(|stored| stored.value))
    }

    async fn get_versioned_document(&self, name: &str) -> StoreResult<Option<Versioned>> {
        let row = sqlx::query("SELECT value, version FROM idp_documents WHERE name = $1")
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
            "INSERT INTO idp_documents (name, value, version) VALUES ($1, $2, 1) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, \
             version = idp_documents.version + 1",
        )
        .bind(name)
        .bind(text)
        .execute(&self.pool)
        .await
        .or_backend()?;
        Ok(())
    }

    /// One statement either way: `INSERT … ON CONFLICT DO NOTHING` (create-only) or an `UPDATE`
    /// conditional on the version, which a concurrent writer re-checks after the row lock.
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
                    "INSERT INTO idp_documents (name, value, version) VALUES ($1, $2, 1) \
                     ON CONFLICT (name) DO NOTHING",
                )
                .bind(name)
                .bind(text)
                .execute(&self.pool)
                .await
            }
            Some(version) => {
                sqlx::query(
                    "UPDATE idp_documents SET value = $1, version = version + 1 \
                     WHERE name = $2 AND version = $3",
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
        let mut tx = self.pool.begin().await.or_backend()?;
        sqlx::query(
            "INSERT INTO idp_mail (recipient, subject, html, sent_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&mail.to)
        .bind(&mail.subject)
        .bind(&mail.html)
        .bind(time_to_db(mail.sent_at))
        .execute(&mut *tx)
        .await
        .or_backend()?;
        sqlx::query(
            "DELETE FROM idp_mail WHERE id NOT IN \
             (SELECT id FROM idp_mail ORDER BY sent_at DESC, id DESC LIMIT $1)",
        )
        .bind(i64::from(keep))
        .execute(&mut *tx)
        .await
        .or_backend()?;
        tx.commit().await.or_backend()
    }

    async fn list_mail(&self, limit: u32) -> StoreResult<Vec<Mail>> {
        let rows = sqlx::query(
            "SELECT recipient, subject, html, sent_at FROM idp_mail \
             ORDER BY sent_at DESC, id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .or_backend()?;
        rows.iter().map(mail_from_row).collect()
    }
}

#[cfg(test)]
#[path = "../../../tests/fixtures/postgres.rs"]
mod test_database;

#[cfg(test)]
mod tests {
    use super::test_database::TestDatabase;
    use super::PostgresStore;
    use crate::idp::store::{Kind, Record, SharedStore, Store, StoreError};
    use crate::secret::Secret;
    use serde_json::json;
    use std::sync::Arc;

    async fn fresh_store() -> (SharedStore, TestDatabase) {
        let database = TestDatabase::create().await;
        let store = PostgresStore::open(&Secret::new(database.url()))
            .await
            .unwrap();
        (Arc::new(store), database)
    }

    crate::idp::store::conformance::conformance_suite!(fresh_store());

    /// `provider.store_pool_size` bounds the connections one instance opens, however many
    /// requests use the store at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_pool_opens_no_more_connections_than_its_size() {
        let database = TestDatabase::create().await;
        let store = Arc::new(
            PostgresStore::open_with_pool(&Secret::new(database.url()), 2)
                .await
                .unwrap(),
        );
        let mut writers = tokio::task::JoinSet::new();
        for i in 0..40 {
            let store = Arc::clone(&store);
            writers.spawn(async move {
                let record = Record::new(json!({ "sub": format!("user-{i}") }), 2_000);
                store.upsert(Kind::Session, &format!("s-{i}"), record).await
            });
        }
        while let Some(written) = writers.join_next().await {
            written.unwrap().unwrap();
        }
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'leptos-logto provider'",
        )
        .bind(database.name())
        .fetch_one(&store.pool)
        .await
        .unwrap();
        assert!((1..=2).contains(&open), "{open} connections open");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn data_survives_reopening_and_reopening_does_not_migrate_again() {
        let database = TestDatabase::create().await;
        let store = PostgresStore::open(&Secret::new(database.url()))
            .await
            .unwrap();
        let record = Record::new(json!({ "sub": "ada" }), 2_000).with_grant("g");
        store
            .upsert(Kind::Session, "s-1", record.clone())
            .await
            .unwrap();
        store.consume(Kind::Session, "s-1", 1_000).await.unwrap();
        store.close().await;

        let reopened = PostgresStore::open(&Secret::new(database.url()))
            .await
            .unwrap();
        assert_eq!(
            reopened.find(Kind::Session, "s-1", 1_500).await.unwrap(),
            Some(Record {
                consumed_at: Some(1_000),
                ..record
            })
        );
        let version: i64 = sqlx::query_scalar("SELECT version FROM idp_schema")
            .fetch_one(&reopened.pool)
            .await
            .unwrap();
        assert_eq!(usize::try_from(version).unwrap(), super::MIGRATIONS.len());
    }

    /// Separate pools are separate sessions, exactly as separate processes are to the advisory
    /// lock; without it, concurrent `CREATE TABLE`s fail or a step runs twice.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn instances_opening_a_new_database_at_once_migrate_it_once() {
        let database = TestDatabase::create().await;
        let url = Secret::new(database.url());
        let opens: Vec<_> = (0..6)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move { PostgresStore::open(&url).await })
            })
            .collect();
        let mut stores = Vec::new();
        for open in opens {
            stores.push(open.await.unwrap().expect("every instance opens the store"));
        }
        stores[0].put_document("probe", &json!(1)).await.unwrap();
        assert_eq!(
            stores[5].get_document("probe").await.unwrap(),
            Some(json!(1))
        );
        let version: i64 = sqlx::query_scalar("SELECT version FROM idp_schema")
            .fetch_one(&stores[0].pool)
            .await
            .unwrap();
        assert_eq!(usize::try_from(version).unwrap(), super::MIGRATIONS.len());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn open_refuses_a_schema_newer_than_it_knows_naming_both_versions() {
        let database = TestDatabase::create().await;
        let store = PostgresStore::open(&Secret::new(database.url()))
            .await
            .unwrap();
        sqlx::query("UPDATE idp_schema SET version = 99")
            .execute(&store.pool)
            .await
            .unwrap();
        store.close().await;

        let refused = PostgresStore::open(&Secret::new(database.url()))
            .await
            .err();
        let known = PostgresStore::schema_version();
        match refused {
            Some(StoreError::Backend(message)) => {
                assert!(
                    message.contains("schema version 99")
                        && message.contains(&format!("version {known}")),
                    "names both versions: {message}"
                );
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn errors_never_show_the_password_of_the_url() {
        // Nothing listens on port 1: connecting fails at once.
        for url in [
            "postgres://ada:pa55-w0rd-sentinel@127.0.0.1:1/idp",
            "postgresql://ada:pa55%2Dw0rd%2Dsentinel@127.0.0.1:1/idp",
            "postgres://ada:pa55-w0rd-sentinel@127.0.0.1:1/idp?sslmode=bogus",
        ] {
            let error = PostgresStore::open(&Secret::new(url)).await.err().unwrap();
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains("pa55"), "{shown}");
            assert!(shown.contains("PostgreSQL"), "says what failed: {shown}");
        }
    }
}
