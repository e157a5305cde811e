//! Who may call the Management API: only bearers of this provider's `client_credentials` JWT for
//! the Management API resource with the `all` scope.

use super::harness::*;
use http::{Method, StatusCode};
use leptos_logto::clock::Clock as _;
use std::time::Duration;

const PATHS: [&str; 3] = [
    "/api/sign-in-exp",
    "/api/connectors",
    "/api/connector-factories",
];

#[tokio::test]
async fn no_token_or_a_garbage_token_is_401_unauthorized() {
    let api = Api::new().await;
    for path in PATHS {
        let reply = api.call(Method::GET, path, None, None).await;
        reply.error(StatusCode::UNAUTHORIZED, "auth.unauthorized");
        assert_eq!(reply.headers["www-authenticate"], "Bearer");
        assert_eq!(reply.headers["cache-control"], "no-store");
        let reply = api.call(Method::GET, path, Some("not-a-jwt"), None).await;
        reply.error(StatusCode::UNAUTHORIZED, "auth.unauthorized");
    }
    // A valid token with its signature altered.
    let token = api.token("all").await;
    let (rest, signature) = token.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    let tampered = format!("{rest}.{flipped}{}", &signature[1..]);
    api.call(Method::GET, "/api/sign-in-exp", Some(&tampered), None)
        .await
        .error(StatusCode::UNAUTHORIZED, "auth.unauthorized");
    // Writes are refused too, and change nothing.
    let patch =
        serde_json::json!({"signUp": {"identifiers": [], "password": false, "verify": true}});
    api.call(Method::PATCH, "/api/sign-in-exp", None, Some(&patch))
        .await
        .error(StatusCode::UNAUTHORIZED, "auth.unauthorized");
    assert_eq!(api.sign_in_exp().await["signUp"]["identifiers"][0], "email");
}

#[tokio::test]
async fn a_token_for_another_resource_is_401() {
    let api = Api::new().await;
    // The token endpoint refuses to mint one...
    let reply = api.token_reply("https://api.example.com", "all").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.json()["error"], "invalid_target");
    // ...and one signed by the provider's key for another audience does not pass.
    let now = api.clock.unix_seconds();
    let claims = serde_json::json!({
        "iss": format!("{BASE}/oidc"), "sub": M2M_ID, "client_id": M2M_ID,
        "aud": "https://api.example.com", "scope": "all", "iat": now, "exp": now + 3600,
    });
    let foreign = api.provider.keys.sign("at+jwt", &claims).unwrap();
    api.call(Method::GET, "/api/sign-in-exp", Some(&foreign), None)
        .await
        .error(StatusCode::UNAUTHORIZED, "auth.unauthorized");
    // The same claims for the right audience pass: the audience was the only difference.
    let mut right = claims.clone();
    right["aud"] = RESOURCE.into();
    let token = api.provider.keys.sign("at+jwt", &right).unwrap();
    let reply = api
        .call(Method::GET, "/api/sign-in-exp", Some(&token), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    // Another issuer, an ID-token type, or an unregistered client do not.
    for (field, value) in [
        ("iss", "https://evil.example/oidc"),
        ("client_id", "stranger"),
    ] {
        let mut changed = right.clone();
        changed[field] = value.into();
        let token = api.provider.keys.sign("at+jwt", &changed).unwrap();
        api.call(Method::GET, "/api/sign-in-exp", Some(&token), None)
            .await
            .error(StatusCode::UNAUTHORIZED, "auth.unauthorized");
    }
    let id_token_typed = api.provider.keys.sign("JWT", &right).unwrap();
    api.call(Method::GET, "/api/sign-in-exp", Some(&id_token_typed), None)
        .await
        .error(StatusCode::UNAUTHORIZED, "auth.unauthorized");
}

#[tokio::test]
async fn a_token_without_the_all_scope_is_403_forbidden() {
    let api = Api::new().await;
    let reply = api.token_reply(RESOURCE, "read write").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["scope"], "", "only `all` is grantable");
    let token = reply.json()["access_token"].as_str().unwrap().to_owned();
    for path in PATHS {
        api.call(Method::GET, path, Some(&token), None)
            .await
            .error(StatusCode::FORBIDDEN, "auth.forbidden");
    }
    let granted = api.token_reply(RESOURCE, "read all all").await;
    assert_eq!(granted.json()["scope"], "all");
}

#[tokio::test]
async fn an_expired_token_is_401() {
    let api = Api::new().await;
    let token = api.token("all").await;
    let ok = api
        .call(Method::GET, "/api/connectors", Some(&token), None)
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    api.clock.advance(Duration::from_secs(3600));
    api.call(Method::GET, "/api/connectors", Some(&token), None)
        .await
        .error(StatusCode::UNAUTHORIZED, "auth.unauthorized");
}
