//! Session costs and durability: no session for anonymous visitors, at most one store read per
//! signed-in request and no write unless something changed, and sign-ins surviving a restart
//! with the real SQLite store.

use super::world::*;
use async_trait::async_trait;
use http::StatusCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions::MemoryStore;

/// A memory store that counts what the app asks of it.
#[derive(Clone, Debug, Default)]
struct CountingStore {
    inner: MemoryStore,
    loads: Arc<AtomicUsize>,
    writes: Arc<AtomicUsize>,
}

#[async_trait]
impl SessionStore for CountingStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.create(record).await
    }
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.save(record).await
    }
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.inner.load(id).await
    }
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.delete(id).await
    }
}

impl CountingStore {
    fn reset(&self) {
        self.loads.store(0, Ordering::SeqCst);
        self.writes.store(0, Ordering::SeqCst);
    }
    fn counts(&self) -> (usize, usize) {
        (
            self.loads.load(Ordering::SeqCst),
            self.writes.load(Ordering::SeqCst),
        )
    }
}

/// The app over `store`, with the session cache holding `cached_sessions` records.
fn app_over(
    store: &CountingStore,
    cached_sessions: u64,
) -> impl FnOnce(leptos_logto::config::Settings) -> axum::Router {
    let store = store.clone();
    move |mut settings| {
        settings.cache.session_entries = cached_sessions;
        crate::support::app_with_store(settings, store)
    }
}

#[tokio::test]
async fn anonymous_requests_touch_no_session_and_signed_in_ones_read_once_and_write_nothing() {
    let store = CountingStore::default();
    let world = World::start_with(app_over(&store, 0)).await;
    let mut jar = Jar::default();

    store.reset();
    for path in ["/", "/sign-in-error?reason=expired", "/nowhere"] {
        let reply = world.get(&mut jar, path).await;
        assert!(
            reply.headers.get(http::header::SET_COOKIE).is_none(),
            "{path} set a cookie"
        );
    }
    assert_eq!(
        store.counts(),
        (0, 0),
        "anonymous pages touched the session store"
    );

    world
        .sign_in(&mut jar, "ada@example.com", "/logto/sign-in")
        .await;
    for round in 0..2 {
        store.reset();
        let page = world.get(&mut jar, "/profile").await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(
            store.counts(),
            (1, 0),
            "one read, no write for a signed-in page (view {round})"
        );
        assert!(page.headers.get(http::header::SET_COOKIE).is_none());
    }

    store.reset();
    world
        .post(&mut jar, "/api/session", "", Some(APP_BASE))
        .await;
    assert_eq!(
        store.counts(),
        (1, 0),
        "one read, no write for a server function"
    );
}

#[tokio::test]
async fn with_the_session_cache_signed_in_requests_read_the_store_only_after_a_restart() {
    let store = CountingStore::default();
    let mut world = World::start_with(app_over(&store, 100)).await;
    let mut jar = Jar::default();
    world
        .sign_in(&mut jar, "ada@example.com", "/logto/sign-in")
        .await;
    assert!(store.counts().1 > 0, "the sign-in was written to the store");

    store.reset();
    for _ in 0..3 {
        assert_eq!(world.get(&mut jar, "/profile").await.status, StatusCode::OK);
    }
    world
        .post(&mut jar, "/api/session", "", Some(APP_BASE))
        .await;
    assert_eq!(
        store.counts(),
        (0, 0),
        "the sign-in went through the cache: no reads, no writes"
    );

    // A new process has an empty cache: one read fills it.
    world.restart(app_over(&store, 100));
    store.reset();
    for _ in 0..3 {
        assert_eq!(world.get(&mut jar, "/profile").await.status, StatusCode::OK);
    }
    assert_eq!(
        store.counts(),
        (1, 0),
        "one read after the restart, then memory"
    );

    // Signing out deletes the record from the store and from memory.
    let signed_out = world
        .post(&mut jar, "/api/sign-out", "", Some(APP_BASE))
        .await;
    assert!(signed_out.status.is_redirection() || signed_out.status.is_success());
    store.reset();
    let page = world.get(&mut jar, "/profile").await;
    assert_eq!(page.status, StatusCode::FOUND, "signed out everywhere");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_stay_signed_in_across_a_restart_with_the_sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_owned();
    let make_app = |data_dir: std::path::PathBuf| {
        move |mut settings: leptos_logto::config::Settings| {
            settings.data_dir = data_dir;
            let sessions = tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current()
                    .block_on(leptos_logto::server::session::sqlite_layer(&settings))
            })
            .unwrap();
            let state = leptos_logto::server::AppState::new(
                settings,
                Arc::new(leptos_logto::clock::SystemClock),
            )
            .unwrap();
            leptos_logto::server::router(state, sessions)
        }
    };
    let mut world = World::start_with(make_app(data_dir.clone())).await;
    let mut jar = Jar::default();
    world
        .sign_in(&mut jar, "ada@example.com", "/logto/sign-in")
        .await;
    assert_eq!(world.get(&mut jar, "/profile").await.status, StatusCode::OK);

    world.restart(make_app(data_dir));
    let after = world.get(&mut jar, "/profile").await;
    assert_eq!(
        after.status,
        StatusCode::OK,
        "still signed in after the restart"
    );
    assert!(after.body.contains("ada@example.com"));
}
