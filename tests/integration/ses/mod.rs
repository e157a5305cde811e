//! The AWS SES connector against a real SES-compatible endpoint (moto, with SigV4 enforced):
//! test sends, AWS refusals, sign-in codes through a saved SES connector, and the secret never
//! appearing in responses, logs or the database file while sending keeps working.

pub(crate) mod moto;

use crate::management::harness::*;
use http::{Method, StatusCode};
use leptos_logto::idp::store::memory::MemoryStore;
use leptos_logto::idp::store::sqlite::SqliteStore;
use moto::Moto;
use serde_json::{json, Value};
use std::sync::Arc;

pub(crate) const SENDER_ADDRESS: &str = "no-reply@example.com";
const SENDER: &str = "Example <no-reply@example.com>";

fn config_for(moto: &Moto, secret: &str, sender: &str) -> Value {
    let mut config = ses_config(secret, sender);
    config["accessKeyId"] = json!(moto.key_id);
    config
}

/// A provider (memory store) whose SES connector sends to `moto`.
async fn api_sending_through(moto: &Moto) -> Api {
    Api::with(
        Arc::new(MemoryStore::new()),
        secret_box(),
        Some(moto.url.clone()),
    )
    .await
}

async fn test_send(api: &Api, email: &str, config: &Value) -> Reply {
    let body = json!({"email": email, "config": config});
    api.admin(
        Method::POST,
        "/api/connectors/aws-ses-mail/test",
        Some(&body),
    )
    .await
}

/// Sets a process environment variable for the life of the guard.
struct EnvVar(&'static str);

impl EnvVar {
    fn set(name: &'static str, value: &str) -> Self {
        std::env::set_var(name, value);
        Self(name)
    }
}

impl Drop for EnvVar {
    fn drop(&mut self) {
        std::env::remove_var(self.0);
    }
}

#[tokio::test]
async fn the_test_endpoint_delivers_the_generic_template_via_aws_endpoint_url_sesv2() {
    let moto = Moto::start(SENDER_ADDRESS);
    // The only SES test that relies on the standard variable; the others override the endpoint
    // on the client, which wins over it.
    let _endpoint = EnvVar::set("AWS_ENDPOINT_URL_SESV2", &moto.url);
    let api = Api::new().await;
    let reply = test_send(
        &api,
        "admin@example.com",
        &config_for(&moto, &moto.secret, SENDER),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);

    let sent = moto.sent().await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to(), vec!["admin@example.com".to_owned()]);
    assert_eq!(sent[0].source, SENDER);
    assert_eq!(sent[0].subject, "Generic Grüße 000000");
    assert_eq!(
        sent[0].body,
        "<p>Generic: Grüße! Your code is <b>000000</b>.</p>"
    );
    assert!(
        api.store.list_mail(10).await.unwrap().is_empty(),
        "not the dev mailbox"
    );
}

#[tokio::test]
async fn aws_refusals_are_invalid_response_with_the_aws_code_and_message() {
    let moto = Moto::start(SENDER_ADDRESS);
    let api = api_sending_through(&moto).await;

    let wrong_secret = config_for(&moto, "wrong-secret-wrong-secret-wrong-secret00", SENDER);
    let reply = test_send(&api, "admin@example.com", &wrong_secret).await;
    let error = reply.error(StatusCode::BAD_REQUEST, "connector.invalid_response");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("SignatureDoesNotMatch"), "{message}");
    assert!(
        message.contains("The request signature we calculated does not match"),
        "{message}"
    );

    let unverified = config_for(&moto, &moto.secret, "Other <other@example.com>");
    let reply = test_send(&api, "admin@example.com", &unverified).await;
    let error = reply.error(StatusCode::BAD_REQUEST, "connector.invalid_response");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("MessageRejected"), "{message}");
    assert!(message.contains("not verified"), "{message}");

    assert!(moto.sent().await.is_empty());
    // The right key and a verified sender work against the same server.
    let reply = test_send(
        &api,
        "admin@example.com",
        &config_for(&moto, &moto.secret, SENDER),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    assert_eq!(moto.sent().await.len(), 1);
}

#[tokio::test]
async fn after_saving_ses_sign_in_codes_go_through_ses_and_complete_the_sign_in() {
    let moto = Moto::start(SENDER_ADDRESS);
    let api = api_sending_through(&moto).await;
    let body =
        json!({"connectorId": "aws-ses-mail", "config": config_for(&moto, &moto.secret, SENDER)});
    let saved = api
        .admin(Method::POST, "/api/connectors", Some(&body))
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);

    for (round, usage) in [(1, "Register"), (2, "SignIn")] {
        let mut browser = Browser::default();
        let reply = api.submit_email(&mut browser, "Ada@Example.com").await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        assert_eq!(reply.location(), "/sign-in/verify");

        let sent = moto.sent().await;
        assert_eq!(sent.len(), round);
        let mail = &sent[round - 1];
        assert_eq!(mail.to(), vec!["ada@example.com".to_owned()]);
        let code = mail.code();
        assert_eq!(code.len(), 6);
        assert!(code.chars().all(|c| c.is_ascii_digit()));
        assert_eq!(mail.subject, format!("{usage} Grüße {code}"));
        assert!(
            mail.body.starts_with(&format!("<p>{usage}: Grüße!")),
            "{}",
            mail.body
        );

        let done = api
            .post_form(&mut browser, "/sign-in/verify", form(&[("code", &code)]))
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        assert!(done.location().starts_with(CALLBACK), "{}", done.location());
        assert!(done.location().contains("code="));
    }
    assert!(
        api.store.list_mail(10).await.unwrap().is_empty(),
        "nothing went to the dev mailbox"
    );
}

#[tokio::test]
async fn the_ses_secret_is_in_no_response_log_or_database_file_and_still_works() {
    let capture = crate::logs::capture();
    let moto = Moto::start(SENDER_ADDRESS);
    let secret = moto.secret.clone();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(&dir.path().join("provider.sqlite"))
            .await
            .unwrap(),
    );
    let api = Api::with(store, secret_box(), Some(moto.url.clone())).await;

    let mut bodies = Vec::new();
    let body = json!({"connectorId": "aws-ses-mail", "config": config_for(&moto, &secret, SENDER)});
    let created = api
        .admin(Method::POST, "/api/connectors", Some(&body))
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    bodies.push(created.body);
    for path in [
        "/api/connectors".to_owned(),
        format!("/api/connectors/{id}"),
        "/api/connector-factories".to_owned(),
        "/api/sign-in-exp".to_owned(),
    ] {
        let reply = api.admin(Method::GET, &path, None).await;
        assert_eq!(reply.status, StatusCode::OK);
        bodies.push(reply.body);
    }
    // Save again with a blank secret (kept), then send with a blank secret (the stored one).
    let blank = json!({"config": config_for(&moto, "", SENDER)});
    let patched = api
        .admin(
            Method::PATCH,
            &format!("/api/connectors/{id}"),
            Some(&blank),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    bodies.push(patched.body);
    let tested = test_send(&api, "admin@example.com", &config_for(&moto, "", SENDER)).await;
    assert_eq!(tested.status, StatusCode::NO_CONTENT, "{}", tested.body);
    let mut browser = Browser::default();
    let page = api.submit_email(&mut browser, "grace@example.com").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    bodies.push(page.body);
    let sent = moto.sent().await;
    assert_eq!(
        sent.len(),
        2,
        "decrypting the stored secret still signs valid requests"
    );
    assert_eq!(sent[1].to(), vec!["grace@example.com".to_owned()]);

    for body in &bodies {
        assert!(!body.contains(&secret), "secret in a response: {body}");
    }
    let logs = capture.text();
    assert!(
        logs.contains("connector created"),
        "the capture sees the provider's logs"
    );
    assert!(!logs.contains(&secret), "secret in the logs");

    let mut files = 0;
    let mut key_id_seen = false;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        files += 1;
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "secret in plain text in a database file"
        );
        key_id_seen |= bytes
            .windows(moto.key_id.len())
            .any(|w| w == moto.key_id.as_bytes());
    }
    assert!(files >= 1);
    assert!(
        key_id_seen,
        "the connector was written to the database files"
    );
}

mod check;
mod settings;
