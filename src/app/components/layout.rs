//! The page frame, rendered on the server: the header with the site name, navigation and the
//! theme switch, and the footer.

use super::session_links::SessionLinks;
use super::theme_toggle::{Theme, ThemeToggle};
use crate::app::SessionNow;
use leptos::prelude::*;

/// Plain links, `aria-current` worked out from the page's `path` at once: pages are rendered on
/// the server only (islands), where the router's `<A>` only added reactive state to every view.
#[component]
pub fn Header(theme: Theme, path: String) -> impl IntoView {
    let home = (path == "/").then_some("page");
    view! {
        <header class="site-header">
            <div class="site-header__inner">
                <a href="/" class="brand">
                    <span class="brand__mark" aria-hidden="true">"◆"</span>
                    <span class="brand__name">"Leptos × Logto"</span>
                </a>
                <nav class="site-nav" aria-label="Main">
                    <a href="/" aria-current=home>"Home"</a>
                    <UserLinks path />
                </nav>
                <ThemeToggle theme />
            </div>
        </header>
    }
}

/// Profile link for a signed-in person (an island, which drops them when the session ends), a
/// sign-in link otherwise.
#[component]
fn UserLinks(path: String) -> impl IntoView {
    let session = expect_context::<SessionNow>();
    match session.0.ok().and_then(|info| info.user) {
        Some(user) => view! { <SessionLinks admin=user.is_admin path /> }.into_any(),
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
