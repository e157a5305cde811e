//! Connector factories and connectors: CRUD, one Email connector at a time, config validation,
//! write-only secrets (sealed at rest; a blank secret keeps the stored one), test sends, and the
//! refusal to store secrets without a key.

use super::harness::*;
use http::{Method, StatusCode};
use leptos_logto::idp::secrets::SecretBox;
use leptos_logto::idp::store::memory::MemoryStore;
use serde_json::{json, Value};
use std::sync::Arc;

/// A change to a valid config, the issue's path and what its message must then say.
type Case = (Box<dyn Fn(&mut Value)>, Value, &'static str);

/// The `data.issues` of a Logto `connector.invalid_config` body, after checking its message.
fn issues_of(error: &Value) -> Vec<Value> {
    assert_eq!(
        error["message"], "The connector's config is invalid.",
        "{error}"
    );
    error["data"]["issues"]
        .as_array()
        .expect("data.issues")
        .clone()
}

const SENDER: &str = "Acme <no-reply@acme.example>";

async fn create(api: &Api, factory: &str, config: &Value) -> Value {
    let body = json!({"connectorId": factory, "config": config});
    let reply = api
        .admin(Method::POST, "/api/connectors", Some(&body))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.json()
}

/// The stored secret of connector `id`, opened with the harness key.
async fn stored_secret(api: &Api, id: &str) -> String {
    let document = api.store.get_document("connectors").await.unwrap().unwrap();
    let record = document["connectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap();
    let sealed = record["secrets"]["accessKeySecret"].as_str().unwrap();
    assert!(sealed.starts_with("v1:"), "{sealed}");
    secret_box()
        .open(sealed, &format!("connector:{id}:accessKeySecret"))
        .unwrap()
        .expose()
        .to_owned()
}

#[tokio::test]
async fn factories_list_ses_and_the_dev_mailbox() {
    let api = Api::new().await;
    let reply = api
        .admin(Method::GET, "/api/connector-factories", None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let factories = reply.json();
    let find = |id: &str| {
        factories
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no factory {id}: {factories}"))
    };
    let ses = find("aws-ses-mail");
    assert_eq!(ses["target"], "aws-ses");
    assert_eq!(ses["type"], "Email");
    assert_eq!(ses["secretFields"], json!(["accessKeySecret"]));
    let dev = find("dev-mailbox");
    assert_eq!(dev["type"], "Email");
    assert_eq!(dev["isDemo"], true);
    let one = api
        .admin(Method::GET, "/api/connector-factories/aws-ses-mail", None)
        .await;
    assert_eq!(one.json()["target"], "aws-ses");
}

#[tokio::test]
async fn first_start_has_the_dev_mailbox_connector() {
    let api = Api::new().await;
    let connectors = api.connectors().await;
    assert_eq!(connectors.len(), 1);
    assert_eq!(connectors[0]["connectorId"], "dev-mailbox");
    assert_eq!(connectors[0]["type"], "Email");
    assert_eq!(connectors[0]["config"], json!({}));
    assert_eq!(connectors[0]["secrets"], json!({}));
    assert_eq!(connectors[0]["createdAt"], START * 1000);
}

#[tokio::test]
async fn invalid_ses_configs_are_invalid_config_naming_the_field() {
    let api = Api::new().await;
    let cases: Vec<Case> = vec![
        (
            Box::new(|c| {
                c.as_object_mut().unwrap().remove("accessKeyId");
            }),
            json!(["accessKeyId"]),
            "`accessKeyId` is required",
        ),
        (
            Box::new(|c| {
                c["accessKeySecret"] = json!("");
            }),
            json!(["accessKeySecret"]),
            "`accessKeySecret` is required",
        ),
        (
            Box::new(|c| {
                c.as_object_mut().unwrap().remove("region");
            }),
            json!(["region"]),
            "`region` is required",
        ),
        (
            Box::new(|c| {
                c["emailAddress"] = json!("nobody");
            }),
            json!(["emailAddress"]),
            "`emailAddress`",
        ),
        (
            Box::new(|c| {
                c["templates"][0]["subject"] = json!("");
            }),
            json!(["templates", 0, "subject"]),
            "`templates[0].subject` is required",
        ),
        (
            Box::new(|c| {
                c["templates"]
                    .as_array_mut()
                    .unwrap()
                    .retain(|t| t["usageType"] != "Generic");
            }),
            json!(["templates"]),
            "Template with UsageType (Generic) should be provided!",
        ),
        (
            Box::new(|c| {
                c["templates"]
                    .as_array_mut()
                    .unwrap()
                    .retain(|t| t["usageType"] != "ForgotPassword");
            }),
            json!(["templates"]),
            "Template with UsageType (ForgotPassword) should be provided!",
        ),
    ];
    for (change, path, expected) in cases {
        let mut config = ses_config("secret", SENDER);
        change(&mut config);
        let body = json!({"connectorId": "aws-ses-mail", "config": config});
        let reply = api
            .admin(Method::POST, "/api/connectors", Some(&body))
            .await;
        let error = reply.error(StatusCode::BAD_REQUEST, "connector.invalid_config");
        let issues = issues_of(&error);
        assert_eq!(issues.len(), 1, "{error}");
        assert_eq!(issues[0]["path"], path, "{error}");
        let message = issues[0]["message"].as_str().unwrap();
        assert!(
            message.contains(expected),
            "{message} should mention {expected}"
        );
        assert!(issues[0]["code"].as_str().is_some_and(|c| !c.is_empty()));
    }

    // Several bad fields: one issue each, with Logto's key names.
    let mut config = ses_config("secret", SENDER);
    config.as_object_mut().unwrap().remove("region");
    config["templates"][0]["subject"] = json!(3);
    config["emailAddress"] = json!(false);
    let body = json!({"connectorId": "aws-ses-mail", "config": config});
    let error = api
        .admin(Method::POST, "/api/connectors", Some(&body))
        .await
        .error(StatusCode::BAD_REQUEST, "connector.invalid_config");
    let paths: Vec<Value> = issues_of(&error)
        .iter()
        .map(|i| i["path"].clone())
        .collect();
    assert_eq!(
        paths,
        [
            json!(["region"]),
            json!(["emailAddress"]),
            json!(["templates", 0, "subject"])
        ],
        "{error}"
    );
    // Nothing was stored: the dev mailbox is still the connector.
    let connectors = api.connectors().await;
    assert_eq!(connectors.len(), 1);
    assert_eq!(connectors[0]["connectorId"], "dev-mailbox");

    let unknown = json!({"connectorId": "smtp", "config": {}});
    let error = api
        .admin(Method::POST, "/api/connectors", Some(&unknown))
        .await
        .error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "connector.not_found_with_connector_id",
        );
    assert_eq!(
        error["message"],
        "Can not find connector with given standard connector id."
    );
}

#[tokio::test]
async fn a_new_email_connector_replaces_the_old_one_both_ways() {
    let api = Api::new().await;
    let dev_id = api.connectors().await[0]["id"].as_str().unwrap().to_owned();
    let ses = create(&api, "aws-ses-mail", &ses_config("first-secret", SENDER)).await;
    assert_eq!(ses["connectorId"], "aws-ses-mail");
    assert_eq!(ses["target"], "aws-ses");
    assert_eq!(ses["secrets"], json!({"accessKeySecret": true}));
    assert!(ses["config"].get("accessKeySecret").is_none(), "{ses}");
    assert_eq!(ses["config"]["emailAddress"], SENDER);
    assert_eq!(ses["config"]["templates"].as_array().unwrap().len(), 4);
    let list = api.connectors().await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], ses["id"]);
    api.admin(Method::GET, &format!("/api/connectors/{dev_id}"), None)
        .await
        .error(StatusCode::NOT_FOUND, "entity.not_exists_with_id");

    let dev = create(&api, "dev-mailbox", &json!({})).await;
    let list = api.connectors().await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], dev["id"]);
    assert_eq!(list[0]["connectorId"], "dev-mailbox");
}

#[tokio::test]
async fn patch_replaces_the_config_and_a_blank_secret_keeps_the_stored_one() {
    let api = Api::new().await;
    let mut config = ses_config("first-secret", SENDER);
    config["configurationSetName"] = json!("transactional");
    let ses = create(&api, "aws-ses-mail", &config).await;
    let id = ses["id"].as_str().unwrap();
    assert_eq!(ses["config"]["configurationSetName"], "transactional");
    assert_eq!(stored_secret(&api, id).await, "first-secret");

    // Replace (not merge): configurationSetName is gone, region changed; the secret is kept
    // whether absent or blank.
    let mut replacement = ses_config("", SENDER);
    replacement["region"] = json!("eu-west-1");
    for variant in [replacement.clone(), {
        let mut absent = replacement.clone();
        absent.as_object_mut().unwrap().remove("accessKeySecret");
        absent
    }] {
        let reply = api
            .admin(
                Method::PATCH,
                &format!("/api/connectors/{id}"),
                Some(&json!({"config": variant})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let body = reply.json();
        assert_eq!(body["config"]["region"], "eu-west-1");
        assert!(
            body["config"].get("configurationSetName").is_none(),
            "{body}"
        );
        assert_eq!(body["secrets"]["accessKeySecret"], true);
        assert_eq!(stored_secret(&api, id).await, "first-secret");
    }
    let got = api
        .admin(Method::GET, &format!("/api/connectors/{id}"), None)
        .await;
    assert_eq!(got.json()["config"]["region"], "eu-west-1");

    // A new secret replaces it.
    let reply = api
        .admin(
            Method::PATCH,
            &format!("/api/connectors/{id}"),
            Some(&json!({"config": ses_config("second-secret", SENDER)})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(stored_secret(&api, id).await, "second-secret");

    // An invalid replacement is refused and changes nothing.
    let mut bad = ses_config("", SENDER);
    bad.as_object_mut().unwrap().remove("region");
    api.admin(
        Method::PATCH,
        &format!("/api/connectors/{id}"),
        Some(&json!({"config": bad})),
    )
    .await
    .error(StatusCode::BAD_REQUEST, "connector.invalid_config");
    let got = api
        .admin(Method::GET, &format!("/api/connectors/{id}"), None)
        .await;
    assert_eq!(got.json()["config"]["region"], "us-east-1");
    api.admin(
        Method::PATCH,
        "/api/connectors/nope",
        Some(&json!({"config": {}})),
    )
    .await
    .error(StatusCode::NOT_FOUND, "entity.not_exists_with_id");
}

#[tokio::test]
async fn delete_removes_the_connector() {
    let api = Api::new().await;
    let id = api.connectors().await[0]["id"].as_str().unwrap().to_owned();
    let reply = api
        .admin(Method::DELETE, &format!("/api/connectors/{id}"), None)
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(api.connectors().await.is_empty());
    api.admin(Method::DELETE, &format!("/api/connectors/{id}"), None)
        .await
        .error(StatusCode::NOT_FOUND, "entity.not_exists_with_id");
}

#[tokio::test]
async fn no_response_contains_the_secret() {
    let api = Api::new().await;
    let sentinel = "sentinel-SECRET-4f9a";
    let mut bodies = Vec::new();
    let created = api
        .admin(
            Method::POST,
            "/api/connectors",
            Some(&json!({"connectorId": "aws-ses-mail", "config": ses_config(sentinel, SENDER)})),
        )
        .await;
    let id = created.json()["id"].as_str().unwrap().to_owned();
    bodies.push(created.body);
    for path in [
        "/api/connectors".to_owned(),
        format!("/api/connectors/{id}"),
        "/api/sign-in-exp".to_owned(),
        "/api/connector-factories".to_owned(),
    ] {
        bodies.push(api.admin(Method::GET, &path, None).await.body);
    }
    bodies.push(
        api.admin(
            Method::PATCH,
            &format!("/api/connectors/{id}"),
            Some(&json!({"config": ses_config("", SENDER)})),
        )
        .await
        .body,
    );
    assert_eq!(bodies.len(), 6);
    for body in &bodies {
        assert!(!body.contains(sentinel), "secret leaked: {body}");
    }
    let document = api.store.get_document("connectors").await.unwrap().unwrap();
    assert!(!document.to_string().contains(sentinel));
    assert_eq!(stored_secret(&api, &id).await, sentinel);
}

#[tokio::test]
async fn the_test_endpoint_sends_the_generic_template_through_the_dev_mailbox() {
    let api = Api::new().await;
    let body = json!({"email": "Admin@Example.com", "config": {}});
    let reply = api
        .admin(
            Method::POST,
            "/api/connectors/dev-mailbox/test",
            Some(&body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    let mails = api.store.list_mail(10).await.unwrap();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, "admin@example.com");
    assert_eq!(mails[0].subject, "Your verification code: 000000");

    // SES with a blank secret and none stored: the config is invalid.
    let body = json!({"email": "a@example.com", "config": ses_config("", SENDER)});
    let reply = api
        .admin(
            Method::POST,
            "/api/connectors/aws-ses-mail/test",
            Some(&body),
        )
        .await;
    let error = reply.error(StatusCode::BAD_REQUEST, "connector.invalid_config");
    assert!(issues_of(&error)
        .iter()
        .any(|issue| issue["path"] == json!(["accessKeySecret"])));
    let bad_address = json!({"email": "nope", "config": {}});
    api.admin(
        Method::POST,
        "/api/connectors/dev-mailbox/test",
        Some(&bad_address),
    )
    .await
    .error(StatusCode::BAD_REQUEST, "guard.invalid_input");
}

#[tokio::test]
async fn without_a_secrets_key_ses_is_refused_with_a_clear_error() {
    let api = Api::with(Arc::new(MemoryStore::new()), SecretBox::new(None), None).await;
    let body = json!({"connectorId": "aws-ses-mail", "config": ses_config("secret", SENDER)});
    let reply = api
        .admin(Method::POST, "/api/connectors", Some(&body))
        .await;
    let error = reply.error(StatusCode::BAD_REQUEST, "connector.secrets_key_missing");
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("PROVIDER_SECRETS_KEY_FILE"));
    let connectors = api.connectors().await;
    assert_eq!(connectors.len(), 1);
    assert_eq!(
        connectors[0]["connectorId"], "dev-mailbox",
        "nothing replaced"
    );
    // Connectors without secrets still work.
    create(&api, "dev-mailbox", &json!({})).await;
}

#[tokio::test]
async fn a_test_send_that_cannot_reach_ses_is_one_sentence_in_data_message() {
    // A port nothing listens on: connection refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let api = Api::with(
        Arc::new(MemoryStore::new()),
        secret_box(),
        Some(endpoint.clone()),
    )
    .await;
    let body = json!({"email": "a@example.com", "config": ses_config("secret", SENDER)});
    let reply = api
        .admin(
            Method::POST,
            "/api/connectors/aws-ses-mail/test",
            Some(&body),
        )
        .await;
    let error = reply.error(StatusCode::BAD_REQUEST, "connector.invalid_response");
    let sentence = error["data"]["message"].as_str().expect("data.message");
    assert_eq!(
        sentence,
        format!("AWS SES could not be reached at {endpoint}: connection refused."),
        "{error}"
    );
    assert_eq!(error["message"], sentence);
    for debug in ["DispatchFailure", "ConnectorError", "source:", "{", "Io"] {
        assert!(!sentence.contains(debug), "{sentence}");
    }
}

#[tokio::test]
async fn the_dev_mailbox_factory_is_listed_only_in_development() {
    use leptos_logto::config::RunMode;
    let api = Api::new().await;
    let ids = |reply: Reply| -> Vec<String> {
        reply
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let dev = api
        .admin(Method::GET, "/api/connector-factories", None)
        .await;
    assert_eq!(ids(dev), ["aws-ses-mail", "dev-mailbox"]);
    let prod = Api::in_mode(RunMode::Prod).await;
    let listed = prod
        .admin(Method::GET, "/api/connector-factories", None)
        .await;
    assert_eq!(ids(listed), ["aws-ses-mail"]);
    let error = prod
        .admin(
            Method::POST,
            "/api/connectors",
            Some(&json!({"connectorId": "dev-mailbox", "config": {}})),
        )
        .await
        .error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "connector.not_found_with_connector_id",
        );
    assert_eq!(
        error["message"],
        "Can not find connector with given standard connector id."
    );
}
