//! `bench`: the host against the machine's own ceilings, in one run.
//!
//! `cargo run --release --bin bench -- --quick` (a 20,000-person graph, short points)
//! or `--full` (100,000 people, 2,000,000 relations). It seeds a graph with the
//! project's `seed`, starts the real host in-process on 127.0.0.1:0, drives it over
//! keep-alive connections with real JWTs through the native protocol, measures a
//! minimal hyper server and the disk's fdatasync the same way, and writes
//! `BENCHMARKS.md` and `benchmarks.svg` (see `--out`).

mod baseline;
mod load;
mod report;
mod workload;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use widget_host::config::{Config, ConsumerConfig};
use widget_host::directory::{SeedOptions, seed, seeded_id};
use widget_host::social::Social;

use load::{Conn, Kind, Samples};
use report::{Figures, Point};
use workload::{Mix, Workload};

/// The consumer the harness plays.
pub const CONSUMER: &str = "bench-portal";
pub const SECRET: &str = "bench-portal-hs256-secret-0123456789abcdef";

/// Size of a run.
#[derive(Debug, Clone, Copy)]
pub struct Mode {
    pub name: &'static str,
    pub users: usize,
    /// Average relations per person (relations = users × degree / 2).
    pub degree: f64,
    pub point: Duration,
    pub concurrency: [usize; 4],
}

const QUICK: Mode = Mode {
    name: "quick",
    users: 20_000,
    degree: 40.0,
    point: Duration::from_secs(2),
    concurrency: [1, 16, 64, 256],
};

const FULL: Mode = Mode {
    name: "full",
    users: 100_000,
    degree: 40.0,
    point: Duration::from_secs(5),
    concurrency: [1, 16, 64, 256],
};

type Error = Box<dyn std::error::Error>;

/// The allocator `widget-host` itself runs with (src/main.rs), so the host measured
/// here allocates as the real one does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = if args.iter().any(|a| a == "--full") {
        FULL
    } else if args.iter().any(|a| a == "--quick") {
        QUICK
    } else {
        eprintln!(
            "usage: bench --quick | --full [--out DIR]\n  --quick  20,000 people, 2 s per point (< 5 min)\n  --full   100,000 people, 2,000,000 relations, 5 s per point (< 30 min)"
        );
        std::process::exit(2);
    };
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let figures = runtime.block_on(bench(mode))?;
    let markdown = report::markdown(&figures);
    println!("{}", report::table(&figures));
    std::fs::write(out.join("BENCHMARKS.md"), markdown)?;
    std::fs::write(out.join("benchmarks.svg"), report::svg(&figures))?;
    eprintln!(
        "wrote {} and {}",
        out.join("BENCHMARKS.md").display(),
        out.join("benchmarks.svg").display()
    );
    Ok(())
}

/// A fresh scratch folder under the system's temp dir, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!(
            "widget-host-bench-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(dir.join("data"))?;
        Ok(Self(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn proc_status(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    text.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse().ok())
}

fn step(what: &str) {
    eprintln!("bench: {what}");
}

async fn bench(mode: Mode) -> Result<Figures, Error> {
    let scratch = Scratch::new()?;
    let data = scratch.0.join("data");
    let mut f = Figures::new(mode);

    step("fdatasync floor");
    f.fsync = baseline::fsync_floor(&data, 300)?;

    step("durable actions: grouped vs one commit per action (64 writers)");
    let dir = data.clone();
    let point = mode.point;
    let (grouped, single) = tokio::task::spawn_blocking(move || -> Result<_, String> {
        let g = baseline::writers(&dir, true, 64, point).map_err(|e| e.to_string())?;
        let s = baseline::writers(&dir, false, 64, point).map_err(|e| e.to_string())?;
        Ok((g, s))
    })
    .await??;
    f.writers_grouped = grouped;
    f.writers_single = single;

    step(&format!(
        "seed {} people, degree {} (this takes a while)",
        mode.users, mode.degree
    ));
    let config = host_config(&scratch.0);
    let db_path = config.database_path();
    let seeded = {
        let db_path = db_path.clone();
        tokio::task::spawn_blocking(move || -> Result<_, String> {
            let social = Social::open(&db_path).map_err(|e| e.to_string())?;
            let started = Instant::now();
            let report = seed(
                &social,
                SeedOptions {
                    users: mode.users,
                    degree: mode.degree,
                    seed_value: 7,
                },
                &indicatif::ProgressBar::hidden(),
            )
            .map_err(|e| e.to_string())?;
            let took = started.elapsed();
            let picked = workload::pick(&social, mode.users).map_err(|e| e.to_string())?;
            Ok((report, took, picked))
        })
        .await??
    };
    let (report, seed_time, picked) = seeded;
    f.seed = Some((report, seed_time));
    f.file_bytes = std::fs::metadata(&db_path).map(|m| m.len()).unwrap_or(0);
    // The seeding handle's writer thread lets go of the file when it sees its queue
    // close; give it a moment before the host opens the same file.
    tokio::time::sleep(Duration::from_millis(500)).await;

    step("start the host and wait for the first render");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let started = Instant::now();
    let host = tokio::spawn(widget_host::launch(
        config,
        listener,
        std::future::pending(),
    ));
    let mix = Arc::new(Mix::new(picked)?);
    let first = mix.request(Kind::Home, &mut rand::SeedableRng::seed_from_u64(0));
    f.first_render = first_render(addr, &first, started).await?;

    step("home render median of a viewer with about 1,000 connections");
    f.home_1000 = workload::median_home(addr, &mix, 200).await?;

    step("vCard export");
    f.vcard = workload::vcard_export(addr, &mix).await?;

    let baseline_addr = baseline::hyper_baseline().await?;
    for &c in &mode.concurrency {
        step(&format!("concurrency {c}"));
        let base = load::run(baseline_addr, Workload::baseline(), c, mode.point, 1).await;
        f.points.push(Point::new(c, "baseline", base));
        for kind in [Kind::Home, Kind::Filter, Kind::Search, Kind::Detail] {
            let s = load::run(addr, Workload::only(&mix, kind), c, mode.point, 2).await;
            f.points.push(Point::new(c, kind.label(), s));
        }
        let s = load::run(addr, Workload::mixed(&mix), c, mode.point, 3).await;
        f.rss_kb = f.rss_kb.max(proc_status("VmRSS:").unwrap_or(0));
        f.points.push(Point::new(c, "mix", s));
    }
    step("actions only, 64 connections");
    let s: Samples = load::run(addr, Workload::only(&mix, Kind::Action), 64, mode.point, 4).await;
    f.points.push(Point::new(64, "actions", s));
    f.hwm_kb = proc_status("VmHWM:").unwrap_or(0);
    f.rss_kb = f.rss_kb.max(proc_status("VmRSS:").unwrap_or(0));
    f.file_bytes_after = std::fs::metadata(&db_path).map(|m| m.len()).unwrap_or(0);
    host.abort();
    f.machine = report::machine(&data);
    Ok(f)
}

fn host_config(root: &Path) -> Config {
    let mut config = Config {
        listen: "127.0.0.1:0"
            .parse()
            .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0))),
        data_dir: root.join("data"),
        descriptors_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("widget-descriptors"),
        demo: false,
        ..Config::default()
    };
    config.limits.max_connections = 4096;
    config.consumers.push(ConsumerConfig {
        id: CONSUMER.into(),
        hs256_secret: Some(SECRET.into()),
        jwks_file: None,
        allowed_origins: vec!["https://portal.bench".into()],
        wsrp_secret: None,
    });
    config
}

/// Time from `started` until the host answers a render with 200.
async fn first_render(
    addr: SocketAddr,
    request: &[u8],
    started: Instant,
) -> Result<Duration, Error> {
    loop {
        if started.elapsed() > Duration::from_secs(120) {
            return Err("the host did not answer a render within 120 s".into());
        }
        if let Ok(mut conn) = Conn::open(addr).await
            && let Ok((200, _)) = conn.send(request).await
        {
            return Ok(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The seeded id of person `i` (re-exported for the workload).
pub fn id(i: usize) -> String {
    seeded_id(i)
}
