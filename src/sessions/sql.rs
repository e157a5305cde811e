//! Grants in SQL, for SQLite ([`SqliteGrants`]) and PostgreSQL ([`PostgresGrants`]) alike: one table of grants and one of refresh leases,
//! each rule one conditional statement (`UPDATE … WHERE version = ?`, `INSERT … ON CONFLICT DO
//! UPDATE … WHERE until <= now`), so concurrent callers in any number of processes agree.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::auth::grants::lease_secs;
use crate::auth::{GrantStore, GrantStoreError, StoredGrant};
use crate::clock::SharedClock;

/// The statements, in the placeholder style of one engine.
pub struct Dialect {
    pub create_tables: &'static [&'static str],
    pub create: &'static str,
    pub get: &'static str,
    pub replace: &'static str,
    pub delete_grant: &'static str,
    pub delete_lease: &'static str,
    pub lease: &'static str,
    pub release: &'static str,
    pub sweep_grants: &'static str,
    pub sweep_leases: &'static str,
}

pub const SQLITE: Dialect = Dialect {
    create_tables: &[
        "CREATE TABLE IF NOT EXISTS auth_grants (id TEXT PRIMARY KEY, version INTEGER NOT NULL, tokens TEXT NOT NULL, expires_at INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS auth_refresh_leases (grant_id TEXT PRIMARY KEY, holder TEXT NOT NULL, until INTEGER NOT NULL)",
    ],
    create: "INSERT INTO auth_grants (id, version, tokens, expires_at) VALUES (?1, 1, ?2, ?3)",
    get: "SELECT version, tokens FROM auth_grants WHERE id = ?1 AND expires_at > ?2",
    replace: "UPDATE auth_grants SET version = version + 1, tokens = ?1 WHERE id = ?2 AND version = ?3 AND expires_at > ?4",
    delete_grant: "DELETE FROM auth_grants WHERE id = ?1",
    delete_lease: "DELETE FROM auth_refresh_leases WHERE grant_id = ?1",
    lease: "INSERT INTO auth_refresh_leases (grant_id, holder, until) VALUES (?1, ?2, ?3) ON CONFLICT (grant_id) DO UPDATE SET holder = excluded.holder, until = excluded.until WHERE auth_refresh_leases.until <= ?4",
    release: "DELETE FROM auth_refresh_leases WHERE grant_id = ?1 AND holder = ?2",
    sweep_grants: "DELETE FROM auth_grants WHERE expires_at <= ?1",
    sweep_leases: "DELETE FROM auth_refresh_leases WHERE until <= ?1",
};

pub const POSTGRES: Dialect = Dialect {
    create_tables: &[
        "CREATE TABLE IF NOT EXISTS auth_grants (id TEXT PRIMARY KEY, version BIGINT NOT NULL, tokens TEXT NOT NULL, expires_at BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS auth_refresh_leases (grant_id TEXT PRIMARY KEY, holder TEXT NOT NULL, until BIGINT NOT NULL)",
    ],
    create: "INSERT INTO auth_grants (id, version, tokens, expires_at) VALUES ($1, 1, $2, $3)",
    get: "SELECT version, tokens FROM auth_grants WHERE id = $1 AND expires_at > $2",
    replace: "UPDATE auth_grants SET version = version + 1, tokens = $1 WHERE id = $2 AND version = $3 AND expires_at > $4",
    delete_grant: "DELETE FROM auth_grants WHERE id = $1",
    delete_lease: "DELETE FROM auth_refresh_leases WHERE grant_id = $1",
    lease: "INSERT INTO auth_refresh_leases (grant_id, holder, until) VALUES ($1, $2, $3) ON CONFLICT (grant_id) DO UPDATE SET holder = excluded.holder, until = excluded.until WHERE auth_refresh_leases.until <= $4",
    release: "DELETE FROM auth_refresh_leases WHERE grant_id = $1 AND holder = $2",
    sweep_grants: "DELETE FROM auth_grants WHERE expires_at <= $1",
    sweep_leases: "DELETE FROM auth_refresh_leases WHERE until <= $1",
};

/// Never the statement or a value: only that the engine failed.
fn failed(error: &sqlx::Error) -> GrantStoreError {
    let kind = match error {
        sqlx::Error::PoolTimedOut => "no connection within the timeout",
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) => "the database is unreachable",
        sqlx::Error::Database(_) => "the database refused a statement",
        _ => "the database failed",
    };
    GrantStoreError(kind.to_owned())
}

/// A Unix time or version as SQL's signed integer (saturating).
pub(crate) fn signed(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// One grant store type per engine: the same statements (in that engine's [`Dialect`]) on its
/// pool type.
macro_rules! sql_grants {
    ($name:ident, $pool:ty, $dialect:expr) => {
        /// Grants in this engine's tables (see the module header).
        pub struct $name {
            pool: $pool,
        }

        impl $name {
            /// Grants on `pool`, creating the tables if needed.
            pub async fn open(pool: $pool) -> Result<Self, GrantStoreError> {
                for statement in $dialect.create_tables {
                    sqlx::query(statement)
                        .execute(&pool)
                        .await
                        .map_err(|e| failed(&e))?;
                }
                Ok(Self { pool })
            }

            /// Deletes expired grants and leases every `every` from now on, logging failures.
            pub fn sweep_periodically(self: &Arc<Self>, clock: SharedClock, every: Duration) {
                let grants = Arc::clone(self);
                tokio::spawn(async move {
                    let mut ticks = tokio::time::interval(every);
                    loop {
                        ticks.tick().await;
                        if let Err(error) = grants.sweep(clock.unix_seconds()).await {
                            tracing::warn!(%error, "expired grants not swept");
                        }
                    }
                });
            }

            /// Deletes expired grants and leases.
            pub async fn sweep(&self, now: u64) -> Result<(), GrantStoreError> {
                for statement in [$dialect.sweep_grants, $dialect.sweep_leases] {
                    sqlx::query(statement)
                        .bind(signed(now))
                        .execute(&self.pool)
                        .await
                        .map_err(|e| failed(&e))?;
                }
                Ok(())
            }
        }

        #[async_trait]
        impl GrantStore for $name {
            async fn create(
                &self,
                id: &str,
                tokens: &str,
                _now: u64,
                expires_at: u64,
            ) -> Result<(), GrantStoreError> {
                sqlx::query($dialect.create)
                    .bind(id)
                    .bind(tokens)
                    .bind(signed(expires_at))
                    .execute(&self.pool)
                    .await
                    .map(|_| ())
                    .map_err(|e| failed(&e))
            }

            async fn get(
                &self,
                id: &str,
                now: u64,
            ) -> Result<Option<StoredGrant>, GrantStoreError> {
                let row: Option<(i64, String)> = sqlx::query_as($dialect.get)
                    .bind(id)
                    .bind(signed(now))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| failed(&e))?;
                Ok(row.map(|(version, tokens)| StoredGrant {
                    version: u64::try_from(version).unwrap_or(0),
                    tokens,
                }))
            }

            async fn replace(
                &self,
                id: &str,
                version: u64,
                tokens: &str,
                now: u64,
            ) -> Result<bool, GrantStoreError> {
                sqlx::query($dialect.replace)
                    .bind(tokens)
                    .bind(id)
                    .bind(signed(version))
                    .bind(signed(now))
                    .execute(&self.pool)
                    .await
                    .map(|done| done.rows_affected() == 1)
                    .map_err(|e| failed(&e))
            }

            async fn delete(&self, id: &str) -> Result<(), GrantStoreError> {
                for statement in [$dialect.delete_grant, $dialect.delete_lease] {
                    sqlx::query(statement)
                        .bind(id)
                        .execute(&self.pool)
                        .await
                        .map_err(|e| failed(&e))?;
                }
                Ok(())
            }

            async fn lease(
                &self,
                id: &str,
                holder: &str,
                now: u64,
                ttl: Duration,
            ) -> Result<bool, GrantStoreError> {
                sqlx::query($dialect.lease)
                    .bind(id)
                    .bind(holder)
                    .bind(signed(now.saturating_add(lease_secs(ttl))))
                    .bind(signed(now))
                    .execute(&self.pool)
                    .await
                    .map(|done| done.rows_affected() == 1)
                    .map_err(|e| failed(&e))
            }

            async fn release(&self, id: &str, holder: &str) -> Result<(), GrantStoreError> {
                sqlx::query($dialect.release)
                    .bind(id)
                    .bind(holder)
                    .execute(&self.pool)
                    .await
                    .map(|_| ())
                    .map_err(|e| failed(&e))
            }

            async fn ping(&self) -> Result<(), GrantStoreError> {
                sqlx::query("SELECT 1")
                    .execute(&self.pool)
                    .await
                    .map(|_| ())
                    .map_err(|e| failed(&e))
            }
        }
    };
}

sql_grants!(SqliteGrants, sqlx::SqlitePool, SQLITE);
sql_grants!(PostgresGrants, sqlx::PgPool, POSTGRES);
