//! Command line (clap): global options, then a subcommand (`serve` when none is given).
//! Global options are accepted before or after the subcommand.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{Config, LogFormat, Overrides};

#[derive(Debug, Parser)]
#[command(name = "widget-host", version, about = "Hosts portal widgets (portlets) outside the portal", long_about = None)]
pub struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to serve on, e.g. 127.0.0.1:8080.
    #[arg(long, global = true, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Folder of the database.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Folder of widget descriptor folders (watched).
    #[arg(long, global = true, value_name = "DIR")]
    pub descriptors_dir: Option<PathBuf>,
    /// Serve the demo portal at `/`.
    #[arg(long, global = true, overrides_with = "no_demo")]
    pub demo: bool,
    /// Do not serve the demo portal.
    #[arg(long, global = true, overrides_with = "demo")]
    pub no_demo: bool,
    /// Log format.
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormatArg>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormatArg {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve widgets over HTTP and WSRP (the default).
    Serve,
    /// Work with widget descriptors.
    Descriptors {
        #[command(subcommand)]
        command: DescriptorsCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum DescriptorsCommand {
    /// Validate descriptor folders or files and report every problem with file:line:column.
    Check {
        /// Descriptors folders, widget folders or single descriptor files (default: the configured descriptors_dir).
        paths: Vec<PathBuf>,
    },
}

impl Cli {
    /// The configuration from every layer: file, `WIDGET_HOST_*`, then these flags.
    pub fn load_config(&self) -> Result<Config, crate::config::ConfigError> {
        let demo = match (self.demo, self.no_demo) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        };
        let overrides = Overrides {
            listen: self.listen,
            data_dir: self.data_dir.clone(),
            descriptors_dir: self.descriptors_dir.clone(),
            demo,
            log_format: self.log_format.map(|f| match f {
                LogFormatArg::Text => LogFormat::Text,
                LogFormatArg::Json => LogFormat::Json,
            }),
        };
        Config::load(self.config.as_deref(), std::env::vars(), &overrides)
    }
}

/// Runs the parsed command line; the process exits with the returned code.
pub fn run(cli: Cli) -> ExitCode {
    let config = match cli.load_config() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("widget-host: {error}");
            return ExitCode::from(2);
        }
    };
    init_logging(config.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Descriptors {
            command: DescriptorsCommand::Check { paths },
        } => {
            let paths = if paths.is_empty() {
                vec![config.descriptors_dir.clone()]
            } else {
                paths
            };
            let report = crate::descriptors::check(&paths);
            print!("{report}");
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (tests) is harmless: keep the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

fn serve(config: Config) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(error) => {
            eprintln!("widget-host: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| {
                crate::error::HostError::Startup(format!("cannot listen on {}: {e}", config.listen))
            })?;
        crate::launch(config, listener, shutdown_signal()).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("widget-host: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::terminate(),
        ) {
            Ok(signal) => signal,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the server");
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
    tracing::info!("shutdown signal received");
}
