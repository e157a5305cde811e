//! Two app instances on one Redis or one PostgreSQL, each with its own connection pool, as behind
//! a load balancer without sticky sessions: whichever instance a request reaches knows who is
//! signed in, a sign-out on one is a sign-out on both, expired tokens are refreshed once however
//! many requests race over both, and many people signing in at once each end as themselves.

use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use leptos_logto::clock::{Clock, ManualClock, SystemClock};
use leptos_logto::sessions::Engine;
use std::sync::atomic::Ordering;
use tokio::task::JoinSet;

use crate::web::world::{Jar, World};

/// Instances A and B of the app on the engine at `url`, on one clock.
async fn two_instances(url: &str) -> (World, World, Arc<ManualClock>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (engine_a, engine_b): (Engine, Engine) = (
        super::open(Some(url), dir.path()).await,
        super::open(Some(url), dir.path()).await,
    );
    let clock = Arc::new(ManualClock::at(SystemClock.unix_seconds()));
    let clock_a = Arc::clone(&clock);
    let a = World::start_with(move |settings| {
        crate::support::app_on_clock(settings, &engine_a, clock_a)
    })
    .await;
    let b = a.instance(crate::support::app_on_clock(
        a.settings(),
        &engine_b,
        clock.clone(),
    ));
    (a, b, clock, dir)
}

async fn recognised_everywhere_and_signed_out_everywhere(url: &str) {
    let (a, b, _clock, _dir) = two_instances(url).await;
    let mut jar = Jar::default();
    // The sign-in starts on A and its callback lands on B.
    let start = a.get(&mut jar, "/logto/sign-in?return_to=/profile").await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
    let callback = a
        .provider_sign_in(&start.location(), "ada@example.com")
        .await;
    let path = callback.strip_prefix(crate::web::world::APP_BASE).unwrap();
    let landed = b.get(&mut jar, path).await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);
    for instance in [&a, &b, &a] {
        let page = instance.get(&mut jar, "/profile").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("ada@example.com"));
    }
    let before_sign_out = jar.clone();
    let out = b.post_form(&mut jar, "/api/sign-out", "").await;
    assert_eq!(out.status, StatusCode::FOUND, "{}", out.body);
    for instance in [&a, &b] {
        let mut old = before_sign_out.clone();
        let page = instance.get(&mut old, "/profile").await;
        assert_eq!(
            page.status,
            StatusCode::FOUND,
            "signed out on every instance"
        );
        assert!(
            page.location().starts_with("/logto/sign-in"),
            "{}",
            page.location()
        );
    }
}

async fn expired_tokens_are_refreshed_once_across_instances(url: &str) {
    let (a, b, clock, _dir) = two_instances(url).await;
    let mut jar = Jar::default();
    a.sign_in(&mut jar, "ada@example.com", "/logto/sign-in")
        .await;
    let signed_in = a.token_responses.load(Ordering::SeqCst);
    // Inside the refresh margin of the one-hour access token, with the ID token still valid.
    clock.advance(Duration::from_secs(3_550));
    let (a, b) = (Arc::new(a), Arc::new(b));
    let mut requests = JoinSet::new();
    for n in 0..24 {
        let instance = Arc::clone(if n % 2 == 0 { &a } else { &b });
        let mut jar = jar.clone();
        requests.spawn(async move { instance.get(&mut jar, "/profile").await });
    }
    while let Some(reply) = requests.join_next().await {
        let reply = reply.unwrap();
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert!(reply.body.contains("ada@example.com"));
    }
    assert_eq!(
        a.token_responses.load(Ordering::SeqCst) - signed_in,
        1,
        "exactly one refresh at the provider"
    );
    // Both instances now use the refreshed tokens without refreshing again.
    for instance in [&a, &b] {
        let mut jar = jar.clone();
        assert_eq!(
            instance.get(&mut jar, "/profile").await.status,
            StatusCode::OK
        );
    }
    assert_eq!(a.token_responses.load(Ordering::SeqCst) - signed_in, 1);
}

/// `people` sign in at once, each request of each going to instance A or B in turn; every one
/// then sees their own profile on both. All sign-ins are in progress at the app together; only
/// their step at the provider's dev mailbox goes at most [`AT_THE_MAILBOX`] at a time, since the
/// mailbox keeps its newest 200 messages.
async fn many_people_sign_in_at_once_and_each_is_themselves(url: &str, people: usize) {
    const AT_THE_MAILBOX: usize = 100;
    let (a, b, _clock, _dir) = two_instances(url).await;
    let (a, b) = (Arc::new(a), Arc::new(b));
    let mailbox = Arc::new(tokio::sync::Semaphore::new(AT_THE_MAILBOX));
    let mut sign_ins = JoinSet::new();
    for n in 0..people {
        let mailbox = Arc::clone(&mailbox);
        let (first, second) = if n % 2 == 0 {
            (Arc::clone(&a), Arc::clone(&b))
        } else {
            (Arc::clone(&b), Arc::clone(&a))
        };
        sign_ins.spawn(async move {
            let email = format!("person-{n}@example.com");
            let mut jar = Jar::default();
            let start = first.get(&mut jar, "/logto/sign-in").await;
            assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
            let callback = {
                let _turn = mailbox.acquire().await.unwrap();
                first.provider_sign_in(&start.location(), &email).await
            };
            let path = callback
                .strip_prefix(crate::web::world::APP_BASE)
                .unwrap()
                .to_owned();
            let landed = second.get(&mut jar, &path).await;
            assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);
            for instance in [&first, &second] {
                let page = instance.get(&mut jar, "/profile").await;
                assert_eq!(page.status, StatusCode::OK, "{email}: {}", page.status);
                assert!(
                    page.body.contains(&email),
                    "{email} does not see their profile"
                );
                assert_eq!(
                    people_named_in(&page.body),
                    vec![n],
                    "{email} sees someone else"
                );
            }
            jar.session().unwrap()
        });
    }
    let mut sessions = std::collections::HashSet::new();
    while let Some(session) = sign_ins.join_next().await {
        assert!(
            sessions.insert(session.unwrap()),
            "two people share a session"
        );
    }
    assert_eq!(sessions.len(), people);
}

/// The numbers `n` of every `person-{n}@example.com` in `text`, deduplicated.
fn people_named_in(text: &str) -> Vec<usize> {
    let mut found: Vec<usize> = text
        .split("person-")
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            rest[digits.len()..]
                .starts_with("@example.com")
                .then(|| digits.parse().ok())
                .flatten()
        })
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

mod redis {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn recognised_everywhere_and_signed_out_everywhere() {
        super::recognised_everywhere_and_signed_out_everywhere(&crate::engines::redis_url()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn expired_tokens_are_refreshed_once_across_instances() {
        super::expired_tokens_are_refreshed_once_across_instances(&crate::engines::redis_url())
            .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn five_hundred_people_sign_in_at_once_and_each_is_themselves() {
        super::many_people_sign_in_at_once_and_each_is_themselves(
            &crate::engines::redis_url(),
            500,
        )
        .await;
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn recognised_everywhere_and_signed_out_everywhere() {
        super::recognised_everywhere_and_signed_out_everywhere(&crate::engines::postgres_url())
            .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn expired_tokens_are_refreshed_once_across_instances() {
        super::expired_tokens_are_refreshed_once_across_instances(&crate::engines::postgres_url())
            .await;
    }
}
