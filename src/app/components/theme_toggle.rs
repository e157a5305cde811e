//! The colour-theme switch (system → light → dark), an island. The server renders the chosen
//! theme (from the cookie) on `<html data-theme>` and as the button's starting state, so there is
//! no flash; a click sets the attribute and the cookie in the browser. The button works only once
//! its island is hydrated.

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

/// The theme to render with, from the request's cookie (the server renders every page; `System`
/// outside a request).
pub fn initial_theme() -> Theme {
    #[cfg(feature = "ssr")]
    let header = use_context::<http::request::Parts>().and_then(|parts| {
        parts
            .headers
            .get(http::header::COOKIE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    });
    #[cfg(not(feature = "ssr"))]
    let header: Option<String> = None;
    header
        .as_deref()
        .and_then(theme_from_cookie_header)
        .unwrap_or(Theme::System)
}

/// Shows `theme` on `<html data-theme>` and stores the choice for a year; the cookie is readable
/// by scripts on purpose (it is not sensitive).
fn apply(theme: Theme) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(root) = document().document_element() {
            let _ignored = root.set_attribute("data-theme", theme.as_str());
        }
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

/// The switch, starting from the theme the server rendered the page with.
#[island]
pub fn ThemeToggle(theme: Theme) -> impl IntoView {
    let theme = RwSignal::new(theme);
    let change = move |_| {
        let next = theme.get_untracked().next();
        theme.set(next);
        apply(next);
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
