//! The authorization request (OIDC Core §3.1.2.1 with Logto's extra parameters, and this
//! app's `ui_theme`, unknown values ignored): parsed once
//! from the raw query, then checked by small named functions in protocol order. Problems found
//! before the client and redirect URI are trusted render an error page; later ones are sent back
//! to the client's redirect URI. Resource indicators (RFC 8707 §2) are checked against the
//! registry of API resources.

use super::error::OAuthError;
use super::pkce;
use super::records::{AuthorizationParams, UiTheme};
use crate::idp::clients::{ApplicationType, Clients};
use crate::idp::resources::ResourceRegistry;

/// Scopes the provider knows; others are ignored, as node-oidc-provider does.
pub const SUPPORTED_SCOPES: &[&str] = &[
    "openid",
    "offline_access",
    "profile",
    "email",
    "phone",
    "roles",
    "custom_data",
    "identities",
    "urn:logto:scope:organizations",
    "urn:logto:scope:organization_roles",
];

const FIRST_SCREENS: &[&str] = &[
    "sign_in",
    "register",
    "identifier:sign_in",
    "identifier:register",
    "reset_password",
    "single_sign_on",
];

/// The query as received; repeated parameters are kept to be refused (except `resource`).
#[derive(Debug, Default)]
pub struct RawAuthorizeRequest(pub Vec<(String, String)>);

/// Why no redirect to the client is possible: the page says so instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UntrustedRedirect {
    MissingClientId,
    UnknownClient,
    NotAWebApplication,
    MissingRedirectUri,
    UnregisteredRedirectUri,
    DuplicateParameter(String),
}

impl UntrustedRedirect {
    pub fn message(&self) -> String {
        match self {
            UntrustedRedirect::MissingClientId => "The request names no application (client_id is missing).".to_owned(),
            UntrustedRedirect::UnknownClient => "The application that sent you here is not registered with this provider.".to_owned(),
            UntrustedRedirect::NotAWebApplication => "This application cannot sign people in.".to_owned(),
            UntrustedRedirect::MissingRedirectUri => "The request has no redirect_uri.".to_owned(),
            UntrustedRedirect::UnregisteredRedirectUri => "The redirect_uri is not registered for this application, so you were not sent back to it.".to_owned(),
            UntrustedRedirect::DuplicateParameter(name) => format!("The parameter `{name}` appears more than once."),
        }
    }
}

/// A failure to report to the (trusted) redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectError {
    pub redirect_uri: String,
    pub state: Option<String>,
    pub error: OAuthError,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeFailure {
    Page(UntrustedRedirect),
    Redirect(RedirectError),
}

impl RawAuthorizeRequest {
    fn single(&self, name: &str) -> Result<Option<&str>, UntrustedRedirect> {
        let mut values = self.0.iter().filter(|(key, _)| key == name);
        let first = values.next().map(|(_, value)| value.as_str());
        if values.next().is_some() {
            return Err(UntrustedRedirect::DuplicateParameter(name.to_owned()));
        }
        Ok(first.filter(|value| !value.is_empty()))
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.clone())
            .collect()
    }
}

/// Runs every check in order and returns the validated parameters. `resources` is a snapshot of
/// the registered API resources.
pub fn validate(
    raw: &RawAuthorizeRequest,
    clients: &Clients,
    resources: &ResourceRegistry,
) -> Result<AuthorizationParams, AuthorizeFailure> {
    let client_id = check_client(raw, clients).map_err(AuthorizeFailure::Page)?;
    let redirect_uri =
        check_redirect_uri(raw, clients, &client_id).map_err(AuthorizeFailure::Page)?;
    let state = raw
        .single("state")
        .map_err(AuthorizeFailure::Page)?
        .map(str::to_owned);
    let fail = |error: OAuthError| {
        AuthorizeFailure::Redirect(RedirectError {
            redirect_uri: redirect_uri.clone(),
            state: state.clone(),
            error,
        })
    };
    let duplicate = |error: UntrustedRedirect| fail(OAuthError::InvalidRequest(error.message()));
    check_response_type(raw.single("response_type").map_err(duplicate)?).map_err(fail)?;
    let scopes = check_scope(raw.single("scope").map_err(duplicate)?).map_err(fail)?;
    let resource_indicators = check_resource(raw.all("resource"), resources).map_err(fail)?;
    let code_challenge = check_pkce(
        raw.single("code_challenge").map_err(duplicate)?,
        raw.single("code_challenge_method").map_err(duplicate)?,
    )
    .map_err(fail)?;
    let prompt = check_prompt(raw.single("prompt").map_err(duplicate)?).map_err(fail)?;
    let first_screen =
        check_first_screen(raw.single("first_screen").map_err(duplicate)?).map_err(fail)?;
    let nonce = raw.single("nonce").map_err(duplicate)?.map(str::to_owned);
    let login_hint = raw
        .single("login_hint")
        .map_err(duplicate)?
        .map(str::to_owned);
    Ok(AuthorizationParams {
        client_id,
        redirect_uri,
        scopes,
        state,
        nonce,
        code_challenge,
        prompt_consent: prompt.consent,
        prompt_login: prompt.login,
        prompt_none: prompt.none,
        login_hint,
        first_screen,
        resources: resource_indicators,
        // Unknown (or repeated) values are ignored: the pages then follow the system.
        ui_theme: raw
            .single("ui_theme")
            .ok()
            .flatten()
            .and_then(UiTheme::parse),
    })
}

fn check_client(raw: &RawAuthorizeRequest, clients: &Clients) -> Result<String, UntrustedRedirect> {
    let id = raw
        .single("client_id")?
        .ok_or(UntrustedRedirect::MissingClientId)?;
    let client = clients.get(id).ok_or(UntrustedRedirect::UnknownClient)?;
    if client.kind != ApplicationType::Traditional {
        return Err(UntrustedRedirect::NotAWebApplication);
    }
    Ok(id.to_owned())
}

fn check_redirect_uri(
    raw: &RawAuthorizeRequest,
    clients: &Clients,
    client_id: &str,
) -> Result<String, UntrustedRedirect> {
    let uri = raw
        .single("redirect_uri")?
        .ok_or(UntrustedRedirect::MissingRedirectUri)?;
    let allowed = clients
        .get(client_id)
        .is_some_and(|client| client.allows_redirect_uri(uri));
    if allowed {
        Ok(uri.to_owned())
    } else {
        Err(UntrustedRedirect::UnregisteredRedirectUri)
    }
}

fn check_response_type(value: Option<&str>) -> Result<(), OAuthError> {
    match value {
        Some("code") => Ok(()),
        None => Err(OAuthError::InvalidRequest(
            "missing required parameter 'response_type'".to_owned(),
        )),
        Some(_) => Err(OAuthError::UnsupportedResponseType(
            "only response_type=code is supported".to_owned(),
        )),
    }
}

fn check_scope(value: Option<&str>) -> Result<Vec<String>, OAuthError> {
    let requested: Vec<&str> = value
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect();
    if !requested.contains(&"openid") {
        return Err(OAuthError::InvalidScope(
            "openid scope must be requested".to_owned(),
        ));
    }
    let mut scopes: Vec<String> = Vec::new();
    for scope in requested {
        if SUPPORTED_SCOPES.contains(&scope) && !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    Ok(scopes)
}

/// RFC 8707 §2: every `resource` must name a registered API resource, else `invalid_target`.
fn check_resource(
    requested: Vec<String>,
    resources: &ResourceRegistry,
) -> Result<Vec<String>, OAuthError> {
    if requested
        .iter()
        .all(|indicator| resources.by_indicator(indicator).is_some())
    {
        Ok(requested)
    } else {
        Err(OAuthError::InvalidTarget(
            "resource indicator is missing, or unknown".to_owned(),
        ))
    }
}

fn check_pkce(challenge: Option<&str>, method: Option<&str>) -> Result<String, OAuthError> {
    let Some(challenge) = challenge else {
        return Err(OAuthError::InvalidRequest(
            "PKCE is required: code_challenge is missing".to_owned(),
        ));
    };
    match method {
        Some("S256") => {}
        Some("plain") | None => {
            return Err(OAuthError::InvalidRequest(
                "only code_challenge_method=S256 is supported".to_owned(),
            ))
        }
        Some(_) => {
            return Err(OAuthError::InvalidRequest(
                "unknown code_challenge_method".to_owned(),
            ))
        }
    }
    if challenge.len() != 43 || !pkce::is_well_formed(challenge) {
        return Err(OAuthError::InvalidRequest(
            "code_challenge must be a base64url SHA-256 value".to_owned(),
        ));
    }
    Ok(challenge.to_owned())
}

#[derive(Default)]
struct Prompt {
    none: bool,
    login: bool,
    consent: bool,
}

fn check_prompt(value: Option<&str>) -> Result<Prompt, OAuthError> {
    let mut prompt = Prompt::default();
    let values: Vec<&str> = value
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect();
    for item in &values {
        match *item {
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            "consent" => prompt.consent = true,
            "select_account" => {}
            other => {
                return Err(OAuthError::InvalidRequest(format!(
                    "unsupported prompt value '{other}'"
                )))
            }
        }
    }
    if prompt.none && values.len() > 1 {
        return Err(OAuthError::InvalidRequest(
            "prompt=none cannot be combined with other values".to_owned(),
        ));
    }
    Ok(prompt)
}

fn check_first_screen(value: Option<&str>) -> Result<Option<String>, OAuthError> {
    match value {
        None => Ok(None),
        Some(screen) if FIRST_SCREENS.contains(&screen) => Ok(Some(screen.to_owned())),
        Some(_) => Err(OAuthError::InvalidRequest(
            "unsupported first_screen".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idp::clients::Application;
    use crate::secret::Secret;

    const CALLBACK: &str = "http://localhost:3000/logto/sign-in-callback";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn clients() -> Clients {
        Clients::load(
            vec![Application {
                id: "app".to_owned(),
                secret: Secret::new("s"),
                name: "App".to_owned(),
                kind: ApplicationType::Traditional,
                redirect_uris: vec![CALLBACK.to_owned()],
                post_logout_redirect_uris: vec![],
            }],
            None,
        )
        .unwrap()
    }

    fn resources() -> ResourceRegistry {
        let mut registry = ResourceRegistry::default();
        for indicator in ["https://api.example", "https://api2.example"] {
            registry
                .create(
                    crate::idp::resources::NewResource {
                        name: "API".to_owned(),
                        indicator: indicator.to_owned(),
                        access_token_ttl: None,
                        scopes: vec![],
                    },
                    0,
                )
                .unwrap();
        }
        registry
    }

    fn request(overrides: &[(&str, Option<&str>)]) -> RawAuthorizeRequest {
        let mut pairs: Vec<(String, String)> = [
            ("client_id", "app"),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("scope", "openid offline_access profile bogus"),
            ("state", "st"),
            ("nonce", "n"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("prompt", "consent"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        for (key, value) in overrides {
            pairs.retain(|(k, _)| k != key);
            if let Some(value) = value {
                pairs.push(((*key).to_owned(), (*value).to_owned()));
            }
        }
        RawAuthorizeRequest(pairs)
    }

    fn redirect_error(result: Result<AuthorizationParams, AuthorizeFailure>) -> String {
        match result {
            Err(AuthorizeFailure::Redirect(error)) => error.error.error_code().to_owned(),
            other => panic!("expected a redirect error, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_request_passes_and_unknown_scopes_are_dropped() {
        let params = validate(&request(&[]), &clients(), &resources()).unwrap();
        assert_eq!(params.scopes, ["openid", "offline_access", "profile"]);
        assert!(params.prompt_consent);
        assert_eq!(params.state.as_deref(), Some("st"));
    }

    #[test]
    fn unknown_client_and_unregistered_redirect_get_a_page_not_a_redirect() {
        for (overrides, expected) in [
            (
                vec![("client_id", Some("nope"))],
                UntrustedRedirect::UnknownClient,
            ),
            (
                vec![("client_id", None)],
                UntrustedRedirect::MissingClientId,
            ),
            (
                vec![(
                    "redirect_uri",
                    Some("http://localhost:3000/logto/sign-in-callback/"),
                )],
                UntrustedRedirect::UnregisteredRedirectUri,
            ),
            (
                vec![("redirect_uri", Some("https://evil.example/cb"))],
                UntrustedRedirect::UnregisteredRedirectUri,
            ),
            (
                vec![("redirect_uri", None)],
                UntrustedRedirect::MissingRedirectUri,
            ),
        ] {
            assert_eq!(
                validate(&request(&overrides), &clients(), &resources()),
                Err(AuthorizeFailure::Page(expected))
            );
        }
    }

    #[test]
    fn pkce_is_required_and_s256_only() {
        assert_eq!(
            redirect_error(validate(
                &request(&[("code_challenge", None)]),
                &clients(),
                &resources()
            )),
            "invalid_request"
        );
        assert_eq!(
            redirect_error(validate(
                &request(&[("code_challenge_method", Some("plain"))]),
                &clients(),
                &resources()
            )),
            "invalid_request"
        );
        assert_eq!(
            redirect_error(validate(
                &request(&[("code_challenge_method", None)]),
                &clients(),
                &resources()
            )),
            "invalid_request"
        );
        assert_eq!(
            redirect_error(validate(
                &request(&[("code_challenge", Some("short"))]),
                &clients(),
                &resources()
            )),
            "invalid_request"
        );
    }

    #[test]
    fn other_checks_redirect_with_state() {
        let result = validate(
            &request(&[("response_type", Some("token"))]),
            &clients(),
            &resources(),
        );
        match result {
            Err(AuthorizeFailure::Redirect(error)) => {
                assert_eq!(error.state.as_deref(), Some("st"));
                assert_eq!(error.redirect_uri, CALLBACK);
                assert_eq!(error.error.error_code(), "unsupported_response_type");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            redirect_error(validate(
                &request(&[("scope", Some("profile"))]),
                &clients(),
                &resources()
            )),
            "invalid_scope"
        );
        assert_eq!(
            redirect_error(validate(
                &request(&[("prompt", Some("none login"))]),
                &clients(),
                &resources()
            )),
            "invalid_request"
        );
        assert_eq!(
            redirect_error(validate(
                &request(&[("first_screen", Some("elsewhere"))]),
                &clients(),
                &resources()
            )),
            "invalid_request"
        );
    }

    #[test]
    fn repeated_parameters_are_refused() {
        let mut raw = request(&[]);
        raw.0.push(("client_id".to_owned(), "app".to_owned()));
        assert!(matches!(
            validate(&raw, &clients(), &resources()),
            Err(AuthorizeFailure::Page(
                UntrustedRedirect::DuplicateParameter(_)
            ))
        ));
        let mut raw = request(&[]);
        raw.0
            .push(("resource".to_owned(), "https://api.example".to_owned()));
        raw.0
            .push(("resource".to_owned(), "https://api2.example".to_owned()));
        assert_eq!(
            validate(&raw, &clients(), &resources())
                .unwrap()
                .resources
                .len(),
            2
        );
    }

    #[test]
    fn an_unregistered_resource_is_invalid_target_sent_to_the_client() {
        let mut raw = request(&[]);
        raw.0
            .push(("resource".to_owned(), "https://api.example".to_owned()));
        raw.0
            .push(("resource".to_owned(), "https://evil.example/api".to_owned()));
        match validate(&raw, &clients(), &resources()) {
            Err(AuthorizeFailure::Redirect(error)) => {
                assert_eq!(error.error.error_code(), "invalid_target");
                assert_eq!(error.state.as_deref(), Some("st"));
                assert_eq!(error.redirect_uri, CALLBACK);
            }
            other => panic!("{other:?}"),
        }
        let mut raw = request(&[]);
        raw.0
            .push(("resource".to_owned(), "https://api.example".to_owned()));
        assert_eq!(
            validate(&raw, &clients(), &resources()).unwrap().resources,
            ["https://api.example"]
        );
    }
}
