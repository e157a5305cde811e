//! `/oidc/auth` (OIDC Core §3.1.2): validates the request, then either answers at once for a
//! browser already signed in here, or starts an interaction and sends the person to the sign-in
//! pages (setting the interaction cookie and the theme cookie of the app's `ui_theme`). Every
//! redirect back to the client carries `iss` (RFC 9207).

use super::cookies;
use crate::idp::html;
use crate::idp::protocol::authorize::{validate, AuthorizeFailure, RawAuthorizeRequest};
use crate::idp::protocol::error::OAuthError;
use crate::idp::protocol::records::{
    AuthorizationCodeRecord, AuthorizationParams, InteractionRecord, SessionRecord,
    AUTHORIZATION_CODE_TTL, GRANT_TTL, INTERACTION_TTL,
};
use crate::idp::random;
use crate::idp::store::{Kind, Record};
use crate::idp::Provider;
use axum::extract::{RawForm, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use url::Url;

pub async fn authorize_get(
    State(provider): State<Provider>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    authorize(&provider, &headers, query.unwrap_or_default().as_bytes()).await
}

/// POST is treated as GET, as Logto does.
pub async fn authorize_post(
    State(provider): State<Provider>,
    headers: HeaderMap,
    RawForm(body): RawForm,
) -> Response {
    authorize(&provider, &headers, &body).await
}

async fn authorize(provider: &Provider, headers: &HeaderMap, raw: &[u8]) -> Response {
    let pairs = url::form_urlencoded::parse(raw).into_owned().collect();
    let resources = match provider.resources.snapshot().await {
        Ok(resources) => resources,
        Err(error) => {
            tracing::error!(%error, "reading the API resources failed");
            return html::error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The sign-in request could not be checked. Please try again.",
            );
        }
    };
    let params = match validate(&RawAuthorizeRequest(pairs), &provider.clients, &resources) {
        Ok(params) => params,
        Err(AuthorizeFailure::Page(problem)) => {
            return html::error_page(
                StatusCode::BAD_REQUEST,
                "This sign-in request cannot be accepted",
                &problem.message(),
            );
        }
        Err(AuthorizeFailure::Redirect(failure)) => {
            return redirect_error(
                provider,
                &failure.redirect_uri,
                failure.state.as_deref(),
                &failure.error,
            );
        }
    };
    let result = match signed_in_session(provider, headers).await {
        Ok(Some(session)) if !params.prompt_login => {
            issue_code_redirect(provider, &params, &session.user_id, session.auth_time)
                .await
                .map(|to| see_other(&to))
        }
        Ok(_) if params.prompt_none => {
            return redirect_error(
                provider,
                &params.redirect_uri,
                params.state.as_deref(),
                &OAuthError::LoginRequired("end-user is not signed in".to_owned()),
            );
        }
        Ok(_) => start_interaction(provider, params.clone()).await,
        Err(error) => Err(error),
    };
    result.unwrap_or_else(|error| {
        redirect_error(
            provider,
            &params.redirect_uri,
            params.state.as_deref(),
            &error,
        )
    })
}

/// The provider session of this browser, if it has a live one.
pub async fn signed_in_session(
    provider: &Provider,
    headers: &HeaderMap,
) -> Result<Option<SessionRecord>, OAuthError> {
    let Some(id) = cookies::read(headers, cookies::SESSION) else {
        return Ok(None);
    };
    let now = provider.clock.unix_seconds();
    let record = provider
        .store
        .find(Kind::Session, &random::handle_of(&id), now)
        .await?;
    Ok(record.and_then(|record| serde_json::from_value(record.payload).ok()))
}

async fn start_interaction(
    provider: &Provider,
    params: AuthorizationParams,
) -> Result<Response, OAuthError> {
    let id = random::token();
    let now = provider.clock.unix_seconds();
    let theme = params.ui_theme;
    let register = matches!(
        params.first_screen.as_deref(),
        Some("register" | "identifier:register")
    );
    let record = InteractionRecord {
        params,
        email: None,
        last_sent_at: None,
    };
    let payload = serde_json::to_value(&record).map_err(OAuthError::server)?;
    provider
        .store
        .upsert(
            Kind::Interaction,
            &random::handle_of(&id),
            Record::new(payload, now + INTERACTION_TTL),
        )
        .await?;
    let mut response = see_other(if register { "/register" } else { "/sign-in" });
    response.headers_mut().append(
        header::SET_COOKIE,
        cookies::set(
            cookies::INTERACTION,
            &id,
            INTERACTION_TTL,
            provider.config.secure_cookies(),
        ),
    );
    // The app's theme for the pages of this sign-in and after it; none: follow the system.
    let (value, max_age) = theme.map_or(("", 0), |theme| (theme.as_str(), cookies::THEME_TTL));
    response.headers_mut().append(
        header::SET_COOKIE,
        cookies::set(
            cookies::THEME,
            value,
            max_age,
            provider.config.secure_cookies(),
        ),
    );
    Ok(response)
}

/// Issues an authorization code for `user_id` under a new grant and returns the client redirect.
pub async fn issue_code_redirect(
    provider: &Provider,
    params: &AuthorizationParams,
    user_id: &str,
    auth_time: u64,
) -> Result<String, OAuthError> {
    let now = provider.clock.unix_seconds();
    let grant_id = random::token();
    let grant = serde_json::json!({ "client_id": params.client_id, "user_id": user_id, "scopes": params.scopes });
    provider
        .store
        .upsert(
            Kind::Grant,
            &grant_id,
            Record::new(grant, now + GRANT_TTL).with_grant(&grant_id),
        )
        .await?;
    let code = random::token();
    let record = AuthorizationCodeRecord {
        client_id: params.client_id.clone(),
        redirect_uri: params.redirect_uri.clone(),
        code_challenge: params.code_challenge.clone(),
        user_id: user_id.to_owned(),
        scopes: params.scopes.clone(),
        nonce: params.nonce.clone(),
        auth_time,
        grant_id: grant_id.clone(),
        resources: params.resources.clone(),
        // Logto grants offline_access only with prompt=consent.
        offline: params.has_scope("offline_access") && params.prompt_consent,
    };
    let payload = serde_json::to_value(&record).map_err(OAuthError::server)?;
    provider
        .store
        .upsert(
            Kind::AuthorizationCode,
            &random::handle_of(&code),
            Record::new(payload, now + AUTHORIZATION_CODE_TTL).with_grant(&grant_id),
        )
        .await?;
    Ok(client_redirect(
        &params.redirect_uri,
        &[("code", Some(&code)), ("state", params.state.as_deref())],
        provider,
    ))
}

/// `redirect_uri` with the given parameters and `iss` (RFC 9207) appended to its query.
pub fn client_redirect(
    redirect_uri: &str,
    params: &[(&str, Option<&str>)],
    provider: &Provider,
) -> String {
    let issuer = provider.config.issuer();
    let mut all = params.to_vec();
    all.push(("iss", Some(issuer.as_str())));
    with_query(redirect_uri, &all)
}

/// `uri` with the present parameters appended to its query.
pub fn with_query(uri: &str, params: &[(&str, Option<&str>)]) -> String {
    let Ok(mut url) = Url::parse(uri) else {
        return uri.to_owned();
    };
    let present: Vec<(&str, &str)> = params
        .iter()
        .filter_map(|(name, value)| value.map(|v| (*name, v)))
        .collect();
    if !present.is_empty() {
        url.query_pairs_mut().extend_pairs(present);
    }
    url.into()
}

pub fn redirect_error(
    provider: &Provider,
    redirect_uri: &str,
    state: Option<&str>,
    error: &OAuthError,
) -> Response {
    tracing::info!(error = error.error_code(), "authorization request refused");
    let to = client_redirect(
        redirect_uri,
        &[
            ("error", Some(error.error_code())),
            ("error_description", Some(error.description())),
            ("state", state),
        ],
        provider,
    );
    see_other(&to)
}

pub fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, location.to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}
