//! Serving a router until shutdown: a [`Shutdown`] signal any number of servers wait for (SIGINT or
//! SIGTERM), requests in flight allowed to finish, and `TCP_NODELAY` on every connection.

use axum::Router;

/// Serves `router` on `listener` until `shutdown` resolves, letting requests in flight finish.
/// Each request knows its connection's peer (`ConnectInfo<SocketAddr>`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        no_delay(listener),
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Sends every write at once. Leptos streams pages in several chunks; with Nagle's algorithm
/// each chunk after the first waits for the client's delayed ACK (~40 ms on Linux) on keep-alive
/// connections.
pub fn no_delay(
    listener: tokio::net::TcpListener,
) -> axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)> {
    use axum::serve::ListenerExt;
    listener.tap_io(set_no_delay)
}

fn set_no_delay(tcp: &mut tokio::net::TcpStream) {
    if let Err(error) = tcp.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY");
    }
}

/// A shutdown signal any number of servers can wait for.
#[derive(Clone)]
pub struct Shutdown(tokio::sync::watch::Receiver<bool>);

impl Shutdown {
    /// Fires on SIGINT (Ctrl-C) or SIGTERM.
    pub fn on_signal() -> Self {
        let (sender, receiver) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _receivers_gone = sender.send(true);
        });
        Self(receiver)
    }

    /// Resolves once the signal has fired.
    pub fn wait(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
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
