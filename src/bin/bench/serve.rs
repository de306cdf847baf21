//! The servers under measurement run as child processes: the bench binary re-executes
//! itself in a hidden mode (`--serve-host DIR` or `--serve-baseline`), binds
//! 127.0.0.1:0, prints the bound address as one line on stdout and serves until it is
//! killed. The parent reads the address, drives the server from its own process and
//! samples the child's memory from `/proc/<pid>/status`.
//!
//! A child never outlives the bench: [`Server`] kills and reaps it when dropped (at
//! the end, on an error or while a panic unwinds), and the child itself ends as soon
//! as its stdin closes, which the kernel does when the parent dies in any way. The
//! host ends by shutting down as `widget-host serve` does on a signal, so its redb
//! file is closed cleanly and the next host opens it without a repair:
//! [`Server::stop`] closes its stdin and waits for that.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use widget_host::config::{Config, Overrides};
use widget_host::store::StoreOptions;

use crate::Error;

/// The hidden flag that runs the widget host (followed by the scratch folder).
pub const SERVE_HOST: &str = "--serve-host";
/// Follows the scratch folder after [`SERVE_HOST`]: the host commits once per
/// action instead of grouping the actions that wait together into one commit.
pub const ONE_COMMIT_PER_ACTION: &str = "--one-commit-per-action";
/// The hidden flag that runs the hyper baseline.
pub const SERVE_BASELINE: &str = "--serve-baseline";
/// The host's configuration inside the scratch folder, written by the parent.
const HOST_CONFIG: &str = "host.toml";

/// Writes the host's configuration where `--serve-host dir` reads it.
pub fn write_host_config(dir: &Path, config: &Config) -> Result<(), Error> {
    let text = toml::to_string(config)?;
    std::fs::write(dir.join(HOST_CONFIG), text)?;
    Ok(())
}

/// Runs a hidden serve mode if `args` asks for one: `Some(result)` when it did (the
/// process should then exit), `None` for a normal bench run.
pub fn child_mode(args: &[String]) -> Option<Result<(), Error>> {
    let (flag, result) = match args.first().map(String::as_str) {
        Some(SERVE_HOST) => (
            SERVE_HOST,
            match (args.get(1), args.get(2).map(String::as_str)) {
                (Some(dir), None) => serve_host(&PathBuf::from(dir), StoreOptions::default()),
                (Some(dir), Some(ONE_COMMIT_PER_ACTION)) => serve_host(
                    &PathBuf::from(dir),
                    StoreOptions {
                        grouped: false,
                        ..StoreOptions::default()
                    },
                ),
                (Some(_), Some(other)) => Err(format!("unknown option {other:?}").into()),
                (None, _) => Err("needs the scratch folder".into()),
            },
        ),
        Some(SERVE_BASELINE) => (
            SERVE_BASELINE,
            match args.get(1).map(|n| n.parse::<usize>()) {
                None => serve_baseline(crate::baseline::BASELINE_BYTES),
                Some(Ok(bytes)) => serve_baseline(bytes),
                Some(Err(_)) => Err("the body size is a number of bytes".into()),
            },
        ),
        _ => return None,
    };
    Some(result.map_err(|e| format!("{flag}: {e}").into()))
}

/// Ends this process when stdin reaches end of file: the parent holds the other end
/// and never writes, so that happens exactly when the parent closes it or dies.
fn exit_with_parent() -> Result<(), Error> {
    std::thread::Builder::new()
        .name("parent-watch".into())
        .spawn(|| {
            parent_gone();
            std::process::exit(0);
        })?;
    Ok(())
}

/// Returns when stdin reaches end of file (see [`exit_with_parent`]).
fn parent_gone() {
    let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
}

/// Tells the parent where this child listens: one line on stdout.
fn announce(addr: SocketAddr) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{addr}")?;
    out.flush()?;
    Ok(())
}

/// The runtime `widget-host serve` builds (see `cli::serve`).
fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// `bench --serve-host DIR [--one-commit-per-action]`: the widget host as
/// `widget-host serve` runs it (same runtime, same logging, `widget_host::launch_with`),
/// with the configuration the parent wrote into `DIR`, on the address in it
/// (127.0.0.1:0). It shuts down, as on a signal, when its stdin closes.
fn serve_host(dir: &Path, store: StoreOptions) -> Result<(), Error> {
    let (closed, stdin_closed) = tokio::sync::oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("parent-watch".into())
        .spawn(move || {
            parent_gone();
            let _ = closed.send(());
        })?;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // As the host's own: colours only on a terminal, not in a report's log file.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
    // No environment layer: a stray WIDGET_HOST_* variable must not change what is
    // measured.
    let config = Config::load(
        Some(&dir.join(HOST_CONFIG)),
        std::iter::empty(),
        &Overrides::default(),
    )?;
    runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        announce(listener.local_addr()?)?;
        // The parent ends this process; nothing else stops it.
        let shutdown = async move {
            let _ = stdin_closed.await;
        };
        widget_host::launch_with(config, store, listener, shutdown).await?;
        Ok(())
    })
}

/// `bench --serve-baseline [BYTES]`: the minimal hyper server on the same kind of
/// runtime, answering a body of `BYTES` (2 KB unless told).
fn serve_baseline(bytes: usize) -> Result<(), Error> {
    exit_with_parent()?;
    runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        announce(listener.local_addr()?)?;
        crate::baseline::serve(listener, bytes).await;
        Ok(())
    })
}

/// A server running as a child process of the bench. Dropping it kills and reaps the
/// child.
pub struct Server {
    what: &'static str,
    child: Child,
    /// Kept open so that a late write of the child never meets a closed pipe.
    _stdout: Option<BufReader<ChildStdout>>,
    pub addr: SocketAddr,
}

impl Server {
    /// Starts `bench <args>` and waits for the address it announces.
    pub async fn spawn(what: &'static str, args: &[&std::ffi::OsStr]) -> Result<Self, Error> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child.stdout.take();
        // From here on, an early return drops `server`, which kills the child.
        let mut server = Server {
            what,
            child,
            _stdout: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let stdout = stdout.ok_or_else(|| format!("the {what} process has no stdout"))?;
        let read = tokio::task::spawn_blocking(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            reader.read_line(&mut line).map(|_| (line, reader))
        });
        let (line, reader) = tokio::time::timeout(Duration::from_secs(60), read)
            .await
            .map_err(|_| format!("the {what} process did not announce its address in 60 s"))???;
        server._stdout = Some(reader);
        server.addr = match line.trim().parse() {
            Ok(addr) => addr,
            Err(_) => {
                let status = server.child.wait()?;
                return Err(format!(
                    "the {what} process did not announce an address ({line:?}); it exited with {status}"
                )
                .into());
            }
        };
        Ok(server)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Asks a host child to shut down (by closing its stdin) and waits up to a minute
    /// for it to exit with success; past that, or on a failure, dropping `self` kills
    /// it.
    pub async fn stop(mut self) -> Result<(), Error> {
        drop(self.child.stdin.take());
        let asked = std::time::Instant::now();
        while asked.elapsed() < Duration::from_secs(60) {
            if let Some(status) = self.child.try_wait()? {
                return if status.success() {
                    Ok(())
                } else {
                    Err(format!("the {} process ended with {status}", self.what).into())
                };
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(format!("the {} process did not shut down within 60 s", self.what).into())
    }

    /// Whether the child has ended (without waiting), and how.
    pub fn exited(&mut self) -> Result<Option<ExitStatus>, Error> {
        Ok(self.child.try_wait()?)
    }

    /// A `/proc/<pid>/status` field of the child in kB (VmRSS:, VmHWM:).
    pub fn status_kb(&self, field: &str) -> Option<u64> {
        proc_status_kb(self.pid(), field)
    }

    /// The CPU time (user and system, all threads) the child has used so far.
    pub fn cpu_time(&self) -> Option<Duration> {
        cpu_time(self.pid())
    }
}

/// `USER_HZ`, the unit of the times in `/proc/<pid>/stat`: 100 on every Linux
/// platform the bench runs on.
const TICKS_PER_SEC: u64 = 100;

/// Clock ticks of `/proc`'s CPU times as a duration.
fn ticks_to_time(ticks: u64) -> Duration {
    Duration::from_millis(ticks * 1000 / TICKS_PER_SEC)
}

/// The CPU time (user and system, all threads) process `pid` has used so far.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat_cpu_ticks(&stat).map(ticks_to_time)
}

/// utime + stime of a `/proc/<pid>/stat` line, in ticks. They are its 14th and 15th
/// fields; the 2nd, the command name in parentheses, may itself hold spaces and
/// parentheses, so fields are counted after its last `)`.
fn stat_cpu_ticks(stat: &str) -> Option<u64> {
    let (_, after_name) = stat.rsplit_once(')')?;
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// The CPU time (user and system) that process `pid`'s threads named `name` (the
/// `comm` of each `/proc/<pid>/task/<tid>`) have used so far; `None` when it has no
/// such thread. A thread that ends while they are read is left out.
pub fn threads_cpu_time(pid: u32, name: &str) -> Option<Duration> {
    let mut ticks = None;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .ok()?
        .flatten()
    {
        let read = |file: &str| std::fs::read_to_string(task.path().join(file)).ok();
        if read("comm").is_some_and(|comm| comm.trim_end() == name)
            && let Some(used) = read("stat").as_deref().and_then(stat_cpu_ticks)
        {
            *ticks.get_or_insert(0) += used;
        }
    }
    ticks.map(ticks_to_time)
}

/// The bytes process `pid` has caused to be sent to storage so far: `write_bytes` of
/// `/proc/<pid>/io`, counted as its writes dirty the page cache.
pub fn storage_written(pid: u32) -> Option<u64> {
    write_bytes(&std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?)
}

/// The `write_bytes:` line of a `/proc/<pid>/io` text (not `cancelled_write_bytes:`).
fn write_bytes(io: &str) -> Option<u64> {
    io.lines()
        .find_map(|line| line.strip_prefix("write_bytes:"))
        .and_then(|value| value.trim().parse().ok())
}

impl Drop for Server {
    fn drop(&mut self) {
        // One that has ended (say, stopped) has been reaped already.
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        // SIGKILL, then reap, so no child and no zombie is left behind.
        if let Err(error) = self.child.kill() {
            eprintln!("bench: cannot kill the {} process: {error}", self.what);
        }
        let _ = self.child.wait();
    }
}

/// A field of `/proc/<pid>/status` in kB.
pub fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse().ok())
}

/// The largest VmRSS seen in one process: a task samples it every 100 ms, and
/// [`Self::sample`] adds a reading on demand (after each load point).
pub struct RssWatch {
    pid: u32,
    max_kb: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl RssWatch {
    pub fn start(pid: u32) -> Self {
        let max_kb = Arc::new(AtomicU64::new(0));
        let seen = Arc::clone(&max_kb);
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tick.tick().await;
                if let Some(kb) = proc_status_kb(pid, "VmRSS:") {
                    seen.fetch_max(kb, Ordering::Relaxed);
                }
            }
        });
        Self { pid, max_kb, task }
    }

    pub fn sample(&self) {
        if let Some(kb) = proc_status_kb(self.pid, "VmRSS:") {
            self.max_kb.fetch_max(kb, Ordering::Relaxed);
        }
    }

    pub fn max_kb(&self) -> u64 {
        self.max_kb.load(Ordering::Relaxed)
    }
}

impl Drop for RssWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_child_takes_the_scratch_folder_and_one_known_option() {
        let args = |line: &str| {
            line.split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert!(child_mode(&args("--full")).is_none(), "a normal run");
        for wrong in [
            "--serve-host",
            "--serve-host /x --one-commit",
            "--serve-baseline 2kb",
        ] {
            let refused = child_mode(&args(wrong)).expect("a child mode");
            assert!(refused.is_err(), "{wrong:?}");
        }
    }

    #[test]
    fn cpu_ticks_are_read_after_the_command_names_last_parenthesis() {
        // A real line's shape: pid, (comm), state, then fields 4.. with utime 14 and
        // stime 15.
        let line = "4242 (bench) S 1 4242 4242 0 -1 4194560 2519 0 0 0 731 94 0 0 20 0 9 0 123 0 0";
        assert_eq!(stat_cpu_ticks(line), Some(731 + 94));
        // A name with a space and a parenthesis of its own shifts nothing.
        let odd = "7 (a) b (c) S 1 7 7 0 -1 4194560 0 0 0 0 5 6 0 0 20 0 1 0 9 0 0";
        assert_eq!(stat_cpu_ticks(odd), Some(11));
        assert_eq!(stat_cpu_ticks("7 (short) S 1 2"), None);
        assert_eq!(stat_cpu_ticks("no name at all"), None);
        // This very process has a stat line the parser reads.
        assert!(cpu_time(std::process::id()).is_some());
    }

    #[test]
    fn a_threads_cpu_time_is_found_by_its_name() {
        let name = "bench-probe";
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                // Spins until told to stop: CPU time the kernel must count for it.
                while !stopped.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
            .expect("spawned");
        // Long enough for the kernel's 10 ms ticks to count it on a busy machine.
        std::thread::sleep(Duration::from_millis(300));
        let used = threads_cpu_time(std::process::id(), name).expect("the probe thread");
        stop.store(true, Ordering::Relaxed);
        thread.join().expect("joined");
        assert!(used >= Duration::from_millis(10), "{used:?}");
        // The whole process used at least what one of its threads did.
        assert!(cpu_time(std::process::id()).expect("own time") >= used);
        assert_eq!(threads_cpu_time(std::process::id(), "no-such-thread"), None);
    }

    #[test]
    fn write_bytes_is_its_own_line_not_the_cancelled_one() {
        let io = "rchar: 10\nwchar: 20\nsyscr: 1\nsyscw: 2\nread_bytes: 4096\ncancelled_write_bytes: 99\nwrite_bytes: 81920\n";
        assert_eq!(write_bytes(io), Some(81_920));
        assert_eq!(write_bytes("rchar: 10\ncancelled_write_bytes: 99\n"), None);
        // This very process has an io file the parser reads (where /proc has one).
        if std::path::Path::new("/proc/self/io").exists() {
            assert!(storage_written(std::process::id()).is_some());
        }
    }
}
