//! Everything a request handler needs, assembled once at start: the composition root.

use std::time::Instant;

use super::metrics::Metrics;
use crate::config::Config;
use crate::descriptors::{self, CatalogHandle, Watcher};
use crate::error::HostError;

pub struct AppState {
    pub config: Config,
    pub metrics: Metrics,
    /// The live widget catalog; the descriptor watcher swaps it.
    pub catalog: CatalogHandle,
    pub started: Instant,
    /// Keeps descriptors_dir watched for as long as the host runs.
    _watcher: Option<Watcher>,
}

impl AppState {
    /// Opens storage, loads descriptors and starts the watcher. Blocking work runs off
    /// the async runtime.
    pub async fn start(config: Config) -> Result<Self, HostError> {
        let (catalog, watcher) = load_catalog(config.descriptors_dir.clone()).await?;
        Ok(Self {
            config,
            metrics: Metrics::default(),
            catalog,
            started: Instant::now(),
            _watcher: watcher,
        })
    }
}

/// The catalog from descriptors_dir, watched; or the built-in descriptors when that
/// folder does not exist (so `cargo run` works from anywhere).
async fn load_catalog(
    dir: std::path::PathBuf,
) -> Result<(CatalogHandle, Option<Watcher>), HostError> {
    tokio::task::spawn_blocking(move || {
        if !dir.is_dir() {
            tracing::info!(dir = %dir.display(), "descriptors folder not found; serving the built-in widgets");
            return Ok((CatalogHandle::new(descriptors::builtin()), None));
        }
        let catalog = descriptors::load_dir(&dir);
        for problem in &catalog.problems {
            tracing::warn!(
                file = %problem.file.display(), line = problem.line, column = problem.column,
                element = %problem.element, fix = %problem.fix, "{}", problem.message
            );
        }
        tracing::info!(dir = %dir.display(), widgets = catalog.widgets.len(), "descriptors loaded");
        let handle = CatalogHandle::new(catalog);
        let watcher = descriptors::spawn_watcher(dir, handle.clone()).map_err(|e| HostError::Startup(e.to_string()))?;
        Ok((handle, Some(watcher)))
    })
    .await
    .map_err(|e| HostError::Startup(format!("descriptor loading failed: {e}")))?
}
