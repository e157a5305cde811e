//! The provider's signing keys: ES384 (P-384) keys generated on first start and persisted in the
//! store, the newest one signing, all of them published in the JWKS so that tokens signed before a
//! rotation still verify. Key ids are RFC 7638 thumbprints.

use super::store::{update_document, Store, StoreError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use p384::elliptic_curve::rand_core::OsRng;
use p384::elliptic_curve::sec1::ToEncodedPoint;
use p384::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const DOCUMENT: &str = "signing_keys";

#[derive(Serialize, Deserialize)]
struct StoredKey {
    kid: String,
    pkcs8_pem: String,
    created_at: u64,
}

#[derive(Serialize, Deserialize, Default)]
struct StoredKeys {
    /// Newest first; the first one signs.
    keys: Vec<StoredKey>,
}

struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    public_jwk: serde_json::Value,
}

/// The loaded key set.
pub struct SigningKeys {
    keys: Vec<SigningKey>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key storage: {0}")]
    Store(#[from] StoreError),
    #[error("stored signing key is unreadable: {0}")]
    Corrupt(String),
    #[error("signing failed: {0}")]
    Sign(String),
}

impl SigningKeys {
    /// Loads the stored keys, generating and storing the first one when there is none (of
    /// several processes starting at once, one key is stored and all load it).
    pub async fn load_or_create(store: &dyn Store, now: u64) -> Result<Self, KeyError> {
        let stored = update_keys(store, |stored| {
            if stored.keys.is_empty() {
                tracing::info!("no signing key yet: generated a new ES384 key");
                stored.keys.push(generate(now)?);
            }
            Ok(())
        })
        .await?;
        Self::from_stored(&stored)
    }

    /// Generates a new signing key and puts it first; older keys stay published.
    pub async fn rotate(store: &dyn Store, now: u64) -> Result<Self, KeyError> {
        let stored = update_keys(store, |stored| {
            stored.keys.insert(0, generate(now)?);
            Ok(())
        })
        .await?;
        Self::from_stored(&stored)
    }

    fn from_stored(stored: &StoredKeys) -> Result<Self, KeyError> {
        let keys = stored
            .keys
            .iter()
            .map(|key| {
                let secret = p384::SecretKey::from_pkcs8_pem(&key.pkcs8_pem)
                    .map_err(|error| KeyError::Corrupt(error.to_string()))?;
                let (x, y) = coordinates(&secret.public_key());
                let encoding = EncodingKey::from_ec_pem(key.pkcs8_pem.as_bytes())
                    .map_err(|error| KeyError::Corrupt(error.to_string()))?;
                let decoding = DecodingKey::from_ec_components(&x, &y)
                    .map_err(|error| KeyError::Corrupt(error.to_string()))?;
                Ok(SigningKey {
                    kid: key.kid.clone(),
                    encoding,
                    decoding,
                    public_jwk: serde_json::json!({
                        "kty": "EC", "crv": "P-384", "x": x, "y": y,
                        "kid": key.kid, "use": "sig", "alg": "ES384",
                    }),
                })
            })
            .collect::<Result<Vec<_>, KeyError>>()?;
        if keys.is_empty() {
            return Err(KeyError::Corrupt("no keys".to_owned()));
        }
        Ok(Self { keys })
    }

    /// The `kid` of the key that signs now.
    pub fn active_kid(&self) -> &str {
        &self.keys[0].kid
    }

    /// Signs `claims` as a JWT with the active key (header `alg: ES384`, `kid`, `typ`).
    pub fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> Result<String, KeyError> {
        let key = &self.keys[0];
        let mut header = Header::new(Algorithm::ES384);
        header.kid = Some(key.kid.clone());
        header.typ = Some(typ.to_owned());
        jsonwebtoken::encode(&header, claims, &key.encoding)
            .map_err(|error| KeyError::Sign(error.to_string()))
    }

    /// Verifies a JWT signed by any published key, with the given validation rules.
    pub fn verify<T: DeserializeOwned>(&self, token: &str, validation: &Validation) -> Option<T> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let key = self
            .keys
            .iter()
            .find(|key| header.kid.as_deref() == Some(key.kid.as_str()))?;
        jsonwebtoken::decode::<T>(token, &key.decoding, validation)
            .ok()
            .map(|data| data.claims)
    }

    /// The public JWK set.
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<_> = self.keys.iter().map(|key| key.public_jwk.clone()).collect();
        serde_json::json!({ "keys": keys })
    }
}

/// Changes the stored key set as one compare-and-swap (no key written by a concurrent start is
/// lost); `change` may run more than once. An unchanged set is not written.
async fn update_keys(
    store: &dyn Store,
    mut change: impl FnMut(&mut StoredKeys) -> Result<(), KeyError>,
) -> Result<StoredKeys, KeyError> {
    let written = update_document(store, DOCUMENT, |current| {
        let mut stored: StoredKeys = match &current {
            None => StoredKeys::default(),
            Some(value) => serde_json::from_value(value.clone())
                .map_err(|error| KeyError::Corrupt(error.to_string()))?,
        };
        let before = stored.keys.len();
        change(&mut stored)?;
        match current {
            Some(value) if stored.keys.len() == before => Ok(value),
            _ => {
                serde_json::to_value(&stored).map_err(|error| KeyError::Corrupt(error.to_string()))
            }
        }
    })
    .await?;
    serde_json::from_value(written).map_err(|error| KeyError::Corrupt(error.to_string()))
}

/// A fresh P-384 key.
fn generate(now: u64) -> Result<StoredKey, KeyError> {
    let secret = p384::SecretKey::random(&mut OsRng);
    let pkcs8_pem = secret
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|error| KeyError::Corrupt(error.to_string()))?
        .to_string();
    Ok(StoredKey {
        kid: thumbprint(&secret.public_key()),
        pkcs8_pem,
        created_at: now,
    })
}

/// RFC 7638 JWK thumbprint (SHA-256, base64url) of a P-384 public key.
fn thumbprint(public: &p384::PublicKey) -> String {
    let (x, y) = coordinates(public);
    let canonical = format!(r#"{{"crv":"P-384","kty":"EC","x":"{x}","y":"{y}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The base64url affine coordinates of a public key, as JWK `x` and `y`.
fn coordinates(public: &p384::PublicKey) -> (String, String) {
    let point = public.to_encoded_point(false);
    let encode = |part: Option<&p384::FieldBytes>| {
        part.map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
            .unwrap_or_default()
    };
    (encode(point.x()), encode(point.y()))
}
