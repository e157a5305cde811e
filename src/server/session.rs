//! The app's session layer: tower-sessions over the session engine's store (`crate::sessions`:
//! SQLite by default, so restarts keep people signed in; Redis or PostgreSQL for several
//! instances). Every request reads its record from the store: nothing about a session is kept in
//! process memory, so a sign-out is seen at once by every request and every instance. The cookie is HttpOnly, SameSite=Lax (it
//! must survive the redirect back from Logto), Secure with a `__Host-` name over https, and named
//! so it cannot clash with the provider's cookies. Nothing is stored, and no cookie set, for
//! anonymous requests: tower-sessions saves only modified sessions.

use crate::config::Settings;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer, SessionStore};

pub const COOKIE: &str = "leptos_logto_session";
pub const SECURE_COOKIE: &str = "__Host-leptos_logto_session";

/// The session layer over any store, with the app's cookie rules.
pub fn layer<S: SessionStore + Clone>(store: S, settings: &Settings) -> SessionManagerLayer<S> {
    let secure = settings.logto.base_url.scheme() == "https";
    let idle = i64::try_from(settings.session.idle_timeout.as_secs()).unwrap_or(i64::MAX);
    SessionManagerLayer::new(store)
        .with_name(if secure { SECURE_COOKIE } else { COOKIE })
        .with_same_site(SameSite::Lax)
        .with_http_only(true)
        .with_secure(secure)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::seconds(idle),
        ))
}
