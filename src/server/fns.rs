//! The server side of the UI's server functions: each takes the `AuthService` and the request's
//! session from context and calls one use case. Failures become plain messages (details are
//! logged); a signed-out caller gets 401. The two page loaders (`load_summary`, `load_profile`)
//! are shared with the page cache, which runs them before a render and hands their answers to
//! the render's server functions.

use super::auth_service::{AuthService, RequestUser};
use super::page_cache::PageInputs;
use crate::app::api::{ProfileData, SessionSummary, UserView};
use crate::auth::{AuthError, CurrentUser};
use http::request::Parts;
use http::StatusCode;
use leptos::prelude::{use_context, ServerFnError};
use leptos_axum::ResponseOptions;
use std::sync::Arc;
use tower_sessions::Session;

async fn context() -> Result<(Arc<AuthService>, Session), ServerFnError> {
    let auth = use_context::<Arc<AuthService>>()
        .ok_or_else(|| ServerFnError::new("the sign-in service is not available"))?;
    let session = leptos_axum::extract::<Session>()
        .await
        .map_err(|_| ServerFnError::new("the session is not available"))?;
    Ok((auth, session))
}

/// This request's memo of who is signed in (a fresh one outside the app's middleware).
fn request_user() -> RequestUser {
    use_context::<Parts>()
        .and_then(|parts| parts.extensions.get::<RequestUser>().cloned())
        .unwrap_or_default()
}

/// What the page cache already loaded for the page being rendered, if it did.
fn preloaded() -> Option<Arc<PageInputs>> {
    use_context::<Parts>().and_then(|parts| parts.extensions.get::<Arc<PageInputs>>().cloned())
}

fn status(code: StatusCode) {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(code);
    }
}

fn unauthorized() -> ServerFnError {
    status(StatusCode::UNAUTHORIZED);
    ServerFnError::new("You are not signed in.")
}

fn failure(error: &AuthError) -> ServerFnError {
    tracing::error!(%error, "sign-in service failure");
    status(if error.is_transient() {
        StatusCode::BAD_GATEWAY
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    });
    ServerFnError::new(error.user_message())
}

fn user_view(user: &CurrentUser) -> UserView {
    UserView {
        id: user.sub.clone(),
        display_name: user.display_name().to_owned(),
        email: user.email.clone(),
        is_admin: user.has_role(crate::idp::users::ADMIN_ROLE),
    }
}

/// Claims as sorted (name, value) pairs; strings shown without quotes.
fn claim_pairs(claims: &serde_json::Map<String, serde_json::Value>) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = claims
        .iter()
        .map(|(name, value)| {
            let shown = match value {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (name.clone(), shown)
        })
        .collect();
    pairs.sort();
    pairs
}

/// Who is signed in, as every page's header and the home page show it.
pub async fn load_summary(
    auth: &AuthService,
    session: &Session,
    memo: &RequestUser,
) -> Result<SessionSummary, AuthError> {
    let user = auth.current_once(session, memo).await?;
    Ok(SessionSummary {
        user: user.map(|(user, _)| user_view(user)),
        mailbox_url: auth.mailbox_url.clone(),
    })
}

/// The profile page's data; `None` when nobody is signed in.
pub async fn load_profile(
    auth: &AuthService,
    session: &Session,
    memo: &RequestUser,
) -> Result<Option<ProfileData>, AuthError> {
    let Some((user, tokens)) = auth.current_once(session, memo).await? else {
        return Ok(None);
    };
    let userinfo = match auth.userinfo(tokens).await {
        Ok(value) => match value.as_ref() {
            serde_json::Value::Object(claims) => Ok(claim_pairs(claims)),
            _ => Err("The sign-in service returned unreadable user information.".to_owned()),
        },
        Err(error) => {
            tracing::warn!(%error, "userinfo failed");
            Err(error.user_message().to_owned())
        }
    };
    let settings = auth.session_settings();
    Ok(Some(ProfileData {
        user: user_view(user),
        claims: claim_pairs(&tokens.claims.all),
        userinfo,
        userinfo_max_age_secs: auth.userinfo_max_age().as_secs(),
        access_token_expires_at: tokens.access_token_expires_at,
        session_idle_timeout_secs: settings.idle_timeout.as_secs(),
        session_absolute_lifetime_secs: settings.absolute_lifetime.as_secs(),
    }))
}

pub async fn session_info() -> Result<SessionSummary, ServerFnError> {
    if let Some(inputs) = preloaded() {
        return Ok(inputs.summary.clone());
    }
    let (auth, session) = context().await?;
    load_summary(&auth, &session, &request_user())
        .await
        .map_err(|e| failure(&e))
}

pub async fn start_sign_in(return_to: Option<String>, register: bool) -> Result<(), ServerFnError> {
    let (auth, session) = context().await?;
    let url = auth
        .begin(&session, return_to.as_deref(), register)
        .await
        .map_err(|e| failure(&e))?;
    leptos_axum::redirect(url.as_str());
    Ok(())
}

pub async fn sign_out() -> Result<(), ServerFnError> {
    let (auth, session) = context().await?;
    let url = auth.sign_out(&session).await.map_err(|e| failure(&e))?;
    leptos_axum::redirect(url.as_str());
    Ok(())
}

pub async fn profile() -> Result<ProfileData, ServerFnError> {
    if let Some(profile) = preloaded().and_then(|inputs| inputs.profile.clone()) {
        return Ok(profile);
    }
    let (auth, session) = context().await?;
    load_profile(&auth, &session, &request_user())
        .await
        .map_err(|e| failure(&e))?
        .ok_or_else(unauthorized)
}

pub async fn refresh_tokens() -> Result<u64, ServerFnError> {
    let (auth, session) = context().await?;
    if auth
        .current(&session)
        .await
        .map_err(|e| failure(&e))?
        .is_none()
    {
        return Err(unauthorized());
    }
    match auth.refresh_now(&session).await.map_err(|e| failure(&e))? {
        Some(tokens) => Ok(tokens.access_token_expires_at),
        None => Err(unauthorized()),
    }
}
