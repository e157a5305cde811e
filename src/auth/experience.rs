//! The provider's public sign-in experience (`GET {endpoint}/api/.well-known/sign-in-exp`, which
//! Logto serves to its own sign-in pages without authentication), read for one fact: whether
//! new people may create an account (`signUp.identifiers` is not empty), so the app offers
//! "Create account" only when they can. Kept for [`FRESHNESS`]; when the provider cannot be read,
//! sign-up counts as open (Logto's default) until the next read.

use super::http;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use url::Url;

/// How long an answer is used before the provider is asked again.
pub const FRESHNESS: Duration = Duration::from_secs(30);
/// A page waits at most this long for the answer.
const READ_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
pub struct PublicExperience {
    last: Mutex<Option<(Instant, bool)>>,
}

impl PublicExperience {
    pub fn new() -> Self {
        Self::default()
    }

    /// Drops the kept answer (after this app changed the sign-in experience itself).
    pub async fn forget(&self) {
        *self.last.lock().await = None;
    }

    /// Whether sign-up is open, from the cache while fresh (concurrent callers share one read).
    pub async fn sign_up_open(&self, client: &reqwest::Client, endpoint: &Url) -> bool {
        let mut last = self.last.lock().await;
        if let Some((read_at, open)) = *last {
            if read_at.elapsed() < FRESHNESS {
                return open;
            }
        }
        // A provider that cannot answer counts as open, and is not asked again before
        // FRESHNESS either: pages must not wait on it one after another.
        let open = read(client, endpoint).await.unwrap_or(true);
        *last = Some((Instant::now(), open));
        open
    }
}

async fn read(client: &reqwest::Client, endpoint: &Url) -> Option<bool> {
    let url = format!(
        "{}/api/.well-known/sign-in-exp",
        endpoint.as_str().trim_end_matches('/')
    );
    let request = client.get(url).timeout(READ_TIMEOUT);
    let body = match http::send("sign-in experience", request).await {
        Ok(body) if body.status == reqwest::StatusCode::OK => body,
        Ok(body) => {
            tracing::warn!(status = %body.status, "the public sign-in experience was refused");
            return None;
        }
        Err(error) => {
            tracing::warn!(%error, "the public sign-in experience is unreachable");
            return None;
        }
    };
    let document: serde_json::Value = serde_json::from_slice(&body.bytes).ok()?;
    sign_up_open_in(&document)
}

/// `signUp.identifiers` non-empty; `None` when the document has no such list.
pub fn sign_up_open_in(document: &serde_json::Value) -> Option<bool> {
    document["signUp"]["identifiers"]
        .as_array()
        .map(|identifiers| !identifiers.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sign_up_is_open_while_an_identifier_is_listed() {
        assert_eq!(
            sign_up_open_in(&json!({"signUp": {"identifiers": ["email"]}})),
            Some(true)
        );
        assert_eq!(
            sign_up_open_in(&json!({"signUp": {"identifiers": []}})),
            Some(false)
        );
        assert_eq!(sign_up_open_in(&json!({"signIn": {}})), None);
    }
}
