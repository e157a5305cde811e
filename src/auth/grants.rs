//! Where a signed-in session's tokens live: a **grant** kept apart from the session record and
//! changed only by atomic operations of the session engine ([`GrantStore`]), so that any number of
//! requests and app instances agree on the newest tokens. The session record only names its grant.
//!
//! Why apart: tower-sessions writes a session's whole record back at the end of every request, so
//! tokens inside it would be overwritten by any request that loaded them before a refresh (the
//! rotated refresh token lost, the next refresh reusing a spent one, and Logto revoking the grant),
//! and a request still in flight after a sign-out would write them back. A grant is replaced only
//! if its version is still the one the refresher read ([`GrantStore::replace`]) and is gone for
//! good once deleted.
//!
//! The refresh **lease** ([`GrantStore::lease`]) lets exactly one holder, in any instance, refresh
//! a grant at a time; the others wait for its new version.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::{SharedClock, SystemClock};

/// A grant as stored: its version (1 when created, +1 per replacement) and its encoded tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredGrant {
    pub version: u64,
    pub tokens: String,
}

/// The session engine failed or could not be reached; never names a key or a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the session engine failed: {0}")]
pub struct GrantStoreError(pub String);

/// The grant operations every session engine provides, each one atomic for any number of
/// concurrent callers in any number of processes. Times are Unix seconds from the caller's clock.
#[async_trait]
pub trait GrantStore: Send + Sync {
    /// Stores a new grant `id` (fresh and random) at version 1, kept until `expires_at`.
    async fn create(
        &self,
        id: &str,
        tokens: &str,
        now: u64,
        expires_at: u64,
    ) -> Result<(), GrantStoreError>;

    /// The grant, unless it was deleted or has expired.
    async fn get(&self, id: &str, now: u64) -> Result<Option<StoredGrant>, GrantStoreError>;

    /// Replaces the tokens (version + 1) only if the grant is still at `version`; `false` when it
    /// was replaced or deleted meanwhile, and then nothing changes.
    async fn replace(
        &self,
        id: &str,
        version: u64,
        tokens: &str,
        now: u64,
    ) -> Result<bool, GrantStoreError>;

    /// Deletes the grant (and any lease on it); deleting a missing grant is not an error.
    async fn delete(&self, id: &str) -> Result<(), GrantStoreError>;

    /// Takes the refresh lease of grant `id` for `holder` until `now + ttl` unless another holder
    /// has a live one: `true` when taken.
    async fn lease(
        &self,
        id: &str,
        holder: &str,
        now: u64,
        ttl: Duration,
    ) -> Result<bool, GrantStoreError>;

    /// Gives the lease back if `holder` still has it.
    async fn release(&self, id: &str, holder: &str) -> Result<(), GrantStoreError>;

    /// Whether the engine answers (for `/readyz`).
    async fn ping(&self) -> Result<(), GrantStoreError>;
}

/// The grant store the app uses, shared by every request.
pub type SharedGrants = Arc<dyn GrantStore>;

/// The grant store with what creating and reading grants needs: the clock, and how long a grant
/// is kept (the session's absolute lifetime).
#[derive(Clone)]
pub struct Grants {
    pub store: SharedGrants,
    pub clock: SharedClock,
    pub lifetime: Duration,
}

impl Grants {
    pub fn new(store: SharedGrants, clock: SharedClock, lifetime: Duration) -> Self {
        Self {
            store,
            clock,
            lifetime,
        }
    }

    /// In process memory on the system clock, kept for 30 days: for tests.
    pub fn memory() -> Self {
        Self::new(
            MemoryGrants::shared(),
            Arc::new(SystemClock),
            Duration::from_secs(30 * 86_400),
        )
    }

    /// The clock's time, Unix seconds.
    pub fn now(&self) -> u64 {
        self.clock.unix_seconds()
    }
}

/// Whole seconds of a lease, at least one.
pub fn lease_secs(ttl: Duration) -> u64 {
    ttl.as_secs().max(1)
}

/// Grants in process memory: for tests and a single instance on the in-memory session store. One
/// lock makes every operation atomic.
#[derive(Default)]
pub struct MemoryGrants {
    state: Mutex<MemoryState>,
}

#[derive(Default)]
struct MemoryState {
    grants: HashMap<String, (StoredGrant, u64)>,
    leases: HashMap<String, (String, u64)>,
}

impl MemoryGrants {
    pub fn new() -> Self {
        Self::default()
    }

    /// A new memory grant store, shared.
    pub fn shared() -> SharedGrants {
        Arc::new(Self::new())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl GrantStore for MemoryGrants {
    async fn create(
        &self,
        id: &str,
        tokens: &str,
        _now: u64,
        expires_at: u64,
    ) -> Result<(), GrantStoreError> {
        let grant = StoredGrant {
            version: 1,
            tokens: tokens.to_owned(),
        };
        self.state()
            .grants
            .insert(id.to_owned(), (grant, expires_at));
        Ok(())
    }

    async fn get(&self, id: &str, now: u64) -> Result<Option<StoredGrant>, GrantStoreError> {
        Ok(self
            .state()
            .grants
            .get(id)
            .filter(|(_, expires_at)| now < *expires_at)
            .map(|(grant, _)| grant.clone()))
    }

    async fn replace(
        &self,
        id: &str,
        version: u64,
        tokens: &str,
        now: u64,
    ) -> Result<bool, GrantStoreError> {
        let mut state = self.state();
        match state.grants.get_mut(id) {
            Some((grant, expires_at)) if grant.version == version && now < *expires_at => {
                grant.version += 1;
                tokens.clone_into(&mut grant.tokens);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn delete(&self, id: &str) -> Result<(), GrantStoreError> {
        let mut state = self.state();
        state.grants.remove(id);
        state.leases.remove(id);
        Ok(())
    }

    async fn lease(
        &self,
        id: &str,
        holder: &str,
        now: u64,
        ttl: Duration,
    ) -> Result<bool, GrantStoreError> {
        let mut state = self.state();
        if state.leases.get(id).is_some_and(|(_, until)| now < *until) {
            return Ok(false);
        }
        let until = now.saturating_add(lease_secs(ttl));
        state
            .leases
            .insert(id.to_owned(), (holder.to_owned(), until));
        Ok(true)
    }

    async fn release(&self, id: &str, holder: &str) -> Result<(), GrantStoreError> {
        let mut state = self.state();
        if state
            .leases
            .get(id)
            .is_some_and(|(owner, _)| owner == holder)
        {
            state.leases.remove(id);
        }
        Ok(())
    }

    async fn ping(&self) -> Result<(), GrantStoreError> {
        Ok(())
    }
}
