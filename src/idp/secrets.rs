//! Third-party secrets at rest (security.md, "Third-party secrets"): connector secrets such as the
//! SES `accessKeySecret` are sealed with AES-256-GCM before they reach the store.
//!
//! - Every seal draws a fresh random 96-bit nonce.
//! - The associated data binds a ciphertext to its row and field (e.g.
//!   `connector:<id>:accessKeySecret`), so a sealed value copied to another row or field does not
//!   open.
//! - Stored format: `v1:<key id>:<base64 nonce>:<base64 ciphertext+tag>` (standard base64). The key
//!   id is the first 4 bytes of SHA-256 over a label and the key, in hex: it names the key without
//!   revealing it, so a value sealed under another key fails with a clear message.
//!
//! The key comes from `PROVIDER_SECRETS_KEY_FILE`: a file holding 32 random bytes, either raw
//! (exactly 32 bytes) or base64 (standard or URL-safe, padding optional, surrounding whitespace
//! ignored), e.g. made with `openssl rand -base64 32 > provider-secrets.key`. When the setting is
//! unset in DEV, `{data_dir}/provider-secrets.key` is generated on first start (base64, mode 0600)
//! and the log says so (never the key). When it is unset in PROD, no key is loaded and storing a
//! secret fails with [`SecretsError::KeyMissing`].

use crate::config::{RunMode, Settings};
use crate::secret::Secret;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};

/// The file generated in the data directory when no key file is configured in DEV.
pub const DEV_KEY_FILE_NAME: &str = "provider-secrets.key";
const FORMAT_VERSION: &str = "v1";
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error(
        "connector secrets cannot be stored: no secrets key is configured. Set \
         PROVIDER_SECRETS_KEY_FILE to a file holding 32 random bytes (e.g. `openssl rand -base64 \
         32`) and restart the provider"
    )]
    KeyMissing,
    #[error("the secrets key file {path} cannot be used: {reason}")]
    KeyFile { path: PathBuf, reason: String },
    #[error(
        "a stored secret was sealed with key `{stored}` but the configured key is `{current}`; \
         configure the original key or enter the secret again"
    )]
    WrongKey { stored: String, current: String },
    #[error("a stored secret cannot be decrypted ({0}); enter the secret again")]
    Undecryptable(String),
}

/// A 256-bit AES-GCM key and its id.
pub struct SecretsKey {
    id: String,
    cipher: Aes256Gcm,
}

impl fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretsKey({}, [redacted])", self.id)
    }
}

impl SecretsKey {
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> Self {
        let digest = Sha256::new()
            .chain_update(b"leptos-logto provider secrets key id\0")
            .chain_update(bytes)
            .finalize();
        let id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            id,
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(bytes)),
        }
    }

    /// A fresh random key (for tests and in-memory providers, whose secrets die with them).
    pub fn generate() -> Self {
        Self::from_bytes(&random_key())
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Parses a key file's contents: 32 raw bytes, or their base64 (standard or URL-safe).
    pub fn parse(contents: &[u8]) -> Result<Self, String> {
        if let Ok(raw) = <[u8; KEY_LEN]>::try_from(contents) {
            return Ok(Self::from_bytes(&raw));
        }
        let text = std::str::from_utf8(contents)
            .map_err(|_| "expected 32 raw bytes or their base64".to_owned())?
            .trim();
        let decoded = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
            .ok_or_else(|| "expected 32 raw bytes or their base64".to_owned())?;
        let bytes = <[u8; KEY_LEN]>::try_from(decoded.as_slice()).map_err(|_| {
            format!(
                "the key must be {KEY_LEN} bytes; this one has {}",
                decoded.len()
            )
        })?;
        Ok(Self::from_bytes(&bytes))
    }

    /// Reads a configured key file.
    pub fn load(path: &Path) -> Result<Self, SecretsError> {
        let contents = std::fs::read(path).map_err(|error| key_file_error(path, &error))?;
        warn_if_readable_by_others(path);
        Self::parse(&contents).map_err(|reason| SecretsError::KeyFile {
            path: path.to_owned(),
            reason,
        })
    }

    /// Reads the key at `path`, generating it first (mode 0600) when the file does not exist.
    /// Returns whether it was generated.
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), SecretsError> {
        match write_new_key_file(path) {
            Ok(key) => Ok((key, true)),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                Self::load(path).map(|key| (key, false))
            }
            Err(error) => Err(key_file_error(path, &error)),
        }
    }
}

fn random_key() -> [u8; KEY_LEN] {
    let mut bytes = [0_u8; KEY_LEN];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

fn key_file_error(path: &Path, error: &std::io::Error) -> SecretsError {
    SecretsError::KeyFile {
        path: path.to_owned(),
        reason: error.to_string(),
    }
}

/// Creates `path` exclusively (never overwriting a key) with owner-only permissions.
fn write_new_key_file(path: &Path) -> std::io::Result<SecretsKey> {
    use std::io::Write as _;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let bytes = random_key();
    let mut file = options.open(path)?;
    file.write_all(format!("{}\n", STANDARD.encode(bytes)).as_bytes())?;
    file.sync_all()?;
    Ok(SecretsKey::from_bytes(&bytes))
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(metadata) = std::fs::metadata(path) {
        if metadata.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "the secrets key file is readable by other users; chmod 600 it");
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// Seals and opens secrets with the provider's key, if it has one.
#[derive(Debug)]
pub struct SecretBox {
    key: Option<SecretsKey>,
}

impl SecretBox {
    pub fn new(key: Option<SecretsKey>) -> Self {
        Self { key }
    }

    /// The id of the configured key, if any.
    pub fn key_id(&self) -> Option<&str> {
        self.key.as_ref().map(SecretsKey::id)
    }

    /// `v1:<key id>:<nonce>:<ciphertext>`, bound to `associated_data`.
    pub fn seal(&self, plaintext: &Secret, associated_data: &str) -> Result<String, SecretsError> {
        let key = self.key.as_ref().ok_or(SecretsError::KeyMissing)?;
        let mut nonce = [0_u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext.expose().as_bytes(),
            aad: associated_data.as_bytes(),
        };
        let ciphertext = key
            .cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .map_err(|_| SecretsError::Undecryptable("encryption failed".to_owned()))?;
        Ok(format!(
            "{FORMAT_VERSION}:{}:{}:{}",
            key.id,
            STANDARD.encode(nonce),
            STANDARD.encode(ciphertext)
        ))
    }

    /// Opens a value made by [`SecretBox::seal`] with the same `associated_data`.
    pub fn open(&self, sealed: &str, associated_data: &str) -> Result<Secret, SecretsError> {
        let key = self.key.as_ref().ok_or(SecretsError::KeyMissing)?;
        let parts = Sealed::parse(sealed)?;
        if parts.key_id != key.id {
            return Err(SecretsError::WrongKey {
                stored: parts.key_id.to_owned(),
                current: key.id.clone(),
            });
        }
        let payload = Payload {
            msg: &parts.ciphertext,
            aad: associated_data.as_bytes(),
        };
        let plaintext = key
            .cipher
            .decrypt(Nonce::from_slice(&parts.nonce), payload)
            .map_err(|_| {
                SecretsError::Undecryptable(
                    "authentication failed: wrong key, field or tampered value".to_owned(),
                )
            })?;
        String::from_utf8(plaintext)
            .map(Secret::new)
            .map_err(|_| SecretsError::Undecryptable("not UTF-8".to_owned()))
    }
}

/// The parts of a stored value.
struct Sealed<'s> {
    key_id: &'s str,
    nonce: Vec<u8>,
    ciphertext: Vec<u8>,
}

impl<'s> Sealed<'s> {
    fn parse(sealed: &'s str) -> Result<Self, SecretsError> {
        let malformed = || SecretsError::Undecryptable("not a sealed value".to_owned());
        let mut parts = sealed.split(':');
        let (Some(FORMAT_VERSION), Some(key_id), Some(nonce), Some(ciphertext), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(malformed());
        };
        let nonce = STANDARD.decode(nonce).map_err(|_| malformed())?;
        if nonce.len() != NONCE_LEN {
            return Err(malformed());
        }
        Ok(Self {
            key_id,
            nonce,
            ciphertext: STANDARD.decode(ciphertext).map_err(|_| malformed())?,
        })
    }
}

/// The provider's secret box from the settings: the configured key file; in DEV without one, the
/// generated `{data_dir}/provider-secrets.key`; in PROD without one, no key (secrets refused).
pub fn from_settings(settings: &Settings) -> Result<SecretBox, SecretsError> {
    if let Some(path) = &settings.provider.secrets_key_file {
        let key = SecretsKey::load(path)?;
        tracing::info!(path = %path.display(), key_id = key.id(), "loaded the connector secrets key");
        return Ok(SecretBox::new(Some(key)));
    }
    match settings.site.mode {
        RunMode::Dev => {
            let path = settings.data_dir.join(DEV_KEY_FILE_NAME);
            let (key, created) = SecretsKey::load_or_create(&path)?;
            if created {
                tracing::info!(path = %path.display(), key_id = key.id(), "no secrets key configured: generated a development key for connector secrets (set PROVIDER_SECRETS_KEY_FILE in production)");
            }
            Ok(SecretBox::new(Some(key)))
        }
        RunMode::Prod => {
            tracing::warn!("PROVIDER_SECRETS_KEY_FILE is not set: connectors that need a secret (AWS SES) cannot be saved");
            Ok(SecretBox::new(None))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed() -> SecretBox {
        SecretBox::new(Some(SecretsKey::from_bytes(&[7; 32])))
    }

    #[test]
    fn sealed_values_open_only_with_their_key_and_associated_data() {
        let secrets = boxed();
        let sealed = secrets
            .seal(&Secret::new("hunter2"), "connector:a:accessKeySecret")
            .unwrap();
        assert!(!sealed.contains("hunter2"));
        let parts: Vec<&str> = sealed.split(':').collect();
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[0], "v1");
        assert_eq!(parts[1], secrets.key_id().unwrap());
        assert_eq!(STANDARD.decode(parts[2]).unwrap().len(), 12);
        assert_eq!(
            secrets
                .open(&sealed, "connector:a:accessKeySecret")
                .unwrap()
                .expose(),
            "hunter2"
        );
        assert!(matches!(
            secrets.open(&sealed, "connector:b:accessKeySecret"),
            Err(SecretsError::Undecryptable(_))
        ));
        let other = SecretBox::new(Some(SecretsKey::from_bytes(&[8; 32])));
        assert!(matches!(
            other.open(&sealed, "connector:a:accessKeySecret"),
            Err(SecretsError::WrongKey { .. })
        ));
        assert!(matches!(
            secrets.open("v1:garbage", "x"),
            Err(SecretsError::Undecryptable(_))
        ));
    }

    #[test]
    fn every_seal_uses_a_new_nonce() {
        let secrets = boxed();
        let a = secrets.seal(&Secret::new("same"), "f").unwrap();
        let b = secrets.seal(&Secret::new("same"), "f").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn without_a_key_nothing_is_sealed() {
        let secrets = SecretBox::new(None);
        let error = secrets.seal(&Secret::new("x"), "f").unwrap_err();
        assert!(matches!(error, SecretsError::KeyMissing));
        assert!(error.to_string().contains("PROVIDER_SECRETS_KEY_FILE"));
    }

    #[test]
    fn key_files_are_raw_or_base64_and_exactly_32_bytes() {
        let raw = [9_u8; 32];
        let id = SecretsKey::from_bytes(&raw).id().to_owned();
        assert_eq!(SecretsKey::parse(&raw).unwrap().id(), id);
        let text = format!("  {}\n", STANDARD.encode(raw));
        assert_eq!(SecretsKey::parse(text.as_bytes()).unwrap().id(), id);
        let url = URL_SAFE_NO_PAD.encode(raw);
        assert_eq!(SecretsKey::parse(url.as_bytes()).unwrap().id(), id);
        assert!(SecretsKey::parse(STANDARD.encode([1_u8; 16]).as_bytes()).is_err());
        assert!(SecretsKey::parse(b"not a key").is_err());
    }

    #[test]
    fn the_dev_key_is_generated_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join(DEV_KEY_FILE_NAME);
        let (first, created) = SecretsKey::load_or_create(&path).unwrap();
        assert!(created);
        let (second, created_again) = SecretsKey::load_or_create(&path).unwrap();
        assert!(!created_again);
        assert_eq!(first.id(), second.id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
