//! The provider's cookies: its sign-in session, the pending interaction, and the app's theme. Names carry an `idp_`
//! prefix so they never clash with the app's cookies (browsers share cookies across ports).

use axum::http::{header, HeaderMap, HeaderValue};

pub const SESSION: &str = "idp_session";
pub const INTERACTION: &str = "idp_interaction";
/// The app's `ui_theme` of the latest sign-in, so that the provider's pages after the
/// interaction ended keep it. Not a secret; absent: follow the system.
pub const THEME: &str = "idp_theme";
/// How long the theme cookie lives.
pub const THEME_TTL: u64 = 30 * 24 * 3600;

/// The value of cookie `name` in the request, if present.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name && !value.is_empty()).then(|| value.to_owned())
        })
}

/// `Set-Cookie` for an HttpOnly, SameSite=Lax cookie living `max_age` seconds (0 deletes it).
pub fn set(name: &str, value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&text)
        .unwrap_or_else(|_| HeaderValue::from_static("idp_invalid=; Max-Age=0"))
}
