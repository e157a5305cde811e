//! Security headers on every response: a Content-Security-Policy (with the per-request nonce that
//! Leptos puts on its hydration scripts for rendered pages), framing denial, MIME sniffing off,
//! a strict referrer policy, and HSTS when the app is served over https.

use crate::config::{RunMode, Settings};
use axum::Router;
use http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use http::{HeaderName, HeaderValue};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
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

    /// Called while Leptos renders a page: sets the page CSP with the nonce of this request.
    pub fn apply_to_response(&self) {
        let (Some(nonce), Some(response)) =
            (leptos::nonce::use_nonce(), use_context::<ResponseOptions>())
        else {
            return;
        };
        if let Ok(value) = HeaderValue::from_str(&self.header_value(&nonce)) {
            response.insert_header(CONTENT_SECURITY_POLICY, value);
        }
        // Pages and server-function answers are per person: never stored by caches.
        response.insert_header(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
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
