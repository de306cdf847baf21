//! Command line (clap): global options, then a subcommand (`serve` when none is given).
