//! Session costs and durability: no session for anonymous visitors, at most one store read per
//! signed-in request and no write unless something changed, a session ended in the store ended
//! at once (nothing kept in memory), and sign-ins surviving a restart with the real SQLite store.

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
    saved: Arc<std::sync::Mutex<Vec<Id>>>,
}

#[async_trait]
impl SessionStore for CountingStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.create(record).await?;
        self.saved.lock().unwrap().push(record.id);
        Ok(())
    }
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.saved.lock().unwrap().push(record.id);
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
    /// The ids of the sessions saved so far that the store still holds.
    async fn ids(&self) -> Vec<Id> {
        let saved = self.saved.lock().unwrap().clone();
        let mut live = Vec::new();
        for id in saved {
            if !live.contains(&id) && self.inner.load(&id).await.unwrap().is_some() {
                live.push(id);
            }
        }
        live
    }

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

/// The app over `store`.
fn app_over(store: &CountingStore) -> impl FnOnce(leptos_logto::config::Settings) -> axum::Router {
    let store = store.clone();
    move |settings| crate::support::app_with_store(settings, store)
}

#[tokio::test]
async fn anonymous_requests_touch_no_session_and_signed_in_ones_read_once_and_write_nothing() {
    let store = CountingStore::default();
    let world = World::start_with(app_over(&store)).await;
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
async fn a_session_ended_in_the_store_is_ended_at_once_for_every_request() {
    let store = CountingStore::default();
    let world = World::start_with(app_over(&store)).await;
    let mut jar = Jar::default();
    world
        .sign_in(&mut jar, "ada@example.com", "/logto/sign-in")
        .await;
    assert_eq!(world.get(&mut jar, "/profile").await.status, StatusCode::OK);

    // Another instance signs the person out: the record leaves the shared store. Nothing in this
    // process may still answer for it.
    let ids: Vec<Id> = store.ids().await;
    assert_eq!(ids.len(), 1, "one signed-in session");
    store.inner.delete(&ids[0]).await.unwrap();
    store.reset();
    let page = world.get(&mut jar, "/profile").await;
    assert_eq!(page.status, StatusCode::FOUND, "sent to sign in again");
    assert_eq!(store.counts().0, 1, "the store was asked");
    let header = world
        .post(&mut jar, "/api/session", "", Some(APP_BASE))
        .await;
    assert!(!header.body.contains("ada@example.com"), "{}", header.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_stay_signed_in_across_a_restart_with_the_sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_owned();
    let make_app = |data_dir: std::path::PathBuf| {
        move |mut settings: leptos_logto::config::Settings| {
            settings.data_dir = data_dir;
            let engine = tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(leptos_logto::sessions::Engine::open(
                    &settings,
                    Arc::new(leptos_logto::clock::SystemClock),
                ))
            })
            .unwrap();
            crate::support::app_on(settings, &engine)
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
