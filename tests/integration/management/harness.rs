//! An embedded provider in-process (manual clock, memory or SQLite store, known secrets key)
//! driven with `oneshot`: Management API calls with a real `client_credentials` token, and a
//! cookie-keeping browser for the sign-in pages.

use crate::fixture::ProviderFixture;
pub use crate::oneshot::{form, Browser, Reply};
use axum::body::Body;
use axum::Router;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use http::{header, Method, Request, StatusCode};
use leptos_logto::clock::ManualClock;
use leptos_logto::idp::secrets::{SecretBox, SecretsKey};
use leptos_logto::idp::store::memory::MemoryStore;
use leptos_logto::idp::store::SharedStore;
use leptos_logto::idp::Provider;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub const BASE: &str = "http://127.0.0.1:3001";
pub const RESOURCE: &str = "https://default.logto.app/api";
pub const APP_ID: &str = "web-app";
pub const APP_SECRET: &str = "web-secret";
pub const CALLBACK: &str = "http://localhost:3000/logto/sign-in-callback";
pub const M2M_ID: &str = "m2m-app";
pub const M2M_SECRET: &str = "m2m-secret";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const START: u64 = 1_800_000_000;
/// The secrets key of every harness provider, so tests can open what it sealed.
pub const KEY: [u8; 32] = [42; 32];

pub struct Api {
    pub clock: Arc<ManualClock>,
    pub store: SharedStore,
    pub provider: Provider,
    router: Router,
}

pub fn secret_box() -> SecretBox {
    SecretBox::new(Some(SecretsKey::from_bytes(&KEY)))
}

/// A valid SES config with every template (`{{code}}` inside `<b>` in each body).
pub fn ses_config(secret: &str, sender: &str) -> Value {
    let template = |usage: &str| {
        json!({
            "usageType": usage,
            "subject": format!("{usage} Grüße {{{{code}}}}"),
            "content": format!("<p>{usage}: Grüße! Your code is <b>{{{{ code }}}}</b>.</p>"),
        })
    };
    json!({
        "accessKeyId": "AKIAEXAMPLE",
        "accessKeySecret": secret,
        "region": "us-east-1",
        "emailAddress": sender,
        "templates": [template("Register"), template("SignIn"), template("ForgotPassword"), template("Generic")],
    })
}

impl Api {
    /// Memory store, the harness key, standard SES endpoint resolution.
    pub async fn new() -> Self {
        Self::with(Arc::new(MemoryStore::new()), secret_box(), None).await
    }

    /// A provider in `mode` (production: no dev mailbox), memory store, the harness key.
    pub async fn in_mode(mode: leptos_logto::config::RunMode) -> Self {
        Self::build(Arc::new(MemoryStore::new()), secret_box(), None, mode).await
    }

    pub async fn with(
        store: SharedStore,
        secrets: SecretBox,
        ses_endpoint_url: Option<String>,
    ) -> Self {
        Self::build(
            store,
            secrets,
            ses_endpoint_url,
            leptos_logto::config::RunMode::Dev,
        )
        .await
    }

    async fn build(
        store: SharedStore,
        secrets: SecretBox,
        ses_endpoint_url: Option<String>,
        mode: leptos_logto::config::RunMode,
    ) -> Self {
        let clock = Arc::new(ManualClock::at(START));
        let provider = ProviderFixture::at(BASE)
            .mode(mode)
            .store(store.clone())
            .clock(clock.clone())
            .secrets(secrets)
            .ses_endpoint(ses_endpoint_url)
            .web_app(APP_ID, APP_SECRET, &[CALLBACK], &[])
            .machine_app(M2M_ID, M2M_SECRET)
            .build()
            .await;
        let router = provider.router();
        Self {
            clock,
            store,
            provider,
            router,
        }
    }

    pub async fn send(&self, browser: Option<&mut Browser>, request: Request<Body>) -> Reply {
        crate::oneshot::send(&self.router, browser, request).await
    }

    /// The token endpoint's answer to the M2M app's `client_credentials` request.
    pub async fn token_reply(&self, resource: &str, scope: &str) -> Reply {
        let basic = format!(
            "Basic {}",
            STANDARD.encode(format!("{M2M_ID}:{M2M_SECRET}"))
        );
        let request = Request::post("/oidc/token")
            .header(header::AUTHORIZATION, basic)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form(&[
                ("grant_type", "client_credentials"),
                ("resource", resource),
                ("scope", scope),
            ])))
            .unwrap();
        self.send(None, request).await
    }

    pub async fn token(&self, scope: &str) -> String {
        let reply = self.token_reply(RESOURCE, scope).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.json()["access_token"].as_str().unwrap().to_owned()
    }

    /// One API call with `token` (none: no Authorization header).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .unwrap();
        self.send(None, request).await
    }

    /// One API call as the settings page makes it (a fresh `all` token).
    pub async fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let token = self.token("all").await;
        self.call(method, path, Some(&token), body).await
    }

    pub async fn sign_in_exp(&self) -> Value {
        let reply = self.admin(Method::GET, "/api/sign-in-exp", None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.json()
    }

    pub async fn connectors(&self) -> Vec<Value> {
        let reply = self.admin(Method::GET, "/api/connectors", None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.json().as_array().unwrap().clone()
    }

    pub async fn get_page(&self, browser: &mut Browser, uri: &str) -> Reply {
        self.send(
            Some(browser),
            Request::get(uri).body(Body::empty()).unwrap(),
        )
        .await
    }

    pub async fn post_form(&self, browser: &mut Browser, uri: &str, body: String) -> Reply {
        let request = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(Some(browser), request).await
    }

    /// Starts an authorization request for the web app; the browser lands on the email page.
    pub async fn start_sign_in(&self, browser: &mut Browser) -> Reply {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
        let query = form(&[
            ("client_id", APP_ID),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("scope", "openid offline_access profile email"),
            ("state", "state-1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("prompt", "consent"),
        ]);
        let reply = self.get_page(browser, &format!("/oidc/auth?{query}")).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        reply
    }

    /// Authorize, then submit `email` on the sign-in page.
    pub async fn submit_email(&self, browser: &mut Browser, email: &str) -> Reply {
        self.start_sign_in(browser).await;
        self.post_form(browser, "/sign-in/email", form(&[("email", email)]))
            .await
    }
}
