//! Several provider instances on one PostgreSQL database (`PROVIDER_STORE_URL`): the store's
//! single-use, rotation and send-limit rules raced by separate OS processes (this test binary
//! re-run as children, each with its own `PostgresStore`), and two `Provider`s sharing keys,
//! users, sign-ins in progress, the sign-in experience and sealed connector secrets.

use super::harness::*;
use crate::postgres_database::TestDatabase;
use http::{header, Request, StatusCode};
use leptos_logto::config::{EmailConnectorSetting, SesAccessKey, SesSettings};
use leptos_logto::idp::store::postgres::PostgresStore;
use leptos_logto::idp::store::{
    Admission, Consumed, Kind, NewCode, Record, Rotation, SendLimits, SharedStore, Store,
};
use leptos_logto::secret::Secret;
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

const NOW: u64 = 1_800_000_000;
/// Child processes per race, and concurrent calls in each.
const CHILDREN: usize = 4;
const CALLS_PER_CHILD: usize = 8;
const SEND_LIMIT: u64 = 5;
const RECIPIENT: &str = "ada@example.com";
const RACE_TIMEOUT: Duration = Duration::from_secs(120);

// --- the child side ---

const ROLE_VARIABLE: &str = "IDP_PG_RACE_ROLE";
const URL_VARIABLE: &str = "IDP_PG_RACE_URL";
const CHILD_VARIABLE: &str = "IDP_PG_RACE_CHILD";
const READY: &str = "race-child: ready";
const OUTCOME: &str = "race-child outcome: ";
const CHILD_TEST: &str = "provider::postgres::race_child";

/// The body of a child process that [`race_in_processes`] starts (`IDP_PG_RACE_ROLE` set):
/// opens its own store on the database, says it is ready, waits for the release line on stdin,
/// makes its calls at once and prints their outcomes. Run by itself it has nothing to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::print_stdout)] // stdout is how a child reports to its parent
async fn race_child() {
    let Ok(role) = std::env::var(ROLE_VARIABLE) else {
        return;
    };
    let url = Secret::new(std::env::var(URL_VARIABLE).unwrap());
    let child: usize = std::env::var(CHILD_VARIABLE).unwrap().parse().unwrap();
    let store: SharedStore = Arc::new(PostgresStore::open(&url).await.unwrap());
    // Open the pool's connections now (a connection per call), so that after the release the
    // calls hit the database together instead of one per new connection.
    for _ in 0..3 {
        let warming: Vec<_> = (0..CALLS_PER_CHILD)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { store.find(Kind::Session, "warm-up", NOW).await })
            })
            .collect();
        for warm in warming {
            warm.await.unwrap().unwrap();
        }
    }
    println!("{READY}");
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).unwrap();
    })
    .await
    .unwrap();
    let calls: Vec<_> = (0..CALLS_PER_CHILD)
        .map(|call| {
            let store = Arc::clone(&store);
            let role = role.clone();
            tokio::spawn(async move { race_call(store.as_ref(), &role, child, call).await })
        })
        .collect();
    for call in calls {
        println!("{OUTCOME}{}", call.await.unwrap());
    }
}

/// One call of the race `role`, and its outcome in a word.
async fn race_call(store: &dyn Store, role: &str, child: usize, call: usize) -> &'static str {
    match role {
        "redeem-code" => match store
            .consume(Kind::AuthorizationCode, "code-1", NOW)
            .await
            .unwrap()
        {
            Consumed::First(_) => "first",
            Consumed::Already(_) => "already",
            Consumed::Missing => "missing",
        },
        "rotate-refresh-token" => match store
            .rotate(
                Kind::RefreshToken,
                "rt-1",
                &format!("rt-{child}-{call}"),
                Record::new(json!({ "sub": "ada" }), NOW + 3_600).with_grant("g-1"),
                3,
                NOW,
            )
            .await
            .unwrap()
        {
            Rotation::Rotated(before) if before.consumed_at.is_none() => "first",
            Rotation::Rotated(_) => "rotated-within-grace",
            Rotation::Reused { .. } => "reused",
            Rotation::Missing => "missing",
        },
        "send-code" => {
            let code = NewCode {
                interaction: format!("i-{child}-{call}"),
                recipient: RECIPIENT.to_owned(),
                mac: "mac".to_owned(),
                expires_at: NOW + 600,
            };
            let limits = SendLimits {
                window: 600,
                max_sends: SEND_LIMIT,
                resend_after: 0,
            };
            match store.admit_code(&code, limits, NOW).await.unwrap() {
                Admission::Admitted => "admitted",
                Admission::RateLimited => "rate-limited",
                Admission::TooSoon { .. } => "too-soon",
            }
        }
        other => panic!("unknown race role {other}"),
    }
}

// --- the parent side ---

/// Starts [`CHILDREN`] processes of this test binary running [`race_child`] with `role` on the
/// database at `url`, waits until every one has opened its store, releases them together and
/// returns all their outcomes.
fn race_in_processes(role: &str, url: &str) -> Vec<String> {
    let binary = std::env::current_exe().unwrap();
    let mut children: Vec<_> = (0..CHILDREN)
        .map(|child| {
            Command::new(&binary)
                .args([CHILD_TEST, "--exact", "--nocapture", "--test-threads=1"])
                .env(ROLE_VARIABLE, role)
                .env(URL_VARIABLE, url)
                .env(CHILD_VARIABLE, child.to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut outputs: Vec<_> = children
        .iter_mut()
        .map(|child| BufReader::new(child.stdout.take().unwrap()))
        .collect();
    for output in &mut outputs {
        loop {
            let mut line = String::new();
            assert_ne!(
                output.read_line(&mut line).unwrap(),
                0,
                "a child exited before it was ready"
            );
            // libtest may have printed `test … ` on the same line first.
            if line.trim_end().ends_with(READY) {
                break;
            }
        }
    }
    for child in &mut children {
        child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    }
    let mut outcomes = Vec::new();
    for (child, output) in children.iter_mut().zip(outputs) {
        for line in output.lines() {
            let line = line.unwrap();
            if let Some((_, outcome)) = line.split_once(OUTCOME) {
                outcomes.push(outcome.trim_end().to_owned());
            }
        }
        assert!(child.wait().unwrap().success(), "a child failed");
    }
    assert_eq!(outcomes.len(), CHILDREN * CALLS_PER_CHILD, "{outcomes:?}");
    outcomes
}

/// [`race_in_processes`] on a thread of its own, failing the test when the children have not
/// finished within [`RACE_TIMEOUT`] (a detached thread, so a hung race cannot hold the test).
async fn race(role: &'static str, database: &TestDatabase) -> Vec<String> {
    let url = database.url();
    let (done, outcomes) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || done.send(race_in_processes(role, &url)));
    tokio::time::timeout(RACE_TIMEOUT, outcomes)
        .await
        .expect("the child processes finished in time")
        .expect("the race ran to the end")
}

fn count(outcomes: &[String], word: &str) -> usize {
    outcomes.iter().filter(|outcome| *outcome == word).count()
}

async fn open(database: &TestDatabase) -> SharedStore {
    Arc::new(
        PostgresStore::open(&Secret::new(database.url()))
            .await
            .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_racing_to_redeem_one_authorization_code_redeem_it_once() {
    let database = TestDatabase::create().await;
    let store = open(&database).await;
    store
        .upsert(
            Kind::AuthorizationCode,
            "code-1",
            Record::new(json!({ "client_id": "web-app" }), NOW + 60).with_grant("g-1"),
        )
        .await
        .unwrap();

    let outcomes = race("redeem-code", &database).await;

    assert_eq!(count(&outcomes, "first"), 1, "{outcomes:?}");
    assert_eq!(count(&outcomes, "already"), outcomes.len() - 1);
    let stored = store.find(Kind::AuthorizationCode, "code-1", NOW).await;
    assert_eq!(stored.unwrap().unwrap().consumed_at, Some(NOW));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_racing_to_rotate_one_refresh_token_consume_it_once() {
    let database = TestDatabase::create().await;
    let store = open(&database).await;
    store
        .upsert(
            Kind::RefreshToken,
            "rt-1",
            Record::new(json!({ "sub": "ada" }), NOW + 3_600).with_grant("g-1"),
        )
        .await
        .unwrap();

    let outcomes = race("rotate-refresh-token", &database).await;

    assert_eq!(
        count(&outcomes, "first"),
        1,
        "exactly one consumed it: {outcomes:?}"
    );
    assert_eq!(
        count(&outcomes, "rotated-within-grace"),
        outcomes.len() - 1,
        "the others came within Logto's reuse window"
    );
    let old = store.find(Kind::RefreshToken, "rt-1", NOW).await.unwrap();
    assert_eq!(old.unwrap().consumed_at, Some(NOW));
    for child in 0..CHILDREN {
        for call in 0..CALLS_PER_CHILD {
            let id = format!("rt-{child}-{call}");
            let successor = store.find(Kind::RefreshToken, &id, NOW).await.unwrap();
            assert!(successor.is_some(), "{id} stored");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_racing_to_send_codes_to_one_address_stay_within_its_limit() {
    let database = TestDatabase::create().await;
    let store = open(&database).await;

    let outcomes = race("send-code", &database).await;

    let limit = usize::try_from(SEND_LIMIT).unwrap();
    assert_eq!(count(&outcomes, "admitted"), limit, "{outcomes:?}");
    assert_eq!(count(&outcomes, "rate-limited"), outcomes.len() - limit);
    let mut stored = 0;
    for child in 0..CHILDREN {
        for call in 0..CALLS_PER_CHILD {
            let code = store.find_code(&format!("i-{child}-{call}"), NOW).await;
            stored += usize::from(code.unwrap().is_some());
        }
    }
    assert_eq!(stored, limit, "one code stored per admitted send");
}

// --- two providers on one database ---

const SHARED_KEY: [u8; 32] = [9; 32];

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_keys_tokens_users_and_sign_ins() {
    let database = TestDatabase::create().await;
    let a = Harness::instance(open(&database).await, &SHARED_KEY).await;
    let b = Harness::instance(open(&database).await, &SHARED_KEY).await;

    let jwks_a = a.get(None, "/oidc/jwks").await;
    let jwks_b = b.get(None, "/oidc/jwks").await;
    assert_eq!(jwks_a.status, StatusCode::OK);
    assert_eq!(jwks_a.body, jwks_b.body, "one signing key set");

    // A token issued through A is accepted by B, and B rotates A's refresh token.
    let tokens = a.tokens_for("ada@example.com").await;
    let sub = jwt_claims(tokens["id_token"].as_str().unwrap())["sub"].clone();
    let me = b.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.json()["sub"], sub);
    let refreshed = b.refresh(tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    let me = a
        .userinfo(refreshed.json()["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me.status, StatusCode::OK, "and back: {}", me.body);

    // The user created on A signs in on B: the same account.
    let code = b.code_for("ada@example.com", &[]).await;
    let reply = b.exchange(&code, VERIFIER).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        jwt_claims(reply.json()["id_token"].as_str().unwrap())["sub"],
        sub
    );
    assert_eq!(b.store.count_users().await.unwrap(), 1);

    // A sign-in started on A finishes on B (a load balancer alternating): the interaction, the
    // mailed code's pepper and the browser's cookies all work on either instance.
    let mut browser = Browser::default();
    let started = a.get(Some(&mut browser), &a.authorize_uri(&[])).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let sent = a
        .post_form(
            Some(&mut browser),
            "/sign-in/email",
            form(&[("email", "grace@example.com")]),
        )
        .await;
    assert_eq!(sent.location(), "/sign-in/verify", "{}", sent.body);
    let mailed = b.last_code_for("grace@example.com").await.unwrap();
    let done = b
        .post_form(
            Some(&mut browser),
            "/sign-in/verify",
            form(&[("code", &mailed)]),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let code = done.location_param("code").expect("redirected with a code");
    assert_eq!(a.exchange(&code, VERIFIER).await.status, StatusCode::OK);
    assert_eq!(a.store.count_users().await.unwrap(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_the_sign_in_experience_and_sealed_secrets() {
    let database = TestDatabase::create().await;
    let a = Harness::instance(open(&database).await, &SHARED_KEY).await;
    let b = Harness::instance(open(&database).await, &SHARED_KEY).await;

    let token = a.management_token().await;
    let patch = Request::patch("/api/sign-in-exp")
        .header(header::AUTHORIZATION, bearer(&token))
        .header(header::CONTENT_TYPE, "application/json")
        .body(json!({ "signInMode": "SignIn" }).to_string().into())
        .unwrap();
    let patched = a.send(None, patch).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    let token = b.management_token().await;
    let read = Request::get("/api/sign-in-exp")
        .header(header::AUTHORIZATION, bearer(&token))
        .body(axum::body::Body::empty())
        .unwrap();
    let read = b.send(None, read).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(read.json()["signInMode"], "SignIn", "B sees A's change");

    // A sealed the connector secret; B, with the same key, opens it; an instance with another
    // key cannot.
    let ses = EmailConnectorSetting::AwsSes(SesSettings {
        region: "eu-west-1".to_owned(),
        sender: "no-reply@example.com".to_owned(),
        access_key: Some(SesAccessKey {
            id: "AKIAEXAMPLE".to_owned(),
            secret: Secret::new("ses-secret-sentinel"),
        }),
        configuration_set: None,
    });
    a.provider
        .connectors
        .apply_settings(Some(&ses))
        .await
        .unwrap();
    let opened = b.provider.connectors.email_sender().await;
    assert!(matches!(opened, Ok(Some(_))), "B opens the secret A sealed");
    let stranger = Harness::instance(open(&database).await, &[3; 32]).await;
    assert!(
        stranger.provider.connectors.email_sender().await.is_err(),
        "another key cannot open it"
    );
}
