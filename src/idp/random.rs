//! Unguessable values from the operating system's CSPRNG: token handles, ids, codes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};

/// 32 random bytes, base64url: for codes, tokens, session and interaction ids.
pub fn token() -> String {
    let mut bytes = [0_u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Logto-style user id: 12 characters of lower-case letters and digits.
pub fn user_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..12)
        .map(|_| char::from(ALPHABET[OsRng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// Six decimal digits, uniformly distributed.
pub fn six_digits() -> String {
    format!("{:06}", OsRng.gen_range(0..1_000_000_u32))
}

/// The storage handle of a bearer value: a leaked database never yields usable tokens.
pub fn handle_of(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_have_their_shapes_and_differ() {
        assert_eq!(token().len(), 43);
        assert_ne!(token(), token());
        let id = user_id();
        assert_eq!(id.len(), 12);
        assert!(id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        let code = six_digits();
        assert_eq!(code.len(), 6);
        assert!(code.chars().all(|c| c.is_ascii_digit()));
        assert_eq!(handle_of("abc"), handle_of("abc"));
        assert_ne!(handle_of("abc"), "abc");
    }
}
