//! Sign-in through the app, and the web-layer security requirements of security.md.

use super::world::*;
use http::StatusCode;
use std::sync::Arc;

const ORIGIN: &str = APP_BASE;

#[tokio::test]
async fn sign_in_lands_on_return_to_with_a_new_session_and_the_profile_shows_the_user() {
    let world = World::start().await;
    let mut jar = Jar::default();
    // Anonymous pages create no session.
    world.get(&mut jar, "/").await;
    assert!(
        jar.session().is_none(),
        "no session cookie for an anonymous visit"
    );

    let protected = world.get(&mut jar, "/profile").await;
    assert_eq!(protected.status, StatusCode::FOUND);
    assert_eq!(protected.location(), "/logto/sign-in?return_to=%2Fprofile");

    let landed = world
        .sign_in(
            &mut jar,
            "ada@example.com",
            "/logto/sign-in?return_to=/profile",
        )
        .await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);
    assert_eq!(landed.location(), "/profile");
    assert_eq!(landed.headers["referrer-policy"], "no-referrer");
    let cookie = landed
        .headers
        .get_all(http::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("leptos_logto_session="))
        .expect("session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );

    let profile = world.get(&mut jar, "/profile").await;
    assert_eq!(profile.status, StatusCode::OK);
    assert!(profile.body.contains("User ID"), "{}", profile.body);
    assert!(profile.body.contains("ada@example.com"));
    assert_eq!(profile.headers["cache-control"], "no-store");
    // The claims' instants are plain markup that one island makes local (exp, iat, auth_time…).
    let instants = profile.body.matches("<time ").count();
    let marked = profile.body.matches(" data-local-time=\"").count();
    assert!(marked >= 2 && instants > marked, "{}", profile.body);
    assert_eq!(
        profile.body.matches("data-component=\"LocalTimes_").count(),
        1
    );
    assert_eq!(
        profile.body.matches("data-component=\"LocalTime_").count(),
        0
    );

    let home = world.get(&mut jar, "/").await;
    assert!(home.body.contains("Hello, "), "{}", home.body);
}

#[tokio::test]
async fn server_functions_answer_401_when_signed_out() {
    let world = World::start().await;
    let mut jar = Jar::default();
    for path in ["/api/profile", "/api/refresh"] {
        let reply = world.post(&mut jar, path, "", Some(ORIGIN)).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{path}: {}",
            reply.body
        );
    }
    let session = world.post(&mut jar, "/api/session", "", Some(ORIGIN)).await;
    assert_eq!(session.status, StatusCode::OK);
    assert!(session.body.contains("\"user\":null"), "{}", session.body);
}

#[tokio::test]
async fn refresh_server_function_returns_a_new_expiry() {
    let world = World::start().await;
    let mut jar = Jar::default();
    world
        .sign_in(&mut jar, "ada@example.com", "/logto/sign-in")
        .await;
    let before = world.recorded_tokens().len();
    let reply = world.post(&mut jar, "/api/refresh", "", Some(ORIGIN)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body.trim().parse::<u64>().is_ok(), "{}", reply.body);
    assert!(
        world.recorded_tokens().len() > before,
        "a refresh request reached the provider"
    );
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_change_nothing() {
    let world = World::start().await;
    let mut jar = Jar::default();
    world
        .sign_in(&mut jar, "ada@example.com", "/logto/sign-in")
        .await;
    for path in [
        "/api/sign-out",
        "/api/refresh",
        "/api/sign-in",
        "/api/session",
    ] {
        let evil = world
            .post(&mut jar, path, "", Some("https://evil.example"))
            .await;
        assert_eq!(evil.status, StatusCode::FORBIDDEN, "{path}");
        let no_origin = world.post(&mut jar, path, "", None).await;
        assert_eq!(
            no_origin.status,
            StatusCode::FORBIDDEN,
            "{path} without Origin"
        );
    }
    // Still signed in.
    assert_eq!(world.get(&mut jar, "/profile").await.status, StatusCode::OK);
    // A GET can never sign out: it shows a page with a button.
    let page = world.get(&mut jar, "/logto/sign-out").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Sign out"));
    assert_eq!(world.get(&mut jar, "/profile").await.status, StatusCode::OK);
}

/// The app's client at the embedded provider (the development registration).
const CLIENT: (&str, &str) = ("leptos-logto-dev", "dev-only-app-secret-not-for-production");

/// Asks the provider directly what `token` is still good for: (userinfo status, refresh-grant
/// status and `error`).
async fn provider_view_of(world: &World, token: &str) -> (u16, (u16, String)) {
    let http = reqwest::Client::new();
    let base = &world.provider_base;
    let userinfo = http
        .get(format!("{base}/oidc/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    let refresh = http
        .post(format!("{base}/oidc/token"))
        .basic_auth(CLIENT.0, Some(CLIENT.1))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .unwrap();
    let status = refresh.status().as_u16();
    let body: serde_json::Value = refresh.json().await.unwrap_or_default();
    (
        userinfo,
        (
            status,
            body["error"].as_str().unwrap_or_default().to_owned(),
        ),
    )
}

#[tokio::test]
async fn sign_out_ends_the_session_revokes_and_redirects_to_end_session() {
    let store = tower_sessions::MemoryStore::default();
    let sessions = store.clone();
    let world =
        World::start_with(move |settings| crate::support::app_with_store(settings, sessions)).await;
    let mut jar = Jar::default();
    world
        .sign_in(&mut jar, "ada@example.com", "/logto/sign-in")
        .await;
    let old_cookie = jar.clone();
    let session_id: tower_sessions::session::Id = jar.session().unwrap().parse().unwrap();
    assert!(
        tower_sessions::SessionStore::load(&store, &session_id)
            .await
            .unwrap()
            .is_some(),
        "the session row exists while signed in"
    );
    // The provider's opaque tokens of this sign-in (access and refresh; the ID token is a JWT):
    // the access token works before sign-out.
    let opaque: Vec<String> = world
        .recorded_tokens()
        .into_iter()
        .filter(|t| !t.contains('.'))
        .collect();
    assert_eq!(opaque.len(), 2, "one access and one refresh token");
    let mut usable_before = 0;
    for token in &opaque {
        if provider_view_of(&world, token).await.0 == 200 {
            usable_before += 1;
        }
    }
    assert_eq!(usable_before, 1, "the access token works at userinfo");

    let reply = world.post_form(&mut jar, "/api/sign-out", "").await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    let location = reply.location();
    assert!(
        location.starts_with(&format!("{}/oidc/session/end?", world.provider_base)),
        "{location}"
    );
    for param in [
        "id_token_hint=",
        "client_id=leptos-logto-dev",
        "post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3000",
    ] {
        assert!(location.contains(param), "{param} in {location}");
    }
    // No `state`: nothing would check it, and the person would land on `/?state=…`.
    assert!(!location.contains("state="), "{location}");
    // The session row is gone and the cookie is expired in the browser.
    assert!(
        tower_sessions::SessionStore::load(&store, &session_id)
            .await
            .unwrap()
            .is_none(),
        "the session row was deleted"
    );
    let expired = reply
        .headers
        .get_all(http::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("leptos_logto_session="))
        .expect("the sign-out answer expires the session cookie");
    assert!(expired.contains("Max-Age=0"), "{expired}");
    assert!(jar.session().is_none());
    // Revoked at the provider (before the end-session redirect is even followed): the refresh
    // token is refused, and with its grant the access token too.
    for token in &opaque {
        let (userinfo, refresh) = provider_view_of(&world, token).await;
        assert_eq!(
            userinfo, 401,
            "a token still works at userinfo after sign-out"
        );
        assert_eq!(refresh, (400, "invalid_grant".to_owned()));
    }
    assert_eq!(
        world.get(&mut jar, "/profile").await.status,
        StatusCode::FOUND
    );
    // The old cookie replayed is not signed in.
    let mut replay = old_cookie;
    assert_eq!(
        world.get(&mut replay, "/profile").await.status,
        StatusCode::FOUND
    );
    let session = world
        .post(&mut replay, "/api/session", "", Some(ORIGIN))
        .await;
    assert!(session.body.contains("\"user\":null"), "{}", session.body);
}

#[tokio::test]
async fn sign_in_and_sign_out_server_functions_redirect_the_wasm_client_too() {
    let world = World::start().await;
    let mut jar = Jar::default();
    let reply = world
        .post(&mut jar, "/api/sign-in", "register=true", Some(ORIGIN))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.headers.contains_key("serverfnredirect"));
    let location = reply.location();
    assert!(
        location.starts_with(&format!("{}/oidc/auth?", world.provider_base)),
        "{location}"
    );
    assert!(location.contains("first_screen=register"));
    let plain = world.post_form(&mut jar, "/api/sign-in", "").await;
    assert_eq!(plain.status, StatusCode::FOUND);
    assert!(!plain.location().contains("first_screen"));
}

#[tokio::test]
async fn a_planted_session_id_is_not_authenticated_after_sign_in() {
    let world = World::start().await;
    let mut jar = Jar::default();
    // The attacker's pre-login session: one with a pending transaction.
    let start = world.get(&mut jar, "/logto/sign-in").await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    let planted = jar.session().expect("a session holds the transaction");
    let callback = world
        .provider_sign_in(&start.location(), "victim@example.com")
        .await;
    let landed = world
        .get(&mut jar, callback.strip_prefix(APP_BASE).unwrap())
        .await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER);
    let cycled = jar.session().unwrap();
    assert_ne!(cycled, planted, "the session id changes at sign-in");
    let mut attacker = Jar::default();
    attacker
        .0
        .insert("leptos_logto_session".to_owned(), planted);
    assert_eq!(
        world.get(&mut attacker, "/profile").await.status,
        StatusCode::FOUND
    );
}

#[tokio::test]
async fn callback_failures_end_on_a_clean_error_page() {
    let world = World::start().await;
    let mut jar = Jar::default();
    // Cancelled at the provider (with our state and the right iss).
    let start = world.get(&mut jar, "/logto/sign-in").await;
    let authorize = url::Url::parse(&start.location()).unwrap();
    let state = authorize
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let iss = format!("{}/oidc", world.provider_base);
    let cancelled = format!(
        "/logto/sign-in-callback?error=access_denied&error_description=%3Cscript%3E&state={state}&iss={}",
        urlencoding::encode(&iss)
    );
    let reply = world.get(&mut jar, &cancelled).await;
    assert_eq!(reply.location(), "/sign-in-error?reason=cancelled");
    let page = world.get(&mut jar, "/sign-in-error?reason=cancelled").await;
    assert!(page.body.contains("Sign-in was cancelled"));
    assert!(page.body.contains("Try again"));
    assert!(!page.body.contains("<script>"));

    // Tampered and replayed state.
    let start = world.get(&mut jar, "/logto/sign-in").await;
    let callback = world
        .provider_sign_in(&start.location(), "ada@example.com")
        .await;
    let path = callback.strip_prefix(APP_BASE).unwrap().to_owned();
    let tampered = path.replace("state=", "state=x");
    assert_eq!(
        world.get(&mut jar, &tampered).await.location(),
        "/sign-in-error?reason=invalid_request"
    );
    assert_eq!(
        world.get(&mut jar, &path).await.location(),
        "/profile".replace("/profile", "/")
    );
    assert_eq!(
        world.get(&mut jar, &path).await.location(),
        "/sign-in-error?reason=invalid_request",
        "replayed"
    );
}

#[tokio::test]
async fn open_redirect_probes_land_on_the_home_page() {
    let world = World::start().await;
    for probe in [
        "https://evil.example",
        "//evil.example",
        "/%5Cevil.example",
        "/%09/evil.example",
        "javascript:alert(1)",
        "%2F%2Fevil.example",
    ] {
        let mut jar = Jar::default();
        let start = format!("/logto/sign-in?return_to={}", urlencoding::encode(probe));
        let landed = world.sign_in(&mut jar, "ada@example.com", &start).await;
        assert_eq!(landed.location(), "/", "{probe}");
    }
}

#[tokio::test]
async fn no_token_reaches_a_page_a_server_function_a_header_or_the_log() {
    let logs = crate::logs::capture();
    let world = World::start().await;
    let mut jar = Jar::default();
    // The callback's own answer (headers and body) is searched too.
    let mut seen = vec![
        world
            .sign_in(
                &mut jar,
                "ada@example.com",
                "/logto/sign-in?return_to=/profile",
            )
            .await,
    ];
    assert_eq!(seen[0].status, StatusCode::SEE_OTHER);
    assert_eq!(seen[0].location(), "/profile");
    // The cookies the browser holds after sign-in.
    let cookies_after_sign_in = jar.header();
    for path in [
        "/",
        "/profile",
        "/logto/sign-out",
        "/sign-in-error?reason=expired",
        "/nowhere",
        "/healthz",
    ] {
        seen.push(world.get(&mut jar, path).await);
    }
    for path in [
        "/api/session",
        "/api/profile",
        "/api/refresh",
        "/api/session",
    ] {
        seen.push(world.post(&mut jar, path, "", Some(ORIGIN)).await);
    }
    let cookies_before_sign_out = jar.header();
    let sign_out = world
        .post(&mut jar, "/api/sign-out", "", Some(ORIGIN))
        .await;
    // Follow the end-session redirect to the provider, and its redirect back to the app.
    let end_session = sign_out.location();
    assert!(
        end_session.starts_with(&format!("{}/oidc/session/end?", world.provider_base)),
        "{end_session}"
    );
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let at_provider = http.get(&end_session).send().await.unwrap();
    let provider_headers: Vec<(String, String)> = at_provider
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let back = at_provider
        .headers()
        .get(reqwest::header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let provider_body = at_provider.text().await.unwrap();
    let landing = back
        .strip_prefix(APP_BASE)
        .unwrap_or_else(|| panic!("back at the app: {back:?}, {provider_body}"));
    let landing = format!("/{}", landing.trim_start_matches('/'));
    seen.push(sign_out);
    seen.push(world.get(&mut jar, &landing).await);

    let tokens = world.recorded_tokens();
    // Access, refresh and ID token of the sign-in, then at least the refreshed access and ID
    // tokens.
    assert!(tokens.len() >= 5, "tokens were recorded: {}", tokens.len());
    let id_tokens: Vec<&String> = tokens.iter().filter(|t| t.contains('.')).collect();
    assert!(id_tokens.len() >= 2, "ID tokens are JWTs");
    assert!(
        tokens.iter().filter(|t| !t.contains('.')).count() >= 3,
        "access and refresh tokens are opaque"
    );
    let log_text = logs.text();
    for token in &tokens {
        let is_id_token = token.contains('.');
        for reply in &seen {
            assert!(!reply.body.contains(token.as_str()), "a token in a body");
            for (name, value) in &reply.headers {
                let value = value.to_str().unwrap_or_default();
                // The end-session redirect carries the ID token as id_token_hint, by design of
                // RP-initiated logout; nothing else may, and it carries no other token.
                if is_id_token
                    && name == http::header::LOCATION
                    && value.contains("/oidc/session/end?")
                {
                    continue;
                }
                assert!(!value.contains(token.as_str()), "a token in header {name}");
            }
        }
        for (name, value) in &provider_headers {
            assert!(
                !value.contains(token.as_str()),
                "a token in the provider's end-session header {name}"
            );
        }
        assert!(!provider_body.contains(token.as_str()));
        assert!(!back.contains(token.as_str()), "a token in {back}");
        for cookies in [
            &cookies_after_sign_in,
            &cookies_before_sign_out,
            &jar.header(),
        ] {
            assert!(!cookies.contains(token.as_str()), "a token in a cookie");
        }
        assert!(!log_text.contains(token.as_str()), "a token in the log");
    }
    // The hint is one of the ID tokens (the loop above allowed nothing else in that URL).
    assert!(id_tokens.iter().any(|t| end_session.contains(t.as_str())));
}

#[tokio::test]
async fn a_refresh_refused_while_a_page_loads_signs_out_cleanly() {
    use leptos_logto::clock::{Clock, ManualClock, SystemClock};
    let clock = Arc::new(ManualClock::at(SystemClock.unix_seconds()));
    let app_clock = Arc::clone(&clock);
    let world = World::start_with(move |settings| {
        let sessions =
            leptos_logto::server::session::layer(tower_sessions::MemoryStore::default(), &settings);
        let state = leptos_logto::server::AppState::new(
            settings,
            app_clock,
            leptos_logto::auth::MemoryGrants::shared(),
        )
        .unwrap();
        leptos_logto::server::router(state, sessions, leptos_logto::app::site())
    })
    .await;
    let mut jar = Jar::default();
    world
        .sign_in(&mut jar, "ada@example.com", "/logto/sign-in")
        .await;
    // The grant ends at the provider (revoked elsewhere), and the access token expires here.
    let refresh_token = world.recorded_tokens()[1].clone();
    let revoked = reqwest::Client::new()
        .post(format!("{}/oidc/token/revocation", world.provider_base))
        .basic_auth(
            "leptos-logto-dev",
            Some("dev-only-app-secret-not-for-production"),
        )
        .form(&[
            ("token", refresh_token.as_str()),
            ("token_type_hint", "refresh_token"),
        ])
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success());
    clock.advance(std::time::Duration::from_secs(7200));

    let page = world
        .app_request(
            &mut jar,
            http::Request::get("/")
                .header(http::header::ACCEPT, "text/html")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(r#"data-testid="sign-in""#),
        "signed-out view"
    );
    assert!(!page.body.contains("ada@example.com"));
    let removal = page
        .headers
        .get_all(http::header::SET_COOKIE)
        .iter()
        .any(|cookie| {
            cookie
                .to_str()
                .unwrap()
                .starts_with("leptos_logto_session=;")
        });
    assert!(removal, "the session cookie is removed: {:?}", page.headers);
    assert_eq!(jar.session(), None);
}

/// The guard treats a HEAD like the GET it stands for: signed out, it goes to sign in; signed in,
/// the page's data is worked out before the render just the same (without it the page would
/// render its 500 "unavailable" instead).
#[tokio::test]
async fn a_head_request_for_a_page_is_guarded_and_prepared_like_a_get() {
    let world = World::start().await;
    let mut jar = Jar::default();
    let head = || {
        http::Request::head("/profile")
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let signed_out = world.app_request(&mut jar, head()).await;
    assert_eq!(signed_out.status, StatusCode::FOUND);
    assert_eq!(signed_out.location(), "/logto/sign-in?return_to=%2Fprofile");

    world
        .sign_in(
            &mut jar,
            "ada@example.com",
            "/logto/sign-in?return_to=/profile",
        )
        .await;
    let signed_in = world.app_request(&mut jar, head()).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    assert_eq!(signed_in.headers["cache-control"], "no-store");
}
