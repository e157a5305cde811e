//! Authorization, token, userinfo, revocation and end-session rules.

use super::harness::*;
use axum::body::Body;
use http::{header, Request, StatusCode};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use std::time::Duration;

#[tokio::test]
async fn discovery_is_logto_shaped_and_jwks_has_the_signing_kid() {
    let h = Harness::new().await;
    for path in [
        "/oidc/.well-known/openid-configuration",
        "/oidc/.well-known/oauth-authorization-server",
    ] {
        let doc = h.get(None, path).await.json();
        assert_eq!(doc["issuer"], ISSUER);
        assert_eq!(doc["authorization_endpoint"], format!("{ISSUER}/auth"));
        assert_eq!(doc["userinfo_endpoint"], format!("{ISSUER}/me"));
        assert_eq!(doc["end_session_endpoint"], format!("{ISSUER}/session/end"));
        assert_eq!(
            doc["revocation_endpoint"],
            format!("{ISSUER}/token/revocation")
        );
        assert_eq!(
            doc["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            serde_json::json!(["ES384"])
        );
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    }
    let jwks = h.get(None, "/oidc/jwks").await;
    assert_eq!(jwks.headers[header::CACHE_CONTROL], "no-cache");
    let keys = jwks.json()["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["crv"], "P-384");
    assert_eq!(keys[0]["kid"], h.provider.keys.active_kid());
}

#[tokio::test]
async fn unregistered_redirect_uris_get_an_error_page_never_a_redirect() {
    let h = Harness::new().await;
    for probe in [
        "http://localhost:3000/logto/sign-in-callback/",
        "http://LOCALHOST:3000/logto/sign-in-callback",
        "http://localhost:3000/logto/sign-in-callback?extra=1",
        "http://localhost:3000/logto/sign-in-callback#fragment",
        "http://localhost:443/logto/sign-in-callback",
        "https://localhost:3000/logto/sign-in-callback",
        "https://evil.example/logto/sign-in-callback",
    ] {
        let reply = h
            .get(None, &h.authorize_uri(&[("redirect_uri", probe)]))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{probe}");
        assert!(reply.headers.get(header::LOCATION).is_none(), "{probe}");
        assert!(reply.body.contains("not registered"), "{probe}");
        assert_eq!(reply.headers[header::X_FRAME_OPTIONS], "DENY");
    }
}

#[tokio::test]
async fn pkce_plain_and_missing_challenge_are_refused_with_iss_and_state() {
    let h = Harness::new().await;
    for extra in [
        vec![("code_challenge_method", "plain")],
        vec![("code_challenge", "")],
    ] {
        let reply = h.get(None, &h.authorize_uri(&extra)).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert!(reply.location().starts_with(CALLBACK));
        assert_eq!(
            reply.location_param("error").as_deref(),
            Some("invalid_request")
        );
        assert_eq!(reply.location_param("state").as_deref(), Some("state-123"));
        assert_eq!(reply.location_param("iss").as_deref(), Some(ISSUER));
    }
}

#[tokio::test]
async fn full_sign_in_issues_verified_tokens_with_nonce_and_iss() {
    let h = Harness::new().await;
    let mut browser = Browser::default();
    let done = h.sign_in(&mut browser, "Ada@Example.com", &[]).await;
    assert!(done.location().starts_with(CALLBACK));
    assert_eq!(done.location_param("state").as_deref(), Some("state-123"));
    assert_eq!(done.location_param("iss").as_deref(), Some(ISSUER));
    assert!(browser.has("idp_session"));
    assert!(!browser.has("idp_interaction"));

    let code = done.location_param("code").unwrap();
    let reply = h.exchange(&code, VERIFIER).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store");
    let tokens = reply.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert!(
        tokens["refresh_token"].is_string(),
        "offline_access + consent gives a refresh token"
    );

    // The ID token verifies against the published JWKS.
    let id_token = tokens["id_token"].as_str().unwrap();
    let header = jwt_header(id_token);
    assert_eq!(header["alg"], "ES384");
    let jwks = h.get(None, "/oidc/jwks").await.json();
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwks["keys"][0].clone()).unwrap();
    assert_eq!(header["kid"], jwks["keys"][0]["kid"]);
    let mut validation = Validation::new(Algorithm::ES384);
    validation.set_audience(&[APP_ID]);
    validation.set_issuer(&[ISSUER]);
    validation.validate_exp = false; // the manual clock is in the future
    let claims = jsonwebtoken::decode::<serde_json::Value>(
        id_token,
        &DecodingKey::from_jwk(&jwk).unwrap(),
        &validation,
    )
    .unwrap()
    .claims;
    assert_eq!(claims["nonce"], "nonce-456");
    assert_eq!(claims["email"], "ada@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        3600
    );
    let sub = claims["sub"].as_str().unwrap();
    assert_eq!(sub.len(), 12);
    assert_eq!(
        claims["roles"],
        serde_json::json!(["admin"]),
        "first account is admin"
    );

    let info = h.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(info.status, StatusCode::OK);
    assert_eq!(info.json()["sub"], sub);
    assert_eq!(info.json()["email"], "ada@example.com");
}

#[tokio::test]
async fn without_consent_there_is_no_refresh_token() {
    let h = Harness::new().await;
    let mut browser = Browser::default();
    let done = h
        .sign_in(
            &mut browser,
            "noconsent@example.com",
            &[("prompt", "login")],
        )
        .await;
    let tokens = h
        .exchange(&done.location_param("code").unwrap(), VERIFIER)
        .await
        .json();
    assert!(tokens.get("refresh_token").is_none());
}

#[tokio::test]
async fn a_second_sign_in_from_the_same_browser_skips_the_form() {
    let h = Harness::new().await;
    let mut browser = Browser::default();
    h.sign_in(&mut browser, "ada@example.com", &[]).await;
    let mails = h.mail_count().await;
    let again = h.get(Some(&mut browser), &h.authorize_uri(&[])).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert!(
        again.location().starts_with(CALLBACK),
        "{}",
        again.location()
    );
    assert!(again.location_param("code").is_some());
    assert_eq!(h.mail_count().await, mails, "no new email");
    // prompt=login forces the form again.
    let forced = h
        .get(
            Some(&mut browser),
            &h.authorize_uri(&[("prompt", "login consent")]),
        )
        .await;
    assert_eq!(forced.location(), "/sign-in");
    // prompt=none without a session is login_required.
    let fresh = h.get(None, &h.authorize_uri(&[("prompt", "none")])).await;
    assert_eq!(
        fresh.location_param("error").as_deref(),
        Some("login_required")
    );
}

#[tokio::test]
async fn a_code_is_single_use_and_reuse_revokes_what_it_issued() {
    let h = Harness::new().await;
    let mut browser = Browser::default();
    let done = h.sign_in(&mut browser, "ada@example.com", &[]).await;
    let code = done.location_param("code").unwrap();
    let first = h.exchange(&code, VERIFIER).await.json();
    let access = first["access_token"].as_str().unwrap();
    let refresh = first["refresh_token"].as_str().unwrap();
    // What the first exchange issued works until the replay.
    assert_eq!(h.userinfo(access).await.status, StatusCode::OK);
    let second = h.exchange(&code, VERIFIER).await;
    assert_eq!(second.status, StatusCode::BAD_REQUEST);
    assert_eq!(second.json()["error"], "invalid_grant");
    assert_eq!(second.json()["code"], "oidc.invalid_grant");
    assert!(second.json()["message"].is_string());
    assert_eq!(h.userinfo(access).await.status, StatusCode::UNAUTHORIZED);
    h.refresh(refresh)
        .await
        .error(StatusCode::BAD_REQUEST, "oidc.invalid_grant");
}

#[tokio::test]
async fn a_code_expires_after_sixty_seconds() {
    let h = Harness::new().await;
    let mut browser = Browser::default();
    let done = h.sign_in(&mut browser, "ada@example.com", &[]).await;
    h.clock.advance(Duration::from_secs(61));
    let reply = h
        .exchange(&done.location_param("code").unwrap(), VERIFIER)
        .await;
    assert_eq!(reply.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn a_wrong_verifier_fails_and_leaves_the_code_usable() {
    let h = Harness::new().await;
    let mut browser = Browser::default();
    let done = h.sign_in(&mut browser, "ada@example.com", &[]).await;
    let code = done.location_param("code").unwrap();
    let wrong = h.exchange(&code, &"x".repeat(43)).await;
    assert_eq!(wrong.json()["error"], "invalid_grant");
    assert_eq!(h.exchange(&code, VERIFIER).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_wrong_client_secret_is_401_invalid_client_with_both_error_shapes() {
    let h = Harness::new().await;
    let request = Request::post("/oidc/token")
        .header(header::AUTHORIZATION, basic(APP_ID, "not-the-secret"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form(&[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("code_verifier", VERIFIER),
            ("redirect_uri", CALLBACK),
        ])))
        .unwrap();
    let reply = h.send(None, request).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let body = reply.json();
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["code"], "oidc.invalid_client");
    assert!(body["error_description"].is_string() && body["message"].is_string());
    assert!(reply.headers.contains_key(header::WWW_AUTHENTICATE));
}

#[tokio::test]
async fn basic_credentials_are_url_decoded() {
    let h = Harness::new().await;
    // "web-app" and "web-secret" need no encoding; an encoded form of the same must work too.
    let request = Request::post("/oidc/token")
        .header(header::AUTHORIZATION, basic("web%2Dapp", "web%2Dsecret"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "unknown"),
        ])))
        .unwrap();
    let reply = h.send(None, request).await;
    assert_eq!(
        reply.json()["error"],
        "invalid_grant",
        "authenticated, then the grant fails"
    );
}

#[tokio::test]
async fn refresh_rotates_after_seventy_percent_and_reuse_revokes_the_grant() {
    let h = Harness::new().await;
    let tokens = h.tokens_for("ada@example.com").await;
    let original = tokens["refresh_token"].as_str().unwrap().to_owned();
    let nonce_before = jwt_claims(tokens["id_token"].as_str().unwrap())["nonce"].clone();

    // Early refresh: new access token, no new refresh token; the ID token keeps the nonce.
    let early = h.refresh(&original).await.json();
    assert!(early.get("refresh_token").is_none(), "{early}");
    assert_eq!(
        jwt_claims(early["id_token"].as_str().unwrap())["nonce"],
        nonce_before
    );
    assert_ne!(early["access_token"], tokens["access_token"]);

    // Past 70 % of 14 days: rotated.
    h.clock.advance(Duration::from_secs(10 * 24 * 3600));
    let rotated = h.refresh(&original).await.json();
    let next = rotated["refresh_token"]
        .as_str()
        .expect("rotated")
        .to_owned();
    assert_ne!(next, original);

    // Within the 3 s grace the old one still works (concurrent refreshes).
    h.clock.advance(Duration::from_secs(2));
    assert_eq!(h.refresh(&original).await.status, StatusCode::OK);

    // After it, reuse revokes the whole grant, including the rotated token: which worked until
    // then.
    assert_eq!(
        h.userinfo(rotated["access_token"].as_str().unwrap())
            .await
            .status,
        StatusCode::OK
    );
    h.clock.advance(Duration::from_secs(5));
    let reused = h.refresh(&original).await;
    assert_eq!(reused.json()["error"], "invalid_grant");
    assert_eq!(h.refresh(&next).await.json()["error"], "invalid_grant");
    assert_eq!(
        h.userinfo(rotated["access_token"].as_str().unwrap())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn refresh_tokens_are_bound_to_their_client() {
    let h = Harness::new().await;
    let tokens = h.tokens_for("ada@example.com").await;
    let request = Request::post("/oidc/token")
        .header(header::AUTHORIZATION, basic(M2M_ID, M2M_SECRET))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ])))
        .unwrap();
    assert_eq!(h.send(None, request).await.json()["error"], "invalid_grant");
    assert_eq!(
        h.refresh(tokens["refresh_token"].as_str().unwrap())
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn revocation_answers_200_and_revoking_a_refresh_token_ends_the_grant() {
    let h = Harness::new().await;
    let tokens = h.tokens_for("ada@example.com").await;
    let revoke = |token: String| {
        Request::post("/oidc/token/revocation")
            .header(header::AUTHORIZATION, basic(APP_ID, APP_SECRET))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form(&[
                ("token", &token),
                ("client_id", APP_ID),
            ])))
            .unwrap()
    };
    assert_eq!(
        h.send(None, revoke("unknown-token".to_owned()))
            .await
            .status,
        StatusCode::OK
    );
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    // Revoking an unknown token changed nothing: the grant still works.
    assert_eq!(
        h.userinfo(tokens["access_token"].as_str().unwrap())
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        h.send(None, revoke(refresh.clone())).await.status,
        StatusCode::OK
    );
    assert_eq!(h.refresh(&refresh).await.json()["error"], "invalid_grant");
    assert_eq!(
        h.userinfo(tokens["access_token"].as_str().unwrap())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn end_session_redirects_only_to_registered_uris() {
    let h = Harness::new().await;
    let mut browser = Browser::default();
    let done = h.sign_in(&mut browser, "ada@example.com", &[]).await;
    let tokens = h
        .exchange(&done.location_param("code").unwrap(), VERIFIER)
        .await
        .json();
    let hint = tokens["id_token"].as_str().unwrap();

    let registered = format!(
        "/oidc/session/end?{}",
        form(&[
            ("id_token_hint", hint),
            ("post_logout_redirect_uri", POST_LOGOUT),
            ("state", "bye")
        ])
    );
    let reply = h.get(Some(&mut browser), &registered).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(reply.location().starts_with(POST_LOGOUT));
    assert_eq!(reply.location_param("state").as_deref(), Some("bye"));
    assert!(!browser.has("idp_session"), "the provider session ended");
    // The next authorize shows the form again.
    assert_eq!(
        h.get(Some(&mut browser), &h.authorize_uri(&[]))
            .await
            .location(),
        "/sign-in"
    );

    let unregistered = format!(
        "/oidc/session/end?{}",
        form(&[
            ("client_id", APP_ID),
            ("post_logout_redirect_uri", "https://evil.example")
        ])
    );
    let reply = h.get(None, &unregistered).await;
    assert_eq!(reply.location(), format!("{ISSUER}/session/end/success"));

    let forged = format!(
        "/oidc/session/end?{}",
        form(&[
            ("id_token_hint", "a.b.c"),
            ("post_logout_redirect_uri", POST_LOGOUT)
        ])
    );
    let reply = h.get(None, &forged).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.headers.get(header::LOCATION).is_none());

    let mismatch = format!(
        "/oidc/session/end?{}",
        form(&[("id_token_hint", hint), ("client_id", M2M_ID)])
    );
    assert_eq!(h.get(None, &mismatch).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn machine_to_machine_clients_get_jwt_access_tokens_and_nothing_else() {
    let h = Harness::new().await;
    let request = Request::post("/oidc/token")
        .header(header::AUTHORIZATION, basic(M2M_ID, M2M_SECRET))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form(&[
            ("grant_type", "client_credentials"),
            ("resource", "https://default.logto.app/api"),
            ("scope", "all"),
        ])))
        .unwrap();
    let reply = h.send(None, request).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let token = reply.json()["access_token"].as_str().unwrap().to_owned();
    let claims = jwt_claims(&token);
    assert_eq!(claims["aud"], "https://default.logto.app/api");
    assert_eq!(claims["sub"], M2M_ID);
    assert_eq!(claims["scope"], "all");
    assert_eq!(jwt_header(&token)["kid"], h.provider.keys.active_kid());

    // A web app may not use client_credentials; an M2M app may not authorize.
    let request = Request::post("/oidc/token")
        .header(header::AUTHORIZATION, basic(APP_ID, APP_SECRET))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form(&[
            ("grant_type", "client_credentials"),
            ("resource", "https://default.logto.app/api"),
        ])))
        .unwrap();
    assert_eq!(
        h.send(None, request).await.json()["error"],
        "unauthorized_client"
    );
    let reply = h
        .get(None, &h.authorize_uri(&[("client_id", M2M_ID)]))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn rotated_signing_keys_stay_published() {
    let h = Harness::new().await;
    let old_kid = h.provider.keys.active_kid().to_owned();
    let rotated = leptos_logto::idp::keys::SigningKeys::rotate(h.store.as_ref(), START)
        .await
        .unwrap();
    assert_ne!(rotated.active_kid(), old_kid);
    let kids: Vec<String> = rotated.jwks()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kids, vec![rotated.active_kid().to_owned(), old_kid]);
}

#[tokio::test]
async fn configured_admins_get_the_role_and_others_do_not() {
    let h = Harness::with_admins(vec!["boss@example.com".to_owned()]).await;
    let first = h.tokens_for("someone@example.com").await;
    assert_eq!(
        jwt_claims(first["id_token"].as_str().unwrap())["roles"],
        serde_json::json!([])
    );
    let boss = h.tokens_for("Boss@Example.com").await;
    assert_eq!(
        jwt_claims(boss["id_token"].as_str().unwrap())["roles"],
        serde_json::json!(["admin"])
    );
}

#[tokio::test]
async fn a_resource_on_the_token_request_gets_a_jwt_access_token_for_that_api() {
    let h = Harness::new().await;
    let api = "https://api.example.com";
    h.register_resource(api, 3600, &[]).await;
    let mut browser = Browser::default();
    let done = h
        .sign_in(&mut browser, "ada@example.com", &[("resource", api)])
        .await;
    let code = done.location_param("code").unwrap();
    let request = Request::post("/oidc/token")
        .header(header::AUTHORIZATION, basic(APP_ID, APP_SECRET))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", VERIFIER),
            ("redirect_uri", CALLBACK),
            ("resource", api),
        ])))
        .unwrap();
    let tokens = h.send(None, request).await.json();
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(jwt_header(access)["typ"], "at+jwt");
    assert_eq!(jwt_header(access)["kid"], h.provider.keys.active_kid());
    let claims = jwt_claims(access);
    assert_eq!(claims["aud"], api);
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["client_id"], APP_ID);
    assert_eq!(
        claims["sub"],
        jwt_claims(tokens["id_token"].as_str().unwrap())["sub"]
    );

    // On refresh too; a resource that was not granted is invalid_target.
    let refresh = |resource: &str| {
        Request::post("/oidc/token")
            .header(header::AUTHORIZATION, basic(APP_ID, APP_SECRET))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
                ("resource", resource),
            ])))
            .unwrap()
    };
    let refreshed = h.send(None, refresh(api)).await.json();
    assert_eq!(
        jwt_claims(refreshed["access_token"].as_str().unwrap())["aud"],
        api
    );
    let other = h.send(None, refresh("https://other.example.com")).await;
    assert_eq!(other.json()["error"], "invalid_target");
}
