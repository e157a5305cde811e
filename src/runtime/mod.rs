//! Shared by the app and the provider, knows neither: serving a router with graceful shutdown
//! ([`serve`]), structured logs and request spans ([`telemetry`]), the client's address behind
//! trusted proxies ([`client`]), and the origin policy for state-changing requests ([`origin`]).

pub mod client;
pub mod origin;
pub mod serve;
pub mod telemetry;
