//! Grants in Redis: a hash per grant (`v` version, `t` tokens) that expires with the grant, and a
//! lease key per grant taken with `SET NX EX`. Replacing and releasing are small Lua scripts, which
//! Redis runs atomically, so concurrent callers on any number of instances agree.

use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::{ClientLike, Expiration, HashesInterface, KeysInterface, LuaInterface, Pool};
use fred::types::SetOptions;

use crate::auth::grants::lease_secs;
use crate::auth::{GrantStore, GrantStoreError, StoredGrant};

const CREATE: &str = "redis.call('HSET', KEYS[1], 'v', 1, 't', ARGV[1]) \
     redis.call('EXPIRE', KEYS[1], ARGV[2]) return 1";
const REPLACE: &str = "if redis.call('HGET', KEYS[1], 'v') == ARGV[1] then \
     redis.call('HSET', KEYS[1], 'v', tonumber(ARGV[1]) + 1, 't', ARGV[2]) return 1 \
     else return 0 end";
const RELEASE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
     return redis.call('DEL', KEYS[1]) else return 0 end";

/// Grants on a Redis connection pool.
pub struct RedisGrants {
    pool: Pool,
}

fn grant_key(id: &str) -> String {
    format!("leptos_logto:grant:{id}")
}

fn lease_key(id: &str) -> String {
    format!("leptos_logto:grant-lease:{id}")
}

/// Never a key or a value: only what kind of failure.
fn failed(error: &fred::error::Error) -> GrantStoreError {
    use fred::error::ErrorKind;
    let kind = match error.kind() {
        ErrorKind::IO | ErrorKind::Canceled => "Redis is unreachable",
        ErrorKind::Timeout => "Redis did not answer in time",
        ErrorKind::Auth => "Redis refused the credentials",
        _ => "Redis failed",
    };
    GrantStoreError(kind.to_owned())
}

impl RedisGrants {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl GrantStore for RedisGrants {
    async fn create(
        &self,
        id: &str,
        tokens: &str,
        now: u64,
        expires_at: u64,
    ) -> Result<(), GrantStoreError> {
        let ttl = expires_at.saturating_sub(now).max(1);
        let _: i64 = self
            .pool
            .eval(
                CREATE,
                vec![grant_key(id)],
                vec![tokens.to_owned(), ttl.to_string()],
            )
            .await
            .map_err(|e| failed(&e))?;
        Ok(())
    }

    async fn get(&self, id: &str, _now: u64) -> Result<Option<StoredGrant>, GrantStoreError> {
        let (version, tokens): (Option<u64>, Option<String>) = self
            .pool
            .hmget(grant_key(id), vec!["v", "t"])
            .await
            .map_err(|e| failed(&e))?;
        Ok(version
            .zip(tokens)
            .map(|(version, tokens)| StoredGrant { version, tokens }))
    }

    async fn replace(
        &self,
        id: &str,
        version: u64,
        tokens: &str,
        _now: u64,
    ) -> Result<bool, GrantStoreError> {
        let replaced: i64 = self
            .pool
            .eval(
                REPLACE,
                vec![grant_key(id)],
                vec![version.to_string(), tokens.to_owned()],
            )
            .await
            .map_err(|e| failed(&e))?;
        Ok(replaced == 1)
    }

    async fn delete(&self, id: &str) -> Result<(), GrantStoreError> {
        let _: i64 = self
            .pool
            .del(vec![grant_key(id), lease_key(id)])
            .await
            .map_err(|e| failed(&e))?;
        Ok(())
    }

    async fn lease(
        &self,
        id: &str,
        holder: &str,
        _now: u64,
        ttl: Duration,
    ) -> Result<bool, GrantStoreError> {
        let seconds = i64::try_from(lease_secs(ttl)).unwrap_or(i64::MAX);
        let taken: Option<String> = self
            .pool
            .set(
                lease_key(id),
                holder,
                Some(Expiration::EX(seconds)),
                Some(SetOptions::NX),
                false,
            )
            .await
            .map_err(|e| failed(&e))?;
        Ok(taken.is_some())
    }

    async fn release(&self, id: &str, holder: &str) -> Result<(), GrantStoreError> {
        let _: i64 = self
            .pool
            .eval(RELEASE, vec![lease_key(id)], vec![holder.to_owned()])
            .await
            .map_err(|e| failed(&e))?;
        Ok(())
    }

    async fn ping(&self) -> Result<(), GrantStoreError> {
        let _: String = self.pool.ping(None).await.map_err(|e| failed(&e))?;
        Ok(())
    }
}
