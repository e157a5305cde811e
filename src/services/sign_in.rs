//! The app's sign-in use cases over the relying-party core: start a sign-in, finish it at the
//! callback, tell who is signed in (enforcing idle and absolute timeouts and refreshing tokens in
//! single flight), fetch userinfo (answers cached briefly, failures held back with backoff, a
//! rejected access token refreshed once), refresh on demand, and sign out. Route
//! handlers and server functions are thin adapters over this; it holds no Leptos or axum types.

use crate::auth::{
    AuthError, AuthSession, CallbackParams, CurrentUser, FirstScreen, Grants, Refresher,
    RelyingParty, RpConfig, SharedGrants, SignInOptions, TokenSet,
};
use crate::clock::SharedClock;
use crate::config::{SessionSettings, Settings};
use std::sync::Arc;
use std::time::Duration;
use tower_sessions::Session;
use url::Url;

/// Userinfo answers kept at most (one per signed-in person with a live access token).
const USERINFO_CACHE_ENTRIES: u64 = 10_000;
/// How long a failed userinfo is answered from memory before the provider is asked again: this
/// doubles with each failure in a row, from the first to the last.
const USERINFO_BACKOFF_FIRST_SECS: u64 = 2;
const USERINFO_BACKOFF_LAST_SECS: u64 = 60;

/// Which access token a userinfo answer is for: a digest of the token, so the cache keeps none.
type TokenKey = [u8; 16];

/// A userinfo failure held back: the error, how many in a row, and when to ask again.
#[derive(Clone)]
struct HeldFailure {
    error: Arc<AuthError>,
    failures: u32,
    retry_at: u64,
}

pub struct AuthService {
    rp: RelyingParty,
    refresher: Refresher,
    grants: Grants,
    session: SessionSettings,
    /// Recent userinfo answers by access token; `None` when every view fetches.
    userinfo: Option<moka::future::Cache<TokenKey, Arc<serde_json::Value>>>,
    /// Recent userinfo failures by access token, answered again until their `retry_at`.
    userinfo_failures: moka::future::Cache<TokenKey, HeldFailure>,
    userinfo_max_age: Duration,
    /// The dev mailbox of the embedded provider, when it is the one in use.
    pub mailbox_url: Option<String>,
}

impl AuthService {
    /// The sign-in use cases for `settings`, keeping tokens in `grants` (the session engine's).
    pub fn new(
        settings: &Settings,
        clock: SharedClock,
        grants: SharedGrants,
    ) -> Result<Self, AuthError> {
        let base = settings.logto.base();
        let (endpoint, mailbox_url) = match &settings.logto.endpoint {
            Some(endpoint) => (endpoint.clone(), None),
            // The embedded provider's dev mailbox exists only in development.
            None => (
                settings.provider.base_url.clone(),
                (settings.site.mode == crate::config::RunMode::Dev)
                    .then(|| format!("{}/dev/mailbox", settings.provider.base())),
            ),
        };
        let parse =
            |text: String| Url::parse(&text).map_err(|error| AuthError::Config(error.to_string()));
        let config = RpConfig {
            endpoint,
            client_id: settings.logto.app_id.clone(),
            client_secret: settings.logto.app_secret.clone(),
            redirect_uri: parse(format!("{base}/logto/sign-in-callback"))?,
            post_logout_redirect_uri: parse(base.to_owned())?,
            extra_scopes: settings.logto.scopes.clone(),
            resources: settings.logto.resources.clone(),
            http_timeout: settings.logto.http_timeout,
        };
        let max_age = settings.logto.userinfo_max_age;
        Ok(Self {
            rp: RelyingParty::new(config, Arc::clone(&clock))?,
            // A lease outlives the longest refresh: the provider's timeout, with room to save.
            refresher: Refresher::new(settings.logto.http_timeout + Duration::from_secs(5)),
            grants: Grants::new(grants, clock, settings.session.absolute_lifetime),
            session: settings.session.clone(),
            userinfo: (!max_age.is_zero()).then(|| {
                moka::future::Cache::builder()
                    .max_capacity(USERINFO_CACHE_ENTRIES)
                    .time_to_live(max_age)
                    .build()
            }),
            userinfo_failures: moka::future::Cache::builder()
                .max_capacity(USERINFO_CACHE_ENTRIES)
                // Long enough to remember the failures in a row behind the longest wait.
                .time_to_live(Duration::from_secs(2 * USERINFO_BACKOFF_LAST_SECS))
                .build(),
            userinfo_max_age: max_age,
            mailbox_url,
        })
    }

    pub fn now(&self) -> u64 {
        self.rp.now()
    }

    fn auth_session(&self, session: &Session) -> AuthSession {
        AuthSession::new(session.clone(), self.grants.clone())
    }

    /// Forgets whether sign-up is open (after the settings page changed it).
    pub async fn forget_sign_up_policy(&self) {
        self.rp.forget_sign_up_policy().await;
    }

    /// Whether the provider lets new people create an account.
    pub async fn sign_up_open(&self) -> bool {
        self.rp.sign_up_open().await
    }

    /// The provider URL to send the browser to; the transaction is kept in the session.
    pub async fn begin(
        &self,
        session: &Session,
        return_to: Option<&str>,
        register: bool,
        ui_theme: Option<&'static str>,
    ) -> Result<Url, AuthError> {
        let options = SignInOptions {
            return_to: safe_return_to(return_to),
            first_screen: register.then_some(FirstScreen::Register),
            ui_theme,
            ..SignInOptions::default()
        };
        let (url, transaction) = self.rp.sign_in_url(options).await?;
        self.auth_session(session)
            .save_transaction(transaction)
            .await?;
        Ok(url)
    }

    /// Finishes the sign-in at the callback; returns where to go next.
    pub async fn finish(
        &self,
        session: &Session,
        params: &CallbackParams,
    ) -> Result<String, AuthError> {
        let signed_in = self
            .auth_session(session)
            .complete_sign_in(&self.rp, params)
            .await?;
        Ok(safe_return_to(Some(&signed_in.return_to)))
    }

    /// The signed-in user and live tokens, or `None`: ends sessions past their idle or absolute
    /// limit, refreshes tokens close to expiry (one refresh per session however many requests).
    /// Roles come from the ID token, or from userinfo when the ID token has no `roles` claim.
    pub async fn current(&self, session: &Session) -> Result<Option<SignedIn>, AuthError> {
        let auth = self.auth_session(session);
        let Some(tokens) = auth.tokens().await? else {
            return Ok(None);
        };
        let now = self.now();
        if !auth
            .is_valid_with(
                &tokens,
                now,
                self.session.idle_timeout,
                self.session.absolute_lifetime,
            )
            .await?
        {
            auth.sign_out().await?;
            return Ok(None);
        }
        let tokens = if tokens.needs_refresh(now) {
            match self.refresher.fresh_tokens(&auth, &self.rp).await {
                Ok(Some(tokens)) => tokens,
                Ok(None) | Err(AuthError::SignedOut) => return Ok(None),
                Err(error) => return Err(error),
            }
        } else {
            tokens
        };
        auth.touch(now).await?;
        let mut signed_in = SignedIn::new(tokens);
        if !signed_in.tokens.claims.all.contains_key("roles") {
            // A Logto tenant may leave `roles` out of ID tokens (`idToken.enabledExtendedClaims`)
            // and give them in userinfo only.
            signed_in.user.roles = self.roles_from_userinfo(&signed_in.tokens).await;
        }
        Ok(Some(signed_in))
    }

    /// Claims from the userinfo endpoint, at most `userinfo_max_age` old, fetched once however
    /// many views ask for the same access token at the same time (the others wait for that one
    /// answer; if its caller is cancelled, a waiter fetches instead). A failure is answered from
    /// memory, without asking the provider, for 2 s, then 4 s, 8 s … up to 60 s while it keeps
    /// failing: a provider in trouble is not asked again on every page view.
    pub async fn userinfo(&self, tokens: &TokenSet) -> UserinfoAnswer {
        let key = token_key(tokens);
        match &self.userinfo {
            // Failures are not cached here: `fetch_userinfo` holds them back itself.
            Some(cache) => cache
                .try_get_with(key, self.fetch_userinfo(key, tokens))
                .await
                .map_err(|error| Arc::clone(&*error)),
            None => self.fetch_userinfo(key, tokens).await,
        }
    }

    /// Asks the provider's userinfo, unless a failure for this access token is held back; keeps
    /// count of failures in a row and how long to hold the last one back.
    async fn fetch_userinfo(&self, key: TokenKey, tokens: &TokenSet) -> UserinfoAnswer {
        let held = self.userinfo_failures.get(&key).await;
        if let Some(held) = &held {
            if self.now() < held.retry_at {
                return Err(Arc::clone(&held.error));
            }
        }
        match self.rp.userinfo(tokens).await {
            Ok(claims) => {
                if held.is_some() {
                    self.userinfo_failures.invalidate(&key).await;
                }
                Ok(Arc::new(claims))
            }
            Err(error) => {
                let error = Arc::new(error);
                let failures = held.map_or(1, |held| held.failures.saturating_add(1));
                let wait = USERINFO_BACKOFF_FIRST_SECS
                    .saturating_mul(1 << (failures - 1).min(16))
                    .min(USERINFO_BACKOFF_LAST_SECS);
                tracing::warn!(%error, failures, retry_in_secs = wait, "userinfo failed");
                let failure = HeldFailure {
                    error: Arc::clone(&error),
                    failures,
                    retry_at: self.now().saturating_add(wait),
                };
                self.userinfo_failures.insert(key, failure).await;
                Err(error)
            }
        }
    }

    /// Userinfo for `person`'s page. A 401 means the access token is no longer good: the tokens
    /// are refreshed once (one refresh however many requests saw the refusal) and userinfo asked
    /// again with the new one.
    /// If the refresh finds the grant gone, or the new token is refused too, the person is
    /// signed out here ([`AuthError::SignedOut`]). Returns who is signed in now (with the
    /// refreshed tokens, if any) and the userinfo answer.
    pub async fn userinfo_for_page(
        &self,
        session: &Session,
        person: SignedIn,
    ) -> Result<(SignedIn, UserinfoAnswer), AuthError> {
        let answer = self.userinfo(&person.tokens).await;
        if !is_refusal(&answer) {
            return Ok((person, answer));
        }
        tracing::info!(user = %person.user.sub, "userinfo refused the access token; refreshing");
        let auth = self.auth_session(session);
        let tokens = match self
            .refresher
            .replace_refused(&auth, &self.rp, &person.tokens)
            .await
        {
            Ok(Some(tokens)) => tokens,
            Ok(None) | Err(AuthError::SignedOut) => return Err(AuthError::SignedOut),
            Err(error) => return Err(error),
        };
        let mut refreshed = SignedIn::new(tokens);
        if !refreshed.tokens.claims.all.contains_key("roles") {
            // Read from userinfo for this request already (see `current`).
            refreshed.user.roles = person.user.roles;
        }
        let answer = self.userinfo(&refreshed.tokens).await;
        if is_refusal(&answer) {
            tracing::warn!(user = %refreshed.user.sub, "userinfo refused the refreshed access token; signing out");
            auth.sign_out().await?;
            return Err(AuthError::SignedOut);
        }
        Ok((refreshed, answer))
    }

    /// The `roles` claim of userinfo (cached like every userinfo answer); none when it fails.
    async fn roles_from_userinfo(&self, tokens: &TokenSet) -> Vec<String> {
        match self.userinfo(tokens).await {
            Ok(claims) => claims["roles"]
                .as_array()
                .map(|roles| {
                    roles
                        .iter()
                        .filter_map(|role| role.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            Err(error) => {
                tracing::warn!(%error, "roles could not be read from userinfo");
                Vec::new()
            }
        }
    }

    /// How old a userinfo answer shown to a person may be.
    pub fn userinfo_max_age(&self) -> Duration {
        self.userinfo_max_age
    }

    /// Refreshes now, whatever the expiry (still one refresh per session at a time); returns the
    /// new token set, or `None` when signed out.
    pub async fn refresh_now(&self, session: &Session) -> Result<Option<TokenSet>, AuthError> {
        let auth = self.auth_session(session);
        match self.refresher.force_refresh(&auth, &self.rp).await {
            Err(AuthError::SignedOut) => Ok(None),
            other => other,
        }
    }

    /// Ends the session here, revokes the refresh token, and returns the provider's end-session
    /// URL (with `id_token_hint`, `client_id`, `post_logout_redirect_uri` and `state`).
    pub async fn sign_out(&self, session: &Session) -> Result<Url, AuthError> {
        let tokens = self.auth_session(session).sign_out().await?;
        if let Some(refresh_token) = tokens
            .as_ref()
            .and_then(|tokens| tokens.refresh_token.as_ref())
        {
            self.rp.revoke(refresh_token).await;
        }
        self.rp
            .end_session_url(tokens.as_ref().map(|tokens| &tokens.id_token))
            .await
    }

    pub fn session_settings(&self) -> &SessionSettings {
        &self.session
    }
}

/// A userinfo answer, or why there is none (shared by the views that asked at once).
pub type UserinfoAnswer = Result<Arc<serde_json::Value>, Arc<AuthError>>;

/// Whether userinfo refused the access token (401).
fn is_refusal(answer: &UserinfoAnswer) -> bool {
    matches!(answer, Err(error) if matches!(**error, AuthError::UserinfoRejected))
}

/// The key of `tokens`' access token in the userinfo caches: a SHA-256 prefix.
fn token_key(tokens: &TokenSet) -> TokenKey {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(tokens.access_token.expose().as_bytes());
    let mut key = [0; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// Who is signed in, and their live tokens (which never leave the server).
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub user: CurrentUser,
    pub tokens: Arc<TokenSet>,
}

impl SignedIn {
    pub fn new(tokens: TokenSet) -> Self {
        Self {
            user: CurrentUser::from_claims(&tokens.claims),
            tokens: Arc::new(tokens),
        }
    }
}

/// A same-origin path to return to after sign-in, else `/` (security.md "Redirects"): one leading
/// `/`, not `//` or `/\`, no scheme, no control or space characters — checked before and after
/// percent-decoding.
pub fn safe_return_to(input: Option<&str>) -> String {
    let Some(path) = input else {
        return "/".to_owned();
    };
    let acceptable = |candidate: &str| {
        candidate.starts_with('/')
            && !candidate.starts_with("//")
            && !candidate.starts_with("/\\")
            && !candidate.contains('\\')
            && !candidate
                .chars()
                .any(|c| c.is_control() || c.is_whitespace())
            && candidate.len() <= 2048
    };
    let decoded = urlencoding::decode(path)
        .map(|text| text.into_owned())
        .unwrap_or_default();
    if acceptable(path) && acceptable(&decoded) {
        path.to_owned()
    } else {
        "/".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_return_to;

    #[test]
    fn open_redirect_probes_fall_back_to_the_home_page() {
        for probe in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "/%09/evil.example",
            "javascript:alert(1)",
            "%2F%2Fevil.example",
            "/%2F%2Fevil.example",
            "/%5Cevil.example",
            "/ profile",
            "",
        ] {
            assert_eq!(safe_return_to(Some(probe)), "/", "{probe}");
        }
        assert_eq!(safe_return_to(None), "/");
    }

    #[test]
    fn same_origin_paths_are_kept() {
        for path in [
            "/",
            "/profile",
            "/settings/sign-in-experience?tab=email",
            "/a/b#c",
        ] {
            assert_eq!(safe_return_to(Some(path)), path);
        }
    }
}
