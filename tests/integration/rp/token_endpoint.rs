//! Code exchange failures: each ends as a clear error with no tokens, and no error text carries
//! the code, the verifier or any token.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use leptos_logto::auth::AuthError;
use serde_json::{json, Value};

use super::provider::Reply;
use super::{assert_no_secrets, Harness, ACCESS, CODE, REFRESH};

/// Runs a sign-in whose token endpoint answers `reply`.
async fn exchange(h: &Harness, reply: Reply) -> AuthError {
    let (_, tx) = h.start_sign_in().await;
    h.provider.knobs().code_reply = reply;
    let verifier = tx.code_verifier.expose().to_owned();
    let error = h.rp.finish_sign_in(&h.callback(&tx), tx).await.unwrap_err();
    assert_no_secrets(&error, &[CODE, &verifier, ACCESS, REFRESH]);
    assert_eq!(h.provider.count(|c| &c.code_grants), 1);
    error
}

#[tokio::test]
async fn server_error_500() {
    let h = Harness::start().await;
    let error = exchange(
        &h,
        Reply::Raw(500, "<html>Internal Server Error</html>".into()),
    )
    .await;
    assert!(
        matches!(&error, AuthError::TokenEndpoint(m) if m.contains("500")),
        "{error}"
    );
}

#[tokio::test]
async fn invalid_grant_echoing_the_code_and_verifier() {
    let h = Harness::start().await;
    let (_, tx) = h.start_sign_in().await;
    let verifier = tx.code_verifier.expose().to_owned();
    h.provider.knobs().code_reply = Reply::Json(
        400,
        json!({
            "error": "invalid_grant",
            "error_description": format!("code {CODE} with verifier {verifier} is invalid"),
        }),
    );
    let error = h.rp.finish_sign_in(&h.callback(&tx), tx).await.unwrap_err();
    assert_no_secrets(&error, &[CODE, &verifier]);
    assert!(
        matches!(&error, AuthError::TokenEndpoint(m) if m.contains("invalid_grant") && m.contains("[redacted]")),
        "{error}"
    );
}

#[tokio::test]
async fn malformed_json() {
    let h = Harness::start().await;
    let body = format!("{{\"access_token\": \"{ACCESS}\", \"id_token\": ");
    let error = exchange(&h, Reply::Raw(200, body)).await;
    assert!(matches!(error, AuthError::TokenEndpoint(_)), "{error}");
}

#[tokio::test]
async fn stall_past_the_client_timeout() {
    let h = Harness::start_with(|config| config.http_timeout = Duration::from_millis(500)).await;
    // Discovery first, so the timer below measures the token request alone.
    let _ = h.rp.metadata().await.unwrap();
    let started = Instant::now();
    let error = exchange(&h, Reply::Stall(Duration::from_secs(30))).await;
    assert!(
        matches!(&error, AuthError::ProviderUnreachable(m) if m.contains("timed out")),
        "{error}"
    );
    assert!(error.is_transient());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn ok_without_id_token() {
    let h = Harness::start().await;
    let error = exchange(&h, Reply::Json(200, Harness::token_reply(None))).await;
    assert!(
        matches!(&error, AuthError::TokenEndpoint(m) if m.contains("id_token")),
        "{error}"
    );
    // No ID token, no key lookup.
    assert_eq!(h.provider.count(|c| &c.jwks), 0);
}

/// A second token endpoint that would answer `reply` (a valid token response), counting hits.
async fn lure(reply: Value) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&hits);
    let app = axum::Router::new().route(
        "/token",
        axum::routing::any(move || {
            let counted = Arc::clone(&counted);
            let reply = reply.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                axum::Json(reply)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, hits)
}

#[tokio::test]
async fn redirect_is_not_followed() {
    // Every redirect status, to an endpoint that would complete the sign-in if the client went
    // there (307 and 308 would even resend the code and verifier).
    for status in [301, 302, 303, 307, 308] {
        let h = Harness::start().await;
        let (_, tx) = h.start_sign_in().await;
        let good = Harness::token_reply(Some(&h.es.sign(&h.claims(&tx))));
        let (elsewhere, hits) = lure(good).await;
        h.provider.knobs().code_reply = Reply::Redirect(status, elsewhere);
        let verifier = tx.code_verifier.expose().to_owned();
        let error = h.rp.finish_sign_in(&h.callback(&tx), tx).await.unwrap_err();
        assert_no_secrets(&error, &[CODE, &verifier, ACCESS, REFRESH]);
        assert_eq!(h.provider.count(|c| &c.code_grants), 1);
        assert_eq!(
            hits.load(Ordering::SeqCst),
            0,
            "{status}: the redirect target was requested"
        );
        assert!(
            matches!(&error, AuthError::TokenEndpoint(m) if m.contains("redirect")),
            "{status}: {error}"
        );
    }
    // Control: what the redirect target answers is a token response that signs the person in.
    let h = Harness::start().await;
    let (_, tx) = h.start_sign_in().await;
    h.provider.knobs().code_reply =
        Reply::Json(200, Harness::token_reply(Some(&h.es.sign(&h.claims(&tx)))));
    h.rp.finish_sign_in(&h.callback(&tx), tx).await.unwrap();
}

#[tokio::test]
async fn non_bearer_token_type() {
    let h = Harness::start().await;
    let mut reply = Harness::token_reply(Some("x.y.z"));
    reply["token_type"] = json!("MAC");
    let error = exchange(&h, Reply::Json(200, reply)).await;
    assert!(matches!(error, AuthError::TokenEndpoint(_)), "{error}");
}
