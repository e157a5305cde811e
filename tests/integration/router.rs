//! The router answers health checks, renders pages and 404s, and sets security headers.

use crate::support::{get, send, settings};
use http::StatusCode;

#[tokio::test]
async fn healthz_answers_ok_with_the_version() {
    let (response, body) = send(settings(&[]), get("/healthz")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        response.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
    );
}

#[tokio::test]
async fn home_page_is_rendered_with_a_nonce_bound_csp() {
    let (response, body) = send(settings(&[]), get("/")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(body.contains("Sign in with Logto, the Rust way"), "{body}");
    assert!(body.contains("<title>Leptos × Logto</title>"), "{body}");
    assert!(
        body.contains(r#"<a href="/" aria-current="page">Home</a>"#),
        "the home link says it is the current page: {body}"
    );
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let nonce = nonce_of(response.headers());
    assert!(
        body.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script must carry the CSP nonce"
    );
    assert!(
        csp.contains("ws://localhost:3100"),
        "dev live reload allowed: {csp}"
    );
    assert!(
        csp.contains("form-action 'self' http://127.0.0.1:3001"),
        "the embedded provider may receive form redirects: {csp}"
    );
}

#[tokio::test]
async fn each_page_gets_a_fresh_nonce() {
    let (first, _) = send(settings(&[]), get("/")).await;
    let (second, _) = send(settings(&[]), get("/")).await;
    assert_ne!(
        first.headers()["content-security-policy"],
        second.headers()["content-security-policy"]
    );
}

#[tokio::test]
async fn unknown_paths_render_the_not_found_page_with_404() {
    let (response, body) = send(settings(&[]), get("/no/such/page")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(body.contains("Page not found"), "{body}");
    assert!(body.contains("Back to home"), "{body}");
    assert!(
        !body.contains("aria-current"),
        "no link is the current page: {body}"
    );
}

/// Pages are rendered whole before they are sent: a body of known length (hyper then sends a
/// `Content-Length`, never a chunked body), the page's title in its head, and Leptos's hydration
/// data after the document with the page's nonce.
#[tokio::test]
async fn pages_are_answered_whole_with_their_length_title_and_hydration_data() {
    use axum::body::HttpBody as _;
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    for (path, status, title) in [
        ("/", StatusCode::OK, "<title>Leptos × Logto</title>"),
        (
            "/no/such/page",
            StatusCode::NOT_FOUND,
            "<title>Page not found · Leptos × Logto</title>",
        ),
    ] {
        let app = crate::support::app(settings(&[]));
        let response = app.oneshot(get(path)).await.unwrap();
        assert_eq!(response.status(), status, "{path}");
        assert!(
            !response
                .headers()
                .contains_key(http::header::TRANSFER_ENCODING),
            "{path}"
        );
        let nonce = nonce_of(response.headers());
        let length = response.body().size_hint().exact();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(length, Some(body.len() as u64), "{path}");
        let body = String::from_utf8(body.to_vec()).unwrap();
        let head = &body[..body.find("</head>").expect("a head")];
        assert!(head.contains(title), "{path}: {head}");
        let after = &body[body.find("</html>").expect("a document")..];
        assert!(
            after.contains(&format!(
                "<script nonce=\"{nonce}\">__RESOLVED_RESOURCES=[]"
            )),
            "{path}: {after}"
        );
    }
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    for path in ["/", "/healthz", "/missing"] {
        let (response, _) = send(settings(&[]), get(path)).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(
            headers["referrer-policy"], "strict-origin-when-cross-origin",
            "{path}"
        );
        assert!(headers.contains_key("x-request-id"), "{path}");
        assert!(!headers.contains_key("strict-transport-security"), "{path}");
    }
}

#[tokio::test]
async fn https_base_url_adds_hsts_and_production_drops_live_reload() {
    let settings = settings(&[
        ("LEPTOS_ENV", "PROD"),
        ("LOGTO_BASE_URL", "https://app.example.com"),
        ("LOGTO_APP_SECRET", "real"),
        ("LOGTO_M2M_APP_SECRET", "real-too"),
        ("LOGTO_ENDPOINT", "https://tenant.logto.app"),
    ]);
    let (response, _) = send(settings, get("/")).await;
    assert!(response.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(!csp.contains("ws://"), "{csp}");
    assert!(
        csp.contains("form-action 'self' https://tenant.logto.app"),
        "{csp}"
    );
}

#[tokio::test]
async fn a_supplied_request_id_is_echoed() {
    let request = http::Request::get("/healthz")
        .header("x-request-id", "trace-me-123")
        .body(axum::body::Body::empty())
        .unwrap();
    let (response, _) = send(settings(&[]), request).await;
    assert_eq!(response.headers()["x-request-id"], "trace-me-123");
}

/// The nonce in a page's CSP header.
fn nonce_of(headers: &http::HeaderMap) -> String {
    headers["content-security-policy"]
        .to_str()
        .unwrap()
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("page CSP carries a nonce")
        .to_owned()
}

/// The page's CSP nonce and its body, for one request through `app`.
async fn page_and_nonce(
    app: &axum::Router,
    request: http::Request<axum::body::Body>,
) -> (String, String) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let nonce = nonce_of(response.headers());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (nonce, String::from_utf8(body.to_vec()).unwrap())
}

/// Public pages for visitors without a session come from a cache of rendered HTML: each answer
/// still has its own nonce, in every place the page has one, and the theme cookie is part of the
/// key.
#[tokio::test]
async fn cached_public_pages_get_a_fresh_nonce_everywhere_and_keep_the_visitors_theme() {
    let app = crate::support::app(settings(&[]));
    let mut nonces: Vec<String> = Vec::new();
    let mut masked: Vec<String> = Vec::new();
    for _ in 0..3 {
        let (nonce, body) = page_and_nonce(&app, get("/")).await;
        let places = body.matches("nonce=\"").count();
        assert!(places >= 2, "the page's scripts carry nonces: {body}");
        assert_eq!(body.matches(&format!("nonce=\"{nonce}\"")).count(), places);
        for earlier in &nonces {
            assert!(
                !body.contains(earlier.as_str()),
                "an earlier visitor's nonce in the page"
            );
        }
        nonces.push(nonce.clone());
        masked.push(body.replace(&nonce, "NONCE"));
    }
    assert_eq!(masked[0], masked[1], "the same page for every visitor");
    assert_eq!(masked[1], masked[2]);

    let dark = http::Request::get("/")
        .header(http::header::COOKIE, "leptos_logto_theme=dark")
        .body(axum::body::Body::empty())
        .unwrap();
    let (_, body) = page_and_nonce(&app, dark).await;
    assert!(body.contains("data-theme=\"dark\""), "{body}");
    let (_, body) = page_and_nonce(&app, get("/")).await;
    assert!(!body.contains("data-theme=\"dark\""), "{body}");
}
