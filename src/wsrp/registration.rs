//! Consumer registrations: which registration handle belongs to which consumer.
//!
//! The producer only needs four operations, so storage hides behind a small trait:
//! tests use [`MemoryRegistrations`], the server backs it with redb.

use std::collections::HashMap;
use std::sync::RwLock;

/// What the producer remembers of one `register` call.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Registration {
    /// The configured consumer id (`consumerName`).
    pub consumer: String,
    /// `consumerAgent`, for the logs.
    pub agent: String,
    /// Registration properties other than the secret, by name.
    pub properties: Vec<(String, String)>,
    /// SHA-256 (hex) of the `wsrp_secret` the consumer proved when it registered. A
    /// handle serves only while the configured secret is still that one, so rotating a
    /// leaked secret also voids the handles made with it. Records written before this
    /// field read as empty and so must register again.
    #[serde(default)]
    pub secret_digest: String,
}

/// Without the secret's digest: a weak secret could be found from it.
impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("consumer", &self.consumer)
            .field("agent", &self.agent)
            .field("properties", &self.properties)
            .field("secret_digest", &"<redacted>")
            .finish()
    }
}

/// The digest [`Registration::secret_digest`] holds for `secret`.
pub fn secret_digest(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A storage failure; the producer answers it with `OperationFailed`.
#[derive(Debug, thiserror::Error)]
#[error("registration store: {0}")]
pub struct RegistrationStoreError(pub String);

/// Where registrations live.
pub trait RegistrationStore: Send + Sync {
    /// Stores a new registration under `handle` (chosen by the producer, random).
    fn create(
        &self,
        handle: &str,
        registration: Registration,
    ) -> Result<(), RegistrationStoreError>;
    fn get(&self, handle: &str) -> Result<Option<Registration>, RegistrationStoreError>;
    /// Replaces a registration; `false` when the handle is unknown.
    fn modify(
        &self,
        handle: &str,
        registration: Registration,
    ) -> Result<bool, RegistrationStoreError>;
    /// Removes a registration; `false` when the handle is unknown.
    fn delete(&self, handle: &str) -> Result<bool, RegistrationStoreError>;
}

/// Registrations in memory, lost on restart.
#[derive(Default)]
pub struct MemoryRegistrations(RwLock<HashMap<String, Registration>>);

/// Without the handles, which a consumer presents as its credential.
impl std::fmt::Debug for MemoryRegistrations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryRegistrations")
            .field("registrations", &self.len())
            .finish()
    }
}

impl MemoryRegistrations {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many registrations exist (for tests and metrics).
    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Registration>> {
        // A poisoned map is still consistent: every write is a single insert or remove.
        self.0.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Registration>> {
        self.0.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl RegistrationStore for MemoryRegistrations {
    fn create(
        &self,
        handle: &str,
        registration: Registration,
    ) -> Result<(), RegistrationStoreError> {
        self.write().insert(handle.to_owned(), registration);
        Ok(())
    }

    fn get(&self, handle: &str) -> Result<Option<Registration>, RegistrationStoreError> {
        Ok(self.read().get(handle).cloned())
    }

    fn modify(
        &self,
        handle: &str,
        registration: Registration,
    ) -> Result<bool, RegistrationStoreError> {
        Ok(match self.write().get_mut(handle) {
            Some(r) => {
                *r = registration;
                true
            }
            None => false,
        })
    }

    fn delete(&self, handle: &str) -> Result<bool, RegistrationStoreError> {
        Ok(self.write().remove(handle).is_some())
    }
}

/// Compares a presented secret with the configured one without an early exit, so the
/// time taken says nothing about how much of it matched. Both sides are hashed first,
/// which also hides the length.
pub fn secret_matches(presented: &str, configured: &str) -> bool {
    digests_match(&sha256(presented), &sha256(configured))
}

/// A secret's SHA-256, for [`digests_match`].
pub fn sha256(secret: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(secret.as_bytes()).into()
}

/// Compares two digests without an early exit.
pub fn digests_match(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A registration printed for debugging shows neither its secret's digest nor,
    /// in the store, the handles consumers present as their credential.
    #[test]
    fn debug_output_holds_no_digest_or_handle() {
        let registration = Registration {
            consumer: "portal".into(),
            agent: "Liferay".into(),
            properties: Vec::new(),
            secret_digest: secret_digest("s3cret"),
        };
        let printed = format!("{registration:?}");
        assert!(printed.contains("portal"), "{printed}");
        assert!(!printed.contains(&registration.secret_digest), "{printed}");
        let store = MemoryRegistrations::new();
        store.create("handle-7f3a", registration).expect("create");
        let printed = format!("{store:?}");
        assert!(printed.contains("registrations: 1"), "{printed}");
        assert!(!printed.contains("handle-7f3a"), "{printed}");
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(secret_matches("s3cret", "s3cret"));
        assert!(!secret_matches("s3creT", "s3cret"));
        assert!(!secret_matches("", "s3cret"));
        assert!(!secret_matches("s3cret-longer", "s3cret"));
    }

    #[test]
    fn a_secret_digest_is_sha256_in_hex() {
        // The SHA-256 of "abc" (FIPS 180-2, appendix B.1).
        assert_eq!(
            secret_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn memory_store_round_trip() {
        let store = MemoryRegistrations::new();
        let reg = Registration {
            consumer: "portal".into(),
            agent: "test".into(),
            properties: vec![],
            secret_digest: secret_digest("s3cret"),
        };
        store.create("h1", reg.clone()).expect("create");
        assert_eq!(store.get("h1").expect("get"), Some(reg.clone()));
        let changed = Registration {
            agent: "other".into(),
            ..reg
        };
        assert!(store.modify("h1", changed.clone()).expect("modify"));
        assert!(!store.modify("h2", changed.clone()).expect("modify"));
        assert_eq!(store.get("h1").expect("get"), Some(changed));
        assert!(store.delete("h1").expect("delete"));
        assert!(!store.delete("h1").expect("delete"));
        assert!(store.is_empty());
    }
}
