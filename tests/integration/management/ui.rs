//! The sign-in pages follow the sign-in experience and the stored email connector: sign-up off
//! hides registration, code sign-in off explains that email sign-in is not enabled, password
//! settings get a clear "not available here", and no email connector is a clear error page.

use super::harness::*;
use http::{Method, StatusCode};
use serde_json::json;

async fn patch(api: &Api, body: serde_json::Value) {
    let reply = api
        .admin(Method::PATCH, "/api/sign-in-exp", Some(&body))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[tokio::test]
async fn sign_up_off_hides_registration_and_sends_nothing_to_strangers() {
    let api = Api::new().await;
    let mut browser = Browser::default();
    api.start_sign_in(&mut browser).await;
    let page = api.get_page(&mut browser, "/sign-in").await;
    assert!(page.body.contains("href=\"/register\""), "{}", page.body);

    patch(
        &api,
        json!({"signUp": {"identifiers": [], "password": false, "verify": true}}),
    )
    .await;
    let mut browser = Browser::default();
    api.start_sign_in(&mut browser).await;
    let page = api.get_page(&mut browser, "/sign-in").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("href=\"/register\""), "{}", page.body);
    let sent = api
        .post_form(
            &mut browser,
            "/sign-in/email",
            form(&[("email", "stranger@example.com")]),
        )
        .await;
    assert_eq!(
        sent.status,
        StatusCode::SEE_OTHER,
        "answered like a known address"
    );
    assert_eq!(
        api.store.list_mail(10).await.unwrap().len(),
        0,
        "no mail for a stranger"
    );
}

#[tokio::test]
async fn code_sign_in_off_explains_that_email_sign_in_is_not_enabled() {
    let api = Api::new().await;
    patch(
        &api,
        json!({
            "signUp": {"identifiers": ["email"], "password": true, "verify": true},
            "signIn": {"methods": [{"identifier": "email", "password": true, "verificationCode": false, "isPasswordPrimary": true}]},
        }),
    )
    .await;
    let mut browser = Browser::default();
    api.start_sign_in(&mut browser).await;
    for path in ["/sign-in", "/register"] {
        let page = api.get_page(&mut browser, path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("Email sign-in is not enabled"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("password sign-in isn't available here"),
            "{}",
            page.body
        );
        assert!(
            !page.body.contains("action=\"/sign-in/email\""),
            "no email form"
        );
    }
    let refused = api
        .post_form(
            &mut browser,
            "/sign-in/email",
            form(&[("email", "ada@example.com")]),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("Email sign-in is not enabled"));
    assert_eq!(api.store.list_mail(10).await.unwrap().len(), 0);
}

#[tokio::test]
async fn password_settings_with_codes_on_say_passwords_are_not_available() {
    let api = Api::new().await;
    patch(
        &api,
        json!({
            "signUp": {"identifiers": ["email"], "password": true, "verify": true},
            "signIn": {"methods": [{"identifier": "email", "password": true, "verificationCode": true, "isPasswordPrimary": true}]},
        }),
    )
    .await;
    let mut browser = Browser::default();
    api.start_sign_in(&mut browser).await;
    let page = api.get_page(&mut browser, "/sign-in").await;
    assert!(
        page.body.contains("Password sign-in isn't available here"),
        "{}",
        page.body
    );
    assert!(page.body.contains("action=\"/sign-in/email\""));
    let sent = api
        .post_form(
            &mut browser,
            "/sign-in/email",
            form(&[("email", "ada@example.com")]),
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(
        api.store.list_mail(10).await.unwrap().len(),
        1,
        "codes still work"
    );
}

#[tokio::test]
async fn no_email_connector_is_a_clear_error_page() {
    let api = Api::new().await;
    let id = api.connectors().await[0]["id"].as_str().unwrap().to_owned();
    let deleted = api
        .admin(Method::DELETE, &format!("/api/connectors/{id}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let mut browser = Browser::default();
    let reply = api.submit_email(&mut browser, "ada@example.com").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        reply.body.contains("Email isn&#39;t set up"),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("no email service configured"));
}
