//! Reads the consumers' JWKS files again when they change, so that a portal that
//! rotates its signing keys (publishes a new key, later drops the old one) needs no
//! restart of the host. The files are looked at every [`POLL`] off the async workers;
//! a file is read when its length, time, inode or inode change time changed (which
//! also catches a new version renamed into place, a Kubernetes ConfigMap's link being
//! switched, or a file made readable), and again at each look while it cannot be used.

use std::sync::Arc;
use std::time::Duration;

use super::state::AppState;
use crate::portal::auth::JwksReload;

/// How often the JWKS files are looked at: a key a portal starts signing with works
/// here within this long of its being written to the file.
pub const POLL: Duration = Duration::from_secs(5);

/// The watch; dropping it stops it.
pub struct JwksWatch(Option<tokio::task::JoinHandle<()>>);

impl Drop for JwksWatch {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

/// Starts watching when some consumer's keys come from a JWKS file. The task holds
/// the verifier alone, not the host's state: a host that stops releases its database
/// whatever the watch is doing (a read of a file on a stalled network share, say).
pub fn start(state: &Arc<AppState>) -> JwksWatch {
    if !state.verifier.reads_jwks() {
        return JwksWatch(None);
    }
    let verifier = Arc::downgrade(&state.verifier);
    JwksWatch(Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick is at once, and the keys were just read.
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(verifier) = verifier.upgrade() else {
                return;
            };
            let changes = match tokio::task::spawn_blocking(move || verifier.reload_jwks()).await {
                Ok(changes) => changes,
                Err(error) if error.is_cancelled() => return,
                // A bug: said, and tried again at the next tick.
                Err(error) => {
                    tracing::error!(%error, "reading the JWKS files again failed");
                    continue;
                }
            };
            for change in changes {
                match change {
                    JwksReload::Replaced {
                        consumer,
                        keys: 0,
                        skipped,
                    } => tracing::warn!(
                        %consumer, ?skipped,
                        "the consumer's JWKS file was read again and lists no usable key: none of its RS256 or ES256 tokens is accepted now"
                    ),
                    JwksReload::Replaced {
                        consumer,
                        keys,
                        skipped,
                    } if !skipped.is_empty() => tracing::warn!(
                        %consumer, keys, ?skipped,
                        "the consumer's JWKS file was read again: its usable keys are the file's now; the keys named could not be read and are not trusted"
                    ),
                    JwksReload::Replaced { consumer, keys, .. } => tracing::info!(
                        %consumer, keys,
                        "the consumer's JWKS file was read again: its keys are the file's now"
                    ),
                    JwksReload::UsableAgain { consumer } => tracing::info!(
                        %consumer,
                        "the consumer's JWKS file can be used again: it holds the keys already in use"
                    ),
                    JwksReload::Kept { consumer, error } => tracing::warn!(
                        %consumer, %error,
                        "the consumer's JWKS file changed but cannot be used: the keys read before stay until it can"
                    ),
                }
            }
        }
    })))
}
