//! The header's links for a signed-in person ("Profile", and "Sign-in experience" for
//! administrators), an island: when a page finds the session ended ([`announce_session_ended`]),
//! they give way to "Sign in", so the header stops greeting someone who is no longer signed in.

use leptos::either::Either;
use leptos::prelude::*;

/// The browser event (on `window`) that says the session has ended.
#[cfg(feature = "hydrate")]
const SESSION_ENDED: &str = "session-ended";

/// Tells the page (the header's links) that the session has ended.
pub fn announce_session_ended() {
    #[cfg(feature = "hydrate")]
    if let Ok(event) = web_sys::Event::new(SESSION_ENDED) {
        let _delivered = window().dispatch_event(&event);
    }
}

/// `aria-current` for a link to `href` on the page at `path` (the link or a page below it).
fn current(path: &str, href: &str) -> Option<&'static str> {
    let below = path
        .strip_prefix(href)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    below.then_some("page")
}

/// The signed-in links; `path` is the page's path, for `aria-current`.
#[island]
pub fn SessionLinks(admin: bool, path: String) -> impl IntoView {
    let ended = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        let _listening = window_event_listener_untyped(SESSION_ENDED, move |_| ended.set(true));
    }
    move || {
        if ended.get() {
            Either::Left(view! { <a href="/logto/sign-in" rel="external">"Sign in"</a> })
        } else {
            Either::Right(view! {
                <a href="/profile" aria-current=current(&path, "/profile")>"Profile"</a>
                {admin.then(|| view! {
                    <a
                        href="/settings/sign-in-experience"
                        aria-current=current(&path, "/settings/sign-in-experience")
                    >
                        "Sign-in experience"
                    </a>
                })}
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::current;

    #[test]
    fn a_link_is_current_on_its_page_and_below_it() {
        assert_eq!(current("/profile", "/profile"), Some("page"));
        assert_eq!(current("/profile/x", "/profile"), Some("page"));
        assert_eq!(current("/profiles", "/profile"), None);
        assert_eq!(current("/", "/profile"), None);
    }
}
