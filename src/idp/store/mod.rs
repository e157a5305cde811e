//! The provider's storage port: everything the embedded provider persists, behind one narrow
//! trait with time-to-live and single use built in (after node-oidc-provider's adapter contract).
//! Adapters: [`memory::MemoryStore`] (tests), [`sqlite::SqliteStore`] (default, a file in the
//! data directory) and [`postgres::PostgresStore`] (`PROVIDER_STORE_URL`, shared by several
//! instances). All three pass the shared suite in [`conformance`].
//!
//! **Every rule that counts, consumes or creates is one operation of this port**, atomic for any
//! number of concurrent callers, in any number of processes for the database adapters (one
//! conditional statement or one write transaction holding the lock its competitors wait for; the
//! memory adapter holds one lock): [`Store::consume`], [`Store::admit_code`], [`Store::check_code`],
//! [`Store::create_user_if_absent`], [`Store::record_sign_in`], [`Store::rotate`] and
//! [`Store::put_document_if`] (compare-and-swap, used through [`update_document`]). Callers never
//! read, decide and write back shared state themselves.
//!
//! Times are Unix seconds supplied by the caller (`now`), never read here, so expiry is testable.

#[cfg(test)]
pub mod conformance;
pub mod memory;
pub mod postgres;
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
    /// A secondary lookup key shared by related records, for `destroy_by_key`.
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

/// A verification code to store for one interaction (see [`Store::admit_code`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCode {
    pub interaction: String,
    /// Lower-cased recipient address.
    pub recipient: String,
    /// The keyed digest of the code (never the code itself).
    pub mac: String,
    /// Unix seconds after which the code no longer verifies.
    pub expires_at: u64,
}

/// The sending rules [`Store::admit_code`] enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendLimits {
    /// At most `max_sends` codes per recipient within any `window` seconds.
    pub window: u64,
    pub max_sends: u64,
    /// No new code for the same interaction and recipient within this many seconds of the last.
    pub resend_after: u64,
}

/// The outcome of [`Store::admit_code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Stored (replacing the interaction's earlier code) and counted against the recipient.
    Admitted,
    /// The recipient had `max_sends` codes within the window; nothing changed.
    RateLimited,
    /// The interaction got a code for this recipient less than `resend_after` seconds ago;
    /// nothing changed. `wait`: seconds until a new one is admitted.
    TooSoon { wait: u64 },
}

/// The outcome of [`Store::check_code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeCheck {
    /// The digest matched: the code is now consumed.
    Verified,
    /// Counted as one attempt; `attempts_left` more checks are allowed.
    Wrong { attempts_left: u32 },
    /// The code had used up its attempts before this check; nothing was counted.
    Exhausted,
    /// No live, unused code for the interaction.
    Missing,
}

/// A stored verification code as [`Store::find_code`] shows it (for pages and tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCode {
    pub recipient: String,
    pub mac: String,
    pub issued_at: u64,
    pub expires_at: u64,
    pub attempts: u32,
    pub consumed_at: Option<u64>,
}

/// The outcome of [`Store::rotate`].
#[derive(Clone, Debug, PartialEq)]
pub enum Rotation {
    /// The old record is now consumed (or was, within the grace period) and the successor is
    /// stored; the old record as it was before this call.
    Rotated(Record),
    /// The old record was consumed longer than the grace period ago: reuse. Every record of its
    /// grant has been deleted; how many.
    Reused { revoked: u64 },
    /// No such record, or it has expired.
    Missing,
}

/// A document with the version that [`Store::put_document_if`] compares.
#[derive(Clone, Debug, PartialEq)]
pub struct Versioned {
    pub value: serde_json::Value,
    /// Starts at 1 and grows by one with every write.
    pub version: u64,
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

    /// Deletes the records of `kind` whose `key` equals `key`; returns how many.
    async fn destroy_by_key(&self, kind: Kind, key: &str) -> StoreResult<u64>;

    /// Refresh-token rotation (Logto's reuse window), atomically. When `(kind, old_id)` is live
    /// and unconsumed, or was consumed at most `grace` seconds before `now`: marks it consumed (if
    /// it was not), stores `successor` as `(kind, successor_id)`, and answers
    /// [`Rotation::Rotated`]. When it was consumed earlier than that: deletes every record of its
    /// grant ([`Rotation::Reused`]). Of any number of concurrent calls on an unconsumed record
    /// within the grace period, all rotate; none ever revives a revoked grant.
    async fn rotate(
        &self,
        kind: Kind,
        old_id: &str,
        successor_id: &str,
        successor: Record,
        grace: u64,
        now: u64,
    ) -> StoreResult<Rotation>;

    /// Deletes everything expired at `now` (records, verification codes, send counts); returns
    /// how many rows went.
    async fn purge_expired(&self, now: u64) -> StoreResult<u64>;

    // --- verification codes ---

    /// Stores `code` as the interaction's only code and counts one send to its recipient, unless
    /// the recipient already had `limits.max_sends` sends in the last `limits.window` seconds
    /// ([`Admission::RateLimited`]) or this interaction got a code for the same recipient less
    /// than `limits.resend_after` seconds ago ([`Admission::TooSoon`]). One atomic step: of any
    /// number of concurrent calls for one recipient, at most the limit are admitted.
    async fn admit_code(
        &self,
        code: &NewCode,
        limits: SendLimits,
        now: u64,
    ) -> StoreResult<Admission>;

    /// Counts one check of the interaction's code and, when `recipient` and `mac` match,
    /// consumes it — in one atomic step. At most `max_attempts` checks per code are ever counted;
    /// a used or exhausted code never verifies again.
    async fn check_code(
        &self,
        interaction: &str,
        recipient: &str,
        mac: &str,
        max_attempts: u32,
        now: u64,
    ) -> StoreResult<CodeCheck>;

    /// The interaction's code, unless missing or expired (used ones are returned).
    async fn find_code(&self, interaction: &str, now: u64) -> StoreResult<Option<StoredCode>>;

    // --- users ---

    /// Fails with [`StoreError::Conflict`] when the id or the email is taken.
    async fn create_user(&self, user: &User) -> StoreResult<()>;
    /// The account with `user`'s email if there is one (`false`), otherwise `user` stored
    /// (`true`) — with `first_account_roles` added when it is the very first account. One atomic
    /// step: concurrent calls for one address make one account, and only one account can ever
    /// be the first.
    async fn create_user_if_absent(
        &self,
        user: &User,
        first_account_roles: &[String],
    ) -> StoreResult<(User, bool)>;
    /// Sets the user's last sign-in time and adds `add_role` when missing, atomically (no lost
    /// update against concurrent changes of the same user). `None` when there is no such user.
    async fn record_sign_in(
        &self,
        id: &str,
        now_ms: i64,
        add_role: Option<&str>,
    ) -> StoreResult<Option<User>>;
    async fn find_user(&self, id: &str) -> StoreResult<Option<User>>;
    /// `email` is compared lower-cased.
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// Replaces the stored user with the same id (no error when absent).
    async fn update_user(&self, user: &User) -> StoreResult<()>;
    async fn count_users(&self) -> StoreResult<u64>;
    /// Whether any account has the role `role`.
    async fn any_user_with_role(&self, role: &str) -> StoreResult<bool>;

    // --- named JSON documents (signing keys, sign-in experience, connectors) ---

    async fn get_document(&self, name: &str) -> StoreResult<Option<serde_json::Value>>;
    /// The document with its version.
    async fn get_versioned_document(&self, name: &str) -> StoreResult<Option<Versioned>>;
    /// Writes unconditionally (tests and tools; shared documents go through [`update_document`]).
    async fn put_document(&self, name: &str, value: &serde_json::Value) -> StoreResult<()>;
    /// Compare-and-swap: writes `value` only when the stored version is `expected` (`None`: only
    /// when the document does not exist). `true` when written.
    async fn put_document_if(
        &self,
        name: &str,
        value: &serde_json::Value,
        expected: Option<u64>,
    ) -> StoreResult<bool>;

    // --- dev mailbox ---

    /// Stores a message and keeps only the newest `keep`.
    async fn push_mail(&self, mail: &Mail, keep: u32) -> StoreResult<()>;
    /// At most `limit` messages, newest first.
    async fn list_mail(&self, limit: u32) -> StoreResult<Vec<Mail>>;
}

pub type SharedStore = Arc<dyn Store>;

/// Adds the `roles` that `user` lacks: what [`Store::create_user_if_absent`] does to the first
/// account, the same in every adapter.
pub(crate) fn add_roles(user: &mut User, roles: &[String]) {
    for role in roles {
        if !user.roles.contains(role) {
            user.roles.push(role.clone());
        }
    }
}

/// What [`Store::record_sign_in`] changes, the same in every adapter.
pub(crate) fn apply_sign_in(user: &mut User, now_ms: i64, add_role: Option<&str>) {
    if let Some(role) = add_role {
        if !user.roles.iter().any(|have| have == role) {
            user.roles.push(role.to_owned());
            user.updated_at_ms = now_ms;
        }
    }
    user.last_sign_in_at_ms = Some(now_ms);
}

/// How often [`update_document`] retries a compare-and-swap that lost a race.
const UPDATE_ATTEMPTS: usize = 32;

/// Read-modify-write of the document `name` as compare-and-swap: `change` gets the stored value
/// (`None` when absent) and returns the new one, or an error that leaves the document unchanged.
/// When another writer got there first, `change` runs again on what that writer stored, so no
/// update is ever lost. A value equal to the stored one is not written. Returns the new value.
pub async fn update_document<E, F>(
    store: &dyn Store,
    name: &str,
    mut change: F,
) -> Result<serde_json::Value, E>
where
    E: From<StoreError>,
    F: FnMut(Option<serde_json::Value>) -> Result<serde_json::Value, E>,
{
    for _ in 0..UPDATE_ATTEMPTS {
        let current = store.get_versioned_document(name).await?;
        let expected = current.as_ref().map(|stored| stored.version);
        let before = current.map(|stored| stored.value);
        let next = change(before.clone())?;
        if before.as_ref() == Some(&next) {
            return Ok(next);
        }
        if store.put_document_if(name, &next, expected).await? {
            return Ok(next);
        }
        tokio::task::yield_now().await;
    }
    Err(StoreError::Backend(format!(
        "document `{name}` kept changing under concurrent writers"
    ))
    .into())
}

/// The document `name`, storing `initial()` first when it does not exist yet. Of concurrent
/// callers (several processes starting at once) exactly one value wins and all get it.
pub async fn document_or_insert(
    store: &dyn Store,
    name: &str,
    initial: impl FnOnce() -> serde_json::Value,
) -> StoreResult<serde_json::Value> {
    if let Some(value) = store.get_document(name).await? {
        return Ok(value);
    }
    let fresh = initial();
    if store.put_document_if(name, &fresh, None).await? {
        return Ok(fresh);
    }
    store
        .get_document(name)
        .await?
        .ok_or_else(|| StoreError::Backend(format!("document `{name}` vanished while created")))
}
