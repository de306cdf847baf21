use std::process::ExitCode;

/// Renders allocate many small strings; mimalloc serves them with far fewer
/// instructions than glibc's malloc (see BENCHMARKS.md, "What limits each figure").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    widget_host::cli::run(widget_host::cli::Cli::parse_noting_sources())
}
