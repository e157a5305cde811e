//! `GET/PATCH /api/sign-in-exp`: the passwordless default, Logto's validation errors (each
//! leaving the stored experience unchanged), and partial patches.

use super::harness::*;
use http::{Method, StatusCode};
use serde_json::{json, Value};

fn sign_up(identifiers: &[&str], password: bool, verify: bool) -> Value {
    json!({"identifiers": identifiers, "password": password, "verify": verify})
}

fn email_method(password: bool, code: bool) -> Value {
    json!({"identifier": "email", "password": password, "verificationCode": code, "isPasswordPrimary": password})
}

/// PATCHes `body`, expects a 400 with `code`, and checks nothing changed.
async fn refused(api: &Api, body: Value, code: &str) -> Value {
    let before = api.sign_in_exp().await;
    let reply = api
        .admin(Method::PATCH, "/api/sign-in-exp", Some(&body))
        .await;
    let error = reply.error(StatusCode::BAD_REQUEST, code);
    assert_eq!(
        api.sign_in_exp().await,
        before,
        "a refused PATCH changed the experience"
    );
    error
}

#[tokio::test]
async fn the_default_is_passwordless_email_sign_up_and_sign_in() {
    let api = Api::new().await;
    let experience = api.sign_in_exp().await;
    assert_eq!(experience["signUp"], sign_up(&["email"], false, true));
    assert_eq!(
        experience["signIn"]["methods"],
        json!([email_method(false, true)])
    );
    assert_eq!(experience["id"], "default");
    assert_eq!(experience["signInMode"], "SignInAndRegister");
}

#[tokio::test]
async fn each_logto_validation_error_is_reported_and_changes_nothing() {
    let api = Api::new().await;
    refused(
        &api,
        json!({"signUp": sign_up(&["email"], false, false)}),
        "sign_in_experiences.passwordless_requires_verify",
    )
    .await;
    refused(
        &api,
        json!({"signIn": {"methods": [email_method(true, false)]}}),
        "sign_in_experiences.code_sign_in_must_be_enabled",
    )
    .await;
    refused(
        &api,
        json!({"signIn": {"methods": [email_method(false, false)]}}),
        "sign_in_experiences.at_least_one_authentication_factor",
    )
    .await;
    refused(
        &api,
        json!({"signUp": {"identifiers": [], "password": false, "verify": true,
                          "secondaryIdentifiers": [{"identifier": "email", "verify": true}]}}),
        "sign_in_experiences.missing_sign_up_identifiers",
    )
    .await;
    refused(
        &api,
        json!({"signUp": sign_up(&["email", "email"], false, true)}),
        "sign_in_experiences.duplicated_sign_up_identifiers",
    )
    .await;
    refused(
        &api,
        json!({"signUp": {"identifiers": "email"}}),
        "guard.invalid_input",
    )
    .await;
    refused(&api, json!([1, 2]), "guard.invalid_input").await;
}

#[tokio::test]
async fn email_without_an_email_connector_is_enabled_connector_not_found() {
    let api = Api::new().await;
    let connectors = api.connectors().await;
    assert_eq!(connectors.len(), 1);
    let id = connectors[0]["id"].as_str().unwrap();
    let deleted = api
        .admin(Method::DELETE, &format!("/api/connectors/{id}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);

    let error = refused(
        &api,
        json!({"signUp": sign_up(&["email"], false, true)}),
        "sign_in_experiences.enabled_connector_not_found",
    )
    .await;
    assert_eq!(error["data"], json!({"type": "Email"}));
    assert!(error["message"].as_str().unwrap().contains("Email"));
    let error = refused(
        &api,
        json!({"signIn": {"methods": [email_method(false, true)]}}),
        "sign_in_experiences.enabled_connector_not_found",
    )
    .await;
    assert_eq!(error["data"]["type"], "Email");

    // With a connector again, the same PATCH passes.
    let created = api
        .admin(
            Method::POST,
            "/api/connectors",
            Some(&json!({"connectorId": "dev-mailbox", "config": {}})),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let reply = api
        .admin(
            Method::PATCH,
            "/api/sign-in-exp",
            Some(&json!({"signIn": {"methods": [email_method(false, true)]}})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[tokio::test]
async fn a_patch_with_only_sign_in_is_checked_against_the_stored_sign_up() {
    let api = Api::new().await;
    // Stored sign-up is passwordless: a password-only sign-in is refused...
    refused(
        &api,
        json!({"signIn": {"methods": [email_method(true, false)]}}),
        "sign_in_experiences.code_sign_in_must_be_enabled",
    )
    .await;
    // ...but accepted once the stored sign-up requires a password.
    let with_password = json!({
        "signUp": sign_up(&["email"], true, true),
        "signIn": {"methods": [email_method(true, true)]},
    });
    let reply = api
        .admin(Method::PATCH, "/api/sign-in-exp", Some(&with_password))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let only_sign_in = json!({"signIn": {"methods": [email_method(true, false)]}});
    let reply = api
        .admin(Method::PATCH, "/api/sign-in-exp", Some(&only_sign_in))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let stored = api.sign_in_exp().await;
    assert_eq!(stored["signUp"], sign_up(&["email"], true, true));
    assert_eq!(
        stored["signIn"]["methods"],
        json!([email_method(true, false)])
    );
}

#[tokio::test]
async fn partial_patches_replace_only_the_fields_they_carry() {
    let api = Api::new().await;
    let reply = api
        .admin(
            Method::PATCH,
            "/api/sign-in-exp",
            Some(&json!({"customCss": ".x{color:red}", "id": "hijack"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["customCss"], ".x{color:red}");
    assert_eq!(body["id"], "default");
    assert_eq!(body["signUp"], sign_up(&["email"], false, true));

    let off = json!({"signUp": sign_up(&[], false, true)});
    let reply = api
        .admin(Method::PATCH, "/api/sign-in-exp", Some(&off))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let stored = api.sign_in_exp().await;
    assert_eq!(stored["signUp"]["identifiers"], json!([]));
    assert_eq!(stored["customCss"], ".x{color:red}");
    assert_eq!(
        stored["signIn"]["methods"],
        json!([email_method(false, true)])
    );
}
