//! Token refresh, single-flight per grant across every request and every app instance: Logto rotates
//! refresh tokens and revokes the whole grant when a spent one is reused after 3 s
//! (`logto-compat.md` §4), so concurrent requests must share one refresh.
//!
//! The one who takes the grant's refresh lease (in the session engine, see [`super::grants`])
//! refreshes and replaces the grant's tokens if its version is unchanged; everyone else waits until
//! the grant's version moves on (and uses the new tokens) or the grant is gone (signed out). A
//! holder that dies mid-refresh loses its lease when it runs out, and a waiter takes over.

use std::fmt;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore as _;

use super::client::RelyingParty;
use super::error::AuthError;
use super::session::{AuthSession, Grant};
use super::tokens::TokenSet;

/// First pause between looks at a grant someone else is refreshing; doubles up to [`MAX_POLL`].
const FIRST_POLL: Duration = Duration::from_millis(20);
const MAX_POLL: Duration = Duration::from_millis(250);

/// When a refresh is due.
enum Due<'a> {
    /// The access token is (about to be) expired.
    WhenExpiring,
    /// Now, whatever the expiry.
    Always,
    /// The session still holds this refused access token.
    UnlessReplaced(&'a str),
}

/// Refreshes tokens for every session of one app instance.
pub struct Refresher {
    /// This instance's name on leases (random).
    holder: String,
    /// How long a lease lasts: longer than one refresh can take.
    lease: Duration,
}

impl fmt::Debug for Refresher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refresher")
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

impl Refresher {
    /// A refresher whose leases last `lease` (make it longer than the provider's HTTP timeout).
    pub fn new(lease: Duration) -> Self {
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self {
            holder: URL_SAFE_NO_PAD.encode(bytes),
            lease,
        }
    }

    /// The session's tokens, refreshed first if the access token is (about to be) expired.
    /// Concurrent callers for one session, in any instance, cause one refresh request; all get its
    /// result. On [`AuthError::SignedOut`] the session is ended. `Ok(None)`: not signed in.
    pub async fn fresh_tokens(
        &self,
        auth: &AuthSession,
        rp: &RelyingParty,
    ) -> Result<Option<TokenSet>, AuthError> {
        self.run(auth, rp, Due::WhenExpiring).await
    }

    /// Refreshes now even if the access token is still live (e.g. to pick up changed roles), with
    /// the same single-flight and sign-out rules as [`Self::fresh_tokens`]: callers that were
    /// waiting for a refresh of the same tokens get its result instead of a second refresh.
    pub async fn force_refresh(
        &self,
        auth: &AuthSession,
        rp: &RelyingParty,
    ) -> Result<Option<TokenSet>, AuthError> {
        self.run(auth, rp, Due::Always).await
    }

    /// Refreshes because the provider refused `refused`'s access token, unless the session holds
    /// another one already (a concurrent request replaced it): many requests that saw the same
    /// refusal cause one refresh. Same single-flight and sign-out rules as [`Self::fresh_tokens`].
    pub async fn replace_refused(
        &self,
        auth: &AuthSession,
        rp: &RelyingParty,
        refused: &TokenSet,
    ) -> Result<Option<TokenSet>, AuthError> {
        self.run(auth, rp, Due::UnlessReplaced(refused.access_token.expose()))
            .await
    }

    async fn run(
        &self,
        auth: &AuthSession,
        rp: &RelyingParty,
        due: Due<'_>,
    ) -> Result<Option<TokenSet>, AuthError> {
        let Some(first) = auth.grant().await? else {
            return Ok(None);
        };
        let refresh = match due {
            Due::WhenExpiring => first.tokens.needs_refresh(rp.now()),
            Due::Always => true,
            Due::UnlessReplaced(refused) => first.tokens.access_token.expose() == refused,
        };
        if !refresh {
            return Ok(Some(first.tokens));
        }
        let store = &auth.grants().store;
        let mut grant = first.clone();
        let mut pause = FIRST_POLL;
        let mut waited = Duration::ZERO;
        loop {
            let taken = store
                .lease(&grant.id, &self.holder, auth.grants().now(), self.lease)
                .await
                .map_err(|error| AuthError::SessionUnavailable(error.0))?;
            if taken {
                let result = Self::refresh_under_lease(auth, rp, &grant).await;
                if let Err(error) = store.release(&grant.id, &self.holder).await {
                    tracing::warn!(%error, "refresh lease not released; it runs out by itself");
                }
                return result;
            }
            if waited > self.lease + Duration::from_secs(2) {
                return Err(AuthError::ProviderUnreachable(
                    "a refresh of this session in progress did not finish".into(),
                ));
            }
            tokio::time::sleep(pause).await;
            waited += pause;
            pause = (pause * 2).min(MAX_POLL);
            let Some(now_stored) = auth.grant().await? else {
                // Signed out meanwhile, here or by the refresh we waited for.
                return Err(AuthError::SignedOut);
            };
            if now_stored.version != first.version {
                return Ok(Some(now_stored.tokens));
            }
            grant = now_stored;
        }
    }

    /// Refreshes `grant` while holding its lease.
    async fn refresh_under_lease(
        auth: &AuthSession,
        rp: &RelyingParty,
        read: &Grant,
    ) -> Result<Option<TokenSet>, AuthError> {
        // The previous holder may have finished between our read and our lease.
        let Some(grant) = auth.grant().await? else {
            return Err(AuthError::SignedOut);
        };
        if grant.version != read.version {
            return Ok(Some(grant.tokens));
        }
        match rp.refresh(&grant.tokens).await {
            Ok(rotated) => {
                if !auth.replace_tokens(&grant, &rotated).await? {
                    // Only possible if our lease ran out mid-refresh and another holder refreshed:
                    // its tokens are in the grant; ours are the newest at the provider.
                    tracing::warn!("the grant changed during a refresh held under lease");
                }
                Ok(Some(rotated))
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
}
