//! The composition root: turns [`Settings`] into the axum router (Leptos pages and server
//! functions, health check, static files, security headers, request logging) and serves it until
//! SIGINT or SIGTERM. Glue only: no business rules live here.

pub mod auth_service;
pub mod csrf;
pub mod fns;
pub mod guard;
pub mod headers;
pub mod page_cache;
pub mod session;
pub mod settings_fns;
pub mod settings_service;
pub mod sign_in_routes;
pub mod telemetry;

use crate::app::{shell, App};
use crate::clock::{SharedClock, SystemClock};
use crate::config::{RunMode, Settings};
use auth_service::AuthService;
use axum::extract::FromRef;
use axum::routing::get;
use axum::{Json, Router};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower_sessions::{SessionManagerLayer, SessionStore};

/// What every handler can reach. Cheap to clone (axum clones it for every request): one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The state behind [`AppState`].
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub settings: Arc<Settings>,
    pub auth: Arc<AuthService>,
    /// `None` when no machine-to-machine app is configured.
    pub settings_service: Option<Arc<settings_service::SettingsService>>,
}

impl AppState {
    pub fn new(settings: Settings, clock: SharedClock) -> Result<Self, crate::auth::AuthError> {
        let settings_service = management_client(&settings, Arc::clone(&clock))
            .map(|client| Arc::new(settings_service::SettingsService::new(client)));
        Ok(Self(Arc::new(Shared {
            leptos_options: leptos_options(&settings),
            auth: Arc::new(AuthService::new(&settings, clock)?),
            settings_service,
            settings: Arc::new(settings),
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

impl FromRef<AppState> for Arc<AuthService> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.auth)
    }
}

impl FromRef<AppState> for Arc<Settings> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.settings)
    }
}

impl FromRef<AppState> for Option<Arc<settings_service::SettingsService>> {
    fn from_ref(state: &AppState) -> Self {
        state.settings_service.clone()
    }
}

/// The Management API client for the configured Logto (or the embedded provider).
fn management_client(
    settings: &Settings,
    clock: SharedClock,
) -> Option<crate::management::ManagementClient> {
    let credentials = settings.logto.m2m.clone()?;
    let endpoint = settings
        .logto
        .endpoint
        .as_ref()
        .unwrap_or(&settings.provider.base_url);
    match crate::management::ManagementClient::new(
        endpoint,
        credentials,
        settings.logto.http_timeout,
        clock,
    ) {
        Ok(client) => Some(client),
        Err(error) => {
            tracing::error!(%error, "cannot build the Management API client");
            None
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
pub fn router<S>(state: AppState, sessions: SessionManagerLayer<S>) -> Router
where
    S: SessionStore + Clone,
{
    let routes = generate_route_list(App);
    let settings = Arc::clone(&state.settings);
    // Axum clones each route's handler, with everything it captures, for every request: the
    // captures are `Arc`s so that this costs a few reference counts.
    let page_csp = Arc::new(headers::PagePolicy::new(&settings));
    let auth = Arc::clone(&state.auth);
    let settings_service = state.settings_service.clone();
    let context = move || {
        provide_context(Arc::clone(&auth));
        provide_context(settings_service.clone());
        page_csp.apply_to_response();
    };
    let options = Arc::new(state.leptos_options.clone());
    let origin = csrf::AppOrigin(Arc::from(settings.logto.base()));
    let pages = Arc::new(page_cache::PageCache::new(
        Arc::clone(&state.auth),
        settings.cache.page_bytes,
    ));
    let auth = Arc::clone(&state.auth);
    let routes = Router::new()
        .route("/healthz", get(healthz))
        .merge(sign_in_routes::routes())
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            shell(LeptosOptions::clone(&options))
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .with_state(state);
    // The middleware wraps the router as a whole, not each route: axum clones a route's whole
    // service stack for every request, while a router clones as one `Arc`.
    let middleware = tower::ServiceBuilder::new()
        .layer(axum::middleware::from_fn_with_state(origin, csrf::guard))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            auth,
            guard::protect_pages,
        ))
        .layer(axum::middleware::from_fn_with_state(
            pages,
            page_cache::serve,
        ));
    let app = Router::new().fallback_service(middleware.service(routes));
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

/// Serves the app (and the embedded provider when no Logto endpoint is configured) until
/// SIGINT/SIGTERM, letting requests in flight finish.
pub async fn serve(settings: Settings) -> Result<(), ServeError> {
    let clock: SharedClock = Arc::new(SystemClock);
    let shutdown = Shutdown::on_signal();
    let provider = match settings.logto.endpoint {
        Some(_) => None,
        None => Some(crate::idp::start(&settings, Arc::clone(&clock), shutdown.wait()).await?),
    };
    let sessions = session::sqlite_layer(&settings)
        .await
        .map_err(|error| ServeError::Sessions(error.to_string()))?;
    let addr = settings.site.addr;
    let state =
        AppState::new(settings, clock).map_err(|error| ServeError::Auth(error.to_string()))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| ServeError::Bind(addr, error))?;
    tracing::info!(
        address = %addr,
        base_url = %state.settings.logto.base(),
        "app listening"
    );
    axum::serve(no_delay(listener), router(state, sessions))
        .with_graceful_shutdown(shutdown.wait())
        .await
        .map_err(ServeError::Io)?;
    if let Some(provider) = provider {
        let _finished = provider.await;
    }
    tracing::info!("app stopped");
    Ok(())
}

/// Sends every write at once. Leptos streams pages in several chunks; with Nagle's algorithm
/// each chunk after the first waits for the client's delayed ACK (~40 ms on Linux) on keep-alive
/// connections.
pub fn no_delay(
    listener: tokio::net::TcpListener,
) -> impl axum::serve::Listener<Addr = std::net::SocketAddr> {
    use axum::serve::ListenerExt;
    listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
    })
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

/// A shutdown signal any number of servers can wait for.
#[derive(Clone)]
struct Shutdown(tokio::sync::watch::Receiver<bool>);

impl Shutdown {
    fn on_signal() -> Self {
        let (sender, receiver) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _receivers_gone = sender.send(true);
        });
        Self(receiver)
    }

    fn wait(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut receiver = self.0.clone();
        async move {
            let _closed = receiver.wait_for(|stop| *stop).await;
        }
    }
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
