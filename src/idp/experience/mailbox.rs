//! The development mailbox: what the dev-mailbox email connector "sent", newest first, as a page
//! (`/dev/mailbox`) and as JSON (`/dev/mailbox.json`, read by the Playwright specs and the flow
//! tests). Its own router, so that it can be mounted only where the dev mailbox belongs.

use super::error::ExperienceError;
use crate::idp::html::{self, Text};
use crate::idp::Provider;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use maud::{html, PreEscaped};

/// How many messages the views show.
const SHOWN: u32 = 50;

pub fn routes() -> Router<Provider> {
    Router::new()
        .route("/dev/mailbox", get(page))
        .route("/dev/mailbox.json", get(json))
}

async fn page(State(provider): State<Provider>) -> Result<Response, ExperienceError> {
    let mails = provider.store.list_mail(SHOWN).await?;
    let body = html! {
        h1 { "Dev mailbox" }
        p { "Email sent by the development connector, newest first." }
        @if mails.is_empty() {
            p class="mail" { "No messages yet." }
        }
        @for mail in &mails {
            article class="mail" {
                p class="mail__meta" { "To " strong { (Text(&mail.to)) } " · " (mail.sent_at) }
                h2 { (Text(&mail.subject)) }
                // Trusted: the message body as the connector rendered it from its template, shown
                // as the recipient's mail client would.
                div { (PreEscaped(&mail.html)) }
            }
        }
    };
    Ok(html::page(StatusCode::OK, "Dev mailbox", body))
}

async fn json(State(provider): State<Provider>) -> Result<Response, ExperienceError> {
    let mails = provider.store.list_mail(SHOWN).await?;
    let list: Vec<_> = mails
        .iter()
        .map(|mail| {
            serde_json::json!({
                "to": mail.to,
                "subject": mail.subject,
                "html": mail.html,
                "sentAt": mail.sent_at,
            })
        })
        .collect();
    let mut response = Json(list).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
