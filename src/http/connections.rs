//! The host's open connections, for making room at the limit. `max_connections` bounds
//! sockets, and a keep-alive connection holds its place between requests: a portal
//! with a large pool of idle connections could otherwise keep every other client out
//! with 503s while the host does nothing. At the limit, a new connection asks the one
//! idle longest to close (hyper closes an idle HTTP/1.1 connection at once, and lets a
//! busy one finish its exchange first) and takes its place; the 503 is left for when
//! every connection is in the middle of a request. nginx reuses idle keep-alive
//! connections the same way when it runs out of them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;
use tokio::time::Instant;

/// Every open connection, with what is known of its use.
#[derive(Default)]
pub struct Connections {
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    next_id: u64,
    by_id: HashMap<u64, Use>,
    /// [`Connections::close_all`] was called: a connection that arrives later (one
    /// that waited for room) is asked to close as it opens.
    all_closing: bool,
}

struct Use {
    /// Requests being answered now.
    busy: u32,
    /// When the connection opened or last finished answering a request.
    idle_since: Instant,
    /// Asked to close already (made room once, or the host is shutting down).
    closing: bool,
    close: Arc<Notify>,
}

impl Connections {
    fn open(&self) -> MutexGuard<'_, Open> {
        // The map is left whole by every step taken under the lock, so a panic
        // elsewhere while it was held leaves nothing half done.
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a new connection; it is forgotten when the returned handle drops.
    pub fn track(self: &Arc<Self>) -> Tracked {
        let close = Arc::new(Notify::new());
        let mut open = self.open();
        let id = open.next_id;
        open.next_id += 1;
        let closing = open.all_closing;
        if closing {
            close.notify_one();
        }
        open.by_id.insert(
            id,
            Use {
                busy: 0,
                idle_since: Instant::now(),
                closing,
                close: Arc::clone(&close),
            },
        );
        Tracked {
            connections: Arc::clone(self),
            id,
            close,
        }
    }

    /// Asks the connection idle longest, among those answering no request and not
    /// closing already, to close. Whether there was one.
    pub fn close_idlest(&self) -> bool {
        let mut open = self.open();
        let idlest = open
            .by_id
            .values_mut()
            .filter(|u| u.busy == 0 && !u.closing)
            .min_by_key(|u| u.idle_since);
        match idlest {
            Some(u) => {
                u.closing = true;
                // A stored permit: the connection's task sees it even if it is not
                // waiting at this instant.
                u.close.notify_one();
                true
            }
            None => false,
        }
    }

    /// Asks every connection, and any opened from now on, to close once its request
    /// in flight is answered.
    pub fn close_all(&self) {
        let mut open = self.open();
        open.all_closing = true;
        for u in open.by_id.values_mut() {
            u.closing = true;
            u.close.notify_one();
        }
    }

    /// Connections open now.
    pub fn len(&self) -> usize {
        self.open().by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One open connection's entry in [`Connections`].
pub struct Tracked {
    connections: Arc<Connections>,
    id: u64,
    close: Arc<Notify>,
}

impl Tracked {
    /// Completes when the connection is asked to close.
    pub async fn close_asked(&self) {
        self.close.notified().await;
    }

    /// Marks a request as being answered until the returned guard drops.
    pub fn answering(self: &Arc<Self>) -> Answering {
        if let Some(u) = self.connections.open().by_id.get_mut(&self.id) {
            u.busy += 1;
        }
        Answering(Arc::clone(self))
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.connections.open().by_id.remove(&self.id);
    }
}

/// A request being answered on a [`Tracked`] connection.
pub struct Answering(Arc<Tracked>);

impl Drop for Answering {
    fn drop(&mut self) {
        let tracked = &self.0;
        if let Some(u) = tracked.connections.open().by_id.get_mut(&tracked.id) {
            u.busy = u.busy.saturating_sub(1);
            u.idle_since = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Closed only when asked; `true` if it was.
    async fn asked(t: &Tracked) -> bool {
        tokio::time::timeout(Duration::from_millis(10), t.close_asked())
            .await
            .is_ok()
    }

    #[tokio::test(start_paused = true)]
    async fn the_connection_idle_longest_is_asked_to_close_and_busy_ones_never() {
        let connections = Arc::new(Connections::default());
        let oldest = Arc::new(connections.track());
        tokio::time::advance(Duration::from_secs(1)).await;
        let busy = Arc::new(connections.track());
        let _answering = busy.answering();
        tokio::time::advance(Duration::from_secs(1)).await;
        let recent = Arc::new(connections.track());
        tokio::time::advance(Duration::from_secs(1)).await;
        // The oldest then answers a request: idle only since it ended.
        drop(oldest.answering());
        assert!(connections.close_idlest());
        assert!(
            asked(&recent).await,
            "idle since it opened, before that request"
        );
        assert!(!asked(&oldest).await);
        assert!(!asked(&busy).await);
        // Asked once, `recent` is passed over: `oldest` is next.
        assert!(connections.close_idlest());
        assert!(asked(&oldest).await);
        // Only the busy one is left, and it is never asked.
        assert!(!connections.close_idlest());
        assert!(!asked(&busy).await);
        assert_eq!(connections.len(), 3);
        drop(recent);
        assert_eq!(connections.len(), 2, "a dropped handle is forgotten");
    }

    #[tokio::test(start_paused = true)]
    async fn closing_all_asks_every_connection_busy_or_not() {
        let connections = Arc::new(Connections::default());
        let idle = Arc::new(connections.track());
        let busy = Arc::new(connections.track());
        let _answering = busy.answering();
        connections.close_all();
        assert!(asked(&idle).await);
        assert!(asked(&busy).await);
        assert!(!connections.close_idlest(), "all are closing already");
        let late = connections.track();
        assert!(asked(&late).await, "opened after: asked at once");
        drop((idle, busy, _answering, late));
        assert!(connections.is_empty());
    }
}
