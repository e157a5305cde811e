//! Verification codes in the sign-in pages: expiry, attempts, send limits, resend, and what an
//! unknown address hears with sign-up off.

use super::harness::*;
use http::StatusCode;
use std::time::Duration;

async fn at_code_step(h: &Harness, email: &str) -> Browser {
    let mut browser = Browser::default();
    h.get(Some(&mut browser), &h.authorize_uri(&[])).await;
    let sent = h
        .post_form(
            Some(&mut browser),
            "/sign-in/email",
            form(&[("email", email)]),
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    browser
}

fn wrong(code: &str) -> String {
    let digit = (code.as_bytes()[0] - b'0' + 1) % 10;
    format!("{digit}{}", &code[1..])
}

#[tokio::test]
async fn a_code_expires_after_ten_minutes() {
    let h = Harness::new().await;
    let mut browser = at_code_step(&h, "ada@example.com").await;
    let code = h.last_code_for("ada@example.com").await.unwrap();
    h.clock.advance(Duration::from_secs(601));
    let reply = h
        .post_form(
            Some(&mut browser),
            "/sign-in/verify",
            form(&[("code", &code)]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("expired"), "{}", reply.body);
}

#[tokio::test]
async fn ten_wrong_attempts_then_even_the_right_code_is_refused() {
    let h = Harness::new().await;
    let mut browser = at_code_step(&h, "ada@example.com").await;
    let code = h.last_code_for("ada@example.com").await.unwrap();
    for attempt in 1..=10 {
        let reply = h
            .post_form(
                Some(&mut browser),
                "/sign-in/verify",
                form(&[("code", &wrong(&code))]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        let expected = match 10 - attempt {
            0 => "Too many wrong attempts".to_owned(),
            1 => "That code isn&#39;t right. 1 attempt left.".to_owned(),
            n => format!("That code isn&#39;t right. {n} attempts left."),
        };
        assert!(
            reply.body.contains(&expected),
            "attempt {attempt}: {}",
            reply.body
        );
    }
    let eleventh = h
        .post_form(
            Some(&mut browser),
            "/sign-in/verify",
            form(&[("code", &code)]),
        )
        .await;
    assert_eq!(eleventh.status, StatusCode::BAD_REQUEST);
    assert!(eleventh.body.contains("Too many wrong attempts"));
}

#[tokio::test]
async fn the_eleventh_send_in_ten_minutes_is_429_for_known_and_unknown_addresses() {
    let h = Harness::new().await;
    h.tokens_for("known@example.com").await; // one send already
    for email in ["known@example.com", "unknown@example.com"] {
        let already = if email.starts_with("known") { 1 } else { 0 };
        for _ in already..10 {
            at_code_step(&h, email).await;
        }
        let mut browser = Browser::default();
        h.get(Some(&mut browser), &h.authorize_uri(&[])).await;
        let eleventh = h
            .post_form(
                Some(&mut browser),
                "/sign-in/email",
                form(&[("email", email)]),
            )
            .await;
        assert_eq!(eleventh.status, StatusCode::TOO_MANY_REQUESTS, "{email}");
        assert!(eleventh.body.contains("Too many codes"));
    }
    // The window slides: after ten minutes sending works again.
    h.clock.advance(Duration::from_secs(601));
    at_code_step(&h, "unknown@example.com").await;
}

#[tokio::test]
async fn resend_waits_59_seconds_and_invalidates_the_older_code() {
    let h = Harness::new().await;
    let mut browser = at_code_step(&h, "ada@example.com").await;
    let first = h.last_code_for("ada@example.com").await.unwrap();
    let early = h
        .post_form(Some(&mut browser), "/sign-in/resend", String::new())
        .await;
    assert_eq!(early.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(early.body.contains("59 seconds"), "{}", early.body);

    h.clock.advance(Duration::from_secs(59));
    let resent = h
        .post_form(Some(&mut browser), "/sign-in/resend", String::new())
        .await;
    assert_eq!(resent.status, StatusCode::SEE_OTHER);
    let second = h.last_code_for("ada@example.com").await.unwrap();
    if first != second {
        let old = h
            .post_form(
                Some(&mut browser),
                "/sign-in/verify",
                form(&[("code", &first)]),
            )
            .await;
        assert_eq!(
            old.status,
            StatusCode::BAD_REQUEST,
            "the older code no longer works"
        );
    }
    let ok = h
        .post_form(
            Some(&mut browser),
            "/sign-in/verify",
            form(&[("code", &second)]),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert!(ok.location().starts_with(CALLBACK));
}

#[tokio::test]
async fn with_sign_up_off_an_unknown_address_is_answered_as_a_known_one_but_gets_no_mail() {
    let h = Harness::new().await;
    h.tokens_for("known@example.com").await;
    let off = serde_json::json!({"signUp": {"identifiers": [], "password": false, "verify": true}});
    leptos_logto::idp::store::Store::put_document(h.store.as_ref(), "sign_in_experience", &off)
        .await
        .unwrap();
    let mails_before = h.mail_count().await;

    // The same status and the same code page for both (names aside), security.md: known and
    // unknown addresses are indistinguishable. Only the known one gets mail.
    let mut pages = Vec::new();
    for (address, mails) in [("stranger@example.com", 0), ("known@example.com", 1)] {
        let mut browser = Browser::default();
        h.get(Some(&mut browser), &h.authorize_uri(&[])).await;
        let sent = h
            .post_form(
                Some(&mut browser),
                "/sign-in/email",
                form(&[("email", address)]),
            )
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{address}");
        let page = h.get(Some(&mut browser), "/sign-in/verify").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body
                .contains("has an account here, we sent it a 6-digit code")
                && page.body.contains("New accounts can't be created here"),
            "{}",
            page.body
        );
        assert_eq!(h.mail_count().await, mails_before + mails, "{address}");
        pages.push(page.body.replace(address, "ADDRESS"));
    }
    let without_nonces = |page: &str| {
        page.split("nonce=\"")
            .map(|part| part.split_once('"').map_or(part, |(_, rest)| rest))
            .collect::<String>()
    };
    let tags = |page: &str| {
        page.split("name=\"interaction\" value=\"")
            .map(|part| part.split_once('"').map_or(part, |(_, rest)| rest))
            .collect::<String>()
    };
    assert_eq!(
        tags(&without_nonces(&pages[0])),
        tags(&without_nonces(&pages[1])),
        "the two code pages differ"
    );
}

#[tokio::test]
async fn invalid_email_is_explained_and_changes_nothing() {
    use leptos_logto::idp::random::handle_of;
    use leptos_logto::idp::store::Kind;

    let h = Harness::new().await;
    let mut browser = Browser::default();
    h.get(Some(&mut browser), &h.authorize_uri(&[])).await;
    let interaction = handle_of(browser.cookie("idp_interaction").expect("an interaction"));
    let now = START;
    let before = h
        .store
        .find(Kind::Interaction, &interaction, now)
        .await
        .unwrap();
    assert!(before.is_some());
    let cookies_before = browser.clone();

    for invalid in ["not-an-email", "", "a@", "@example.com", "a b@example.com"] {
        let reply = h
            .post_form(
                Some(&mut browser),
                "/sign-in/email",
                form(&[("email", invalid)]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{invalid:?}");
        assert!(
            reply.body.contains("Enter a valid email address"),
            "{invalid:?}: {}",
            reply.body
        );
        if !invalid.is_empty() && !invalid.contains(' ') {
            assert!(reply.body.contains(&format!("value=\"{invalid}\"")));
        }
        assert!(reply.headers.get(http::header::SET_COOKIE).is_none());
        // Nothing changed: no mail, no code, no account, the interaction as it was.
        assert_eq!(h.mail_count().await, 0, "{invalid:?}");
        assert!(h
            .store
            .find_code(&interaction, now)
            .await
            .unwrap()
            .is_none());
        assert_eq!(h.store.count_users().await.unwrap(), 0);
        assert_eq!(
            h.store
                .find(Kind::Interaction, &interaction, now)
                .await
                .unwrap(),
            before,
            "{invalid:?} changed the interaction"
        );
    }
    assert_eq!(
        browser.cookie("idp_interaction"),
        cookies_before.cookie("idp_interaction")
    );
    // The same sign-in goes on with a valid address (and the checks above looked in the right
    // places: its code is found under this interaction).
    let sent = h
        .post_form(
            Some(&mut browser),
            "/sign-in/email",
            form(&[("email", "ada@example.com")]),
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert_eq!(h.mail_count().await, 1);
    assert!(h
        .store
        .find_code(&interaction, now)
        .await
        .unwrap()
        .is_some());
    assert_ne!(
        h.store
            .find(Kind::Interaction, &interaction, now)
            .await
            .unwrap(),
        before,
        "a valid address is recorded in the interaction"
    );
}

#[tokio::test]
async fn pages_without_an_interaction_explain_that_sign_in_expired() {
    let h = Harness::new().await;
    let reply = h.get(None, "/sign-in").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("This sign-in has expired"));
    let mut browser = Browser::default();
    let reply = h
        .post_form(
            Some(&mut browser),
            "/sign-in/verify",
            form(&[("code", "123456")]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("This sign-in has expired"));
}

#[tokio::test]
async fn cross_site_form_posts_are_refused() {
    let h = Harness::new().await;
    let mut browser = Browser::default();
    h.get(Some(&mut browser), &h.authorize_uri(&[])).await;
    let request = http::Request::post("/sign-in/email")
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(http::header::ORIGIN, "https://evil.example")
        .body(axum::body::Body::from(form(&[(
            "email",
            "ada@example.com",
        )])))
        .unwrap();
    let reply = h.send(Some(&mut browser), request).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(h.mail_count().await, 0);
}

#[tokio::test]
async fn codes_are_stored_hashed_and_never_logged() {
    let h = Harness::new().await;
    let logs = capture_logs();
    let browser = at_code_step(&h, "ada@example.com").await;
    let code = h.last_code_for("ada@example.com").await.unwrap();
    // The code record (keyed by the interaction) holds a MAC, not the code.
    let interaction = browser.cookie("idp_interaction").unwrap();
    let handle = leptos_logto::idp::random::handle_of(interaction);
    let stored = h
        .store
        .find_code(&handle, START)
        .await
        .unwrap()
        .expect("the code record");
    assert_eq!(stored.recipient, "ada@example.com");
    assert!(
        !stored.mac.contains(&code),
        "the plain code is stored: {stored:?}"
    );
    assert!(!logs.text().contains(&code), "a code reached the log");
}

/// Captures the log lines of this thread's subscriber.
fn capture_logs() -> LogCapture {
    let buffer = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || LogWriter(writer.clone()))
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    LogCapture {
        buffer,
        _guard: guard,
    }
}

struct LogCapture {
    buffer: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl LogCapture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap()).into_owned()
    }
}

struct LogWriter(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn cancelling_sends_access_denied_back_with_state_and_iss() {
    let h = Harness::new().await;
    let mut browser = Browser::default();
    h.get(Some(&mut browser), &h.authorize_uri(&[])).await;
    let page = h.get(Some(&mut browser), "/sign-in").await;
    assert!(page.body.contains("/sign-in/cancel"));
    let reply = h.get(Some(&mut browser), "/sign-in/cancel").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(reply.location().starts_with(CALLBACK));
    assert_eq!(
        reply.location_param("error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(reply.location_param("state").as_deref(), Some("state-123"));
    assert_eq!(reply.location_param("iss").as_deref(), Some(ISSUER));
    assert!(!browser.has("idp_interaction"));
}

#[tokio::test]
async fn malformed_codes_cost_no_attempt_and_spaces_and_dashes_are_ignored() {
    let h = Harness::new().await;
    let mut browser = at_code_step(&h, "ada@example.com").await;
    let code = h.last_code_for("ada@example.com").await.unwrap();
    for malformed in ["", "12345", "1234567", "12a456", "abcdef", "12 34"] {
        let reply = h
            .post_form(
                Some(&mut browser),
                "/sign-in/verify",
                form(&[("code", malformed)]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{malformed:?}");
        assert!(
            reply
                .body
                .contains("Enter the 6-digit code from the email."),
            "{malformed:?}: {}",
            reply.body
        );
        assert!(reply.body.contains("aria-invalid=\"true\""));
    }
    // None of them was counted: the first wrong code still leaves nine attempts.
    let reply = h
        .post_form(
            Some(&mut browser),
            "/sign-in/verify",
            form(&[("code", &wrong(&code))]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("9 attempts left"), "{}", reply.body);
    // The right code as people paste it.
    let typed = format!(" {}-{} ", &code[..3], &code[3..]);
    let ok = h
        .post_form(
            Some(&mut browser),
            "/sign-in/verify",
            form(&[("code", &typed)]),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert!(ok.location().starts_with(CALLBACK));
}

#[tokio::test]
async fn the_last_attempt_is_singular() {
    let h = Harness::new().await;
    let mut browser = at_code_step(&h, "ada@example.com").await;
    let code = h.last_code_for("ada@example.com").await.unwrap();
    let mut last = String::new();
    for _ in 0..9 {
        last = h
            .post_form(
                Some(&mut browser),
                "/sign-in/verify",
                form(&[("code", &wrong(&code))]),
            )
            .await
            .body;
    }
    assert!(last.contains("1 attempt left."), "{last}");
    assert!(!last.contains("attempt(s)"));
}

#[tokio::test]
async fn the_same_address_again_within_the_wait_sends_nothing_and_keeps_the_code() {
    let h = Harness::new().await;
    let mut browser = at_code_step(&h, "ada@example.com").await;
    let first = h.last_code_for("ada@example.com").await.unwrap();
    h.clock.advance(Duration::from_secs(20));
    let again = h
        .post_form(
            Some(&mut browser),
            "/sign-in/email",
            form(&[("email", "Ada@Example.com")]),
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(again.location(), "/sign-in/verify");
    assert_eq!(h.mail_count().await, 1, "no second mail");
    let page = h.get(Some(&mut browser), "/sign-in/verify").await;
    assert!(page.body.contains("data-wait=\"39\""), "{}", page.body);
    let ok = h
        .post_form(
            Some(&mut browser),
            "/sign-in/verify",
            form(&[("code", &first)]),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert!(ok.location().starts_with(CALLBACK));
}
