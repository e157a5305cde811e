//! Where the app reads roles: the ID token's `roles` claim, or userinfo when a Logto tenant leaves
//! it out of ID tokens (`idToken.enabledExtendedClaims` without roles).

use std::sync::Arc;

use leptos_logto::auth::{AuthSession, ADMIN_ROLE};
use leptos_logto::clock::SharedClock;
use leptos_logto::services::AuthService;
use serde_json::json;
use tower_sessions::{MemoryStore, Session};

use super::provider::{CLIENT_ID, CLIENT_SECRET};
use super::Harness;

pub(super) fn service(h: &Harness) -> AuthService {
    let settings = crate::support::settings(&[
        ("LOGTO_ENDPOINT", &h.provider.base),
        ("LOGTO_APP_ID", CLIENT_ID),
        ("LOGTO_APP_SECRET", CLIENT_SECRET),
    ]);
    let clock: SharedClock = h.clock.clone();
    AuthService::new(&settings, clock, Arc::clone(&h.grants.store)).unwrap()
}

pub(super) async fn session_with(
    h: &Harness,
    make: impl FnOnce(&mut serde_json::Value),
) -> Session {
    let signed = h
        .sign_in_with(|claims| {
            make(claims);
            h.es.sign(claims)
        })
        .await
        .unwrap();
    let session = Session::new(None, Arc::new(MemoryStore::default()), None);
    AuthSession::new(session.clone(), h.grants.clone())
        .sign_in(&signed.tokens, h.now())
        .await
        .unwrap();
    session
}

#[tokio::test]
async fn roles_absent_from_the_id_token_are_read_from_userinfo() {
    let h = Harness::start().await;
    let session = session_with(&h, |claims| {
        claims.as_object_mut().unwrap().remove("roles");
    })
    .await;
    h.provider.knobs().userinfo = json!({"sub": "user-1", "roles": [ADMIN_ROLE]});
    let person = service(&h).current(&session).await.unwrap().unwrap();
    assert!(person.user.has_role(ADMIN_ROLE), "{:?}", person.user.roles);
    assert_eq!(h.provider.count(|c| &c.userinfo), 1);
}

#[tokio::test]
async fn roles_in_the_id_token_are_used_as_they_are_without_asking_userinfo() {
    let h = Harness::start().await;
    let session = session_with(&h, |claims| claims["roles"] = json!([])).await;
    h.provider.knobs().userinfo = json!({"sub": "user-1", "roles": [ADMIN_ROLE]});
    let person = service(&h).current(&session).await.unwrap().unwrap();
    assert!(
        !person.user.has_role(ADMIN_ROLE),
        "an empty roles claim is an answer"
    );
    assert_eq!(h.provider.count(|c| &c.userinfo), 0);
}
