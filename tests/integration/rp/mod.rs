//! The relying party (`leptos_logto::auth`) against a hostile in-process provider: every ID-token
//! rule of OIDC Core §3.1.3.7, the callback checks (RFC 9207, state, single use), token endpoint
//! failures, refresh (rotation, single flight, `invalid_grant`), userinfo and sign-out.

mod callback;
mod id_token;
mod provider;
mod refresh;
mod roles;
mod token_endpoint;
mod userinfo;

use std::sync::Arc;
use std::time::Duration;

use leptos_logto::auth::{
    AuthError, CallbackParams, RelyingParty, RpConfig, SignInOptions, SignedIn, Transaction,
};
use leptos_logto::auth::{Grants, MemoryGrants};
use leptos_logto::clock::{Clock, ManualClock, SharedClock};
use leptos_logto::secret::Secret;
use serde_json::{json, Value};
use url::Url;

use provider::{EsKey, Provider, Reply, CLIENT_ID, CLIENT_SECRET, RSA};

/// The tests' "now".
pub const T0: u64 = 1_700_000_000;
pub const CODE: &str = "auth-code-Zx81kq";
pub const ACCESS: &str = "access-token-Q7mw";
pub const REFRESH: &str = "refresh-token-R1pt";

/// A provider, a relying party pointed at it, and the clock they share.
pub struct Harness {
    pub provider: Provider,
    pub rp: Arc<RelyingParty>,
    pub clock: Arc<ManualClock>,
    /// Published in the JWKS (with the RSA key) from the start.
    pub es: EsKey,
    /// Where sessions of this harness keep their tokens (in memory, on the harness clock).
    pub grants: Grants,
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut RpConfig)) -> Self {
        let provider = Provider::start().await;
        let es = EsKey::generate("es-1");
        provider.knobs().jwks = vec![es.jwk.clone(), RSA.jwk.clone()];
        let clock = Arc::new(ManualClock::at(T0));
        let mut config = RpConfig {
            endpoint: Url::parse(&provider.base).unwrap(),
            client_id: CLIENT_ID.into(),
            client_secret: Secret::new(CLIENT_SECRET),
            redirect_uri: Url::parse("http://localhost:3000/logto/sign-in-callback").unwrap(),
            post_logout_redirect_uri: Url::parse("http://localhost:3000/").unwrap(),
            extra_scopes: vec!["email".into(), "roles".into()],
            resources: vec![],
            http_timeout: Duration::from_secs(2),
        };
        configure(&mut config);
        let shared: SharedClock = clock.clone();
        let rp = Arc::new(RelyingParty::new(config, Arc::clone(&shared)).unwrap());
        let grants = Grants::new(
            MemoryGrants::shared(),
            shared,
            Duration::from_secs(30 * 86_400),
        );
        Self {
            provider,
            rp,
            clock,
            es,
            grants,
        }
    }

    pub fn now(&self) -> u64 {
        self.clock.unix_seconds()
    }

    pub fn issuer(&self) -> &str {
        &self.provider.issuer
    }

    /// Claims of a valid ID token for `tx`, issued now.
    pub fn claims(&self, tx: &Transaction) -> Value {
        let now = self.now();
        json!({
            "iss": self.issuer(), "sub": "user-1", "aud": CLIENT_ID,
            "exp": now + 3600, "iat": now, "auth_time": now, "nonce": tx.nonce, "sid": "sid-1",
            "name": "Ada Lovelace", "username": "ada", "picture": null,
            "email": "ada@example.com", "email_verified": true, "roles": ["admin", "editor"],
        })
    }

    pub async fn start_sign_in(&self) -> (Url, Transaction) {
        self.rp
            .sign_in_url(SignInOptions {
                return_to: "/profile".into(),
                ..SignInOptions::default()
            })
            .await
            .unwrap()
    }

    /// The callback a well-behaved provider would send for `tx`.
    pub fn callback(&self, tx: &Transaction) -> CallbackParams {
        CallbackParams {
            code: Some(CODE.into()),
            state: Some(tx.state.clone()),
            iss: Some(self.issuer().to_owned()),
            error: None,
            error_description: None,
        }
    }

    pub fn token_reply(id_token: Option<&str>) -> Value {
        json!({
            "access_token": ACCESS, "token_type": "Bearer", "expires_in": 3600,
            "refresh_token": REFRESH, "id_token": id_token,
            "scope": "openid offline_access profile email roles",
        })
    }

    /// Starts a sign-in, lets the token endpoint return the ID token `make` crafts from valid
    /// claims, and finishes the sign-in. Any error is checked to be free of secrets.
    pub async fn sign_in_with(
        &self,
        make: impl FnOnce(&mut Value) -> String,
    ) -> Result<SignedIn, AuthError> {
        let (_, tx) = self.start_sign_in().await;
        let mut claims = self.claims(&tx);
        let id_token = make(&mut claims);
        self.provider.knobs().code_reply = Reply::Json(200, Self::token_reply(Some(&id_token)));
        let params = self.callback(&tx);
        let verifier = tx.code_verifier.expose().to_owned();
        let result = self.rp.finish_sign_in(&params, tx).await;
        if let Err(error) = &result {
            assert_no_secrets(error, &[CODE, &verifier, ACCESS, REFRESH, &id_token]);
        }
        result
    }

    /// A completed ES384 sign-in.
    pub async fn signed_in(&self) -> SignedIn {
        self.sign_in_with(|claims| self.es.sign(claims))
            .await
            .unwrap()
    }
}

/// `Display`, `Debug` and the user message of `error` contain none of `secrets`.
pub fn assert_no_secrets(error: &AuthError, secrets: &[&str]) {
    let shown = format!("{error} | {error:?} | {}", error.user_message());
    for secret in secrets {
        assert!(
            !shown.contains(secret),
            "error text leaks a secret: {shown}"
        );
    }
}
