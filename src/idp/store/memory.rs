//! `MemoryStore`: the in-memory [`Store`] adapter, for tests and as the reference reading of the
//! contract. All state sits behind one mutex, so every operation (notably `consume`) is atomic;
//! the lock is never held across an `.await`. Nothing survives the process.

use super::{
    Admission, CodeCheck, Consumed, Kind, Mail, NewCode, Record, Rotation, SendLimits, Store,
    StoreError, StoreResult, StoredCode, User, Versioned,
};
use async_trait::async_trait;
use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Everything the store holds.
#[derive(Default)]
struct State {
    records: HashMap<(Kind, String), Record>,
    users: HashMap<String, User>,
    documents: HashMap<String, Versioned>,
    /// Verification codes by interaction.
    codes: HashMap<String, StoredCode>,
    /// Per recipient: when each counted send stops counting (Unix seconds).
    sends: HashMap<String, Vec<u64>>,
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

fn revoke(records: &mut HashMap<(Kind, String), Record>, grant_id: &str) -> u64 {
    let before = records.len();
    records.retain(|_, record| record.grant_id.as_deref() != Some(grant_id));
    count_as_u64(before - records.len())
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
        Ok(revoke(&mut self.state().records, grant_id))
    }

    async fn destroy_by_key(&self, kind: Kind, key: &str) -> StoreResult<u64> {
        let mut state = self.state();
        let before = state.records.len();
        state.records.retain(|(record_kind, _), record| {
            !(*record_kind == kind && record.key.as_deref() == Some(key))
        });
        Ok(count_as_u64(before - state.records.len()))
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
        let mut state = self.state();
        let Some(old) = state.records.get_mut(&record_key(kind, old_id)) else {
            return Ok(Rotation::Missing);
        };
        if !is_live(old, now) {
            return Ok(Rotation::Missing);
        }
        let before = old.clone();
        match old.consumed_at {
            Some(consumed_at) if now.saturating_sub(consumed_at) > grace => {
                let revoked = match before.grant_id.as_deref() {
                    Some(grant_id) => revoke(&mut state.records, grant_id),
                    None => {
                        state.records.remove(&record_key(kind, old_id));
                        1
                    }
                };
                return Ok(Rotation::Reused { revoked });
            }
            Some(_) => {}
            None => old.consumed_at = Some(now),
        }
        state
            .records
            .insert(record_key(kind, successor_id), successor);
        Ok(Rotation::Rotated(before))
    }

    async fn purge_expired(&self, now: u64) -> StoreResult<u64> {
        let mut state = self.state();
        let mut purged = 0;
        let before = state.records.len();
        state.records.retain(|_, record| is_live(record, now));
        purged += before - state.records.len();
        let before = state.codes.len();
        state.codes.retain(|_, code| code.expires_at > now);
        purged += before - state.codes.len();
        for sends in state.sends.values_mut() {
            let before = sends.len();
            sends.retain(|until| *until > now);
            purged += before - sends.len();
        }
        state.sends.retain(|_, sends| !sends.is_empty());
        Ok(count_as_u64(purged))
    }

    async fn admit_code(
        &self,
        code: &NewCode,
        limits: SendLimits,
        now: u64,
    ) -> StoreResult<Admission> {
        let mut state = self.state();
        if let Some(earlier) = state.codes.get(&code.interaction) {
            let ready_at = earlier.issued_at.saturating_add(limits.resend_after);
            if earlier.recipient == code.recipient && earlier.expires_at > now && ready_at > now {
                return Ok(Admission::TooSoon {
                    wait: ready_at - now,
                });
            }
        }
        let sends = state.sends.entry(code.recipient.clone()).or_default();
        sends.retain(|until| *until > now);
        if count_as_u64(sends.len()) >= limits.max_sends {
            return Ok(Admission::RateLimited);
        }
        sends.push(now.saturating_add(limits.window));
        state.codes.insert(
            code.interaction.clone(),
            StoredCode {
                recipient: code.recipient.clone(),
                mac: code.mac.clone(),
                issued_at: now,
                expires_at: code.expires_at,
                attempts: 0,
                consumed_at: None,
            },
        );
        Ok(Admission::Admitted)
    }

    async fn check_code(
        &self,
        interaction: &str,
        recipient: &str,
        mac: &str,
        max_attempts: u32,
        now: u64,
    ) -> StoreResult<CodeCheck> {
        let mut state = self.state();
        let Some(code) = state.codes.get_mut(interaction) else {
            return Ok(CodeCheck::Missing);
        };
        if code.expires_at <= now || code.consumed_at.is_some() {
            return Ok(CodeCheck::Missing);
        }
        if code.attempts >= max_attempts {
            return Ok(CodeCheck::Exhausted);
        }
        code.attempts += 1;
        if code.recipient == recipient && code.mac == mac {
            code.consumed_at = Some(now);
            return Ok(CodeCheck::Verified);
        }
        Ok(CodeCheck::Wrong {
            attempts_left: max_attempts - code.attempts,
        })
    }

    async fn find_code(&self, interaction: &str, now: u64) -> StoreResult<Option<StoredCode>> {
        let state = self.state();
        let code = state.codes.get(interaction);
        Ok(code.filter(|code| code.expires_at > now).cloned())
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

    async fn create_user_if_absent(
        &self,
        user: &User,
        first_account_roles: &[String],
    ) -> StoreResult<(User, bool)> {
        let mut state = self.state();
        if let Some(email) = lower_email(user) {
            let existing = state
                .users
                .values()
                .find(|other| lower_email(other).as_deref() == Some(&email));
            if let Some(existing) = existing {
                return Ok((existing.clone(), false));
            }
        }
        if state.users.contains_key(&user.id) {
            return Err(StoreError::Conflict(format!("user id {}", user.id)));
        }
        let mut created = user.clone();
        if state.users.is_empty() {
            super::add_roles(&mut created, first_account_roles);
        }
        state.users.insert(created.id.clone(), created.clone());
        Ok((created, true))
    }

    async fn record_sign_in(
        &self,
        id: &str,
        now_ms: i64,
        add_role: Option<&str>,
    ) -> StoreResult<Option<User>> {
        let mut state = self.state();
        let Some(user) = state.users.get_mut(id) else {
            return Ok(None);
        };
        super::apply_sign_in(user, now_ms, add_role);
        Ok(Some(user.clone()))
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

    async fn any_user_with_role(&self, role: &str) -> StoreResult<bool> {
        let state = self.state();
        Ok(state
            .users
            .values()
            .any(|user| user.roles.iter().any(|have| have == role)))
    }

    async fn get_document(&self, name: &str) -> StoreResult<Option<serde_json::Value>> {
        let state = self.state();
        Ok(state.documents.get(name).map(|stored| stored.value.clone()))
    }

    async fn get_versioned_document(&self, name: &str) -> StoreResult<Option<Versioned>> {
        Ok(self.state().documents.get(name).cloned())
    }

    async fn put_document(&self, name: &str, value: &serde_json::Value) -> StoreResult<()> {
        let mut state = self.state();
        let version = state.documents.get(name).map_or(0, |stored| stored.version) + 1;
        state.documents.insert(
            name.to_owned(),
            Versioned {
                value: value.clone(),
                version,
            },
        );
        Ok(())
    }

    async fn put_document_if(
        &self,
        name: &str,
        value: &serde_json::Value,
        expected: Option<u64>,
    ) -> StoreResult<bool> {
        let mut state = self.state();
        let current = state.documents.get(name).map(|stored| stored.version);
        if current != expected {
            return Ok(false);
        }
        state.documents.insert(
            name.to_owned(),
            Versioned {
                value: value.clone(),
                version: expected.unwrap_or(0) + 1,
            },
        );
        Ok(true)
    }

    async fn push_mail(&self, mail: &Mail, keep: u32) -> StoreResult<()> {
        let mut state = self.state();
        state.mail.push(mail.clone());
        let keep = usize::try_from(keep).unwrap_or(usize::MAX);
        if state.mail.len() > keep {
            // Oldest first by time, then insertion: drop from the front of that order.
            state.mail.sort_by_key(|mail| mail.sent_at);
            let excess = state.mail.len() - keep;
            state.mail.drain(..excess);
        }
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
