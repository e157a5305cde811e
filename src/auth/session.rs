//! The signed-in state, typed, over a server-side `tower_sessions::Session` (the cookie carries only
//! the session id; tokens never leave the server). No handler touches the string keys below.
//!
//! - pending sign-ins: a [`TransactionStore`] keyed by `state` (several tabs at once, capped,
//!   expired ones pruned, single use);
//! - [`AuthSession::sign_in`] rotates the session id (session fixation, OWASP ASVS V7.2.4), keeps
//!   the tokens in a new [`grant`](super::grants) that the session names, and records
//!   `authenticated_at` so the absolute lifetime is enforced on the server, next to the idle
//!   timeout ([`AuthSession::is_valid`]);
//! - [`AuthSession::sign_out`] deletes the grant and the session: a request still in flight that
//!   writes the session back finds no grant, so nobody is signed in again.
//!
//! [`CurrentUser`] is what pages see: identity is (`iss`, `sub`), never the email.

use std::fmt;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use tower_sessions::session::Id;
use tower_sessions::Session;

use super::client::{CallbackParams, RelyingParty, SignedIn};
use super::error::AuthError;
use super::grants::{GrantStoreError, Grants};
use super::id_token::IdTokenClaims;
use super::tokens::TokenSet;
use super::transaction::{Transaction, TransactionStore};

const TRANSACTIONS_KEY: &str = "auth.transactions";
/// The id of the session's grant.
const GRANT_KEY: &str = "auth.grant";
/// Where sessions saved before grants existed kept their tokens (moved to a grant when read).
const LEGACY_TOKENS_KEY: &str = "auth.tokens";
const AUTHENTICATED_AT_KEY: &str = "auth.authenticated_at";
const LAST_SEEN_KEY: &str = "auth.last_seen";

/// `last_seen` is rewritten at most this often (seconds), to spare the store a write per request.
const TOUCH_GRANULARITY_SECS: u64 = 60;

/// Described by kind only: a serde error can quote the stored value, which may be a token.
fn store_error(error: &tower_sessions::session::Error) -> AuthError {
    use tower_sessions::session::Error;
    AuthError::Session(match error {
        Error::SerdeJson(_) => "session data could not be encoded or decoded".into(),
        Error::Store(_) => return AuthError::SessionUnavailable("the session store failed".into()),
    })
}

fn grant_error(error: &GrantStoreError) -> AuthError {
    tracing::warn!(%error, "grant store failed");
    AuthError::SessionUnavailable(error.0.clone())
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

/// A session's grant as read: which one, at which version, with its tokens.
#[derive(Debug, Clone)]
pub struct Grant {
    pub id: String,
    pub version: u64,
    pub tokens: TokenSet,
}

/// The auth part of one request's session.
#[derive(Clone)]
pub struct AuthSession {
    session: Session,
    grants: Grants,
}

impl fmt::Debug for AuthSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSession").finish_non_exhaustive()
    }
}

impl AuthSession {
    pub fn new(session: Session, grants: Grants) -> Self {
        Self { session, grants }
    }

    /// The session id, once the session has been saved.
    pub fn id(&self) -> Option<Id> {
        self.session.id()
    }

    pub(crate) fn grants(&self) -> &Grants {
        &self.grants
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

    /// The session's grant, if signed in. A session that names a grant that is gone (signed out
    /// elsewhere, or refused at a refresh) is signed out.
    pub async fn grant(&self) -> Result<Option<Grant>, AuthError> {
        let id = self
            .session
            .get::<String>(GRANT_KEY)
            .await
            .map_err(|e| store_error(&e))?;
        let Some(id) = id else {
            return self.move_legacy_tokens().await;
        };
        let stored = self
            .grants
            .store
            .get(&id, self.grants.now())
            .await
            .map_err(|e| grant_error(&e))?;
        match stored {
            Some(stored) => Ok(Some(Grant {
                tokens: decode_tokens(&stored.tokens)?,
                version: stored.version,
                id,
            })),
            None => {
                self.session.flush().await.map_err(|e| store_error(&e))?;
                Ok(None)
            }
        }
    }

    /// A session saved before grants existed holds its tokens itself: they move to a new grant.
    async fn move_legacy_tokens(&self) -> Result<Option<Grant>, AuthError> {
        let legacy = self
            .session
            .get::<serde_json::Value>(LEGACY_TOKENS_KEY)
            .await
            .map_err(|e| store_error(&e))?;
        let Some(legacy) = legacy else {
            return Ok(None);
        };
        let tokens = match legacy {
            serde_json::Value::String(text) => decode_tokens(&text)?,
            tree => TokenSet::deserialize(tree).map_err(|_| undecodable())?,
        };
        let grant = self.new_grant(&tokens).await?;
        self.session
            .remove_value(LEGACY_TOKENS_KEY)
            .await
            .map_err(|e| store_error(&e))?;
        self.session.save().await.map_err(|e| store_error(&e))?;
        Ok(Some(grant))
    }

    /// Stores `tokens` as a new grant and names it in the session (not yet saved).
    async fn new_grant(&self, tokens: &TokenSet) -> Result<Grant, AuthError> {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let id = URL_SAFE_NO_PAD.encode(bytes);
        let now = self.grants.now();
        self.grants
            .store
            .create(
                &id,
                &encode_tokens(tokens)?,
                now,
                now.saturating_add(self.grants.lifetime.as_secs()),
            )
            .await
            .map_err(|e| grant_error(&e))?;
        self.session
            .insert(GRANT_KEY, &id)
            .await
            .map_err(|e| store_error(&e))?;
        Ok(Grant {
            id,
            version: 1,
            tokens: tokens.clone(),
        })
    }

    /// The session's tokens, if signed in.
    pub async fn tokens(&self) -> Result<Option<TokenSet>, AuthError> {
        Ok(self.grant().await?.map(|grant| grant.tokens))
    }

    /// The signed-in user, if any.
    pub async fn current_user(&self) -> Result<Option<CurrentUser>, AuthError> {
        Ok(self
            .tokens()
            .await?
            .map(|tokens| CurrentUser::from_claims(&tokens.claims)))
    }

    /// Signs the session in: new session id (fixation defence), the tokens in a new grant (a
    /// previous one deleted), `authenticated_at` and `last_seen` set, saved at once.
    pub async fn sign_in(&self, tokens: &TokenSet, now: u64) -> Result<(), AuthError> {
        if let Some(previous) = self
            .session
            .get::<String>(GRANT_KEY)
            .await
            .map_err(|e| store_error(&e))?
        {
            self.grants
                .store
                .delete(&previous)
                .await
                .map_err(|e| grant_error(&e))?;
        }
        self.session.cycle_id().await.map_err(|e| store_error(&e))?;
        self.new_grant(tokens).await?;
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

    /// Replaces `grant`'s tokens after a refresh if nobody replaced them since it was read;
    /// `false` otherwise (nothing changed).
    pub async fn replace_tokens(
        &self,
        grant: &Grant,
        tokens: &TokenSet,
    ) -> Result<bool, AuthError> {
        self.grants
            .store
            .replace(
                &grant.id,
                grant.version,
                &encode_tokens(tokens)?,
                self.grants.now(),
            )
            .await
            .map_err(|e| grant_error(&e))
    }

    /// Deletes the grant and the whole server-side session and returns the tokens they held, so
    /// the caller can revoke the refresh token and build the end-session URL with the ID token
    /// as hint.
    pub async fn sign_out(&self) -> Result<Option<TokenSet>, AuthError> {
        let grant = self.grant().await.ok().flatten();
        if let Some(grant) = &grant {
            self.grants
                .store
                .delete(&grant.id)
                .await
                .map_err(|e| grant_error(&e))?;
        }
        self.session.flush().await.map_err(|e| store_error(&e))?;
        Ok(grant.map(|grant| grant.tokens))
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

/// Tokens are kept as one JSON string.
fn encode_tokens(tokens: &TokenSet) -> Result<String, AuthError> {
    serde_json::to_string(tokens).map_err(|_| undecodable())
}

/// Reads what [`encode_tokens`] wrote.
fn decode_tokens(stored: &str) -> Result<TokenSet, AuthError> {
    serde_json::from_str(stored).map_err(|_| undecodable())
}

/// serde's messages can quote the data, which holds tokens: never pass them on.
fn undecodable() -> AuthError {
    AuthError::Session("session data could not be encoded or decoded".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tower_sessions::MemoryStore;
    use url::Url;

    use crate::secret::Secret;

    fn session() -> AuthSession {
        AuthSession::new(
            Session::new(None, Arc::new(MemoryStore::default()), None),
            Grants::memory(),
        )
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

    /// Two requests of one session, each with its record loaded from `store`.
    async fn two_requests(store: &Arc<MemoryStore>, grants: &Grants) -> (AuthSession, AuthSession) {
        let first = AuthSession::new(Session::new(None, Arc::clone(store), None), grants.clone());
        first.sign_in(&tokens(), 1000).await.unwrap();
        let load = || {
            AuthSession::new(
                Session::new(first.id(), Arc::clone(store), None),
                grants.clone(),
            )
        };
        let (a, b) = (load(), load());
        // Both have read the record (as every request does first).
        assert!(a.tokens().await.unwrap().is_some());
        assert!(b.tokens().await.unwrap().is_some());
        (a, b)
    }

    #[tokio::test]
    async fn a_request_that_loaded_the_session_before_a_refresh_cannot_bring_old_tokens_back() {
        let (store, grants) = (Arc::new(MemoryStore::default()), Grants::memory());
        let (refreshing, stale) = two_requests(&store, &grants).await;
        let grant = refreshing.grant().await.unwrap().unwrap();
        let mut rotated = tokens();
        rotated.refresh_token = Some(Secret::new("rt-2"));
        assert!(refreshing.replace_tokens(&grant, &rotated).await.unwrap());
        // The stale request records activity and writes its whole record back.
        stale.touch(5000).await.unwrap();
        stale.session.save().await.unwrap();
        assert!(
            !stale.replace_tokens(&grant, &tokens()).await.unwrap(),
            "an old version cannot overwrite"
        );
        let later = AuthSession::new(Session::new(refreshing.id(), store, None), grants);
        let current = later.tokens().await.unwrap().unwrap();
        assert_eq!(current.refresh_token.unwrap().expose(), "rt-2");
    }

    #[tokio::test]
    async fn a_request_in_flight_during_a_sign_out_signs_nobody_in_again() {
        let (store, grants) = (Arc::new(MemoryStore::default()), Grants::memory());
        let (signing_out, in_flight) = two_requests(&store, &grants).await;
        let id = signing_out.id();
        signing_out.sign_out().await.unwrap();
        // The request still in flight writes the record it loaded back.
        in_flight.touch(5000).await.unwrap();
        in_flight.session.save().await.unwrap();
        let later = AuthSession::new(Session::new(id, store, None), grants);
        assert!(later.tokens().await.unwrap().is_none(), "still signed out");
    }

    #[tokio::test]
    async fn tokens_kept_in_the_session_by_an_older_version_move_to_a_grant() {
        let store = Arc::new(MemoryStore::default());
        let session = Session::new(None, Arc::clone(&store) as Arc<MemoryStore>, None);
        session
            .insert(LEGACY_TOKENS_KEY, encode_tokens(&tokens()).unwrap())
            .await
            .unwrap();
        session.save().await.unwrap();
        let grants = Grants::memory();
        let auth = AuthSession::new(
            Session::new(session.id(), Arc::clone(&store), None),
            grants.clone(),
        );
        assert_eq!(auth.tokens().await.unwrap().unwrap().claims.sub, "u1");
        let again = AuthSession::new(Session::new(session.id(), store, None), grants);
        let grant = again.grant().await.unwrap().unwrap();
        assert_eq!(grant.version, 1, "moved once, then read from the grant");
    }
}
