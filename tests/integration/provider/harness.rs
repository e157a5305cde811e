//! An embedded provider in-process (memory store, manual clock) driven with `oneshot`, with a
//! cookie jar per browser and helpers for the whole email-code sign-in.

use crate::fixture::ProviderFixture;
pub use crate::oneshot::{form, Browser, Reply};
use axum::body::Body;
use axum::Router;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use http::{header, Request, StatusCode};
use leptos_logto::clock::ManualClock;
use leptos_logto::idp::store::memory::MemoryStore;
use leptos_logto::idp::store::SharedStore;
use leptos_logto::idp::Provider;
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub const BASE: &str = crate::oneshot::PROVIDER_ORIGIN;
pub const ISSUER: &str = "http://127.0.0.1:3001/oidc";
pub const APP_ID: &str = "web-app";
pub const APP_SECRET: &str = "web-secret";
pub const CALLBACK: &str = "http://localhost:3000/logto/sign-in-callback";
pub const POST_LOGOUT: &str = "http://localhost:3000";
pub const M2M_ID: &str = "m2m-app";
pub const M2M_SECRET: &str = "m2m-secret";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const START: u64 = 1_800_000_000;

pub struct Harness {
    pub clock: Arc<ManualClock>,
    pub store: SharedStore,
    pub provider: Provider,
    router: Router,
}

/// A provider at [`BASE`] on `store` and `clock`, with the web app and the machine-to-machine
/// app every harness registers.
fn fixture(store: SharedStore, clock: &Arc<ManualClock>) -> ProviderFixture {
    ProviderFixture::at(BASE)
        .store(store)
        .clock(clock.clone())
        .web_app(APP_ID, APP_SECRET, &[CALLBACK], &[POST_LOGOUT])
        .machine_app(M2M_ID, M2M_SECRET)
}

pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

impl Harness {
    pub async fn new() -> Self {
        Self::with_admins(vec![]).await
    }

    pub async fn with_admins(admin_emails: Vec<String>) -> Self {
        Self::with_store(Arc::new(MemoryStore::new()), admin_emails).await
    }

    /// A provider on `store` (e.g. a SQLite file, for tests that race requests).
    pub async fn with_store(store: SharedStore, admin_emails: Vec<String>) -> Self {
        let clock = Arc::new(ManualClock::at(START));
        let provider = fixture(store.clone(), &clock)
            .admins(admin_emails)
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

    pub async fn get(&self, browser: Option<&mut Browser>, uri: &str) -> Reply {
        self.send(browser, Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    /// A form post; from a browser it says it comes from the provider's own page, as a browser's
    /// does (see `Browser`).
    pub async fn post_form(&self, browser: Option<&mut Browser>, uri: &str, body: String) -> Reply {
        let request = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(browser, request).await
    }

    /// The authorization URL for the web app with the usual Logto parameters.
    pub fn authorize_uri(&self, extra: &[(&str, &str)]) -> String {
        let challenge = challenge(VERIFIER);
        let mut pairs: Vec<(&str, &str)> = vec![
            ("client_id", APP_ID),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("scope", "openid offline_access profile email roles"),
            ("state", "state-123"),
            ("nonce", "nonce-456"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("prompt", "consent"),
        ];
        for (key, value) in extra {
            pairs.retain(|(k, _)| k != key);
            pairs.push((key, value));
        }
        format!("/oidc/auth?{}", form(&pairs))
    }

    /// The newest code mailed to `to`.
    pub async fn last_code_for(&self, to: &str) -> Option<String> {
        let mails = self.store.list_mail(100).await.unwrap();
        let mail = mails.into_iter().find(|mail| mail.to == to)?;
        let digits: String = mail
            .subject
            .rsplit(' ')
            .next()
            .unwrap()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        Some(digits)
    }

    pub async fn mail_count(&self) -> usize {
        self.store.list_mail(1000).await.unwrap().len()
    }

    /// Authorize → email → code, in `browser`; returns the reply that redirects to the client.
    pub async fn sign_in(
        &self,
        browser: &mut Browser,
        email: &str,
        extra: &[(&str, &str)],
    ) -> Reply {
        let start = self.get(Some(browser), &self.authorize_uri(extra)).await;
        assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
        assert!(start.location() == "/sign-in" || start.location() == "/register");
        let sent = self
            .post_form(Some(browser), "/sign-in/email", form(&[("email", email)]))
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
        assert_eq!(sent.location(), "/sign-in/verify");
        let code = self
            .last_code_for(&email.to_lowercase())
            .await
            .expect("a code was mailed");
        let done = self
            .post_form(Some(browser), "/sign-in/verify", form(&[("code", &code)]))
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        done
    }

    /// Exchanges the code in a callback redirect for tokens.
    pub async fn exchange(&self, code: &str, verifier: &str) -> Reply {
        let request = Request::post("/oidc/token")
            .header(header::AUTHORIZATION, basic(APP_ID, APP_SECRET))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("code_verifier", verifier),
                ("redirect_uri", CALLBACK),
                ("client_id", APP_ID),
            ])))
            .unwrap();
        self.send(None, request).await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Reply {
        let request = Request::post("/oidc/token")
            .header(header::AUTHORIZATION, basic(APP_ID, APP_SECRET))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ])))
            .unwrap();
        self.send(None, request).await
    }

    pub async fn userinfo(&self, access_token: &str) -> Reply {
        let request = Request::get("/oidc/me")
            .header(header::AUTHORIZATION, format!("Bearer {access_token}"))
            .body(Body::empty())
            .unwrap();
        self.send(None, request).await
    }

    /// Signs a new user in and returns the token response.
    pub async fn tokens_for(&self, email: &str) -> serde_json::Value {
        let mut browser = Browser::default();
        let done = self.sign_in(&mut browser, email, &[]).await;
        let code = done.location_param("code").unwrap();
        let reply = self.exchange(&code, VERIFIER).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.json()
    }
}

/// The claims of a JWT, without verification (tests check signatures separately).
pub fn jwt_claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

pub fn jwt_header(token: &str) -> serde_json::Value {
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

/// The secrets key of production harnesses, the same across "restarts" over one store.
pub const PRODUCTION_KEY: [u8; 32] = [7; 32];

impl Harness {
    /// A provider in production mode (`LEPTOS_ENV=PROD`, no admin addresses: the setup link)
    /// over `store`, whose SES connectors send to `ses_endpoint_url` when given. No connector is
    /// stored: production has no default one.
    pub async fn production(store: Arc<MemoryStore>, ses_endpoint_url: Option<String>) -> Self {
        Self::in_mode(leptos_logto::config::RunMode::Prod, store, ses_endpoint_url).await
    }

    /// As [`Harness::production`], in either mode (DEV seeds the dev mailbox on first start).
    pub async fn in_mode(
        mode: leptos_logto::config::RunMode,
        store: Arc<MemoryStore>,
        ses_endpoint_url: Option<String>,
    ) -> Self {
        use leptos_logto::idp::secrets::{SecretBox, SecretsKey};
        let clock = Arc::new(ManualClock::at(START));
        let provider = fixture(store.clone(), &clock)
            .mode(mode)
            .secrets(SecretBox::new(Some(SecretsKey::from_bytes(
                &PRODUCTION_KEY,
            ))))
            .ses_endpoint(ses_endpoint_url)
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
}

pub const OTHER_APP_ID: &str = "other-web-app";
pub const OTHER_APP_SECRET: &str = "other-web-secret";

impl Harness {
    /// A harness whose provider also registers a second web app ([`OTHER_APP_ID`]) with the same
    /// redirect URI as the first.
    pub async fn with_other_web_app() -> Self {
        let clock = Arc::new(ManualClock::at(START));
        let store: SharedStore = Arc::new(MemoryStore::new());
        let provider = fixture(store.clone(), &clock)
            .web_app(OTHER_APP_ID, OTHER_APP_SECRET, &[CALLBACK], &[])
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

    /// A Management API token of the machine-to-machine app (`all` scope).
    pub async fn management_token(&self) -> String {
        let request = Request::post("/oidc/token")
            .header(header::AUTHORIZATION, basic(M2M_ID, M2M_SECRET))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form(&[
                ("grant_type", "client_credentials"),
                ("resource", "https://default.logto.app/api"),
                ("scope", "all"),
            ])))
            .unwrap();
        let reply = self.send(None, request).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.json()["access_token"].as_str().unwrap().to_owned()
    }

    /// A harness whose provider reaches its memory store through `wrap` (e.g. a store that
    /// delays an operation); `store` is still the memory store itself.
    pub async fn over_store(wrap: impl FnOnce(Arc<MemoryStore>) -> SharedStore) -> Self {
        let memory = Arc::new(MemoryStore::new());
        let mut h = Self::with_store(wrap(memory.clone()), vec![]).await;
        h.store = memory;
        h
    }

    /// Registers an API resource (as the Management API would) with the given scopes.
    pub async fn register_resource(
        &self,
        indicator: &str,
        access_token_ttl: u64,
        scopes: &[&str],
    ) -> leptos_logto::idp::resources::ApiResource {
        use leptos_logto::idp::resources::{NewResource, NewScope};
        let new = NewResource {
            name: format!("API {indicator}"),
            indicator: indicator.to_owned(),
            access_token_ttl: Some(access_token_ttl),
            scopes: scopes
                .iter()
                .map(|name| NewScope {
                    name: (*name).to_owned(),
                    description: None,
                })
                .collect(),
        };
        self.provider
            .resources
            .modify(|registry, now| registry.create(new.clone(), now))
            .await
            .unwrap()
    }

    /// A token request with `authorization` (e.g. [`basic`]) and the form `pairs`.
    pub async fn token_request(
        &self,
        authorization: Option<&str>,
        pairs: &[(&str, &str)],
    ) -> Reply {
        let mut request = Request::post("/oidc/token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(authorization) = authorization {
            request = request.header(header::AUTHORIZATION, authorization);
        }
        self.send(None, request.body(Body::from(form(pairs))).unwrap())
            .await
    }

    /// Signs a new user in (with `extra` authorization parameters) and returns the code.
    pub async fn code_for(&self, email: &str, extra: &[(&str, &str)]) -> String {
        let mut browser = Browser::default();
        let done = self.sign_in(&mut browser, email, extra).await;
        done.location_param("code").expect("a code")
    }
}

impl Harness {
    /// A provider on `store` whose connector secrets are sealed with `key`: one of several
    /// instances sharing a database (and so, in a deployment, one secrets key file).
    pub async fn instance(store: SharedStore, key: &[u8; 32]) -> Self {
        use leptos_logto::idp::secrets::{SecretBox, SecretsKey};
        let clock = Arc::new(ManualClock::at(START));
        let provider = fixture(store.clone(), &clock)
            .secrets(SecretBox::new(Some(SecretsKey::from_bytes(key))))
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
}
