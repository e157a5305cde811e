//! Who may use the sign-in experience settings: administrators only, checked on the server for
//! the page and for every server function; cross-site posts refused.

use super::world::*;
use http::StatusCode;

#[tokio::test]
async fn signed_out_callers_get_401_and_the_page_sends_them_to_sign_in() {
    let world = World::start().await;
    let mut jar = Jar::default();
    let reply = world
        .post(&mut jar, "/api/settings", "", Some(APP_BASE))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    let page = world.get(&mut jar, "/settings/sign-in-experience").await;
    assert_eq!(page.status, StatusCode::FOUND);
    assert_eq!(
        page.location(),
        "/logto/sign-in?return_to=%2Fsettings%2Fsign-in-experience"
    );
}

#[tokio::test]
async fn a_signed_in_non_admin_gets_403_from_the_page_and_every_server_function() {
    let world = World::start().await;
    // The provider makes its first account the administrator.
    let mut admin = Jar::default();
    world
        .sign_in(&mut admin, "first@example.com", "/logto/sign-in")
        .await;
    let mut member = Jar::default();
    world
        .sign_in(&mut member, "member@example.com", "/logto/sign-in")
        .await;

    let page = world.get(&mut member, "/settings/sign-in-experience").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(page.body.contains("Administrators only"));
    for (path, body) in [
        ("/api/settings", ""),
        ("/api/settings/email", "intent=save&factory=dev-mailbox"),
        ("/api/settings/sign-in", "verification_code=on"),
    ] {
        let reply = world.post(&mut member, path, body, Some(APP_BASE)).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            reply.body
        );
    }
    // The home page shows the settings link only to the administrator.
    assert!(!world
        .get(&mut member, "/")
        .await
        .body
        .contains("/settings/sign-in-experience"));
    assert!(world
        .get(&mut admin, "/")
        .await
        .body
        .contains("/settings/sign-in-experience"));
}

#[tokio::test]
async fn cross_site_posts_to_settings_are_refused_even_for_an_admin() {
    let world = World::start().await;
    let mut admin = Jar::default();
    world
        .sign_in(&mut admin, "first@example.com", "/logto/sign-in")
        .await;
    for path in ["/api/settings/email", "/api/settings/sign-in"] {
        let reply = world
            .post(
                &mut admin,
                path,
                "intent=save&factory=dev-mailbox",
                Some("https://evil.example"),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
    }
}

/// Every render of a page (the settings page is rendered with `SsrMode::Async`) carries the page
/// CSP with the nonce its scripts have, and `no-store`: with the no-script fallback policy the
/// page would never hydrate. On several worker threads, as the server runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_render_of_the_settings_page_carries_the_csp_of_its_own_nonce() {
    let world = World::start().await;
    let mut admin = Jar::default();
    world
        .sign_in(&mut admin, "first@example.com", "/logto/sign-in")
        .await;
    for attempt in 0..60 {
        let path = if attempt % 2 == 0 {
            "/settings/sign-in-experience"
        } else {
            "/profile"
        };
        // This world has no Management API app, so the settings page renders its own error page:
        // a rendered page all the same.
        let page = world.get(&mut admin, path).await;
        let csp = page
            .headers
            .get(http::header::CONTENT_SECURITY_POLICY)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("render {attempt} of {path} has no page CSP: {csp}"));
        assert!(
            page.body.contains(&format!("nonce=\"{nonce}\"")),
            "render {attempt}: the scripts carry another nonce"
        );
        assert_eq!(
            page.headers
                .get(http::header::CACHE_CONTROL)
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "render {attempt} of {path}"
        );
    }
}
