//! The app's composition root, axum wiring only: turns [`Settings`] and the app's [`Site`] (its
//! HTML shell and route table, given by `app`) into one router — Leptos pages and
//! server functions, sign-in routes, health check, static files, the cache of public pages for
//! visitors without a session, sessions, the request's services, CSRF, security headers, request
//! logs — and serves it until SIGINT or SIGTERM. No business rules
//! live here: they are in `services`.

pub mod anonymous_pages;
pub mod csrf;
pub mod extract;
pub mod fns;
pub mod guard;
pub mod headers;
pub mod render;
pub mod session;
pub mod sign_in_routes;
pub mod static_files;

use crate::auth::SharedGrants;
use crate::clock::{SharedClock, SystemClock};
use crate::config::{RunMode, Settings};
use crate::runtime::serve::Shutdown;
use crate::runtime::{client, telemetry};
use crate::services::Services;
use crate::sessions::Engine;
use crate::ui_types::PageRule;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use leptos::config::LeptosOptions;
use leptos::prelude::AnyView;
use leptos_axum::LeptosRoutes;
use std::sync::Arc;
use tower_sessions::{SessionManagerLayer, SessionStore};

/// What the app gives the server: the HTML document with the app in it, and the route table
/// (the pages, and which need sign-in).
#[derive(Clone, Copy)]
pub struct Site {
    pub shell: fn(LeptosOptions) -> AnyView,
    pub pages: &'static [PageRule],
}

/// What every handler can reach. Cheap to clone (axum clones it for every request): one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The state behind [`AppState`].
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub settings: Arc<Settings>,
    pub services: Arc<Services>,
    /// The session engine's grants, also asked by `/readyz`.
    pub grants: SharedGrants,
}

impl AppState {
    /// The state for `settings`, keeping sessions' tokens in `grants`.
    pub fn new(
        settings: Settings,
        clock: SharedClock,
        grants: SharedGrants,
    ) -> Result<Self, crate::auth::AuthError> {
        Ok(Self(Arc::new(Shared {
            leptos_options: leptos_options(&settings),
            services: Services::new(&settings, clock, Arc::clone(&grants))?,
            settings: Arc::new(settings),
            grants,
        })))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
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
        // Hashed bundle names whenever cargo-leptos wrote their hash file beside this binary.
        .hash_files(static_files::hash_file_beside_binary().is_some())
        .hash_file(Arc::from(static_files::HASH_FILE))
        .build()
}

/// The cache policy for the site's files: the hashed bundle files named by the hash file are
/// immutable.
fn cache_policy(options: &LeptosOptions) -> static_files::CachePolicy {
    let hashes = static_files::hash_file_beside_binary()
        .filter(|_| options.hash_files)
        .and_then(|path| match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(error) => {
                tracing::warn!(%error, path = %path.display(), "the hash file could not be read");
                None
            }
        })
        .unwrap_or_default();
    static_files::CachePolicy::new(static_files::hashed_paths(
        &hashes,
        &options.site_pkg_dir,
        &options.output_name,
    ))
}

/// The whole application as one router, ready to serve or to test with `oneshot`.
pub fn router<S>(state: AppState, sessions: SessionManagerLayer<S>, site: Site) -> Router
where
    S: SessionStore + Clone,
{
    let settings = Arc::clone(&state.settings);
    // Axum clones each route's handler, with everything it captures, for every request: the
    // captures are `Arc`s so that this costs a few reference counts.
    let page_csp = Arc::new(headers::PagePolicy::new(&settings));
    let context = headers::PagePolicy::note_nonce;
    let origin = csrf::AppOrigin(Arc::from(settings.logto.base()));
    let services = Arc::clone(&state.services);
    let pages = render::Pages::new(state.leptos_options.clone(), site.shell, context);
    let not_found = axum::handler::Handler::with_state(pages.handler(StatusCode::NOT_FOUND), ());
    let files = Router::new()
        .fallback_service(static_files::service(
            std::path::Path::new(state.leptos_options.site_root.as_ref()),
            not_found,
        ))
        .layer(axum::middleware::from_fn_with_state(
            cache_policy(&state.leptos_options),
            static_files::apply_policy,
        ));
    let routes = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(sign_in_routes::routes())
        // Server functions only (no page listings): pages are rendered by `render::Pages`.
        .leptos_routes_with_context(&state, Vec::new(), context, || ());
    let routes = site
        .pages
        .iter()
        .fold(routes, |routes, page| {
            routes.route(page.path, get(pages.handler(StatusCode::OK)))
        })
        .fallback_service(files)
        .with_state(state);
    // The middleware wraps the router as a whole, not each route: axum clones a route's whole
    // service stack for every request, while a router clones as one `Arc`.
    let public_pages = anonymous_pages::AnonymousPages::new(
        site.pages,
        Arc::clone(&page_csp),
        Arc::clone(&services),
    );
    let middleware = tower::ServiceBuilder::new()
        .layer(axum::middleware::from_fn_with_state(
            public_pages,
            anonymous_pages::serve,
        ))
        .layer(axum::middleware::from_fn_with_state(origin, csrf::guard))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            services,
            extract::attach,
        ))
        .layer(axum::middleware::from_fn_with_state(
            guard::RouteTable(site.pages),
            guard::protect_pages,
        ))
        .layer(axum::middleware::from_fn_with_state(
            page_csp,
            headers::set_page_policy,
        ));
    let app = Router::new().fallback_service(middleware.service(routes));
    let app = headers::apply(app, &settings);
    let trusted = client::TrustedProxies::new(settings.site.trusted_proxies.clone());
    client::apply(telemetry::apply(app), trusted)
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

/// Readiness, for a load balancer: 200 while the session engine answers, else 503 (the process
/// stays up and recovers by itself when the engine is back).
async fn readyz(State(state): State<AppState>) -> Response {
    match state.grants.ping().await {
        Ok(()) => Json(Health {
            status: "ready",
            version: env!("CARGO_PKG_VERSION"),
        })
        .into_response(),
        Err(error) => {
            tracing::warn!(%error, "not ready: the session engine does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "the session store is unreachable",
                    version: env!("CARGO_PKG_VERSION"),
                }),
            )
                .into_response()
        }
    }
}

/// Serves the app (and the embedded provider when no Logto endpoint is configured) until
/// SIGINT/SIGTERM, letting requests in flight finish.
pub async fn serve(settings: Settings, site: Site) -> Result<(), ServeError> {
    let clock: SharedClock = Arc::new(SystemClock);
    let shutdown = Shutdown::on_signal();
    let provider = match settings.logto.endpoint {
        Some(_) => None,
        None => Some(crate::idp::start(&settings, Arc::clone(&clock), shutdown.wait()).await?),
    };
    let engine = Engine::open(&settings, Arc::clone(&clock))
        .await
        .map_err(|error| ServeError::Sessions(error.to_string()))?;
    let sessions = session::layer(engine.sessions.clone(), &settings);
    let addr = settings.site.addr;
    let state = AppState::new(settings, clock, Arc::clone(&engine.grants))
        .map_err(|error| ServeError::Auth(error.to_string()))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| ServeError::Bind(addr, error))?;
    tracing::info!(
        address = %addr,
        base_url = %state.settings.logto.base(),
        "app listening"
    );
    crate::runtime::serve::serve(listener, router(state, sessions, site), shutdown.wait())
        .await
        .map_err(ServeError::Io)?;
    if let Some(provider) = provider {
        let _finished = provider.await;
    }
    tracing::info!("app stopped");
    Ok(())
}

/// Serves only the embedded provider (`leptos-logto provider`), for other applications.
pub async fn serve_provider(settings: Settings) -> Result<(), ServeError> {
    let clock: SharedClock = Arc::new(SystemClock);
    let shutdown = Shutdown::on_signal();
    let provider = crate::idp::start(&settings, clock, shutdown.wait()).await?;
    let _finished = provider.await;
    tracing::info!("provider stopped");
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {0}: {1}")]
    Bind(std::net::SocketAddr, std::io::Error),
    #[error("server failure: {0}")]
    Io(std::io::Error),
    #[error(transparent)]
    Provider(#[from] crate::idp::ProviderError),
    #[error("session store: {0}")]
    Sessions(String),
    #[error("sign-in configuration: {0}")]
    Auth(String),
}
