//! Shared by the app and the provider, knows neither: small server rules both sides apply the
//! same way (today the origin policy for state-changing requests).

pub mod origin;
