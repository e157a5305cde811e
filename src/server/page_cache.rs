//! A memo of rendered pages. The home page and the profile page are pure functions of a few
//! inputs — which page, the theme cookie, and what their server functions load (who is signed
//! in, the profile data) — so each distinct set of inputs is rendered by Leptos once and then
//! answered from memory. Every answer still gets its own CSP nonce: the cached page is kept split
//! at the nonce it was rendered with and joined again around a fresh one.
//!
//! The key is the inputs themselves, compared in full (not a digest of them), so a page is only
//! ever served for exactly the data that produced it: one person's page cannot reach another, and
//! a refresh, a new userinfo answer or a theme change renders anew. Pages whose data could not be
//! loaded completely are rendered and not kept. Entries are bounded by size (`cache.pages_mib`)
//! and dropped after ten minutes unused. The inputs are loaded by the same functions the pages'
//! server functions use, and handed to the render, so the two cannot disagree.
//!
//! To make another page cacheable: add it to [`CacheablePage`] and everything its render reads
//! to [`PageInputs`] (its render must read nothing else from the request), and have its server
//! functions answer from the preloaded inputs as `fns::session_info` does.

use super::auth_service::{AuthService, RequestUser};
use super::fns::{load_profile, load_summary};
use crate::app::api::{ProfileData, SessionSummary};
use crate::app::components::theme_toggle::{theme_from_cookie_header, Theme};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_SECURITY_POLICY, COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use std::sync::Arc;
use std::time::Duration;
use tower_sessions::Session;

/// Pages are dropped after this long without a request for them.
const IDLE_LIFETIME: Duration = Duration::from_secs(600);
/// Larger pages are served but not kept.
const MAX_PAGE_BYTES: usize = 1024 * 1024;

/// The pages whose HTML depends only on [`PageInputs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CacheablePage {
    Home,
    Profile,
}

impl CacheablePage {
    /// The page a request asks for, when it is a plain GET of a cacheable page.
    fn of(request: &Request) -> Option<Self> {
        if request.method() != Method::GET || request.uri().query().is_some() {
            return None;
        }
        match request.uri().path() {
            "/" => Some(Self::Home),
            "/profile" => Some(Self::Profile),
            _ => None,
        }
    }
}

/// Everything a cacheable page's HTML is made from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageInputs {
    page: CacheablePage,
    theme: Theme,
    /// What `session_info` answers (the header and the home page).
    pub summary: SessionSummary,
    /// What `profile` answers, on the profile page.
    pub profile: Option<ProfileData>,
}

impl PageInputs {
    /// Only complete data makes a page worth keeping.
    fn is_complete(&self) -> bool {
        match self.page {
            CacheablePage::Home => true,
            CacheablePage::Profile => self
                .profile
                .as_ref()
                .is_some_and(|profile| profile.userinfo.is_ok()),
        }
    }
}

/// Rendered pages by their inputs; randomly seeded foldhash keeps lookups cheap and unpredictable.
type PageMap =
    moka::sync::Cache<Arc<PageInputs>, Arc<RenderedPage>, foldhash::quality::RandomState>;

/// The rendered pages, and how to load their inputs.
pub struct PageCache {
    auth: Arc<AuthService>,
    /// `None` when turned off.
    pages: Option<PageMap>,
}

impl PageCache {
    pub fn new(auth: Arc<AuthService>, max_bytes: u64) -> Self {
        let pages = (max_bytes > 0).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_inputs: &Arc<PageInputs>, page: &Arc<RenderedPage>| page.weight())
                .time_to_idle(IDLE_LIFETIME)
                .build_with_hasher(foldhash::quality::RandomState::default())
        });
        Self { auth, pages }
    }

    async fn inputs(
        &self,
        page: CacheablePage,
        theme: Theme,
        session: &Session,
        memo: &RequestUser,
    ) -> Option<PageInputs> {
        let summary = load_summary(&self.auth, session, memo).await.ok()?;
        let profile = match page {
            CacheablePage::Home => None,
            CacheablePage::Profile => load_profile(&self.auth, session, memo).await.ok()?,
        };
        Some(PageInputs {
            page,
            theme,
            summary,
            profile,
        })
    }
}

/// The middleware: answers cacheable pages from memory, or renders them (handing the loaded
/// inputs to the render) and keeps the result.
pub async fn serve(
    State(cache): State<Arc<PageCache>>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let (Some(pages), Some(page)) = (&cache.pages, CacheablePage::of(&request)) else {
        return next.run(request).await;
    };
    let theme = request
        .headers()
        .get(COOKIE)
        .and_then(|value| value.to_str().ok())
        .and_then(theme_from_cookie_header)
        .unwrap_or(Theme::System);
    let memo = request
        .extensions()
        .get::<RequestUser>()
        .cloned()
        .unwrap_or_default();
    let Some(inputs) = cache.inputs(page, theme, &session, &memo).await else {
        // Leptos renders the failure (or the redirect) as usual.
        return next.run(request).await;
    };
    if let Some(rendered) = pages.get(&inputs) {
        tracing::debug!(?page, "page answered from memory");
        return rendered.respond();
    }
    let inputs = Arc::new(inputs);
    request.extensions_mut().insert(Arc::clone(&inputs));
    let response = next.run(request).await;
    let Some(nonce) = keepable_nonce(&response) else {
        return response;
    };
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE_BYTES).await else {
        tracing::error!("a page could not be rendered in full");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if inputs.is_complete() {
        if let Some(rendered) = RenderedPage::new(&parts.headers, &bytes, &nonce) {
            tracing::debug!(?page, "page rendered and kept");
            pages.insert(inputs, Arc::new(rendered));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The nonce of a successful page response that may be kept (no cookie, a nonce-based CSP).
fn keepable_nonce(response: &Response) -> Option<String> {
    if response.status() != StatusCode::OK || response.headers().contains_key(SET_COOKIE) {
        return None;
    }
    let policy = response
        .headers()
        .get(CONTENT_SECURITY_POLICY)?
        .to_str()
        .ok()?;
    let start = policy.find("'nonce-")? + "'nonce-".len();
    let length = policy[start..].find('\'')?;
    let nonce = &policy[start..start + length];
    (nonce.len() >= 16).then(|| nonce.to_owned())
}

/// A rendered page, split wherever its nonce appeared.
pub struct RenderedPage {
    headers: HeaderMap,
    policy: Template,
    body: Template,
}

impl RenderedPage {
    fn new(headers: &HeaderMap, body: &Bytes, nonce: &str) -> Option<Self> {
        let policy = headers.get(CONTENT_SECURITY_POLICY)?.as_bytes();
        let mut headers = headers.clone();
        headers.remove(CONTENT_SECURITY_POLICY);
        Some(Self {
            policy: Template::split(&Bytes::copy_from_slice(policy), nonce.as_bytes()),
            body: Template::split(body, nonce.as_bytes()),
            headers,
        })
    }

    fn weight(&self) -> u32 {
        let bytes = self.body.len() + self.policy.len() + 1024;
        u32::try_from(bytes).unwrap_or(u32::MAX)
    }

    /// The page again, with a nonce of its own.
    fn respond(&self) -> Response {
        let nonce = leptos::nonce::Nonce::new();
        let Ok(policy) = HeaderValue::from_maybe_shared(self.policy.fill(nonce.as_bytes())) else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        let mut response = Response::new(Body::from(self.body.fill(nonce.as_bytes())));
        *response.headers_mut() = self.headers.clone();
        response
            .headers_mut()
            .insert(CONTENT_SECURITY_POLICY, policy);
        response
    }
}

/// Bytes with holes where a nonce goes.
struct Template {
    pieces: Vec<Bytes>,
}

impl Template {
    fn split(text: &Bytes, nonce: &[u8]) -> Self {
        let mut pieces = Vec::new();
        let mut rest = 0;
        let mut at = 0;
        while let Some(found) = find(&text[at..], nonce) {
            pieces.push(text.slice(rest..at + found));
            rest = at + found + nonce.len();
            at = rest;
        }
        pieces.push(text.slice(rest..));
        Self { pieces }
    }

    fn len(&self) -> usize {
        self.pieces.iter().map(Bytes::len).sum()
    }

    fn fill(&self, nonce: &[u8]) -> Bytes {
        let holes = self.pieces.len().saturating_sub(1);
        let mut text = Vec::with_capacity(self.len() + holes * nonce.len());
        for (index, piece) in self.pieces.iter().enumerate() {
            if index > 0 {
                text.extend_from_slice(nonce);
            }
            text.extend_from_slice(piece);
        }
        Bytes::from(text)
    }
}

/// The first position of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::{Bytes, Template};

    #[test]
    fn a_template_puts_the_new_nonce_wherever_the_old_one_was() {
        let text = Bytes::from_static(b"<script nonce=\"OLD\">a</script>OLD<p>OLD</p>");
        let template = Template::split(&text, b"OLD");
        assert_eq!(
            template.fill(b"NEW-NONCE"),
            Bytes::from_static(b"<script nonce=\"NEW-NONCE\">a</script>NEW-NONCE<p>NEW-NONCE</p>")
        );
        assert_eq!(template.len(), text.len() - 9);
    }

    #[test]
    fn a_template_without_the_nonce_is_the_text_itself() {
        let text = Bytes::from_static(b"no scripts here");
        assert_eq!(Template::split(&text, b"OLD").fill(b"NEW"), text);
    }
}
