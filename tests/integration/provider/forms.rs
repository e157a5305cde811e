//! The origin policy on the sign-in form posts (`leptos_logto::runtime::origin`, the app's rule):
//! a post from another site, a look-alike origin, or with nothing saying where it came from is
//! refused with 403 "Request refused", before anything is sent or checked.

use super::harness::*;
use axum::body::Body;
use http::{header, Request, StatusCode};

/// A form post to `uri` with exactly these extra headers (and `browser`'s cookies, nothing else).
async fn post_with(
    h: &Harness,
    browser: &mut Browser,
    uri: &str,
    body: String,
    headers: &[(&str, &str)],
) -> Reply {
    let mut request =
        Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut plain = browser.without_origin();
    let reply = h
        .send(Some(&mut plain), request.body(Body::from(body)).unwrap())
        .await;
    reply
}

/// A browser in a fresh interaction, on the email page.
async fn at_email_step(h: &Harness) -> Browser {
    let mut browser = Browser::default();
    let start = h.get(Some(&mut browser), &h.authorize_uri(&[])).await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
    browser
}

fn assert_refused(reply: &Reply, case: &str) {
    assert_eq!(
        reply.status,
        StatusCode::FORBIDDEN,
        "{case}: {}",
        reply.body
    );
    assert!(
        reply.body.contains("Request refused"),
        "{case}: {}",
        reply.body
    );
}

const REFUSED: &[(&str, &[(&str, &str)])] = &[
    ("cross-site, no Origin", &[("sec-fetch-site", "cross-site")]),
    ("same-site, no Origin", &[("sec-fetch-site", "same-site")]),
    (
        "cross-site with our Origin",
        &[("origin", BASE), ("sec-fetch-site", "cross-site")],
    ),
    ("another site", &[("origin", "https://evil.example")]),
    (
        "look-alike host",
        &[("origin", "http://127.0.0.1:3001.evil.example")],
    ),
    ("another port", &[("origin", "http://127.0.0.1:3002")]),
    ("another scheme", &[("origin", "https://127.0.0.1:3001")]),
    ("opaque origin", &[("origin", "null")]),
    ("no headers at all", &[]),
    ("only Sec-Fetch-Site: none", &[("sec-fetch-site", "none")]),
];

#[tokio::test]
async fn email_posts_that_fail_the_origin_policy_are_refused_and_send_nothing() {
    let h = Harness::new().await;
    let mut browser = at_email_step(&h).await;
    for (case, headers) in REFUSED {
        let reply = post_with(
            &h,
            &mut browser,
            "/sign-in/email",
            form(&[("email", "ada@example.com")]),
            headers,
        )
        .await;
        assert_refused(&reply, case);
    }
    assert_eq!(h.mail_count().await, 0, "nothing was sent");
}

#[tokio::test]
async fn same_origin_email_posts_work_with_origin_or_with_sec_fetch_site_alone() {
    let h = Harness::new().await;
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("our Origin", &[("origin", BASE)]),
        (
            "our Origin, same-origin",
            &[("origin", BASE), ("sec-fetch-site", "same-origin")],
        ),
        (
            "same-origin, no Origin",
            &[("sec-fetch-site", "same-origin")],
        ),
    ];
    for (round, (case, headers)) in cases.iter().enumerate() {
        let mut browser = at_email_step(&h).await;
        let reply = post_with(
            &h,
            &mut browser,
            "/sign-in/email",
            form(&[("email", "ada@example.com")]),
            headers,
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "{case}: {}",
            reply.body
        );
        assert_eq!(reply.location(), "/sign-in/verify", "{case}");
        assert_eq!(h.mail_count().await, round + 1, "{case}");
    }
}

#[tokio::test]
async fn code_and_resend_posts_that_fail_the_origin_policy_change_nothing() {
    let h = Harness::new().await;
    let mut browser = at_email_step(&h).await;
    let sent = h
        .post_form(
            Some(&mut browser),
            "/sign-in/email",
            form(&[("email", "ada@example.com")]),
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let code = h.last_code_for("ada@example.com").await.unwrap();
    h.clock.advance(std::time::Duration::from_secs(60));
    for (case, headers) in REFUSED {
        let verify = post_with(
            &h,
            &mut browser,
            "/sign-in/verify",
            form(&[("code", &code)]),
            headers,
        )
        .await;
        assert_refused(&verify, case);
        let resend = post_with(&h, &mut browser, "/sign-in/resend", String::new(), headers).await;
        assert_refused(&resend, case);
    }
    assert_eq!(h.mail_count().await, 1, "no new code was sent");
    // The code was neither used nor counted against: it still signs in.
    let done = h
        .post_form(
            Some(&mut browser),
            "/sign-in/verify",
            form(&[("code", &code)]),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(done.location().starts_with(CALLBACK));
}

#[tokio::test]
async fn a_refused_post_without_an_interaction_is_still_refused_not_expired() {
    let h = Harness::new().await;
    let mut browser = Browser::default();
    let reply = post_with(
        &h,
        &mut browser,
        "/sign-in/email",
        form(&[("email", "ada@example.com")]),
        &[("sec-fetch-site", "cross-site")],
    )
    .await;
    assert_refused(&reply, "no interaction");
}
