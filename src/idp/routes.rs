//! The provider's HTTP surface: Logto's paths (`/oidc/*`, the sign-in pages, the Management API
//! under `/api`, the first administrator's `/setup`) and the headers every provider response
//! carries, and the 404 page of unknown paths. Every request runs inside its page context
//! (`experience::context`: the app, its theme, the logo) so that any page it renders shows them.
//! The dev mailbox (`/dev/*`) exists only in development.

use super::endpoints::{authorize, discovery, end_session, token, userinfo};
use super::experience;
use super::management;
use super::Provider;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

/// Unknown paths: the provider's own 404 page, with the way back to the app.
async fn not_found() -> Response {
    super::html::not_found()
}

pub fn router(provider: Provider) -> Router {
    let oidc = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(discovery::openid_configuration),
        )
        .route("/jwks", get(discovery::jwks))
        .route(
            "/auth",
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route("/token", post(token::token))
        .route("/me", get(userinfo::userinfo).post(userinfo::userinfo))
        .route("/token/revocation", post(userinfo::revocation))
        .route(
            "/session/end",
            get(end_session::end_session_get).post(end_session::end_session_post),
        )
        .route("/session/end/success", get(end_session::signed_out));
    let mut router = Router::new()
        .nest("/oidc", oidc)
        .nest("/api", management::routes(provider.clone()))
        .merge(experience::routes())
        .merge(super::setup::routes());
    // The dev mailbox shows every sign-in code: outside development its routes do not exist.
    if provider.config.development() {
        router = router.merge(experience::mailbox::routes());
    }
    router
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            provider.clone(),
            experience::context::layer,
        ))
        .with_state(provider)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        // `same-origin`, not `no-referrer`: with the latter, browsers send `Origin: null` on the
        // sign-in forms, and the same-origin check would refuse them.
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
}
