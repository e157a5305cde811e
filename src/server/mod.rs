//! The composition root: turns [`Settings`] into the axum router (Leptos pages and server
//! functions, health check, static files, security headers, request logging) and serves it until
//! SIGINT or SIGTERM. Glue only: no business rules live here.

pub mod headers;
pub mod telemetry;

use crate::app::{shell, App};
use crate::config::{RunMode, Settings};
use axum::extract::FromRef;
use axum::routing::get;
use axum::{Json, Router};
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub settings: Arc<Settings>,
}

impl AppState {
    pub fn new(settings: Settings) -> Self {
        Self {
            leptos_options: leptos_options(&settings),
            settings: Arc::new(settings),
        }
    }
}

/// The Leptos site options, taken from our validated settings rather than read again from the
/// environment, so that there is a single source of truth.
pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    let site = &settings.site;
    LeptosOptions::builder()
        .output_name(site.output_name.as_str())
        .site_root(site.root.as_str())
        .site_pkg_dir(site.pkg_dir.as_str())
        .site_addr(site.addr)
        .reload_port(u32::from(site.reload_port))
        .env(match site.mode {
            RunMode::Dev => leptos::config::Env::DEV,
            RunMode::Prod => leptos::config::Env::PROD,
        })
        .build()
}

/// The whole application as one router, ready to serve or to test with `oneshot`.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let settings = Arc::clone(&state.settings);
    let page_csp = headers::PagePolicy::new(&settings);
    let pages = move || page_csp.apply_to_response();
    let options = state.leptos_options.clone();
    let app = Router::new()
        .route("/healthz", get(healthz))
        .leptos_routes_with_context(&state, routes, pages.clone(), move || {
            shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(pages, shell))
        .with_state(state);
    let app = headers::apply(app, &settings);
    telemetry::apply(app)
}

#[derive(serde::Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
}

/// Liveness: answers as long as the process serves requests.
async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// Binds the configured address and serves until SIGINT/SIGTERM, letting requests in flight finish.
pub async fn serve(settings: Settings) -> std::io::Result<()> {
    let addr = settings.site.addr;
    let state = AppState::new(settings);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(
        address = %addr,
        base_url = %state.settings.logto.base(),
        "app listening"
    );
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("app stopped");
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
