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
//! - `GET /api/.well-known/sign-in-exp` (public, no token; Logto's, which the sign-in pages and
//!   the app read) → 200, `Cache-Control: no-cache`: the same document (it holds no secrets),
//!   plus Logto's computed `socialConnectors: []`, `ssoConnectors: []` and `forgotPassword:
//!   {"email": false, "phone": false}`. The app learns from it whether sign-up is on
//!   (`signUp.identifiers`) and the branding (`branding`, `color`).
//! - `branding` and `color` are validated (see `sign_in_experience`); a bad value is 400
//!   `guard.invalid_input` with `data.issues` (e.g. `[{"path":["branding","logoUrl"],
//!   "message":"…","code":"invalid_string"}]`) and nothing is stored.
//!
//! **Connectors**
//! - `GET /api/connector-factories` → `[{"id":"aws-ses-mail","target":"aws-ses","type":"Email",
//!   "platform":null,"name":{"en":…},"description":{"en":…},"isStandard":false,"isDemo":false,
//!   "secretFields":["accessKeySecret"],"configTemplate":{…}}, {"id":"dev-mailbox",
//!   "target":"dev-mailbox","type":"Email","isDemo":true,"secretFields":[],…}]` — the
//!   dev mailbox only in development (production lists `aws-ses-mail` alone);
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
//!   replaces the existing Email connector. 400 `connector.invalid_config` with Logto's message
//!   "The connector's config is invalid." and one zod-like issue per bad field in `data.issues`
//!   (`[{"path":["region"],"message":"`region` is required","code":"invalid_type"},
//!   {"path":["templates",0,"subject"],…}, {"path":["templates"],"message":"Template with
//!   UsageType (Generic) should be provided!","code":"custom"}]`); 422
//!   `connector.not_found_with_connector_id` "Can not find connector with given standard
//!   connector id." for an unknown `connectorId` (also `dev-mailbox` in production); 400
//!   `connector.secrets_key_missing` when no secrets key is configured (PROD).
//! - `PATCH /api/connectors/:id {"config"}` → 200; replaces the config, except that an absent,
//!   `null` or blank `accessKeySecret` keeps the stored secret.
//! - `DELETE /api/connectors/:id` → 204.
//! - `POST /api/connectors/:factoryId/test {"email", "config"}` → 204 after sending the Generic
//!   template with code `000000` through the unsaved config (a blank `accessKeySecret` uses the
//!   stored connector's of that factory), or 400 `connector.invalid_response` whose
//!   `data.message` (also `message`) is one sentence: "AWS SES refused the message
//!   (MessageRejected): Email address is not verified…." or "AWS SES could not be reached at
//!   https://email.us-east-1.amazonaws.com: connection refused.", or `connector.invalid_config`.
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

/// The `/api` routes: the public `/.well-known/sign-in-exp`, and the rest behind the bearer
/// check.
pub fn routes(provider: Provider) -> Router<Provider> {
    let authenticated = Router::new()
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
        ));
    Router::new()
        .route("/.well-known/sign-in-exp", get(sign_in_exp::public))
        .merge(authenticated)
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
