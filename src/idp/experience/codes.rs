//! Email verification codes with Logto's rules (logto-compat.md §8), done better: six CSPRNG
//! digits, stored only as an HMAC bound to the interaction and the address, valid 600 s, at most
//! 10 checks per code, at most 10 sends per recipient per 600 s, no new code for the same
//! interaction and address within 59 s, and a new code replaces the previous one of the same
//! interaction. Each rule is one atomic store operation ([`Store::admit_code`],
//! [`Store::check_code`]), so it holds however many requests arrive at once. Codes are never
//! logged or returned.

use crate::idp::random;
use crate::idp::store::{
    document_or_insert, Admission, CodeCheck, NewCode, SendLimits, Store, StoreError,
};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const CODE_TTL: u64 = 600;
/// Checks allowed per code, right or wrong.
pub const MAX_ATTEMPTS: u32 = 10;
pub const SEND_WINDOW: u64 = 600;
pub const MAX_SENDS_PER_WINDOW: u64 = 10;
/// The resend button's countdown; also enforced by the store.
pub const RESEND_AFTER: u64 = 59;

const LIMITS: SendLimits = SendLimits {
    window: SEND_WINDOW,
    max_sends: MAX_SENDS_PER_WINDOW,
    resend_after: RESEND_AFTER,
};

const PEPPER_DOCUMENT: &str = "verification_code_pepper";

#[derive(Debug, PartialEq, Eq)]
pub enum Verification {
    Verified,
    Wrong {
        attempts_left: u32,
    },
    /// No code for this interaction, or it expired or was used.
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

/// Issues a new code for `interaction` and `email` (normalised), replacing any earlier one,
/// unless the recipient is over the send limit or the resend wait has not passed. Counts the
/// send whether or not it is then delivered.
pub async fn issue(
    store: &dyn Store,
    interaction: &str,
    email: &str,
    now: u64,
) -> Result<Issued, StoreError> {
    let code = random::six_digits();
    let pepper = pepper(store).await?;
    let new = NewCode {
        interaction: interaction.to_owned(),
        recipient: email.to_owned(),
        mac: mac(&pepper, interaction, email, &code)?,
        expires_at: now + CODE_TTL,
    };
    Ok(match store.admit_code(&new, LIMITS, now).await? {
        Admission::Admitted => Issued::Code(code),
        Admission::RateLimited => Issued::RateLimited,
        Admission::TooSoon { wait } => Issued::TooSoon { wait },
    })
}

/// Checks `code` for `interaction` and `email`: counts the attempt and, when right, consumes
/// the code, in one store operation.
pub async fn verify(
    store: &dyn Store,
    interaction: &str,
    email: &str,
    code: &str,
    now: u64,
) -> Result<Verification, StoreError> {
    let pepper = pepper(store).await?;
    let presented = mac(&pepper, interaction, email, code.trim())?;
    // The digest is compared by the store (SQL `=`, not constant time): it is keyed by the
    // secret pepper, so timing reveals nothing an attacker can use to build a matching code.
    let check = store
        .check_code(interaction, email, &presented, MAX_ATTEMPTS, now)
        .await?;
    Ok(match check {
        CodeCheck::Verified => Verification::Verified,
        CodeCheck::Wrong { attempts_left: 0 } | CodeCheck::Exhausted => {
            Verification::TooManyAttempts
        }
        CodeCheck::Wrong { attempts_left } => Verification::Wrong { attempts_left },
        CodeCheck::Missing => Verification::Expired,
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

/// A random key, created at provider start (or first use), that makes stored code MACs useless
/// without it. Of several processes starting at once, one key wins and all use it.
pub async fn pepper(store: &dyn Store) -> Result<Vec<u8>, StoreError> {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let stored = document_or_insert(store, PEPPER_DOCUMENT, || {
        serde_json::Value::from(engine.encode(random::token()))
    })
    .await?;
    stored
        .as_str()
        .and_then(|text| engine.decode(text).ok())
        .ok_or_else(|| StoreError::Backend("the verification code key is unreadable".to_owned()))
}
