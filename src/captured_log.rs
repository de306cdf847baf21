//! The log's lines as a test reads them back (tests only): a subscriber that writes
//! plain text at `info` and above into memory.

use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub(crate) struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLog {
    /// A subscriber whose lines this log keeps, for `tracing::subscriber::with_default`.
    pub(crate) fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + use<> {
        let log = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(move || log.clone())
            .finish()
    }

    /// Runs `f` with a log of its own, and gives what it returned and what it logged.
    pub(crate) fn during<T>(f: impl FnOnce() -> T) -> (T, String) {
        let log = Self::default();
        let value = tracing::subscriber::with_default(log.subscriber(), f);
        (value, log.text())
    }

    /// What was written so far.
    pub(crate) fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}
