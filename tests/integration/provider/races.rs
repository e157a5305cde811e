//! The sign-in pages' limits under parallel requests, as an attacker (or two tabs) would send
//! them, on the SQLite store the provider runs on by default and on the memory store: each rule
//! holds because it is one atomic store operation, not a read-then-write in a handler.

use super::harness::*;
use http::StatusCode;
use leptos_logto::idp::store::memory::MemoryStore;
use leptos_logto::idp::store::sqlite::SqliteStore;
use leptos_logto::idp::store::SharedStore;
use std::future::Future;
use std::sync::Arc;
use tempfile::TempDir;
use tokio::sync::Barrier;

/// A provider on a SQLite file (several pooled connections racing) and one on the memory store.
async fn harnesses(admin_emails: Vec<String>) -> Vec<(Arc<Harness>, Option<TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite: SharedStore = Arc::new(
        SqliteStore::open(&dir.path().join("provider.sqlite"))
            .await
            .unwrap(),
    );
    let memory: SharedStore = Arc::new(MemoryStore::new());
    vec![
        (
            Arc::new(Harness::with_store(sqlite, admin_emails.clone()).await),
            Some(dir),
        ),
        (
            Arc::new(Harness::with_store(memory, admin_emails).await),
            None,
        ),
    ]
}

/// Runs `count` calls of `call(i)` at once (released together); their results in order.
async fn at_once<T, F, Fut>(count: usize, call: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let start = Arc::new(Barrier::new(count));
    let tasks: Vec<_> = (0..count)
        .map(|i| {
            let start = Arc::clone(&start);
            let call = call(i);
            tokio::spawn(async move {
                start.wait().await;
                call.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(count);
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

/// A browser that has entered `email` and been sent a code; the code.
async fn at_code_step(h: &Harness, email: &str) -> (Browser, String) {
    let mut browser = Browser::default();
    let started = h.get(Some(&mut browser), &h.authorize_uri(&[])).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let sent = h
        .post_form(
            Some(&mut browser),
            "/sign-in/email",
            form(&[("email", email)]),
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let code = h.last_code_for(email).await.expect("a code was mailed");
    (browser, code)
}

/// Another six digits than `code`, different for each `i` below 9.
fn wrong(code: &str, i: usize) -> String {
    let first = code.as_bytes()[0] - b'0';
    let mut digits = format!("{:06}", (i * 7919) % 1_000_000);
    if digits == code {
        digits = format!("{}{}", (first + 1) % 10, &code[1..]);
    }
    digits
}

async fn post_code(h: &Harness, mut browser: Browser, code: String) -> Reply {
    h.post_form(
        Some(&mut browser),
        "/sign-in/verify",
        form(&[("code", &code)]),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_wrong_codes_check_at_most_ten_and_the_right_one_is_then_refused() {
    for (h, _dir) in harnesses(vec![]).await {
        let (browser, code) = at_code_step(&h, "ada@example.com").await;
        let replies = at_once(50, |i| {
            let (h, browser, guess) = (Arc::clone(&h), browser.clone(), wrong(&code, i));
            async move { post_code(&h, browser, guess).await }
        })
        .await;
        assert!(
            replies.iter().all(|r| r.status == StatusCode::BAD_REQUEST),
            "every wrong guess is refused"
        );
        let right = post_code(&h, browser.clone(), code.clone()).await;
        assert_eq!(right.status, StatusCode::BAD_REQUEST, "{}", right.body);
        assert!(
            right.body.contains("Too many wrong attempts"),
            "after the burst the right code no longer works: {}",
            right.body
        );
        let interaction = browser_interaction(&h, &browser).await;
        assert_eq!(interaction.attempts, 10, "exactly the limit was checked");
        assert_eq!(interaction.consumed_at, None, "and nothing signed in");
    }
}

/// The verification code stored for `browser`'s interaction.
async fn browser_interaction(
    h: &Harness,
    browser: &Browser,
) -> leptos_logto::idp::store::StoredCode {
    let cookie = browser.cookie("idp_interaction").expect("an interaction");
    h.provider
        .store
        .find_code(&leptos_logto::idp::random::handle_of(cookie), START)
        .await
        .unwrap()
        .expect("its code")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_right_code_raced_by_wrong_guesses_signs_in_exactly_once() {
    for (h, _dir) in harnesses(vec![]).await {
        let (browser, code) = at_code_step(&h, "ada@example.com").await;
        // Four presentations of the right code among wrong guesses, all at once: nine checks in
        // all, within the limit, so that none is refused only for exhaustion.
        let replies = at_once(9, |i| {
            let guess = if i % 2 == 0 {
                code.clone()
            } else {
                wrong(&code, i)
            };
            let (h, browser) = (Arc::clone(&h), browser.clone());
            async move { post_code(&h, browser, guess).await }
        })
        .await;
        let signed_in: Vec<_> = replies
            .iter()
            .filter(|r| r.status == StatusCode::SEE_OTHER && r.location().starts_with(CALLBACK))
            .collect();
        assert_eq!(
            signed_in.len(),
            1,
            "one code, one authorization code: {:?}",
            replies.iter().map(|r| r.status).collect::<Vec<_>>()
        );
        assert!(signed_in[0].location_param("code").is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_parallel_sends_to_one_address_deliver_at_most_ten() {
    for (h, _dir) in harnesses(vec![]).await {
        // Twenty browsers, each at the email step of its own sign-in.
        let mut browsers = Vec::new();
        for _ in 0..20 {
            let mut browser = Browser::default();
            h.get(Some(&mut browser), &h.authorize_uri(&[])).await;
            browsers.push(browser);
        }
        let replies = at_once(20, |i| {
            let (h, mut browser) = (Arc::clone(&h), browsers[i].clone());
            async move {
                h.post_form(
                    Some(&mut browser),
                    "/sign-in/email",
                    form(&[("email", "ada@example.com")]),
                )
                .await
            }
        })
        .await;
        let sent = replies
            .iter()
            .filter(|r| r.status == StatusCode::SEE_OTHER)
            .count();
        let limited = replies
            .iter()
            .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
            .count();
        assert_eq!((sent, limited), (10, 10), "ten sent, ten refused with 429");
        assert_eq!(h.mail_count().await, 10, "at most the limit delivered");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reposting_the_email_form_does_not_skip_the_resend_wait() {
    for (h, _dir) in harnesses(vec![]).await {
        let (browser, first) = at_code_step(&h, "ada@example.com").await;
        let replies = at_once(5, |_| {
            let (h, mut browser) = (Arc::clone(&h), browser.clone());
            async move {
                h.post_form(
                    Some(&mut browser),
                    "/sign-in/email",
                    form(&[("email", "ada@example.com")]),
                )
                .await
            }
        })
        .await;
        assert!(
            replies.iter().all(|r| r.status == StatusCode::SEE_OTHER),
            "re-posting goes back to the code page"
        );
        assert_eq!(h.mail_count().await, 1, "no new mail within the wait");
        let done = post_code(&h, browser, first).await;
        assert_eq!(
            done.status,
            StatusCode::SEE_OTHER,
            "the first code still works"
        );
        assert!(done.location().starts_with(CALLBACK));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_tabs_finishing_sign_up_for_one_address_make_one_account_and_no_error() {
    for (h, _dir) in harnesses(vec![]).await {
        let mut tabs = Vec::new();
        for _ in 0..2 {
            tabs.push(at_code_step(&h, "new@example.com").await);
        }
        let replies = at_once(2, |i| {
            let (h, (browser, code)) = (Arc::clone(&h), tabs[i].clone());
            async move { post_code(&h, browser, code).await }
        })
        .await;
        for reply in &replies {
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
            assert!(reply.location().starts_with(CALLBACK));
        }
        assert_eq!(h.provider.store.count_users().await.unwrap(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_first_sign_ups_at_once_make_one_administrator() {
    for (h, _dir) in harnesses(vec![]).await {
        let mut tabs = Vec::new();
        for email in ["first@example.com", "second@example.com"] {
            tabs.push(at_code_step(&h, email).await);
        }
        let replies = at_once(2, |i| {
            let (h, (browser, code)) = (Arc::clone(&h), tabs[i].clone());
            async move { post_code(&h, browser, code).await }
        })
        .await;
        assert!(replies.iter().all(|r| r.status == StatusCode::SEE_OTHER));
        let mut admins = 0;
        for email in ["first@example.com", "second@example.com"] {
            let user = h
                .provider
                .store
                .find_user_by_email(email)
                .await
                .unwrap()
                .unwrap();
            admins += usize::from(user.roles.iter().any(|role| role == "admin"));
        }
        assert_eq!(
            admins, 1,
            "the first account, and only one, is administrator"
        );
    }
}
