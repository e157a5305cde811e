//! The page cache: a page is rendered once per distinct inputs and then answered from memory,
//! every answer with a nonce of its own; one person's page never reaches another; a changed
//! input (theme, refreshed tokens) shows; turned off, every view is rendered.

use super::world::*;
use http::StatusCode;

const ORIGIN: &str = APP_BASE;
const KEPT: &str = "page rendered and kept";
const FROM_MEMORY: &str = "page answered from memory";

/// The nonce of a page's CSP header.
fn nonce(reply: &Reply) -> String {
    let policy = reply.headers["content-security-policy"].to_str().unwrap();
    let start = policy.find("'nonce-").expect("a nonce in the CSP") + "'nonce-".len();
    let end = start + policy[start..].find('\'').unwrap();
    policy[start..end].to_owned()
}

/// The page with its nonce blanked out, for comparing two answers.
fn without_nonce(reply: &Reply) -> String {
    reply.body.replace(&nonce(reply), "NONCE")
}

fn count(logs: &str, event: &str) -> usize {
    logs.matches(event).count()
}

#[tokio::test]
async fn a_page_is_rendered_once_and_every_answer_gets_a_fresh_nonce() {
    let world = World::start().await;
    let mut jar = Jar::default();
    let logs = crate::logs::capture();

    let first = world.get(&mut jar, "/").await;
    let second = world.get(&mut jar, "/").await;
    let third = world.get(&mut jar, "/").await;
    let text = logs.text();
    assert_eq!(count(&text, KEPT), 1, "{text}");
    assert_eq!(count(&text, FROM_MEMORY), 2, "{text}");

    for reply in [&first, &second, &third] {
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.headers["cache-control"], "no-store");
        let nonce = nonce(reply);
        assert!(
            reply.body.matches(&format!("nonce=\"{nonce}\"")).count() >= 3,
            "the scripts carry the response's own nonce"
        );
    }
    assert_ne!(nonce(&first), nonce(&second));
    assert_ne!(nonce(&second), nonce(&third));
    assert!(
        !second.body.contains(&nonce(&first)),
        "an old nonce was served again"
    );
    assert_eq!(without_nonce(&first), without_nonce(&second));
    assert_eq!(without_nonce(&second), without_nonce(&third));
}

#[tokio::test]
async fn the_theme_cookie_and_a_query_string_get_pages_of_their_own() {
    let world = World::start().await;
    let mut jar = Jar::default();
    let system = world.get(&mut jar, "/").await;
    jar.0
        .insert("leptos_logto_theme".to_owned(), "dark".to_owned());
    let dark = world.get(&mut jar, "/").await;
    assert!(system.body.contains("data-theme=\"system\""));
    assert!(
        dark.body.contains("data-theme=\"dark\""),
        "the dark page was not rendered"
    );

    // Query strings are never cached: the page renders as usual.
    let logs = crate::logs::capture();
    let with_query = world.get(&mut jar, "/?utm_source=mail").await;
    assert_eq!(with_query.status, StatusCode::OK);
    let text = logs.text();
    assert_eq!(count(&text, KEPT) + count(&text, FROM_MEMORY), 0, "{text}");
}

#[tokio::test]
async fn signed_in_pages_are_kept_per_person_and_follow_their_tokens() {
    let world = World::start().await;
    let (mut ada, mut bob) = (Jar::default(), Jar::default());
    world
        .sign_in(&mut ada, "ada@example.com", "/logto/sign-in")
        .await;
    world
        .sign_in(&mut bob, "bob@example.com", "/logto/sign-in")
        .await;

    let logs = crate::logs::capture();
    for _ in 0..2 {
        for (jar, me, other) in [
            (&mut ada, "ada@example.com", "bob@example.com"),
            (&mut bob, "bob@example.com", "ada@example.com"),
        ] {
            let page = world.get(jar, "/profile").await;
            assert_eq!(page.status, StatusCode::OK);
            assert!(page.body.contains(me));
            assert!(!page.body.contains(other), "{me} was shown {other}'s page");
        }
    }
    let text = logs.text();
    assert_eq!(count(&text, KEPT), 2, "one render per person: {text}");
    assert_eq!(count(&text, FROM_MEMORY), 2, "{text}");

    // Refreshed tokens show at once.
    let refreshed = world.post(&mut ada, "/api/refresh", "", Some(ORIGIN)).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    let expires_at: u64 = refreshed.body.trim().parse().unwrap();
    let page = world.get(&mut ada, "/profile").await;
    assert!(
        page.body
            .contains(&leptos_logto::app::format::utc(expires_at)),
        "the profile shows the refreshed expiry"
    );

    // Signed out, the kept page is not served: sign-in is.
    world
        .post(&mut ada, "/api/sign-out", "", Some(ORIGIN))
        .await;
    let after = world.get(&mut ada, "/profile").await;
    assert_eq!(after.status, StatusCode::FOUND);
    let home = world.get(&mut ada, "/").await;
    assert!(!home.body.contains("ada@example.com"));
}

#[tokio::test]
async fn turned_off_every_view_is_rendered_and_looks_the_same() {
    let mut world = World::start().await;
    let mut jar = Jar::default();
    world
        .sign_in(&mut jar, "ada@example.com", "/logto/sign-in")
        .await;
    world.get(&mut jar, "/profile").await;
    let cached = world.get(&mut jar, "/profile").await;
    let cached_home = world.get(&mut jar, "/").await;

    // The restart keeps the provider (and so Ada's account) but not the app's sessions.
    world.restart(|mut settings| {
        settings.cache.page_bytes = 0;
        crate::support::app(settings)
    });
    let mut jar = Jar::default();
    world
        .sign_in(&mut jar, "ada@example.com", "/logto/sign-in")
        .await;
    let logs = crate::logs::capture();
    let rendered = world.get(&mut jar, "/profile").await;
    world.get(&mut jar, "/profile").await;
    let rendered_home = world.get(&mut jar, "/").await;
    let text = logs.text();
    assert_eq!(count(&text, KEPT) + count(&text, FROM_MEMORY), 0, "{text}");

    // Same person, same layout: the cached answers are what a render gives (the tokens, and so
    // the claims and expiry, differ between the two sign-ins).
    let shape = |reply: &Reply| {
        let body = without_nonce(reply);
        body.split("<h2>ID token claims</h2>")
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(without_nonce(&cached_home), without_nonce(&rendered_home));
    let (cached_top, rendered_top) = (shape(&cached), shape(&rendered));
    let expiry = |text: &str| {
        let start = text.find("data-testid=\"access-expiry\">").unwrap();
        text[..start].to_owned()
    };
    assert_eq!(expiry(&cached_top), expiry(&rendered_top));
}
