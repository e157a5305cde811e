//! The Leptos UI in islands mode: the server renders every page (the HTML shell, the one route
//! table ([`PAGES`]: which pages need sign-in, and [`page_view`]: what each shows), pages and
//! components); only the `#[island]`
//! components (theme switch, sign-in and sign-out buttons, the profile's token panel and local
//! times, the settings forms, the header's signed-in links, the hydration mark) are hydrated in
//! the browser, with serialisable props and no context from the server's components. Server work
//! is reached only through the server functions; on the server [`site`] hands the whole UI to the
//! composition root.

pub mod api;
pub mod components;
pub mod format;
pub mod page_data;
pub mod pages;
pub mod settings_api;

use crate::ui_types::{rule_of, Access, AppError, PageData, PageRule, SessionSummary};
use components::hydration_mark::HydrationMark;
use components::layout::{Footer, Header};
use components::theme_toggle::initial_theme;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Html, MetaTags, Title};
use pages::{
    home::HomePage, not_found::NotFoundPage, profile::ProfilePage, settings::SettingsPage,
    sign_in_error::SignInErrorPage, sign_out::SignOutPage,
};

/// The route table: who may open each page, and what data it shows. The server's guard reads it (a
/// full page load of a signed-in page while signed out goes to sign in; the page's data is worked
/// out before it renders), the server serves exactly these paths as pages, and [`page_view`] says
/// what each shows (a test checks that every one has its view).
pub const PAGES: &[PageRule] = &[
    PageRule {
        path: "/",
        access: Access::Anyone,
        data: PageData::None,
    },
    PageRule {
        path: "/profile",
        access: Access::SignedIn,
        data: PageData::Profile,
    },
    PageRule {
        path: "/sign-in-error",
        access: Access::Anyone,
        data: PageData::None,
    },
    PageRule {
        path: "/settings/sign-in-experience",
        access: Access::Admin,
        data: PageData::Settings,
    },
    PageRule {
        path: "/logto/sign-out",
        access: Access::Anyone,
        data: PageData::None,
    },
];

/// Who is signed in, as the server worked it out before the page renders (once per request),
/// shared by the header and the pages. Pages render only on the server (islands mode): in the
/// browser only islands run, and they get what they need as props.
#[derive(Clone)]
pub struct SessionNow(pub Result<SessionSummary, AppError>);

impl SessionNow {
    /// This request's, from the server (a render outside a request: the one-sentence failure).
    fn of_request() -> Self {
        #[cfg(feature = "ssr")]
        let known = crate::server::fns::session_summary_now().unwrap_or(Err(AppError::Internal));
        #[cfg(not(feature = "ssr"))]
        let known = Err(AppError::Internal);
        Self(known)
    }
}

/// The address of the page being rendered, as the server received it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageAddress {
    pub path: String,
    /// The query string, without `?` (empty when there is none).
    pub query: String,
}

impl PageAddress {
    /// This request's (a render outside a request: `/`).
    fn of_request() -> Self {
        #[cfg(feature = "ssr")]
        if let Some(parts) = use_context::<http::request::Parts>() {
            return Self {
                path: parts.uri.path().to_owned(),
                query: parts.uri.query().unwrap_or_default().to_owned(),
            };
        }
        Self {
            path: "/".to_owned(),
            query: String::new(),
        }
    }

    /// The first value of the query parameter `name`, decoded.
    pub fn query_value(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }
}

/// What the page at `path` shows (its view, to be made in the render), for a path of [`PAGES`];
/// `None` for any other (the 404 page). Pages are matched here, not by Leptos's router: they
/// render only on the server, where a router's reactive location, matching and outlets were pure
/// cost on every page view.
pub fn page_view(path: &str) -> Option<fn() -> AnyView> {
    rule_of(PAGES, path)?;
    match path {
        "/" => Some(|| view! { <HomePage /> }.into_any()),
        "/profile" => Some(|| view! { <ProfilePage /> }.into_any()),
        "/sign-in-error" => Some(|| view! { <SignInErrorPage /> }.into_any()),
        "/settings/sign-in-experience" => Some(|| view! { <SettingsPage /> }.into_any()),
        "/logto/sign-out" => Some(|| view! { <SignOutPage /> }.into_any()),
        _ => None,
    }
}

/// The whole UI, for the server's router.
#[cfg(feature = "ssr")]
pub fn site() -> crate::server::Site {
    crate::server::Site {
        shell: |options| shell(options).into_any(),
        pages: PAGES,
    }
}

/// The document around the app, rendered only on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <meta
                    name="description"
                    content="Sign in with Logto: a Leptos full-stack app with an embedded Logto-compatible provider."
                />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: the layout around the page of the request's path, rendered on the server, in
/// full before it is sent.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let theme = initial_theme();
    let address = PageAddress::of_request();
    provide_context(SessionNow::of_request());
    provide_context(address.clone());
    let page = page_view(&address.path)
        .map_or_else(|| view! { <NotFoundPage /> }.into_any(), |view| view());

    view! {
        <Html {..} data-theme=theme.as_str() />
        <Title formatter=|title: String| {
            if title.is_empty() { "Leptos × Logto".to_owned() } else { format!("{title} · Leptos × Logto") }
        } />
        <a class="skip-link" href="#main">"Skip to content"</a>
        <Header theme path=address.path />
        <main id="main" class="page">{page}</main>
        <Footer />
        // Last, so that it hydrates after every other island of the page.
        <HydrationMark />
    }
}

#[cfg(test)]
mod tests {
    use super::{page_view, PageAddress, PAGES};

    #[test]
    fn every_page_of_the_route_table_has_its_view_and_no_other_path_has_one() {
        for page in PAGES {
            assert!(page_view(page.path).is_some(), "{}", page.path);
        }
        for other in ["/nope", "/profile/", "/Profile", "", "/settings"] {
            assert!(page_view(other).is_none(), "{other}");
        }
    }

    #[test]
    fn query_values_are_decoded_and_the_first_one_counts() {
        let address = PageAddress {
            path: "/sign-in-error".to_owned(),
            query: "reason=access%20denied&reason=x&empty=".to_owned(),
        };
        assert_eq!(
            address.query_value("reason").as_deref(),
            Some("access denied")
        );
        assert_eq!(address.query_value("empty").as_deref(), Some(""));
        assert_eq!(address.query_value("missing"), None);
    }
}
