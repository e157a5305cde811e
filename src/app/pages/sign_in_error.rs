//! The page a failed sign-in lands on (`/sign-in-error?reason=…`): a plain explanation per reason
//! and a way to try again. Reasons are a fixed vocabulary, so nothing from the provider or the URL
//! is ever echoed. When the person is signed in after all (a second tab finished the same
//! sign-in, or an old sign-in link was used again), it says so and lets them go on instead.

use crate::app::components::error_page::ErrorPage;
use crate::app::{PageAddress, SessionNow};
use crate::ui_types::{SignInFailure, UserView};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SignInErrorPage() -> impl IntoView {
    let reason = use_context::<PageAddress>().and_then(|address| address.query_value("reason"));
    let failure = SignInFailure::parse(&reason.unwrap_or_default());
    match expect_context::<SessionNow>()
        .0
        .ok()
        .and_then(|summary| summary.user)
    {
        Some(user) if stale(failure) => view! { <AlreadySignedIn user /> }.into_any(),
        _ => view! { <Failed failure /> }.into_any(),
    }
}

/// Failures that a signed-in person meets only through an old or duplicate sign-in.
fn stale(failure: SignInFailure) -> bool {
    matches!(
        failure,
        SignInFailure::InvalidRequest | SignInFailure::Expired | SignInFailure::Cancelled
    )
}

#[component]
fn Failed(failure: SignInFailure) -> impl IntoView {
    let status = match failure {
        SignInFailure::Internal => 500,
        // Temporary: the sign-in service (or our session storage) did not answer.
        SignInFailure::Unreachable => 503,
        _ => 400,
    };
    view! {
        <ErrorPage status=status title=failure.title() message=failure.message()>
            <a href="/logto/sign-in" class="button" rel="external">"Try again"</a>
        </ErrorPage>
    }
}

#[component]
fn AlreadySignedIn(user: UserView) -> impl IntoView {
    view! {
        <Title text="You're signed in" />
        <section class="error-page" aria-labelledby="signed-in-title" data-testid="already-signed-in">
            <h1 id="signed-in-title">"You're signed in"</h1>
            <p class="error-page__message">
                "This sign-in link was old or already used, but you are signed in as "
                <strong>{user.display_name}</strong> ", so there is nothing more to do."
            </p>
            <div class="actions">
                <a href="/" class="button">"Continue to the app"</a>
                <a href="/profile" class="button button--secondary">"Your profile"</a>
            </div>
        </section>
    }
}
