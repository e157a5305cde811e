//! Userinfo when the provider is in trouble: a failure is held back with a growing wait instead of
//! being asked again on every view, and a 401 (the access token is no longer good) refreshes once,
//! then signs the person out if that fails too.

use std::sync::Arc;
use std::time::Duration;

use leptos_logto::auth::{AuthError, AuthSession};
use leptos_logto::services::{AuthService, SignedIn};
use serde_json::json;
use tokio::task::JoinSet;
use tower_sessions::Session;

use super::provider::Reply;
use super::roles::{service, session_with};
use super::{Harness, ACCESS};

const ACCESS_2: &str = "access-token-2-Uu4";

/// A harness with one person signed in: their session, the app's sign-in service, and who they are.
async fn signed_in() -> (Harness, Session, AuthService, SignedIn) {
    let h = Harness::start().await;
    let session = session_with(&h, |_| {}).await;
    let auth = service(&h);
    let person = auth.current(&session).await.unwrap().unwrap();
    (h, session, auth, person)
}

/// `result` is [`AuthError::SignedOut`], and the session is signed out for good.
async fn assert_signed_out(auth: &AuthService, session: &Session, result: Result<(), AuthError>) {
    assert!(matches!(result, Err(AuthError::SignedOut)), "{result:?}");
    assert!(
        auth.current(session).await.unwrap().is_none(),
        "still signed in"
    );
}

/// The token endpoint's answer to a refresh: a new access token.
fn refreshed() -> Reply {
    Reply::Json(
        200,
        json!({
            "access_token": ACCESS_2, "token_type": "Bearer", "expires_in": 3600,
            "refresh_token": "refresh-token-2-Uu5", "scope": "openid offline_access",
        }),
    )
}

/// Many views of one person at once, with nothing cached yet (a cold cache: after a restart, or
/// when the cached answer just expired): the provider is asked once, and every view gets its
/// answer — when it fails too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_cold_views_ask_userinfo_once() {
    let (h, _session, _, person) = signed_in().await;
    // A fresh service: nothing cached.
    let auth = Arc::new(service(&h));
    let userinfo = || h.provider.count(|c| &c.userinfo);
    let before = userinfo();
    {
        let mut knobs = h.provider.knobs();
        knobs.userinfo = json!({"sub": "user-1", "name": "Ada"});
        knobs.userinfo_delay = Duration::from_millis(200);
    }
    let views = |auth: &Arc<AuthService>| {
        let mut views = JoinSet::new();
        for _ in 0..40 {
            let (auth, tokens) = (Arc::clone(auth), Arc::clone(&person.tokens));
            views.spawn(async move { auth.userinfo(&tokens).await });
        }
        views
    };

    let mut cold = views(&auth);
    while let Some(answer) = cold.join_next().await {
        assert_eq!(answer.unwrap().unwrap()["name"], "Ada");
    }
    assert_eq!(userinfo() - before, 1, "one userinfo for 40 cold views");

    // A fresh service (nothing cached) while the provider fails: still one request.
    let auth = Arc::new(service(&h));
    h.provider.knobs().userinfo_status = 503;
    let before = userinfo();
    let mut failing = views(&auth);
    while let Some(answer) = failing.join_next().await {
        assert!(answer.unwrap().is_err());
    }
    assert_eq!(
        userinfo() - before,
        1,
        "one userinfo for 40 views of a failing provider"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_userinfo_is_held_back_with_a_growing_wait() {
    let (h, _session, auth, person) = signed_in().await;
    let auth = Arc::new(auth);
    h.provider.knobs().userinfo_status = 503;
    let userinfo = || h.provider.count(|c| &c.userinfo);

    assert!(auth.userinfo(&person.tokens).await.is_err());
    assert_eq!(userinfo(), 1);
    // Fifty views at once while it is held back: the provider is not asked again.
    let mut views = JoinSet::new();
    for _ in 0..50 {
        let (auth, tokens) = (Arc::clone(&auth), Arc::clone(&person.tokens));
        views.spawn(async move { auth.userinfo(&tokens).await.is_err() });
    }
    while let Some(failed) = views.join_next().await {
        assert!(
            failed.unwrap(),
            "a held-back failure is answered as a failure"
        );
    }
    assert_eq!(userinfo(), 1);

    // 2 s, then 4 s, then 8 s between attempts while it keeps failing.
    for (wait, calls_after) in [(2, 2), (4, 3), (8, 4)] {
        h.clock.advance(Duration::from_secs(wait - 1));
        assert!(auth.userinfo(&person.tokens).await.is_err());
        assert_eq!(
            userinfo(),
            calls_after - 1,
            "asked before the {wait} s wait was over"
        );
        h.clock.advance(Duration::from_secs(1));
        assert!(auth.userinfo(&person.tokens).await.is_err());
        assert_eq!(userinfo(), calls_after, "not asked after the {wait} s wait");
    }

    // Once the provider recovers and the wait is over, the answer is fetched and cached.
    h.provider.knobs().userinfo_status = 200;
    h.provider.knobs().userinfo = json!({"sub": "user-1", "name": "Ada"});
    h.clock.advance(Duration::from_secs(16));
    let claims = auth.userinfo(&person.tokens).await.unwrap();
    assert_eq!(claims["name"], "Ada");
    auth.userinfo(&person.tokens).await.unwrap();
    assert_eq!(userinfo(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_access_token_is_refreshed_once_however_many_views_saw_the_refusal() {
    let (h, session, auth, person) = signed_in().await;
    let auth = Arc::new(auth);
    {
        let mut knobs = h.provider.knobs();
        knobs.userinfo = json!({"sub": "user-1", "name": "Ada"});
        knobs.userinfo_refused_token = Some(ACCESS.to_owned());
        knobs.refresh_reply = refreshed();
        knobs.refresh_delay = Duration::from_millis(200);
    }
    // One view meets the refusal first; nine more that loaded the same tokens follow at once.
    let first = auth.userinfo(&person.tokens).await;
    assert!(
        matches!(
            first.as_ref().map_err(|e| &**e),
            Err(AuthError::UserinfoRejected)
        ),
        "{first:?}"
    );
    let mut views = JoinSet::new();
    for _ in 0..10 {
        let (auth, session, person) = (Arc::clone(&auth), session.clone(), person.clone());
        views.spawn(async move { auth.userinfo_for_page(&session, person).await });
    }
    while let Some(view) = views.join_next().await {
        let (now, answer) = view.unwrap().unwrap();
        assert_eq!(now.tokens.access_token.expose(), ACCESS_2);
        assert_eq!(answer.unwrap()["name"], "Ada");
    }
    assert_eq!(h.provider.count(|c| &c.refresh_grants), 1);
    let stored = AuthSession::new(session.clone(), h.grants.clone())
        .tokens()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.access_token.expose(), ACCESS_2);
    // The refused token was shown to the provider once: the views after it got the held refusal.
    let shown = h.provider.userinfo_authorizations();
    let refused = shown
        .iter()
        .filter(|a| **a == format!("Bearer {ACCESS}"))
        .count();
    assert_eq!(refused, 1, "{shown:?}");
}

#[tokio::test]
async fn a_refused_access_token_whose_refresh_is_refused_signs_out() {
    let (h, session, auth, person) = signed_in().await;
    {
        let mut knobs = h.provider.knobs();
        knobs.userinfo_refused_token = Some(ACCESS.to_owned());
        knobs.refresh_reply = Reply::Json(
            400,
            json!({"error": "invalid_grant", "error_description": "grant revoked"}),
        );
    }
    let result = auth.userinfo_for_page(&session, person).await;
    assert_signed_out(&auth, &session, result.map(|_| ())).await;
}

#[tokio::test]
async fn a_refreshed_access_token_refused_too_signs_out() {
    let (h, session, auth, person) = signed_in().await;
    {
        let mut knobs = h.provider.knobs();
        knobs.userinfo_status = 401;
        knobs.refresh_reply = refreshed();
    }
    let result = auth.userinfo_for_page(&session, person).await;
    assert_signed_out(&auth, &session, result.map(|_| ())).await;
    assert_eq!(h.provider.count(|c| &c.refresh_grants), 1);
}

#[tokio::test]
async fn a_provider_outage_at_userinfo_keeps_the_session() {
    let (h, session, auth, person) = signed_in().await;
    h.provider.knobs().userinfo_status = 500;
    let (still, answer) = auth.userinfo_for_page(&session, person).await.unwrap();
    assert!(answer.is_err());
    assert_eq!(still.tokens.access_token.expose(), ACCESS);
    assert_eq!(h.provider.count(|c| &c.refresh_grants), 0);
    assert!(auth.current(&session).await.unwrap().is_some());
}
