//! Benchmark of the embedded provider on a real socket with its SQLite store: full email-code
//! sign-ins per second (authorize → email → code → token) and token-endpoint exchanges per second,
//! with the latency of each hop. Prints figures; asserts nothing.
//!
//! Run: `cargo bench --features ssr --bench provider_flow` (env `SIGN_INS`, `CONCURRENCY`).

// A benchmark: any failure should stop it loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use leptos_logto::idp::store::sqlite::SqliteStore;
use leptos_logto::idp::store::SharedStore;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "common/mod.rs"]
mod common;
#[path = "../tests/fixtures/provider.rs"]
mod fixture;

use common::{env_number, location, percentile};

use fixture::ProviderFixture;

const CALLBACK: &str = "http://localhost:3000/logto/sign-in-callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

struct Bench {
    base: String,
    store: SharedStore,
    http: reqwest::Client,
    authorize: String,
}

#[derive(Default)]
struct Hops {
    authorize: Vec<Duration>,
    email: Vec<Duration>,
    verify: Vec<Duration>,
    token: Vec<Duration>,
}

fn cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap().to_owned())
        .find(|pair| pair.starts_with(&format!("{name}=")) && !pair.ends_with('='))
}

impl Bench {
    async fn start() -> (Self, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store: SharedStore = Arc::new(
            SqliteStore::open(&dir.path().join("provider.sqlite"))
                .await
                .unwrap(),
        );
        let socket = fixture::socket().await;
        let base = socket.base_url.clone();
        ProviderFixture::at(&base)
            .store(store.clone())
            .web_app("bench", "bench-secret", &[CALLBACK], &[])
            .serve(socket.listener, |router| router)
            .await;
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
        let authorize = format!(
            "{base}/oidc/auth?client_id=bench&redirect_uri={}&response_type=code&scope=openid%20offline_access%20profile%20email&state=s&nonce=n&code_challenge={challenge}&code_challenge_method=S256&prompt=consent",
            urlencoding::encode(CALLBACK)
        );
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(64)
            .build()
            .unwrap();
        (
            Self {
                base,
                store,
                http,
                authorize,
            },
            dir,
        )
    }

    async fn code_for(&self, email: &str) -> String {
        let mails = self.store.list_mail(200).await.unwrap();
        let mail = mails.into_iter().find(|m| m.to == email).expect("mail");
        mail.subject.chars().filter(char::is_ascii_digit).collect()
    }

    /// One full sign-in; returns the hop durations and the provider session cookie.
    async fn sign_in(&self, email: &str) -> ([Duration; 4], String) {
        let started = Instant::now();
        let start = self.http.get(&self.authorize).send().await.unwrap();
        let interaction = cookie(&start, "idp_interaction").unwrap();
        let authorize = started.elapsed();

        let started = Instant::now();
        let sent = self
            .http
            .post(format!("{}/sign-in/email", self.base))
            .header("cookie", &interaction)
            .header("origin", &self.base)
            .form(&[("email", email)])
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), 303);
        let email_hop = started.elapsed();

        let code = self.code_for(email).await;
        let started = Instant::now();
        let done = self
            .http
            .post(format!("{}/sign-in/verify", self.base))
            .header("cookie", &interaction)
            .header("origin", &self.base)
            .form(&[("code", code.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 303);
        let session = cookie(&done, "idp_session").unwrap();
        let callback = url::Url::parse(&location(&done)).unwrap();
        let verify = started.elapsed();

        let code = callback
            .query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned();
        let started = Instant::now();
        self.exchange(&code).await;
        (([authorize, email_hop, verify, started.elapsed()]), session)
    }

    async fn exchange(&self, code: &str) {
        let response = self
            .http
            .post(format!("{}/oidc/token", self.base))
            .basic_auth("bench", Some("bench-secret"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("code_verifier", VERIFIER),
                ("redirect_uri", CALLBACK),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let _body = response.bytes().await.unwrap();
    }

    /// A code for a browser already signed in at the provider (no form).
    async fn silent_code(&self, session: &str) -> String {
        let response = self
            .http
            .get(&self.authorize)
            .header("cookie", session)
            .send()
            .await
            .unwrap();
        let callback = url::Url::parse(&location(&response)).unwrap();
        callback
            .query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned()
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let sign_ins = env_number("SIGN_INS", 400);
    let concurrency = env_number("CONCURRENCY", 8);
    let (bench, _dir) = Bench::start().await;
    let bench = Arc::new(bench);

    // Warm up connections and caches.
    let (_, session) = bench.sign_in("warmup@example.com").await;

    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let bench = Arc::clone(&bench);
        tasks.push(tokio::spawn(async move {
            let mut hops = Hops::default();
            for i in (worker..sign_ins).step_by(concurrency) {
                let ([a, e, v, t], _) = bench.sign_in(&format!("user{i}@example.com")).await;
                hops.authorize.push(a);
                hops.email.push(e);
                hops.verify.push(v);
                hops.token.push(t);
            }
            hops
        }));
    }
    let mut all = Hops::default();
    for task in tasks {
        let hops = task.await.unwrap();
        all.authorize.extend(hops.authorize);
        all.email.extend(hops.email);
        all.verify.extend(hops.verify);
        all.token.extend(hops.token);
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!("provider_flow: {sign_ins} full sign-ins (authorize → email → code → token), concurrency {concurrency}, SQLite store");
    println!("  sign-ins per second: {:.1}", sign_ins as f64 / elapsed);
    for (name, samples) in [
        ("authorize", &mut all.authorize),
        ("email (code issued + mailed)", &mut all.email),
        ("verify code (+ user, session, code)", &mut all.verify),
        ("token exchange", &mut all.token),
    ] {
        println!(
            "  hop {name:<36} p50 {:>6.2} ms   p95 {:>6.2} ms",
            percentile(samples, 0.5),
            percentile(samples, 0.95)
        );
    }

    // Token endpoint alone: codes minted silently for a signed-in browser, then exchanged.
    let exchanges = env_number("EXCHANGES", 1000);
    let mut codes = Vec::with_capacity(exchanges);
    for _ in 0..exchanges {
        codes.push(bench.silent_code(&session).await);
    }
    let codes = Arc::new(tokio::sync::Mutex::new(codes));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let bench = Arc::clone(&bench);
        let codes = Arc::clone(&codes);
        tasks.push(tokio::spawn(async move {
            while let Some(code) = codes.lock().await.pop() {
                bench.exchange(&code).await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "  token exchanges per second: {:.1} ({exchanges} codes, concurrency {concurrency})",
        exchanges as f64 / elapsed
    );
}
