//! A Leptos 0.8 full-stack app that signs people in through Logto. `app` (the UI) and `ui_types`
//! (what crosses the wire) are compiled for the server (SSR) and the browser (hydrate, in islands
//! mode: only `#[island]` components run there); everything else is server-only. Imports run one way: `app` → `server` → `services`, `sessions` → `runtime`,
//! `config` → `auth`, `management`, `idp` → `clock`, `secret`; `ui_types` imports nothing of ours.

// Leptos views are deeply nested types; the settings form exceeds the default limit.
#![recursion_limit = "256"]

pub mod app;
pub mod ui_types;

#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod aws_sdk;
#[cfg(feature = "ssr")]
pub mod clock;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod idp;
#[cfg(feature = "ssr")]
pub mod management;
#[cfg(feature = "ssr")]
pub mod runtime;
#[cfg(feature = "ssr")]
pub mod secret;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod services;
#[cfg(feature = "ssr")]
pub mod sessions;

/// The browser entry point: prepares the reactive runtime; Leptos's island script then hydrates
/// each `<leptos-island>` of the server-rendered page (the rest of the page stays static HTML).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Panic messages in the console for development builds; release builds leave out the
    // formatting this needs.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
