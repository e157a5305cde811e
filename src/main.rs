//! The server binary: load and validate the settings (refusing to start with every problem listed),
//! start logging, and serve until SIGINT/SIGTERM. `leptos-logto` (or `leptos-logto serve`) runs
//! the app, with the embedded provider when `LOGTO_ENDPOINT` is unset; `leptos-logto provider`
//! runs only the provider, for other applications.

// The settings island's view type is deeply nested; its layout is computed where the binary
// instantiates the app.
#![recursion_limit = "512"]

/// mimalloc serves the many small allocations of page rendering faster than the system allocator.
#[cfg(feature = "ssr")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use leptos_logto::{app, config, runtime, server};
    use std::process::ExitCode;

    let settings = match config::load_from_process() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("{error}");
            eprintln!("The README's settings table documents every key.");
            return ExitCode::from(2);
        }
    };
    runtime::telemetry::init(&settings.log);
    let result = match std::env::args().nth(1).as_deref() {
        None | Some("serve") => server::serve(settings, app::site()).await,
        Some("provider") => server::serve_provider(settings).await,
        Some(other) => {
            eprintln!("unknown command `{other}`; use `serve` (default) or `provider`");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "the server stopped with an error");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "ssr"))]
pub fn main() {
    // The browser build has no binary: `lib.rs::hydrate` is its entry point.
}
