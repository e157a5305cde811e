//! `MemoryStore`: the in-memory [`Store`] adapter, for tests and as the reference reading of the
//! contract. All state sits behind one mutex, so every operation (notably `consume`) is atomic;
//! the lock is never held across an `.await`. Nothing survives the process.

use super::{Consumed, Kind, Mail, Record, Store, StoreError, StoreResult, User};
use async_trait::async_trait;
use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Everything the store holds.
#[derive(Default)]
struct State {
    records: HashMap<(Kind, String), Record>,
    users: HashMap<String, User>,
    documents: HashMap<String, serde_json::Value>,
    /// In insertion order (oldest first).
    mail: Vec<Mail>,
}

/// An in-memory [`Store`].
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every operation is a single step under the lock, so a panic elsewhere cannot have left the
    /// state half-written: a poisoned lock is still safe to use.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn is_live(record: &Record, now: u64) -> bool {
    record.expires_at > now
}

fn record_key(kind: Kind, id: &str) -> (Kind, String) {
    (kind, id.to_owned())
}

fn lower_email(user: &User) -> Option<String> {
    user.primary_email.as_deref().map(str::to_lowercase)
}

/// Whether a user other than `except_id` already has `user`'s email.
fn email_taken(users: &HashMap<String, User>, user: &User, except_id: &str) -> bool {
    let Some(email) = lower_email(user) else {
        return false;
    };
    users
        .values()
        .any(|other| other.id != except_id && lower_email(other).as_deref() == Some(&email))
}

fn count_as_u64(count: usize) -> u64 {
    u64::try_from(count).unwrap_or(u64::MAX)
}

#[async_trait]
impl Store for MemoryStore {
    async fn upsert(&self, kind: Kind, id: &str, record: Record) -> StoreResult<()> {
        self.state().records.insert(record_key(kind, id), record);
        Ok(())
    }

    async fn find(&self, kind: Kind, id: &str, now: u64) -> StoreResult<Option<Record>> {
        let state = self.state();
        let record = state.records.get(&record_key(kind, id));
        Ok(record.filter(|record| is_live(record, now)).cloned())
    }

    async fn consume(&self, kind: Kind, id: &str, now: u64) -> StoreResult<Consumed> {
        let mut state = self.state();
        let Some(record) = state.records.get_mut(&record_key(kind, id)) else {
            return Ok(Consumed::Missing);
        };
        if !is_live(record, now) {
            return Ok(Consumed::Missing);
        }
        if record.consumed_at.is_some() {
            return Ok(Consumed::Already(record.clone()));
        }
        let before = record.clone();
        record.consumed_at = Some(now);
        Ok(Consumed::First(before))
    }

    async fn destroy(&self, kind: Kind, id: &str) -> StoreResult<()> {
        self.state().records.remove(&record_key(kind, id));
        Ok(())
    }

    async fn revoke_by_grant(&self, grant_id: &str) -> StoreResult<u64> {
        let mut state = self.state();
        let before = state.records.len();
        state
            .records
            .retain(|_, record| record.grant_id.as_deref() != Some(grant_id));
        Ok(count_as_u64(before - state.records.len()))
    }

    async fn count_by_key(&self, kind: Kind, key: &str, now: u64) -> StoreResult<u64> {
        let state = self.state();
        let count = state
            .records
            .iter()
            .filter(|((record_kind, _), record)| {
                *record_kind == kind && record.key.as_deref() == Some(key) && is_live(record, now)
            })
            .count();
        Ok(count_as_u64(count))
    }

    async fn destroy_by_key(&self, kind: Kind, key: &str) -> StoreResult<u64> {
        let mut state = self.state();
        let before = state.records.len();
        state.records.retain(|(record_kind, _), record| {
            !(*record_kind == kind && record.key.as_deref() == Some(key))
        });
        Ok(count_as_u64(before - state.records.len()))
    }

    async fn purge_expired(&self, now: u64) -> StoreResult<u64> {
        let mut state = self.state();
        let before = state.records.len();
        state.records.retain(|_, record| is_live(record, now));
        Ok(count_as_u64(before - state.records.len()))
    }

    async fn create_user(&self, user: &User) -> StoreResult<()> {
        let mut state = self.state();
        if state.users.contains_key(&user.id) {
            return Err(StoreError::Conflict(format!("user id {}", user.id)));
        }
        if email_taken(&state.users, user, &user.id) {
            return Err(StoreError::Conflict("user email".to_owned()));
        }
        state.users.insert(user.id.clone(), user.clone());
        Ok(())
    }

    async fn find_user(&self, id: &str) -> StoreResult<Option<User>> {
        Ok(self.state().users.get(id).cloned())
    }

    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let email = email.to_lowercase();
        let state = self.state();
        let user = state
            .users
            .values()
            .find(|user| lower_email(user).as_deref() == Some(&email));
        Ok(user.cloned())
    }

    async fn update_user(&self, user: &User) -> StoreResult<()> {
        let mut state = self.state();
        if !state.users.contains_key(&user.id) {
            return Ok(());
        }
        if email_taken(&state.users, user, &user.id) {
            return Err(StoreError::Conflict("user email".to_owned()));
        }
        state.users.insert(user.id.clone(), user.clone());
        Ok(())
    }

    async fn count_users(&self) -> StoreResult<u64> {
        Ok(count_as_u64(self.state().users.len()))
    }

    async fn get_document(&self, name: &str) -> StoreResult<Option<serde_json::Value>> {
        Ok(self.state().documents.get(name).cloned())
    }

    async fn put_document(&self, name: &str, value: &serde_json::Value) -> StoreResult<()> {
        self.state()
            .documents
            .insert(name.to_owned(), value.clone());
        Ok(())
    }

    async fn push_mail(&self, mail: &Mail) -> StoreResult<()> {
        self.state().mail.push(mail.clone());
        Ok(())
    }

    async fn list_mail(&self, limit: u32) -> StoreResult<Vec<Mail>> {
        let state = self.state();
        let mut newest_first: Vec<Mail> = state.mail.iter().rev().cloned().collect();
        // Stable sort: equal `sent_at` keeps the later insert first.
        newest_first.sort_by_key(|mail| Reverse(mail.sent_at));
        newest_first.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(newest_first)
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryStore;
    use crate::idp::store::SharedStore;
    use std::sync::Arc;

    async fn fresh_store() -> (SharedStore, ()) {
        (Arc::new(MemoryStore::new()), ())
    }

    crate::idp::store::conformance::conformance_suite!(fresh_store());
}
