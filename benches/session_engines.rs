//! Benchmark of the app's session engines on real sockets, in one run: signed-in `/profile`
//! throughput over many distinct sessions with sessions in SQLite, Redis and PostgreSQL, against a
//! bare axum handler serving the same bytes; then full sign-ins per second (app → provider → app)
//! with one app instance and with two on one Redis. Prints figures; asserts nothing.
//!
//! Run: `scripts/bench` (which starts Redis and PostgreSQL), or with `TEST_REDIS_URL` and
//! `TEST_POSTGRES_URL` set, `cargo bench --features ssr --bench session_engines`
//! (env `SESSIONS`, `SECONDS`, `CONCURRENCY`, `SIGN_INS`).

// The app's settings island has a deeply nested view type (see src/main.rs).
#![recursion_limit = "512"]
// A benchmark: any failure should stop it loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

#[path = "common/mod.rs"]
mod common;
#[path = "../tests/fixtures/provider.rs"]
mod fixture;

use common::{env_number, location, percentile};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fixture::ProviderFixture;
use leptos_logto::clock::SystemClock;
use leptos_logto::idp::Provider;
use leptos_logto::server::{router, session, AppState};
use leptos_logto::sessions::Engine;

const APP_BASE: &str = "http://localhost:3000";
const SESSION_COOKIE: &str = "leptos_logto_session";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(256)
        .build()
        .unwrap()
}

fn cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect()
}

/// Serves `app` on a loopback port; its base URL.
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(leptos_logto::runtime::serve::serve(
        listener,
        app,
        std::future::pending(),
    ));
    base
}

struct Bench {
    provider_base: String,
    provider: Provider,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Bench {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let socket = fixture::socket().await;
        let provider_base = socket.base_url.clone();
        let callback = format!("{APP_BASE}/logto/sign-in-callback");
        let provider = ProviderFixture::at(&provider_base)
            .web_app(
                "leptos-logto-dev",
                "dev-only-app-secret-not-for-production",
                &[&callback],
                &[APP_BASE],
            )
            .serve(socket.listener, |router| router)
            .await;
        Self {
            provider_base,
            provider,
            http: http(),
            _dir: dir,
        }
    }

    /// An app instance with sessions at `store_url` (SQLite in a fresh directory when `None`).
    async fn instance(&self, store_url: Option<&str>) -> String {
        let mut settings = leptos_logto::config::load(
            Some(("Leptos.toml", include_str!("../Leptos.toml"))),
            &|name: &str| match name {
                "LOGTO_ENDPOINT" => Some(self.provider_base.clone()),
                "SESSION_STORE_URL" => store_url.map(str::to_owned),
                _ => None,
            },
        )
        .unwrap();
        settings.data_dir = tempfile::tempdir().unwrap().keep();
        let engine = Engine::open(&settings, Arc::new(SystemClock))
            .await
            .unwrap();
        let sessions = session::layer(engine.sessions.clone(), &settings);
        let state = AppState::new(settings, Arc::new(SystemClock), engine.grants).unwrap();
        serve(router(state, sessions, leptos_logto::app::site())).await
    }

    /// Signs `email` in: starts on `first`, the callback lands on `second`; the session cookie.
    async fn sign_in(&self, first: &str, second: &str, email: &str) -> String {
        let start = self
            .http
            .get(format!("{first}/logto/sign-in"))
            .send()
            .await
            .unwrap();
        assert_eq!(start.status(), 303);
        let app_cookies = cookies(&start).join("; ");
        let authorize = self.http.get(location(&start)).send().await.unwrap();
        let idp_cookies = cookies(&authorize).join("; ");
        let base = &self.provider_base;
        let sent = self
            .http
            .post(format!("{base}/sign-in/email"))
            .header("cookie", &idp_cookies)
            .header("origin", base.as_str())
            .form(&[("email", email)])
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), 303);
        let mails = self.provider.store.list_mail(10_000).await.unwrap();
        let mail = mails.iter().find(|m| m.to == email).unwrap();
        let code: String = mail.subject.chars().filter(char::is_ascii_digit).collect();
        let done = self
            .http
            .post(format!("{base}/sign-in/verify"))
            .header("cookie", &idp_cookies)
            .header("origin", base.as_str())
            .form(&[("code", code.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 303);
        let callback = location(&done);
        let path = callback.strip_prefix(APP_BASE).unwrap();
        let landed = self
            .http
            .get(format!("{second}{path}"))
            .header("cookie", &app_cookies)
            .send()
            .await
            .unwrap();
        assert_eq!(landed.status(), 303);
        cookies(&landed)
            .into_iter()
            .find(|c| c.starts_with(SESSION_COOKIE))
            .unwrap()
    }
}

/// `GET url` with the `sessions` in turn from `concurrency` workers for `seconds`: req/s, p50, p99.
async fn hammer(
    url: String,
    sessions: Arc<Vec<String>>,
    concurrency: usize,
    seconds: u64,
) -> (f64, f64, f64) {
    let http = http();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..concurrency {
        let (http, url, sessions, stop) = (
            http.clone(),
            url.clone(),
            Arc::clone(&sessions),
            Arc::clone(&stop),
        );
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut next = worker;
            while !stop.load(Ordering::Relaxed) {
                let mut request = http.get(&url);
                if !sessions.is_empty() {
                    request = request.header("cookie", &sessions[next % sessions.len()]);
                }
                next += concurrency;
                let sent = Instant::now();
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), 200);
                let _body = response.bytes().await.unwrap();
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rate = all.len() as f64 / elapsed;
    (rate, percentile(&mut all, 0.5), percentile(&mut all, 0.99))
}

/// `sign_ins` people signed in, `concurrency` at a time, over `instances` (round robin, the
/// callback on the next one): sign-ins per second.
async fn sign_ins_per_second(
    bench: &Arc<Bench>,
    instances: &[String],
    sign_ins: usize,
    concurrency: usize,
    tag: &str,
) -> f64 {
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..concurrency {
        let (bench, instances, tag) = (Arc::clone(bench), instances.to_vec(), tag.to_owned());
        workers.push(tokio::spawn(async move {
            for n in (worker..sign_ins).step_by(concurrency) {
                let first = &instances[n % instances.len()];
                let second = &instances[(n + 1) % instances.len()];
                bench
                    .sign_in(first, second, &format!("{tag}-{n}@example.com"))
                    .await;
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    sign_ins as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let people = env_number("SESSIONS", 500);
    let seconds = env_number("SECONDS", 8) as u64;
    let concurrency = env_number("CONCURRENCY", 32);
    let sign_ins = env_number("SIGN_INS", 300);
    let redis = std::env::var("TEST_REDIS_URL").expect("TEST_REDIS_URL (scripts/bench sets it)");
    let postgres =
        std::env::var("TEST_POSTGRES_URL").expect("TEST_POSTGRES_URL (scripts/bench sets it)");
    let bench = Arc::new(Bench::start().await);

    println!(
        "session_engines: signed-in /profile over {people} distinct sessions, {concurrency} \
         connections, {seconds} s per run, loopback, {} cores",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let mut page = String::new();
    let mut rows = Vec::new();
    for (name, url) in [
        ("SQLite", None),
        ("Redis", Some(redis.as_str())),
        ("PostgreSQL", Some(postgres.as_str())),
    ] {
        let app = bench.instance(url).await;
        let mut sessions = Vec::with_capacity(people);
        for n in 0..people {
            let email = format!("{}-{n}@example.com", name.to_lowercase());
            sessions.push(bench.sign_in(&app, &app, &email).await);
        }
        if page.is_empty() {
            page = http()
                .get(format!("{app}/profile"))
                .header("cookie", &sessions[0])
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
        }
        let measured = hammer(
            format!("{app}/profile"),
            Arc::new(sessions),
            concurrency,
            seconds,
        )
        .await;
        rows.push((name, measured));
    }
    let bytes = page.clone();
    let bare = serve(axum::Router::new().route(
        "/profile",
        axum::routing::get(move || {
            let bytes = bytes.clone();
            async move { axum::response::Html(bytes) }
        }),
    ))
    .await;
    let baseline = hammer(
        format!("{bare}/profile"),
        Arc::new(Vec::new()),
        concurrency,
        seconds,
    )
    .await;
    println!("| sessions in | req/s | p50 ms | p99 ms | of bare axum |");
    println!("|---|---:|---:|---:|---:|");
    for (name, (rate, p50, p99)) in &rows {
        println!(
            "| {name} | {rate:.0} | {p50:.2} | {p99:.2} | {:.2} |",
            rate / baseline.0
        );
    }
    println!(
        "| bare axum, same bytes ({} B) | {:.0} | {:.2} | {:.2} | 1.00 |",
        page.len(),
        baseline.0,
        baseline.1,
        baseline.2
    );

    let one = vec![bench.instance(Some(&redis)).await];
    let two = vec![
        bench.instance(Some(&redis)).await,
        bench.instance(Some(&redis)).await,
    ];
    let single = sign_ins_per_second(&bench, &one, sign_ins, 16, "one").await;
    let double = sign_ins_per_second(&bench, &two, sign_ins, 16, "two").await;
    println!(
        "full sign-ins (app → provider → app, Redis sessions, 16 at a time, {sign_ins} each): \
         one instance {single:.1}/s, two instances {double:.1}/s (ratio {:.2}; one provider \
         and {} cores serve both)",
        double / single,
        std::thread::available_parallelism().map_or(0, usize::from)
    );
}
