//! `bench`: the host against the machine's own ceilings, in one run.
//!
//! `cargo run --release --bin bench -- --quick` (a 20,000-person graph, short points)
//! or `--full` (100,000 people, 2,000,000 relations). It seeds a graph with the
//! project's `seed`, starts the real host as its own process on 127.0.0.1:0 (this
//! binary re-executed as `bench --serve-host DIR`, see `serve.rs`), drives it over
//! keep-alive connections with real JWTs through the native protocol, measures a
//! minimal hyper server (also its own process) and the disk's fdatasync the same way,
//! and writes `BENCHMARKS.md` and `benchmarks.svg` (see `--out`).

mod baseline;
mod load;
mod point;
mod report;
mod serve;
mod synced;
mod workload;

use std::ffi::OsStr;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use widget_host::config::{Config, ConsumerConfig};
use widget_host::directory::{SeedOptions, SeedReport, seed, seeded_id};
use widget_host::social::Social;
use widget_host::store::{WRITER_THREAD, forget_cached_pages};

use load::{Conn, Kind, Samples};
use report::{Figures, Point, WriterLoad};
use serve::{
    ONE_COMMIT_PER_ACTION, RssWatch, SERVE_BASELINE, SERVE_HOST, Server, storage_written,
    threads_cpu_time,
};
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

pub const FULL: Mode = Mode {
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

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(served) = serve::child_mode(&args) {
        return served;
    }
    report::note_the_code_measured();
    if args.first().map(String::as_str) == Some("--point") {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        return runtime.block_on(point::point(&args[1..]));
    }
    let (mode, out) = match run_args(&args) {
        Ok(run) => run,
        Err(problem) => {
            eprintln!(
                "bench: {problem}\nusage: bench --quick | --full [--out DIR]\n  --quick  20,000 people, 2 s per point (< 5 min)\n  --full   100,000 people, 2,000,000 relations, 5 s per point (< 30 min)\n{}  (one point alone on the full graph, for profiling)",
                point::USAGE
            );
            std::process::exit(2);
        }
    };
    // Made before the run, not after it: a folder that cannot be made would otherwise
    // throw away minutes of measurements at the end.
    std::fs::create_dir_all(&out).map_err(|e| format!("--out {}: {e}", out.display()))?;
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

/// The run a command line asks for: its mode, and the folder the report goes to (the
/// current one unless `--out` names one). Anything else is refused, not passed over:
/// `--quick --full` or a misspelt `--ful` would otherwise run what was not asked for
/// for minutes, and `--out` without a folder would write over the checkout's report.
fn run_args(args: &[String]) -> Result<(Mode, PathBuf), String> {
    let mut mode = None;
    let mut out = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--quick" | "--full" if mode.is_some() => {
                return Err("give one of --quick and --full".into());
            }
            "--quick" => mode = Some(QUICK),
            "--full" => mode = Some(FULL),
            "--out" if out.is_some() => return Err("--out is given twice".into()),
            "--out" => match rest.next() {
                Some(dir) if !dir.is_empty() && !dir.starts_with("--") => {
                    out = Some(PathBuf::from(dir));
                }
                _ => return Err("--out needs a folder".into()),
            },
            other => return Err(format!("{other:?} is no option of a run")),
        }
    }
    let mode = mode.ok_or("give --quick or --full")?;
    Ok((mode, out.unwrap_or_else(|| PathBuf::from("."))))
}

/// A fresh scratch folder under the system's temp dir, removed at the end.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new() -> std::io::Result<Self> {
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

fn step(what: &str) {
    eprintln!("bench: {what}");
}

async fn bench(mode: Mode) -> Result<Figures, Error> {
    let run_started = Instant::now();
    let scratch = Scratch::new()?;
    let data = scratch.0.join("data");
    let mut f = Figures::new(mode);

    step("fdatasync floor");
    // 2,000 rounds (a fraction of a second): a p99 read off 300 was the third-largest.
    f.fsync = baseline::fsync_floor(&data, 2_000)?;

    step("durable actions: grouped vs one commit per action (64 writers)");
    let grouped = baseline::writers(&data, true, 64, mode.point).await?;
    let single = baseline::writers(&data, false, 64, mode.point).await?;
    (f.writers_grouped, f.commit_syncs) = grouped;
    f.writers_single = single.0;

    step(&format!(
        "seed {} people, degree {} (this takes a while)",
        mode.users, mode.degree
    ));
    let config = host_config(&scratch.0);
    let db_path = config.database_path();
    let (seeded, picked) = seed_and_pick(db_path.clone(), mode, false).await?;
    f.seed = seeded;
    f.file_bytes = on_disk(&db_path);
    f.spread = report::Spread::of(&picked.connections);
    let mix = Arc::new(Mix::new(picked)?);
    let first = mix
        .request(Kind::Home, 0, &mut rand::SeedableRng::seed_from_u64(0))
        .bytes;
    serve::write_host_config(&scratch.0, &config)?;

    step("start the host process on a file out of the page cache, wait for the first render");
    // Dropped from the operating system's cache, so the first render reads what it
    // needs from the disk, as after a reboot.
    f.first_render_cold = forget_cached_pages(&db_path).is_ok();
    let started = Instant::now();
    let mut host = Server::spawn("host", &[OsStr::new(SERVE_HOST), scratch.0.as_os_str()]).await?;
    let addr = host.addr;
    (f.first_render, f.page_bytes) = first_render(&mut host, &first, started).await?;
    let rss = RssWatch::start(host.pid());
    // The load points run as on a host that has served a while, with the file in the
    // page cache: the machine has the memory for it.
    let path = db_path.clone();
    tokio::task::spawn_blocking(move || warm_page_cache(&path)).await??;

    step("connections filter median of a viewer with about 1,000 connections");
    f.home_1000 = workload::median_home(addr, &mix, 200).await?;

    step("vCard exports");
    f.vcards = workload::vcard_exports(addr, &mix).await?;

    step("start the hyper baseline processes (2 KB, and a home page's size)");
    let mut baseline = Server::spawn("baseline", &[OsStr::new(SERVE_BASELINE)]).await?;
    let page_size = f.page_bytes.to_string();
    let mut page_baseline = Server::spawn(
        "page baseline",
        &[OsStr::new(SERVE_BASELINE), OsStr::new(&page_size)],
    )
    .await?;
    let point = mode.point;
    for &c in &mode.concurrency {
        step(&format!("concurrency {c}"));
        let base = measured(&baseline, Workload::baseline(), c, point, 1).await;
        let page = measured(&page_baseline, Workload::baseline(), c, point, 1).await;
        f.points.push(page.point(c, "baseline-page"));
        for kind in [Kind::Home, Kind::Filter, Kind::Search, Kind::Detail] {
            let s = measured(&host, Workload::only(&mix, kind), c, point, 2).await;
            rss.sample();
            f.points.push(s.point(c, kind.label()));
        }
        let s = measured(&host, Workload::mixed(&mix), c, point, 3).await;
        rss.sample();
        f.points.push(s.point(c, "mix"));
        // The 2 KB baseline again after the host's points, both runs as one: every
        // ratio divides by it, and on a shared machine one run's rate moves with
        // whatever else runs then (70,841 to 117,763 requests/s at 64 connections
        // in three full runs of one day).
        let again = measured(&baseline, Workload::baseline(), c, point, 5).await;
        f.points.push(base.joined(again).point(c, "baseline"));
    }
    step("actions only, 64 connections");
    let (s, writer) = writer_measured(&host, Workload::only(&mix, Kind::Action), point, 4).await;
    rss.sample();
    f.points.push(s.point(64, "actions").with_writer(writer));
    // Every ratio divides by a baseline: one that died would make any host look fast.
    for (name, server) in [
        ("host", &mut host),
        ("2 KB baseline", &mut baseline),
        ("page baseline", &mut page_baseline),
    ] {
        if let Some(status) = server.exited()? {
            return Err(format!("the {name} process ended during the run ({status})").into());
        }
    }
    rss.sample();
    f.rss_kb = rss.max_kb();
    f.hwm_kb = host
        .status_kb("VmHWM:")
        .ok_or("cannot read VmHWM of the host process")?;
    drop(rss);
    drop(baseline);
    drop(page_baseline);

    step("restart the host with one commit per action; actions only, 64 connections");
    // A clean shutdown closes the file, so the second host opens it without a repair.
    host.stop().await?;
    let mut single = Server::spawn(
        "host (one commit per action)",
        &[
            OsStr::new(SERVE_HOST),
            scratch.0.as_os_str(),
            OsStr::new(ONE_COMMIT_PER_ACTION),
        ],
    )
    .await?;
    first_render(&mut single, &first, Instant::now()).await?;
    // The grouped host met its actions after every other point had run on it; this one
    // gets the mix first, so neither meets them on cold caches.
    load::run(single.addr, Workload::mixed(&mix), 64, point * 2, 6).await;
    let (s, writer) = writer_measured(&single, Workload::only(&mix, Kind::Action), point, 5).await;
    f.points
        .push(s.point(64, "actions-single").with_writer(writer));
    if let Some(status) = single.exited()? {
        return Err(format!("the one-commit host ended during its point ({status})").into());
    }
    single.stop().await?;
    f.file_bytes_after = on_disk(&db_path);
    f.machine = report::machine(&data);
    f.data_in_memory = report::data_in_memory(&data);
    f.elapsed = run_started.elapsed();
    Ok(f)
}

/// The bytes a file takes on the disk (its allocated blocks, not its length: redb
/// preallocates and frees regions).
fn on_disk(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).map_or(0, |m| m.blocks() * 512)
}

/// Reads the whole file once, which brings it into the operating system's cache in the
/// shape the host's own reads leave it: in page-sized folios, under the random-access
/// advice the host gives its file (`src/store/writer.rs`). A plain front-to-back read
/// would not do: the kernel reads ahead into large folios, and every 4 KiB page a
/// commit then writes costs it a walk over a whole folio, at the write and at the
/// fdatasync. On Linux 6.18 and ext4 that made a durable action cost the host 314 µs
/// of CPU instead of 110–114, for as long as the pages stayed cached (BENCHMARKS.md, "The
/// page cache's shape"). Under the advice, 1 MiB reads are as fast as before and
/// cache no more than they read. Returns the bytes read.
fn warm_page_cache(path: &Path) -> std::io::Result<u64> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    #[cfg(target_os = "linux")]
    rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::Random)?;
    let mut buffer = vec![0; 1 << 20];
    let mut read = 0;
    loop {
        match file.read(&mut buffer) {
            Ok(0) => return Ok(read),
            Ok(n) => read += n as u64,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Opens the database at `db_path`, seeds `mode`'s graph into it unless `reuse` says
/// it holds one already, and picks the workload's people from it. The seed's report
/// and time come back when it seeded.
pub async fn seed_and_pick(
    db_path: PathBuf,
    mode: Mode,
    reuse: bool,
) -> Result<(Option<(SeedReport, Duration)>, workload::Picked), Error> {
    let done = tokio::task::spawn_blocking(move || -> Result<_, String> {
        let social = Social::open(&db_path).map_err(|e| e.to_string())?;
        let seeded = if reuse {
            None
        } else {
            let started = Instant::now();
            let options = SeedOptions {
                users: mode.users,
                degree: mode.degree,
                seed_value: 7,
            };
            let report = seed(&social, options, &indicatif::ProgressBar::hidden())
                .map_err(|e| e.to_string())?;
            Some((report, started.elapsed()))
        };
        let picked = workload::pick(&social, mode.users).map_err(|e| e.to_string())?;
        // The last handle: dropping it closes the writer's queue and joins its thread,
        // which releases the database file (and redb's lock on it) before this
        // returns, so the host process can open the file at once.
        drop(social);
        Ok((seeded, picked))
    })
    .await??;
    Ok(done)
}

/// How long each load point runs unmeasured first, with the same workload and
/// connections: a point then starts on caches its own requests filled (the host's
/// verified tokens and claims, redb's pages), not on what the point before it left.
pub const WARM_UP: Duration = Duration::from_secs(1);

/// One load point against `server` ([`load::run`]), after its [`WARM_UP`], with the
/// CPU time the server's process used during the measured part.
async fn measured(
    server: &Server,
    requests: Arc<dyn load::Requests>,
    concurrency: usize,
    duration: Duration,
    seed: u64,
) -> Measured {
    warm_up(server, &requests, concurrency, seed).await;
    measure(server, requests, concurrency, duration, seed).await
}

/// The [`WARM_UP`] run before a point, with its own draws of the same workload.
async fn warm_up(
    server: &Server,
    requests: &Arc<dyn load::Requests>,
    concurrency: usize,
    seed: u64,
) {
    let seed = seed.wrapping_add(1_000);
    load::run(
        server.addr,
        Arc::clone(requests),
        concurrency,
        WARM_UP,
        seed,
    )
    .await;
}

/// What one run of a workload measured: its samples, and the CPU time the server's
/// process and the bench's own (the load generator) used during it.
struct Measured {
    samples: Samples,
    server_cpu: Option<Duration>,
    client_cpu: Option<Duration>,
}

impl Measured {
    /// Two runs of one workload as one (see [`Samples::joined`]).
    fn joined(self, other: Measured) -> Measured {
        let sum = |a: Option<Duration>, b: Option<Duration>| a.zip(b).map(|(a, b)| a + b);
        Measured {
            samples: self.samples.joined(other.samples),
            server_cpu: sum(self.server_cpu, other.server_cpu),
            client_cpu: sum(self.client_cpu, other.client_cpu),
        }
    }

    fn point(self, concurrency: usize, workload: &'static str) -> Point {
        Point::new(concurrency, workload, self.samples)
            .with_server_cpu(self.server_cpu)
            .with_client_cpu(self.client_cpu)
    }
}

/// [`measured`] without its warm-up.
async fn measure(
    server: &Server,
    requests: Arc<dyn load::Requests>,
    concurrency: usize,
    duration: Duration,
    seed: u64,
) -> Measured {
    // The bench process is the load generator while a point runs (the memory
    // sampler's reads of `/proc` every 100 ms are all else it does).
    let own = || serve::cpu_time(std::process::id());
    let (before, own_before) = (server.cpu_time(), own());
    let samples = load::run(server.addr, requests, concurrency, duration, seed).await;
    let since = |after: Option<Duration>, before: Option<Duration>| {
        after.zip(before).map(|(a, b)| a.saturating_sub(b))
    };
    Measured {
        samples,
        server_cpu: since(server.cpu_time(), before),
        client_cpu: since(own(), own_before),
    }
}

/// An action point at 64 connections ([`measured`]), with what the host's store
/// writer did during it.
async fn writer_measured(
    host: &Server,
    requests: Arc<dyn load::Requests>,
    duration: Duration,
    seed: u64,
) -> (Measured, Option<WriterLoad>) {
    // Read after the warm-up, as the host's CPU is: the writer's time and bytes
    // divide by the measured actions alone.
    warm_up(host, &requests, 64, seed).await;
    let before = writer_reading(host.pid());
    let point = measure(host, requests, 64, duration, seed).await;
    let load = writer_reading(host.pid())
        .zip(before)
        .map(|(after, before)| after.since(before));
    (point, load)
}

/// The host's store writer so far: its thread's CPU time, and the bytes the host
/// process has written.
pub fn writer_reading(pid: u32) -> Option<WriterLoad> {
    Some(WriterLoad {
        busy: threads_cpu_time(pid, WRITER_THREAD)?,
        written: storage_written(pid)?,
    })
}

pub fn host_config(root: &Path) -> Config {
    let mut config = Config {
        listen: "127.0.0.1:0"
            .parse()
            .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0))),
        data_dir: root.join("data"),
        descriptors_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("widget-descriptors"),
        demo: Some(false),
        ..Config::default()
    };
    config.limits.max_connections = 4096;
    config.consumers.push(ConsumerConfig {
        id: CONSUMER.into(),
        hs256_secret: Some(SECRET.into()),
        jwks_file: None,
        allowed_origins: vec!["https://portal.bench".into()],
        wsrp_secret: None,
        audience: None,
        wsrp_guest_users: Vec::new(),
    });
    config
}

/// Time from `started` (just before the host process was spawned) until the host
/// answers a render with 200, and the size of that answer's body.
async fn first_render(
    host: &mut Server,
    request: &[u8],
    started: Instant,
) -> Result<(Duration, usize), Error> {
    loop {
        if started.elapsed() > Duration::from_secs(120) {
            return Err("the host did not answer a render within 120 s".into());
        }
        if let Some(status) = host.exited()? {
            return Err(
                format!("the host process exited before its first render ({status})").into(),
            );
        }
        if let Ok(mut conn) = Conn::open(host.addr).await
            && let Ok((200, bytes)) = conn.send(request).await
        {
            return Ok((started.elapsed(), bytes));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The seeded id of person `i` (re-exported for the workload).
pub fn id(i: usize) -> String {
    seeded_id(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_asked_for_exactly() {
        let args =
            |line: &str| -> Vec<String> { line.split_whitespace().map(String::from).collect() };
        let (mode, out) = run_args(&args("--full --out reports")).expect("a full run");
        assert_eq!((mode.name, out), ("full", PathBuf::from("reports")));
        let (mode, out) = run_args(&args("--quick")).expect("a quick run");
        assert_eq!((mode.name, out), ("quick", PathBuf::from(".")));
        for (line, problem) in [
            ("", "give --quick or --full"),
            ("--quick --full", "give one of"),
            ("--full --full", "give one of"),
            ("--ful", "\"--ful\" is no option"),
            ("--full extra", "\"extra\" is no option"),
            ("--full --out", "--out needs a folder"),
            ("--out --full", "--out needs a folder"),
            ("--full --out a --out b", "--out is given twice"),
        ] {
            let refused = run_args(&args(line)).expect_err(line);
            assert!(refused.contains(problem), "{line}: {refused}");
        }
    }

    #[test]
    fn warming_the_page_cache_reads_the_whole_file() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("file");
        // Not a whole number of the 1 MiB reads, so the last short read counts too.
        let length = 3 * (1 << 20) + 12_345;
        std::fs::write(&path, vec![7u8; length]).expect("written");
        assert_eq!(warm_page_cache(&path).expect("read"), length as u64);
        assert!(warm_page_cache(&dir.path().join("missing")).is_err());
    }
}
