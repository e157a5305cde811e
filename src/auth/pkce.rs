//! Fresh random values for one sign-in attempt: PKCE (RFC 7636) with the `S256` method only, and
//! the `state` (RFC 6749 §10.12) and `nonce` (OIDC Core §3.1.2.1) values.
//!
//! Like Logto's SDK, each value is 64 bytes from the operating system's CSPRNG, base64url without
//! padding (86 characters, within RFC 7636 §4.1's 43–128).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::rngs::OsRng;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

use crate::secret::Secret;

/// The only `code_challenge_method` we send (RFC 7636 §4.2; `plain` is never used).
pub const CHALLENGE_METHOD: &str = "S256";

/// 64 CSPRNG bytes, base64url without padding.
pub fn random_token() -> String {
    let mut bytes = [0u8; 64];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A PKCE verifier (kept server-side) and its S256 challenge (sent to the provider).
#[derive(Debug, Clone)]
pub struct Pkce {
    pub verifier: Secret,
    pub challenge: String,
}

impl Pkce {
    pub fn generate() -> Self {
        let verifier = Secret::new(random_token());
        let challenge = challenge_for(&verifier);
        Self {
            verifier,
            challenge,
        }
    }
}

/// RFC 7636 §4.2: `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`.
pub fn challenge_for(verifier: &Secret) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.expose().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_is_base64url_sha256_of_the_verifier() {
        // RFC 7636 Appendix B.
        let verifier = Secret::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            challenge_for(&verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let pkce = Pkce::generate();
        let expected = URL_SAFE_NO_PAD.encode(Sha256::digest(pkce.verifier.expose()));
        assert_eq!(pkce.challenge, expected);
    }

    #[test]
    fn values_are_64_random_bytes_and_differ() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 64);
        assert_eq!(a.len(), 86);
        assert_ne!(
            Pkce::generate().verifier.expose(),
            Pkce::generate().verifier.expose()
        );
    }
}
