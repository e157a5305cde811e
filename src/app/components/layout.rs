//! The page frame: the header with the site name and navigation, and the footer.

use super::theme_toggle::ThemeToggle;
use crate::app::SessionResource;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Header() -> impl IntoView {
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
                <ThemeToggle />
            </div>
        </header>
    }
}

/// Profile link for a signed-in person, a sign-in link otherwise.
#[component]
fn UserLinks() -> impl IntoView {
    let session = expect_context::<SessionResource>();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match session.0.await.ok().and_then(|info| info.user) {
                    Some(user) if user.is_admin => view! {
                        <A href="/profile">"Profile"</A>
                        <A href="/settings/sign-in-experience">"Sign-in experience"</A>
                    }.into_any(),
                    Some(_) => view! { <A href="/profile">"Profile"</A> }.into_any(),
                    None => view! { <a href="/logto/sign-in" rel="external">"Sign in"</a> }.into_any(),
                }
            })}
        </Transition>
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
