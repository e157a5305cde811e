//! API resources through the Management API (`/api/resources`, Logto's shapes and error codes),
//! and the token endpoint following what is registered there.

use super::harness::*;
use http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn the_management_api_is_listed_and_cannot_be_changed() {
    let api = Api::new().await;
    let reply = api.admin(Method::GET, "/api/resources", None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let list = reply.json();
    let builtin = &list[0];
    assert_eq!(builtin["id"], "management-api");
    assert_eq!(builtin["indicator"], RESOURCE);
    assert_eq!(builtin["tenantId"], "default");
    assert_eq!(builtin["isDefault"], false);
    assert_eq!(builtin["accessTokenTtl"], 3600);
    assert_eq!(builtin["scopes"][0]["name"], "all");
    assert_eq!(builtin["scopes"][0]["resourceId"], "management-api");
    assert_eq!(builtin["createdAt"], START * 1000);

    api.admin(Method::DELETE, "/api/resources/management-api", None)
        .await
        .error(
            StatusCode::BAD_REQUEST,
            "resource.cannot_delete_management_api",
        );
    api.admin(
        Method::PATCH,
        "/api/resources/management-api",
        Some(&json!({"accessTokenTtl": 60})),
    )
    .await
    .error(
        StatusCode::BAD_REQUEST,
        "resource.cannot_modify_management_api",
    );
    api.admin(
        Method::DELETE,
        "/api/resources/management-api/scopes/management-api-all",
        None,
    )
    .await
    .error(
        StatusCode::BAD_REQUEST,
        "resource.cannot_modify_management_api",
    );
    api.admin(
        Method::POST,
        "/api/resources",
        Some(&json!({"name": "Again", "indicator": RESOURCE})),
    )
    .await
    .error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "resource.resource_identifier_in_use",
    );
    // Still usable.
    api.token("all").await;
}

#[tokio::test]
async fn resources_are_created_read_updated_and_deleted() {
    let api = Api::new().await;
    let indicator = "https://orders.example.com/api";
    let reply = api
        .admin(
            Method::POST,
            "/api/resources",
            Some(&json!({"name": "Orders", "indicator": indicator})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let created = reply.json();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 21);
    assert_eq!(created["name"], "Orders");
    assert_eq!(created["indicator"], indicator);
    assert_eq!(created["accessTokenTtl"], 3600);
    assert_eq!(created["isDefault"], false);
    assert_eq!(created["tenantId"], "default");
    assert_eq!(created["scopes"], json!([]));
    assert_eq!(created["createdAt"], START * 1000);

    let path = format!("/api/resources/{id}");
    assert_eq!(api.admin(Method::GET, &path, None).await.json(), created);
    let listed = api.admin(Method::GET, "/api/resources", None).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 2);

    api.admin(
        Method::POST,
        "/api/resources",
        Some(&json!({"name": "Dup", "indicator": indicator})),
    )
    .await
    .error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "resource.resource_identifier_in_use",
    );
    for bad in [
        json!({"indicator": "https://x.example"}),
        json!({"name": "X", "indicator": "not a uri"}),
        json!({"name": "X", "indicator": "https://x.example/#f"}),
        json!({"name": "X", "indicator": "https://x.example", "accessTokenTtl": "long"}),
    ] {
        api.admin(Method::POST, "/api/resources", Some(&bad))
            .await
            .error(StatusCode::BAD_REQUEST, "guard.invalid_input");
    }

    let reply = api
        .admin(
            Method::PATCH,
            &path,
            Some(&json!({"name": "Orders v2", "accessTokenTtl": 900, "indicator": "https://y.example"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let updated = reply.json();
    assert_eq!(updated["name"], "Orders v2");
    assert_eq!(updated["accessTokenTtl"], 900);
    assert_eq!(
        updated["indicator"], indicator,
        "the indicator never changes"
    );

    let reply = api.admin(Method::DELETE, &path, None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    let missing = api
        .admin(Method::GET, &path, None)
        .await
        .error(StatusCode::NOT_FOUND, "entity.not_exists_with_id");
    assert_eq!(
        missing["message"],
        format!("The resource with ID `{id}` does not exist.")
    );
    api.admin(Method::DELETE, &path, None)
        .await
        .error(StatusCode::NOT_FOUND, "entity.not_exists_with_id");
    api.admin(Method::PATCH, &path, Some(&json!({"name": "x"})))
        .await
        .error(StatusCode::NOT_FOUND, "entity.not_exists_with_id");
}

#[tokio::test]
async fn scopes_are_created_listed_updated_and_deleted() {
    let api = Api::new().await;
    let created = api
        .admin(
            Method::POST,
            "/api/resources",
            Some(&json!({"name": "Orders", "indicator": "https://orders.example.com"})),
        )
        .await
        .json();
    let scopes = format!("/api/resources/{}/scopes", created["id"].as_str().unwrap());

    let reply = api
        .admin(
            Method::POST,
            &scopes,
            Some(&json!({"name": "read:orders", "description": "Read orders"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let read = reply.json();
    assert_eq!(read["name"], "read:orders");
    assert_eq!(read["description"], "Read orders");
    assert_eq!(read["resourceId"], created["id"]);
    let write = api
        .admin(
            Method::POST,
            &scopes,
            Some(&json!({"name": "write:orders"})),
        )
        .await
        .json();
    assert_eq!(write["description"], serde_json::Value::Null);

    api.admin(Method::POST, &scopes, Some(&json!({"name": "read:orders"})))
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "scope.name_exists");
    api.admin(Method::POST, &scopes, Some(&json!({"name": "read orders"})))
        .await
        .error(StatusCode::BAD_REQUEST, "scope.name_with_space");
    api.admin(
        Method::POST,
        "/api/resources/nope/scopes",
        Some(&json!({"name": "x"})),
    )
    .await
    .error(StatusCode::NOT_FOUND, "entity.not_exists_with_id");

    let listed = api.admin(Method::GET, &scopes, None).await.json();
    assert_eq!(listed, json!([read, write]));

    let write_path = format!("{scopes}/{}", write["id"].as_str().unwrap());
    api.admin(
        Method::PATCH,
        &write_path,
        Some(&json!({"name": "read:orders"})),
    )
    .await
    .error(StatusCode::UNPROCESSABLE_ENTITY, "scope.name_exists");
    let reply = api
        .admin(
            Method::PATCH,
            &write_path,
            Some(&json!({"description": "Write orders"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["description"], "Write orders");
    assert_eq!(reply.json()["name"], "write:orders");

    let reply = api.admin(Method::DELETE, &write_path, None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    api.admin(Method::DELETE, &write_path, None)
        .await
        .error(StatusCode::NOT_FOUND, "entity.not_exists_with_id");
    let listed = api.admin(Method::GET, &scopes, None).await.json();
    assert_eq!(listed, json!([read]));
}

#[tokio::test]
async fn the_token_endpoint_follows_the_registry() {
    let api = Api::new().await;
    let indicator = "https://orders.example.com";
    // Unknown until registered.
    let reply = api.token_reply(indicator, "read:orders").await;
    assert_eq!(reply.json()["error"], "invalid_target", "{}", reply.body);

    let created = api
        .admin(
            Method::POST,
            "/api/resources",
            Some(&json!({"name": "Orders", "indicator": indicator, "accessTokenTtl": 120})),
        )
        .await
        .json();
    let path = format!("/api/resources/{}", created["id"].as_str().unwrap());
    api.admin(
        Method::POST,
        &format!("{path}/scopes"),
        Some(&json!({"name": "read:orders"})),
    )
    .await;
    let reply = api.token_reply(indicator, "read:orders all").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["scope"], "read:orders");
    assert_eq!(reply.json()["expires_in"], 120);
    // A token for it is no Management API token.
    let token = reply.json()["access_token"].as_str().unwrap().to_owned();
    api.call(Method::GET, "/api/resources", Some(&token), None)
        .await
        .error(StatusCode::UNAUTHORIZED, "auth.unauthorized");

    api.admin(Method::DELETE, &path, None).await;
    let reply = api.token_reply(indicator, "read:orders").await;
    assert_eq!(reply.json()["error"], "invalid_target", "{}", reply.body);
}

#[tokio::test]
async fn the_resources_api_needs_the_all_scope() {
    let api = Api::new().await;
    api.call(Method::GET, "/api/resources", None, None)
        .await
        .error(StatusCode::UNAUTHORIZED, "auth.unauthorized");
    api.call(
        Method::POST,
        "/api/resources",
        None,
        Some(&json!({"name": "X", "indicator": "https://x.example"})),
    )
    .await
    .error(StatusCode::UNAUTHORIZED, "auth.unauthorized");
    let listed = api.admin(Method::GET, "/api/resources", None).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1, "nothing was created");
}
