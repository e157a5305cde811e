//! The grant store's rules, the same on every engine: versions move by compare-and-swap only, a
//! deleted grant stays gone, expiry, and the refresh lease, each also under many concurrent callers.

use std::sync::Arc;
use std::time::Duration;

use leptos_logto::auth::{MemoryGrants, SharedGrants};
use leptos_logto::clock::{Clock, SystemClock};
use tempfile::TempDir;
use tokio::task::JoinSet;

/// A fresh random grant id, so that tests sharing one Redis or database never meet.
fn fresh_id() -> String {
    use rand::RngCore as _;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now() -> u64 {
    SystemClock.unix_seconds()
}

const DAY: u64 = 86_400;

pub async fn memory() -> (Option<TempDir>, SharedGrants) {
    (None, MemoryGrants::shared())
}

pub async fn sqlite() -> (Option<TempDir>, SharedGrants) {
    let dir = tempfile::tempdir().unwrap();
    let engine = super::open(None, dir.path()).await;
    (Some(dir), engine.grants)
}

pub async fn redis() -> (Option<TempDir>, SharedGrants) {
    let dir = tempfile::tempdir().unwrap();
    let engine = super::open(Some(&super::redis_url()), dir.path()).await;
    (Some(dir), engine.grants)
}

pub async fn postgres() -> (Option<TempDir>, SharedGrants) {
    let dir = tempfile::tempdir().unwrap();
    let engine = super::open(Some(&super::postgres_url()), dir.path()).await;
    (Some(dir), engine.grants)
}

pub async fn created_grants_read_back_at_version_one(grants: SharedGrants) {
    let id = fresh_id();
    assert_eq!(grants.get(&id, now()).await.unwrap(), None, "unknown id");
    grants
        .create(&id, "tokens-1", now(), now() + DAY)
        .await
        .unwrap();
    let grant = grants.get(&id, now()).await.unwrap().unwrap();
    assert_eq!((grant.version, grant.tokens.as_str()), (1, "tokens-1"));
}

pub async fn a_replacement_needs_the_current_version(grants: SharedGrants) {
    let id = fresh_id();
    grants
        .create(&id, "tokens-1", now(), now() + DAY)
        .await
        .unwrap();
    assert!(grants.replace(&id, 1, "tokens-2", now()).await.unwrap());
    assert!(
        !grants.replace(&id, 1, "stale", now()).await.unwrap(),
        "an older version cannot overwrite"
    );
    let grant = grants.get(&id, now()).await.unwrap().unwrap();
    assert_eq!((grant.version, grant.tokens.as_str()), (2, "tokens-2"));
    assert!(
        !grants.replace(&fresh_id(), 1, "x", now()).await.unwrap(),
        "unknown id"
    );
}

pub async fn a_deleted_grant_stays_gone(grants: SharedGrants) {
    let id = fresh_id();
    grants
        .create(&id, "tokens-1", now(), now() + DAY)
        .await
        .unwrap();
    grants.delete(&id).await.unwrap();
    assert_eq!(grants.get(&id, now()).await.unwrap(), None);
    assert!(!grants.replace(&id, 1, "back", now()).await.unwrap());
    assert_eq!(
        grants.get(&id, now()).await.unwrap(),
        None,
        "not resurrected"
    );
    grants.delete(&id).await.unwrap();
}

pub async fn an_expired_grant_is_gone(grants: SharedGrants) {
    let id = fresh_id();
    let start = now();
    grants
        .create(&id, "tokens-1", start, start + 1)
        .await
        .unwrap();
    assert!(grants.get(&id, start).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert_eq!(grants.get(&id, start + 2).await.unwrap(), None);
    assert!(!grants.replace(&id, 1, "late", start + 2).await.unwrap());
}

pub async fn a_lease_is_exclusive_until_it_runs_out(grants: SharedGrants) {
    let id = fresh_id();
    let start = now();
    let second = Duration::from_secs(1);
    assert!(grants.lease(&id, "a", start, second).await.unwrap());
    assert!(!grants.lease(&id, "b", start, second).await.unwrap());
    assert!(
        !grants.lease(&id, "a", start, second).await.unwrap(),
        "not twice"
    );
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert!(
        grants.lease(&id, "b", start + 2, second).await.unwrap(),
        "a lease that ran out is taken over"
    );
}

pub async fn only_the_holder_releases_a_lease(grants: SharedGrants) {
    let id = fresh_id();
    let minute = Duration::from_secs(60);
    assert!(grants.lease(&id, "a", now(), minute).await.unwrap());
    grants.release(&id, "b").await.unwrap();
    assert!(
        !grants.lease(&id, "c", now(), minute).await.unwrap(),
        "b cannot release a's"
    );
    grants.release(&id, "a").await.unwrap();
    assert!(grants.lease(&id, "c", now(), minute).await.unwrap());
    grants.delete(&id).await.unwrap();
    assert!(
        grants.lease(&id, "d", now(), minute).await.unwrap(),
        "deleting a grant ends its lease"
    );
}

pub async fn of_many_concurrent_replacements_exactly_one_wins(grants: SharedGrants) {
    let id = fresh_id();
    grants
        .create(&id, "tokens-1", now(), now() + DAY)
        .await
        .unwrap();
    let mut racers = JoinSet::new();
    for n in 0..40 {
        let (grants, id) = (Arc::clone(&grants), id.clone());
        racers.spawn(async move { grants.replace(&id, 1, &format!("tokens-{n}"), now()).await });
    }
    let mut wins = 0;
    while let Some(won) = racers.join_next().await {
        wins += usize::from(won.unwrap().unwrap());
    }
    assert_eq!(wins, 1);
    assert_eq!(grants.get(&id, now()).await.unwrap().unwrap().version, 2);
}

pub async fn of_many_concurrent_leases_exactly_one_is_taken(grants: SharedGrants) {
    let id = fresh_id();
    let mut racers = JoinSet::new();
    for n in 0..40 {
        let (grants, id) = (Arc::clone(&grants), id.clone());
        racers.spawn(async move {
            grants
                .lease(&id, &format!("holder-{n}"), now(), Duration::from_secs(30))
                .await
        });
    }
    let mut taken = 0;
    while let Some(won) = racers.join_next().await {
        taken += usize::from(won.unwrap().unwrap());
    }
    assert_eq!(taken, 1);
}

/// One `#[tokio::test]` per rule for the engine that `$open` opens.
macro_rules! grant_rules {
    ($engine:ident: $($rule:ident),* $(,)?) => {
        mod $engine {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $rule() {
                    let (_dir, grants) = super::$engine().await;
                    super::$rule(grants).await;
                }
            )*
        }
    };
}

macro_rules! every_rule {
    ($($engine:ident),*) => {
        $(
            grant_rules!($engine:
                created_grants_read_back_at_version_one,
                a_replacement_needs_the_current_version,
                a_deleted_grant_stays_gone,
                an_expired_grant_is_gone,
                a_lease_is_exclusive_until_it_runs_out,
                only_the_holder_releases_a_lease,
                of_many_concurrent_replacements_exactly_one_wins,
                of_many_concurrent_leases_exactly_one_is_taken,
            );
        )*
    };
}

every_rule!(memory, sqlite, redis, postgres);
