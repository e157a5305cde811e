//! The sign-in pages' HTTP surface, thin: each handler reads the interaction cookie and the form,
//! calls one step of `flow`, and renders the outcome (a page from `pages`, a 303, or the
//! step's `ExperienceError`). Every form post passes the shared origin policy
//! (`crate::runtime::origin`) before anything else happens; a refused post gets 403 "Request
//! refused" and nothing is sent. Then its tab tag is checked (`flow::check_tab`): a post from a
//! tab whose sign-in was restarted in another tab gets 409 with a link to the newer one. POSTs
//! that succeed answer 303, so reloads never resubmit. Also the provider's stylesheets:
//! `/static/provider.css` (layout) and `/static/brand.css` (the sign-in experience's colours,
//! `no-cache`).

use super::error::ExperienceError;
use super::flow::{self, EmailStep, Interaction, SignedIn};
use super::pages::{self, Screen};
use crate::idp::endpoints::authorize::{redirect_error, see_other};
use crate::idp::endpoints::cookies;
use crate::idp::html;
use crate::idp::protocol::error::OAuthError;
use crate::idp::protocol::records::SESSION_TTL;
use crate::idp::setup;
use crate::idp::sign_in_experience;
use crate::idp::Provider;
use crate::runtime::origin;
use axum::extract::{Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

/// Where a successful email or resend post sends the browser.
const CODE_PAGE: &str = "/sign-in/verify";

pub fn routes() -> Router<Provider> {
    Router::new()
        .route("/sign-in", get(sign_in_page))
        .route("/register", get(register_page))
        .route("/sign-in/email", post(submit_email))
        .route(CODE_PAGE, get(code_page).post(submit_code))
        .route("/sign-in/resend", post(resend))
        .route("/sign-in/cancel", get(cancel))
        .route("/static/provider.css", get(stylesheet))
        .route("/static/brand.css", get(brand_stylesheet))
        .route("/static/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
}

fn interaction_cookie(headers: &HeaderMap) -> Option<String> {
    cookies::read(headers, cookies::INTERACTION)
}

/// The interaction of a page view; none is "this sign-in has expired".
async fn viewed(provider: &Provider, headers: &HeaderMap) -> Result<Interaction, ExperienceError> {
    flow::require(provider, interaction_cookie(headers).as_deref()).await
}

/// The interaction of a form post: the post passed the origin policy, and the browser's
/// interaction is live. Extracted before the form body is read.
struct Posted(Interaction);

impl FromRequestParts<Provider> for Posted {
    type Rejection = ExperienceError;

    async fn from_request_parts(
        parts: &mut Parts,
        provider: &Provider,
    ) -> Result<Self, Self::Rejection> {
        origin::check_headers(&provider.config.base_url, &parts.headers)
            .map_err(ExperienceError::CrossSite)?;
        viewed(provider, &parts.headers).await.map(Posted)
    }
}

async fn sign_in_page(
    State(provider): State<Provider>,
    headers: HeaderMap,
) -> Result<Response, ExperienceError> {
    email_page(&provider, &headers, Screen::SignIn).await
}

async fn register_page(
    State(provider): State<Provider>,
    headers: HeaderMap,
) -> Result<Response, ExperienceError> {
    email_page(&provider, &headers, Screen::Register).await
}

async fn email_page(
    provider: &Provider,
    headers: &HeaderMap,
    screen: Screen,
) -> Result<Response, ExperienceError> {
    let interaction = viewed(provider, headers).await?;
    Ok(
        match flow::email_step(provider, &interaction, screen).await? {
            EmailStep::Form(form) => pages::email_form(StatusCode::OK, &form, None),
            EmailStep::Disabled(access) => pages::sign_in_disabled(StatusCode::OK, access),
        },
    )
}

#[derive(Deserialize)]
struct EmailPost {
    #[serde(default)]
    email: String,
    /// `sign_in` or `register`: the screen the form was on.
    screen: Option<String>,
    /// The tab tag of the interaction the form was shown for.
    interaction: Option<String>,
}

async fn submit_email(
    State(provider): State<Provider>,
    Posted(interaction): Posted,
    Form(form): Form<EmailPost>,
) -> Result<Response, ExperienceError> {
    flow::check_tab(&interaction, form.interaction.as_deref())?;
    let screen = Screen::parse(form.screen.as_deref());
    flow::submit_email(&provider, interaction, &form.email, screen).await?;
    Ok(see_other(CODE_PAGE))
}

async fn code_page(
    State(provider): State<Provider>,
    headers: HeaderMap,
) -> Result<Response, ExperienceError> {
    let interaction = viewed(&provider, &headers).await?;
    let form = flow::code_step(&provider, &interaction).await?;
    Ok(pages::code_form(StatusCode::OK, &form, None))
}

#[derive(Deserialize)]
struct CodePost {
    #[serde(default)]
    code: String,
    interaction: Option<String>,
}

async fn submit_code(
    State(provider): State<Provider>,
    headers: HeaderMap,
    Posted(interaction): Posted,
    Form(form): Form<CodePost>,
) -> Result<Response, ExperienceError> {
    flow::check_tab(&interaction, form.interaction.as_deref())?;
    let signed_in = flow::submit_code(&provider, interaction, &form.code).await?;
    // The first administrator's setup link (production), when this browser holds its claim.
    setup::redeem(&provider, &headers, &signed_in.user_id).await?;
    let mut response = back_to_the_client(&provider, &signed_in);
    if let Some(clear) = setup::clear_cookie(&provider, &headers) {
        response.headers_mut().append(header::SET_COOKIE, clear);
    }
    Ok(response)
}

/// The redirect with the authorization code, the provider session cookie set and the
/// interaction cookie cleared.
fn back_to_the_client(provider: &Provider, signed_in: &SignedIn) -> Response {
    let secure = provider.config.secure_cookies();
    let mut response = see_other(&signed_in.location);
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        cookies::set(cookies::SESSION, &signed_in.session_id, SESSION_TTL, secure),
    );
    headers.append(
        header::SET_COOKIE,
        cookies::set(cookies::INTERACTION, "", 0, secure),
    );
    response
}

#[derive(Deserialize)]
struct ResendPost {
    interaction: Option<String>,
}

async fn resend(
    State(provider): State<Provider>,
    Posted(interaction): Posted,
    Form(form): Form<ResendPost>,
) -> Result<Response, ExperienceError> {
    flow::check_tab(&interaction, form.interaction.as_deref())?;
    flow::resend(&provider, interaction).await?;
    Ok(see_other(CODE_PAGE))
}

/// The person gives up: the application hears `access_denied` (with its `state` and `iss`).
async fn cancel(
    State(provider): State<Provider>,
    headers: HeaderMap,
) -> Result<Response, ExperienceError> {
    let interaction = viewed(&provider, &headers).await?;
    let record = flow::cancel(&provider, interaction).await;
    let params = &record.params;
    let mut response = redirect_error(
        &provider,
        &params.redirect_uri,
        params.state.as_deref(),
        &OAuthError::AccessDenied("the person cancelled the sign-in".to_owned()),
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        cookies::set(
            cookies::INTERACTION,
            "",
            0,
            provider.config.secure_cookies(),
        ),
    );
    Ok(response)
}

async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../../../public/favicon.svg"),
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        html::STYLESHEET,
    )
        .into_response()
}

/// The sign-in experience's colours as the accent colour, read on every request (`no-cache`),
/// since the CSP (`style-src 'self'`) allows no inline styles. Logto's defaults when the stored
/// document cannot be read.
async fn brand_stylesheet(State(provider): State<Provider>) -> Response {
    let color = match sign_in_experience::load(provider.store.as_ref()).await {
        Ok(experience) => experience.color(),
        Err(error) => {
            tracing::warn!(%error, "cannot read the sign-in experience for its colours");
            sign_in_experience::SignInExperience::default_experience().color()
        }
    };
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        html::brand_stylesheet(&color),
    )
        .into_response()
}
