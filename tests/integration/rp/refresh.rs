//! After sign-in: refresh (rotation, returned ID tokens, `invalid_grant`), single-flight refresh
//! per session, userinfo, revocation and the end-session URL.

use std::sync::Arc;
use std::time::Duration;

use leptos_logto::auth::{AuthError, AuthSession, IdTokenError, Refresher, TokenSet};
use serde_json::{json, Value};
use tokio::task::JoinSet;
use tower_sessions::{MemoryStore, Session};

use super::provider::{Reply, CLIENT_ID};
use super::{assert_no_secrets, Harness, ACCESS, REFRESH};

const ACCESS_2: &str = "access-token-2-Hh3";
const REFRESH_2: &str = "refresh-token-2-Kk9";

fn refresh_reply(refresh_token: Option<&str>, id_token: Option<&str>) -> Reply {
    Reply::Json(
        200,
        json!({
            "access_token": ACCESS_2, "token_type": "Bearer", "expires_in": 3600,
            "refresh_token": refresh_token, "id_token": id_token, "scope": "openid offline_access",
        }),
    )
}

/// Claims of an ID token issued by a refresh of `tokens`, now.
fn refreshed_claims(h: &Harness, tokens: &TokenSet) -> Value {
    let mut claims = Value::Object(tokens.claims.all.clone());
    claims["iat"] = json!(h.now());
    claims["exp"] = json!(h.now() + 3600);
    claims["name"] = json!("Ada King");
    claims
}

#[tokio::test]
async fn refresh_rotates_and_keeps_what_is_not_returned() {
    let h = Harness::start().await;
    let tokens = h.signed_in().await.tokens;
    h.clock.advance(Duration::from_secs(3590));
    assert!(h.rp.needs_refresh(&tokens, h.now()));

    // No new refresh token and no ID token: keep the old refresh token and claims.
    h.provider.knobs().refresh_reply = refresh_reply(None, None);
    let refreshed = h.rp.refresh(&tokens).await.unwrap();
    assert_eq!(refreshed.access_token.expose(), ACCESS_2);
    assert_eq!(refreshed.refresh_token.as_ref().unwrap().expose(), REFRESH);
    assert_eq!(refreshed.claims, tokens.claims);
    assert_eq!(refreshed.id_token, tokens.id_token);
    assert_eq!(refreshed.access_token_expires_at, h.now() + 3600);
    assert!(!refreshed.needs_refresh(h.now()));

    let request = h.provider.token_requests().pop().unwrap();
    assert_eq!(request.form["grant_type"], "refresh_token");
    assert_eq!(request.form["refresh_token"], REFRESH);
    // The client authenticates once (RFC 6749 §2.3.1), with the Basic header.
    assert!(!request.form.contains_key("client_id"));
    assert!(request.authorization.unwrap().starts_with("Basic "));

    // A rotated refresh token and a new ID token replace the old ones.
    let id_token = h.es.sign(&refreshed_claims(&h, &tokens));
    h.provider.knobs().refresh_reply = refresh_reply(Some(REFRESH_2), Some(&id_token));
    let rotated = h.rp.refresh(&refreshed).await.unwrap();
    assert_eq!(rotated.refresh_token.as_ref().unwrap().expose(), REFRESH_2);
    assert_eq!(rotated.claims.name.as_deref(), Some("Ada King"));
    assert_eq!(rotated.id_token.expose(), id_token);
}

#[tokio::test]
async fn refresh_returning_another_sub_is_rejected() {
    let h = Harness::start().await;
    let tokens = h.signed_in().await.tokens;
    let mut claims = refreshed_claims(&h, &tokens);
    claims["sub"] = json!("user-2");
    let id_token = h.es.sign(&claims);
    h.provider.knobs().refresh_reply = refresh_reply(Some(REFRESH_2), Some(&id_token));
    let error = h.rp.refresh(&tokens).await.unwrap_err();
    assert_eq!(
        error,
        AuthError::InvalidIdToken(IdTokenError::SubjectChanged)
    );
    assert_no_secrets(&error, &[REFRESH, REFRESH_2, ACCESS_2, &id_token]);
}

#[tokio::test]
async fn a_refused_refreshed_id_token_signs_out_and_the_spent_refresh_token_is_never_sent_again() {
    let h = Harness::start().await;
    let tokens = h.signed_in().await.tokens;
    let store = Arc::new(MemoryStore::default());
    let auth = AuthSession::new(
        Session::new(None, Arc::clone(&store), None),
        h.grants.clone(),
    );
    auth.sign_in(&tokens, h.now()).await.unwrap();
    h.clock.advance(Duration::from_secs(3600));
    let mut claims = refreshed_claims(&h, &tokens);
    claims["sub"] = json!("user-2");
    let id_token = h.es.sign(&claims);
    h.provider.knobs().refresh_reply = refresh_reply(Some(REFRESH_2), Some(&id_token));

    let refresher = Refresher::new(Duration::from_secs(15));
    let error = refresher.fresh_tokens(&auth, &h.rp).await.unwrap_err();
    assert_eq!(error, AuthError::SignedOut);
    assert!(auth.tokens().await.unwrap().is_none(), "signed out");
    // The rotated refresh token that came with the refused ID token is revoked, not kept.
    let revoked: Vec<String> = h
        .provider
        .revocation_requests()
        .iter()
        .map(|request| request.form["token"].clone())
        .collect();
    assert_eq!(revoked, vec![REFRESH_2.to_owned()]);

    // The next request of the session has nothing to refresh with.
    let refreshes = h.provider.token_requests().len();
    assert!(refresher
        .fresh_tokens(&auth, &h.rp)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        h.provider.token_requests().len(),
        refreshes,
        "no second refresh"
    );
}

#[tokio::test]
async fn refresh_returning_another_issuer_is_rejected() {
    let h = Harness::start().await;
    let tokens = h.signed_in().await.tokens;
    let mut claims = refreshed_claims(&h, &tokens);
    claims["iss"] = json!("https://evil.example/oidc");
    let id_token = h.es.sign(&claims);
    h.provider.knobs().refresh_reply = refresh_reply(None, Some(&id_token));
    let error = h.rp.refresh(&tokens).await.unwrap_err();
    assert_eq!(error, AuthError::InvalidIdToken(IdTokenError::WrongIssuer));
}

#[tokio::test]
async fn refresh_id_token_with_a_bad_signature_is_rejected() {
    let h = Harness::start().await;
    let tokens = h.signed_in().await.tokens;
    let forger = super::provider::EsKey::generate("es-1");
    let id_token = forger.sign(&refreshed_claims(&h, &tokens));
    h.provider.knobs().refresh_reply = refresh_reply(None, Some(&id_token));
    let error = h.rp.refresh(&tokens).await.unwrap_err();
    assert_eq!(error, AuthError::InvalidIdToken(IdTokenError::BadSignature));
}

#[tokio::test]
async fn refresh_invalid_grant_is_signed_out() {
    let h = Harness::start().await;
    let tokens = h.signed_in().await.tokens;
    h.provider.knobs().refresh_reply = Reply::Json(
        400,
        json!({"error": "invalid_grant", "error_description": format!("grant {REFRESH} revoked")}),
    );
    let error = h.rp.refresh(&tokens).await.unwrap_err();
    assert_eq!(error, AuthError::SignedOut);

    // Through the session: the session is destroyed.
    let store = Arc::new(MemoryStore::default());
    let auth = AuthSession::new(
        Session::new(None, Arc::clone(&store), None),
        h.grants.clone(),
    );
    auth.sign_in(&tokens, h.now()).await.unwrap();
    let id = auth.id();
    h.clock.advance(Duration::from_secs(3600));
    let refresher = Refresher::new(Duration::from_secs(15));
    let error = refresher.fresh_tokens(&auth, &h.rp).await.unwrap_err();
    assert_eq!(error, AuthError::SignedOut);
    assert!(auth.tokens().await.unwrap().is_none());
    let reloaded = AuthSession::new(Session::new(id, store, None), h.grants.clone());
    assert!(reloaded.tokens().await.unwrap().is_none());
}

#[tokio::test]
async fn other_refresh_failures_keep_the_session() {
    let h = Harness::start().await;
    let tokens = h.signed_in().await.tokens;
    let auth = AuthSession::new(
        Session::new(None, Arc::new(MemoryStore::default()), None),
        h.grants.clone(),
    );
    auth.sign_in(&tokens, h.now()).await.unwrap();
    h.clock.advance(Duration::from_secs(3600));
    h.provider.knobs().refresh_reply = Reply::Raw(503, "busy".into());
    let error = Refresher::new(Duration::from_secs(15))
        .fresh_tokens(&auth, &h.rp)
        .await
        .unwrap_err();
    assert!(matches!(error, AuthError::TokenEndpoint(_)), "{error}");
    assert!(auth.tokens().await.unwrap().is_some());
}

#[tokio::test]
async fn fresh_tokens_does_not_refresh_live_tokens() {
    let h = Harness::start().await;
    let tokens = h.signed_in().await.tokens;
    let auth = AuthSession::new(
        Session::new(None, Arc::new(MemoryStore::default()), None),
        h.grants.clone(),
    );
    auth.sign_in(&tokens, h.now()).await.unwrap();
    let refresher = Refresher::new(Duration::from_secs(15));
    let fresh = refresher.fresh_tokens(&auth, &h.rp).await.unwrap().unwrap();
    assert_eq!(fresh.access_token.expose(), ACCESS);
    assert_eq!(h.provider.count(|c| &c.refresh_grants), 0);
    let empty = AuthSession::new(
        Session::new(None, Arc::new(MemoryStore::default()), None),
        h.grants.clone(),
    );
    assert!(refresher
        .fresh_tokens(&empty, &h.rp)
        .await
        .unwrap()
        .is_none());
}

/// Ten requests of one session, each with its own `Session` loaded from the store (as the session
/// middleware does), all with the expired access token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_callers_cause_exactly_one_refresh() {
    let h = Harness::start().await;
    let tokens = h.signed_in().await.tokens;
    let store = Arc::new(MemoryStore::default());
    let auth = AuthSession::new(
        Session::new(None, Arc::clone(&store), None),
        h.grants.clone(),
    );
    auth.sign_in(&tokens, h.now()).await.unwrap();
    let id = auth.id();
    h.clock.advance(Duration::from_secs(3600));
    {
        let mut knobs = h.provider.knobs();
        knobs.refresh_reply = refresh_reply(Some(REFRESH_2), None);
        knobs.refresh_delay = Duration::from_millis(300);
    }

    let refresher = Arc::new(Refresher::new(Duration::from_secs(15)));
    let mut callers = JoinSet::new();
    for _ in 0..10 {
        let auth = AuthSession::new(Session::new(id, Arc::clone(&store), None), h.grants.clone());
        let (refresher, rp) = (Arc::clone(&refresher), Arc::clone(&h.rp));
        callers.spawn(async move { refresher.fresh_tokens(&auth, &rp).await });
    }
    let mut results = Vec::new();
    while let Some(joined) = callers.join_next().await {
        results.push(joined.unwrap().unwrap().unwrap());
    }
    assert_eq!(results.len(), 10);
    for tokens in &results {
        assert_eq!(tokens.access_token.expose(), ACCESS_2);
        assert_eq!(tokens.refresh_token.as_ref().unwrap().expose(), REFRESH_2);
    }
    assert_eq!(h.provider.count(|c| &c.refresh_grants), 1);

    // The rotated set is in the store, and a late request with the old view reuses it.
    let later = AuthSession::new(Session::new(id, Arc::clone(&store), None), h.grants.clone());
    let stored = later.tokens().await.unwrap().unwrap();
    assert_eq!(stored.refresh_token.unwrap().expose(), REFRESH_2);
    let late = refresher.fresh_tokens(&auth, &h.rp).await.unwrap().unwrap();
    assert_eq!(late.access_token.expose(), ACCESS_2);
    assert_eq!(h.provider.count(|c| &c.refresh_grants), 1);
}

#[tokio::test]
async fn concurrent_callers_sharing_one_session_object_refresh_once() {
    let h = Harness::start().await;
    let tokens = h.signed_in().await.tokens;
    let auth = AuthSession::new(
        Session::new(None, Arc::new(MemoryStore::default()), None),
        h.grants.clone(),
    );
    auth.sign_in(&tokens, h.now()).await.unwrap();
    h.clock.advance(Duration::from_secs(3600));
    {
        let mut knobs = h.provider.knobs();
        knobs.refresh_reply = refresh_reply(Some(REFRESH_2), None);
        knobs.refresh_delay = Duration::from_millis(200);
    }
    let refresher = Arc::new(Refresher::new(Duration::from_secs(15)));
    let mut callers = JoinSet::new();
    for _ in 0..10 {
        let (auth, refresher, rp) = (auth.clone(), Arc::clone(&refresher), Arc::clone(&h.rp));
        callers.spawn(async move { refresher.fresh_tokens(&auth, &rp).await });
    }
    while let Some(joined) = callers.join_next().await {
        let tokens = joined.unwrap().unwrap().unwrap();
        assert_eq!(tokens.access_token.expose(), ACCESS_2);
    }
    assert_eq!(h.provider.count(|c| &c.refresh_grants), 1);
}

#[tokio::test]
async fn forced_refreshes_are_single_flight_too() {
    let h = Harness::start().await;
    let tokens = h.signed_in().await.tokens;
    let store = Arc::new(MemoryStore::default());
    let auth = AuthSession::new(
        Session::new(None, Arc::clone(&store), None),
        h.grants.clone(),
    );
    auth.sign_in(&tokens, h.now()).await.unwrap();
    let id = auth.id();
    {
        let mut knobs = h.provider.knobs();
        knobs.refresh_reply = refresh_reply(Some(REFRESH_2), None);
        knobs.refresh_delay = Duration::from_millis(200);
    }
    let refresher = Arc::new(Refresher::new(Duration::from_secs(15)));
    // Live tokens: the ordinary path does not refresh ...
    let live = refresher.fresh_tokens(&auth, &h.rp).await.unwrap().unwrap();
    assert_eq!(live.access_token.expose(), ACCESS);
    assert_eq!(h.provider.count(|c| &c.refresh_grants), 0);
    // ... a forced one does, once for concurrent callers.
    let mut callers = JoinSet::new();
    for _ in 0..3 {
        let auth = AuthSession::new(Session::new(id, Arc::clone(&store), None), h.grants.clone());
        let (refresher, rp) = (Arc::clone(&refresher), Arc::clone(&h.rp));
        callers.spawn(async move { refresher.force_refresh(&auth, &rp).await });
    }
    while let Some(joined) = callers.join_next().await {
        let tokens = joined.unwrap().unwrap().unwrap();
        assert_eq!(tokens.access_token.expose(), ACCESS_2);
    }
    assert_eq!(h.provider.count(|c| &c.refresh_grants), 1);
}

#[tokio::test]
async fn concurrent_callers_all_see_invalid_grant_once() {
    let h = Harness::start().await;
    let tokens = h.signed_in().await.tokens;
    let store = Arc::new(MemoryStore::default());
    let auth = AuthSession::new(
        Session::new(None, Arc::clone(&store), None),
        h.grants.clone(),
    );
    auth.sign_in(&tokens, h.now()).await.unwrap();
    let id = auth.id();
    h.clock.advance(Duration::from_secs(3600));
    {
        let mut knobs = h.provider.knobs();
        knobs.refresh_reply = Reply::Json(400, json!({"error": "invalid_grant"}));
        knobs.refresh_delay = Duration::from_millis(200);
    }
    let refresher = Arc::new(Refresher::new(Duration::from_secs(15)));
    let mut callers = JoinSet::new();
    for _ in 0..5 {
        let auth = AuthSession::new(Session::new(id, Arc::clone(&store), None), h.grants.clone());
        let (refresher, rp) = (Arc::clone(&refresher), Arc::clone(&h.rp));
        callers.spawn(async move { refresher.fresh_tokens(&auth, &rp).await });
    }
    while let Some(joined) = callers.join_next().await {
        assert_eq!(joined.unwrap().unwrap_err(), AuthError::SignedOut);
    }
    assert_eq!(h.provider.count(|c| &c.refresh_grants), 1);
}

#[tokio::test]
async fn userinfo_subject_must_match() {
    let h = Harness::start().await;
    let tokens = h.signed_in().await.tokens;
    h.provider.knobs().userinfo = json!({"sub": "user-1", "email": "ada@example.com"});
    let info = h.rp.userinfo(&tokens).await.unwrap();
    assert_eq!(info["email"], "ada@example.com");
    assert_eq!(
        h.provider.userinfo_authorizations(),
        [format!("Bearer {ACCESS}")]
    );

    h.provider.knobs().userinfo = json!({"sub": "user-2", "email": "ada@example.com"});
    let error = h.rp.userinfo(&tokens).await.unwrap_err();
    assert_eq!(error, AuthError::UserinfoSubjectMismatch);
    h.provider.knobs().userinfo = json!({"email": "ada@example.com"});
    let error = h.rp.userinfo(&tokens).await.unwrap_err();
    assert_eq!(error, AuthError::UserinfoSubjectMismatch);
}

#[tokio::test]
async fn sign_out_revokes_and_builds_the_end_session_url() {
    let h = Harness::start().await;
    let tokens = h.signed_in().await.tokens;
    let auth = AuthSession::new(
        Session::new(None, Arc::new(MemoryStore::default()), None),
        h.grants.clone(),
    );
    auth.sign_in(&tokens, h.now()).await.unwrap();

    let removed = auth.sign_out().await.unwrap().unwrap();
    assert!(auth.tokens().await.unwrap().is_none());
    h.rp.revoke(removed.refresh_token.as_ref().unwrap()).await;
    let revocations = h.provider.revocation_requests();
    assert_eq!(revocations.len(), 1);
    assert_eq!(revocations[0].form["token"], REFRESH);
    // The client authenticates once (RFC 6749 §2.3.1), with the Basic header.
    assert!(!revocations[0].form.contains_key("client_id"));
    assert!(revocations[0]
        .authorization
        .as_deref()
        .unwrap()
        .starts_with("Basic "));

    let url = h.rp.end_session_url(Some(&removed.id_token)).await.unwrap();
    assert!(url
        .as_str()
        .starts_with(&format!("{}/session/end?", h.issuer())));
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["post_logout_redirect_uri"], "http://localhost:3000/");
    assert_eq!(query["id_token_hint"], removed.id_token.expose());
    // No `state`: nothing could check it on the way back, and it would sit in the address bar.
    assert!(!query.contains_key("state"), "{url}");
}

#[tokio::test]
async fn revocation_failure_is_swallowed() {
    let h = Harness::start_with(|config| {
        config.client_secret = leptos_logto::secret::Secret::new("wrong secret");
    })
    .await;
    // The provider refuses the client: revoke logs and returns.
    h.rp.revoke(&leptos_logto::secret::Secret::new(REFRESH))
        .await;
    assert_eq!(h.provider.count(|c| &c.revocations), 1);
}
