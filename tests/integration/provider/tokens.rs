//! The token endpoint's grants as units: an authorization code is checked before it is consumed
//! (only its rightful client can burn it; a replay revokes what it issued, under concurrency
//! too), resources are limited to registered ones (RFC 8707), and client authentication looks
//! the same for an unknown client and a wrong secret.

use super::harness::*;
use async_trait::async_trait;
use http::StatusCode;
use leptos_logto::idp::store::memory::MemoryStore;
use leptos_logto::idp::store::{
    Admission, CodeCheck, Consumed, Kind, Mail, NewCode, Record, Rotation, SendLimits, Store,
    StoreResult, StoredCode, User, Versioned,
};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

fn exchange_form<'a>(
    code: &'a str,
    verifier: &'a str,
    redirect_uri: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("code_verifier", verifier),
        ("redirect_uri", redirect_uri),
    ]
}

#[tokio::test]
async fn another_clients_attempt_leaves_the_code_usable_for_its_client() {
    let h = Harness::with_other_web_app().await;
    let code = h.code_for("ada@example.com", &[]).await;
    let other = basic(OTHER_APP_ID, OTHER_APP_SECRET);
    let reply = h
        .token_request(Some(&other), &exchange_form(&code, VERIFIER, CALLBACK))
        .await;
    reply.error(StatusCode::BAD_REQUEST, "oidc.invalid_grant");
    let tokens = h.exchange(&code, VERIFIER).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);

    // Once used, another client's attempt is refused without revoking the rightful tokens.
    let tokens = tokens.json();
    let reply = h
        .token_request(Some(&other), &exchange_form(&code, VERIFIER, CALLBACK))
        .await;
    reply.error(StatusCode::BAD_REQUEST, "oidc.invalid_grant");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(h.userinfo(access).await.status, StatusCode::OK);
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(h.refresh(refresh).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_redirect_uri_or_verifier_leaves_the_code_usable() {
    let h = Harness::new().await;
    let code = h.code_for("ada@example.com", &[]).await;
    let app = basic(APP_ID, APP_SECRET);
    let wrong_uri = "http://localhost:3000/logto/sign-in-callback/";
    let reply = h
        .token_request(Some(&app), &exchange_form(&code, VERIFIER, wrong_uri))
        .await;
    reply.error(StatusCode::BAD_REQUEST, "oidc.invalid_grant");
    let reply = h.exchange(&code, &"x".repeat(43)).await;
    reply.error(StatusCode::BAD_REQUEST, "oidc.invalid_grant");
    let reply = h.exchange(&code, VERIFIER).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[tokio::test]
async fn a_replay_by_the_rightful_client_revokes_what_the_code_issued() {
    let h = Harness::new().await;
    let code = h.code_for("ada@example.com", &[]).await;
    let first = h.exchange(&code, VERIFIER).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let first = first.json();
    let access = first["access_token"].as_str().unwrap();
    let refresh = first["refresh_token"].as_str().unwrap();
    assert_eq!(h.userinfo(access).await.status, StatusCode::OK);

    h.exchange(&code, VERIFIER)
        .await
        .error(StatusCode::BAD_REQUEST, "oidc.invalid_grant");
    h.refresh(refresh)
        .await
        .error(StatusCode::BAD_REQUEST, "oidc.invalid_grant");
    assert_eq!(h.userinfo(access).await.status, StatusCode::UNAUTHORIZED);
}

/// The memory store, except that consuming an authorization code first waits a moment (every
/// exchange started together has then read the code as unconsumed, and the race is decided by
/// `consume` alone), and the winner waits again after it (its rivals revoke the grant before it
/// stores its tokens: the worst case for revocation).
struct SlowConsume(Arc<MemoryStore>);

#[async_trait]
impl Store for SlowConsume {
    async fn upsert(&self, kind: Kind, id: &str, record: Record) -> StoreResult<()> {
        self.0.upsert(kind, id, record).await
    }
    async fn find(&self, kind: Kind, id: &str, now: u64) -> StoreResult<Option<Record>> {
        self.0.find(kind, id, now).await
    }
    async fn consume(&self, kind: Kind, id: &str, now: u64) -> StoreResult<Consumed> {
        if kind != Kind::AuthorizationCode {
            return self.0.consume(kind, id, now).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        let consumed = self.0.consume(kind, id, now).await?;
        if matches!(consumed, Consumed::First(_)) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(consumed)
    }
    async fn destroy(&self, kind: Kind, id: &str) -> StoreResult<()> {
        self.0.destroy(kind, id).await
    }
    async fn revoke_by_grant(&self, grant_id: &str) -> StoreResult<u64> {
        self.0.revoke_by_grant(grant_id).await
    }
    async fn destroy_by_key(&self, kind: Kind, key: &str) -> StoreResult<u64> {
        self.0.destroy_by_key(kind, key).await
    }
    async fn rotate(
        &self,
        kind: Kind,
        old_id: &str,
        successor_id: &str,
        successor: Record,
        grace: u64,
        now: u64,
    ) -> StoreResult<Rotation> {
        self.0
            .rotate(kind, old_id, successor_id, successor, grace, now)
            .await
    }
    async fn purge_expired(&self, now: u64) -> StoreResult<u64> {
        self.0.purge_expired(now).await
    }
    async fn admit_code(
        &self,
        code: &NewCode,
        limits: SendLimits,
        now: u64,
    ) -> StoreResult<Admission> {
        self.0.admit_code(code, limits, now).await
    }
    async fn check_code(
        &self,
        interaction: &str,
        recipient: &str,
        mac: &str,
        max_attempts: u32,
        now: u64,
    ) -> StoreResult<CodeCheck> {
        self.0
            .check_code(interaction, recipient, mac, max_attempts, now)
            .await
    }
    async fn find_code(&self, interaction: &str, now: u64) -> StoreResult<Option<StoredCode>> {
        self.0.find_code(interaction, now).await
    }
    async fn create_user_if_absent(
        &self,
        user: &User,
        first_account_roles: &[String],
    ) -> StoreResult<(User, bool)> {
        self.0
            .create_user_if_absent(user, first_account_roles)
            .await
    }
    async fn record_sign_in(
        &self,
        id: &str,
        now_ms: i64,
        add_role: Option<&str>,
    ) -> StoreResult<Option<User>> {
        self.0.record_sign_in(id, now_ms, add_role).await
    }
    async fn any_user_with_role(&self, role: &str) -> StoreResult<bool> {
        self.0.any_user_with_role(role).await
    }
    async fn get_versioned_document(&self, name: &str) -> StoreResult<Option<Versioned>> {
        self.0.get_versioned_document(name).await
    }
    async fn put_document_if(
        &self,
        name: &str,
        value: &Value,
        expected: Option<u64>,
    ) -> StoreResult<bool> {
        self.0.put_document_if(name, value, expected).await
    }
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        self.0.create_user(user).await
    }
    async fn find_user(&self, id: &str) -> StoreResult<Option<User>> {
        self.0.find_user(id).await
    }
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        self.0.find_user_by_email(email).await
    }
    async fn update_user(&self, user: &User) -> StoreResult<()> {
        self.0.update_user(user).await
    }
    async fn count_users(&self) -> StoreResult<u64> {
        self.0.count_users().await
    }
    async fn get_document(&self, name: &str) -> StoreResult<Option<Value>> {
        self.0.get_document(name).await
    }
    async fn put_document(&self, name: &str, value: &Value) -> StoreResult<()> {
        self.0.put_document(name, value).await
    }
    async fn push_mail(&self, mail: &Mail, keep: u32) -> StoreResult<()> {
        self.0.push_mail(mail, keep).await
    }
    async fn list_mail(&self, limit: u32) -> StoreResult<Vec<Mail>> {
        self.0.list_mail(limit).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_parallel_exchanges_of_one_code_give_exactly_one_success() {
    let h = Arc::new(Harness::over_store(|memory| Arc::new(SlowConsume(memory))).await);
    let code = h.code_for("ada@example.com", &[]).await;
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (h, code) = (h.clone(), code.clone());
        attempts.spawn(async move { h.exchange(&code, VERIFIER).await });
    }
    let mut successes = Vec::new();
    while let Some(reply) = attempts.join_next().await {
        let reply = reply.unwrap();
        if reply.status == StatusCode::OK {
            successes.push(reply.json());
        } else {
            reply.error(StatusCode::BAD_REQUEST, "oidc.invalid_grant");
        }
    }
    assert_eq!(successes.len(), 1, "exactly one exchange succeeds");
    // The others were replays: nothing the code issued survives, whatever the interleaving.
    let tokens = &successes[0];
    h.refresh(tokens["refresh_token"].as_str().unwrap())
        .await
        .error(StatusCode::BAD_REQUEST, "oidc.invalid_grant");
    assert_eq!(
        h.userinfo(tokens["access_token"].as_str().unwrap())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_unregistered_resource_at_authorize_is_invalid_target_at_the_redirect_uri() {
    let h = Harness::new().await;
    let reply = h
        .get(
            None,
            &h.authorize_uri(&[("resource", "https://evil.example/api")]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert!(
        reply.location().starts_with(CALLBACK),
        "{}",
        reply.location()
    );
    assert_eq!(
        reply.location_param("error").as_deref(),
        Some("invalid_target")
    );
    assert_eq!(reply.location_param("state").as_deref(), Some("state-123"));
    assert_eq!(reply.location_param("iss").as_deref(), Some(ISSUER));
    assert!(reply.location_param("code").is_none());
}

#[tokio::test]
async fn an_unregistered_resource_at_the_token_endpoint_is_invalid_target() {
    let h = Harness::new().await;
    let evil = "https://evil.example/api";
    let app = basic(APP_ID, APP_SECRET);

    // Code grant: refused, and the code is still usable.
    let code = h.code_for("ada@example.com", &[]).await;
    let mut pairs = exchange_form(&code, VERIFIER, CALLBACK);
    pairs.push(("resource", evil));
    h.token_request(Some(&app), &pairs)
        .await
        .error(StatusCode::BAD_REQUEST, "oidc.invalid_target");
    let tokens = h.exchange(&code, VERIFIER).await.json();

    // Refresh grant.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let reply = h
        .token_request(
            Some(&app),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("resource", evil),
            ],
        )
        .await;
    reply.error(StatusCode::BAD_REQUEST, "oidc.invalid_target");

    // Client credentials.
    let reply = h
        .token_request(
            Some(&basic(M2M_ID, M2M_SECRET)),
            &[
                ("grant_type", "client_credentials"),
                ("resource", evil),
                ("scope", "all"),
            ],
        )
        .await;
    reply.error(StatusCode::BAD_REQUEST, "oidc.invalid_target");
}

#[tokio::test]
async fn a_registered_resource_gets_a_jwt_with_its_audience_and_lifetime() {
    let h = Harness::new().await;
    let api = "https://orders.example.com/api";
    h.register_resource(api, 600, &["read:orders", "write:orders"])
        .await;
    let app = basic(APP_ID, APP_SECRET);

    let code = h.code_for("ada@example.com", &[("resource", api)]).await;
    let mut pairs = exchange_form(&code, VERIFIER, CALLBACK);
    pairs.push(("resource", api));
    let reply = h.token_request(Some(&app), &pairs).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.headers["cache-control"], "no-store");
    let tokens = reply.json();
    assert_eq!(tokens["expires_in"], 600);
    let claims = jwt_claims(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], api);
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        600
    );

    // Refresh for it too.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let reply = h
        .token_request(
            Some(&app),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("resource", api),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let claims = jwt_claims(reply.json()["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], api);

    // Machine to machine: the requested scopes the resource defines.
    let reply = h
        .token_request(
            Some(&basic(M2M_ID, M2M_SECRET)),
            &[
                ("grant_type", "client_credentials"),
                ("resource", api),
                ("scope", "write:orders all read:orders"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["scope"], "write:orders read:orders");
    assert_eq!(body["expires_in"], 600);
    let claims = jwt_claims(body["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], api);
    assert_eq!(claims["sub"], M2M_ID);
    assert_eq!(claims["scope"], "write:orders read:orders");
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        600
    );
}

#[tokio::test]
async fn a_registered_resource_not_granted_at_authorization_is_invalid_target() {
    let h = Harness::new().await;
    let api = "https://orders.example.com/api";
    h.register_resource(api, 600, &[]).await;
    let code = h.code_for("ada@example.com", &[]).await;
    let mut pairs = exchange_form(&code, VERIFIER, CALLBACK);
    pairs.push(("resource", api));
    h.token_request(Some(&basic(APP_ID, APP_SECRET)), &pairs)
        .await
        .error(StatusCode::BAD_REQUEST, "oidc.invalid_target");
}

#[tokio::test]
async fn an_unknown_client_and_a_wrong_secret_get_the_same_answer() {
    let h = Harness::new().await;
    let pairs = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "whatever"),
    ];
    let wrong_secret = h
        .token_request(Some(&basic(APP_ID, "not-the-secret")), &pairs)
        .await;
    let unknown = h
        .token_request(Some(&basic("no-such-app", APP_SECRET)), &pairs)
        .await;
    assert_eq!(wrong_secret.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, wrong_secret.status);
    assert_eq!(unknown.body, wrong_secret.body);
    assert_eq!(
        unknown.headers.get("www-authenticate"),
        wrong_secret.headers.get("www-authenticate")
    );
    wrong_secret.error(StatusCode::UNAUTHORIZED, "oidc.invalid_client");

    // The same with client_secret_post.
    let post = |id: &'static str, secret: &'static str| {
        let mut pairs = pairs.to_vec();
        pairs.extend([("client_id", id), ("client_secret", secret)]);
        pairs
    };
    let wrong_secret = h.token_request(None, &post(APP_ID, "nope")).await;
    let unknown = h.token_request(None, &post("no-such-app", "nope")).await;
    assert_eq!(wrong_secret.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, wrong_secret.status);
    assert_eq!(unknown.body, wrong_secret.body);
}
