//! The relying party: the protocol steps the web layer calls, in protocol order.
//!
//! - [`RelyingParty::sign_in_url`]: authorization request (OIDC Core §3.1.2.1, RFC 7636 §4.3,
//!   RFC 8707 `resource`, Logto's `first_screen`/`login_hint`/`identifier`/`direct_sign_in`).
//! - [`RelyingParty::finish_sign_in`]: the callback (RFC 6749 §4.1.2, RFC 9207 §2.4), the code
//!   exchange (RFC 6749 §4.1.3, RFC 7636 §4.5) and ID-token verification (OIDC Core §3.1.3.7).
//! - [`RelyingParty::refresh`] (RFC 6749 §6, OIDC Core §12), [`RelyingParty::userinfo`]
//!   (OIDC Core §5.3), [`RelyingParty::revoke`] (RFC 7009 §2) and
//!   [`RelyingParty::end_session_url`] (OIDC RP-Initiated Logout 1.0 §2).
//!
//! Endpoints come only from the (issuer-checked) discovery document; the client authenticates
//! with HTTP Basic. No token is used, stored or returned before every check has passed.

use std::fmt;
use std::sync::Arc;

use oauth2::{
    AuthorizationCode, ConfigurationError, CsrfToken, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RefreshToken, Scope, StandardRevocableToken,
};
use serde::Deserialize;
use serde_json::Value;
use subtle::ConstantTimeEq as _;
use url::Url;

use super::config::RpConfig;
use super::discovery::{DiscoveryCache, ProviderMetadata};
use super::error::{clean_error_code, scrub, AuthError};
use super::experience::PublicExperience;
use super::http;
use super::id_token::{self, Expectations, IdTokenClaims};
use super::jwks::{self, JwksCache};
use super::oauth::{self, TokenFailure};
use super::tokens::{needs_refresh, TokenResponse, TokenSet};
use super::transaction::Transaction;
use crate::clock::SharedClock;
use crate::secret::Secret;

/// Random bytes in each `state`, `nonce` and PKCE verifier, as Logto's SDK (86 base64url
/// characters, within RFC 7636 §4.1's 43–128).
const RANDOM_BYTES: u32 = 64;

/// Scopes always requested, as Logto's SDK does; `offline_access` (with `prompt=consent`) is what
/// makes Logto issue a refresh token.
pub const BASE_SCOPES: [&str; 3] = ["openid", "offline_access", "profile"];

/// Logto's `first_screen` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstScreen {
    SignIn,
    Register,
    IdentifierSignIn,
    IdentifierRegister,
    ResetPassword,
    SingleSignOn,
}

impl FirstScreen {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::Register => "register",
            Self::IdentifierSignIn => "identifier:sign_in",
            Self::IdentifierRegister => "identifier:register",
            Self::ResetPassword => "reset_password",
            Self::SingleSignOn => "single_sign_on",
        }
    }
}

/// Logto's `identifier` values (sent space-joined).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identifier {
    Email,
    Phone,
    Username,
}

impl Identifier {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Username => "username",
        }
    }
}

/// Logto's `direct_sign_in=method:target` (e.g. `social:google`, `sso:<connector id>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectSignIn {
    pub method: String,
    pub target: String,
}

/// Per-request options of a sign-in.
#[derive(Debug, Clone, Default)]
pub struct SignInOptions {
    /// Where to go afterwards: a same-origin path the web layer has already validated.
    pub return_to: String,
    pub first_screen: Option<FirstScreen>,
    pub login_hint: Option<String>,
    pub identifiers: Vec<Identifier>,
    pub direct_sign_in: Option<DirectSignIn>,
    /// The colour theme the person chose in the app (`light` or `dark`), sent as `ui_theme` so
    /// the provider's pages match; `None` follows the system. Providers that do not know the
    /// parameter ignore it (OIDC Core §3.1.2.1).
    pub ui_theme: Option<&'static str>,
}

/// The raw query of the callback (RFC 6749 §4.1.2 / §4.1.2.1, RFC 9207 §2); deserializable from
/// the query string as is.
#[derive(Clone, Default, Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// The code and state are bearer values: not printed.
impl fmt::Debug for CallbackParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackParams")
            .field("code", &self.code.as_ref().map(|_| "[redacted]"))
            .field("state", &self.state.as_ref().map(|_| "[redacted]"))
            .field("iss", &self.iss)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// A completed sign-in: verified tokens and where to go next.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub tokens: TokenSet,
    pub return_to: String,
}

/// The app as an OpenID Connect relying party of one provider.
pub struct RelyingParty {
    config: RpConfig,
    issuer: String,
    clock: SharedClock,
    http: reqwest::Client,
    discovery: DiscoveryCache,
    jwks: JwksCache,
    experience: PublicExperience,
}

impl fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelyingParty")
            .field("issuer", &self.issuer)
            .field("client_id", &self.config.client_id)
            .finish_non_exhaustive()
    }
}

impl RelyingParty {
    /// A relying party for `config`; nothing is fetched until first use.
    pub fn new(config: RpConfig, clock: SharedClock) -> Result<Self, AuthError> {
        if config.client_id.is_empty() {
            return Err(AuthError::Config("client_id is empty".into()));
        }
        for (name, url) in [
            ("endpoint", &config.endpoint),
            ("redirect_uri", &config.redirect_uri),
            ("post_logout_redirect_uri", &config.post_logout_redirect_uri),
        ] {
            if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
                return Err(AuthError::Config(format!("{name} is not an http(s) URL")));
            }
        }
        let http = http::client(config.http_timeout)?;
        Ok(Self {
            issuer: config.issuer(),
            config,
            clock,
            http,
            discovery: DiscoveryCache::new(),
            jwks: JwksCache::new(),
            experience: PublicExperience::new(),
        })
    }

    /// Forgets whether sign-up is open, so the next page reads it again.
    pub async fn forget_sign_up_policy(&self) {
        self.experience.forget().await;
    }

    /// Whether the provider lets new people create an account (its public sign-in experience,
    /// re-read at most every [`super::experience::FRESHNESS`]); `true` when it cannot be read.
    pub async fn sign_up_open(&self) -> bool {
        self.experience
            .sign_up_open(&self.http, &self.config.endpoint)
            .await
    }

    /// `{endpoint}/oidc`: with `sub`, the identity of a user is (`issuer`, `sub`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn config(&self) -> &RpConfig {
        &self.config
    }

    /// The injected clock's current time, in Unix seconds.
    pub fn now(&self) -> u64 {
        self.clock.unix_seconds()
    }

    /// True when `tokens`' access token expires within the refresh margin of `now`.
    pub fn needs_refresh(&self, tokens: &TokenSet, now: u64) -> bool {
        needs_refresh(tokens, now)
    }

    /// The provider's metadata (fetched and checked on first use, then cached).
    pub async fn metadata(&self) -> Result<Arc<ProviderMetadata>, AuthError> {
        self.discovery
            .get(&self.http, &self.config.discovery_url(), &self.issuer)
            .await
    }

    /// `openid offline_access profile` + the configured extras, split on whitespace, deduplicated.
    pub fn scopes(&self) -> Vec<String> {
        let mut scopes: Vec<String> = Vec::new();
        let extras = self
            .config
            .extra_scopes
            .iter()
            .flat_map(|s| s.split_whitespace());
        for scope in BASE_SCOPES.into_iter().chain(extras) {
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
        }
        scopes
    }

    /// Starts a sign-in: the authorization URL to redirect to and the transaction to keep
    /// server-side (keyed by its `state`) until the callback.
    pub async fn sign_in_url(
        &self,
        options: SignInOptions,
    ) -> Result<(Url, Transaction), AuthError> {
        let metadata = self.metadata().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256_len(RANDOM_BYTES);
        let transaction = Transaction {
            state: CsrfToken::new_random_len(RANDOM_BYTES).into_secret(),
            code_verifier: Secret::new(verifier.into_secret()),
            nonce: CsrfToken::new_random_len(RANDOM_BYTES).into_secret(),
            issuer: self.issuer.clone(),
            redirect_uri: self.config.redirect_uri.clone(),
            return_to: if options.return_to.is_empty() {
                "/".to_owned()
            } else {
                options.return_to
            },
            created_at: self.now(),
        };
        let client = oauth::client(&self.config, &metadata);
        let mut request = client
            .authorize_url(|| CsrfToken::new(transaction.state.clone()))
            .add_scopes(self.scopes().into_iter().map(Scope::new))
            .set_pkce_challenge(challenge)
            .add_extra_param("nonce", transaction.nonce.as_str())
            .add_extra_param("prompt", "consent");
        for resource in &self.config.resources {
            request = request.add_extra_param("resource", resource.as_str());
        }
        if let Some(screen) = options.first_screen {
            request = request.add_extra_param("first_screen", screen.as_str());
        }
        if let Some(hint) = options.login_hint.as_deref().filter(|h| !h.is_empty()) {
            request = request.add_extra_param("login_hint", hint);
        }
        if !options.identifiers.is_empty() {
            let mut names: Vec<&str> = Vec::new();
            for identifier in &options.identifiers {
                if !names.contains(&identifier.as_str()) {
                    names.push(identifier.as_str());
                }
            }
            request = request.add_extra_param("identifier", names.join(" "));
        }
        if let Some(theme) = options.ui_theme {
            request = request.add_extra_param("ui_theme", theme);
        }
        if let Some(direct) = &options.direct_sign_in {
            request = request.add_extra_param(
                "direct_sign_in",
                format!("{}:{}", direct.method, direct.target),
            );
        }
        let (url, _) = request.url();
        Ok((url, transaction))
    }

    /// Finishes a sign-in from the callback's query and the transaction taken (removed) from the
    /// session for its `state`. Checks run in protocol order; the code is redeemed only after all
    /// callback checks pass, and the tokens are returned only after the ID token verified.
    pub async fn finish_sign_in(
        &self,
        params: &CallbackParams,
        transaction: Transaction,
    ) -> Result<SignedIn, AuthError> {
        let now = self.now();
        if transaction.is_expired(now) {
            return Err(AuthError::TransactionExpired);
        }
        let metadata = self.metadata().await?;

        // RFC 9207 §2.4, before looking at `error` or `code`.
        if transaction.issuer != self.issuer {
            return Err(AuthError::IssuerMismatch);
        }
        match params.iss.as_deref() {
            Some(iss) if iss != self.issuer => return Err(AuthError::IssuerMismatch),
            None if metadata.authorization_response_iss_parameter_supported => {
                return Err(AuthError::MissingIssuer)
            }
            _ => {}
        }

        // RFC 6749 §4.1.2.1.
        if let Some(error) = params.error.as_deref() {
            let secrets = [
                transaction.state.as_str(),
                transaction.nonce.as_str(),
                params.code.as_deref().unwrap_or_default(),
            ];
            let description = params
                .error_description
                .as_deref()
                .map(|d| scrub(d, &secrets))
                .filter(|d| !d.is_empty());
            return Err(if error == "access_denied" {
                AuthError::Cancelled { description }
            } else {
                AuthError::ProviderError {
                    error: clean_error_code(error),
                    description,
                }
            });
        }

        let state = params.state.as_deref().ok_or(AuthError::MissingState)?;
        if !bool::from(state.as_bytes().ct_eq(transaction.state.as_bytes())) {
            return Err(AuthError::StateMismatch);
        }
        let code = params
            .code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or(AuthError::MissingCode)?;

        // RFC 6749 §4.1.3 + RFC 7636 §4.5.
        let client = oauth::client(&self.config, &metadata);
        let secrets = [code, transaction.code_verifier.expose()];
        let request = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(
                transaction.code_verifier.expose().to_owned(),
            ))
            .set_redirect_uri(std::borrow::Cow::Owned(RedirectUrl::from_url(
                transaction.redirect_uri.clone(),
            )));
        let response = self
            .token_request(
                request.request_async(&self.oauth_http("token endpoint")),
                &secrets,
            )
            .await
            .map_err(|failure| failure.error)?;
        let id_token = response
            .id_token
            .ok_or_else(|| AuthError::TokenEndpoint("response has no id_token".into()))?;

        let claims = self
            .verify_id_token(
                &metadata,
                &id_token,
                Expectations {
                    issuer: &self.issuer,
                    client_id: &self.config.client_id,
                    nonce: Some(&transaction.nonce),
                    access_token: Some(&response.access_token),
                    original: None,
                    now,
                },
            )
            .await?;

        let received_at = self.now();
        let tokens = TokenSet {
            access_token_expires_at: response
                .expires_in
                .map_or(claims.exp, |secs| received_at.saturating_add(secs)),
            access_token: response.access_token,
            refresh_token: response.refresh_token,
            id_token,
            scope: response.scope,
            claims,
        };
        tracing::info!(issuer = %self.issuer, "sign-in completed");
        Ok(SignedIn {
            tokens,
            return_to: transaction.return_to,
        })
    }

    /// Refreshes `tokens` (RFC 6749 §6). A rotated refresh token replaces the old one, otherwise
    /// the old one is kept; a returned ID token must verify and keep `iss`, `sub` and `aud`
    /// (OIDC Core §12.2), otherwise the old claims are kept. `invalid_grant` (or no refresh token)
    /// is [`AuthError::SignedOut`].
    ///
    /// Refresh tokens rotate and reuse revokes the grant: call this through
    /// [`super::session::Refresher`], which makes it single-flight per session.
    pub async fn refresh(&self, tokens: &TokenSet) -> Result<TokenSet, AuthError> {
        let Some(refresh_token) = tokens.refresh_token.as_ref() else {
            tracing::info!("no refresh token; the session cannot be extended");
            return Err(AuthError::SignedOut);
        };
        let metadata = self.metadata().await?;
        let client = oauth::client(&self.config, &metadata);
        let grant = RefreshToken::new(refresh_token.expose().to_owned());
        let request = client.exchange_refresh_token(&grant);
        let response = match self
            .token_request(
                request.request_async(&self.oauth_http("token endpoint")),
                &[refresh_token.expose()],
            )
            .await
        {
            Ok(response) => response,
            Err(failure) if failure.code.as_deref() == Some("invalid_grant") => {
                tracing::info!("refresh token rejected (invalid_grant); signing out");
                return Err(AuthError::SignedOut);
            }
            Err(failure) => return Err(failure.error),
        };
        let now = self.now();
        let (id_token, claims) = match response.id_token {
            Some(id_token) => {
                let verified = self
                    .verify_id_token(
                        &metadata,
                        &id_token,
                        Expectations {
                            issuer: &self.issuer,
                            client_id: &self.config.client_id,
                            nonce: None,
                            access_token: Some(&response.access_token),
                            original: Some(&tokens.claims),
                            now,
                        },
                    )
                    .await;
                let claims = match verified {
                    Ok(claims) => claims,
                    Err(error) => {
                        // The provider has rotated the refresh token we sent: the new one came
                        // with an ID token we refuse, so it is revoked rather than kept.
                        if let Some(rotated) = &response.refresh_token {
                            self.revoke(rotated).await;
                        }
                        return Err(error);
                    }
                };
                (id_token, claims)
            }
            None => (tokens.id_token.clone(), tokens.claims.clone()),
        };
        Ok(TokenSet {
            access_token_expires_at: response
                .expires_in
                .map_or(claims.exp, |secs| now.saturating_add(secs)),
            access_token: response.access_token,
            refresh_token: response
                .refresh_token
                .or_else(|| tokens.refresh_token.clone()),
            id_token,
            scope: response.scope.or_else(|| tokens.scope.clone()),
            claims,
        })
    }

    /// The userinfo claims (OIDC Core §5.3), whose `sub` must equal the ID token's (§5.3.2).
    pub async fn userinfo(&self, tokens: &TokenSet) -> Result<Value, AuthError> {
        let metadata = self.metadata().await?;
        let endpoint = metadata
            .userinfo_endpoint
            .clone()
            .ok_or_else(|| AuthError::Userinfo("the provider has no userinfo endpoint".into()))?;
        let request = self
            .http
            .get(endpoint)
            .bearer_auth(tokens.access_token.expose())
            .header(reqwest::header::ACCEPT, "application/json");
        let body = http::send("userinfo", request).await?;
        if body.status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(AuthError::UserinfoRejected);
        }
        if body.status != reqwest::StatusCode::OK {
            tracing::warn!(status = %body.status, "userinfo request failed");
            return Err(AuthError::Userinfo(format!(
                "HTTP {}",
                body.status.as_u16()
            )));
        }
        if body
            .content_type
            .as_deref()
            .is_some_and(|ct| ct.starts_with("application/jwt"))
        {
            return Err(AuthError::Userinfo(
                "signed userinfo responses are not supported".into(),
            ));
        }
        let value: Value = serde_json::from_slice(&body.bytes)
            .map_err(|_| AuthError::Userinfo("response is not JSON".into()))?;
        let sub = value
            .as_object()
            .ok_or_else(|| AuthError::Userinfo("response is not a JSON object".into()))?
            .get("sub")
            .and_then(Value::as_str);
        if sub != Some(tokens.claims.sub.as_str()) {
            return Err(AuthError::UserinfoSubjectMismatch);
        }
        Ok(value)
    }

    /// Revokes `refresh_token` (RFC 7009 §2.1), best-effort: failures are logged (never the
    /// token) and otherwise ignored, since sign-out must go on regardless.
    pub async fn revoke(&self, refresh_token: &Secret) {
        let metadata = match self.metadata().await {
            Ok(metadata) => metadata,
            Err(error) => {
                tracing::warn!(%error, "token revocation skipped");
                return;
            }
        };
        let client = oauth::client(&self.config, &metadata);
        let token = StandardRevocableToken::RefreshToken(RefreshToken::new(
            refresh_token.expose().to_owned(),
        ));
        let outcome = match client.revoke_token(token) {
            Ok(request) => request
                .request_async(&self.oauth_http("revocation"))
                .await
                .map_err(|error| oauth::failure(error, &[refresh_token.expose()]).error),
            Err(ConfigurationError::MissingUrl(_)) => {
                tracing::info!("the provider has no revocation endpoint; nothing revoked");
                return;
            }
            // `oauth2` revokes only over https (RFC 7009 §2). Configuration allows a plain-http
            // provider only in development or on loopback; there the same request goes by hand.
            Err(_) => self.revoke_over_plain_http(&metadata, refresh_token).await,
        };
        match outcome {
            Ok(()) => tracing::debug!("refresh token revoked"),
            Err(error) => tracing::warn!(%error, "token revocation failed"),
        }
    }

    /// RFC 7009 §2.1 as `oauth2` would send it, for an `http://` revocation endpoint.
    async fn revoke_over_plain_http(
        &self,
        metadata: &ProviderMetadata,
        refresh_token: &Secret,
    ) -> Result<(), AuthError> {
        let endpoint = metadata.revocation_endpoint.clone().ok_or_else(|| {
            AuthError::Discovery("the provider has no revocation endpoint".into())
        })?;
        let form = [
            ("token", refresh_token.expose()),
            ("token_type_hint", "refresh_token"),
        ];
        let request = self
            .http
            .post(endpoint)
            .header(
                reqwest::header::AUTHORIZATION,
                http::basic_auth(&self.config.client_id, &self.config.client_secret).expose(),
            )
            .form(&form);
        let body = http::send("revocation", request).await?;
        if body.status.is_success() {
            Ok(())
        } else {
            Err(AuthError::TokenEndpoint(format!(
                "revocation refused (HTTP {})",
                body.status.as_u16()
            )))
        }
    }

    /// The RP-initiated logout URL (OIDC RP-Initiated Logout 1.0 §2): `client_id`, the
    /// configured `post_logout_redirect_uri`, `id_token_hint` when known and `state`.
    pub async fn end_session_url(&self, id_token_hint: Option<&Secret>) -> Result<Url, AuthError> {
        let metadata = self.metadata().await?;
        let mut url = metadata.end_session_endpoint.clone().ok_or_else(|| {
            AuthError::Discovery("the provider has no end_session_endpoint".into())
        })?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("client_id", &self.config.client_id)
                .append_pair(
                    "post_logout_redirect_uri",
                    self.config.post_logout_redirect_uri.as_str(),
                );
            if let Some(hint) = id_token_hint {
                query.append_pair("id_token_hint", hint.expose());
            }
            // No `state`: nothing here could check it when the person comes back, and it would
            // only leave `/?state=…` in their address bar (RP-Initiated Logout §2 makes it
            // optional).
        }
        Ok(url)
    }

    /// The HTTP client `oauth2` sends `what` through: ours, bounded.
    fn oauth_http(&self, what: &'static str) -> oauth::Sender<'_> {
        oauth::Sender::new(&self.http, what)
    }

    /// Awaits a grant `oauth2` is sending to the token endpoint and checks the 200 body.
    /// `secrets` (what the grant carries) are scrubbed from any provider text that reaches an
    /// error.
    async fn token_request(
        &self,
        sent: impl std::future::Future<Output = Result<oauth::TokenReply, oauth::RequestError>>,
        secrets: &[&str],
    ) -> Result<TokenResponse, TokenFailure> {
        let reply = sent.await.map_err(|error| oauth::failure(error, secrets))?;
        Ok(oauth::token_response(&reply)?)
    }

    /// Verifies `id_token` completely: allow-listed `alg`, key from the JWKS by `kid`, signature,
    /// then claims.
    async fn verify_id_token(
        &self,
        metadata: &ProviderMetadata,
        id_token: &Secret,
        expect: Expectations<'_>,
    ) -> Result<IdTokenClaims, AuthError> {
        let parsed = id_token::parse(id_token.expose())?;
        let jwk = self
            .jwks
            .key(
                &self.http,
                &metadata.jwks_uri,
                parsed.kid.as_deref(),
                expect.now,
            )
            .await?;
        let key = jwks::decoding_key(&jwk, parsed.alg)?;
        if let Err(error) = id_token::verify_signature(&parsed, &key) {
            let rotated = match parsed.kid {
                Some(_) => None,
                None => {
                    self.jwks
                        .rotated_single_key(&self.http, &metadata.jwks_uri, &jwk, expect.now)
                        .await?
                }
            };
            let Some(rotated) = rotated else {
                return Err(error.into());
            };
            id_token::verify_signature(&parsed, &jwks::decoding_key(&rotated, parsed.alg)?)?;
        }
        let claims = id_token::validate_claims(&parsed, &expect)?;
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::collections::HashMap;
    use std::time::Duration;

    fn config() -> RpConfig {
        RpConfig {
            endpoint: Url::parse("https://idp.example").unwrap(),
            client_id: "app".into(),
            client_secret: Secret::new("secret"),
            redirect_uri: Url::parse("https://app.example/logto/sign-in-callback").unwrap(),
            post_logout_redirect_uri: Url::parse("https://app.example/").unwrap(),
            extra_scopes: vec!["email".into(), "profile roles".into(), "email".into()],
            resources: vec!["https://api.example".into(), "https://api2.example".into()],
            http_timeout: Duration::from_secs(5),
        }
    }

    fn rp() -> RelyingParty {
        RelyingParty::new(config(), Arc::new(ManualClock::at(1_700_000_000))).unwrap()
    }

    #[test]
    fn scopes_are_base_plus_extras_deduplicated() {
        assert_eq!(
            rp().scopes(),
            ["openid", "offline_access", "profile", "email", "roles"]
        );
    }

    #[test]
    fn config_urls_must_be_http() {
        let mut bad = config();
        bad.redirect_uri = Url::parse("javascript:alert(1)").unwrap();
        assert!(matches!(
            RelyingParty::new(bad, Arc::new(ManualClock::at(0))),
            Err(AuthError::Config(_))
        ));
    }

    #[test]
    fn callback_params_debug_hides_code_and_state() {
        let params = CallbackParams {
            code: Some("the-code".into()),
            state: Some("the-state".into()),
            ..CallbackParams::default()
        };
        let printed = format!("{params:?}");
        assert!(!printed.contains("the-code") && !printed.contains("the-state"));
    }

    /// Builds the authorization URL against pre-seeded metadata (no network).
    async fn sign_in_url(options: SignInOptions) -> (Url, Transaction) {
        let rp = rp();
        let metadata: ProviderMetadata = serde_json::from_value(serde_json::json!({
            "issuer": "https://idp.example/oidc",
            "authorization_endpoint": "https://idp.example/oidc/auth",
            "token_endpoint": "https://idp.example/oidc/token",
            "jwks_uri": "https://idp.example/oidc/jwks"
        }))
        .unwrap();
        rp.discovery.seed(metadata);
        rp.sign_in_url(options).await.unwrap()
    }

    fn query(url: &Url) -> HashMap<String, Vec<String>> {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in url.query_pairs() {
            map.entry(k.into_owned()).or_default().push(v.into_owned());
        }
        map
    }

    #[tokio::test]
    async fn authorization_url_carries_every_parameter() {
        let (url, tx) = sign_in_url(SignInOptions {
            return_to: "/profile".into(),
            first_screen: Some(FirstScreen::Register),
            login_hint: Some("a@b.example".into()),
            identifiers: vec![Identifier::Email, Identifier::Username, Identifier::Email],
            direct_sign_in: Some(DirectSignIn {
                method: "social".into(),
                target: "google".into(),
            }),
            ui_theme: Some("dark"),
        })
        .await;
        assert!(url.as_str().starts_with("https://idp.example/oidc/auth?"));
        let q = query(&url);
        let one = |k: &str| q.get(k).map(|v| v[0].as_str());
        assert_eq!(one("client_id"), Some("app"));
        assert_eq!(
            one("redirect_uri"),
            Some("https://app.example/logto/sign-in-callback")
        );
        assert_eq!(one("response_type"), Some("code"));
        assert_eq!(
            one("scope"),
            Some("openid offline_access profile email roles")
        );
        assert_eq!(one("state"), Some(tx.state.as_str()));
        assert_eq!(one("nonce"), Some(tx.nonce.as_str()));
        assert_eq!(
            one("code_challenge"),
            Some(
                PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
                    tx.code_verifier.expose().to_owned()
                ))
                .as_str()
            )
        );
        assert_eq!(one("code_challenge_method"), Some("S256"));
        assert_eq!(one("prompt"), Some("consent"));
        assert_eq!(one("ui_theme"), Some("dark"));
        assert_eq!(
            q.get("resource").unwrap(),
            &vec![
                "https://api.example".to_owned(),
                "https://api2.example".to_owned()
            ]
        );
        assert_eq!(one("first_screen"), Some("register"));
        assert_eq!(one("login_hint"), Some("a@b.example"));
        assert_eq!(one("identifier"), Some("email username"));
        assert_eq!(one("direct_sign_in"), Some("social:google"));
        assert!(!url.as_str().contains(tx.code_verifier.expose()));
        assert_eq!(tx.return_to, "/profile");
        assert_eq!(tx.issuer, "https://idp.example/oidc");
        assert_eq!(tx.created_at, 1_700_000_000);
    }

    #[tokio::test]
    async fn two_sign_ins_differ_in_every_random_value() {
        let (url_a, a) = sign_in_url(SignInOptions::default()).await;
        let (url_b, b) = sign_in_url(SignInOptions::default()).await;
        assert_ne!(a.state, b.state);
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.code_verifier.expose(), b.code_verifier.expose());
        assert_ne!(
            query(&url_a).get("code_challenge"),
            query(&url_b).get("code_challenge")
        );
        assert_eq!(a.return_to, "/");
        for value in [&a.state, &a.nonce, &a.code_verifier.expose().to_owned()] {
            assert_eq!(value.len(), 86, "64 random bytes, base64url");
        }
        let q = query(&url_a);
        for absent in ["first_screen", "login_hint", "identifier", "direct_sign_in"] {
            assert!(!q.contains_key(absent), "{absent}");
        }
    }
}
