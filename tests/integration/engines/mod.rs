//! The app's session engines for real: the grant store's rules on each (memory, SQLite, Redis,
//! PostgreSQL), several app instances on one Redis or PostgreSQL, and the engine failing and
//! coming back. Redis and PostgreSQL come from `scripts/lib/engines.sh` (the test command starts
//! them); without them these tests fail and say how to get them.

mod faults;
mod grants;
mod instances;

use std::path::Path;
use std::sync::Arc;

use leptos_logto::clock::SystemClock;
use leptos_logto::sessions::Engine;

/// The URL of a running Redis, from `TEST_REDIS_URL`.
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").expect(
        "TEST_REDIS_URL is unset: run ./scripts/test, or first \
         `source scripts/lib/tools.sh && source scripts/lib/engines.sh && ensure_redis`",
    )
}

/// The URL of a running PostgreSQL database, from `TEST_POSTGRES_URL`.
pub fn postgres_url() -> String {
    std::env::var("TEST_POSTGRES_URL").expect(
        "TEST_POSTGRES_URL is unset: run ./scripts/test, or first \
         `source scripts/lib/tools.sh && source scripts/lib/engines.sh && ensure_postgres`",
    )
}

/// The engine `store_url` names (SQLite in `data_dir` when `None`), opened as the app opens it.
pub async fn open(store_url: Option<&str>, data_dir: &Path) -> Engine {
    let overrides: Vec<(&str, &str)> = store_url
        .map(|url| vec![("SESSION_STORE_URL", url)])
        .unwrap_or_default();
    let mut settings = crate::support::settings(&overrides);
    settings.data_dir = data_dir.to_owned();
    Engine::open(&settings, Arc::new(SystemClock))
        .await
        .expect("the session engine opens")
}
