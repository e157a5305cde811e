//! The provider's Management API at `{provider}/api`: the subset of Logto's the settings page
//! needs, with Logto's paths, bodies and error codes (logto-compat.md §6). JSON in and out; every
//! error body is `{"code": "...", "message": "...", "data"?: ...}`; responses are `no-store`.
//!
//! **Auth** ([`auth`]): `Authorization: Bearer <JWT>` from `POST /oidc/token`
//! `grant_type=client_credentials&resource=https://default.logto.app/api&scope=all` (Basic auth
//! of a machine-to-machine app). Missing/invalid/expired/foreign token → 401
//! `auth.unauthorized`; valid but without `all` → 403 `auth.forbidden`.
//!
//! **Sign-in experience**
//! - `GET /api/sign-in-exp` → 200, Logto's document, e.g.
//!   `{"id":"default","tenantId":"default","signUp":{"identifiers":["email"],"password":false,
//!   "verify":true},"signIn":{"methods":[{"identifier":"email","password":false,
//!   "verificationCode":true,"isPasswordPrimary":false}]},"signInMode":"SignInAndRegister",
//!   "color":{…},"branding":{},"languageInfo":{…},"mfa":{…},…}`.
//! - `PATCH /api/sign-in-exp` (any subset of the top-level fields) → 200 with the whole new
//!   document, or 400 with `sign_in_experiences.enabled_connector_not_found` (`data:
//!   {"type":"Email"}`), `…passwordless_requires_verify`, `…code_sign_in_must_be_enabled`,
//!   `…at_least_one_authentication_factor`, `…missing_sign_up_identifiers`,
//!   `…duplicated_sign_up_identifiers`, or `guard.invalid_input` (wrong shape). Nothing is stored
//!   on error. Sign-up with identifiers `[]` turns email sign-up off; a sign-in method
//!   `{identifier:"email", verificationCode:false}` turns email-code sign-in off. Password
//!   settings are stored but this provider signs in with email codes only.
//!
//! **Connectors**
//! - `GET /api/connector-factories` → `[{"id":"aws-ses-mail","target":"aws-ses","type":"Email",
//!   "platform":null,"name":{"en":…},"description":{"en":…},"isStandard":false,"isDemo":false,
//!   "secretFields":["accessKeySecret"],"configTemplate":{…}}, {"id":"dev-mailbox",
//!   "target":"dev-mailbox","type":"Email","isDemo":true,"secretFields":[],…}]`;
//!   `GET /api/connector-factories/:id` → one of them.
//! - A connector (every connector response, list or single):
//!   ```json
//!   {"id":"k3j2h1g0f9e8","connectorId":"aws-ses-mail","type":"Email","target":"aws-ses",
//!    "platform":null,"name":{"en":"AWS Direct Mail"},"isStandard":false,"isDemo":false,
//!    "config":{"accessKeyId":"AKIA…","region":"us-east-1","emailAddress":"Acme <no-reply@acme.com>",
//!              "templates":[{"usageType":"SignIn","subject":"…","content":"…"},…]},
//!    "secrets":{"accessKeySecret":true},
//!    "metadata":{},"syncProfile":false,"createdAt":1800000000000,"updatedAt":1800000000000}
//!   ```
//!   **Secrets are write-only**: `config` never contains `accessKeySecret`; the top-level
//!   `secrets` object maps each secret field of the factory to whether a value is stored
//!   (`{}` for the dev mailbox). Optional config fields appear only when set.
//! - `GET /api/connectors` → list; `GET /api/connectors/:id` → one, or 404
//!   `entity.not_exists_with_id`.
//! - `POST /api/connectors {"connectorId", "config"}` → 200 with the connector. An Email connector
//!   replaces the existing Email connector. 400 `connector.invalid_config` (message names the
//!   field, e.g. "The connector's config is invalid: `region` is required", or "Template with
//!   UsageType (Generic) should be provided!"), 422 `connector.not_found_with_connector_id`,
//!   400 `connector.secrets_key_missing` when no secrets key is configured (PROD).
//! - `PATCH /api/connectors/:id {"config"}` → 200; replaces the config, except that an absent,
//!   `null` or blank `accessKeySecret` keeps the stored secret.
//! - `DELETE /api/connectors/:id` → 204.
//! - `POST /api/connectors/:factoryId/test {"email", "config"}` → 204 after sending the Generic
//!   template with code `000000` through the unsaved config (a blank `accessKeySecret` uses the
//!   stored connector's of that factory), or 400 `connector.invalid_response` whose message is
//!   the mail service's `"<AWS error code>: <AWS message>"`, or `connector.invalid_config`.
//!
//! **API resources**: `/api/resources` (list, create, get, update, delete) and
//! `/api/resources/:id/scopes[/:scopeId]`, Logto's shapes and errors; see `resources.rs`.

pub mod auth;
mod connectors;
pub mod error;
mod resources;
mod sign_in_exp;

use super::Provider;
use axum::body::Bytes;
use axum::http::{header, HeaderValue};
use axum::routing::{get, patch, post};
use axum::Router;
use error::ApiError;
use serde_json::{Map, Value};
use tower_http::set_header::SetResponseHeaderLayer;

/// The Management API's resource indicator in every Logto tenant.
pub const RESOURCE: &str = "https://default.logto.app/api";

/// The `/api` routes, behind the bearer check.
pub fn routes(provider: Provider) -> Router<Provider> {
    Router::new()
        .route(
            "/sign-in-exp",
            get(sign_in_exp::get).patch(sign_in_exp::patch),
        )
        .route("/connector-factories", get(connectors::factories))
        .route("/connector-factories/{id}", get(connectors::factory))
        .route(
            "/connectors",
            get(connectors::list).post(connectors::create),
        )
        .route(
            "/connectors/{id}",
            get(connectors::get)
                .patch(connectors::update)
                .delete(connectors::delete),
        )
        .route("/connectors/{id}/test", post(connectors::test))
        .route("/resources", get(resources::list).post(resources::create))
        .route(
            "/resources/{id}",
            get(resources::get)
                .patch(resources::update)
                .delete(resources::delete),
        )
        .route(
            "/resources/{id}/scopes",
            get(resources::scopes).post(resources::create_scope),
        )
        .route(
            "/resources/{id}/scopes/{scope_id}",
            patch(resources::update_scope).delete(resources::delete_scope),
        )
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            provider,
            auth::require_all_scope,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

async fn not_found() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "entity.not_found",
        "The resource does not exist.",
    )
}

/// The request body as JSON (an empty body is `{}`).
fn json_body(bytes: &Bytes) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(bytes)
        .map_err(|error| ApiError::invalid_input(format!("The body is not valid JSON: {error}.")))
}
