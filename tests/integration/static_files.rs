//! The site's files through the whole router: precompressed twins chosen by `Accept-Encoding`,
//! the revalidation policy with `Last-Modified` for names without a content hash, and the app's
//! own 404 page for paths that are no file.

use crate::support::{get, send, settings};
use axum::body::Body;
use http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, IF_MODIFIED_SINCE, LAST_MODIFIED, VARY,
};
use http::{Request, StatusCode};

const SCRIPT: &str = "console.log('the bundle');";
const SCRIPT_BROTLI: &[u8] = b"pretend-brotli-bytes";
const SCRIPT_GZIP: &[u8] = b"pretend-gzip-bytes";

fn site() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("pkg")).unwrap();
    std::fs::write(root.path().join("pkg/app.js"), SCRIPT).unwrap();
    std::fs::write(root.path().join("pkg/app.js.br"), SCRIPT_BROTLI).unwrap();
    std::fs::write(root.path().join("pkg/app.js.gz"), SCRIPT_GZIP).unwrap();
    std::fs::write(root.path().join("favicon.svg"), "<svg/>").unwrap();
    root
}

fn with_encoding(path: &str, accept: &str) -> Request<Body> {
    Request::get(path)
        .header(ACCEPT_ENCODING, accept)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn precompressed_twins_are_served_by_accept_encoding() {
    let root = site();
    let settings = || settings(&[("LEPTOS_SITE_ROOT", root.path().to_str().unwrap())]);

    let (response, body) = send(
        settings(),
        with_encoding("/pkg/app.js", "gzip, deflate, br"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_ENCODING], "br");
    assert_eq!(body.as_bytes(), SCRIPT_BROTLI);
    assert!(response.headers().get_all(VARY).iter().any(|v| v
        .to_str()
        .unwrap()
        .to_ascii_lowercase()
        .contains("accept-encoding")));

    let (response, body) = send(settings(), with_encoding("/pkg/app.js", "gzip")).await;
    assert_eq!(response.headers()[CONTENT_ENCODING], "gzip");
    assert_eq!(body.as_bytes(), SCRIPT_GZIP);

    let (response, body) = send(settings(), get("/pkg/app.js")).await;
    assert!(response.headers().get(CONTENT_ENCODING).is_none());
    assert_eq!(body, SCRIPT);
}

#[tokio::test]
async fn names_without_a_hash_are_revalidated_with_last_modified() {
    let root = site();
    let settings = || settings(&[("LEPTOS_SITE_ROOT", root.path().to_str().unwrap())]);
    for path in ["/favicon.svg", "/pkg/app.js"] {
        let (response, _) = send(settings(), get(path)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()[CACHE_CONTROL], "no-cache", "{path}");
        let modified = response.headers()[LAST_MODIFIED].clone();
        let again = Request::get(path)
            .header(IF_MODIFIED_SINCE, modified)
            .body(Body::empty())
            .unwrap();
        let (response, body) = send(settings(), again).await;
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert!(body.is_empty());
        assert_eq!(response.headers()[CACHE_CONTROL], "no-cache", "{path}");
    }
}

#[tokio::test]
async fn a_path_that_is_no_file_renders_the_apps_404_page_uncached() {
    let root = site();
    let settings = settings(&[("LEPTOS_SITE_ROOT", root.path().to_str().unwrap())]);
    let (response, body) = send(settings, get("/pkg/missing.wasm")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(body.contains("Page not found"), "{body}");
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
}
