//! The Leptos UI in islands mode: the server renders every page (the HTML shell, the one route
//! table ([`PAGES`]: which pages need sign-in), pages and components); only the `#[island]`
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

use crate::ui_types::{Access, AppError, PageData, PageRule, SessionSummary};
use components::hydration_mark::HydrationMark;
use components::layout::{Footer, Header};
use components::theme_toggle::initial_theme;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Html, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use leptos_router::SsrMode;
use pages::{
    home::HomePage, not_found::NotFoundPage, profile::ProfilePage, settings::SettingsPage,
    sign_in_error::SignInErrorPage, sign_out::SignOutPage,
};

/// The route table: who may open each page, and what data it shows. The server's guard reads it (a
/// full page load of a signed-in page while signed out goes to sign in; the page's data is worked
/// out before it renders); a test checks it lists every route of [`App`].
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

/// The whole UI, for the server's router.
#[cfg(feature = "ssr")]
pub fn site() -> crate::server::Site {
    crate::server::Site {
        app: || App().into_any(),
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

/// The application: layout and routes, rendered on the server. Every route is rendered in full
/// before it is sent (`SsrMode::Async`), so its HTML needs no streaming scripts.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let theme = initial_theme();
    provide_context(SessionNow::of_request());

    view! {
        <Html {..} data-theme=theme.as_str() />
        <Title formatter=|title: String| {
            if title.is_empty() { "Leptos × Logto".to_owned() } else { format!("{title} · Leptos × Logto") }
        } />
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Header theme />
            <main id="main" class="page">
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/profile") view=ProfilePage ssr=SsrMode::Async />
                    <Route path=path!("/sign-in-error") view=SignInErrorPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/settings/sign-in-experience")
                        view=SettingsPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/logto/sign-out") view=SignOutPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <Footer />
            // Last, so that it hydrates after every other island of the page.
            <HydrationMark />
        </Router>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::{App, PAGES};

    #[tokio::test]
    async fn the_route_table_lists_every_route_of_the_app() {
        let routes = leptos_axum::generate_route_list(App);
        let mut served: Vec<String> = routes.iter().map(|route| route.path().to_owned()).collect();
        let mut listed: Vec<String> = PAGES.iter().map(|page| page.path.to_owned()).collect();
        served.sort();
        listed.sort();
        assert_eq!(served, listed);
    }
}
