//! Email verification codes with Logto's rules (logto-compat.md §8), done better: six CSPRNG
//! digits, stored only as an HMAC bound to the interaction and the address, valid 600 s, at most
//! 10 wrong attempts, at most 10 sends per recipient per 600 s, and a new code replaces the
//! previous one of the same interaction. Codes are never logged or returned.

use crate::idp::random;
use crate::idp::store::{Consumed, Kind, Record, Store, StoreError};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const CODE_TTL: u64 = 600;
pub const MAX_WRONG_ATTEMPTS: u32 = 10;
pub const SEND_WINDOW: u64 = 600;
pub const MAX_SENDS_PER_WINDOW: u64 = 10;
/// The resend button's countdown; also enforced on the server.
pub const RESEND_AFTER: u64 = 59;

const PEPPER_DOCUMENT: &str = "verification_code_pepper";

#[derive(Serialize, Deserialize)]
struct StoredCode {
    /// base64url HMAC-SHA256(pepper, interaction ‖ email ‖ code).
    mac: String,
    email: String,
    wrong_attempts: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verification {
    Verified,
    Wrong {
        attempts_left: u32,
    },
    /// No code for this interaction, or it expired.
    Expired,
    TooManyAttempts,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Issued {
    /// The code to deliver.
    Code(String),
    /// The recipient had 10 codes in the last 10 minutes.
    RateLimited,
    /// This interaction was sent a code for this address less than [`RESEND_AFTER`] seconds
    /// ago; nothing was sent and the earlier code stays valid. `wait`: seconds left.
    TooSoon { wait: u64 },
}

/// Issues a new code for `interaction` and `email` (normalised), replacing any earlier one, unless
/// the recipient is over the send limit. Counts the send either way it is delivered.
pub async fn issue(
    store: &dyn Store,
    interaction: &str,
    email: &str,
    now: u64,
) -> Result<Issued, StoreError> {
    if store.count_by_key(Kind::CodeSend, email, now).await? >= MAX_SENDS_PER_WINDOW {
        return Ok(Issued::RateLimited);
    }
    let code = random::six_digits();
    let pepper = pepper(store).await?;
    let stored = StoredCode {
        mac: mac(&pepper, interaction, email, &code)?,
        email: email.to_owned(),
        wrong_attempts: 0,
    };
    let payload = serde_json::to_value(&stored).map_err(|e| StoreError::Backend(e.to_string()))?;
    store
        .upsert(
            Kind::VerificationCode,
            interaction,
            Record::new(payload, now + CODE_TTL).with_key(interaction),
        )
        .await?;
    store
        .upsert(
            Kind::CodeSend,
            &random::token(),
            Record::new(serde_json::Value::Null, now + SEND_WINDOW).with_key(email),
        )
        .await?;
    Ok(Issued::Code(code))
}

/// Checks `code` for `interaction` and `email`. A correct code is consumed (single use).
pub async fn verify(
    store: &dyn Store,
    interaction: &str,
    email: &str,
    code: &str,
    now: u64,
) -> Result<Verification, StoreError> {
    let Some(record) = store.find(Kind::VerificationCode, interaction, now).await? else {
        return Ok(Verification::Expired);
    };
    if record.consumed_at.is_some() {
        return Ok(Verification::Expired);
    }
    let Ok(mut stored) = serde_json::from_value::<StoredCode>(record.payload.clone()) else {
        return Ok(Verification::Expired);
    };
    if stored.wrong_attempts >= MAX_WRONG_ATTEMPTS {
        return Ok(Verification::TooManyAttempts);
    }
    let pepper = pepper(store).await?;
    let presented = mac(&pepper, interaction, email, code.trim())?;
    let matches =
        stored.email == email && bool::from(presented.as_bytes().ct_eq(stored.mac.as_bytes()));
    if matches {
        return Ok(
            match store
                .consume(Kind::VerificationCode, interaction, now)
                .await?
            {
                Consumed::First(_) => Verification::Verified,
                Consumed::Already(_) | Consumed::Missing => Verification::Expired,
            },
        );
    }
    stored.wrong_attempts += 1;
    let payload = serde_json::to_value(&stored).map_err(|e| StoreError::Backend(e.to_string()))?;
    store
        .upsert(
            Kind::VerificationCode,
            interaction,
            Record { payload, ..record },
        )
        .await?;
    Ok(Verification::Wrong {
        attempts_left: MAX_WRONG_ATTEMPTS - stored.wrong_attempts,
    })
}

fn mac(pepper: &[u8], interaction: &str, email: &str, code: &str) -> Result<String, StoreError> {
    use base64::Engine as _;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(pepper)
        .map_err(|error| StoreError::Backend(format!("code key: {error}")))?;
    for part in [interaction, email, code] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part.as_bytes());
    }
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// A random key, created at provider start (or first use), that makes stored code MACs useless without it.
pub async fn pepper(store: &dyn Store) -> Result<Vec<u8>, StoreError> {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    if let Some(value) = store.get_document(PEPPER_DOCUMENT).await? {
        if let Some(bytes) = value.as_str().and_then(|text| engine.decode(text).ok()) {
            return Ok(bytes);
        }
    }
    let fresh = random::token();
    store
        .put_document(
            PEPPER_DOCUMENT,
            &serde_json::Value::from(engine.encode(&fresh)),
        )
        .await?;
    Ok(fresh.into_bytes())
}
