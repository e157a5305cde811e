//! `/profile` (signed in only): the user id, the ID-token claims, recent userinfo, token and session
//! lifetimes, a "Refresh tokens now" button and sign-out. Rendered on the server; the token panel
//! ([`TokenPanel`]) and the claims' instants ([`LocalTimes`]) are islands. A full page load while
//! signed out is redirected by the server; a session that ends while the page is open is said so
//! by the token panel.

use crate::app::api::RefreshTokens;
use crate::app::components::action_form::{submit_to, FormAction};
use crate::app::components::error_page::ErrorPage;
use crate::app::components::session_links::announce_session_ended;
use crate::app::components::sign_out_button::SignOutForm;
use crate::app::format::{self, LiveLocalTime, LocalTime, LocalTimes};
use crate::app::page_data;
use crate::ui_types::{AppError, ProfileData};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{Meta, Title};

/// Where a person whose session has ended signs in again, coming back here afterwards.
const SIGN_IN_AGAIN: &str = "/logto/sign-in?return_to=/profile";

#[component]
pub fn ProfilePage() -> impl IntoView {
    view! {
        <Title text="Your profile" />
        {match page_data::profile() {
            Ok(profile) => view! { <ProfileView profile /> }.into_any(),
            // Signed out between the server's guard and this render: on to sign in.
            Err(AppError::SignedOut) => view! {
                <Meta http_equiv="refresh" content=format!("0;url={SIGN_IN_AGAIN}") />
                <p class="muted">
                    "Your session has ended. Taking you to "
                    <a href=SIGN_IN_AGAIN rel="external">"sign in"</a>"…"
                </p>
            }.into_any(),
            Err(error) => view! {
                <ErrorPage status=error.status() title="Your profile is unavailable" message=error.message()>
                    <a href="/profile" class="button" rel="external">"Try again"</a>
                </ErrorPage>
            }.into_any(),
        }}
    }
}

#[component]
fn ProfileView(profile: ProfileData) -> impl IntoView {
    let user = profile.user;
    view! {
        <section class="profile">
            <h1 data-testid="profile-name">{user.display_name}</h1>
            <TokenPanel
                user_id=user.id
                email=user.email
                is_admin=user.is_admin
                expires_at=profile.access_token_expires_at
                idle_secs=profile.session_idle_timeout_secs
                absolute_secs=profile.session_absolute_lifetime_secs
            />
            <h2>"ID token claims"</h2>
            <ClaimsTable claims=profile.claims testid="claims" />
            <h2>"Userinfo"</h2>
            <p class="muted">{userinfo_age(profile.userinfo_max_age_secs)}</p>
            {match profile.userinfo {
                Ok(claims) => view! { <ClaimsTable claims testid="userinfo" /> }.into_any(),
                Err(message) => view! { <p class="alert alert--error" role="alert">{message}</p> }.into_any(),
            }}
            // After every instant of the tables: shows them in the reader's time zone.
            <LocalTimes />
        </section>
    }
}

/// The facts that change with a refresh, "Refresh tokens now" with its answer, and sign-out. Its
/// props are what the page shows anyway (no token ever reaches the browser). When the refresh
/// finds the session ended, it says so and tells the header ([`announce_session_ended`]).
#[island]
fn TokenPanel(
    user_id: String,
    email: Option<String>,
    is_admin: bool,
    expires_at: u64,
    idle_secs: u64,
    absolute_secs: u64,
) -> impl IntoView {
    let refresh = FormAction::<u64>::new();
    // Signals made with the view and read with `try_get`: a server render may resolve a closure
    // after the view's owner is gone, and must not panic then.
    let (refreshing, refreshed) = (refresh.pending(), refresh.value());
    let expires_at = RwSignal::new(expires_at);
    let refresh_failed = move || matches!(refreshed.try_get().flatten(), Some(Err(ref error)) if *error != AppError::SignedOut);
    let session_ended = move || {
        matches!(
            refreshed.try_get().flatten(),
            Some(Err(AppError::SignedOut))
        )
    };
    Effect::new(move |_| match refreshed.try_get().flatten() {
        Some(Ok(new_expiry)) => expires_at.set(new_expiry),
        Some(Err(AppError::SignedOut)) => announce_session_ended(),
        _ => {}
    });
    view! {
        <dl class="facts">
            <dt>"User ID"</dt>
            <dd><code data-testid="user-id">{user_id}</code></dd>
            <dt>"Email"</dt>
            <dd>{email.unwrap_or_else(|| "—".to_owned())}</dd>
            <dt>"Role"</dt>
            <dd>{if is_admin { "Administrator" } else { "Member" }}</dd>
            <dt>"Access token expires"</dt>
            <dd data-testid="access-expiry"><LiveLocalTime unix_seconds=expires_at /></dd>
            <dt>"Session"</dt>
            <dd>
                "Ends after " {format::duration(idle_secs)} " without activity, and "
                {format::duration(absolute_secs)} " after sign-in at the latest."
            </dd>
        </dl>
        <div class="actions">
            <form method="post" action=RefreshTokens::url() class="inline-form" on:submit=submit_to(refresh)>
                <button type="submit" class="button" disabled=move || refreshing.try_get().unwrap_or(false) data-testid="refresh">
                    {move || if refreshing.try_get().unwrap_or(false) { "Refreshing…" } else { "Refresh tokens now" }}
                </button>
            </form>
            <SignOutForm secondary=true />
        </div>
        {move || refreshed.try_get().flatten().is_some_and(|result| result.is_ok()).then(|| view! {
            <p class="alert alert--success" role="status" data-testid="refreshed">
                "Tokens refreshed. The new access token expires " <LiveLocalTime unix_seconds=expires_at /> "."
            </p>
        })}
        {move || refresh_failed().then(|| view! {
            <p class="alert alert--error" role="alert">
                "The tokens could not be refreshed. Try again in a moment."
            </p>
        })}
        {move || session_ended().then(|| view! {
            <div class="alert alert--error" role="alert" data-testid="session-ended">
                <p>"Your session has ended, so the tokens cannot be refreshed. Sign in again to go on."</p>
                <a href=SIGN_IN_AGAIN rel="external" class="button">"Sign in again"</a>
            </div>
        })}
    }
}

/// Where the userinfo claims come from, and how old they may be.
fn userinfo_age(max_age_secs: u64) -> String {
    if max_age_secs == 0 {
        "From the provider's userinfo endpoint, fetched for this page.".to_owned()
    } else {
        format!(
            "From the provider's userinfo endpoint, fetched within the last {}.",
            format::duration(max_age_secs)
        )
    }
}

/// The Unix seconds of a claim that is an instant (`exp`, `iat`, `auth_time`, `nbf`; Logto's
/// `created_at` and `updated_at` are in milliseconds).
fn instant_claim(name: &str, value: &str) -> Option<u64> {
    let number: u64 = value.parse().ok()?;
    match name {
        "exp" | "iat" | "auth_time" | "nbf" => Some(number),
        "created_at" | "updated_at" if number > 100_000_000_000 => Some(number / 1000),
        "created_at" | "updated_at" => Some(number),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::instant_claim;

    #[test]
    fn instants_are_recognised_in_seconds_and_logtos_milliseconds() {
        assert_eq!(instant_claim("exp", "1800000000"), Some(1_800_000_000));
        assert_eq!(
            instant_claim("created_at", "1800000000123"),
            Some(1_800_000_000)
        );
        assert_eq!(instant_claim("sub", "1800000000"), None);
        assert_eq!(instant_claim("exp", "soon"), None);
    }
}

#[component]
fn ClaimsTable(claims: Vec<(String, String)>, testid: &'static str) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="claims" data-testid=testid>
                <thead><tr><th scope="col">"Claim"</th><th scope="col">"Value"</th></tr></thead>
                <tbody>
                    {claims
                        .into_iter()
                        .map(|(name, value)| {
                            let shown = match instant_claim(&name, &value) {
                                Some(seconds) => view! { <LocalTime unix_seconds=seconds /> }.into_any(),
                                None => view! { <code>{value}</code> }.into_any(),
                            };
                            view! { <tr><th scope="row"><code>{name}</code></th><td>{shown}</td></tr> }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
