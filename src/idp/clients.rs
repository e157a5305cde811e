//! The applications registered at the provider: the app itself (from settings), the Management API
//! machine-to-machine client, and any listed in `PROVIDER_APPLICATIONS_FILE`. Redirect URIs are
//! matched exactly, as registered. Client authentication ([`Clients::authenticate`]) takes the
//! same path for an unknown client id as for a wrong secret: SHA-256 digests of the presented and
//! the stored secret (a fixed dummy for an unknown id) compared in constant time.
//!
//! "Back to the app" on the provider's pages ([`Clients::home_of`]): the origin of the first
//! registered redirect URI of the client the request names, else of the first registered web
//! application (registration order: the app itself, then the applications file).

use crate::secret::Secret;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use subtle::{Choice, ConstantTimeEq};
use url::Url;

/// What an unknown client's presented secret is compared with, so that the work is the same as
/// for a known one. Matching it authenticates nobody (the id is still unknown).
const UNKNOWN_CLIENT_SECRET: &str = "no-such-client:6f1d0c2e9b7a4e58a3c1d2f0b9e8a7c6";

/// Fixed-length form of a secret: comparing digests takes the same time whatever the lengths.
fn secret_digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationType {
    /// A server-side web app: authorization code flow with a secret.
    Traditional,
    /// A backend service: client credentials only.
    MachineToMachine,
}

/// One application, as written in the applications file.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Application {
    pub id: String,
    #[serde(deserialize_with = "secret_from_string")]
    pub secret: Secret,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ApplicationType,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
}

fn secret_from_string<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Secret, D::Error> {
    String::deserialize(deserializer).map(Secret::new)
}

impl Application {
    /// Exact string comparison, as registered: no normalisation, no wildcards.
    pub fn allows_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris
            .iter()
            .any(|registered| registered == uri)
    }

    pub fn allows_post_logout_redirect_uri(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris
            .iter()
            .any(|registered| registered == uri)
    }

    /// Constant-time comparison of fixed-length digests.
    pub fn secret_matches(&self, presented: &str) -> bool {
        bool::from(secret_digest(self.secret.expose()).ct_eq(&secret_digest(presented)))
    }
}

/// The registry, keyed by application id, remembering the registration order.
#[derive(Clone, Debug, Default)]
pub struct Clients {
    by_id: HashMap<String, Application>,
    order: Vec<String>,
}

/// Where "Back to the app" leads, and the application's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppHome {
    pub name: String,
    /// The origin of the application's first redirect URI, with a trailing `/`.
    pub url: String,
}

impl Clients {
    /// Registers `builtin` applications and those of the optional file, validating every entry.
    pub fn load(builtin: Vec<Application>, file: Option<&Path>) -> Result<Self, String> {
        let mut applications = builtin;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
            let listed: Vec<Application> = serde_json::from_str(&text).map_err(|error| {
                format!(
                    "{} is not a valid applications list: {error}",
                    path.display()
                )
            })?;
            applications.extend(listed);
        }
        let mut clients = HashMap::new();
        let mut order = Vec::new();
        for application in applications {
            validate(&application)?;
            if clients.contains_key(&application.id) {
                return Err(format!(
                    "application id `{}` is registered twice",
                    application.id
                ));
            }
            order.push(application.id.clone());
            clients.insert(application.id.clone(), application);
        }
        Ok(Self {
            by_id: clients,
            order,
        })
    }

    pub fn get(&self, id: &str) -> Option<&Application> {
        self.by_id.get(id)
    }

    /// "Back to the app": the client `id` names when it has a redirect URI, else the first
    /// registered application that has one. `None` when no web application is registered.
    pub fn home_of(&self, id: Option<&str>) -> Option<AppHome> {
        let named = id.and_then(|id| self.get(id)).and_then(home);
        named.or_else(|| {
            self.order
                .iter()
                .filter_map(|id| self.get(id))
                .find_map(home)
        })
    }

    /// The application `id` if `secret` is its secret (RFC 6749 §2.3.1). An unknown id and a
    /// wrong secret take the same path and the same work, and both yield `None`.
    pub fn authenticate(&self, id: &str, secret: &str) -> Option<&Application> {
        let client = self.by_id.get(id);
        let stored = client.map_or(UNKNOWN_CLIENT_SECRET, |client| client.secret.expose());
        let matches = secret_digest(stored).ct_eq(&secret_digest(secret));
        let known = Choice::from(u8::from(client.is_some()));
        if bool::from(matches & known) {
            client
        } else {
            None
        }
    }
}

/// The application's name and the origin of its first redirect URI.
fn home(application: &Application) -> Option<AppHome> {
    let uri = Url::parse(application.redirect_uris.first()?).ok()?;
    Some(AppHome {
        name: application.name.clone(),
        url: format!("{}/", uri.origin().ascii_serialization()),
    })
}

fn validate(application: &Application) -> Result<(), String> {
    let id = &application.id;
    if id.is_empty() || id.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(format!("application id `{id}` is empty or has spaces"));
    }
    if application.secret.is_empty() {
        return Err(format!("application `{id}` has an empty secret"));
    }
    for uri in application
        .redirect_uris
        .iter()
        .chain(&application.post_logout_redirect_uris)
    {
        let parsed = Url::parse(uri)
            .map_err(|_| format!("application `{id}`: `{uri}` is not an absolute URL"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.fragment().is_some() {
            return Err(format!(
                "application `{id}`: `{uri}` must be http(s) without a fragment"
            ));
        }
    }
    if application.kind == ApplicationType::Traditional && application.redirect_uris.is_empty() {
        return Err(format!(
            "application `{id}` needs at least one redirect URI"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(id: &str) -> Application {
        Application {
            id: id.to_owned(),
            secret: Secret::new("s"),
            name: "App".to_owned(),
            kind: ApplicationType::Traditional,
            redirect_uris: vec!["http://localhost:3000/logto/sign-in-callback".to_owned()],
            post_logout_redirect_uris: vec!["http://localhost:3000".to_owned()],
        }
    }

    #[test]
    fn redirect_uris_match_exactly() {
        let app = app("a");
        assert!(app.allows_redirect_uri("http://localhost:3000/logto/sign-in-callback"));
        for probe in [
            "http://localhost:3000/logto/sign-in-callback/",
            "http://LOCALHOST:3000/logto/sign-in-callback",
            "http://localhost:3000/logto/sign-in-callback?x=1",
            "http://localhost:3000/logto/sign-in-callback#f",
            "http://localhost:3000/logto/Sign-in-callback",
            "http://evil.example/logto/sign-in-callback",
        ] {
            assert!(!app.allows_redirect_uri(probe), "{probe}");
        }
    }

    #[test]
    fn duplicate_ids_and_bad_uris_are_refused() {
        assert!(Clients::load(vec![app("a"), app("a")], None).is_err());
        let mut bad = app("b");
        bad.redirect_uris = vec!["/relative".to_owned()];
        assert!(Clients::load(vec![bad], None).is_err());
    }

    #[test]
    fn reads_the_documented_file_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("apps.json");
        std::fs::write(
            &path,
            r#"[{"id":"m2m","secret":"x","name":"Job","type":"machine_to_machine"},
                {"id":"web","secret":"y","name":"Web","type":"traditional",
                 "redirectUris":["https://a.example/cb"],"postLogoutRedirectUris":["https://a.example"]}]"#,
        )
        .unwrap();
        let clients = Clients::load(vec![], Some(&path)).unwrap();
        assert_eq!(
            clients.get("m2m").unwrap().kind,
            ApplicationType::MachineToMachine
        );
        assert!(clients.get("web").unwrap().secret_matches("y"));
        assert!(!clients.get("web").unwrap().secret_matches("y "));
    }

    #[test]
    fn back_to_the_app_is_the_named_client_or_the_first_web_app() {
        let mut other = app("b");
        other.name = "Other".to_owned();
        other.redirect_uris = vec!["https://other.example:8443/cb?x=1".to_owned()];
        let mut machine = app("m");
        machine.kind = ApplicationType::MachineToMachine;
        machine.redirect_uris = Vec::new();
        let clients = Clients::load(vec![machine, app("a"), other], None).unwrap();
        let home = |id| clients.home_of(id).map(|home| (home.name, home.url));
        assert_eq!(
            home(Some("b")),
            Some(("Other".to_owned(), "https://other.example:8443/".to_owned()))
        );
        let first = Some(("App".to_owned(), "http://localhost:3000/".to_owned()));
        assert_eq!(home(None), first);
        assert_eq!(home(Some("m")), first, "a client without redirect URIs");
        assert_eq!(home(Some("unknown")), first);
        assert_eq!(Clients::default().home_of(None), None);
    }

    #[test]
    fn authenticate_needs_a_known_id_and_its_secret() {
        let clients = Clients::load(vec![app("a")], None).unwrap();
        assert_eq!(
            clients.authenticate("a", "s").map(|c| c.id.as_str()),
            Some("a")
        );
        assert!(clients.authenticate("a", "s ").is_none());
        assert!(clients.authenticate("a", "").is_none());
        assert!(clients.authenticate("b", "s").is_none());
        // The dummy an unknown id is compared with authenticates nobody.
        assert!(clients.authenticate("b", UNKNOWN_CLIENT_SECRET).is_none());
    }
}
