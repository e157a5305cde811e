//! The colour-theme switch (system → light → dark). The choice is kept in a cookie so that the
//! server renders the chosen theme on the next visit without a flash; the button works only once
//! the page is hydrated, which makes it the app's visible hydration check.

pub use crate::ui_types::{theme_from_cookie_header, Theme, THEME_COOKIE};
use leptos::prelude::*;

/// The button's text for `theme`.
fn label(theme: Theme) -> &'static str {
    match theme {
        Theme::System => "Theme: system",
        Theme::Light => "Theme: light",
        Theme::Dark => "Theme: dark",
    }
}

/// The theme to render with: from the request cookie on the server, from `document.cookie` in the
/// browser (so hydration agrees with the server's HTML).
pub fn initial_theme() -> Theme {
    #[cfg(feature = "ssr")]
    let header = use_context::<http::request::Parts>().and_then(|parts| {
        parts
            .headers
            .get(http::header::COOKIE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    });
    #[cfg(feature = "hydrate")]
    let header = {
        use wasm_bindgen::JsCast;
        document()
            .dyn_into::<web_sys::HtmlDocument>()
            .ok()
            .and_then(|document| document.cookie().ok())
    };
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    let header: Option<String> = None;
    header
        .as_deref()
        .and_then(theme_from_cookie_header)
        .unwrap_or(Theme::System)
}

/// Stores the choice for a year; readable by scripts on purpose (it is not sensitive).
fn remember(theme: Theme) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Ok(document) = document().dyn_into::<web_sys::HtmlDocument>() {
            let cookie = format!(
                "{THEME_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
                theme.as_str()
            );
            let _ignored = document.set_cookie(&cookie);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = theme;
}

#[component]
pub fn ThemeToggle() -> impl IntoView {
    let theme = expect_context::<RwSignal<Theme>>();
    let change = move |_| {
        let next = theme.get_untracked().next();
        theme.set(next);
        remember(next);
    };
    view! {
        <button
            type="button"
            class="theme-toggle"
            data-testid="theme-toggle"
            title="Switch colour theme"
            on:click=change
        >
            {move || label(theme.get())}
        </button>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_theme_among_other_cookies() {
        assert_eq!(
            theme_from_cookie_header("a=1; leptos_logto_theme=dark; b=2"),
            Some(Theme::Dark)
        );
        assert_eq!(theme_from_cookie_header("a=1"), None);
        assert_eq!(
            theme_from_cookie_header("leptos_logto_theme=bogus"),
            Some(Theme::System)
        );
    }

    #[test]
    fn cycles_through_all_three() {
        assert_eq!(Theme::System.next().next().next(), Theme::System);
    }
}
