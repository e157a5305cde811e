//! `/oidc/session/end` (OIDC RP-Initiated Logout 1.0): ends this browser's provider session, then
//! redirects only to a post-logout URI registered for the client named by `id_token_hint` or
//! `client_id`; otherwise it shows a "signed out" page.

use super::authorize::see_other;
use super::cookies;
use crate::idp::html;
use crate::idp::random;
use crate::idp::store::Kind;
use crate::idp::Provider;
use axum::extract::{RawForm, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use jsonwebtoken::{Algorithm, Validation};

pub async fn end_session_get(
    State(provider): State<Provider>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    end_session(&provider, &headers, query.unwrap_or_default().as_bytes()).await
}

pub async fn end_session_post(
    State(provider): State<Provider>,
    headers: HeaderMap,
    RawForm(body): RawForm,
) -> Response {
    end_session(&provider, &headers, &body).await
}

async fn end_session(provider: &Provider, headers: &HeaderMap, raw: &[u8]) -> Response {
    let params: Vec<(String, String)> = url::form_urlencoded::parse(raw).into_owned().collect();
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };

    let hinted_client = match get("id_token_hint") {
        None => None,
        Some(hint) => match hint_audience(provider, hint) {
            Some(audience) => Some(audience),
            None => {
                return html::error_page(
                    StatusCode::BAD_REQUEST,
                    "Sign-out request refused",
                    "The id_token_hint is not a token issued by this provider.",
                );
            }
        },
    };
    let client_id = match (hinted_client, get("client_id")) {
        (Some(hinted), Some(named)) if hinted != named => {
            return html::error_page(
                StatusCode::BAD_REQUEST,
                "Sign-out request refused",
                "The client_id does not match the id_token_hint.",
            );
        }
        (Some(hinted), _) => Some(hinted),
        (None, named) => named.map(str::to_owned),
    };

    if let Some(session) = cookies::read(headers, cookies::SESSION) {
        if let Err(error) = provider
            .store
            .destroy(Kind::Session, &random::handle_of(&session))
            .await
        {
            tracing::error!(%error, "cannot end the provider session");
        }
    }

    let client = client_id.as_deref().and_then(|id| provider.clients.get(id));
    let target = match (client, get("post_logout_redirect_uri")) {
        (Some(client), Some(uri)) if client.allows_post_logout_redirect_uri(uri) => Some(
            super::authorize::with_query(uri, &[("state", get("state"))]),
        ),
        _ => None,
    };
    let mut response = match target {
        Some(location) => see_other(&location),
        None => see_other(&format!("{}/session/end/success", provider.config.issuer())),
    };
    response.headers_mut().append(
        header::SET_COOKIE,
        cookies::set(cookies::SESSION, "", 0, provider.config.secure_cookies()),
    );
    response
}

/// The audience of an ID token this provider signed (expired tokens are fine as hints).
fn hint_audience(provider: &Provider, hint: &str) -> Option<String> {
    let mut validation = Validation::new(Algorithm::ES384);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.set_issuer(&[provider.config.issuer()]);
    validation.set_required_spec_claims(&["iss", "aud", "sub"]);
    let claims: serde_json::Value = provider.keys.verify(hint, &validation)?;
    match &claims["aud"] {
        serde_json::Value::String(aud) => Some(aud.clone()),
        serde_json::Value::Array(list) => list.first().and_then(|v| v.as_str()).map(str::to_owned),
        _ => None,
    }
}

pub async fn signed_out() -> Response {
    html::message_page(
        StatusCode::OK,
        "You're signed out",
        "You have been signed out of the identity provider. You can close this tab.",
    )
}
