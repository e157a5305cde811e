//! The first administrator in production, by a one-time setup link instead of "whoever signs up
//! first" (security.md, production mode). Used when the admin policy is
//! [`AdminPolicy::SetupLink`] (PROD without `PROVIDER_ADMIN_EMAILS`):
//!
//! 1. At start, when no known account has the `admin` role, [`invite`] stores an invitation (a
//!    random token, kept only as its hash: a [`Kind::SetupInvitation`] record living
//!    [`LIFETIME`] seconds) and prints `{provider}/setup?token=…` once to the log at `warn`. Each
//!    start first deletes the invitations of earlier starts, so only the newest link works.
//! 2. `GET /setup?token=…` checks the invitation without using it and answers a page that puts a
//!    *claim* in an HttpOnly SameSite=Lax cookie ([`COOKIE`]): a second random value, stored
//!    hashed, that points at the invitation. The token itself is never sent back (no response
//!    body or header contains it); an unknown or expired token gets 400, a used one 410.
//! 3. When a sign-in completes in a browser carrying a claim, [`redeem`] consumes the invitation
//!    atomically (single use, however many browsers hold claims) and gives that account the
//!    `admin` role; the sign-in response clears the cookie ([`clear_cookie`]).
//!
//! A later start knows an administrator exists by asking the store for any account with the
//! `admin` role.

use super::endpoints::cookies;
use super::html;
use super::random;
use super::store::{Consumed, Kind, Record, StoreError};
use super::users::{AdminPolicy, ADMIN_ROLE};
use super::Provider;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};

/// The cookie holding this browser's claim on the invitation.
pub const COOKIE: &str = "idp_setup";
/// How long a setup link works, in seconds.
pub const LIFETIME: u64 = 3600;
/// The `key` of every invitation and claim record, so that a new start can delete them all.
const GROUP: &str = "first-administrator";

/// A [`Kind::SetupInvitation`] record's payload.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
enum Payload {
    /// The invitation itself (id: the hash of the link's token). `app`: where to sign in.
    Invitation { app: String },
    /// One browser's claim on it (id: the hash of the cookie value).
    Claim { invitation: String },
}

pub fn routes() -> Router<Provider> {
    Router::new().route("/setup", get(page))
}

/// At start: deletes earlier invitations, then, when the policy is [`AdminPolicy::SetupLink`]
/// and no administrator is known, creates one and logs its link once (at `warn`). `app_url`:
/// where the setup page sends the person to sign in. Returns the link that was logged.
pub async fn invite(provider: &Provider, app_url: &str) -> Result<Option<String>, StoreError> {
    let store = provider.store.as_ref();
    store.destroy_by_key(Kind::SetupInvitation, GROUP).await?;
    if provider.config.admin_policy() != AdminPolicy::SetupLink
        || administrator_exists(provider).await?
    {
        return Ok(None);
    }
    let token = random::token();
    let payload = to_json(&Payload::Invitation {
        app: app_url.to_owned(),
    })?;
    let expires_at = provider.clock.unix_seconds() + LIFETIME;
    store
        .upsert(
            Kind::SetupInvitation,
            &random::handle_of(&token),
            Record::new(payload, expires_at).with_key(GROUP),
        )
        .await?;
    let link = format!("{}/setup?token={token}", provider.config.base_url);
    tracing::warn!(
        "no administrator yet: within one hour, open {link} in a browser and then sign in to the \
         app in that browser; the account you sign in with becomes the administrator. The link \
         works once; restart the server for a new one"
    );
    Ok(Some(link))
}

/// After a sign-in completed for the account `user_id`: when the browser holds a claim on an
/// unused invitation, consumes it (single use, atomically) and makes that account an
/// administrator (one atomic store step, so no concurrent change of the account is lost).
pub async fn redeem(
    provider: &Provider,
    headers: &HeaderMap,
    user_id: &str,
) -> Result<(), StoreError> {
    let Some(invitation) = claimed_invitation(provider, headers).await? else {
        return Ok(());
    };
    let now = provider.clock.unix_seconds();
    match provider
        .store
        .consume(Kind::SetupInvitation, &invitation, now)
        .await?
    {
        Consumed::First(_) => {
            let now_ms = i64::try_from(now).unwrap_or(i64::MAX).saturating_mul(1000);
            provider
                .store
                .record_sign_in(user_id, now_ms, Some(ADMIN_ROLE))
                .await?;
            tracing::warn!(user = %user_id, "setup link redeemed: this account is now the administrator");
        }
        Consumed::Already(_) | Consumed::Missing => {
            tracing::warn!(user = %user_id, "a used or expired setup invitation was presented: nothing changed");
        }
    }
    Ok(())
}

/// `Set-Cookie` deleting the claim cookie, when the request carried one.
pub fn clear_cookie(provider: &Provider, headers: &HeaderMap) -> Option<HeaderValue> {
    cookies::read(headers, COOKIE)
        .map(|_| cookies::set(COOKIE, "", 0, provider.config.secure_cookies()))
}

/// The storage id of the invitation this browser's claim points at, if the claim is live.
async fn claimed_invitation(
    provider: &Provider,
    headers: &HeaderMap,
) -> Result<Option<String>, StoreError> {
    let Some(claim) = cookies::read(headers, COOKIE) else {
        return Ok(None);
    };
    let now = provider.clock.unix_seconds();
    let record = provider
        .store
        .find(Kind::SetupInvitation, &random::handle_of(&claim), now)
        .await?;
    Ok(
        match record.map(|record| serde_json::from_value(record.payload)) {
            Some(Ok(Payload::Claim { invitation })) => Some(invitation),
            _ => None,
        },
    )
}

async fn administrator_exists(provider: &Provider) -> Result<bool, StoreError> {
    provider.store.any_user_with_role(ADMIN_ROLE).await
}

fn to_json(value: &impl Serialize) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(value).map_err(|error| StoreError::Backend(error.to_string()))
}

#[derive(Deserialize)]
struct SetupQuery {
    #[serde(default)]
    token: String,
}

/// `GET /setup?token=…`: the invitation is checked, not used; this browser gets a claim on it.
async fn page(State(provider): State<Provider>, Query(query): Query<SetupQuery>) -> Response {
    let now = provider.clock.unix_seconds();
    let found = if query.token.is_empty() {
        Ok(None)
    } else {
        provider
            .store
            .find(Kind::SetupInvitation, &random::handle_of(&query.token), now)
            .await
    };
    let record = match found {
        Ok(Some(record)) => record,
        Ok(None) => return invalid(),
        Err(error) => return failed(&error),
    };
    let Ok(Payload::Invitation { app }) = serde_json::from_value(record.payload.clone()) else {
        return invalid();
    };
    if record.consumed_at.is_some() {
        return html::message_page(
            StatusCode::GONE,
            "This setup link was already used",
            "The first administrator has been set up with it. Sign in to the app with that \
             account; an administrator can give others access.",
        );
    }
    let claim = random::token();
    let stored = match to_json(&Payload::Claim {
        invitation: random::handle_of(&query.token),
    }) {
        Ok(payload) => {
            provider
                .store
                .upsert(
                    Kind::SetupInvitation,
                    &random::handle_of(&claim),
                    Record::new(payload, record.expires_at).with_key(GROUP),
                )
                .await
        }
        Err(error) => Err(error),
    };
    if let Err(error) = stored {
        return failed(&error);
    }
    let minutes = record.expires_at.saturating_sub(now).div_ceil(60);
    let minutes = if minutes == 1 {
        "1 minute".to_owned()
    } else {
        format!("{minutes} minutes")
    };
    let body = maud::html! {
        h1 { "Set up the first administrator" }
        p {
            "This browser now holds the one-time setup invitation. "
            strong { "Sign in to the app now; the account you sign in with becomes the administrator." }
        }
        p {
            "Use this browser, within " (minutes) ". If you are already signed in, sign out \
             first. The invitation works once."
        }
        p { a class="button" href=(app) { "Go to the app and sign in" } }
    };
    let mut response = html::page(StatusCode::OK, "Set up the first administrator", body);
    response.headers_mut().append(
        header::SET_COOKIE,
        cookies::set(
            COOKIE,
            &claim,
            record.expires_at.saturating_sub(now),
            provider.config.secure_cookies(),
        ),
    );
    response
}

fn invalid() -> Response {
    html::message_page(
        StatusCode::BAD_REQUEST,
        "This setup link is invalid or has expired",
        "Setup links work for one hour. Restart the server to print a new one in its log.",
    )
}

fn failed(error: &StoreError) -> Response {
    tracing::error!(%error, "setup link failure");
    html::error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "The identity provider could not check this setup link. Please try again.",
    )
}
