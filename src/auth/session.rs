//! The signed-in state, typed, over a server-side `tower_sessions::Session` (the cookie carries only
//! the session id; tokens never leave the store). No handler touches the string keys below.
//!
//! - pending sign-ins: a [`TransactionStore`] keyed by `state` (several tabs at once, capped,
//!   expired ones pruned, single use);
//! - [`AuthSession::sign_in`] rotates the session id (session fixation, OWASP ASVS V7.2.4) and
//!   records `authenticated_at` so the absolute lifetime is enforced on the server, next to the
//!   idle timeout ([`AuthSession::is_valid`]);
//! - [`Refresher`] makes token refresh single-flight per session: Logto rotates refresh tokens and
//!   revokes the whole grant when a consumed one is reused after 3 s (`logto-compat.md` §4), so
//!   concurrent requests must share one refresh.
//!
//! [`CurrentUser`] is what pages see: identity is (`iss`, `sub`), never the email.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::FromRequestParts;
use http::request::Parts;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use tower_sessions::session::Id;
use tower_sessions::Session;

use super::client::{CallbackParams, RelyingParty, SignedIn};
use super::error::AuthError;
use super::id_token::IdTokenClaims;
use super::tokens::TokenSet;
use super::transaction::{Transaction, TransactionStore};

const TRANSACTIONS_KEY: &str = "auth.transactions";
const TOKENS_KEY: &str = "auth.tokens";
const AUTHENTICATED_AT_KEY: &str = "auth.authenticated_at";
const LAST_SEEN_KEY: &str = "auth.last_seen";

/// `last_seen` is rewritten at most this often (seconds), to spare the store a write per request.
const TOUCH_GRANULARITY_SECS: u64 = 60;

/// Described by kind only: a serde error can quote the stored value, which may be a token.
fn store_error(error: &tower_sessions::session::Error) -> AuthError {
    use tower_sessions::session::Error;
    AuthError::Session(match error {
        Error::SerdeJson(_) => "session data could not be encoded or decoded".into(),
        Error::Store(_) => "the session store failed".into(),
    })
}

/// The signed-in user as pages see it, derived from verified ID-token claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    /// With `sub`, the user's identity.
    pub issuer: String,
    pub sub: String,
    pub name: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub picture: Option<String>,
    pub roles: Vec<String>,
}

impl CurrentUser {
    pub fn from_claims(claims: &IdTokenClaims) -> Self {
        Self {
            issuer: claims.iss.clone(),
            sub: claims.sub.clone(),
            name: claims.name.clone(),
            username: claims.username.clone(),
            email: claims.email.clone(),
            email_verified: claims.email_verified,
            picture: claims.picture.clone(),
            roles: claims.roles.clone(),
        }
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Name, else username, else email, else the subject.
    pub fn display_name(&self) -> &str {
        [&self.name, &self.username, &self.email]
            .into_iter()
            .flatten()
            .find(|s| !s.is_empty())
            .map_or(self.sub.as_str(), String::as_str)
    }
}

/// The auth part of one request's session.
#[derive(Clone)]
pub struct AuthSession {
    session: Session,
}

impl fmt::Debug for AuthSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSession").finish_non_exhaustive()
    }
}

impl AuthSession {
    pub fn new(session: Session) -> Self {
        Self { session }
    }

    /// The session id, once the session has been saved.
    pub fn id(&self) -> Option<Id> {
        self.session.id()
    }

    /// Keeps a started sign-in until its callback (pruning expired ones, capped).
    pub async fn save_transaction(&self, transaction: Transaction) -> Result<(), AuthError> {
        let now = transaction.created_at;
        let mut store = self.transactions().await?;
        store.insert(transaction, now);
        self.session
            .insert(TRANSACTIONS_KEY, &store)
            .await
            .map_err(|e| store_error(&e))
    }

    /// Removes and returns the transaction for `state` and saves the session at once, so that a
    /// replayed callback finds nothing even if this request fails later.
    pub async fn take_transaction(&self, state: &str, now: u64) -> Result<Transaction, AuthError> {
        let mut store = self.transactions().await?;
        let before = store.len();
        let taken = store.take(state, now);
        if store.len() != before {
            self.session
                .insert(TRANSACTIONS_KEY, &store)
                .await
                .map_err(|e| store_error(&e))?;
            self.session.save().await.map_err(|e| store_error(&e))?;
        }
        taken
    }

    async fn transactions(&self) -> Result<TransactionStore, AuthError> {
        Ok(self
            .session
            .get::<TransactionStore>(TRANSACTIONS_KEY)
            .await
            .map_err(|e| store_error(&e))?
            .unwrap_or_default())
    }

    /// The callback in one call: takes the transaction for the callback's `state`, finishes the
    /// sign-in with the provider and, only if everything verified, signs the session in.
    pub async fn complete_sign_in(
        &self,
        rp: &RelyingParty,
        params: &CallbackParams,
    ) -> Result<SignedIn, AuthError> {
        let state = params.state.as_deref().ok_or(AuthError::MissingState)?;
        let transaction = self.take_transaction(state, rp.now()).await?;
        let signed_in = rp.finish_sign_in(params, transaction).await?;
        self.sign_in(&signed_in.tokens, rp.now()).await?;
        Ok(signed_in)
    }

    /// The session's tokens, if signed in.
    pub async fn tokens(&self) -> Result<Option<TokenSet>, AuthError> {
        self.stored_tokens()
            .await?
            .map(|stored| decode_tokens(&stored))
            .transpose()
    }

    /// The session's tokens as stored (decode with [`decode_tokens`]), for callers that keep
    /// decoded token sets.
    pub async fn stored_tokens(&self) -> Result<Option<serde_json::Value>, AuthError> {
        self.session
            .get_value(TOKENS_KEY)
            .await
            .map_err(|e| store_error(&e))
    }

    /// The signed-in user, if any.
    pub async fn current_user(&self) -> Result<Option<CurrentUser>, AuthError> {
        Ok(self
            .tokens()
            .await?
            .map(|tokens| CurrentUser::from_claims(&tokens.claims)))
    }

    /// Signs the session in: new session id (fixation defence), tokens stored, `authenticated_at`
    /// and `last_seen` set, saved at once.
    pub async fn sign_in(&self, tokens: &TokenSet, now: u64) -> Result<(), AuthError> {
        self.session.cycle_id().await.map_err(|e| store_error(&e))?;
        self.session
            .insert(TOKENS_KEY, encode_tokens(tokens)?)
            .await
            .map_err(|e| store_error(&e))?;
        self.session
            .insert(AUTHENTICATED_AT_KEY, now)
            .await
            .map_err(|e| store_error(&e))?;
        self.session
            .insert(LAST_SEEN_KEY, now)
            .await
            .map_err(|e| store_error(&e))?;
        self.session.save().await.map_err(|e| store_error(&e))
    }

    /// Replaces the tokens after a refresh and saves at once (a rotated refresh token must not be
    /// lost if the response never completes).
    pub async fn replace_tokens(&self, tokens: &TokenSet) -> Result<(), AuthError> {
        self.session
            .insert(TOKENS_KEY, encode_tokens(tokens)?)
            .await
            .map_err(|e| store_error(&e))?;
        self.session.save().await.map_err(|e| store_error(&e))
    }

    /// Destroys the whole server-side session and returns the tokens it held, so the caller can
    /// revoke the refresh token and build the end-session URL with the ID token as hint.
    pub async fn sign_out(&self) -> Result<Option<TokenSet>, AuthError> {
        let tokens = self.tokens().await.ok().flatten();
        self.session.flush().await.map_err(|e| store_error(&e))?;
        Ok(tokens)
    }

    /// Records activity for the idle timeout.
    pub async fn touch(&self, now: u64) -> Result<(), AuthError> {
        let last_seen = self
            .session
            .get::<u64>(LAST_SEEN_KEY)
            .await
            .map_err(|e| store_error(&e))?;
        match last_seen {
            Some(seen) if now < seen.saturating_add(TOUCH_GRANULARITY_SECS) => Ok(()),
            _ => self
                .session
                .insert(LAST_SEEN_KEY, now)
                .await
                .map_err(|e| store_error(&e)),
        }
    }

    /// Signed in, within both the idle timeout and the absolute lifetime, with tokens that are
    /// live or refreshable.
    pub async fn is_valid(
        &self,
        now: u64,
        idle_timeout: Duration,
        absolute_lifetime: Duration,
    ) -> Result<bool, AuthError> {
        match self.tokens().await? {
            Some(tokens) => {
                self.is_valid_with(&tokens, now, idle_timeout, absolute_lifetime)
                    .await
            }
            None => Ok(false),
        }
    }

    /// [`Self::is_valid`] for the session's `tokens`, already read by the caller.
    pub async fn is_valid_with(
        &self,
        tokens: &TokenSet,
        now: u64,
        idle_timeout: Duration,
        absolute_lifetime: Duration,
    ) -> Result<bool, AuthError> {
        let get = |key: &'static str| async move {
            self.session
                .get::<u64>(key)
                .await
                .map_err(|e| store_error(&e))
        };
        let (Some(authenticated_at), Some(last_seen)) =
            (get(AUTHENTICATED_AT_KEY).await?, get(LAST_SEEN_KEY).await?)
        else {
            return Ok(false);
        };
        let within_absolute = now <= authenticated_at.saturating_add(absolute_lifetime.as_secs());
        let within_idle = now <= last_seen.saturating_add(idle_timeout.as_secs());
        let live = !tokens.needs_refresh(now) || tokens.refresh_token.is_some();
        Ok(within_absolute && within_idle && live)
    }
}

/// Tokens are kept in the session as one JSON string rather than a JSON tree: tower-sessions
/// clones the whole record on every read, and a string clones in one allocation.
fn encode_tokens(tokens: &TokenSet) -> Result<String, AuthError> {
    serde_json::to_string(tokens).map_err(|_| undecodable())
}

/// Reads what [`encode_tokens`] wrote (or a JSON tree, as sessions held them before).
pub fn decode_tokens(stored: &serde_json::Value) -> Result<TokenSet, AuthError> {
    match stored {
        serde_json::Value::String(text) => serde_json::from_str(text),
        tree => TokenSet::deserialize(tree),
    }
    .map_err(|_| undecodable())
}

/// serde's messages can quote the data, which holds tokens: never pass them on.
fn undecodable() -> AuthError {
    AuthError::Session("session data could not be encoded or decoded".into())
}

impl<S: Send + Sync> FromRequestParts<S> for AuthSession {
    type Rejection = <Session as FromRequestParts<S>>::Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Session::from_request_parts(parts, state)
            .await
            .map(Self::new)
    }
}

/// What the last refresh of a session turned which token set into.
enum Outcome {
    Rotated(Box<TokenSet>),
    SignedOut,
}

struct Flight {
    /// Held while a refresh is under way; remembers the last outcome for requests that waited
    /// (or that loaded the session before the rotation was saved).
    outcome: tokio::sync::Mutex<Option<(AccessTokenDigest, Outcome)>>,
    last_used: AtomicU64,
}

type AccessTokenDigest = [u8; 32];

fn digest(tokens: &TokenSet) -> AccessTokenDigest {
    Sha256::digest(tokens.access_token.expose().as_bytes()).into()
}

/// Single-flight refresh per session (one per app, shared by all requests).
pub struct Refresher {
    flights: Mutex<HashMap<Id, Arc<Flight>>>,
}

impl Default for Refresher {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Refresher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refresher")
            .field("sessions", &self.len())
            .finish()
    }
}

impl Refresher {
    /// An outcome is remembered this long after its refresh, for late requests of the session.
    pub const RETENTION_SECS: u64 = 60;

    pub fn new() -> Self {
        Self {
            flights: Mutex::new(HashMap::new()),
        }
    }

    /// Sessions currently tracked (refreshing or recently refreshed).
    pub fn len(&self) -> usize {
        self.flights
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The session's tokens, refreshed first if the access token is (about to be) expired.
    /// Concurrent callers for one session cause one refresh request; all get its result. On
    /// [`AuthError::SignedOut`] the session is destroyed. `Ok(None)`: not signed in.
    pub async fn fresh_tokens(
        &self,
        auth: &AuthSession,
        rp: &RelyingParty,
    ) -> Result<Option<TokenSet>, AuthError> {
        self.run(auth, rp, false).await
    }

    /// Refreshes now even if the access token is still live (e.g. to pick up changed roles), with
    /// the same single-flight and sign-out rules as [`Self::fresh_tokens`]: callers that were
    /// waiting for a refresh of the same token set get its result instead of a second refresh.
    pub async fn force_refresh(
        &self,
        auth: &AuthSession,
        rp: &RelyingParty,
    ) -> Result<Option<TokenSet>, AuthError> {
        self.run(auth, rp, true).await
    }

    async fn run(
        &self,
        auth: &AuthSession,
        rp: &RelyingParty,
        force: bool,
    ) -> Result<Option<TokenSet>, AuthError> {
        let now = rp.now();
        let Some(tokens) = auth.tokens().await? else {
            return Ok(None);
        };
        if !force && !tokens.needs_refresh(now) {
            return Ok(Some(tokens));
        }
        let Some(id) = auth.id() else {
            // Never saved, so no other request can share this session.
            return Self::refresh_now(auth, rp, &tokens).await.map(Some);
        };

        let flight = self.flight(id, now);
        let mut outcome = flight.outcome.lock().await;
        let result = async {
            // Re-read: another holder of this very session object may have refreshed.
            let Some(current) = auth.tokens().await? else {
                return Ok(None);
            };
            if !force && !current.needs_refresh(now) {
                return Ok(Some(current));
            }
            let current_digest = digest(&current);
            if let Some((from, previous)) = outcome.as_ref() {
                if *from == current_digest {
                    return match previous {
                        Outcome::Rotated(rotated) => {
                            auth.replace_tokens(rotated).await?;
                            Ok(Some(TokenSet::clone(rotated)))
                        }
                        Outcome::SignedOut => {
                            auth.sign_out().await?;
                            Err(AuthError::SignedOut)
                        }
                    };
                }
            }
            match Self::refresh_now(auth, rp, &current).await {
                Ok(rotated) => {
                    *outcome = Some((current_digest, Outcome::Rotated(Box::new(rotated.clone()))));
                    Ok(Some(rotated))
                }
                Err(AuthError::SignedOut) => {
                    *outcome = Some((current_digest, Outcome::SignedOut));
                    Err(AuthError::SignedOut)
                }
                Err(error) => Err(error),
            }
        }
        .await;
        drop(outcome);
        flight.last_used.store(rp.now(), Ordering::Relaxed);
        result
    }

    async fn refresh_now(
        auth: &AuthSession,
        rp: &RelyingParty,
        tokens: &TokenSet,
    ) -> Result<TokenSet, AuthError> {
        match rp.refresh(tokens).await {
            Ok(rotated) => {
                auth.replace_tokens(&rotated).await?;
                Ok(rotated)
            }
            Err(AuthError::SignedOut) => {
                auth.sign_out().await?;
                Err(AuthError::SignedOut)
            }
            // The token endpoint answered, so the refresh token we sent is spent (rotated), and
            // the ID token that came back was refused: the session cannot be refreshed again.
            Err(AuthError::InvalidIdToken(error)) => {
                tracing::warn!(%error, "refreshed ID token refused; signing out");
                auth.sign_out().await?;
                Err(AuthError::SignedOut)
            }
            Err(error) => Err(error),
        }
    }

    /// The flight for `id`, dropping idle entries older than [`Self::RETENTION_SECS`].
    fn flight(&self, id: Id, now: u64) -> Arc<Flight> {
        let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        flights.retain(|key, flight| {
            *key == id
                || Arc::strong_count(flight) > 1
                || now
                    < flight
                        .last_used
                        .load(Ordering::Relaxed)
                        .saturating_add(Self::RETENTION_SECS)
        });
        let flight = flights.entry(id).or_insert_with(|| {
            Arc::new(Flight {
                outcome: tokio::sync::Mutex::new(None),
                last_used: AtomicU64::new(now),
            })
        });
        flight.last_used.store(now, Ordering::Relaxed);
        Arc::clone(flight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_sessions::MemoryStore;
    use url::Url;

    use crate::secret::Secret;

    fn session() -> AuthSession {
        AuthSession::new(Session::new(None, Arc::new(MemoryStore::default()), None))
    }

    fn tx(state: &str, created_at: u64) -> Transaction {
        Transaction {
            state: state.into(),
            code_verifier: Secret::new("v"),
            nonce: "n".into(),
            issuer: "https://idp.example/oidc".into(),
            redirect_uri: Url::parse("https://app.example/cb").unwrap(),
            return_to: "/".into(),
            created_at,
        }
    }

    fn tokens() -> TokenSet {
        let claims: IdTokenClaims = serde_json::from_value(serde_json::json!({
            "iss": "https://idp.example/oidc", "sub": "u1", "aud": ["app"], "exp": 5000,
            "iat": 1000, "auth_time": null, "sid": null, "name": "Ada", "username": null,
            "picture": null, "email": "ada@example.com", "email_verified": true,
            "roles": ["admin"], "all": {}
        }))
        .unwrap();
        TokenSet {
            access_token: Secret::new("at"),
            refresh_token: Some(Secret::new("rt")),
            id_token: Secret::new("it"),
            access_token_expires_at: 5000,
            scope: None,
            claims,
        }
    }

    #[tokio::test]
    async fn transactions_are_keyed_by_state_and_single_use() {
        let auth = session();
        auth.save_transaction(tx("tab-1", 100)).await.unwrap();
        auth.save_transaction(tx("tab-2", 101)).await.unwrap();
        assert_eq!(
            auth.take_transaction("tab-2", 102).await.unwrap().state,
            "tab-2"
        );
        assert_eq!(
            auth.take_transaction("tab-2", 102).await,
            Err(AuthError::UnknownTransaction)
        );
        assert_eq!(
            auth.take_transaction("tab-1", 103).await.unwrap().state,
            "tab-1"
        );
    }

    #[tokio::test]
    async fn sign_in_cycles_the_id_and_sign_out_destroys() {
        let auth = session();
        auth.save_transaction(tx("s", 100)).await.unwrap();
        auth.session.save().await.unwrap();
        let before = auth.id();
        auth.sign_in(&tokens(), 1000).await.unwrap();
        assert!(auth.id().is_some());
        assert_ne!(auth.id(), before);
        let user = auth.current_user().await.unwrap().unwrap();
        assert_eq!(
            (user.issuer.as_str(), user.sub.as_str()),
            ("https://idp.example/oidc", "u1")
        );
        assert!(user.has_role("admin"));
        assert_eq!(user.display_name(), "Ada");
        let day = Duration::from_secs(86_400);
        assert!(auth.is_valid(1000, day, day).await.unwrap());
        let removed = auth.sign_out().await.unwrap().unwrap();
        assert_eq!(removed.refresh_token.unwrap().expose(), "rt");
        assert!(auth.tokens().await.unwrap().is_none());
        assert!(!auth.is_valid(1000, day, day).await.unwrap());
    }

    #[tokio::test]
    async fn idle_and_absolute_limits_are_enforced() {
        let auth = session();
        auth.sign_in(&tokens(), 1000).await.unwrap();
        let (idle, absolute) = (Duration::from_secs(600), Duration::from_secs(3600));
        assert!(auth.is_valid(1600, idle, absolute).await.unwrap());
        assert!(!auth.is_valid(1601, idle, absolute).await.unwrap());
        auth.touch(1500).await.unwrap();
        assert!(auth.is_valid(2100, idle, absolute).await.unwrap());
        for at in [2100, 2700, 3300, 3900, 4500] {
            auth.touch(at).await.unwrap();
        }
        assert!(auth.is_valid(4600, idle, absolute).await.unwrap());
        // Active a minute ago, but authenticated more than an hour ago.
        assert!(!auth.is_valid(4601, idle, absolute).await.unwrap());
    }
}
