//! What every provider page shows around its content ([`html::PageContext`]), gathered once per
//! request by a middleware on the whole provider router, before the handler runs:
//!
//! - the application: the `client_id` of the query (authorize, end-session), else the client of
//!   the browser's live interaction, else the first registered web application
//!   ([`crate::idp::clients::Clients::home_of`]) — its name for "Sign in to …" and its origin for
//!   "Back to the app";
//! - the theme: `ui_theme` of the authorization request (query), else the live interaction's,
//!   else the theme cookie set when the interaction started (so that pages after it ended —
//!   "expired", 404 — keep the app's theme); none: the system's (`prefers-color-scheme`);
//! - the sign-in experience's logos and favicons.
//!
//! Machine endpoints (the Management API, token, JWKS, userinfo, discovery, static files) get
//! an empty context without reading anything.

use super::flow;
use crate::idp::endpoints::cookies;
use crate::idp::html::{self, PageContext};
use crate::idp::protocol::records::UiTheme;
use crate::idp::sign_in_experience;
use crate::idp::Provider;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

pub async fn layer(State(provider): State<Provider>, request: Request, next: Next) -> Response {
    let context = if renders_pages(request.uri().path()) {
        // Only owned parts cross the awaits (a request body is not `Sync`).
        let query = request.uri().query().map(str::to_owned);
        let interaction = cookies::read(request.headers(), cookies::INTERACTION);
        let theme = cookies::read(request.headers(), cookies::THEME);
        gather(&provider, query.as_deref(), interaction, theme).await
    } else {
        PageContext::default()
    };
    html::with_context(context, next.run(request)).await
}

fn renders_pages(path: &str) -> bool {
    let machine = path == "/api"
        || path.starts_with("/api/")
        || path.starts_with("/static/")
        || path.starts_with("/oidc/.well-known/")
        || matches!(
            path,
            "/oidc/token" | "/oidc/token/revocation" | "/oidc/jwks" | "/oidc/me" | "/favicon.ico"
        );
    !machine
}

async fn gather(
    provider: &Provider,
    query: Option<&str>,
    interaction_cookie: Option<String>,
    theme_cookie: Option<String>,
) -> PageContext {
    let query: Vec<(String, String)> = query
        .map(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let param = |name: &str| {
        query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let interaction = match flow::find(provider, interaction_cookie.as_deref()).await {
        Ok(found) => found,
        Err(error) => {
            tracing::warn!(%error, "cannot read the interaction for the page context");
            None
        }
    };
    let client_id = param("client_id")
        .map(str::to_owned)
        .or_else(|| interaction.as_ref().map(|i| i.client_id().to_owned()));
    let theme = param("ui_theme")
        .and_then(UiTheme::parse)
        .or_else(|| interaction.as_ref().and_then(flow::Interaction::theme))
        .or_else(|| theme_cookie.as_deref().and_then(UiTheme::parse));
    let branding = match sign_in_experience::load(provider.store.as_ref()).await {
        Ok(experience) => experience.branding(),
        Err(error) => {
            tracing::warn!(%error, "cannot read the sign-in experience for its branding");
            Default::default()
        }
    };
    PageContext {
        theme,
        app: provider.clients.home_of(client_id.as_deref()),
        branding,
    }
}
