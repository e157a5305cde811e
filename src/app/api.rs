//! The server functions of the pages, each one line over the request's `Visit` (the use cases in
//! `services`); what they exchange is in `ui_types`. A refusal is a typed [`AppError`] with its
//! HTTP status set (401 signed out, 503 provider down…).

use crate::ui_types::{AppError, ProfileData, SessionSummary};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::server::fns::{answer, redirect, visit};

/// Who is signed in (if anyone) and whether the dev mailbox is in use.
#[server(prefix = "/api", endpoint = "session")]
pub async fn session_info() -> Result<SessionSummary, AppError> {
    answer(visit().await?.summary().await)
}

/// Starts a sign-in (or sign-up) and redirects to the provider.
#[server(prefix = "/api", endpoint = "sign-in")]
pub async fn start_sign_in(
    return_to: Option<String>,
    register: Option<bool>,
) -> Result<(), AppError> {
    let register = register.unwrap_or(false);
    answer(
        visit()
            .await?
            .sign_in_url(return_to.as_deref(), register)
            .await
            .map(|url| redirect(&url)),
    )
}

/// Signs out here and at the provider (redirects to its end-session endpoint).
#[server(prefix = "/api", endpoint = "sign-out")]
pub async fn sign_out() -> Result<(), AppError> {
    answer(visit().await?.sign_out().await.map(|url| redirect(&url)))
}

/// The signed-in person's profile; 401 when signed out.
#[server(prefix = "/api", endpoint = "profile")]
pub async fn profile() -> Result<ProfileData, AppError> {
    answer(visit().await?.profile().await)
}

/// Refreshes the tokens now; returns the new access-token expiry (Unix seconds). 401 when signed out.
#[server(prefix = "/api", endpoint = "refresh")]
pub async fn refresh_tokens() -> Result<u64, AppError> {
    answer(visit().await?.refresh().await)
}
