//! Structured logs: the `tracing` subscriber (text or JSON), and a request span per request with
//! its id (`x-request-id`, generated when absent and echoed back), method, path, status and
//! latency. Query strings are never logged: callbacks carry codes and state in them.

use crate::config::{LogFormat, LogSettings};
use axum::Router;
use http::{HeaderName, Request, Response};
use std::time::Duration;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;
use tracing_subscriber::EnvFilter;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global subscriber. Safe to call more than once (later calls do nothing).
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_new(&settings.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _already_set = match settings.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Wraps the router with request ids and the request log.
pub fn apply(router: Router) -> Router {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request<_>| {
            let request_id = request
                .headers()
                .get(&REQUEST_ID)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("-");
            let client = request
                .extensions()
                .get::<super::client::ClientAddr>()
                .map_or_else(|| "-".to_owned(), |client| client.0.to_string());
            tracing::info_span!(
                "request",
                id = %request_id,
                client = %client,
                method = %request.method(),
                path = %request.uri().path(),
            )
        })
        .on_request(())
        .on_response(|response: &Response<_>, latency: Duration, _span: &Span| {
            tracing::info!(
                status = response.status().as_u16(),
                latency_ms = latency.as_secs_f64() * 1000.0,
                "response"
            );
        })
        .on_failure(());
    router
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}
