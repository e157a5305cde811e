//! The page a failed sign-in lands on (`/sign-in-error?reason=…`): a plain explanation per reason
//! and a way to try again. Reasons are a fixed vocabulary, so nothing from the provider or the URL
//! is ever echoed.

use crate::app::components::error_page::ErrorPage;
use crate::ui_types::SignInFailure;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SignInErrorPage() -> impl IntoView {
    let query = use_query_map();
    let failure = move || SignInFailure::parse(&query.read().get("reason").unwrap_or_default());
    let status = match failure() {
        SignInFailure::Internal => 500,
        // Temporary: the sign-in service (or our session storage) did not answer.
        SignInFailure::Unreachable => 503,
        _ => 400,
    };
    view! {
        <ErrorPage status=status title=failure().title() message=failure().message()>
            <a href="/logto/sign-in" class="button" rel="external">"Try again"</a>
        </ErrorPage>
    }
}
