//! A hostile, Logto-shaped provider for relying-party tests: an axum server on `127.0.0.1:0`
//! serving discovery, JWKS, token, userinfo, revocation and end-session, whose every answer is a
//! knob the test turns, and which counts and records the requests it receives. ID tokens are
//! crafted by the tests (ES384 with p384 keys, RS256 with one RSA key per test binary).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// Keys and token crafting

/// An ES384 signing key with its public JWK.
pub struct EsKey {
    pub kid: String,
    encoding: EncodingKey,
    pub jwk: Value,
}

impl EsKey {
    pub fn generate(kid: &str) -> Self {
        use p384::pkcs8::EncodePrivateKey;
        let secret = p384::SecretKey::random(&mut rand::rngs::OsRng);
        let der = secret.to_pkcs8_der().unwrap();
        let mut jwk: Value = serde_json::from_str(&secret.public_key().to_jwk_string()).unwrap();
        jwk["kid"] = kid.into();
        jwk["alg"] = "ES384".into();
        jwk["use"] = "sig".into();
        Self {
            kid: kid.to_owned(),
            encoding: EncodingKey::from_ec_der(der.as_bytes()),
            jwk,
        }
    }

    /// Signs `claims` with header `kid` (which may differ from this key's own kid, or be absent).
    pub fn sign_with_kid(&self, kid: Option<&str>, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES384);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }

    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_kid(Some(&self.kid), claims)
    }
}

/// The RS256 key: RSA key generation is slow, so one per test binary.
pub struct RsKey {
    pub kid: String,
    encoding: EncodingKey,
    pub jwk: Value,
    pub public_pem: String,
}

pub static RSA: LazyLock<RsKey> = LazyLock::new(|| {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::{EncodePublicKey, LineEnding};
    use rsa::traits::PublicKeyParts;
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
    let der = key.to_pkcs1_der().unwrap();
    let public = key.to_public_key();
    RsKey {
        kid: "rsa-1".into(),
        encoding: EncodingKey::from_rsa_der(der.as_bytes()),
        jwk: json!({
            "kty": "RSA", "kid": "rsa-1", "alg": "RS256", "use": "sig",
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        }),
        public_pem: public.to_public_key_pem(LineEnding::LF).unwrap(),
    }
});

impl RsKey {
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }
}

fn b64_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// `alg: none`, empty signature (RFC 7519 §6.1 unsecured JWT).
pub fn unsecured(kid: Option<&str>, claims: &Value) -> String {
    let mut header = json!({"alg": "none", "typ": "JWT"});
    if let Some(kid) = kid {
        header["kid"] = kid.into();
    }
    format!("{}.{}.", b64_json(&header), b64_json(claims))
}

/// HS256 with `secret` as the HMAC key (the public-key-as-secret confusion attack).
pub fn hs256(kid: Option<&str>, secret: &[u8], claims: &Value) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).unwrap()
}

/// Replaces the payload of a signed token, keeping header and signature.
pub fn swap_payload(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!("{}.{}.{}", parts[0], b64_json(claims), parts[2])
}

// ---------------------------------------------------------------------------------------------
// The server

/// What the token endpoint answers.
#[derive(Clone, Debug)]
pub enum Reply {
    Json(u16, Value),
    Raw(u16, String),
    /// A redirect: this status with this `Location` (and an empty body).
    Redirect(u16, String),
    /// Sleep this long before answering 200 `{}`.
    Stall(Duration),
}

pub struct Knobs {
    /// The issuer the discovery document claims (default: the real one).
    pub discovery_issuer: String,
    pub iss_parameter_supported: bool,
    pub jwks: Vec<Value>,
    pub code_reply: Reply,
    pub refresh_reply: Reply,
    /// Delay before answering a refresh (to make concurrent callers overlap).
    pub refresh_delay: Duration,
    pub userinfo: Value,
    /// The status userinfo answers with (200 unless a test makes it fail).
    pub userinfo_status: u16,
    /// An access token userinfo refuses with 401, as a provider does once it has lost it.
    pub userinfo_refused_token: Option<String>,
    /// Delay before answering userinfo (to make concurrent callers overlap).
    pub userinfo_delay: Duration,
}

/// One request to the token or revocation endpoint.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub form: HashMap<String, String>,
    pub authorization: Option<String>,
}

#[derive(Default)]
pub struct Counters {
    pub discovery: AtomicUsize,
    pub jwks: AtomicUsize,
    pub code_grants: AtomicUsize,
    pub refresh_grants: AtomicUsize,
    pub userinfo: AtomicUsize,
    pub revocations: AtomicUsize,
}

pub struct Shared {
    pub base: String,
    pub client_id: String,
    pub client_secret: String,
    pub knobs: Mutex<Knobs>,
    pub counters: Counters,
    pub token_requests: Mutex<Vec<Recorded>>,
    pub revocation_requests: Mutex<Vec<Recorded>>,
    pub userinfo_authorizations: Mutex<Vec<String>>,
}

pub struct Provider {
    pub base: String,
    pub issuer: String,
    pub shared: Arc<Shared>,
}

pub const CLIENT_ID: &str = "test-app";
/// Characters that must be form-urlencoded in the Basic header.
pub const CLIENT_SECRET: &str = "s3cr:t/+ %";

impl Provider {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let issuer = format!("{base}/oidc");
        let shared = Arc::new(Shared {
            base: base.clone(),
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            knobs: Mutex::new(Knobs {
                discovery_issuer: issuer.clone(),
                iss_parameter_supported: true,
                jwks: Vec::new(),
                code_reply: Reply::Raw(500, "no reply configured".into()),
                refresh_reply: Reply::Raw(500, "no reply configured".into()),
                refresh_delay: Duration::ZERO,
                userinfo: json!({}),
                userinfo_status: 200,
                userinfo_refused_token: None,
                userinfo_delay: Duration::ZERO,
            }),
            counters: Counters::default(),
            token_requests: Mutex::new(Vec::new()),
            revocation_requests: Mutex::new(Vec::new()),
            userinfo_authorizations: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/oidc/.well-known/openid-configuration", get(discovery))
            .route("/oidc/jwks", get(jwks))
            .route("/oidc/token", post(token))
            .route("/oidc/me", get(userinfo))
            .route("/oidc/token/revocation", post(revocation))
            .route("/oidc/session/end", get(|| async { "signed out" }))
            .with_state(Arc::clone(&shared));
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            base,
            issuer,
            shared,
        }
    }

    pub fn knobs(&self) -> std::sync::MutexGuard<'_, Knobs> {
        self.shared.knobs.lock().unwrap()
    }

    pub fn count(&self, which: impl Fn(&Counters) -> &AtomicUsize) -> usize {
        which(&self.shared.counters).load(Ordering::SeqCst)
    }

    pub fn token_requests(&self) -> Vec<Recorded> {
        self.shared.token_requests.lock().unwrap().clone()
    }

    pub fn revocation_requests(&self) -> Vec<Recorded> {
        self.shared.revocation_requests.lock().unwrap().clone()
    }

    pub fn userinfo_authorizations(&self) -> Vec<String> {
        self.shared.userinfo_authorizations.lock().unwrap().clone()
    }
}

async fn discovery(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.counters.discovery.fetch_add(1, Ordering::SeqCst);
    let knobs = shared.knobs.lock().unwrap();
    let oidc = format!("{}/oidc", shared.base);
    Json(json!({
        "issuer": knobs.discovery_issuer,
        "authorization_endpoint": format!("{oidc}/auth"),
        "token_endpoint": format!("{oidc}/token"),
        "jwks_uri": format!("{oidc}/jwks"),
        "userinfo_endpoint": format!("{oidc}/me"),
        "end_session_endpoint": format!("{oidc}/session/end"),
        "revocation_endpoint": format!("{oidc}/token/revocation"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES384"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "authorization_response_iss_parameter_supported": knobs.iss_parameter_supported,
    }))
}

async fn jwks(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.counters.jwks.fetch_add(1, Ordering::SeqCst);
    let keys = shared.knobs.lock().unwrap().jwks.clone();
    Json(json!({ "keys": keys }))
}

/// Checks `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
fn client_authenticated(shared: &Shared, headers: &HeaderMap) -> bool {
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some(encoded) = value.strip_prefix("Basic ") else {
        return false;
    };
    let Ok(decoded) = STANDARD.decode(encoded) else {
        return false;
    };
    let decoded = String::from_utf8_lossy(&decoded).into_owned();
    let Some((id, secret)) = decoded.split_once(':') else {
        return false;
    };
    let decode = |s: &str| urlencoding::decode(&s.replace('+', "%20")).map(|c| c.into_owned());
    decode(id).ok().as_deref() == Some(shared.client_id.as_str())
        && decode(secret).ok().as_deref() == Some(shared.client_secret.as_str())
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({
            "code": format!("oidc.{error}"), "message": description,
            "error": error, "error_description": description,
        })),
    )
        .into_response()
}

async fn reply(reply: Reply) -> Response {
    match reply {
        Reply::Json(status, body) => {
            (StatusCode::from_u16(status).unwrap(), Json(body)).into_response()
        }
        Reply::Raw(status, body) => (
            StatusCode::from_u16(status).unwrap(),
            [("content-type", "application/json")],
            body,
        )
            .into_response(),
        Reply::Redirect(status, location) => (
            StatusCode::from_u16(status).unwrap(),
            [("location", location)],
        )
            .into_response(),
        Reply::Stall(duration) => {
            tokio::time::sleep(duration).await;
            Json(json!({})).into_response()
        }
    }
}

async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    shared.token_requests.lock().unwrap().push(Recorded {
        form: form.clone(),
        authorization,
    });
    if !client_authenticated(&shared, &headers) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        );
    }
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            shared.counters.code_grants.fetch_add(1, Ordering::SeqCst);
            let answer = shared.knobs.lock().unwrap().code_reply.clone();
            reply(answer).await
        }
        Some("refresh_token") => {
            shared
                .counters
                .refresh_grants
                .fetch_add(1, Ordering::SeqCst);
            let (answer, delay) = {
                let knobs = shared.knobs.lock().unwrap();
                (knobs.refresh_reply.clone(), knobs.refresh_delay)
            };
            tokio::time::sleep(delay).await;
            reply(answer).await
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "unsupported grant",
        ),
    }
}

async fn userinfo(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    shared.counters.userinfo.fetch_add(1, Ordering::SeqCst);
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    shared
        .userinfo_authorizations
        .lock()
        .unwrap()
        .push(authorization.clone());
    let (status, body, delay) = {
        let knobs = shared.knobs.lock().unwrap();
        let refused = knobs
            .userinfo_refused_token
            .as_ref()
            .is_some_and(|token| authorization == format!("Bearer {token}"));
        let status = if refused { 401 } else { knobs.userinfo_status };
        (status, knobs.userinfo.clone(), knobs.userinfo_delay)
    };
    tokio::time::sleep(delay).await;
    if status != 200 {
        return (StatusCode::from_u16(status).unwrap(), "refused").into_response();
    }
    Json(body).into_response()
}

async fn revocation(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    shared.counters.revocations.fetch_add(1, Ordering::SeqCst);
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    shared.revocation_requests.lock().unwrap().push(Recorded {
        form,
        authorization,
    });
    if !client_authenticated(&shared, &headers) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        );
    }
    StatusCode::OK.into_response()
}
