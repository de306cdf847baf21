//! Records that portals leave with the host to be found again: WSRP registration
//! handles. They are opaque here (the producer owns their shape); keeping them in the
//! database means a restart, a backup or a restore never orphans a registered portal.

use super::{Social, SocialError};

impl Social {
    /// The record stored under a registration handle.
    pub fn registration(&self, handle: &str) -> Result<Option<Vec<u8>>, SocialError> {
        Ok(self.read()?.registration(handle)?)
    }

    /// Stores (or replaces) a registration record; returns once durable.
    pub fn put_registration(&self, handle: &str, record: Vec<u8>) -> Result<(), SocialError> {
        let handle = handle.to_owned();
        Ok(self
            .store
            .write(move |tables| tables.put_registration(&handle, &record))?)
    }

    /// Replaces the record of a registration that exists, in one transaction with the
    /// look that finds it: `false`, with nothing stored, when the handle is unknown
    /// (a deregistration acknowledged before it stays done). Returns once durable.
    pub fn replace_registration(&self, handle: &str, record: Vec<u8>) -> Result<bool, SocialError> {
        let handle = handle.to_owned();
        Ok(self
            .store
            .write(move |tables| tables.replace_registration(&handle, &record))?)
    }

    /// Forgets a registration; `false` when the handle was unknown.
    pub fn delete_registration(&self, handle: &str) -> Result<bool, SocialError> {
        let handle = handle.to_owned();
        Ok(self
            .store
            .write(move |tables| tables.delete_registration(&handle))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrations_survive_a_reopen_and_can_be_deleted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db.redb");
        {
            let social = Social::open(&path).expect("open");
            social
                .put_registration("h1", b"record-1".to_vec())
                .expect("put");
            assert_eq!(social.registration("nope").expect("read"), None);
        }
        let social = Social::open(&path).expect("reopen");
        assert_eq!(
            social.registration("h1").expect("read").as_deref(),
            Some(&b"record-1"[..])
        );
        assert!(
            social
                .replace_registration("h1", b"record-2".to_vec())
                .expect("replace")
        );
        assert_eq!(
            social.registration("h1").expect("read").as_deref(),
            Some(&b"record-2"[..])
        );
        assert!(social.delete_registration("h1").expect("delete"));
        assert!(!social.delete_registration("h1").expect("delete again"));
        assert_eq!(social.registration("h1").expect("read"), None);
        // A handle deregistered is not brought back by a modification after it.
        assert!(
            !social
                .replace_registration("h1", b"record-3".to_vec())
                .expect("replace")
        );
        assert_eq!(social.registration("h1").expect("read"), None);
    }
}
