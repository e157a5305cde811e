//! The page frame, rendered on the server: the header with the site name, navigation and the
//! theme switch, and the footer.

use super::session_links::SessionLinks;
use super::theme_toggle::{Theme, ThemeToggle};
use crate::app::SessionNow;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

#[component]
pub fn Header(theme: Theme) -> impl IntoView {
    view! {
        <header class="site-header">
            <div class="site-header__inner">
                <A href="/" attr:class="brand">
                    <span class="brand__mark" aria-hidden="true">"◆"</span>
                    <span class="brand__name">"Leptos × Logto"</span>
                </A>
                <nav class="site-nav" aria-label="Main">
                    <A href="/" exact=true>"Home"</A>
                    <UserLinks />
                </nav>
                <ThemeToggle theme />
            </div>
        </header>
    }
}

/// Profile link for a signed-in person (an island, which drops them when the session ends), a
/// sign-in link otherwise.
#[component]
fn UserLinks() -> impl IntoView {
    let session = expect_context::<SessionNow>();
    let path = use_location().pathname;
    match session.0.ok().and_then(|info| info.user) {
        Some(user) => {
            view! { <SessionLinks admin=user.is_admin path=path.get_untracked() /> }.into_any()
        }
        None => view! { <a href="/logto/sign-in" rel="external">"Sign in"</a> }.into_any(),
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <p>
                "Built with Leptos 0.8 and axum. Sign-in follows Logto's OpenID Connect flow."
            </p>
        </footer>
    }
}
