//! A provider on 127.0.0.1:0 (memory store) whose token responses are recorded, and the app
//! router (in-memory sessions) pointed at it, with a cookie-keeping "browser" for each side.

use crate::fixture::ProviderFixture;
use axum::body::Body;
use axum::Router;
use http::{header, HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use leptos_logto::idp::Provider;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

pub const APP_BASE: &str = "http://localhost:3000";

pub struct World {
    pub provider_base: String,
    pub provider: Provider,
    pub app: Router,
    /// Every token string the provider handed out.
    pub tokens: Arc<Mutex<Vec<String>>>,
    /// Answers of the provider's token endpoint (sign-ins and refreshes).
    pub token_responses: Arc<AtomicUsize>,
    http: reqwest::Client,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }
}

/// Cookies of one browser at the app.
#[derive(Default, Clone)]
pub struct Jar(pub HashMap<String, String>);

impl Jar {
    pub fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn absorb(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (name, value) = text.split(';').next().unwrap().split_once('=').unwrap();
            if value.is_empty() || text.contains("Max-Age=0") {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub fn session(&self) -> Option<String> {
        self.0.get("leptos_logto_session").cloned()
    }
}

impl World {
    pub async fn start() -> Self {
        Self::start_with(crate::support::app).await
    }

    /// A world whose app is built by `make_app` from the settings pointing at the provider.
    pub async fn start_with(
        make_app: impl FnOnce(leptos_logto::config::Settings) -> Router,
    ) -> Self {
        let socket = crate::fixture::socket().await;
        let provider_base = socket.base_url.clone();
        let tokens = Arc::new(Mutex::new(Vec::new()));
        let token_responses = Arc::new(AtomicUsize::new(0));
        let recorder = record_tokens(Arc::clone(&tokens), Arc::clone(&token_responses));
        let callback = format!("{APP_BASE}/logto/sign-in-callback");
        // As the app's own registration (src/idp/mod.rs): after sign-out with and without the
        // slash.
        let after_sign_out = format!("{APP_BASE}/");
        let provider = ProviderFixture::at(&provider_base)
            .web_app(
                "leptos-logto-dev",
                "dev-only-app-secret-not-for-production",
                &[&callback],
                &[APP_BASE, &after_sign_out],
            )
            .serve(socket.listener, |router| {
                router.layer(axum::middleware::from_fn(recorder))
            })
            .await;

        let settings = crate::support::settings(&[("LOGTO_ENDPOINT", &provider_base)]);
        let app = make_app(settings);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            provider_base,
            provider,
            app,
            tokens,
            token_responses,
            http,
        }
    }

    /// Another instance of the app (`app`) in front of the same provider, as behind a load
    /// balancer.
    pub fn instance(&self, app: Router) -> Self {
        Self {
            provider_base: self.provider_base.clone(),
            provider: self.provider.clone(),
            app,
            tokens: Arc::clone(&self.tokens),
            token_responses: Arc::clone(&self.token_responses),
            http: self.http.clone(),
        }
    }

    /// The settings every app instance of this world runs with.
    pub fn settings(&self) -> leptos_logto::config::Settings {
        crate::support::settings(&[("LOGTO_ENDPOINT", &self.provider_base)])
    }

    pub async fn app_request(&self, jar: &mut Jar, request: Request<Body>) -> Reply {
        let mut request = request;
        if !jar.0.is_empty() {
            request
                .headers_mut()
                .insert(header::COOKIE, jar.header().parse().unwrap());
        }
        let response = self.app.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        jar.absorb(&parts.headers);
        let bytes = body.collect().await.unwrap().to_bytes();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, jar: &mut Jar, path: &str) -> Reply {
        self.app_request(jar, Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    /// A same-origin POST to a server function (form-encoded, as `ActionForm` sends it).
    pub async fn post(&self, jar: &mut Jar, path: &str, body: &str, origin: Option<&str>) -> Reply {
        let mut builder =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(origin) = origin {
            builder = builder.header(header::ORIGIN, origin);
        }
        self.app_request(jar, builder.body(Body::from(body.to_owned())).unwrap())
            .await
    }

    /// A plain HTML form POST (no WASM): the browser accepts HTML and follows redirects.
    pub async fn post_form(&self, jar: &mut Jar, path: &str, body: &str) -> Reply {
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::ORIGIN, APP_BASE)
            .body(Body::from(body.to_owned()))
            .unwrap();
        self.app_request(jar, request).await
    }

    /// Signs `email` in through the app: returns the reply of the callback.
    pub async fn sign_in(&self, jar: &mut Jar, email: &str, start_path: &str) -> Reply {
        let start = self.get(jar, start_path).await;
        assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
        let authorize = start.location();
        assert!(authorize.starts_with(&self.provider_base), "{authorize}");
        let callback = self.provider_sign_in(&authorize, email).await;
        let path = callback
            .strip_prefix(APP_BASE)
            .expect("callback to the app")
            .to_owned();
        self.get(jar, &path).await
    }

    /// The person's part at the provider; returns the callback URL it redirects to.
    pub async fn provider_sign_in(&self, authorize: &str, email: &str) -> String {
        let mut cookies: Vec<String> = Vec::new();
        let keep = |response: &reqwest::Response, cookies: &mut Vec<String>| {
            for value in response.headers().get_all(reqwest::header::SET_COOKIE) {
                let pair = value
                    .to_str()
                    .unwrap()
                    .split(';')
                    .next()
                    .unwrap()
                    .to_owned();
                cookies.push(pair);
            }
        };
        let start = self.http.get(authorize).send().await.unwrap();
        keep(&start, &mut cookies);
        let location = start.headers()[reqwest::header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        if location.starts_with(APP_BASE) {
            return location; // already signed in at the provider
        }
        let base = &self.provider_base;
        let sent = self
            .http
            .post(format!("{base}/sign-in/email"))
            .header("cookie", cookies.join("; "))
            .header("origin", base.as_str())
            .form(&[("email", email)])
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), 303);
        let after_email = sent
            .headers()
            .get(reqwest::header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        // The newest code mailed to `email`, from the provider's store (the dev mailbox page
        // shows only the latest few, and load tests sign many people in at once).
        let mut code = String::new();
        let mut seen = 0;
        for _ in 0..100 {
            let mails = self.provider.store.list_mail(10_000).await.unwrap();
            seen = mails.len();
            if let Some(mail) = mails.iter().find(|m| m.to == email) {
                code = mail.subject.chars().filter(char::is_ascii_digit).collect();
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(
            !code.is_empty(),
            "no mail to {email} (sent to {after_email}; {seen} in the mailbox)"
        );
        let done = self
            .http
            .post(format!("{base}/sign-in/verify"))
            .header("cookie", cookies.join("; "))
            .header("origin", base.as_str())
            .form(&[("code", code.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 303);
        done.headers()[reqwest::header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// The same app rebuilt (as after a restart) by `make_app`.
    pub fn restart(&mut self, make_app: impl FnOnce(leptos_logto::config::Settings) -> Router) {
        let settings = crate::support::settings(&[("LOGTO_ENDPOINT", &self.provider_base)]);
        self.app = make_app(settings);
    }

    pub fn recorded_tokens(&self) -> Vec<String> {
        self.tokens.lock().unwrap().clone()
    }
}

/// Middleware for the provider: remembers every token in token-endpoint responses.
fn record_tokens(
    tokens: Arc<Mutex<Vec<String>>>,
    responses: Arc<AtomicUsize>,
) -> impl Fn(
    axum::extract::Request,
    axum::middleware::Next,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = axum::response::Response> + Send>>
       + Clone
       + Send
       + Sync
       + 'static {
    move |request, next| {
        let tokens = Arc::clone(&tokens);
        let responses = Arc::clone(&responses);
        Box::pin(async move {
            let is_token = request.uri().path() == "/oidc/token";
            let response = next.run(request).await;
            if !is_token {
                return response;
            }
            responses.fetch_add(1, Ordering::SeqCst);
            let (parts, body) = response.into_parts();
            let bytes = body.collect().await.unwrap().to_bytes();
            if let Ok(json) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                for key in ["access_token", "refresh_token", "id_token"] {
                    if let Some(value) = json[key].as_str() {
                        tokens.lock().unwrap().push(value.to_owned());
                    }
                }
            }
            axum::response::Response::from_parts(parts, Body::from(bytes))
        })
    }
}
