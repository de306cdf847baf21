//! Release measurement of `seed --users 100000 --degree 20`: the synthetic directory
//! and graph the benchmarks run against, written to a fresh database on disk.
//!
//! Run: `cargo bench --bench ops_seed` (`OPS_BENCH_USERS=N`, `OPS_BENCH_DEGREE=D` to
//! change the size). Target on the 2-core reference machine: under 60 s.

use std::time::Instant;

use indicatif::ProgressBar;
use widget_host::directory::{SeedOptions, seed};
use widget_host::social::Social;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let users = env_or("OPS_BENCH_USERS", 100_000usize);
    let degree = env_or("OPS_BENCH_DEGREE", 20.0f64);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("widget-host.redb");
    let social = Social::open(&db).expect("open");
    let start = Instant::now();
    let options = SeedOptions {
        users,
        degree,
        seed_value: 1,
    };
    let r = seed(&social, options, &ProgressBar::hidden()).expect("seed");
    let elapsed = start.elapsed();
    let db_bytes = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    println!(
        "ops_seed: {} people, {} connections ({} directed rows), {} follows, {} blocks, {} pending requests in {:.2} s; database {:.1} MiB",
        r.people,
        r.connections,
        2 * r.connections,
        r.follows,
        r.blocks,
        r.requests,
        elapsed.as_secs_f64(),
        db_bytes as f64 / 1048576.0
    );
    if std::env::var_os("OPS_BENCH_CHECK").is_some() {
        let start = Instant::now();
        let violations = social.check_invariants().expect("check");
        println!(
            "check_invariants: {} violation(s) in {:.2} s",
            violations.len(),
            start.elapsed().as_secs_f64()
        );
    }
}
