//! An in-memory [`Graph`], so the social rules can be unit-tested without redb. It
//! keeps only the primary facts; counts and indexes are the redb side's business.

use std::collections::{BTreeMap, BTreeSet};

use super::graph::{Edge, Entry, Graph, RequestStatus, SocialRequest};
use super::{EntryId, RequestId, StoreError, UserId};

#[derive(Debug, Default, Clone)]
pub struct MemGraph {
    people: BTreeMap<String, UserId>,
    edges: BTreeSet<(Edge, UserId, UserId)>,
    requests: BTreeMap<RequestId, SocialRequest>,
    entries: BTreeMap<EntryId, Entry>,
    /// Every request id handed out: ids here come from one counter with people and
    /// entries, so "below the next" does not say which were requests.
    issued_requests: BTreeSet<RequestId>,
    /// Every personal contact id handed out, for the same reason.
    issued_entries: BTreeSet<EntryId>,
    next_id: u64,
}

impl MemGraph {
    /// Adds a person to the directory; returns their internal id.
    pub fn add_person(&mut self, portal_id: &str) -> UserId {
        self.next_id += 1;
        self.people.insert(portal_id.to_owned(), self.next_id);
        self.next_id
    }

    /// Every edge, for assertions.
    pub fn edges(&self) -> Vec<(Edge, UserId, UserId)> {
        self.edges.iter().copied().collect()
    }

    /// Pending requests, for assertions.
    pub fn pending(&self) -> Vec<SocialRequest> {
        self.requests
            .values()
            .filter(|r| r.status == RequestStatus::Pending)
            .cloned()
            .collect()
    }

    pub fn entries(&self) -> Vec<Entry> {
        self.entries.values().cloned().collect()
    }
}

impl Graph for MemGraph {
    fn user_id(&self, portal_id: &str) -> Result<Option<UserId>, StoreError> {
        Ok(self.people.get(portal_id).copied())
    }

    fn portal_id(&self, user: UserId) -> Result<Option<String>, StoreError> {
        Ok(self
            .people
            .iter()
            .find(|(_, u)| **u == user)
            .map(|(p, _)| p.clone()))
    }

    fn has(&self, edge: Edge, a: UserId, b: UserId) -> Result<bool, StoreError> {
        Ok(self.edges.contains(&(edge, a, b)))
    }

    fn link(&mut self, edge: Edge, a: UserId, b: UserId) -> Result<(), StoreError> {
        self.edges.insert((edge, a, b));
        if edge == Edge::Connection {
            self.edges.insert((edge, b, a));
        }
        Ok(())
    }

    fn unlink(&mut self, edge: Edge, a: UserId, b: UserId) -> Result<(), StoreError> {
        self.edges.remove(&(edge, a, b));
        if edge == Edge::Connection {
            self.edges.remove(&(edge, b, a));
        }
        Ok(())
    }

    fn pending_request(
        &self,
        requester: UserId,
        receiver: UserId,
    ) -> Result<Option<RequestId>, StoreError> {
        Ok(self
            .requests
            .values()
            .find(|r| {
                r.requester == requester
                    && r.receiver == receiver
                    && r.status == RequestStatus::Pending
            })
            .map(|r| r.id))
    }

    fn request(&self, id: RequestId) -> Result<Option<SocialRequest>, StoreError> {
        Ok(self.requests.get(&id).cloned())
    }

    fn open_request(
        &mut self,
        requester: UserId,
        receiver: UserId,
        created_at: u64,
    ) -> Result<RequestId, StoreError> {
        self.next_id += 1;
        let id = self.next_id;
        self.issued_requests.insert(id);
        self.requests.insert(
            id,
            SocialRequest {
                id,
                requester,
                receiver,
                created_at,
                status: RequestStatus::Pending,
            },
        );
        Ok(id)
    }

    fn issued_request(&self, id: RequestId) -> Result<bool, StoreError> {
        Ok(self.issued_requests.contains(&id))
    }

    fn close_request(&mut self, id: RequestId) -> Result<(), StoreError> {
        self.requests.remove(&id);
        Ok(())
    }

    fn entry(&self, id: EntryId) -> Result<Option<Entry>, StoreError> {
        Ok(self.entries.get(&id).cloned())
    }

    fn issued_entry(&self, id: EntryId) -> Result<bool, StoreError> {
        Ok(self.issued_entries.contains(&id))
    }

    fn entry_count(&self, owner: UserId) -> Result<u64, StoreError> {
        Ok(self.entries.values().filter(|e| e.owner == owner).count() as u64)
    }

    fn entry_by_email(&self, owner: UserId, email: &str) -> Result<Option<EntryId>, StoreError> {
        let email = email.trim().to_lowercase();
        Ok(self
            .entries
            .values()
            .find(|e| e.owner == owner && e.email_address.trim().to_lowercase() == email)
            .map(|e| e.entry_id))
    }

    fn put_entry(&mut self, mut entry: Entry) -> Result<EntryId, StoreError> {
        if entry.entry_id == 0 {
            self.next_id += 1;
            entry.entry_id = self.next_id;
            self.issued_entries.insert(entry.entry_id);
        }
        let id = entry.entry_id;
        self.entries.insert(id, entry);
        Ok(id)
    }

    fn delete_entry(&mut self, id: EntryId) -> Result<(), StoreError> {
        self.entries.remove(&id);
        Ok(())
    }
}
