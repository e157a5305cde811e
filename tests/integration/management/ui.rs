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
async fn sign_up_off_hides_registration_and_tells_strangers_there_is_no_account() {
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

    // A stranger gets Logto's answer on the email form: no code page, no mail.
    let refused = api
        .post_form(
            &mut browser,
            "/sign-in/email",
            form(&[("email", "stranger@example.com"), ("screen", "register")]),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(refused.body.contains(
        "<p class=\"field__error\" id=\"email-error\" role=\"alert\">There is no account with this email address, and new accounts can&#39;t be created here.</p>"
    ), "{}", refused.body);
    assert!(refused.body.contains("aria-invalid=\"true\""));
    assert!(refused.body.contains("value=\"stranger@example.com\""));
    assert!(refused
        .body
        .contains(&format!("<h1>Sign in to {APP_ID}</h1>")));
    assert_eq!(refused.body.matches("role=\"alert\"").count(), 1);
    assert_eq!(
        api.store.list_mail(100).await.unwrap().len(),
        mails_before,
        "no mail for a stranger"
    );
    let code_page = api.get_page(&mut browser, "/sign-in/verify").await;
    assert_eq!(
        code_page.status,
        StatusCode::SEE_OTHER,
        "no code page: back to the email form"
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
