use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    widget_host::cli::run(widget_host::cli::Cli::parse())
}
