//! The provider unreachable (nothing listens at `LOGTO_ENDPOINT`): anonymous pages are still
//! served, and signing in says the sign-in service is not reachable, with a way to try again.

use http::StatusCode;

#[tokio::test]
async fn with_the_provider_down_pages_are_served_and_sign_in_says_it_is_unavailable() {
    // Port 9 (discard) on loopback: connection refused at once.
    let settings = crate::support::settings(&[("LOGTO_ENDPOINT", "http://127.0.0.1:9")]);
    let app = crate::support::app(settings);
    let send = |path: &str| {
        let app = app.clone();
        let request = crate::support::get(path);
        async move {
            use http_body_util::BodyExt as _;
            use tower::ServiceExt as _;
            let response = app.oneshot(request).await.unwrap();
            let status = response.status();
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .map(|value| value.to_str().unwrap().to_owned());
            let body = response.into_body().collect().await.unwrap().to_bytes();
            (
                status,
                location,
                String::from_utf8_lossy(&body).into_owned(),
            )
        }
    };
    let (status, _, _) = send("/").await;
    assert_eq!(status, StatusCode::OK, "the home page is served");

    let (status, location, _) = send("/logto/sign-in").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.unwrap();
    assert_eq!(location, "/sign-in-error?reason=unreachable");
    let (status, _, page) = send(&location).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "temporary");
    assert!(
        page.contains("The sign-in service is not reachable right now"),
        "{page}"
    );
    assert!(
        page.contains("/logto/sign-in"),
        "a way to try again: {page}"
    );
}
