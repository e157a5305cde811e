//! Who is signed in is worked out before any page renders, and pages for signed-in people only
//! (as the app's route table says, [`PageRule`]) are guarded: a full page load of one while signed
//! out is answered with a redirect to sign in that comes back to it (the `Option<CurrentUser>` and
//! `Admin` extractors tell). When who is signed in cannot be told (the provider is down), the page
//! is rendered and shows its own 503 "try again" (its server functions answer 401 / 403 / 503
//! themselves).
//!
//! Working it out first matters beyond the guard: it may refresh the tokens or end the session,
//! and a page streams after the session layer has already answered, so a session changed during
//! the render would be saved (or its cookie removed) too late. What the page shows (its
//! [`PageData`]) is worked out here too, so the page renders at once with nothing to wait for. The
//! request's `Visit` remembers the answers for the render and its server functions.

use super::extract::{visit_of, Admin, AppRejection, CurrentUser};
use crate::ui_types::{rule_of, Access, AppError, PageData, PageRule};
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::RequestPartsExt as _;

/// The app's route table.
#[derive(Clone, Copy)]
pub struct RouteTable(pub &'static [PageRule]);

pub async fn protect_pages(
    State(RouteTable(table)): State<RouteTable>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let rule = rule_of(table, path);
    let access = rule.map_or(Access::Anyone, |rule| rule.access);
    let method = request.method();
    if (method != Method::GET && method != Method::HEAD)
        || (access == Access::Anyone && !is_page_load(&request))
    {
        return next.run(request).await;
    }
    let target = request
        .uri()
        .path_and_query()
        .map_or(path, |pq| pq.as_str())
        .to_owned();
    let renders_page = renders_a_page(rule, path);
    let (mut parts, body) = request.into_parts();
    // Unknown (an outage) counts as not signed out: the page then explains it itself.
    let signed_out = match access {
        Access::Anyone => {
            let _ = parts.extract::<Option<CurrentUser>>().await;
            false
        }
        Access::SignedIn => matches!(parts.extract::<Option<CurrentUser>>().await, Ok(None)),
        Access::Admin => matches!(
            parts.extract::<Admin>().await,
            Err(AppRejection(AppError::SignedOut))
        ),
    };
    if signed_out {
        return redirect(&format!(
            "/logto/sign-in?return_to={}",
            urlencoding::encode(&target)
        ));
    }
    // What the page shows (every page's header, and the page's own data), worked out now so
    // that the render reads it without waiting (the `Visit` keeps it). Not for the sign-in
    // routes, which render no page: for a visitor it would ask the provider whether sign-up is
    // open on every step of every sign-in.
    if renders_page {
        if let Ok(visit) = visit_of(&parts) {
            visit
                .prepare_page(rule.map_or(PageData::None, |rule| rule.data))
                .await;
        }
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Whether Leptos renders `path`, whose `rule` in the route table is given: a route of the table,
/// or any unknown path (its 404 page); not the sign-in routes (`/logto/sign-in`, `/logto/sign-up`,
/// `/logto/sign-in-callback`).
fn renders_a_page(rule: Option<PageRule>, path: &str) -> bool {
    rule.is_some() || !path.starts_with("/logto/")
}

/// A request for a page (the app's 404 page included), not for a file, a server function or the
/// health check.
fn is_page_load(request: &Request) -> bool {
    let path = request.uri().path();
    let file = path
        .rsplit('/')
        .next()
        .is_some_and(|name| name.contains('.'));
    !file
        && !path.starts_with("/pkg/")
        && !path.starts_with("/api/")
        && path != "/healthz"
        && path != "/readyz"
}

fn redirect(location: &str) -> Response {
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location.to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn load(path: &str) -> bool {
        is_page_load(&Request::get(path).body(Body::empty()).unwrap())
    }

    #[test]
    fn the_sign_in_routes_render_no_page_and_the_rest_do() {
        let table = &[
            PageRule {
                path: "/",
                access: Access::Anyone,
                data: PageData::None,
            },
            PageRule {
                path: "/logto/sign-out",
                access: Access::Anyone,
                data: PageData::None,
            },
        ];
        for page in ["/", "/logto/sign-out", "/no-such-page"] {
            assert!(renders_a_page(rule_of(table, page), page), "{page}");
        }
        for route in [
            "/logto/sign-in",
            "/logto/sign-up",
            "/logto/sign-in-callback",
        ] {
            assert!(!renders_a_page(rule_of(table, route), route), "{route}");
        }
    }

    #[test]
    fn pages_are_page_loads_and_files_and_apis_are_not() {
        for page in ["/", "/profile", "/settings", "/no-such-page", "/a/b"] {
            assert!(load(page), "{page}");
        }
        for other in [
            "/pkg/app.wasm",
            "/pkg/x",
            "/favicon.ico",
            "/style.css",
            "/api/get_profile",
            "/healthz",
            "/readyz",
        ] {
            assert!(!load(other), "{other}");
        }
    }
}
