//! The one cache of rendered HTML, for the only case whose key is trivially complete: a public
//! page (an `Anyone` route of the route table, no query string) requested **without a session
//! cookie**. Such a page depends only on its path, the colour theme cookie and whether the
//! provider lets new people sign up (data itself cached in `auth::experience`); those three are the
//! key, so a change of any of them is a different entry. Everything else — signed-in pages,
//! pages with a query, errors, responses that set a cookie — is rendered per request as before.
//!
//! Each page carries its own CSP nonce: the cached markup is kept split at the nonce it was
//! rendered with, and every answer joins it with a fresh one and sends the matching policy.

use super::headers::PagePolicy;
use super::session;
use crate::services::Services;
use crate::ui_types::{theme_from_cookie_header, Access, PageRule, Theme};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, SET_COOKIE};
use http::{HeaderValue, Method, StatusCode};
use std::sync::Arc;
use std::time::Duration;

/// Pages larger than this are not kept.
const MAX_PAGE_BYTES: usize = 512 * 1024;
/// How long an entry is kept at most: its key is complete, so this only bounds staleness should
/// a page ever depend on something new that the key forgot.
const TIME_TO_LIVE: Duration = Duration::from_secs(60);

/// What the page depends on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct PageKey {
    path: &'static str,
    theme: Theme,
    sign_up_open: bool,
}

/// A rendered page, split where its nonce stood.
struct Rendered {
    pieces: Vec<Bytes>,
    content_type: HeaderValue,
}

impl Rendered {
    /// `body` split at each occurrence of `nonce`.
    fn split(body: &Bytes, nonce: &str, content_type: HeaderValue) -> Self {
        let needle = nonce.as_bytes();
        let mut pieces = Vec::new();
        let mut start = 0;
        let mut at = 0;
        while at + needle.len() <= body.len() {
            if &body[at..at + needle.len()] == needle {
                pieces.push(body.slice(start..at));
                at += needle.len();
                start = at;
            } else {
                at += 1;
            }
        }
        pieces.push(body.slice(start..));
        Self {
            pieces,
            content_type,
        }
    }

    /// The page with `nonce` in every place the original one stood.
    fn with_nonce(&self, nonce: &str) -> Vec<u8> {
        let size = self.pieces.iter().map(Bytes::len).sum::<usize>()
            + nonce.len() * self.pieces.len().saturating_sub(1);
        let mut page = Vec::with_capacity(size);
        for (index, piece) in self.pieces.iter().enumerate() {
            if index > 0 {
                page.extend_from_slice(nonce.as_bytes());
            }
            page.extend_from_slice(piece);
        }
        page
    }
}

/// The cache and what deciding a key needs. Cheap to clone (one `Arc`): axum clones a
/// middleware's state, and the services inside it, for every request.
#[derive(Clone)]
pub struct AnonymousPages(Arc<Cache>);

/// What [`AnonymousPages`] shares.
struct Cache {
    pages: moka::future::Cache<PageKey, Arc<Rendered>>,
    table: &'static [PageRule],
    policy: Arc<PagePolicy>,
    services: Arc<Services>,
}

impl AnonymousPages {
    pub fn new(
        table: &'static [PageRule],
        policy: Arc<PagePolicy>,
        services: Arc<Services>,
    ) -> Self {
        Self(Arc::new(Cache {
            // A handful of public pages times three themes times two sign-up states.
            pages: moka::future::Cache::builder()
                .max_capacity(64)
                .time_to_live(TIME_TO_LIVE)
                .build(),
            table,
            policy,
            services,
        }))
    }

    /// The public page `request` asks for, if its answer may come from the cache.
    fn public_page(&self, request: &Request) -> Option<&'static str> {
        if request.method() != Method::GET || request.uri().query().is_some() {
            return None;
        }
        let path = request.uri().path();
        let page = self.0.table.iter().find(|page| page.path == path)?;
        (page.access == Access::Anyone && !has_session_cookie(request)).then_some(page.path)
    }
}

/// Whether the request carries the app's session cookie (valid or not: it is then rendered).
fn has_session_cookie(request: &Request) -> bool {
    cookie_headers(request)
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.split_once('=').map(|(name, _)| name.trim()))
        .any(|name| name == session::COOKIE || name == session::SECURE_COOKIE)
}

/// The theme cookie's value, as the page renders it.
fn theme_of(request: &Request) -> Theme {
    cookie_headers(request)
        .find_map(theme_from_cookie_header)
        .unwrap_or(Theme::System)
}

/// The request's `Cookie` headers that are text.
fn cookie_headers(request: &Request) -> impl Iterator<Item = &str> {
    request
        .headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
}

/// A fresh CSP nonce, as Leptos makes them: 16 random bytes, base64url.
fn fresh_nonce() -> String {
    let bytes: [u8; 16] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The nonce in a page policy header (`'nonce-…'`).
fn nonce_of(policy: &HeaderValue) -> Option<String> {
    let text = policy.to_str().ok()?;
    let start = text.find("'nonce-")? + "'nonce-".len();
    let end = start + text[start..].find('\'')?;
    Some(text[start..end].to_owned())
}

/// Middleware: answers public pages for visitors without a session from the cache, rendering and
/// keeping them on a miss.
pub async fn serve(State(cache): State<AnonymousPages>, request: Request, next: Next) -> Response {
    let Some(path) = cache.public_page(&request) else {
        return next.run(request).await;
    };
    let key = PageKey {
        path,
        theme: theme_of(&request),
        sign_up_open: cache.0.services.auth.sign_up_open().await,
    };
    if let Some(page) = cache.0.pages.get(&key).await {
        return answer(&page, &cache.0.policy);
    }
    let response = next.run(request).await;
    let keepable =
        response.status() == StatusCode::OK && !response.headers().contains_key(SET_COOKIE);
    let nonce = response
        .headers()
        .get(CONTENT_SECURITY_POLICY)
        .and_then(nonce_of);
    let (Some(nonce), true) = (nonce, keepable) else {
        return response;
    };
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(body) => body,
        Err(error) => {
            tracing::warn!(%error, path, "a public page could not be read whole: not cached");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The page could not be rendered.",
            )
                .into_response();
        }
    };
    if let Some(content_type) = parts.headers.get(CONTENT_TYPE).cloned() {
        let page = Arc::new(Rendered::split(&body, &nonce, content_type));
        cache.0.pages.insert(key, page).await;
    }
    Response::from_parts(parts, Body::from(body))
}

/// A cached page with a fresh nonce and its policy.
fn answer(page: &Rendered, policy: &PagePolicy) -> Response {
    let nonce = fresh_nonce();
    let mut response = Response::new(Body::from(page.with_nonce(&nonce)));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, page.content_type.clone());
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&policy.header_value(&nonce)) {
        headers.insert(CONTENT_SECURITY_POLICY, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_joined_again_with_a_new_nonce_in_every_place() {
        let body =
            Bytes::from_static(b"<script nonce=\"AAA\">1</script><p>x</p><script nonce=\"AAA\">");
        let page = Rendered::split(&body, "AAA", HeaderValue::from_static("text/html"));
        assert_eq!(page.pieces.len(), 3);
        assert_eq!(
            String::from_utf8(page.with_nonce("BBBB")).unwrap(),
            "<script nonce=\"BBBB\">1</script><p>x</p><script nonce=\"BBBB\">"
        );
        assert_eq!(page.with_nonce("AAA"), body.to_vec());
    }

    #[test]
    fn the_nonce_is_read_from_the_page_policy() {
        let policy = HeaderValue::from_static(
            "default-src 'self'; script-src 'self' 'nonce-abc_-1' 'wasm-unsafe-eval'",
        );
        assert_eq!(nonce_of(&policy).as_deref(), Some("abc_-1"));
        assert_eq!(
            nonce_of(&HeaderValue::from_static("default-src 'none'")),
            None
        );
    }

    #[test]
    fn fresh_nonces_differ_and_look_like_leptos_ones() {
        let (a, b) = (fresh_nonce(), fresh_nonce());
        assert_ne!(a, b);
        assert_eq!(a.len(), 22);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }

    #[test]
    fn only_the_apps_session_cookie_counts() {
        let with = |cookie: &str| {
            Request::get("/")
                .header(COOKIE, cookie)
                .body(Body::empty())
                .unwrap()
        };
        assert!(has_session_cookie(&with("a=1; leptos_logto_session=x")));
        assert!(has_session_cookie(&with("__Host-leptos_logto_session=x")));
        assert!(!has_session_cookie(&with("leptos_logto_theme=dark; a=1")));
        assert!(!has_session_cookie(&with("not_leptos_logto_session=1")));
    }
}
