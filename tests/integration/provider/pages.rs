//! The sign-in pages as a person meets them (issue 11): the code field (pasted codes, malformed
//! input costs no attempt), plural wording, staying on the screen one was on, stale tabs and
//! ended sign-ins with a way back, the provider's 404, one alert per page with field errors
//! linked from their inputs, the application's name and link back, and the app's `ui_theme`.

use super::harness::*;
use http::StatusCode;

/// The tab tag of the first form on `page` (its hidden `interaction` field).
fn tab_of(page: &str) -> String {
    let marker = "name=\"interaction\" value=\"";
    let start = page.find(marker).expect("a tab tag") + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

/// Every page has at most one `role="alert"`; every invalid input names its error.
fn assert_accessible_shape(page: &str) {
    assert!(
        page.matches("role=\"alert\"").count() <= 1,
        "more than one alert: {page}"
    );
    for (at, _) in page.match_indices("aria-invalid=\"true\"") {
        let input_start = page[..at].rfind("<input").unwrap();
        let input = &page[input_start..at];
        let described = input
            .split("aria-describedby=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("an invalid input names its error");
        let error_id = described.split(' ').next().unwrap();
        assert!(
            page.contains(&format!("id=\"{error_id}\" role=\"alert\"")),
            "{error_id} is not the alert: {page}"
        );
        assert!(input.contains("autofocus"), "the invalid field has focus");
    }
}

async fn at_code_step(h: &Harness, browser: &mut Browser, email: &str) -> String {
    h.get(Some(browser), &h.authorize_uri(&[])).await;
    let sent = h
        .post_form(Some(browser), "/sign-in/email", form(&[("email", email)]))
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    h.last_code_for(email).await.expect("a code")
}

fn wrong(code: &str) -> String {
    let digit = (code.as_bytes()[0] - b'0' + 1) % 10;
    format!("{digit}{}", &code[1..])
}

#[tokio::test]
async fn a_spaced_code_signs_in_and_malformed_codes_leave_the_attempts_left_unchanged() {
    use leptos_logto::idp::random::handle_of;
    let h = Harness::new().await;
    let mut browser = Browser::default();
    let code = at_code_step(&h, &mut browser, "ada@example.com").await;
    let page = h.get(Some(&mut browser), "/sign-in/verify").await;
    assert!(page
        .body
        .contains("inputmode=\"numeric\" autocomplete=\"one-time-code\""));
    assert!(!page.body.contains("maxlength"), "`513 768` must fit");
    assert!(!page.body.contains("code-attempts"), "no attempt used yet");
    assert_accessible_shape(&page.body);

    let reply = h
        .post_form(
            Some(&mut browser),
            "/sign-in/verify",
            form(&[("code", &wrong(&code))]),
        )
        .await;
    assert!(reply
        .body
        .contains("<p class=\"hint\" id=\"code-attempts\">9 attempts left</p>"));
    assert_accessible_shape(&reply.body);
    let interaction = handle_of(browser.cookie("idp_interaction").unwrap());
    let attempts = |h: &Harness| {
        let store = h.store.clone();
        let interaction = interaction.clone();
        async move {
            store
                .find_code(&interaction, START)
                .await
                .unwrap()
                .unwrap()
                .attempts
        }
    };
    assert_eq!(attempts(&h).await, 1);

    for malformed in ["abcdef", "12345", "513 76", "1234567"] {
        let reply = h
            .post_form(
                Some(&mut browser),
                "/sign-in/verify",
                form(&[("code", malformed)]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{malformed}");
        assert!(reply.body.contains(
            "<p class=\"field__error\" id=\"code-error\" role=\"alert\">Enter the 6-digit code from the email.</p>"
        ));
        assert!(reply
            .body
            .contains("aria-describedby=\"code-error code-hint code-attempts\""));
        assert!(
            reply
                .body
                .contains("<p class=\"hint\" id=\"code-attempts\">9 attempts left</p>"),
            "{malformed}: the count is unchanged"
        );
        assert!(!reply.body.contains("attempt(s)"));
        assert_accessible_shape(&reply.body);
    }
    assert_eq!(attempts(&h).await, 1, "malformed codes cost no attempt");

    let spaced = format!("{} {}", &code[..3], &code[3..]);
    let ok = h
        .post_form(
            Some(&mut browser),
            "/sign-in/verify",
            form(&[("code", &spaced)]),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert!(ok.location().starts_with(CALLBACK));
}

#[tokio::test]
async fn a_dashed_code_signs_in() {
    let h = Harness::new().await;
    let mut browser = Browser::default();
    let code = at_code_step(&h, &mut browser, "dash@example.com").await;
    let dashed = format!("{}-{}", &code[..3], &code[3..]);
    let ok = h
        .post_form(
            Some(&mut browser),
            "/sign-in/verify",
            form(&[("code", &dashed)]),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
}

#[tokio::test]
async fn an_invalid_email_on_create_your_account_stays_on_create_your_account() {
    let h = Harness::new().await;
    let mut browser = Browser::default();
    let start = h
        .get(
            Some(&mut browser),
            &h.authorize_uri(&[("first_screen", "register")]),
        )
        .await;
    assert_eq!(start.location(), "/register");
    let page = h.get(Some(&mut browser), "/register").await;
    assert!(
        page.body
            .contains(&format!("<h1>Create your account for {APP_ID}</h1>")),
        "{}",
        page.body
    );
    let tab = tab_of(&page.body);
    let reply = h
        .post_form(
            Some(&mut browser),
            "/sign-in/email",
            form(&[
                ("email", "not-an-email"),
                ("screen", "register"),
                ("interaction", &tab),
            ]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply
            .body
            .contains(&format!("<h1>Create your account for {APP_ID}</h1>")),
        "{}",
        reply.body
    );
    assert!(!reply.body.contains("<h1>Sign in"));
    assert!(reply.body.contains("name=\"screen\" value=\"register\""));
    assert!(reply
        .body
        .contains("aria-describedby=\"email-error email-hint\""));
    assert_accessible_shape(&reply.body);

    // And the sign-in screen stays the sign-in screen.
    let reply = h
        .post_form(
            Some(&mut browser),
            "/sign-in/email",
            form(&[("email", "nope"), ("screen", "sign_in")]),
        )
        .await;
    assert!(reply
        .body
        .contains(&format!("<h1>Sign in to {APP_ID}</h1>")));
}

#[tokio::test]
async fn a_code_from_a_tab_whose_sign_in_was_restarted_elsewhere_is_refused_with_a_way_on() {
    let h = Harness::new().await;
    let mut browser = Browser::default();
    // Tab A: up to the code page.
    let code_a = at_code_step(&h, &mut browser, "tabs@example.com").await;
    let page_a = h.get(Some(&mut browser), "/sign-in/verify").await;
    let tab_a = tab_of(&page_a.body);
    // Tab B (same browser): a new sign-in replaces A's.
    h.get(Some(&mut browser), &h.authorize_uri(&[])).await;
    let page_b = h.get(Some(&mut browser), "/sign-in").await;
    assert_ne!(tab_of(&page_b.body), tab_a);

    // A's right code, in A.
    let reply = h
        .post_form(
            Some(&mut browser),
            "/sign-in/verify",
            form(&[("code", &code_a), ("interaction", &tab_a)]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
    assert!(reply
        .body
        .contains("This sign-in was restarted in another tab"));
    assert!(reply
        .body
        .contains("href=\"/sign-in\">Continue signing in</a>"));
    assert!(reply
        .body
        .contains("href=\"http://localhost:3000/\">Back to the app</a>"));
    assert_accessible_shape(&reply.body);

    // B goes on to its code page; A's stale page now points there.
    let sent = h
        .post_form(
            Some(&mut browser),
            "/sign-in/email",
            form(&[
                ("email", "tabs@example.com"),
                ("interaction", &tab_of(&page_b.body)),
            ]),
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let code_b = h.last_code_for("tabs@example.com").await.unwrap();
    for (uri, body) in [
        (
            "/sign-in/verify",
            form(&[("code", &code_a), ("interaction", &tab_a)]),
        ),
        ("/sign-in/resend", form(&[("interaction", &tab_a)])),
        (
            "/sign-in/email",
            form(&[("email", "x@example.com"), ("interaction", &tab_a)]),
        ),
    ] {
        let reply = h.post_form(Some(&mut browser), uri, body).await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{uri}");
        assert!(
            reply
                .body
                .contains("href=\"/sign-in/verify\">Continue signing in</a>"),
            "{uri}: {}",
            reply.body
        );
    }
    // Nothing was checked or sent from the stale tab: B's code still has all its attempts.
    let done = h
        .post_form(
            Some(&mut browser),
            "/sign-in/verify",
            form(&[("code", &code_b)]),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(done.location().starts_with(CALLBACK));
}

#[tokio::test]
async fn an_ended_sign_in_says_start_again_from_the_app_with_a_way_back() {
    let h = Harness::new().await;
    for reply in [
        h.get(None, "/sign-in").await,
        h.get(None, "/sign-in/verify").await,
        h.post_form(
            Some(&mut Browser::default()),
            "/sign-in/verify",
            form(&[("code", "123456")]),
        )
        .await,
    ] {
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert!(reply.body.contains("This sign-in has expired"));
        assert!(reply.body.contains("Start again from the app."));
        assert!(!reply.body.contains("only in the browser"));
        // No interaction names a client: the first registered web app.
        assert!(
            reply.body.contains(
                "<a class=\"button\" href=\"http://localhost:3000/\">Back to the app</a>"
            ),
            "{}",
            reply.body
        );
        assert_accessible_shape(&reply.body);
    }
    // An interaction that timed out, in the browser that had it.
    let mut browser = Browser::default();
    h.get(Some(&mut browser), &h.authorize_uri(&[])).await;
    h.clock.advance(std::time::Duration::from_secs(3601));
    let reply = h.get(Some(&mut browser), "/sign-in").await;
    assert!(reply.body.contains("This sign-in has expired"));
    assert!(reply.body.contains("Back to the app"));
}

#[tokio::test]
async fn unknown_paths_and_refused_requests_are_pages_with_a_way_back() {
    let h = Harness::new().await;
    for path in ["/nope", "/sign-in/nope", "/oidc/nope"] {
        let reply = h.get(None, path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            reply.headers[http::header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        assert!(reply.body.contains("Page not found"), "{path}");
        assert!(reply.body.contains("Back to the app"), "{path}");
        assert!(reply.body.contains("/static/provider.css"));
    }
    // The Management API keeps its JSON 404 (behind its token check).
    let api = h.get(None, "/api/nope").await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);

    // An authorization request the provider refuses to redirect: back to the client it names.
    let reply = h
        .get(
            None,
            &h.authorize_uri(&[("redirect_uri", "https://evil.example/cb")]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply
        .body
        .contains("href=\"http://localhost:3000/\">Back to the app</a>"));
}

#[tokio::test]
async fn the_pages_name_the_application_and_link_back_to_it() {
    let h = Harness::new().await;
    let mut browser = Browser::default();
    h.get(Some(&mut browser), &h.authorize_uri(&[])).await;
    let page = h.get(Some(&mut browser), "/sign-in").await;
    assert!(page.body.contains(&format!("<h1>Sign in to {APP_ID}</h1>")));
    assert!(page.body.contains(&format!(
        "<a class=\"brand\" href=\"http://localhost:3000/\"><span class=\"brand__mark\" aria-hidden=\"true\">◆</span><span class=\"brand__name\">{APP_ID}</span></a>"
    )), "{}", page.body);
    assert!(page.body.contains("href=\"/static/brand.css\""));
    assert_accessible_shape(&page.body);
}

#[tokio::test]
async fn the_apps_ui_theme_is_kept_for_every_later_page() {
    let h = Harness::new().await;
    let mut browser = Browser::default();
    let start = h
        .get(
            Some(&mut browser),
            &h.authorize_uri(&[("ui_theme", "dark")]),
        )
        .await;
    assert_eq!(
        browser.cookie("idp_theme"),
        Some("dark"),
        "{:?}",
        start.headers
    );
    let page = h.get(Some(&mut browser), "/sign-in").await;
    assert!(page.body.contains("<html lang=\"en\" data-theme=\"dark\">"));
    assert!(page.body.contains("name=\"color-scheme\" content=\"dark\""));
    h.post_form(
        Some(&mut browser),
        "/sign-in/email",
        form(&[("email", "night@example.com")]),
    )
    .await;
    let code_page = h.get(Some(&mut browser), "/sign-in/verify").await;
    assert!(code_page.body.contains("data-theme=\"dark\""));
    // An error page after the interaction ended, and a 404, keep it too.
    h.clock.advance(std::time::Duration::from_secs(3601));
    let expired = h.get(Some(&mut browser), "/sign-in").await;
    assert!(
        expired.body.contains("data-theme=\"dark\""),
        "{}",
        expired.body
    );
    let missing = h.get(Some(&mut browser), "/nope").await;
    assert!(missing.body.contains("data-theme=\"dark\""));

    // Light, and an unknown value or none: the system's scheme (no data-theme).
    let mut light = Browser::default();
    h.get(Some(&mut light), &h.authorize_uri(&[("ui_theme", "light")]))
        .await;
    let page = h.get(Some(&mut light), "/sign-in").await;
    assert!(page.body.contains("data-theme=\"light\""));
    for value in ["purple", ""] {
        let mut other = Browser::default();
        h.get(Some(&mut other), &h.authorize_uri(&[("ui_theme", value)]))
            .await;
        let page = h.get(Some(&mut other), "/sign-in").await;
        assert!(page.body.contains("<html lang=\"en\">"), "{value}");
        assert!(page.body.contains("content=\"light dark\""));
    }
    // The same browser without ui_theme: back to the system's scheme.
    h.get(Some(&mut browser), &h.authorize_uri(&[])).await;
    assert!(!browser.has("idp_theme"));
    let page = h.get(Some(&mut browser), "/sign-in").await;
    assert!(!page.body.contains("data-theme"));
}
