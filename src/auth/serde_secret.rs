//! Serde helpers for [`Secret`] fields of values kept in the server-side session store
//! (`#[serde(with = "serde_secret")]`). `Secret` itself stays non-serializable so that it cannot
//! end up in a response by accident; only the session types opt in, field by field.

use serde::{Deserialize, Deserializer, Serializer};

use crate::secret::Secret;

pub(crate) fn serialize<S: Serializer>(secret: &Secret, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose())
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
    String::deserialize(deserializer).map(Secret::new)
}

/// The same for `Option<Secret>`.
pub(crate) mod option {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::secret::Secret;

    pub(crate) fn serialize<S: Serializer>(
        secret: &Option<Secret>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match secret {
            Some(secret) => serializer.serialize_some(secret.expose()),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Secret>, D::Error> {
        Option::<String>::deserialize(deserializer).map(|value| value.map(Secret::new))
    }
}
