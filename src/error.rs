//! Errors of the host as a whole (start-up, serving). Each layer has its own enum;
//! this one wraps what stops the process.

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Startup(String),
}
