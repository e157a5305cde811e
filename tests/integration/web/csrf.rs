//! The app's CSRF guard (`src/server/csrf.rs`, rule in `src/runtime/origin.rs`) on real server
//! functions, with every combination of `Origin` and `Sec-Fetch-Site` a browser (or a forger)
//! can send: a refused post answers 403 and changes nothing, an accepted one does its work.
//!
//! The probe is `/api/refresh`, whose work is visible at the provider (a refresh grant), and
//! `/api/sign-out`, whose work is visible in the session.

use super::world::*;
use axum::body::Body;
use http::{header, Request, StatusCode};

/// (Origin, Sec-Fetch-Site, accepted?)
type Case = (Option<&'static str>, Option<&'static str>, bool);

const CASES: &[Case] = &[
    // Our own pages: what browsers send on a same-origin fetch or form post.
    (Some(APP_BASE), None, true),
    (Some(APP_BASE), Some("same-origin"), true),
    // The person typed the URL or used a bookmark: `none` with our Origin is fine.
    (Some(APP_BASE), Some("none"), true),
    // No Origin, but the browser says it is same-origin.
    (None, Some("same-origin"), true),
    // Sec-Fetch-Site naming another site wins over a matching (spoofable) Origin.
    (Some(APP_BASE), Some("cross-site"), false),
    (Some(APP_BASE), Some("same-site"), false),
    (None, Some("cross-site"), false),
    (None, Some("same-site"), false),
    // Nothing proves where the request came from.
    (None, Some("none"), false),
    (None, Some("bogus"), false),
    (None, None, false),
    // Look-alike and neighbouring origins.
    (Some("https://evil.example"), None, false),
    (Some("https://evil.example"), Some("same-origin"), false),
    (Some("http://localhost:3000.evil.example"), None, false),
    (
        Some("http://localhost:3000.evil.example"),
        Some("same-origin"),
        false,
    ),
    (
        Some("http://evil.example/http://localhost:3000"),
        None,
        false,
    ),
    (Some("http://localhost:3001"), None, false),
    (Some("http://localhost:3001"), Some("same-origin"), false),
    (Some("http://localhost"), None, false),
    (Some("https://localhost:3000"), None, false),
    (Some("ws://localhost:3000"), None, false),
    (Some("http://127.0.0.1:3000"), None, false),
    (Some("http://localhost:3000/"), None, false),
    (Some("HTTP://LOCALHOST:3000"), None, false),
    (Some("null"), None, false),
    (Some("null"), Some("same-origin"), false),
    (Some(""), Some("same-origin"), false),
];

/// A server-function POST with exactly these headers (nothing added).
fn post(path: &str, origin: Option<&str>, fetch_site: Option<&str>) -> Request<Body> {
    let mut builder =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(origin) = origin {
        builder = builder.header(header::ORIGIN, origin);
    }
    if let Some(site) = fetch_site {
        builder = builder.header("sec-fetch-site", site);
    }
    builder.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn refresh_runs_only_for_posts_proven_same_origin() {
    let world = World::start().await;
    let mut jar = Jar::default();
    world
        .sign_in(&mut jar, "ada@example.com", "/logto/sign-in")
        .await;
    for &(origin, fetch_site, accepted) in CASES {
        let case = format!("Origin {origin:?}, Sec-Fetch-Site {fetch_site:?}");
        let grants_before = world.recorded_tokens().len();
        let cookies_before = jar.0.clone();
        let reply = world
            .app_request(&mut jar, post("/api/refresh", origin, fetch_site))
            .await;
        if accepted {
            assert_eq!(reply.status, StatusCode::OK, "{case}: {}", reply.body);
            assert!(
                world.recorded_tokens().len() > grants_before,
                "{case}: accepted, so the refresh reached the provider"
            );
        } else {
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{case}: {}",
                reply.body
            );
            assert_eq!(reply.body, "Cross-site request refused.", "{case}");
            assert_eq!(
                world.recorded_tokens().len(),
                grants_before,
                "{case}: refused, yet a refresh reached the provider"
            );
            assert!(
                reply.headers.get(header::SET_COOKIE).is_none(),
                "{case}: refused, yet the session cookie changed"
            );
            assert_eq!(jar.0, cookies_before, "{case}");
        }
    }
    assert_eq!(world.get(&mut jar, "/profile").await.status, StatusCode::OK);
}

#[tokio::test]
async fn sign_out_is_refused_for_every_unproven_or_foreign_post_and_works_for_ours() {
    let world = World::start().await;
    let mut jar = Jar::default();
    world
        .sign_in(&mut jar, "ada@example.com", "/logto/sign-in")
        .await;
    for &(origin, fetch_site, _) in CASES.iter().filter(|case| !case.2) {
        let case = format!("Origin {origin:?}, Sec-Fetch-Site {fetch_site:?}");
        let reply = world
            .app_request(&mut jar, post("/api/sign-out", origin, fetch_site))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{case}: {}",
            reply.body
        );
        assert!(reply.location().is_empty(), "{case}: no redirect");
        assert_eq!(
            world.get(&mut jar, "/profile").await.status,
            StatusCode::OK,
            "{case}: still signed in"
        );
    }
    // The same request from our own page signs out.
    let reply = world
        .app_request(
            &mut jar,
            post("/api/sign-out", Some(APP_BASE), Some("same-origin")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(
        reply
            .location()
            .starts_with(&format!("{}/oidc/session/end?", world.provider_base)),
        "{}",
        reply.location()
    );
    assert_eq!(
        world.get(&mut jar, "/profile").await.status,
        StatusCode::FOUND,
        "signed out"
    );
}

#[tokio::test]
async fn safe_methods_pass_the_guard_whatever_they_claim() {
    // GET, HEAD and OPTIONS change nothing, so the guard lets them through even cross-site (a
    // link from another site must still open the home page).
    let world = World::start().await;
    let mut jar = Jar::default();
    for method in [http::Method::GET, http::Method::HEAD] {
        let request = Request::builder()
            .method(method.clone())
            .uri("/")
            .header(header::ORIGIN, "https://evil.example")
            .header("sec-fetch-site", "cross-site")
            .body(Body::empty())
            .unwrap();
        let reply = world.app_request(&mut jar, request).await;
        assert_eq!(reply.status, StatusCode::OK, "{method}");
    }
}
