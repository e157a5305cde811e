//! The sign-in pages follow the sign-in experience and the stored email connector: sign-up off
//! hides registration and tells an unknown address that it has no account (Logto's answer), code sign-in off explains that email sign-in is not enabled, password
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
async fn sign_up_off_hides_registration_and_answers_strangers_as_known_addresses_without_mail() {
    let api = Api::new().await;
    let mut browser = Browser::default();
    api.start_sign_in(&mut browser).await;
    let page = api.get_page(&mut browser, "/sign-in").await;
    assert!(page.body.contains("href=\"/register\""), "{}", page.body);
    assert!(!page.body.contains("sign-up-closed"));
    // An account made while sign-up is on.
    api.post_form(
        &mut browser,
        "/sign-in/email",
        form(&[("email", "known@example.com")]),
    )
    .await;
    let code = api.store.list_mail(1).await.unwrap()[0]
        .subject
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>();
    let done = api
        .post_form(&mut browser, "/sign-in/verify", form(&[("code", &code)]))
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);

    patch(
        &api,
        json!({"signUp": {"identifiers": [], "password": false, "verify": true}}),
    )
    .await;
    let mails_before = api.store.list_mail(100).await.unwrap().len();
    let mut browser = Browser::default();
    api.start_sign_in(&mut browser).await;
    let page = api.get_page(&mut browser, "/sign-in").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("href=\"/register\""), "{}", page.body);
    assert!(!page.body.contains("Create one"));
    assert!(page.body.contains("id=\"sign-up-closed\""));
    assert!(page.body.contains("New accounts can't be created here"));

    // /register is the sign-in screen, saying so.
    let register = api.get_page(&mut browser, "/register").await;
    assert_eq!(register.status, StatusCode::OK);
    assert!(
        register
            .body
            .contains(&format!("<h1>Sign in to {APP_ID}</h1>")),
        "{}",
        register.body
    );
    assert!(register.body.contains("id=\"sign-up-closed\""));
    assert!(register.body.contains("name=\"screen\" value=\"sign_in\""));

    // A stranger is answered as a known address is (security.md: indistinguishable), on a code
    // page that promises nothing; no mail goes out.
    let sent = api
        .post_form(
            &mut browser,
            "/sign-in/email",
            form(&[("email", "stranger@example.com"), ("screen", "register")]),
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let code_page = api.get_page(&mut browser, "/sign-in/verify").await;
    assert_eq!(code_page.status, StatusCode::OK);
    assert!(code_page
        .body
        .contains("has an account here, we sent it a 6-digit code"));
    assert!(code_page.body.contains("id=\"no-new-accounts\""));
    assert_eq!(
        api.store.list_mail(100).await.unwrap().len(),
        mails_before,
        "no mail for a stranger"
    );

    // A known address still signs in.
    let sent = api
        .post_form(
            &mut browser,
            "/sign-in/email",
            form(&[("email", "Known@Example.com")]),
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert_eq!(
        api.store.list_mail(100).await.unwrap().len(),
        mails_before + 1
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
