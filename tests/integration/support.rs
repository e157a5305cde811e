//! Shared helpers: settings for tests and one-shot requests against the router (no socket).

use axum::body::Body;
use http::{Request, Response};
use http_body_util::BodyExt;
use leptos_logto::clock::SystemClock;
use leptos_logto::config::{self, Settings};
use leptos_logto::server::{router, session, AppState};
use leptos_logto::sessions::Engine;
use std::sync::Arc;
use tower::ServiceExt;

/// The shipped development settings, with `overrides` as environment variables.
pub fn settings(overrides: &[(&str, &str)]) -> Settings {
    let file = include_str!("../../Leptos.toml");
    let overrides: Vec<(String, String)> = overrides
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let env = move |name: &str| {
        overrides
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    config::load(Some(("Leptos.toml", file)), &env).expect("test settings are valid")
}

/// The whole app router with its sessions in memory.
pub fn app(settings: Settings) -> axum::Router {
    app_on(settings, &Engine::memory())
}

/// The whole app router over the given session store (grants in memory).
pub fn app_with_store<S: tower_sessions::SessionStore + Clone>(
    settings: Settings,
    store: S,
) -> axum::Router {
    let sessions = session::layer(store, &settings);
    let state = AppState::new(
        settings,
        Arc::new(SystemClock),
        leptos_logto::auth::MemoryGrants::shared(),
    )
    .expect("auth service");
    router(state, sessions, leptos_logto::app::site())
}

/// The whole app router over the given session engine (several routers on one engine are
/// several instances of the app).
pub fn app_on(settings: Settings, engine: &Engine) -> axum::Router {
    app_on_clock(settings, engine, Arc::new(SystemClock))
}

/// [`app_on`] with the app's time from `clock`.
pub fn app_on_clock(
    settings: Settings,
    engine: &Engine,
    clock: leptos_logto::clock::SharedClock,
) -> axum::Router {
    let sessions = session::layer(engine.sessions.clone(), &settings);
    let state = AppState::new(settings, clock, Arc::clone(&engine.grants)).expect("auth service");
    router(state, sessions, leptos_logto::app::site())
}

/// Sends one request through the whole app router.
pub async fn send(settings: Settings, request: Request<Body>) -> (Response<()>, String) {
    let response = app(settings)
        .oneshot(request)
        .await
        .expect("the router never fails");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    (
        Response::from_parts(parts, ()),
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

pub fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).expect("request")
}
