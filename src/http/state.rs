//! Everything a request handler needs, assembled once at start: the composition root.

use std::time::Instant;

use super::metrics::Metrics;
use crate::config::Config;
use crate::descriptors::{Catalog, CatalogHandle};
use crate::error::HostError;

pub struct AppState {
    pub config: Config,
    pub metrics: Metrics,
    /// The live widget catalog; the descriptor watcher swaps it.
    pub catalog: CatalogHandle,
    pub started: Instant,
}

impl AppState {
    /// Opens storage, loads descriptors and starts the watcher. Blocking work runs off
    /// the async runtime.
    pub async fn start(config: Config) -> Result<Self, HostError> {
        Ok(Self {
            config,
            metrics: Metrics::default(),
            catalog: CatalogHandle::new(Catalog::default()),
            started: Instant::now(),
        })
    }
}
