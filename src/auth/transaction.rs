//! A sign-in transaction: everything the callback needs to finish one authorization request
//! (`state`, PKCE verifier, `nonce`, the issuer and redirect URI it was sent with, where to go
//! afterwards), and the per-session set of pending transactions keyed by `state`, so that several
//! tabs can sign in at once (RFC 9700 §4.7.1: state bound to the browser session; RFC 7636 §4.1).
//!
//! Transactions live at most [`TRANSACTION_LIFETIME_SECS`] and are single-use: [`TransactionStore::take`]
//! removes the transaction before anything else happens, so a replayed callback finds nothing.

use std::fmt;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;
use url::Url;

use super::error::AuthError;
use super::serde_secret;
use crate::secret::Secret;

/// How long a started sign-in may take (Logto's SDK has no limit; ten minutes is plenty).
pub const TRANSACTION_LIFETIME_SECS: u64 = 600;

/// At most this many sign-ins pending per session; the oldest is dropped first.
pub const MAX_PENDING_TRANSACTIONS: usize = 10;

/// One started sign-in, stored server-side in the session.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    pub state: String,
    #[serde(with = "serde_secret")]
    pub code_verifier: Secret,
    pub nonce: String,
    /// The issuer the authorization request was sent to (mix-up defence, RFC 9207).
    pub issuer: String,
    pub redirect_uri: Url,
    /// Where to go after signing in; validated by the web layer before it gets here.
    pub return_to: String,
    /// Unix seconds.
    pub created_at: u64,
}

impl Transaction {
    /// True once the transaction is older than [`TRANSACTION_LIFETIME_SECS`].
    pub fn is_expired(&self, now: u64) -> bool {
        now.saturating_sub(self.created_at) > TRANSACTION_LIFETIME_SECS
    }
}

/// `state`, `nonce` and the verifier are left out: they are bearer values of an ongoing sign-in.
impl fmt::Debug for Transaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transaction")
            .field("issuer", &self.issuer)
            .field("redirect_uri", &self.redirect_uri.as_str())
            .field("return_to", &self.return_to)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// The pending transactions of one session.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TransactionStore {
    pending: Vec<Transaction>,
}

impl TransactionStore {
    /// Adds `transaction`, dropping expired ones and, beyond [`MAX_PENDING_TRANSACTIONS`], the oldest.
    pub fn insert(&mut self, transaction: Transaction, now: u64) {
        self.prune(now);
        self.pending.push(transaction);
        self.pending.sort_by_key(|tx| tx.created_at);
        let excess = self.pending.len().saturating_sub(MAX_PENDING_TRANSACTIONS);
        self.pending.drain(..excess);
    }

    /// Removes and returns the transaction for `state`: single use. An expired one is removed too
    /// and reported as [`AuthError::TransactionExpired`]; none as [`AuthError::UnknownTransaction`].
    pub fn take(&mut self, state: &str, now: u64) -> Result<Transaction, AuthError> {
        let mut found = None;
        for (index, tx) in self.pending.iter().enumerate() {
            if bool::from(tx.state.as_bytes().ct_eq(state.as_bytes())) {
                found = Some(index);
            }
        }
        let taken = found.map(|index| self.pending.remove(index));
        self.prune(now);
        match taken {
            None => Err(AuthError::UnknownTransaction),
            Some(tx) if tx.is_expired(now) => Err(AuthError::TransactionExpired),
            Some(tx) => Ok(tx),
        }
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    fn prune(&mut self, now: u64) {
        self.pending.retain(|tx| !tx.is_expired(now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(state: &str, created_at: u64) -> Transaction {
        Transaction {
            state: state.into(),
            code_verifier: Secret::new("verifier"),
            nonce: "nonce".into(),
            issuer: "https://idp.example/oidc".into(),
            redirect_uri: Url::parse("https://app.example/cb").unwrap(),
            return_to: "/".into(),
            created_at,
        }
    }

    #[test]
    fn take_is_single_use() {
        let mut store = TransactionStore::default();
        store.insert(tx("a", 100), 100);
        store.insert(tx("b", 101), 101);
        assert_eq!(store.take("a", 102).unwrap().state, "a");
        assert_eq!(store.take("a", 102), Err(AuthError::UnknownTransaction));
        assert_eq!(store.take("b", 102).unwrap().state, "b");
        assert!(store.is_empty());
    }

    #[test]
    fn expired_transactions_are_rejected_and_removed() {
        let mut store = TransactionStore::default();
        store.insert(tx("a", 100), 100);
        assert_eq!(
            store.take("a", 100 + TRANSACTION_LIFETIME_SECS + 1),
            Err(AuthError::TransactionExpired)
        );
        assert_eq!(store.take("a", 100), Err(AuthError::UnknownTransaction));
        store.insert(tx("b", 100), 100);
        assert!(store.take("b", 100 + TRANSACTION_LIFETIME_SECS).is_ok());
    }

    #[test]
    fn capped_dropping_the_oldest() {
        let mut store = TransactionStore::default();
        for i in 0..15u64 {
            store.insert(tx(&format!("s{i}"), 1000 + i), 1000 + i);
        }
        assert_eq!(store.len(), MAX_PENDING_TRANSACTIONS);
        assert_eq!(store.take("s0", 1020), Err(AuthError::UnknownTransaction));
        assert!(store.take("s14", 1020).is_ok());
    }

    #[test]
    fn debug_hides_state_nonce_and_verifier() {
        let printed = format!("{:?}", tx("the-state", 1));
        assert!(!printed.contains("the-state"));
        assert!(!printed.contains("nonce"));
        assert!(!printed.contains("verifier"));
    }

    #[test]
    fn serde_round_trip_keeps_the_verifier() {
        let json = serde_json::to_string(&tx("s", 1)).unwrap();
        let back: Transaction = serde_json::from_str(&json).unwrap();
        assert_eq!(back.code_verifier.expose(), "verifier");
        assert_eq!(back, tx("s", 1));
    }
}
