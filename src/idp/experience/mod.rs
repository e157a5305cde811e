//! The sign-in experience served by the provider: enter an email, enter the 6-digit code sent to
//! it, and go back to the application. Works without JavaScript; POSTs answer 303; a new address
//! creates the account when email sign-up is on, and otherwise gets exactly the same answers as a
//! known one. The sign-in experience (`crate::idp::sign_in_experience`) decides whether email-code
//! sign-in and sign-up are on; codes go out through the currently stored email connector. Also
//! the development mailbox pages.

// Handlers here end early with a ready page (`Err(Response)`), the usual axum shape; the
// response's size does not matter on these paths.
#![allow(clippy::result_large_err)]

pub mod codes;
pub mod html;

use super::connectors::{EmailMessage, UsageType};
use super::endpoints::authorize::{issue_code_redirect, redirect_error, see_other};
use super::endpoints::cookies;
use super::protocol::error::OAuthError;
use super::protocol::records::{InteractionRecord, SessionRecord, SESSION_TTL};
use super::random;
use super::sign_in_experience::{self, EmailAccess};
use super::store::{Kind, Record};
use super::users;
use super::Provider;
use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use codes::{Issued, Verification};
use html::{alert, escape};
use serde::Deserialize;

pub fn routes() -> Router<Provider> {
    Router::new()
        .route("/sign-in", get(sign_in_page))
        .route("/register", get(register_page))
        .route("/sign-in/email", post(submit_email))
        .route("/sign-in/verify", get(verify_page).post(submit_code))
        .route("/sign-in/resend", post(resend))
        .route("/sign-in/cancel", get(cancel))
        .route("/dev/mailbox", get(mailbox_page))
        .route("/dev/mailbox.json", get(mailbox_json))
        .route("/static/provider.css", get(stylesheet))
        .route("/static/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
}

/// The interaction this browser is in, with its storage handle.
struct Current {
    handle: String,
    record: InteractionRecord,
    expires_at: u64,
}

async fn current(provider: &Provider, headers: &HeaderMap) -> Result<Option<Current>, Response> {
    let Some(id) = cookies::read(headers, cookies::INTERACTION) else {
        return Ok(None);
    };
    let handle = random::handle_of(&id);
    let found = provider
        .store
        .find(Kind::Interaction, &handle, provider.clock.unix_seconds())
        .await
        .map_err(internal)?;
    Ok(found.and_then(|record| {
        let expires_at = record.expires_at;
        serde_json::from_value(record.payload)
            .ok()
            .map(|record| Current {
                handle,
                record,
                expires_at,
            })
    }))
}

async fn save(provider: &Provider, current: &Current) -> Result<(), Response> {
    let payload = serde_json::to_value(&current.record).map_err(|e| internal(e.to_string()))?;
    provider
        .store
        .upsert(
            Kind::Interaction,
            &current.handle,
            Record::new(payload, current.expires_at),
        )
        .await
        .map_err(internal)
}

fn internal(error: impl std::fmt::Display) -> Response {
    tracing::error!(%error, "sign-in experience failure");
    html::error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "The identity provider could not complete this step. Please try again.",
    )
}

fn expired() -> Response {
    html::error_page(
        StatusCode::BAD_REQUEST,
        "This sign-in has expired",
        "Sign-in links are valid for one hour and only in the browser that opened them.",
    )
}

/// The interaction a form post belongs to: refused when cross-site, "expired" when there is none.
async fn posted_interaction(provider: &Provider, headers: &HeaderMap) -> Result<Current, Response> {
    same_origin(provider, headers)?;
    current(provider, headers).await?.ok_or_else(expired)
}

/// Cross-site form posts are refused (the interaction cookie is SameSite=Lax as a second line).
fn same_origin(provider: &Provider, headers: &HeaderMap) -> Result<(), Response> {
    match headers
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
    {
        Some(origin) if origin != provider.config.base_url => Err(html::error_page(
            StatusCode::FORBIDDEN,
            "Request refused",
            "This form was submitted from another site.",
        )),
        _ => Ok(()),
    }
}

/// What the sign-in experience allows now.
async fn email_access(provider: &Provider) -> Result<EmailAccess, Response> {
    sign_in_experience::load(provider.store.as_ref())
        .await
        .map(|experience| experience.email_access())
        .map_err(internal)
}

/// Whether unknown addresses may create accounts (the sign-in experience's `signUp`).
async fn sign_up_enabled(provider: &Provider) -> bool {
    match sign_in_experience::load(provider.store.as_ref()).await {
        Ok(experience) => experience.email_access().sign_up,
        Err(error) => {
            tracing::error!(%error, "cannot read the sign-in experience; treating sign-up as off");
            false
        }
    }
}

/// The page shown instead of the email form when email-code sign-in is off.
fn sign_in_disabled(access: EmailAccess, status: StatusCode) -> Response {
    let password_note = if access.password_configured {
        "<p>The sign-in settings ask for a password, but this identity provider signs people in \
         with one-time email codes only: password sign-in isn't available here.</p>"
    } else {
        ""
    };
    let body = format!(
        "<h1>Email sign-in is not enabled</h1>\
         <p>Signing in with a code sent by email has been turned off by the administrator, so \
         you can't sign in here right now.</p>{password_note}\
         <p class=\"switch\"><a href=\"/sign-in/cancel\">Cancel and go back</a></p>"
    );
    html::page(status, "Email sign-in is not enabled", &body)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Screen {
    SignIn,
    Register,
}

async fn sign_in_page(State(provider): State<Provider>, headers: HeaderMap) -> Response {
    email_page(&provider, &headers, Screen::SignIn).await
}

async fn register_page(State(provider): State<Provider>, headers: HeaderMap) -> Response {
    email_page(&provider, &headers, Screen::Register).await
}

async fn email_page(provider: &Provider, headers: &HeaderMap, screen: Screen) -> Response {
    match current(provider, headers).await {
        Ok(Some(current)) => {
            let access = match email_access(provider).await {
                Ok(access) => access,
                Err(response) => return response,
            };
            if !access.code_sign_in {
                return sign_in_disabled(access, StatusCode::OK);
            }
            let hint = current
                .record
                .email
                .clone()
                .or(current.record.params.login_hint.clone());
            render_email_form(
                screen,
                hint.as_deref().unwrap_or_default(),
                None,
                StatusCode::OK,
                access,
            )
        }
        Ok(None) => expired(),
        Err(response) => response,
    }
}

fn render_email_form(
    screen: Screen,
    email: &str,
    error: Option<&str>,
    status: StatusCode,
    access: EmailAccess,
) -> Response {
    let (title, intro, switch) = match screen {
        Screen::SignIn => (
            "Sign in",
            "Enter your email address and we'll send you a one-time code.",
            if access.sign_up {
                "No account yet? <a href=\"/register\">Create one</a>"
            } else {
                ""
            },
        ),
        Screen::Register => (
            "Create your account",
            "Enter your email address; we'll send a code to confirm it.",
            "Already have an account? <a href=\"/sign-in\">Sign in</a>",
        ),
    };
    let password_note = if access.password_configured {
        "<p class=\"hint\" id=\"password-note\">Password sign-in isn't available here: we'll \
         email you a one-time code instead.</p>"
    } else {
        ""
    };
    let body = format!(
        "<h1>{title}</h1><p>{intro}</p>{password_note}{alert}\
         <form method=\"post\" action=\"/sign-in/email\" novalidate>\
         <div class=\"field\"><label for=\"email\">Email</label>\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required autofocus \
         value=\"{email}\" aria-describedby=\"email-hint\"{invalid}>\
         <p class=\"hint\" id=\"email-hint\">We only use it to send you sign-in codes.</p></div>\
         <button type=\"submit\">Continue</button></form><p class=\"switch\">{switch}</p>\
         <p class=\"switch\"><a href=\"/sign-in/cancel\">Cancel and go back</a></p>",
        alert = alert(error),
        email = escape(email),
        invalid = if error.is_some() { " aria-invalid=\"true\"" } else { "" },
    );
    html::page(status, title, &body)
}

#[derive(Deserialize)]
struct EmailForm {
    #[serde(default)]
    email: String,
}

async fn submit_email(
    State(provider): State<Provider>,
    headers: HeaderMap,
    Form(form): Form<EmailForm>,
) -> Response {
    let mut current = match posted_interaction(&provider, &headers).await {
        Ok(current) => current,
        Err(response) => return response,
    };
    let access = match email_access(&provider).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    if !access.code_sign_in {
        return sign_in_disabled(access, StatusCode::FORBIDDEN);
    }
    let Some(email) = users::normalize_email(&form.email) else {
        return render_email_form(
            Screen::SignIn,
            &form.email,
            Some("Enter a valid email address, like name@example.com."),
            StatusCode::BAD_REQUEST,
            access,
        );
    };
    current.record.email = Some(email);
    match send_code(&provider, &mut current, access.sign_up).await {
        Ok(()) => see_other("/sign-in/verify"),
        Err(SendFailure::RateLimited) => render_email_form(
            Screen::SignIn,
            &form.email,
            Some("Too many codes were sent to this address. Wait a few minutes and try again."),
            StatusCode::TOO_MANY_REQUESTS,
            access,
        ),
        Err(SendFailure::Response(response)) => response,
    }
}

enum SendFailure {
    RateLimited,
    Response(Response),
}

/// Issues a code for the interaction's address and delivers it through the stored email
/// connector when the address may sign in or sign up. An unknown address with sign-up off is
/// answered identically but gets no mail. Without an email connector nothing is issued.
async fn send_code(
    provider: &Provider,
    current: &mut Current,
    sign_up: bool,
) -> Result<(), SendFailure> {
    let Some(email) = current.record.email.clone() else {
        return Err(SendFailure::Response(see_other("/sign-in")));
    };
    let mailer = email_connector(provider).await?;
    let now = provider.clock.unix_seconds();
    let known = provider
        .store
        .find_user_by_email(&email)
        .await
        .map_err(|e| SendFailure::Response(internal(e)))?
        .is_some();
    let code = match codes::issue(provider.store.as_ref(), &current.handle, &email, now).await {
        Ok(Issued::Code(code)) => code,
        Ok(Issued::RateLimited) => return Err(SendFailure::RateLimited),
        // A code for this address went out moments ago and is still valid: nothing new to send.
        Ok(Issued::TooSoon { .. }) => return Ok(()),
        Err(error) => return Err(SendFailure::Response(internal(error))),
    };
    let usage = if known {
        UsageType::SignIn
    } else {
        UsageType::Register
    };
    if known || sign_up {
        let message = EmailMessage {
            to: email,
            usage,
            code,
        };
        if let Err(error) = mailer.send(&message).await {
            tracing::error!(connector = mailer.name(), %error, "verification email not delivered");
            return Err(SendFailure::Response(html::error_page(
                StatusCode::BAD_GATEWAY,
                "We couldn't send the email",
                "The email service did not accept the message. Try again in a moment.",
            )));
        }
    }
    current.record.last_sent_at = Some(now);
    save(provider, current).await.map_err(SendFailure::Response)
}

/// The stored email connector, or the page explaining why no code can be sent.
async fn email_connector(
    provider: &Provider,
) -> Result<Box<dyn super::connectors::EmailConnector>, SendFailure> {
    match provider.connectors.email_sender().await {
        Ok(Some(mailer)) => Ok(mailer),
        Ok(None) => {
            tracing::error!("no email connector is configured: cannot send a verification code");
            Err(SendFailure::Response(html::error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Email isn't set up",
                "This identity provider has no email service configured, so it can't send you a \
                 sign-in code. Ask the administrator to set up an email connector.",
            )))
        }
        Err(error) => {
            tracing::error!(%error, "the email connector cannot be used");
            Err(SendFailure::Response(html::error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Email isn't working",
                "The email service of this identity provider is misconfigured, so it can't send \
                 you a sign-in code. Ask the administrator to check the email connector.",
            )))
        }
    }
}

async fn verify_page(State(provider): State<Provider>, headers: HeaderMap) -> Response {
    match current(&provider, &headers).await {
        Ok(Some(current)) if current.record.email.is_some() => {
            render_code_form(&provider, &current, None, StatusCode::OK)
        }
        Ok(Some(_)) => see_other("/sign-in"),
        Ok(None) => expired(),
        Err(response) => response,
    }
}

fn render_code_form(
    provider: &Provider,
    current: &Current,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let email = current.record.email.as_deref().unwrap_or_default();
    let wait = current.record.last_sent_at.map_or(0, |sent| {
        (sent + codes::RESEND_AFTER).saturating_sub(provider.clock.unix_seconds())
    });
    let body = format!(
        "<h1>Enter your code</h1><p>We sent a 6-digit code to <strong>{email}</strong>. It expires in 10 minutes.</p>{alert}\
         <form method=\"post\" action=\"/sign-in/verify\" novalidate>\
         <div class=\"field\"><label for=\"code\">Verification code</label>\
         <input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"[0-9]{{6}}\" \
         maxlength=\"6\" required autofocus{invalid}></div>\
         <button type=\"submit\">Verify and continue</button></form>\
         <form method=\"post\" action=\"/sign-in/resend\" class=\"switch\">Didn't get it? \
         <button type=\"submit\" id=\"resend\" class=\"link-button\" data-wait=\"{wait}\">Send a new code</button></form>\
         <p class=\"switch\"><a href=\"/sign-in\">Use another email address</a> · \
         <a href=\"/sign-in/cancel\">Cancel and go back</a></p>",
        email = escape(email),
        alert = alert(error),
        invalid = if error.is_some() { " aria-invalid=\"true\"" } else { "" },
    );
    let countdown = "(function(){var b=document.getElementById('resend');if(!b)return;var s=+b.dataset.wait;var l=b.textContent;\
        function t(){if(s>0){b.disabled=true;b.textContent=l+' ('+s+' s)';s--;setTimeout(t,1000);}else{b.disabled=false;b.textContent=l;}}t();})();";
    html::page_with_script(status, "Enter your code", &body, Some(countdown))
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn submit_code(
    State(provider): State<Provider>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let current = match posted_interaction(&provider, &headers).await {
        Ok(current) => current,
        Err(response) => return response,
    };
    let Some(email) = current.record.email.clone() else {
        return see_other("/sign-in");
    };
    let now = provider.clock.unix_seconds();
    let outcome = codes::verify(
        provider.store.as_ref(),
        &current.handle,
        &email,
        &form.code,
        now,
    )
    .await;
    let message = match outcome {
        Ok(Verification::Verified) => return complete(&provider, &headers, current, &email).await,
        Ok(Verification::Wrong { attempts_left }) => {
            format!("That code isn't right. {attempts_left} attempt(s) left.")
        }
        Ok(Verification::Expired) => {
            "This code has expired or was already used. Send a new code.".to_owned()
        }
        Ok(Verification::TooManyAttempts) => {
            "Too many wrong attempts. Send a new code to try again.".to_owned()
        }
        Err(error) => return internal(error),
    };
    render_code_form(&provider, &current, Some(&message), StatusCode::BAD_REQUEST)
}

/// The address is verified: find or create the account, start the provider session, and send
/// the person back to the application with an authorization code.
async fn complete(
    provider: &Provider,
    request: &HeaderMap,
    current: Current,
    email: &str,
) -> Response {
    let now = provider.clock.unix_seconds();
    let now_ms = i64::try_from(now).unwrap_or(i64::MAX).saturating_mul(1000);
    let store = provider.store.as_ref();
    let policy = provider.config.admin_policy();
    let user = match users::sign_in(
        store,
        email,
        &policy,
        sign_up_enabled(provider).await,
        now_ms,
    )
    .await
    {
        Ok(Some(user)) => Ok(user),
        Ok(None) => {
            // Unknown address with sign-up off: indistinguishable from a wrong code.
            return render_code_form(
                provider,
                &current,
                Some("That code isn't right."),
                StatusCode::BAD_REQUEST,
            );
        }
        Err(error) => Err(error),
    };
    let user = match user {
        Ok(user) => user,
        Err(error) => return internal(error),
    };
    // The first administrator's setup link (production), when this browser holds its claim.
    let user = match super::setup::redeem(provider, request, user).await {
        Ok(user) => user,
        Err(error) => return internal(error),
    };
    let session_id = random::token();
    let session = SessionRecord {
        user_id: user.id.clone(),
        auth_time: now,
    };
    let stored = match serde_json::to_value(&session) {
        Ok(payload) => {
            store
                .upsert(
                    Kind::Session,
                    &random::handle_of(&session_id),
                    Record::new(payload, now + SESSION_TTL),
                )
                .await
        }
        Err(error) => return internal(error),
    };
    if let Err(error) = stored {
        return internal(error);
    }
    if let Err(error) = store.destroy(Kind::Interaction, &current.handle).await {
        tracing::warn!(%error, "could not delete a finished interaction");
    }
    let location = match issue_code_redirect(provider, &current.record.params, &user.id, now).await
    {
        Ok(location) => location,
        Err(error) => return internal(error.description()),
    };
    let secure = provider.config.secure_cookies();
    let mut response = see_other(&location);
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        cookies::set(cookies::SESSION, &session_id, SESSION_TTL, secure),
    );
    headers.append(
        header::SET_COOKIE,
        cookies::set(cookies::INTERACTION, "", 0, secure),
    );
    if let Some(clear) = super::setup::clear_cookie(provider, request) {
        headers.append(header::SET_COOKIE, clear);
    }
    tracing::info!(user = %user.id, "signed in at the provider");
    response
}

async fn resend(State(provider): State<Provider>, headers: HeaderMap) -> Response {
    let mut current = match posted_interaction(&provider, &headers).await {
        Ok(current) => current,
        Err(response) => return response,
    };
    let now = provider.clock.unix_seconds();
    if let Some(sent) = current.record.last_sent_at {
        let wait = (sent + codes::RESEND_AFTER).saturating_sub(now);
        if wait > 0 {
            let message = format!("Please wait {wait} seconds before asking for a new code.");
            return render_code_form(
                &provider,
                &current,
                Some(&message),
                StatusCode::TOO_MANY_REQUESTS,
            );
        }
    }
    let access = match email_access(&provider).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    if !access.code_sign_in {
        return sign_in_disabled(access, StatusCode::FORBIDDEN);
    }
    match send_code(&provider, &mut current, access.sign_up).await {
        Ok(()) => see_other("/sign-in/verify"),
        Err(SendFailure::RateLimited) => render_code_form(
            &provider,
            &current,
            Some("Too many codes were sent to this address. Wait a few minutes and try again."),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(SendFailure::Response(response)) => response,
    }
}

/// The person gives up: the application hears `access_denied` (with its `state` and `iss`).
async fn cancel(State(provider): State<Provider>, headers: HeaderMap) -> Response {
    let current = match current(&provider, &headers).await {
        Ok(Some(current)) => current,
        Ok(None) => return expired(),
        Err(response) => return response,
    };
    if let Err(error) = provider
        .store
        .destroy(Kind::Interaction, &current.handle)
        .await
    {
        tracing::warn!(%error, "could not delete a cancelled interaction");
    }
    let params = &current.record.params;
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
    response
}

async fn mailbox_page(State(provider): State<Provider>) -> Response {
    let mails = match provider.store.list_mail(50).await {
        Ok(mails) => mails,
        Err(error) => return internal(error),
    };
    let mut body = String::from(
        "<h1>Dev mailbox</h1><p>Email sent by the development connector, newest first.</p>",
    );
    if mails.is_empty() {
        body.push_str("<p class=\"mail\">No messages yet.</p>");
    }
    for mail in &mails {
        body.push_str(&format!(
            "<article class=\"mail\"><p class=\"mail__meta\">To <strong>{}</strong> · {}</p><h2>{}</h2><div>{}</div></article>",
            escape(&mail.to),
            mail.sent_at,
            escape(&mail.subject),
            mail.html
        ));
    }
    html::page(StatusCode::OK, "Dev mailbox", &body)
}

async fn mailbox_json(State(provider): State<Provider>) -> Response {
    match provider.store.list_mail(50).await {
        Ok(mails) => {
            let list: Vec<_> = mails
                .iter()
                .map(|mail| serde_json::json!({"to": mail.to, "subject": mail.subject, "html": mail.html, "sentAt": mail.sent_at}))
                .collect();
            let mut response = Json(list).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => internal(error),
    }
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
