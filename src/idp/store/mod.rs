//! The provider's storage port: everything the embedded provider persists, behind one narrow
//! trait with time-to-live and single use built in (after node-oidc-provider's adapter contract).
//! Adapters: [`memory::MemoryStore`] (tests) and [`sqlite::SqliteStore`] (default, a file in the
//! data directory). Both pass the shared suite in [`conformance`].
//!
//! Times are Unix seconds supplied by the caller (`now`), never read here, so expiry is testable.

#[cfg(test)]
pub mod conformance;
pub mod memory;
pub mod sqlite;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The kinds of short-lived protocol records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kind {
    /// A browser's signed-in state at the provider (cookie value is the id).
    Session,
    /// One pending authorization request while the person signs in.
    Interaction,
    AuthorizationCode,
    AccessToken,
    RefreshToken,
    /// What a user granted a client; tokens carry its id so it can be revoked as a whole.
    Grant,
    /// A hashed email verification code; `key` is the interaction id it belongs to.
    VerificationCode,
    /// One verification email sent; `key` is the lower-cased recipient (for the send rate limit).
    CodeSend,
    /// The one-time link (or a browser's claim on it) that makes the first administrator.
    SetupInvitation,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Session => "Session",
            Kind::Interaction => "Interaction",
            Kind::AuthorizationCode => "AuthorizationCode",
            Kind::AccessToken => "AccessToken",
            Kind::RefreshToken => "RefreshToken",
            Kind::Grant => "Grant",
            Kind::VerificationCode => "VerificationCode",
            Kind::CodeSend => "CodeSend",
            Kind::SetupInvitation => "SetupInvitation",
        }
    }
}

/// A stored protocol record.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Kind-specific content, opaque to the store.
    pub payload: serde_json::Value,
    /// Unix seconds after which the record no longer exists for `find`/`consume`/counts.
    pub expires_at: u64,
    /// The grant this record belongs to, for `revoke_by_grant`.
    pub grant_id: Option<String>,
    /// A secondary lookup key (see [`Kind`]) for `count_by_key`/`destroy_by_key`.
    pub key: Option<String>,
    /// When the record was consumed, if it was. Set only by `consume`.
    pub consumed_at: Option<u64>,
}

impl Record {
    pub fn new(payload: serde_json::Value, expires_at: u64) -> Self {
        Self {
            payload,
            expires_at,
            grant_id: None,
            key: None,
            consumed_at: None,
        }
    }

    pub fn with_grant(mut self, grant_id: impl Into<String>) -> Self {
        self.grant_id = Some(grant_id.into());
        self
    }

    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }
}

/// The outcome of [`Store::consume`].
#[derive(Clone, Debug, PartialEq)]
pub enum Consumed {
    /// This call consumed it; the record as it was before (with `consumed_at` still `None`).
    First(Record),
    /// Someone consumed it earlier; the record with its `consumed_at`.
    Already(Record),
    /// No such record, or it has expired.
    Missing,
}

/// An account at the provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Logto-style: 12 lower-case letters and digits.
    pub id: String,
    /// Lower-cased; unique among users.
    pub primary_email: Option<String>,
    pub username: Option<String>,
    pub name: Option<String>,
    pub avatar: Option<String>,
    /// Role names, e.g. `admin`.
    pub roles: Vec<String>,
    /// Unix milliseconds, as Logto's claims.
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub last_sign_in_at_ms: Option<i64>,
}

/// One message delivered by the dev mailbox connector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub html: String,
    /// Unix seconds.
    pub sent_at: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique value (a user's email or id) is already taken.
    #[error("already exists: {0}")]
    Conflict(String),
    /// The database failed; the detail is for logs, never for responses.
    #[error("storage failure: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Everything the provider persists.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    // --- protocol records (TTL, single use, grouped by grant) ---

    /// Inserts or replaces the record `(kind, id)`.
    async fn upsert(&self, kind: Kind, id: &str, record: Record) -> StoreResult<()>;

    /// The record, unless missing or expired at `now` (a consumed record is still returned).
    async fn find(&self, kind: Kind, id: &str, now: u64) -> StoreResult<Option<Record>>;

    /// Marks the record consumed at `now`, atomically: of any number of concurrent calls exactly one
    /// gets [`Consumed::First`].
    async fn consume(&self, kind: Kind, id: &str, now: u64) -> StoreResult<Consumed>;

    /// Deletes the record (no error when absent).
    async fn destroy(&self, kind: Kind, id: &str) -> StoreResult<()>;

    /// Deletes every record of every kind carrying `grant_id`; returns how many.
    async fn revoke_by_grant(&self, grant_id: &str) -> StoreResult<u64>;

    /// Unexpired records of `kind` whose `key` equals `key`.
    async fn count_by_key(&self, kind: Kind, key: &str, now: u64) -> StoreResult<u64>;

    /// Deletes the records of `kind` whose `key` equals `key`; returns how many.
    async fn destroy_by_key(&self, kind: Kind, key: &str) -> StoreResult<u64>;

    /// Deletes every record expired at `now`; returns how many.
    async fn purge_expired(&self, now: u64) -> StoreResult<u64>;

    // --- users ---

    /// Fails with [`StoreError::Conflict`] when the id or the email is taken.
    async fn create_user(&self, user: &User) -> StoreResult<()>;
    async fn find_user(&self, id: &str) -> StoreResult<Option<User>>;
    /// `email` is compared lower-cased.
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// Replaces the stored user with the same id (no error when absent).
    async fn update_user(&self, user: &User) -> StoreResult<()>;
    async fn count_users(&self) -> StoreResult<u64>;

    // --- named JSON documents (signing keys, sign-in experience, connectors) ---

    async fn get_document(&self, name: &str) -> StoreResult<Option<serde_json::Value>>;
    async fn put_document(&self, name: &str, value: &serde_json::Value) -> StoreResult<()>;

    // --- dev mailbox ---

    async fn push_mail(&self, mail: &Mail) -> StoreResult<()>;
    /// At most `limit` messages, newest first.
    async fn list_mail(&self, limit: u32) -> StoreResult<Vec<Mail>>;
}

pub type SharedStore = Arc<dyn Store>;
