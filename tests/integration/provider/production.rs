//! Production mode (`LEPTOS_ENV=PROD`): no dev mailbox (routes, factory, default, stored one),
//! email only through a configured connector (here SES from the settings, sent to moto), the
//! first administrator only through the one-time setup link, whose token and the sign-in codes
//! appear in no response; and what `idp::start` stores and logs from the settings.

use super::harness::*;
use crate::ses::moto::Moto;
use axum::body::Body;
use http::{header, Request, StatusCode};
use leptos_logto::clock::ManualClock;
use leptos_logto::config::{self, EmailConnectorSetting, RunMode, SesAccessKey, SesSettings};
use leptos_logto::idp::setup;
use leptos_logto::idp::store::memory::MemoryStore;
use leptos_logto::idp::store::sqlite::SqliteStore;
use leptos_logto::idp::store::{Store, User};
use leptos_logto::secret::Secret;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

const SENDER_ADDRESS: &str = "no-reply@example.com";
const SENDER: &str = "Example <no-reply@example.com>";

/// A production provider whose email connector comes from the settings: SES with moto's static
/// key, sending to moto.
async fn with_ses_from_settings(moto: &Moto, store: Arc<MemoryStore>) -> Harness {
    let h = Harness::production(store, Some(moto.url.clone())).await;
    let setting = EmailConnectorSetting::AwsSes(SesSettings {
        region: "us-east-1".to_owned(),
        sender: SENDER.to_owned(),
        access_key: Some(SesAccessKey {
            id: moto.key_id.clone(),
            secret: Secret::new(moto.secret.clone()),
        }),
        configuration_set: None,
    });
    h.provider
        .connectors
        .apply_settings(Some(&setting))
        .await
        .unwrap();
    h
}

/// Every reply of a flow, to search for values that must never be sent.
#[derive(Default)]
struct Seen(Vec<Reply>);

impl Seen {
    fn keep(&mut self, reply: Reply) -> &Reply {
        self.0.push(reply);
        self.0.last().unwrap()
    }

    /// Asserts `needle` is in no status line, header or body seen.
    fn assert_absent(&self, needle: &str, what: &str) {
        assert!(needle.len() >= 6);
        for reply in &self.0 {
            assert!(
                !reply.body.contains(needle),
                "{what} in a body: {}",
                reply.body
            );
            for (name, value) in &reply.headers {
                let value = value.to_str().unwrap_or_default();
                assert!(!value.contains(needle), "{what} in header {name}: {value}");
            }
        }
    }
}

/// The newest sign-in code moto accepted for `to` (the default templates end the subject with it).
async fn code_from_moto(moto: &Moto, to: &str) -> String {
    let sent = moto.sent().await;
    let mail = sent
        .iter()
        .rev()
        .find(|mail| mail.to() == vec![to.to_owned()])
        .expect("a code was sent through SES");
    let code: String = mail.subject.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(code.len(), 6, "{}", mail.subject);
    code
}

/// Authorize → email → code (from moto) in `browser`; returns the sign-in code and keeps every
/// reply in `seen`. The last reply is the redirect to the app.
async fn sign_in(
    h: &Harness,
    moto: &Moto,
    browser: &mut Browser,
    email: &str,
    seen: &mut Seen,
) -> String {
    let start = seen.keep(h.get(Some(browser), &h.authorize_uri(&[])).await);
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
    let page = seen.keep(h.get(Some(browser), "/sign-in").await);
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let sent = seen.keep(
        h.post_form(Some(browser), "/sign-in/email", form(&[("email", email)]))
            .await,
    );
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    seen.keep(h.get(Some(browser), "/sign-in/verify").await);
    let code = code_from_moto(moto, email).await;
    let done = seen.keep(
        h.post_form(Some(browser), "/sign-in/verify", form(&[("code", &code)]))
            .await,
    );
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(done.location().starts_with(CALLBACK), "{}", done.location());
    code
}

async fn user(h: &Harness, email: &str) -> User {
    h.store.find_user_by_email(email).await.unwrap().unwrap()
}

fn is_admin(user: &User) -> bool {
    user.roles.iter().any(|role| role == "admin")
}

/// The token of a setup link.
fn token_of(link: &str) -> String {
    link.split_once("/setup?token=").unwrap().1.to_owned()
}

#[tokio::test]
async fn the_dev_mailbox_routes_do_not_exist_in_production() {
    let prod = Harness::production(Arc::new(MemoryStore::new()), None).await;
    let dev = Harness::new().await;
    for path in ["/dev/mailbox", "/dev/mailbox.json"] {
        assert_eq!(dev.get(None, path).await.status, StatusCode::OK, "{path}");
        let reply = prod.get(None, path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        // The provider's own "Page not found", nothing of a mailbox.
        assert!(reply.body.contains("Page not found"), "{}", reply.body);
        assert!(!reply.body.contains("Dev mailbox"), "{}", reply.body);
        assert!(!reply.body.starts_with('['), "{}", reply.body);
    }
    // The rest of the provider is there.
    let discovery = prod
        .get(None, "/oidc/.well-known/openid-configuration")
        .await;
    assert_eq!(discovery.status, StatusCode::OK);
}

#[tokio::test]
async fn production_lists_no_dev_mailbox_factory_and_refuses_to_create_one() {
    let h = Harness::production(Arc::new(MemoryStore::new()), None).await;
    let token = h.management_token().await;
    let call = |method: &str, path: &str, body: Option<Value>| {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        request
            .body(body.map_or_else(Body::empty, |body| Body::from(body.to_string())))
            .unwrap()
    };
    let factories = h
        .send(None, call("GET", "/api/connector-factories", None))
        .await;
    assert_eq!(factories.status, StatusCode::OK, "{}", factories.body);
    let ids: Vec<Value> = factories
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|factory| factory["id"].clone())
        .collect();
    assert_eq!(ids, [json!("aws-ses-mail")]);
    let one = h
        .send(
            None,
            call("GET", "/api/connector-factories/dev-mailbox", None),
        )
        .await;
    assert_eq!(one.status, StatusCode::NOT_FOUND, "{}", one.body);

    let created = h
        .send(
            None,
            call(
                "POST",
                "/api/connectors",
                Some(json!({"connectorId": "dev-mailbox", "config": {}})),
            ),
        )
        .await;
    created.error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "connector.not_found_with_connector_id",
    );
    let tested = h
        .send(
            None,
            call(
                "POST",
                "/api/connectors/dev-mailbox/test",
                Some(json!({"email": "a@example.com", "config": {}})),
            ),
        )
        .await;
    tested.error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "connector.not_found_with_connector_id",
    );
    let listed = h.send(None, call("GET", "/api/connectors", None)).await;
    assert_eq!(
        listed.json(),
        json!([]),
        "no default connector in production"
    );
}

#[tokio::test]
async fn without_a_connector_sign_in_says_email_is_not_set_up_and_nothing_is_delivered() {
    let store = Arc::new(MemoryStore::new());
    // A development run stored its dev mailbox; production must not use it.
    let dev = Harness::in_mode(RunMode::Dev, store.clone(), None).await;
    assert_eq!(dev.provider.connectors.list().await.unwrap().len(), 1);
    for h in [
        Harness::production(Arc::new(MemoryStore::new()), None).await,
        Harness::production(store, None).await,
    ] {
        let mut browser = Browser::default();
        h.get(Some(&mut browser), &h.authorize_uri(&[])).await;
        let reply = h
            .post_form(
                Some(&mut browser),
                "/sign-in/email",
                form(&[("email", "ada@example.com")]),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            reply.body
        );
        assert!(
            reply.body.contains("Email isn&#39;t set up"),
            "{}",
            reply.body
        );
        assert_eq!(h.mail_count().await, 0, "nothing delivered");
    }
}

#[tokio::test]
async fn the_setup_link_makes_one_administrator_once_and_its_token_is_never_sent() {
    let capture = crate::logs::capture();
    let moto = Moto::start(SENDER_ADDRESS);
    let h = with_ses_from_settings(&moto, Arc::new(MemoryStore::new())).await;
    let link = setup::invite(&h.provider, POST_LOGOUT)
        .await
        .unwrap()
        .expect("no administrator yet: a link");
    let token = token_of(&link);
    assert!(link.starts_with(&format!("{BASE}/setup?token=")), "{link}");
    let path = link.strip_prefix(BASE).unwrap().to_owned();
    let mut seen = Seen::default();
    let mut codes = Vec::new();

    // Signing up first does not make an administrator.
    let mut first = Browser::default();
    codes.push(sign_in(&h, &moto, &mut first, "first@example.com", &mut seen).await);
    assert!(!is_admin(&user(&h, "first@example.com").await));

    // Two browsers open the link; neither is admin by that alone.
    let mut owner = Browser::default();
    let page = seen.keep(h.get(Some(&mut owner), &path).await);
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Set up the first administrator"));
    assert!(page
        .body
        .contains("the account you sign in with becomes the administrator"));
    assert!(
        page.body.contains(&format!("href=\"{POST_LOGOUT}\"")),
        "links to the app"
    );
    let cookie = page
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|value| value.starts_with("idp_setup="))
        .expect("the setup cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let mut latecomer = Browser::default();
    let page = seen.keep(h.get(Some(&mut latecomer), &path).await);
    assert_eq!(page.status, StatusCode::OK);

    // The owner signs in: that account is the administrator, the cookie is cleared.
    codes.push(sign_in(&h, &moto, &mut owner, "owner@example.com", &mut seen).await);
    assert!(is_admin(&user(&h, "owner@example.com").await));
    assert!(!owner.has("idp_setup"), "cleared on the sign-in response");
    // The claim was used up with the invitation: the latecomer's sign-in changes nothing.
    codes.push(sign_in(&h, &moto, &mut latecomer, "late@example.com", &mut seen).await);
    assert!(!is_admin(&user(&h, "late@example.com").await));
    // Neither does the first account signing in again, nor opening the link again.
    let mut first_again = Browser::default();
    codes.push(sign_in(&h, &moto, &mut first_again, "first@example.com", &mut seen).await);
    assert!(!is_admin(&user(&h, "first@example.com").await));
    let again = seen.keep(h.get(Some(&mut Browser::default()), &path).await);
    assert_eq!(again.status, StatusCode::GONE, "{}", again.body);
    assert!(again.body.contains("already used"));

    // The token and the codes were in no response; the token is in the log once, at WARN.
    seen.assert_absent(&token, "the setup token");
    for code in &codes {
        seen.assert_absent(code, "a sign-in code");
    }
    let logs = capture.text();
    assert_eq!(logs.matches(&token).count(), 1, "{logs}");
    let line = logs.lines().find(|line| line.contains(&token)).unwrap();
    assert!(line.contains("WARN"), "{line}");

    // A restart with an administrator prints no link; the old one no longer works.
    assert_eq!(setup::invite(&h.provider, POST_LOGOUT).await.unwrap(), None);
    let old = h.get(None, &path).await;
    assert_eq!(old.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_setup_link_expires_after_an_hour_and_a_restart_replaces_it() {
    let moto = Moto::start(SENDER_ADDRESS);
    let store = Arc::new(MemoryStore::new());
    let h = with_ses_from_settings(&moto, store.clone()).await;
    let first_link = setup::invite(&h.provider, POST_LOGOUT)
        .await
        .unwrap()
        .unwrap();
    // A restart prints a new link; the earlier one stops working.
    let link = setup::invite(&h.provider, POST_LOGOUT)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(token_of(&first_link), token_of(&link));
    let path = link.strip_prefix(BASE).unwrap().to_owned();
    let stale = h.get(None, first_link.strip_prefix(BASE).unwrap()).await;
    assert_eq!(stale.status, StatusCode::BAD_REQUEST, "{}", stale.body);
    assert!(stale.body.contains("invalid or has expired"));

    // Opened in time, but the sign-in finishes after the hour: no administrator.
    let mut browser = Browser::default();
    h.clock.advance(Duration::from_secs(3599));
    assert_eq!(
        h.get(Some(&mut browser), &path).await.status,
        StatusCode::OK
    );
    h.clock.advance(Duration::from_secs(2));
    let mut seen = Seen::default();
    sign_in(&h, &moto, &mut browser, "slow@example.com", &mut seen).await;
    assert!(!is_admin(&user(&h, "slow@example.com").await));
    let expired = h.get(None, &path).await;
    assert_eq!(expired.status, StatusCode::BAD_REQUEST, "{}", expired.body);
    for bad in ["/setup", "/setup?token=", "/setup?token=not-a-token"] {
        assert_eq!(
            h.get(None, bad).await.status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }

    // Still no administrator, so the next start prints a link again.
    let restarted = Harness::production(store, Some(moto.url.clone())).await;
    assert!(setup::invite(&restarted.provider, POST_LOGOUT)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn development_keeps_the_first_account_rule_and_prints_no_link() {
    let h = Harness::new().await;
    assert_eq!(setup::invite(&h.provider, POST_LOGOUT).await.unwrap(), None);
    h.tokens_for("first@example.com").await;
    h.tokens_for("second@example.com").await;
    assert!(is_admin(&user(&h, "first@example.com").await));
    assert!(!is_admin(&user(&h, "second@example.com").await));
}

fn start_env(dir: &std::path::Path, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut env: HashMap<String, String> = [
        ("LEPTOS_ENV", "PROD"),
        ("LOGTO_APP_ID", APP_ID),
        ("LOGTO_APP_SECRET", "a-real-app-secret"),
        ("LOGTO_BASE_URL", POST_LOGOUT),
        ("PROVIDER_ADDR", "127.0.0.1:0"),
        ("PROVIDER_EMAIL_CONNECTOR", "aws-ses"),
        ("PROVIDER_SES_REGION", "eu-west-1"),
        ("PROVIDER_SES_SENDER", SENDER),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value.to_owned()))
    .collect();
    env.insert("APP_DATA_DIR".to_owned(), dir.display().to_string());
    for (key, value) in extra {
        env.insert((*key).to_owned(), (*value).to_owned());
    }
    env
}

/// Runs `idp::start` with these settings until it is listening, then stops it.
async fn start_and_stop(env: &HashMap<String, String>) {
    let settings = config::load(None, &|name| env.get(name).cloned()).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = leptos_logto::idp::start(&settings, Arc::new(ManualClock::at(START)), async {
        let _ = stopped.await;
    })
    .await
    .unwrap();
    stop.send(()).unwrap();
    server.await.unwrap();
}

async fn stored_connectors(dir: &std::path::Path) -> Value {
    let store = SqliteStore::open(&dir.join("provider.sqlite"))
        .await
        .unwrap();
    store.get_document("connectors").await.unwrap().unwrap()
}

#[tokio::test]
async fn at_start_the_ses_connector_from_settings_is_stored_and_the_setup_link_logged() {
    let capture = crate::logs::capture();
    let dir = tempfile::tempdir().unwrap();
    // An IAM role: no access key, so the default credential chain (not reached: nothing is sent).
    let env = start_env(dir.path(), &[]);
    start_and_stop(&env).await;
    let document = stored_connectors(dir.path()).await;
    let connectors = document["connectors"].as_array().unwrap();
    assert_eq!(connectors.len(), 1, "{document}");
    let record = &connectors[0];
    assert_eq!(record["connectorId"], "aws-ses-mail");
    assert_eq!(record["awsDefaultCredentials"], true);
    assert_eq!(record["secrets"], json!({}));
    let config = &record["config"];
    assert!(config.get("accessKeyId").is_none(), "{config}");
    assert_eq!(config["region"], "eu-west-1");
    assert_eq!(config["emailAddress"], SENDER);
    let usages: Vec<&str> = config["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|template| template["usageType"].as_str().unwrap())
        .collect();
    assert_eq!(usages, ["Register", "SignIn", "ForgotPassword", "Generic"]);
    let logs = capture.text();
    assert!(
        logs.contains("email connector stored from the settings")
            && logs.contains("credentials: the AWS default credential chain"),
        "{logs}"
    );
    assert!(logs.contains("no dev mailbox"), "{logs}");
    assert!(!logs.contains("mailbox="), "{logs}");
    let warnings: Vec<&str> = logs
        .lines()
        .filter(|line| line.contains("/setup?token="))
        .collect();
    assert_eq!(warnings.len(), 1, "{logs}");
    assert!(warnings[0].contains("WARN"), "{}", warnings[0]);

    // Same settings again: kept as stored (its id unchanged). A new sender: replaced.
    start_and_stop(&env).await;
    let again = stored_connectors(dir.path()).await;
    assert_eq!(again["connectors"][0]["id"], record["id"]);
    assert!(capture.text().contains("settings unchanged"));
    let changed = start_env(
        dir.path(),
        &[("PROVIDER_SES_SENDER", "Other <other@example.com>")],
    );
    start_and_stop(&changed).await;
    let replaced = stored_connectors(dir.path()).await;
    assert_eq!(replaced["connectors"].as_array().unwrap().len(), 1);
    assert_ne!(replaced["connectors"][0]["id"], record["id"]);
    assert_eq!(
        replaced["connectors"][0]["config"]["emailAddress"],
        "Other <other@example.com>"
    );
}

#[tokio::test]
async fn at_start_a_static_ses_key_from_settings_is_sealed_and_sends() {
    let moto = Moto::start(SENDER_ADDRESS);
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("provider-secrets.key");
    std::fs::write(&key_file, "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=").unwrap();
    let env = start_env(
        dir.path(),
        &[
            ("PROVIDER_SES_REGION", "us-east-1"),
            ("PROVIDER_SES_ACCESS_KEY_ID", &moto.key_id),
            ("PROVIDER_SES_ACCESS_KEY_SECRET", &moto.secret),
            ("PROVIDER_SECRETS_KEY_FILE", &key_file.display().to_string()),
        ],
    );
    start_and_stop(&env).await;
    let document = stored_connectors(dir.path()).await;
    let record = &document["connectors"][0];
    assert_eq!(record["config"]["accessKeyId"], moto.key_id.as_str());
    assert!(record.get("awsDefaultCredentials").is_none(), "{record}");
    assert!(!document.to_string().contains(&moto.secret));
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(
            !bytes
                .windows(moto.secret.len())
                .any(|w| w == moto.secret.as_bytes()),
            "the SES secret in plain text in a data file"
        );
    }

    // The same store, served again (the key file is the harness's [7; 32]): codes go through SES.
    let store = Arc::new(MemoryStore::new());
    store.put_document("connectors", &document).await.unwrap();
    let h = Harness::production(store, Some(moto.url.clone())).await;
    let mut seen = Seen::default();
    sign_in(
        &h,
        &moto,
        &mut Browser::default(),
        "ada@example.com",
        &mut seen,
    )
    .await;
    assert_eq!(moto.sent().await.len(), 1);
}
