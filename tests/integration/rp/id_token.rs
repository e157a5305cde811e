//! ID-token verification at sign-in (OIDC Core §3.1.3.7), one hostile token per test; the names
//! follow the OpenID conformance suite's RP modules where one exists.

use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use leptos_logto::auth::{AuthError, IdTokenError};
use serde_json::{json, Value};

use super::provider::{hs256, swap_payload, unsecured, EsKey, RSA};
use super::{Harness, ACCESS, CODE, REFRESH};

fn invalid(reason: IdTokenError) -> AuthError {
    AuthError::InvalidIdToken(reason)
}

/// Signs valid claims changed by `change` with the published ES384 key and expects `reason`.
async fn rejects_claims(
    change: impl FnOnce(&mut serde_json::Map<String, Value>),
    reason: IdTokenError,
) {
    let h = Harness::start().await;
    let result = h
        .sign_in_with(|claims| {
            change(claims.as_object_mut().unwrap());
            h.es.sign(claims)
        })
        .await;
    assert_eq!(result.unwrap_err(), invalid(reason));
    assert_eq!(h.provider.count(|c| &c.code_grants), 1);
}

#[tokio::test]
async fn valid_es384_sign_in() {
    let h = Harness::start().await;
    let (url, tx) = h.start_sign_in().await;
    let challenge = url
        .query_pairs()
        .find(|(k, _)| k == "code_challenge")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let id_token = h.es.sign(&h.claims(&tx));
    h.provider.knobs().code_reply =
        super::provider::Reply::Json(200, Harness::token_reply(Some(&id_token)));
    let verifier = tx.code_verifier.expose().to_owned();
    let signed = h.rp.finish_sign_in(&h.callback(&tx), tx).await.unwrap();

    // The verified claims, typed.
    let claims = &signed.tokens.claims;
    assert_eq!(claims.iss, h.issuer());
    assert_eq!(claims.sub, "user-1");
    assert_eq!(claims.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(claims.username.as_deref(), Some("ada"));
    assert_eq!(claims.picture, None);
    assert_eq!(claims.email.as_deref(), Some("ada@example.com"));
    assert_eq!(claims.email_verified, Some(true));
    assert_eq!(claims.roles, ["admin", "editor"]);
    assert_eq!(claims.sid.as_deref(), Some("sid-1"));
    assert_eq!(claims.auth_time, Some(h.now()));
    assert_eq!(claims.all.get("sid"), Some(&json!("sid-1")));
    assert_eq!(signed.return_to, "/profile");
    assert_eq!(signed.tokens.access_token.expose(), ACCESS);
    assert_eq!(
        signed.tokens.refresh_token.as_ref().unwrap().expose(),
        REFRESH
    );
    assert_eq!(signed.tokens.id_token.expose(), id_token);
    assert_eq!(signed.tokens.access_token_expires_at, h.now() + 3600);

    // What reached the token endpoint (RFC 6749 §4.1.3, RFC 7636 §4.5, client_secret_basic).
    let requests = h.provider.token_requests();
    assert_eq!(requests.len(), 1);
    let form = &requests[0].form;
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code"], CODE);
    assert_eq!(form["code_verifier"], verifier);
    assert_eq!(
        form["redirect_uri"],
        "http://localhost:3000/logto/sign-in-callback"
    );
    // The client authenticates once (RFC 6749 §2.3.1), with the Basic header.
    assert!(!form.contains_key("client_id"));
    assert!(!form.contains_key("client_secret"));
    use sha2::Digest as _;
    assert_eq!(
        URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes())),
        challenge
    );
    let basic = requests[0].authorization.as_deref().unwrap();
    let pair = STANDARD
        .decode(basic.strip_prefix("Basic ").unwrap())
        .unwrap();
    assert_eq!(
        String::from_utf8(pair).unwrap(),
        "test-app:s3cr%3At%2F%2B+%25"
    );
    assert_eq!(h.provider.count(|c| &c.discovery), 1);
    assert_eq!(h.provider.count(|c| &c.jwks), 1);
}

#[tokio::test]
async fn valid_rs256_sign_in() {
    let h = Harness::start().await;
    let signed = h.sign_in_with(|claims| RSA.sign(claims)).await.unwrap();
    assert_eq!(signed.tokens.claims.sub, "user-1");
    assert_eq!(signed.tokens.claims.roles, ["admin", "editor"]);
}

#[tokio::test]
async fn later_sign_ins_reuse_cached_discovery_and_jwks() {
    let h = Harness::start().await;
    h.signed_in().await;
    h.sign_in_with(|claims| RSA.sign(claims)).await.unwrap();
    h.signed_in().await;
    assert_eq!(h.provider.count(|c| &c.discovery), 1);
    assert_eq!(h.provider.count(|c| &c.jwks), 1);
}

#[tokio::test]
async fn invalid_sig_es384() {
    let h = Harness::start().await;
    // Signed by an unpublished key under the published kid.
    let forger = EsKey::generate("es-1");
    let result = h.sign_in_with(|claims| forger.sign(claims)).await;
    assert_eq!(result.unwrap_err(), invalid(IdTokenError::BadSignature));
}

#[tokio::test]
async fn invalid_sig_rs256() {
    let h = Harness::start().await;
    let result = h
        .sign_in_with(|claims| {
            let genuine = RSA.sign(claims);
            claims["sub"] = "admin-user".into();
            swap_payload(&genuine, claims)
        })
        .await;
    assert_eq!(result.unwrap_err(), invalid(IdTokenError::BadSignature));
}

#[tokio::test]
async fn idtoken_sig_none() {
    let h = Harness::start().await;
    let result = h
        .sign_in_with(|claims| unsecured(Some("es-1"), claims))
        .await;
    assert_eq!(
        result.unwrap_err(),
        invalid(IdTokenError::DisallowedAlgorithm("none".into()))
    );
    // Refused on the header alone: no key was even looked up.
    assert_eq!(h.provider.count(|c| &c.jwks), 0);
}

#[tokio::test]
async fn invalid_sig_hs256_with_the_public_key_as_secret() {
    let h = Harness::start().await;
    let result = h
        .sign_in_with(|claims| hs256(Some("rsa-1"), RSA.public_pem.as_bytes(), claims))
        .await;
    assert_eq!(
        result.unwrap_err(),
        invalid(IdTokenError::DisallowedAlgorithm("HS256".into()))
    );
    // The raw JWK coordinates as secret fare no better.
    let x = h.es.jwk["x"].as_str().unwrap().to_owned();
    let result = h
        .sign_in_with(|claims| hs256(Some("es-1"), x.as_bytes(), claims))
        .await;
    assert_eq!(
        result.unwrap_err(),
        invalid(IdTokenError::DisallowedAlgorithm("HS256".into()))
    );
}

#[tokio::test]
async fn unknown_kid_without_rotation_is_rejected_after_one_rate_limited_refetch() {
    let h = Harness::start().await;
    h.signed_in().await;
    assert_eq!(h.provider.count(|c| &c.jwks), 1);
    let stranger = EsKey::generate("es-unknown");

    h.clock.advance(Duration::from_secs(31));
    let result = h.sign_in_with(|claims| stranger.sign(claims)).await;
    assert_eq!(result.unwrap_err(), invalid(IdTokenError::UnknownKey));
    assert_eq!(h.provider.count(|c| &c.jwks), 2, "one refetch");

    // Within 30 s of that refetch, more unknown kids cause no further fetches.
    let result = h.sign_in_with(|claims| stranger.sign(claims)).await;
    assert_eq!(result.unwrap_err(), invalid(IdTokenError::UnknownKey));
    assert_eq!(h.provider.count(|c| &c.jwks), 2);
}

#[tokio::test]
async fn signing_key_rotation_is_accepted_after_exactly_one_refetch() {
    let h = Harness::start().await;
    h.signed_in().await;
    assert_eq!(h.provider.count(|c| &c.jwks), 1);

    let next = EsKey::generate("es-2");
    h.provider.knobs().jwks.push(next.jwk.clone());
    h.clock.advance(Duration::from_secs(31));
    let signed = h.sign_in_with(|claims| next.sign(claims)).await.unwrap();
    assert_eq!(signed.tokens.claims.sub, "user-1");
    assert_eq!(h.provider.count(|c| &c.jwks), 2);

    // Both keys are now cached.
    h.signed_in().await;
    h.sign_in_with(|claims| next.sign(claims)).await.unwrap();
    assert_eq!(h.provider.count(|c| &c.jwks), 2);
}

#[tokio::test]
async fn kid_absent_multiple_jwks_is_rejected() {
    let h = Harness::start().await;
    let result = h
        .sign_in_with(|claims| h.es.sign_with_kid(None, claims))
        .await;
    assert_eq!(result.unwrap_err(), invalid(IdTokenError::AmbiguousKey));
}

#[tokio::test]
async fn kid_absent_single_jwks_is_accepted() {
    let h = Harness::start().await;
    h.provider.knobs().jwks = vec![h.es.jwk.clone()];
    let signed = h
        .sign_in_with(|claims| h.es.sign_with_kid(None, claims))
        .await
        .unwrap();
    assert_eq!(signed.tokens.claims.sub, "user-1");
}

#[tokio::test]
async fn kid_absent_after_the_single_key_rotated_is_accepted_after_one_refetch() {
    let h = Harness::start().await;
    h.provider.knobs().jwks = vec![h.es.jwk.clone()];
    h.sign_in_with(|claims| h.es.sign_with_kid(None, claims))
        .await
        .unwrap();
    assert_eq!(h.provider.count(|c| &c.jwks), 1);

    // The provider rotates to another single key and still omits `kid` (OIDC Core §10.1).
    let next = EsKey::generate("es-2");
    h.provider.knobs().jwks = vec![next.jwk.clone()];
    h.clock.advance(Duration::from_secs(31));
    let signed = h
        .sign_in_with(|claims| next.sign_with_kid(None, claims))
        .await
        .unwrap();
    assert_eq!(signed.tokens.claims.sub, "user-1");
    assert_eq!(h.provider.count(|c| &c.jwks), 2, "one refetch");

    // A forger's token without `kid` is still refused, and causes no refetch within 30 s.
    let forger = EsKey::generate("es-2");
    let result = h
        .sign_in_with(|claims| forger.sign_with_kid(None, claims))
        .await;
    assert_eq!(result.unwrap_err(), invalid(IdTokenError::BadSignature));
    assert_eq!(h.provider.count(|c| &c.jwks), 2);
}

#[tokio::test]
async fn key_of_another_type_under_the_kid_is_refused() {
    let h = Harness::start().await;
    // An ES384 header naming the RSA key's kid.
    let result = h
        .sign_in_with(|claims| h.es.sign_with_kid(Some("rsa-1"), claims))
        .await;
    assert_eq!(result.unwrap_err(), invalid(IdTokenError::UnusableKey));
}

#[tokio::test]
async fn invalid_iss() {
    rejects_claims(
        |c| {
            c.insert("iss".into(), json!("https://evil.example/oidc"));
        },
        IdTokenError::WrongIssuer,
    )
    .await;
}

#[tokio::test]
async fn invalid_aud() {
    rejects_claims(
        |c| {
            c.insert("aud".into(), json!("another-app"));
        },
        IdTokenError::WrongAudience,
    )
    .await;
}

#[tokio::test]
async fn missing_aud() {
    rejects_claims(
        |c| {
            c.remove("aud");
        },
        IdTokenError::MissingAudience,
    )
    .await;
}

#[tokio::test]
async fn multiple_aud_without_azp() {
    rejects_claims(
        |c| {
            c.insert("aud".into(), json!(["test-app", "another-app"]));
        },
        IdTokenError::AzpMismatch,
    )
    .await;
}

#[tokio::test]
async fn multiple_aud_with_our_azp_is_accepted() {
    let h = Harness::start().await;
    let signed = h
        .sign_in_with(|claims| {
            claims["aud"] = json!(["test-app", "another-app"]);
            claims["azp"] = json!("test-app");
            h.es.sign(claims)
        })
        .await
        .unwrap();
    assert_eq!(signed.tokens.claims.aud, ["test-app", "another-app"]);
}

#[tokio::test]
async fn expired() {
    rejects_claims(
        |c| {
            c.insert("iat".into(), json!(super::T0 - 7200));
            c.insert("exp".into(), json!(super::T0 - 61));
        },
        IdTokenError::Expired,
    )
    .await;
}

#[tokio::test]
async fn missing_iat() {
    rejects_claims(
        |c| {
            c.remove("iat");
        },
        IdTokenError::MissingIssuedAt,
    )
    .await;
}

#[tokio::test]
async fn iat_in_the_future() {
    rejects_claims(
        |c| {
            c.insert("iat".into(), json!(super::T0 + 3600));
        },
        IdTokenError::IssuedInFuture,
    )
    .await;
}

#[tokio::test]
async fn missing_sub() {
    rejects_claims(
        |c| {
            c.remove("sub");
        },
        IdTokenError::MissingSubject,
    )
    .await;
}

#[tokio::test]
async fn nonce_invalid() {
    rejects_claims(
        |c| {
            c.insert("nonce".into(), json!("a-nonce-from-another-sign-in"));
        },
        IdTokenError::NonceMismatch,
    )
    .await;
}

#[tokio::test]
async fn missing_nonce() {
    rejects_claims(
        |c| {
            c.remove("nonce");
        },
        IdTokenError::MissingNonce,
    )
    .await;
}

#[tokio::test]
async fn at_hash_is_checked_when_present() {
    let h = Harness::start().await;
    let result = h
        .sign_in_with(|claims| {
            claims["at_hash"] = json!(URL_SAFE_NO_PAD.encode([0u8; 24]));
            h.es.sign(claims)
        })
        .await;
    assert_eq!(result.unwrap_err(), invalid(IdTokenError::AtHashMismatch));

    use sha2::Digest as _;
    let digest = sha2::Sha384::digest(ACCESS.as_bytes());
    let good = URL_SAFE_NO_PAD.encode(&digest[..24]);
    h.sign_in_with(|claims| {
        claims["at_hash"] = json!(good);
        h.es.sign(claims)
    })
    .await
    .unwrap();
}
