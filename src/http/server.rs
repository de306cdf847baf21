//! Accept loop, connection limit, per-connection HTTP/1.1 settings and graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::router;
use super::state::AppState;
use crate::config::Config;
use crate::error::HostError;

/// Answer written to a connection beyond the limit, before closing it: a client sees a
/// clear 503 instead of a reset, and knows to retry.
const OVER_CAPACITY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 36\r\n\r\nToo many connections; retry shortly\n";

/// Serves on `listener` until `shutdown` completes, then stops accepting and lets
/// requests in flight finish (up to `limits.shutdown_grace_secs`).
///
/// Tests call this with a listener on `127.0.0.1:0`; `main` with the configured address.
pub async fn launch(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HostError> {
    let state = Arc::new(AppState::start(config).await?);
    serve(state, listener, shutdown).await
}

/// The accept loop over an already started [`AppState`].
pub async fn serve(
    state: Arc<AppState>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HostError> {
    let limits = state.config.limits.clone();
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    tracing::info!(address = %listener.local_addr()?, "serving");

    loop {
        let (mut stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            state.metrics.connection_refused();
            tokio::spawn(async move {
                let _ = stream.write_all(OVER_CAPACITY).await;
                let _ = stream.shutdown().await;
            });
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service_state = Arc::clone(&state);
        let service = service_fn(move |req| router::handle(Arc::clone(&service_state), req, peer));
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(limits.request_timeout_secs))
            .max_buf_size(limits.max_header_bytes.max(8192))
            .max_headers(100)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        let connection_state = Arc::clone(&state);
        connection_state.metrics.connection_opened();
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
            connection_state.metrics.connection_closed();
            drop(permit);
        });
    }

    drop(listener);
    tracing::info!("shutting down: draining requests in flight");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(Duration::from_secs(limits.shutdown_grace_secs)) => {
            tracing::warn!("grace period over; closing remaining connections");
        }
    }
    Ok(())
}
