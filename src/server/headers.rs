//! Security headers on every response: a Content-Security-Policy (with the per-request nonce that
//! Leptos puts on its hydration scripts for rendered pages), framing denial, MIME sniffing off,
//! a strict referrer policy, and HSTS when the app is served over https.

use crate::config::{RunMode, Settings};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use http::request::Parts;
use http::{HeaderName, HeaderValue};
use leptos::prelude::use_context;
use std::sync::{Arc, Mutex};
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy for rendered pages; scripts need the request's nonce.
#[derive(Clone, Debug)]
pub struct PagePolicy {
    connect_src: String,
    form_action: String,
}

impl PagePolicy {
    pub fn new(settings: &Settings) -> Self {
        let mut connect_src = "'self'".to_owned();
        if settings.site.mode == RunMode::Dev {
            // `cargo leptos watch` live reload.
            let port = settings.site.reload_port;
            connect_src.push_str(&format!(" ws://localhost:{port} ws://127.0.0.1:{port}"));
        }
        // Sign-in and sign-out forms redirect to Logto (or the embedded provider); browsers check
        // form-action on redirects.
        let provider = settings
            .logto
            .endpoint
            .as_ref()
            .unwrap_or(&settings.provider.base_url);
        let form_action = format!("'self' {}", provider.origin().ascii_serialization());
        Self {
            connect_src,
            form_action,
        }
    }

    /// The CSP header value for a page whose inline scripts carry `nonce`.
    pub fn header_value(&self, nonce: &str) -> String {
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src {}; \
             form-action {}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
            self.connect_src, self.form_action
        )
    }

    /// Called while Leptos renders a page: notes the nonce Leptos made for this request's
    /// scripts, for [`set_page_policy`] to put in the response's CSP.
    pub fn note_nonce() {
        let Some(nonce) = leptos::nonce::use_nonce() else {
            return;
        };
        if let Some(slot) = use_context::<Parts>()
            .and_then(|parts| parts.extensions.get::<RenderedNonce>().cloned())
        {
            *slot
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(nonce.to_string());
        }
    }
}

/// Where a page render leaves its nonce ([`PagePolicy::note_nonce`]), for the response.
#[derive(Clone, Default)]
pub struct RenderedNonce(Arc<Mutex<Option<String>>>);

/// Middleware: a rendered page gets the page CSP with its nonce, and `Cache-Control: no-store`
/// (pages are per person). Set here on the response itself rather than through Leptos's
/// `ResponseOptions`, whose headers a page rendered with `SsrMode::Async` sometimes lost (then
/// the page got the no-script policy and never hydrated). The render has run its context, and
/// so noted the nonce, before the response's headers are returned.
pub async fn set_page_policy(
    State(policy): State<Arc<PagePolicy>>,
    mut request: Request,
    next: Next,
) -> Response {
    let slot = RenderedNonce::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    let nonce = slot
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    if let Some(nonce) = nonce {
        if let Ok(value) = HeaderValue::from_str(&policy.header_value(&nonce)) {
            let headers = response.headers_mut();
            headers.insert(CONTENT_SECURITY_POLICY, value);
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    response
}

/// The policy for everything that is not a rendered page (JSON, static files): nothing may run.
const DEFAULT_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers that a response does not already set.
pub fn apply(router: Router, settings: &Settings) -> Router {
    let mut headers: Vec<(HeaderName, HeaderValue)> = vec![
        (
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        ),
        (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
        (
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
        ),
    ];
    if settings.logto.base_url.scheme() == "https" {
        headers.push((
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    headers.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::if_not_present(name, value))
    })
}
