//! The callback before the code is redeemed: transaction lifetime, RFC 9207 `iss`, `error`,
//! `state` (tampered, replayed, foreign), a missing code, and discovery's issuer check. None of
//! these may reach the token endpoint.

use std::sync::Arc;
use std::time::Duration;

use leptos_logto::auth::{AuthError, AuthSession, CallbackParams};
use tower_sessions::{MemoryStore, Session};

use super::provider::Reply;
use super::{assert_no_secrets, Harness, CODE};

fn new_session(h: &Harness, store: &Arc<MemoryStore>) -> AuthSession {
    AuthSession::new(
        Session::new(None, Arc::clone(store), None),
        h.grants.clone(),
    )
}

/// Finishes `tx` with `params` changed by `change`; the token endpoint would accept the code.
async fn finish(h: &Harness, change: impl FnOnce(&mut CallbackParams)) -> Result<(), AuthError> {
    let (_, tx) = h.start_sign_in().await;
    let id_token = h.es.sign(&h.claims(&tx));
    h.provider.knobs().code_reply = Reply::Json(200, Harness::token_reply(Some(&id_token)));
    let mut params = h.callback(&tx);
    change(&mut params);
    let verifier = tx.code_verifier.expose().to_owned();
    let result = h.rp.finish_sign_in(&params, tx).await.map(|_| ());
    if let Err(error) = &result {
        assert_no_secrets(error, &[CODE, &verifier, &id_token]);
    }
    result
}

#[tokio::test]
async fn wrong_callback_iss_is_rejected() {
    let h = Harness::start().await;
    let result = finish(&h, |p| p.iss = Some("https://evil.example/oidc".into())).await;
    assert_eq!(result.unwrap_err(), AuthError::IssuerMismatch);
    assert_eq!(h.provider.count(|c| &c.code_grants), 0);
}

#[tokio::test]
async fn missing_callback_iss_is_rejected_when_advertised() {
    let h = Harness::start().await;
    let result = finish(&h, |p| p.iss = None).await;
    assert_eq!(result.unwrap_err(), AuthError::MissingIssuer);
    assert_eq!(h.provider.count(|c| &c.code_grants), 0);
}

#[tokio::test]
async fn missing_callback_iss_is_accepted_when_not_advertised() {
    let h = Harness::start().await;
    h.provider.knobs().iss_parameter_supported = false;
    finish(&h, |p| p.iss = None).await.unwrap();
    // A present iss is still compared.
    let result = finish(&h, |p| p.iss = Some("https://evil.example/oidc".into())).await;
    assert_eq!(result.unwrap_err(), AuthError::IssuerMismatch);
}

#[tokio::test]
async fn error_response_is_checked_for_iss_first() {
    let h = Harness::start().await;
    let result = finish(&h, |p| {
        p.code = None;
        p.error = Some("access_denied".into());
        p.iss = Some("https://evil.example/oidc".into());
    })
    .await;
    assert_eq!(result.unwrap_err(), AuthError::IssuerMismatch);
}

#[tokio::test]
async fn provider_errors_are_reported_not_redeemed() {
    let h = Harness::start().await;
    let result = finish(&h, |p| {
        p.code = None;
        p.error = Some("access_denied".into());
        p.error_description = Some("The user cancelled\n<script>".into());
    })
    .await;
    assert_eq!(
        result.unwrap_err(),
        AuthError::Cancelled {
            description: Some("The user cancelled <script>".into())
        }
    );
    let result = finish(&h, |p| {
        p.code = None;
        p.error = Some("server_error".into());
    })
    .await;
    assert_eq!(
        result.unwrap_err(),
        AuthError::ProviderError {
            error: "server_error".into(),
            description: None
        }
    );
    assert_eq!(h.provider.count(|c| &c.code_grants), 0);
}

#[tokio::test]
async fn tampered_state_is_rejected() {
    let h = Harness::start().await;
    let result = finish(&h, |p| {
        let mut state = p.state.take().unwrap();
        state.replace_range(0..1, if state.starts_with('A') { "B" } else { "A" });
        p.state = Some(state);
    })
    .await;
    assert_eq!(result.unwrap_err(), AuthError::StateMismatch);
    let result = finish(&h, |p| p.state = None).await;
    assert_eq!(result.unwrap_err(), AuthError::MissingState);
    assert_eq!(h.provider.count(|c| &c.code_grants), 0);
}

#[tokio::test]
async fn missing_code_is_rejected() {
    let h = Harness::start().await;
    let result = finish(&h, |p| p.code = None).await;
    assert_eq!(result.unwrap_err(), AuthError::MissingCode);
    assert_eq!(h.provider.count(|c| &c.code_grants), 0);
}

#[tokio::test]
async fn expired_transaction_is_rejected() {
    let h = Harness::start().await;
    let (_, tx) = h.start_sign_in().await;
    h.clock.advance(Duration::from_secs(601));
    let result = h.rp.finish_sign_in(&h.callback(&tx), tx).await;
    assert_eq!(result.unwrap_err(), AuthError::TransactionExpired);
    assert_eq!(h.provider.count(|c| &c.code_grants), 0);

    // Through the session as well, where it is removed on the way.
    let store = Arc::new(MemoryStore::default());
    let auth = new_session(&h, &store);
    let (_, tx) = h.start_sign_in().await;
    let params = h.callback(&tx);
    auth.save_transaction(tx).await.unwrap();
    h.clock.advance(Duration::from_secs(601));
    let result = auth.complete_sign_in(&h.rp, &params).await;
    assert_eq!(result.unwrap_err(), AuthError::TransactionExpired);
    let result = auth.complete_sign_in(&h.rp, &params).await;
    assert_eq!(result.unwrap_err(), AuthError::UnknownTransaction);
}

#[tokio::test]
async fn replayed_state_is_rejected_and_not_redeemed_twice() {
    let h = Harness::start().await;
    let store = Arc::new(MemoryStore::default());
    let auth = new_session(&h, &store);
    let (_, tx) = h.start_sign_in().await;
    let id_token = h.es.sign(&h.claims(&tx));
    h.provider.knobs().code_reply = Reply::Json(200, Harness::token_reply(Some(&id_token)));
    let params = h.callback(&tx);
    auth.save_transaction(tx).await.unwrap();

    let signed = auth.complete_sign_in(&h.rp, &params).await.unwrap();
    assert_eq!(signed.tokens.claims.sub, "user-1");
    assert_eq!(auth.current_user().await.unwrap().unwrap().sub, "user-1");
    let replay = auth.complete_sign_in(&h.rp, &params).await;
    assert_eq!(replay.unwrap_err(), AuthError::UnknownTransaction);
    assert_eq!(h.provider.count(|c| &c.code_grants), 1);

    // The pure store: take twice.
    let (_, tx) = h.start_sign_in().await;
    let state = tx.state.clone();
    auth.save_transaction(tx).await.unwrap();
    assert!(auth.take_transaction(&state, h.now()).await.is_ok());
    assert_eq!(
        auth.take_transaction(&state, h.now()).await.unwrap_err(),
        AuthError::UnknownTransaction
    );
}

#[tokio::test]
async fn state_from_another_browser_session_is_unknown() {
    let h = Harness::start().await;
    let store = Arc::new(MemoryStore::default());
    let victim = new_session(&h, &store);
    let attacker = new_session(&h, &store);
    let (_, tx) = h.start_sign_in().await;
    let params = h.callback(&tx);
    attacker.save_transaction(tx).await.unwrap();
    let result = victim.complete_sign_in(&h.rp, &params).await;
    assert_eq!(result.unwrap_err(), AuthError::UnknownTransaction);
    assert!(victim.tokens().await.unwrap().is_none());
    assert_eq!(h.provider.count(|c| &c.code_grants), 0);
}

#[tokio::test]
async fn two_tabs_can_sign_in_at_once() {
    let h = Harness::start().await;
    let store = Arc::new(MemoryStore::default());
    let auth = new_session(&h, &store);
    let (_, first) = h.start_sign_in().await;
    let (_, second) = h.start_sign_in().await;
    assert_ne!(first.state, second.state);
    let (p1, p2) = (h.callback(&first), h.callback(&second));
    let id_token = h.es.sign(&h.claims(&second));
    auth.save_transaction(first).await.unwrap();
    auth.save_transaction(second).await.unwrap();
    h.provider.knobs().code_reply = Reply::Json(200, Harness::token_reply(Some(&id_token)));
    auth.complete_sign_in(&h.rp, &p2).await.unwrap();
    // The first tab's transaction is still there (its nonce differs from this ID token's).
    let result = auth.complete_sign_in(&h.rp, &p1).await;
    assert_eq!(
        result.unwrap_err(),
        AuthError::InvalidIdToken(leptos_logto::auth::IdTokenError::NonceMismatch)
    );
}

#[tokio::test]
async fn sign_in_rotates_the_session_id() {
    let h = Harness::start().await;
    let store = Arc::new(MemoryStore::default());
    let session = Session::new(None, Arc::clone(&store), None);
    let auth = AuthSession::new(session.clone(), h.grants.clone());
    let (_, tx) = h.start_sign_in().await;
    let id_token = h.es.sign(&h.claims(&tx));
    h.provider.knobs().code_reply = Reply::Json(200, Harness::token_reply(Some(&id_token)));
    let params = h.callback(&tx);
    auth.save_transaction(tx).await.unwrap();
    // The session middleware saves the pre-login session: its id is known to the browser (and
    // possibly planted by an attacker).
    session.save().await.unwrap();
    let before = session.id();
    assert!(before.is_some());

    auth.complete_sign_in(&h.rp, &params).await.unwrap();
    assert!(auth.id().is_some());
    assert_ne!(auth.id(), before);
    // The pre-login id is not authenticated afterwards.
    let old = AuthSession::new(
        Session::new(before, Arc::clone(&store), None),
        h.grants.clone(),
    );
    assert!(old.tokens().await.unwrap().is_none());
    let new = AuthSession::new(Session::new(auth.id(), store, None), h.grants.clone());
    assert_eq!(new.current_user().await.unwrap().unwrap().sub, "user-1");
}

#[tokio::test]
async fn discovery_issuer_mismatch_is_refused_then_retried() {
    let h = Harness::start().await;
    h.provider.knobs().discovery_issuer = "https://evil.example/oidc".into();
    let result =
        h.rp.sign_in_url(leptos_logto::auth::SignInOptions::default())
            .await;
    assert!(matches!(result, Err(AuthError::Discovery(_))), "{result:?}");
    assert_eq!(h.provider.count(|c| &c.discovery), 1);

    // A failed fetch is not cached.
    let issuer = h.issuer().to_owned();
    h.provider.knobs().discovery_issuer = issuer;
    h.signed_in().await;
    assert_eq!(h.provider.count(|c| &c.discovery), 2);
}
