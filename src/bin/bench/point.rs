//! `bench --point VIEW CONCURRENCY SECONDS [--keep DIR]`: one load point against the
//! full graph, for profiling rather than for the report. It prints the point's rate
//! and latency and the CPU time the host and the load generator each spent per
//! request, read from `/proc/<pid>/stat`: the whole run's answer to "where do a
//! request's microseconds go" that a render bench cannot give. It also prints the
//! host's store writer thread's share of the point, its CPU time and the bytes the
//! host wrote per request: whether the one thread that commits held the point back.
//! The host's pid is printed before the clock starts, so a profiler can attach to it
//! (`perf record -p`).
//!
//! `--keep DIR` seeds the graph into DIR once and reuses it on later runs (delete DIR
//! to seed again, say after an interrupted seed).

use std::ffi::OsStr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::load::{self, Kind};
use crate::report::Point;
use crate::serve::{self, SERVE_HOST, Server};
use crate::workload::{Mix, PAIR_STRIDE, Workload};
use crate::{Error, FULL, Scratch, host_config, seed_and_pick, warm_page_cache, writer_reading};

/// How long the point runs unmeasured first, so the host's caches are warm.
const WARM_UP: Duration = Duration::from_secs(3);

pub const USAGE: &str =
    "usage: bench --point home|filter|search|detail|actions|mix CONCURRENCY SECONDS [--keep DIR]";

/// What `--point` was asked for.
#[derive(Debug, PartialEq)]
struct Asked {
    view: String,
    /// `None` for the mix.
    kind: Option<Kind>,
    concurrency: usize,
    seconds: u64,
    keep: Option<PathBuf>,
}

fn asked(args: &[String]) -> Result<Asked, Error> {
    let view = args.first().ok_or(USAGE)?.clone();
    let number = |i: usize| {
        args.get(i)
            .and_then(|a| a.parse::<u64>().ok())
            .filter(|n| *n > 0)
    };
    let concurrency = number(1).ok_or(USAGE)? as usize;
    let seconds = number(2).ok_or(USAGE)?;
    let kind = match view.as_str() {
        "home" => Some(Kind::Home),
        "filter" => Some(Kind::Filter),
        "search" => Some(Kind::Search),
        "detail" => Some(Kind::Detail),
        "actions" => Some(Kind::Action),
        "mix" => None,
        _ => return Err(USAGE.into()),
    };
    // More connections than there are sets of action pairs would share pairs, and
    // overtake each other's follows (an "already following" counts as an error).
    if kind.is_none_or(|k| k == Kind::Action) && concurrency > PAIR_STRIDE {
        return Err(format!(
            "{view} takes at most {PAIR_STRIDE} connections: more would act on the same pairs"
        )
        .into());
    }
    let keep = match &args[3.min(args.len())..] {
        [] => None,
        [flag, dir] if flag == "--keep" => Some(PathBuf::from(dir)),
        _ => return Err(USAGE.into()),
    };
    Ok(Asked {
        view,
        kind,
        concurrency,
        seconds,
        keep,
    })
}

pub async fn point(args: &[String]) -> Result<(), Error> {
    let Asked {
        view,
        kind,
        concurrency,
        seconds,
        keep,
    } = asked(args)?;
    let scratch;
    let root = match keep {
        Some(dir) => dir,
        None => {
            scratch = Scratch::new()?;
            scratch.0.clone()
        }
    };
    std::fs::create_dir_all(root.join("data"))?;
    let config = host_config(&root);
    let db_path = config.database_path();
    let reuse = db_path.exists();
    if !reuse {
        eprintln!("bench: seed {} people (once)", FULL.users);
    }
    let (_, picked) = seed_and_pick(db_path.clone(), FULL, reuse).await?;
    let mix = Arc::new(Mix::new(picked)?);
    serve::write_host_config(&root, &config)?;
    // As in the full run, the host meets the file cached page by page, whatever an
    // earlier run or the seed left in the cache: a point measures what the report's
    // points measure (see `warm_page_cache`).
    tokio::task::spawn_blocking(move || {
        // Off Linux there is no eviction (`Unsupported`): the read below still runs.
        let _ = widget_host::store::forget_cached_pages(&db_path);
        warm_page_cache(&db_path)
    })
    .await??;
    let host = Server::spawn("host", &[OsStr::new(SERVE_HOST), root.as_os_str()]).await?;
    let requests = || match kind {
        Some(kind) => Workload::only(&mix, kind),
        None => Workload::mixed(&mix),
    };
    load::run(host.addr, requests(), concurrency, WARM_UP, 9).await;
    eprintln!("bench: host pid {}: measuring {seconds} s", host.pid());
    let own = || serve::cpu_time(std::process::id()).ok_or("cannot read this process's CPU time");
    let host_cpu = || host.cpu_time().ok_or("cannot read the host's CPU time");
    let (host_before, own_before) = (host_cpu()?, own()?);
    let writer_before = writer_reading(host.pid());
    let samples = load::run(
        host.addr,
        requests(),
        concurrency,
        Duration::from_secs(seconds),
        2,
    )
    .await;
    let (host_after, own_after) = (host_cpu()?, own()?);
    let writer = writer_reading(host.pid())
        .zip(writer_before)
        .map(|(after, before)| after.since(before));
    let stats = samples.total();
    let served = samples.served().max(1) as f64;
    let per_request = |cpu: Duration| cpu.as_secs_f64() * 1e6 / served;
    println!(
        "{view} @ {concurrency}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, errors {}; CPU per request: host {:.1} µs, load generator {:.1} µs",
        stats.per_sec,
        stats.p50_ms,
        stats.p99_ms,
        samples.errors_label(),
        per_request(host_after.saturating_sub(host_before)),
        per_request(own_after.saturating_sub(own_before)),
    );
    let point = Point::new(concurrency, "point", samples).with_writer(writer);
    if let (Some(busy), Some((cpu_us, bytes))) = (point.writer_busy(), point.writer_per_answer()) {
        println!(
            "  the store's writer thread: busy {:.0}% of the point, {cpu_us:.1} µs per request; {:.1} KiB written per request",
            100.0 * busy,
            bytes / 1024.0
        );
    }
    let samples = point.samples;
    if kind.is_none() {
        for k in Kind::MIXED {
            let s = samples.stats(k);
            println!(
                "  {}: {:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
                k.label(),
                s.per_sec,
                s.p50_ms,
                s.p99_ms
            );
        }
    }
    // A clean shutdown closes the file: a `--keep` folder's next run opens it
    // without a repair.
    host.stop().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn a_point_is_a_view_a_concurrency_and_seconds_with_an_optional_folder() {
        let home = asked(&args("home 64 10")).expect("valid");
        assert_eq!(
            (home.kind, home.concurrency, home.seconds, home.keep),
            (Some(Kind::Home), 64, 10, None)
        );
        let actions = asked(&args("actions 1 1")).expect("valid");
        assert_eq!(actions.kind, Some(Kind::Action));
        let mix = asked(&args("mix 16 5 --keep /x")).expect("valid");
        assert_eq!((mix.kind, mix.keep), (None, Some(PathBuf::from("/x"))));
        for wrong in [
            "",
            "home",
            "home 64",
            "home 0 10",
            "home 64 0",
            "home -1 10",
            "action 64 10",
            "home 64 10 --keep",
            "home 64 10 --kept /x",
            "home 64 10 --keep /x extra",
            "actions 257 10",
            "mix 257 10",
        ] {
            assert!(asked(&args(wrong)).is_err(), "{wrong:?}");
        }
        // The full run's largest concurrency is the most actions take; views take more.
        assert!(asked(&args("actions 256 10")).is_ok());
        assert!(asked(&args("mix 256 10")).is_ok());
        assert!(asked(&args("home 1024 10")).is_ok());
    }
}
