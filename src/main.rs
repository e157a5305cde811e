//! The server binary: load and validate the settings (refusing to start with every problem listed),
//! start logging, and serve the app until SIGINT/SIGTERM.

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use leptos_logto::{config, server};
    use std::process::ExitCode;

    let settings = match config::load_from_process() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("{error}");
            eprintln!("The README's settings table documents every key.");
            return ExitCode::from(2);
        }
    };
    server::telemetry::init(&settings.log);
    match server::serve(settings).await {
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
