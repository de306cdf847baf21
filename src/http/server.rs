//! Accept loop, connection limit, per-connection HTTP/1.1 settings and graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::HttpService;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::linger::{Linger, LingerFlag, MOST, QUIET};
use super::router;
use super::stall::WriteStall;
use super::state::AppState;
use crate::config::{Config, Limits};
use crate::error::HostError;
use crate::store::StoreOptions;

/// Answer to a connection beyond the limit, before closing it: a client sees a clear
/// 503 instead of a reset, and knows to retry. The body has the shape every other
/// refusal has (`HttpError::into_response`).
pub(super) const OVER_CAPACITY: &str = r#"{"ok":false,"message":"too-many-connections","text":"too many connections; retry shortly","relationship":null}"#;

/// [`OVER_CAPACITY`] written straight to a socket the host will not read from.
fn over_capacity() -> String {
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nx-content-type-options: nosniff\r\ncache-control: no-store\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{OVER_CAPACITY}",
        OVER_CAPACITY.len()
    )
}

fn request_timeout(limits: &Limits) -> Duration {
    Duration::from_secs(limits.request_timeout_secs)
}

/// One HTTP/1.1 connection over `io` with the configured limits. Reading a request is
/// bounded here (its head) and by the router (its body); writing the answer by
/// [`WriteStall`], which gives a client that stops reading the time a slow request gets.
fn http_connection<I, S>(
    io: I,
    service: S,
    limits: &Limits,
    unread: LingerFlag,
) -> http1::Connection<TokioIo<Linger<WriteStall<I>>>, S>
where
    I: AsyncRead + AsyncWrite + Unpin,
    S: HttpService<Incoming>,
    S::ResBody: 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(request_timeout(limits))
        .max_buf_size(limits.max_header_bytes.max(8192))
        .max_headers(100)
        .serve_connection(
            TokioIo::new(Linger::new(
                WriteStall::new(io, request_timeout(limits)),
                unread,
            )),
            service,
        )
}

/// A connection past the limit: one request read within [`QUIET`], its
/// answer from [`router::past_the_limit`], and the connection closed after it, lingering
/// for a body nobody read as every connection does.
async fn refused_connection<I>(io: I, state: &Arc<AppState>) -> hyper::Result<()>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let unread = LingerFlag::default();
    let bodies = unread.clone();
    let state = Arc::clone(state);
    let service = service_fn(move |req: Request<Incoming>| {
        let req = req.map(|body| bodies.track(body));
        std::future::ready(Ok::<_, std::convert::Infallible>(router::past_the_limit(
            &state, &req,
        )))
    });
    http1::Builder::new()
        .timer(TokioTimer::new())
        .keep_alive(false)
        .header_read_timeout(QUIET)
        .max_buf_size(8192)
        .max_headers(100)
        .serve_connection(
            TokioIo::new(Linger::new(WriteStall::new(io, QUIET), unread)),
            service,
        )
        .await
}

/// The demo portal's page: at `public_url` where one is set, else at the address the
/// host listens on, with a loopback address for one that listens on every address
/// (`0.0.0.0` is no address a browser can open).
pub(crate) fn demo_page(local: SocketAddr, public_url: Option<&str>) -> String {
    if let Some(url) = public_url {
        return format!("{}/", url.trim_end_matches('/'));
    }
    let ip = match local.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    format!("http://{}/", SocketAddr::new(ip, local.port()))
}

/// The longest a connection past the limit holds its place: its head, an answer a
/// client is slow to read, and the lingering close after it.
const REFUSED_AT_MOST: Duration = Duration::from_secs(2 * QUIET.as_secs() + MOST.as_secs());

/// Serves on `listener` until `shutdown` completes, then stops accepting and lets
/// requests in flight finish (up to `limits.shutdown_grace_secs`).
///
/// Tests call this with a listener on `127.0.0.1:0`; `main` with the configured address.
pub async fn launch(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HostError> {
    launch_with(config, StoreOptions::default(), listener, shutdown).await
}

/// [`launch`] with the store's commit options given: the benchmark runs the host with
/// one commit per action to measure what grouping commits buys over HTTP.
pub async fn launch_with(
    mut config: Config,
    store: StoreOptions,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HostError> {
    without_huge_pages();
    // The address bound, not the one asked for: `--listen 127.0.0.1:0` is served on
    // a port of the system's choosing, which the demo's own origins must name.
    if let Ok(bound) = listener.local_addr() {
        config.listen = bound;
    }
    let state = Arc::new(AppState::start_with(config, store).await?);
    serve(state, listener, shutdown).await
}

/// Turns transparent huge pages off for the host's process. mimalloc asks for them on
/// its arenas (`madvise(MADV_HUGEPAGE)`), and a huge page is resident whole, all
/// 2 MiB of it, once any of it is touched: the host's resident memory then measures
/// the spread of its allocations, not their size. Under the bench's mix at 256
/// connections it was 400–470 MB with them and 200–245 MB without, at the same
/// throughput (docs/design-notes.md). The flag holds for the whole process from then
/// on (huge pages already in memory keep their size) and for its children. It is
/// here, in the host's entry, so that `widget-host serve` and the bench's host get it.
pub fn without_huge_pages() {
    #[cfg(target_os = "linux")]
    if let Err(error) = rustix::thread::disable_transparent_huge_pages(true) {
        tracing::warn!(%error, "transparent huge pages stay on: resident memory may be higher");
    }
}

/// Files the host holds open besides its connections: the listener, the database
/// file, the runtime's epoll and wakers, the descriptor watcher, the logs, and what a
/// backup or a descriptor reload opens for a moment.
const OTHER_OPEN_FILES: u64 = 64;

/// Connections refused at the limit that may linger at once (see `linger.rs`): a client
/// may send its request before it reads the 503, and closing on unread bytes would send
/// a reset over the answer. Past this many a refusal closes at once, so a flood of
/// connections past the limit holds at most this many more sockets, for seconds.
const LINGERING_REFUSALS: usize = 64;

/// Raises the process's soft limit on open files (`ulimit -n`, often 1024) so that
/// `max_connections` connections fit, as far as the hard limit allows. Past the
/// limit `accept` fails, and further clients wait unanswered in the kernel's queue
/// instead of getting the 503 that `max_connections` promises. The limit now, or
/// `Err` with it when it is still short.
pub fn make_room_for(max_connections: usize) -> Result<u64, u64> {
    let wanted = (max_connections as u64)
        .saturating_add(OTHER_OPEN_FILES)
        .saturating_add(LINGERING_REFUSALS as u64);
    match rlimit::increase_nofile_limit(wanted) {
        Ok(limit) if limit >= wanted => Ok(limit),
        Ok(limit) => Err(limit),
        // Raising it failed (setrlimit refused): the soft limit as it now reads says
        // whether it is short. One that cannot be read says nothing is known short.
        #[cfg(unix)]
        Err(_) => match rlimit::getrlimit(rlimit::Resource::NOFILE) {
            Ok((soft, _)) if soft < wanted => Err(soft),
            _ => Ok(wanted),
        },
        #[cfg(not(unix))]
        Err(_) => Ok(wanted),
    }
}

/// Whether an `accept` error is one connection's, failed before it was taken: Linux
/// hands a pending network error of the new socket to `accept` (accept(2): ENETDOWN,
/// EPROTO, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH for
/// TCP, to be retried like EAGAIN), and a reset or abort says the same. The next
/// connection is taken at once; any other error (no file descriptors, no memory)
/// lasts a while, and the loop backs off.
fn failed_before_taken(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionAborted
            | ErrorKind::ConnectionReset
            | ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::NetworkDown
    ) {
        return true;
    }
    #[cfg(target_os = "linux")]
    if let Some(raw) = error.raw_os_error() {
        use rustix::io::Errno;
        return [
            Errno::PROTO,
            Errno::NOPROTOOPT,
            Errno::HOSTDOWN,
            Errno::NONET,
            Errno::OPNOTSUPP,
        ]
        .iter()
        .any(|e| e.raw_os_error() == raw);
    }
    false
}

/// The accept loop over an already started [`AppState`].
pub async fn serve(
    state: Arc<AppState>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HostError> {
    let limits = state.config.limits.clone();
    if let Err(limit) = make_room_for(limits.max_connections) {
        tracing::warn!(
            max_connections = limits.max_connections,
            open_files = limit,
            "the process may open only {limit} files: connections past about {} wait unanswered instead of getting 503; raise the hard limit (ulimit -Hn, LimitNOFILE= in systemd) or lower limits.max_connections",
            limit.saturating_sub(OTHER_OPEN_FILES + LINGERING_REFUSALS as u64)
        );
    }
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let lingering_refusals = Arc::new(Semaphore::new(LINGERING_REFUSALS));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    // Stopped when serving ends.
    let _jwks_watch = super::jwks_watch::start(&state);
    let local = listener.local_addr()?;
    if state.config.demo_on() {
        // A newcomer's `cargo run --release` says where to go, among the lines
        // about the database and the descriptors.
        let page = demo_page(local, state.config.public_url.as_deref());
        tracing::info!("the demo portal: open {page}");
    }
    // The release, for an operator reading the log of an upgrade (or a rollback).
    tracing::info!(address = %local, version = %env!("CARGO_PKG_VERSION"), "serving");

    loop {
        let (mut stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) if failed_before_taken(&error) => {
                    tracing::debug!(%error, "a connection failed before it was accepted");
                    continue;
                }
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning,
                    // and say so once a while, not twenty times a second.
                    static FAILED: crate::throttle::Throttle = crate::throttle::Throttle::new();
                    if let Some(unlogged) = FAILED.admit() {
                        tracing::warn!(
                            %error,
                            unlogged,
                            "accept failed (one such line per 10 s; `unlogged` counts those left out)"
                        );
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            state.metrics.connection_refused();
            let lingering = Arc::clone(&lingering_refusals).try_acquire_owned();
            let state = Arc::clone(&state);
            tokio::spawn(async move {
                match lingering {
                    // While a place is free, the connection's one request is read: a
                    // liveness or readiness probe is answered as on any connection
                    // (a host that is only busy must not be restarted for it, or taken
                    // out of its balancer by a probe that never got in), anything else
                    // gets the 503. The place bounds how many such reads run at once.
                    Ok(place) => {
                        // A client that sends nothing within the quiet time still
                        // gets the 503 (hyper closes a head that never came unanswered).
                        let mut first = [0u8; 1];
                        let peeked = tokio::time::timeout(QUIET, stream.peek(&mut first)).await;
                        if matches!(peeked, Ok(Ok(n)) if n > 0) {
                            let _ = tokio::time::timeout(
                                REFUSED_AT_MOST,
                                refused_connection(stream, &state),
                            )
                            .await;
                        } else {
                            let _ = stream.write_all(over_capacity().as_bytes()).await;
                            let _ = stream.shutdown().await;
                        }
                        drop(place);
                    }
                    // Past those the socket gets the 503 and closes at once, whatever
                    // the client sent: a flood past the limit must not hold more sockets.
                    Err(_) => {
                        let _ = stream.write_all(over_capacity().as_bytes()).await;
                        let _ = stream.shutdown().await;
                    }
                }
            });
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service_state = Arc::clone(&state);
        let unread = LingerFlag::default();
        let bodies = unread.clone();
        let service = service_fn(move |req: Request<Incoming>| {
            let req = req.map(|body| bodies.track(body));
            let (state, unread) = (Arc::clone(&service_state), bodies.clone());
            async move {
                let mut answer = router::handle(state, req, peer).await?;
                // An answer given before its request's body was read (a 413, a
                // refusal that needs no body) is the connection's last, and says so:
                // a client that held its body back (`Expect: 100-continue`) then
                // opens another connection for its next request rather than lose it
                // to the close. hyper would keep a connection whose small body had
                // already arrived whole; such a refusal costs its client a new
                // connection, which refusals can afford.
                if unread.is_set() {
                    answer.headers_mut().insert(
                        hyper::header::CONNECTION,
                        hyper::header::HeaderValue::from_static("close"),
                    );
                }
                Ok::<_, std::convert::Infallible>(answer)
            }
        });
        let connection = http_connection(stream, service, &limits, unread);
        let connection = graceful.watch(connection);
        let open = state.metrics.connection_opened();
        let metrics = Arc::clone(&state.metrics);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                metrics.connection_ended(&error);
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
            drop((open, permit));
        });
    }

    drop(listener);
    tracing::info!("shutting down: draining requests in flight");
    // A live backup stops now, within a few thousand rows, and removes its
    // temporary file: copying on through the grace, it would keep the drain waiting
    // for its connection and the database open past it.
    state
        .stopping
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let grace_over = tokio::time::Instant::now() + Duration::from_secs(limits.shutdown_grace_secs);
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep_until(grace_over) => {
            tracing::warn!("grace period over; closing remaining connections");
        }
    }
    // A render or an export whose client has gone runs on to its end on the render
    // pool, holding the database open: left running, the host would exit with the
    // file unclosed, and the next start would check it page by page, as after a
    // crash. It is waited for, within the same grace.
    if tokio::time::timeout_at(grace_over, state.render_pool.finished())
        .await
        .is_err()
    {
        tracing::warn!("grace period over with a render still running; exiting without it");
    }
    // A write whose client has gone runs on in a task of its own to its commit and
    // what follows it (a deletion's log line): it holds its write slot until then,
    // so having every slot means no such write is left, within the same grace.
    let writes = u32::try_from(state.write_slot_count).unwrap_or(u32::MAX);
    let slots = Arc::clone(&state.write_slots);
    if tokio::time::timeout_at(grace_over, slots.acquire_many_owned(writes))
        .await
        .is_err()
    {
        tracing::warn!(
            "grace period over with a write still waiting for its commit; exiting without it"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_page_is_one_a_browser_can_open() {
        for (local, public_url, page) in [
            ("127.0.0.1:8080", None, "http://127.0.0.1:8080/"),
            ("0.0.0.0:8080", None, "http://127.0.0.1:8080/"),
            ("[::]:9000", None, "http://[::1]:9000/"),
            ("10.0.0.7:8080", None, "http://10.0.0.7:8080/"),
            (
                "0.0.0.0:8080",
                Some("https://widgets.example.com/"),
                "https://widgets.example.com/",
            ),
        ] {
            let local: SocketAddr = local.parse().expect("an address");
            assert_eq!(demo_page(local, public_url), page);
        }
    }
    use bytes::Bytes;
    use http_body_util::Full;
    use tokio::io::AsyncReadExt;

    /// A network error of one connection that `accept` reports is passed over at
    /// once; running out of file descriptors or memory is waited out.
    #[test]
    fn one_connections_failure_is_told_from_the_hosts() {
        use std::io::{Error, ErrorKind};
        for kind in [ErrorKind::ConnectionAborted, ErrorKind::ConnectionReset] {
            assert!(failed_before_taken(&Error::from(kind)), "{kind:?}");
        }
        #[cfg(target_os = "linux")]
        {
            use rustix::io::Errno;
            for errno in [
                Errno::PROTO,
                Errno::HOSTUNREACH,
                Errno::NETUNREACH,
                Errno::NONET,
            ] {
                let error = Error::from_raw_os_error(errno.raw_os_error());
                assert!(failed_before_taken(&error), "{error}");
            }
            for errno in [Errno::MFILE, Errno::NFILE, Errno::NOBUFS, Errno::NOMEM] {
                let error = Error::from_raw_os_error(errno.raw_os_error());
                assert!(!failed_before_taken(&error), "{error}");
            }
        }
    }

    /// The host turns transparent huge pages off for its process as it starts (a
    /// process-wide flag; no other test of this binary calls `launch`).
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn the_host_turns_transparent_huge_pages_off() {
        let dir = tempfile::tempdir().expect("dir");
        let config = Config {
            data_dir: dir.path().join("data"),
            descriptors_dir: dir.path().join("widget-descriptors"),
            demo: Some(false),
            ..Config::default()
        };
        // Off first: the flag is inherited, and the test must see `launch` set it.
        rustix::thread::disable_transparent_huge_pages(false).expect("prctl");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let host = tokio::spawn(launch(config, listener, async {
            let _ = stopped.await;
        }));
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !rustix::thread::transparent_huge_pages_are_disabled().expect("prctl") {
            assert!(std::time::Instant::now() < deadline, "still on");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let _ = stop.send(());
        host.await.expect("host task").expect("served");
    }

    /// The soft limit on open files is raised to fit the connections as far as the hard
    /// limit allows, and a shortfall is reported with the limit there is.
    #[test]
    fn the_open_files_limit_is_raised_to_fit_the_connections() {
        const NOFILE: rlimit::Resource = rlimit::Resource::NOFILE;
        // Where the hard limit leaves nothing to test, the test says so, and under CI
        // (whose machines have one) that is a failure, not a pass.
        let unchecked = |why: &str| {
            assert!(
                std::env::var_os("CI").is_none(),
                "not checked under CI: {why}"
            );
            eprintln!("not checked: {why}");
        };
        let Ok((before, hard)) = rlimit::getrlimit(NOFILE) else {
            return unchecked("no limit on open files to raise on this system");
        };
        if !(8192..rlimit::INFINITY).contains(&hard) {
            return unchecked("a hard limit too low to lower safely, or none");
        }
        // Lowered, but far above what the tests running beside this one open.
        rlimit::setrlimit(NOFILE, 4096, hard).expect("lower");
        // The connections, the host's own files, and the refusals that may linger.
        assert_eq!(make_room_for(5_000), Ok(5_000 + 64 + 64));
        assert_eq!(rlimit::getrlimit(NOFILE).expect("limit").0, 5_128);
        // More connections than the hard limit lets in: raised as far as it goes,
        // and short by what it says.
        let beyond = usize::try_from(hard).expect("fits");
        assert_eq!(make_room_for(beyond), Err(hard));
        assert_eq!(rlimit::getrlimit(NOFILE).expect("limit").0, hard);
        rlimit::setrlimit(NOFILE, before, hard).expect("restore");
    }

    /// A host on a loopback port for the tests of a held writer, with one consumer
    /// whose tokens it mints.
    struct HeldWriterHost {
        state: Arc<AppState>,
        addr: std::net::SocketAddr,
        stop: tokio::sync::oneshot::Sender<()>,
        server: tokio::task::JoinHandle<Result<(), HostError>>,
        /// How many write slots the host has.
        slots: usize,
        _dir: tempfile::TempDir,
    }

    impl HeldWriterHost {
        const SECRET: &str = "a-test-consumer-secret-0123456789";

        /// `write_slots` in place of the host's own number, when given.
        async fn start(write_slots: Option<usize>) -> Self {
            Self::start_with(write_slots, |_| {}).await
        }

        /// [`Self::start`], its configuration changed by `adjust` first.
        async fn start_with(write_slots: Option<usize>, adjust: impl FnOnce(&mut Config)) -> Self {
            let dir = tempfile::tempdir().expect("dir");
            let mut config = Config {
                listen: "127.0.0.1:0".parse().expect("addr"),
                data_dir: dir.path().join("data"),
                descriptors_dir: dir.path().join("widget-descriptors"),
                demo: Some(false),
                consumers: vec![
                    crate::config::ConsumerConfig {
                        id: "portal".into(),
                        hs256_secret: Some(Self::SECRET.into()),
                        jwks_file: None,
                        allowed_origins: Vec::new(),
                        wsrp_secret: None,
                        audience: None,
                        wsrp_guest_users: Vec::new(),
                    },
                    // A portal that signs with RS256 (the test keys' JWKS).
                    crate::config::ConsumerConfig {
                        id: "liferay".into(),
                        hs256_secret: None,
                        jwks_file: Some(Self::test_keys().join("jwks.json")),
                        allowed_origins: Vec::new(),
                        wsrp_secret: None,
                        audience: Some("widget-host".into()),
                        wsrp_guest_users: Vec::new(),
                    },
                ],
                ..Config::default()
            };
            adjust(&mut config);
            let mut state = AppState::start(config).await.expect("started");
            let slots = write_slots.unwrap_or(super::super::state::WRITES_WAITING_AT_ONCE);
            state.write_slots = Arc::new(Semaphore::new(slots));
            state.write_slot_count = slots;
            let state = Arc::new(state);
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("addr");
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let server = tokio::spawn(serve(Arc::clone(&state), listener, async {
                let _ = stopped.await;
            }));
            Self {
                state,
                addr,
                stop,
                server,
                slots,
                _dir: dir,
            }
        }

        fn test_keys() -> std::path::PathBuf {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keys")
        }

        /// An administrator's RS256 token from the "liferay" consumer.
        fn rs256_admin(user: &str) -> String {
            let pem = std::fs::read(Self::test_keys().join("rsa-1.pem")).expect("key");
            let key = jsonwebtoken::EncodingKey::from_rsa_pem(&pem).expect("rsa pem");
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
            header.kid = Some("rsa-1".into());
            let claims = serde_json::json!({
                "iss": "liferay", "sub": user, "aud": "widget-host",
                "exp": jsonwebtoken::get_current_timestamp() + 600,
                "roles": ["Administrator"],
            });
            jsonwebtoken::encode(&header, &claims, &key).expect("sign")
        }

        fn token(user: &str, roles: &[String]) -> String {
            let profile = crate::portal::Profile {
                given_name: Some(format!("Given {user}")),
                ..Default::default()
            };
            crate::portal::auth::mint(
                "portal",
                Self::SECRET,
                user,
                roles,
                &profile,
                Duration::from_secs(600),
            )
            .expect("token")
        }

        fn widget(&self) -> String {
            format!("http://{}/widgets/contacts_center", self.addr)
        }

        /// `user`'s home render, as a future of its status.
        fn render(
            &self,
            user: &str,
        ) -> impl Future<Output = reqwest::Result<reqwest::StatusCode>> + Send + 'static {
            let call = reqwest::Client::new()
                .get(format!("{}/render", self.widget()))
                .bearer_auth(Self::token(user, &[]))
                .timeout(Duration::from_secs(10));
            async move { call.send().await.map(|answer| answer.status()) }
        }

        /// `user`'s home render with a token that gives their name as `given`, given
        /// up after `timeout`.
        fn render_named(
            &self,
            user: &str,
            given: &str,
            timeout: Duration,
        ) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send + use<> {
            let profile = crate::portal::Profile {
                given_name: Some(given.into()),
                ..Default::default()
            };
            let token = crate::portal::auth::mint(
                "portal",
                Self::SECRET,
                user,
                &[],
                &profile,
                Duration::from_secs(600),
            )
            .expect("token");
            reqwest::Client::new()
                .get(format!("{}/render", self.widget()))
                .bearer_auth(token)
                .timeout(timeout)
                .send()
        }

        /// The given name the directory holds for `user`.
        async fn given_name(&self, user: &str) -> Option<String> {
            let (state, user) = (Arc::clone(&self.state), user.to_owned());
            tokio::task::spawn_blocking(move || {
                let reader = state.social.read().expect("read");
                reader.person(&user).expect("person").map(|p| p.given_name)
            })
            .await
            .expect("read task")
        }

        /// `user` follows `person`.
        fn follow(
            &self,
            user: &str,
            person: &str,
        ) -> impl Future<Output = reqwest::Result<reqwest::StatusCode>> + Send + 'static {
            let call = reqwest::Client::new()
                .post(format!("{}/actions/follow", self.widget()))
                .bearer_auth(Self::token(user, &[]))
                .header("accept", "application/json")
                .form(&[("_contacts_center_userId", person)])
                .timeout(Duration::from_secs(10));
            async move { call.send().await.map(|answer| answer.status()) }
        }

        /// `user` follows every one of `people` in one bulk action.
        fn follow_all(
            &self,
            user: &str,
            people: &[String],
        ) -> impl Future<Output = reqwest::Result<reqwest::StatusCode>> + Send + 'static {
            let call = reqwest::Client::new()
                .post(format!("{}/actions/follow", self.widget()))
                .bearer_auth(Self::token(user, &[]))
                .header("accept", "application/json")
                .form(&[("_contacts_center_userIds", people.join(","))])
                .timeout(Duration::from_secs(10));
            async move { call.send().await.map(|answer| answer.status()) }
        }

        /// `user`'s notifications from the user API: a read on the render pool, as a
        /// render is.
        fn notifications(
            &self,
            user: &str,
        ) -> impl Future<Output = reqwest::Result<reqwest::StatusCode>> + Send + 'static {
            let call = reqwest::Client::new()
                .get(format!(
                    "http://{}/api/users/{user}/notifications",
                    self.addr
                ))
                .bearer_auth(Self::token(user, &[]))
                .timeout(Duration::from_secs(10));
            async move { call.send().await.map(|answer| answer.status()) }
        }

        /// An administrator stores `person` through the user API.
        fn store_person(
            &self,
            person: &str,
        ) -> impl Future<Output = reqwest::Result<reqwest::StatusCode>> + Send + 'static {
            let call = reqwest::Client::new()
                .put(format!("http://{}/api/users/{person}", self.addr))
                .bearer_auth(Self::token("root", &["Administrator".into()]))
                .json(&serde_json::json!({"givenName": "Stored"}))
                .timeout(Duration::from_secs(10));
            async move { call.send().await.map(|answer| answer.status()) }
        }

        /// Holds the writer until the sender is used: a job that waits in its batch.
        async fn hold_writer(
            &self,
        ) -> (
            std::sync::mpsc::Sender<()>,
            std::thread::JoinHandle<Result<(), crate::store::StoreError>>,
        ) {
            let (held, is_held) = tokio::sync::oneshot::channel::<()>();
            let (release, released) = std::sync::mpsc::channel::<()>();
            let store = self.state.social.store().clone();
            let holder = std::thread::spawn(move || {
                let mut held = Some(held);
                store.write(move |_| {
                    if let Some(held) = held.take() {
                        let _ = held.send(());
                    }
                    let _ = released.recv();
                    Ok(())
                })
            });
            is_held.await.expect("the writer is held");
            (release, holder)
        }

        /// Waits until `n` write slots are taken (10 s at most).
        async fn slots_taken(&self, n: usize) {
            let (slots, total) = (&self.state.write_slots, self.slots);
            let started = std::time::Instant::now();
            while total - slots.available_permits() < n {
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "{} of {n} write slots taken",
                    total - slots.available_permits()
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }

        async fn stop(self) {
            let _ = self.stop.send(());
            self.server.await.expect("server task").expect("served");
        }
    }

    /// A render still running when the host stops (its client gone) holds the
    /// database open: the host waits for it before it is done, so that the file is
    /// closed cleanly, not left to be checked page by page at the next start.
    #[tokio::test]
    async fn a_stopping_host_waits_for_a_render_whose_client_has_gone() {
        let host = HeldWriterHost::start(None).await;
        let (open, gate) = std::sync::mpsc::channel::<()>();
        let (started, running) = tokio::sync::oneshot::channel::<()>();
        let held = Arc::clone(&host.state);
        let pool = Arc::clone(&host.state);
        let ended = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ending = Arc::clone(&ended);
        let caller = tokio::spawn(async move {
            pool.render_pool
                .run(move || {
                    let _ = started.send(());
                    let _ = gate.recv();
                    // Still running a while after its gate opens: the host must not
                    // be done before it is.
                    std::thread::sleep(Duration::from_millis(100));
                    ending.store(true, std::sync::atomic::Ordering::SeqCst);
                    // What a render holds: the host's state, and its database.
                    drop(held);
                })
                .await
        });
        running.await.expect("the render started");
        caller.abort();
        let weak = Arc::downgrade(&host.state);
        let HeldWriterHost {
            state,
            stop,
            server,
            ..
        } = host;
        drop(state);
        let _ = stop.send(());
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!server.is_finished(), "stopped with a render running");
        open.send(()).expect("the render waits");
        server.await.expect("server task").expect("served");
        assert!(
            ended.load(std::sync::atomic::Ordering::SeqCst),
            "the host was done before the render"
        );
        assert!(
            weak.upgrade().is_none(),
            "the state, and its database, let go"
        );
    }

    /// A write whose client has gone runs on to its commit in a task of its own: a
    /// stopping host waits for it (and what follows its commit) before it is done,
    /// where the runtime's end would cut it off at its next await.
    #[tokio::test]
    async fn a_stopping_host_waits_for_a_write_whose_client_has_gone() {
        // Four slots, not the host's own number: the stop waits for this host's.
        let host = HeldWriterHost::start(Some(4)).await;
        assert_eq!(host.render("alice").await.expect("render"), 200);
        assert_eq!(host.render("bob").await.expect("render"), 200);
        let (release, holder) = host.hold_writer().await;
        let gone = tokio::spawn(host.follow("alice", "bob"));
        host.slots_taken(1).await;
        gone.abort();
        let state = Arc::clone(&host.state);
        let HeldWriterHost { stop, server, .. } = host;
        let _ = stop.send(());
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!server.is_finished(), "stopped with a write waiting");
        // A live backup is told to give up as the stop begins, not once the grace
        // is over: it would hold its connection, and the database, that long.
        assert!(state.stopping.load(std::sync::atomic::Ordering::Relaxed));
        release.send(()).expect("the writer is held");
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("done once the write is, well within the 10 s grace")
            .expect("server task")
            .expect("served");
        holder.join().expect("holder").expect("held");
        let r = state.social.read().expect("read");
        assert!(r.relationship("alice", "bob").expect("read").following);
    }

    /// An export is held until its client has read it, counted against the host's
    /// budget for large answers: with the budget taken, a large export is refused
    /// (503, retry shortly) while a small one is still served; with room, the large
    /// one is served, and once read its bytes are given back.
    #[tokio::test]
    async fn large_exports_wait_for_room_in_the_budget_of_large_answers() {
        use super::super::large_answers::LARGE_ANSWER_BYTES;
        use super::super::state::LARGE_ANSWERS_HELD_BYTES;
        use crate::social::BulkEdge;
        use crate::store::{Person, WebUrl};
        let host = HeldWriterHost::start(None).await;
        const LARGE: usize = 60;
        // Sixty people of about 130 KB of web addresses each: an 8 MB export, more
        // than the kernel's socket buffers take off the host (4 MiB to send here).
        let person = |id: &str| Person {
            id: id.into(),
            given_name: "Pat".into(),
            family_name: id.into(),
            ..Person::default()
        };
        let large = |i: usize| {
            let mut p = person(&format!("large{i:02}"));
            p.user_account_contact_information.web_urls = (0..64)
                .map(|k| WebUrl {
                    url: format!("https://example.com/{k}/{}", "a".repeat(2_000)),
                    ..WebUrl::default()
                })
                .collect();
            p
        };
        let mut people: Vec<Person> = (0..LARGE).map(large).collect();
        people.push(person("v"));
        people.push(person("small"));
        people.push(person("one"));
        let social = host.state.social.clone();
        tokio::task::spawn_blocking(move || {
            social.upsert_people(people)?;
            let edges = (0..LARGE)
                .map(|i| BulkEdge::Connection("v".into(), format!("large{i:02}")))
                .chain([
                    BulkEdge::Connection("small".into(), "v".into()),
                    BulkEdge::Connection("one".into(), "large00".into()),
                ])
                .collect();
            social.link_many(edges)
        })
        .await
        .expect("joined")
        .expect("stored");
        let export = |user: &str| {
            reqwest::Client::new()
                .get(format!("{}/resources/vcard", host.widget()))
                .query(&[("_contacts_center_filter", "connections")])
                .bearer_auth(HeldWriterHost::token(user, &[]))
                .timeout(Duration::from_secs(10))
                .send()
        };
        let budget = Arc::clone(host.state.large_answers.budget());
        let all = u32::try_from(LARGE_ANSWERS_HELD_BYTES).expect("fits");
        let taken = Arc::clone(&budget)
            .try_acquire_many_owned(all)
            .expect("free");
        let refused = export("v").await.expect("answer");
        assert_eq!(refused.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
        // One large card (some 130 KB, far under a mebibyte) counts too: slow readers
        // of many such exports would otherwise hold gigabytes outside the budget.
        let one = export("one").await.expect("answer");
        assert_eq!(one.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
        let small = export("small").await.expect("answer");
        assert_eq!(small.status(), reqwest::StatusCode::OK);
        assert_eq!(
            small
                .text()
                .await
                .expect("text")
                .matches("BEGIN:VCARD")
                .count(),
            1
        );
        drop(taken);
        // An answer its client does not read holds its size until the client goes.
        let unread_export = || async {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            // A small receive window, so that little of the answer leaves the host.
            let socket = tokio::net::TcpSocket::new_v4().expect("socket");
            socket.set_recv_buffer_size(16 * 1024).expect("buffer");
            let mut client = socket.connect(host.addr).await.expect("connect");
            let request = format!(
                "GET /widgets/contacts_center/resources/vcard?_contacts_center_filter=connections HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\r\n",
                host.addr,
                HeldWriterHost::token("v", &[])
            );
            client.write_all(request.as_bytes()).await.expect("send");
            let mut head = [0u8; 64];
            let n = client.read(&mut head).await.expect("read");
            assert!(head[..n].starts_with(b"HTTP/1.1 200"), "{:?}", &head[..n]);
            client
        };
        let unread = unread_export().await;
        let started = std::time::Instant::now();
        while budget.available_permits() > LARGE_ANSWERS_HELD_BYTES - LARGE_ANSWER_BYTES {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "an unread export holds nothing"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // One person's answers hold a quarter of the budget at most: with four of
        // theirs unread (32.4 MB), the fifth is refused.
        let mut unread = vec![unread];
        for _ in 0..3 {
            unread.push(unread_export().await);
        }
        let fifth = export("v").await.expect("answer");
        assert_eq!(fifth.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
        drop(unread);
        all_given_back(&budget).await;
        let served = export("v").await.expect("answer");
        assert_eq!(served.status(), reqwest::StatusCode::OK);
        let cards = served.text().await.expect("text");
        assert_eq!(
            cards.matches("BEGIN:VCARD").count(),
            LARGE + 1,
            "the large ones and the small one"
        );
        assert!(cards.len() > 6 * 1024 * 1024, "{}", cards.len());
        all_given_back(&budget).await;
        host.stop().await;
    }

    /// Waits (10 s at most) until every byte of the budget for large answers is back.
    async fn all_given_back(budget: &Semaphore) {
        use super::super::state::LARGE_ANSWERS_HELD_BYTES;
        let started = std::time::Instant::now();
        while budget.available_permits() < LARGE_ANSWERS_HELD_BYTES {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "never given back"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// A live backup runs alone: while one is written, another is refused (409) and
    /// writes nothing; once it is done, the next one goes ahead.
    #[tokio::test]
    async fn a_second_backup_at_once_is_refused() {
        let host = HeldWriterHost::start(None).await;
        let admin = HeldWriterHost::token("root", &["Administrator".to_owned()]);
        let backup = || {
            reqwest::Client::new()
                .post(format!("http://{}/api/backup", host.addr))
                .bearer_auth(&admin)
                .send()
        };
        let backups = host.state.config.data_dir.join("backups");
        let files = || std::fs::read_dir(&backups).map_or(0, |d| d.count());
        let running = host
            .state
            .backups
            .clone()
            .try_acquire_owned()
            .expect("the slot is free");
        let refused = backup().await.expect("answer");
        assert_eq!(refused.status(), reqwest::StatusCode::CONFLICT);
        let body: serde_json::Value = refused.json().await.expect("json");
        assert_eq!(body["message"], "a-backup-is-already-running");
        assert_eq!(files(), 0, "nothing written");
        drop(running);
        let taken = backup().await.expect("answer");
        assert_eq!(taken.status(), reqwest::StatusCode::OK);
        assert_eq!(files(), 1);
        assert_eq!(host.state.backups.available_permits(), 1, "given back");
        // Serving stops: work that outlived its request, a backup's copy among it,
        // is told to give up, so that the store can close before the process exits.
        let state = Arc::clone(&host.state);
        assert!(!state.stopping.load(std::sync::atomic::Ordering::Relaxed));
        host.stop().await;
        assert!(state.stopping.load(std::sync::atomic::Ordering::Relaxed));
    }

    /// A runtime whose blocking pool is smaller than the calls that wait in the tests
    /// of a held writer.
    fn small_blocking_pool() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(4)
            .enable_all()
            .build()
            .expect("runtime")
    }

    /// While the writer is held (deleting a hub holds it for seconds), refreshes,
    /// actions and user API writes wait for it without a blocking thread, and past
    /// `write_slots` without queueing a job, so a render, which needs no write, is
    /// still answered, and the look at its claims (on the render pool) that finds
    /// them already applied. The blocking pool here is smaller than the calls that
    /// wait.
    #[test]
    fn a_render_is_answered_while_writes_wait_for_a_held_writer() {
        small_blocking_pool().block_on(async {
            let host = HeldWriterHost::start(Some(2)).await;
            // Alice is in the directory now: her next render writes nothing.
            assert_eq!(host.render("alice").await.expect("render"), 200);

            let (release, holder) = host.hold_writer().await;
            // New people's first renders each wait for their directory refresh,
            // Alice's actions and an administrator's records for their commits.
            let waiting: Vec<_> = (0..8)
                .flat_map(|i| {
                    [
                        tokio::spawn(host.render(&format!("crowd{i}"))),
                        tokio::spawn(host.follow("alice", &format!("crowd{i}"))),
                        tokio::spawn(host.store_person(&format!("stored{i}"))),
                    ]
                })
                .collect();
            // Both slots taken: the writes have reached the host, not only been sent.
            host.slots_taken(2).await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            // As after a restart: her claims are looked at again, and found applied.
            host.state.claims.forget("alice");
            let answered = host.render("alice").await;
            assert_eq!(answered.expect("a render while writes wait"), 200);
            assert!(
                waiting.iter().all(|task| !task.is_finished()),
                "the refreshes wait for the writer"
            );
            release.send(()).expect("release");
            holder.join().expect("holder").expect("held write");
            for task in waiting {
                let status = task.await.expect("task").expect("answered");
                // A follow that came before its person's refresh finds nobody; a
                // person stored new is 201.
                assert!([200, 201, 404].contains(&status.as_u16()), "{status}");
            }
            host.stop().await;
        });
    }

    /// A write that finds no slot within its request timeout is refused as busy (503,
    /// retry), and nothing of it is done; the write that holds the slot still waits
    /// for its commit, however long the writer is held.
    #[test]
    fn a_write_that_finds_no_slot_in_time_is_refused_as_busy() {
        small_blocking_pool().block_on(async {
            let host =
                HeldWriterHost::start_with(Some(1), |c| c.limits.request_timeout_secs = 1).await;
            // Stored directly: renders that stored them would each race the short
            // request timeout on a busy machine.
            let social = host.state.social.clone();
            tokio::task::spawn_blocking(move || {
                let person = |id: &str| crate::store::Person {
                    id: id.into(),
                    given_name: format!("Given {id}"),
                    ..crate::store::Person::default()
                };
                social.upsert_people(vec![person("alice"), person("bob"), person("carol")])
            })
            .await
            .expect("joined")
            .expect("stored");
            let (release, holder) = host.hold_writer().await;
            let first = tokio::spawn(host.follow("alice", "bob"));
            host.slots_taken(1).await;
            let started = std::time::Instant::now();
            let second = host.follow("alice", "carol").await.expect("answered");
            assert_eq!(second, 503);
            assert!(
                started.elapsed() >= Duration::from_millis(900),
                "{:?}",
                started.elapsed()
            );
            // The first waits on, past its request timeout, for its commit.
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert!(!first.is_finished());
            release.send(()).expect("release");
            holder.join().expect("holder").expect("held write");
            assert_eq!(first.await.expect("task").expect("answered"), 200);
            let reader = host.state.social.read().expect("read");
            assert!(reader.relationship("alice", "bob").expect("read").following);
            assert!(
                !reader
                    .relationship("alice", "carol")
                    .expect("read")
                    .following
            );
            drop(reader);
            host.stop().await;
        });
    }

    /// Writes wait for their commit as futures, not on threads of the blocking pool:
    /// with the host's own write slots, far more actions, directory refreshes and
    /// user API writes than the pool has threads wait on a held writer, and renders
    /// and the user API's reads are still answered meanwhile.
    #[test]
    fn writes_waiting_for_a_held_writer_hold_no_blocking_thread() {
        small_blocking_pool().block_on(async {
            let host = HeldWriterHost::start(None).await;
            let people: Vec<String> = (0..32).map(|i| format!("person{i}")).collect();
            for user in people.iter().map(String::as_str).chain(["alice"]) {
                assert_eq!(host.render(user).await.expect("render"), 200);
            }
            let (release, holder) = host.hold_writer().await;
            let mut waiting: Vec<_> = people
                .iter()
                .map(|person| tokio::spawn(host.follow("alice", person)))
                .collect();
            // New people's first renders wait for their directory refresh, and an
            // administrator's records for their commits.
            for i in 0..8 {
                waiting.push(tokio::spawn(host.render(&format!("newcomer{i}"))));
                waiting.push(tokio::spawn(host.store_person(&format!("stored{i}"))));
            }
            // Every one of them waits in a slot for the writer before anything is
            // looked at: a check made earlier would pass without testing them.
            host.slots_taken(waiting.len()).await;
            for user in ["alice", "person0"] {
                let answered = host.render(user).await;
                assert_eq!(answered.expect("a render while writes wait"), 200);
                let read = host.notifications(user).await;
                assert_eq!(read.expect("a blocking read while writes wait"), 200);
            }
            assert!(
                waiting.iter().all(|task| !task.is_finished()),
                "the writes wait for the writer"
            );
            release.send(()).expect("release");
            holder.join().expect("holder").expect("held write");
            for task in waiting {
                let status = task.await.expect("task").expect("answered");
                // 201: a person the administrator stored new.
                assert!([200, 201].contains(&status.as_u16()), "{status}");
            }
            let reader = host.state.social.read().expect("read");
            assert_eq!(reader.counts("alice").expect("counts").following, 32);
            host.stop().await;
        });
    }

    /// The user API's notifications are read on the render pool, as renders are: with
    /// every place taken, a request waits; given up before its turn, its read never
    /// runs. On tokio's blocking pool each such request left a read behind it.
    #[tokio::test]
    async fn an_abandoned_notifications_read_never_runs() {
        let host = HeldWriterHost::start(None).await;
        assert_eq!(host.render("alice").await.expect("render"), 200);
        let pool = &host.state.render_pool;
        let open = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut gated = Vec::new();
        for _ in 0..pool.threads() * 2 {
            let (state, open) = (Arc::clone(&host.state), Arc::clone(&open));
            gated.push(tokio::spawn(async move {
                state
                    .render_pool
                    .run(move || {
                        while !open.load(std::sync::atomic::Ordering::SeqCst) {
                            std::thread::sleep(Duration::from_millis(1));
                        }
                    })
                    .await
            }));
        }
        let started = std::time::Instant::now();
        while pool.free_places() > 0 {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "pool not filled"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let reads = host.state.social.snapshots_taken();
        let call = reqwest::Client::new()
            .get(format!(
                "http://{}/api/users/alice/notifications",
                host.addr
            ))
            .bearer_auth(HeldWriterHost::token("alice", &[]))
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        assert!(call.is_err(), "the read waits for a place: {call:?}");
        // The host has seen the client go (the request counted as 499) before the
        // places come free: a job whose caller it has not yet seen go still runs.
        let started = std::time::Instant::now();
        while !host
            .state
            .metrics
            .render(host.state.social.snapshots_taken())
            .contains("status=\"499\"")
        {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no 499 counted"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        open.store(true, std::sync::atomic::Ordering::SeqCst);
        for job in gated {
            job.await.expect("task").expect("ran");
        }
        // The abandoned job had its turn after the gated ones: it let its place go
        // without reading.
        let started = std::time::Instant::now();
        while pool.free_places() < pool.threads() * 2 {
            assert!(started.elapsed() < Duration::from_secs(10), "places kept");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(host.state.social.snapshots_taken(), reads, "no read ran");
        host.stop().await;
    }

    /// A render whose claims changed and whose client hangs up while the write waits
    /// for a held writer still has the memo told when that write commits: two tabs
    /// with different claims must leave the directory with the claims of the last
    /// request, not the older ones of a write whose caller was gone.
    #[tokio::test]
    async fn a_claims_write_whose_client_hung_up_still_tells_the_memo() {
        let host = HeldWriterHost::start(None).await;
        let render = |given: &str, timeout: Duration| host.render_named("alice", given, timeout);
        let given = || host.given_name("alice");
        let long = Duration::from_secs(10);
        assert_eq!(render("New", long).await.expect("render").status(), 200);
        assert_eq!(given().await.as_deref(), Some("New"));

        let (release, holder) = host.hold_writer().await;
        // The old tab: its claims change the entry, and its client gives up while the
        // write waits.
        let old = tokio::spawn(render("Old", long));
        host.slots_taken(1).await;
        old.abort();
        assert!(old.await.is_err(), "the client gave up");
        // The new tab, meanwhile: its claims are what the entry holds yet.
        assert_eq!(render("New", long).await.expect("render").status(), 200);
        release.send(()).expect("release");
        holder.join().expect("holder").expect("held write");
        let started = std::time::Instant::now();
        while given().await.as_deref() != Some("Old") {
            assert!(started.elapsed() < long, "the old write never landed");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Its task tells the memo, then gives its share of the write slots back.
        while host.state.write_shares.holders() > 0 {
            assert!(started.elapsed() < long, "the old write's task never ended");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The new tab's next request finds the entry changed and writes it back.
        assert_eq!(render("New", long).await.expect("render").status(), 200);
        assert_eq!(given().await.as_deref(), Some("New"));
        host.stop().await;
    }

    /// One person's writes hold half of the write slots at most: past that their
    /// next action is refused as busy at once, while someone else's still gets a slot
    /// and waits for the writer as usual; the person's part comes back with the
    /// commits.
    #[tokio::test]
    async fn one_persons_writes_hold_half_of_the_write_slots_at_most() {
        use super::super::state::WRITES_WAITING_AT_ONCE;
        let host = HeldWriterHost::start(None).await;
        let share = WRITES_WAITING_AT_ONCE / 2;
        let people: Vec<String> = (0..share).map(|i| format!("person{i}")).collect();
        for user in people.iter().map(String::as_str).chain(["alice", "bob"]) {
            assert_eq!(host.render(user).await.expect("render"), 200);
        }
        let (release, holder) = host.hold_writer().await;
        let waiting: Vec<_> = people
            .iter()
            .map(|person| tokio::spawn(host.follow("alice", person)))
            .collect();
        host.slots_taken(share).await;
        let refused = host.follow("alice", "bob").await.expect("answered");
        assert_eq!(refused, 503, "while the writer is still held");
        let bobs = tokio::spawn(host.follow("bob", "alice"));
        host.slots_taken(share + 1).await;
        assert!(!bobs.is_finished(), "bob's waits for the writer");
        release.send(()).expect("release");
        holder.join().expect("holder").expect("held write");
        for task in waiting {
            assert_eq!(task.await.expect("task").expect("answered"), 200);
        }
        assert_eq!(bobs.await.expect("task").expect("answered"), 200);
        assert_eq!(
            host.state.write_shares.holders(),
            0,
            "every part given back"
        );
        let status = host.follow("alice", "bob").await.expect("answered");
        assert_eq!(status, 200);
        host.stop().await;
    }

    /// A WSRP action takes its user's part of the waiting writes from the shares a
    /// native action takes: with all of alice's part held, her WSRP follow is refused
    /// as busy and does nothing; given back, the same call follows.
    #[tokio::test]
    async fn a_wsrp_action_takes_the_users_share_as_a_native_one_does() {
        use super::super::state::WRITES_NAMED_AT_ONCE;
        let host = HeldWriterHost::start_with(None, |config| {
            config.consumers[0].wsrp_secret = Some("a-wsrp-secret".into());
        })
        .await;
        for user in ["alice", "bob"] {
            assert_eq!(host.render(user).await.expect("render"), 200);
        }
        let soap = |port: &'static str, body: String| {
            let call = reqwest::Client::new()
                .post(format!("http://{}/wsrp/v2/{port}", host.addr))
                .header("content-type", "text/xml; charset=utf-8")
                .body(format!(
                    "<?xml version=\"1.0\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" \
                     xmlns:t=\"urn:oasis:names:tc:wsrp:v2:types\"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
                ));
            async move {
                let answer = call.send().await.expect("post");
                (answer.status().as_u16(), answer.text().await.expect("text"))
            }
        };
        let (status, registered) = soap(
            "registration",
            "<t:register><t:registrationData><t:consumerName>portal</t:consumerName><t:consumerAgent>p 1.0</t:consumerAgent>\
             <t:methodGetSupported>false</t:methodGetSupported><t:registrationProperties name=\"wsrp_secret\">\
             <t:stringValue>a-wsrp-secret</t:stringValue></t:registrationProperties></t:registrationData></t:register>"
                .into(),
        )
        .await;
        assert_eq!(status, 200, "{registered}");
        let handle = registered
            .split("registrationHandle>")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .expect("a handle");
        let follow = format!(
            "<t:performBlockingInteraction><t:registrationContext><t:registrationHandle>{handle}</t:registrationHandle></t:registrationContext>\
             <t:portletContext><t:portletHandle>contacts_center</t:portletHandle></t:portletContext>\
             <t:runtimeContext><t:userAuthentication>wsrp:password</t:userAuthentication>\
             <t:portletInstanceKey>k1</t:portletInstanceKey><t:namespacePrefix>ns1_</t:namespacePrefix></t:runtimeContext>\
             <t:userContext><t:userContextKey>alice</t:userContextKey></t:userContext>\
             <t:markupParams><t:secureClientCommunication>false</t:secureClientCommunication><t:locales>en</t:locales>\
             <t:mimeTypes>text/html</t:mimeTypes><t:mode>wsrp:view</t:mode><t:windowState>wsrp:normal</t:windowState></t:markupParams>\
             <t:interactionParams><t:portletStateChange>readOnly</t:portletStateChange><t:interactionState>action=follow</t:interactionState>\
             <t:formParameters name=\"ns1_userId\"><t:value>bob</t:value></t:formParameters>\
             </t:interactionParams></t:performBlockingInteraction>"
        );
        let taken = host
            .state
            .named_shares
            .take("alice", WRITES_NAMED_AT_ONCE)
            .expect("all of alice's part");
        let (status, refused) = soap("markup", follow.clone()).await;
        assert_eq!(status, 500, "{refused}");
        assert!(refused.contains("busy"), "{refused}");
        drop(taken);
        let (status, done) = soap("markup", follow).await;
        assert_eq!(status, 200, "{done}");
        let state = done
            .split("opaqueValue=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the next render's state");
        assert_eq!(
            crate::wsrp::urls::decode_state(state).get("message"),
            Some("you-are-now-following-this-user"),
            "the refused call followed no one: {done}"
        );
        assert_eq!(host.state.named_shares.holders(), 0, "given back");
        host.stop().await;
    }

    /// The people one person's waiting writes name count too: two 200-person bulk
    /// actions waiting for the writer are all of a person's part, and their next
    /// action, of one person, is refused as busy at once, where a hundred such bulk
    /// actions would have held the writer for seconds before anyone else's.
    #[tokio::test]
    async fn one_persons_waiting_writes_name_so_many_people_at_most() {
        use super::super::state::WRITES_NAMED_AT_ONCE;
        let host = HeldWriterHost::start(None).await;
        for user in ["alice", "bob"] {
            assert_eq!(host.render(user).await.expect("render"), 200);
        }
        let people: Vec<String> = (0..WRITES_NAMED_AT_ONCE)
            .map(|i| format!("person{i}"))
            .collect();
        let (release, holder) = host.hold_writer().await;
        let halves = people.chunks(WRITES_NAMED_AT_ONCE / 2);
        let bulk: Vec<_> = halves
            .map(|half| tokio::spawn(host.follow_all("alice", half)))
            .collect();
        host.slots_taken(2).await;
        assert_eq!(
            host.state.named_shares.held_by("alice"),
            WRITES_NAMED_AT_ONCE
        );
        let refused = host.follow("alice", "bob").await.expect("answered");
        assert_eq!(refused, 503, "while the writer is still held");
        // Her render with new claims is not refused for the write they need: it shows
        // what the directory holds, and the claims are written at a later call.
        let renamed = || host.render_named("alice", "Renamed", Duration::from_secs(10));
        let given = || host.given_name("alice");
        assert_eq!(renamed().await.expect("render").status(), 200);
        assert_eq!(given().await.as_deref(), Some("Given alice"));
        let bobs = tokio::spawn(host.follow("bob", "alice"));
        host.slots_taken(3).await;
        assert!(!bobs.is_finished(), "bob's waits for the writer");
        release.send(()).expect("release");
        holder.join().expect("holder").expect("held write");
        for task in bulk {
            let status = task.await.expect("task").expect("answered");
            assert_ne!(status, 503, "a bulk action within the share was done");
        }
        assert_eq!(bobs.await.expect("task").expect("answered"), 200);
        assert_eq!(host.state.named_shares.holders(), 0, "given back");
        let status = host.follow("alice", "bob").await.expect("answered");
        assert_eq!(status, 200);
        assert_eq!(renamed().await.expect("render").status(), 200);
        assert_eq!(given().await.as_deref(), Some("Renamed"));
        host.stop().await;
    }

    /// A public-key token not seen before is checked on the render pool, not on an
    /// async worker: with every place of the pool taken, a call with a new RS256 token
    /// waits for one (the user API's PUT, which reads nothing on the pool), while one
    /// with a token that passed before is answered from memory at once, and one with a
    /// new HS256 token (an HMAC) is checked at once.
    #[tokio::test]
    async fn a_new_public_key_token_is_checked_on_the_render_pool() {
        let host = HeldWriterHost::start(None).await;
        let put = |person: &str, token: &str| {
            reqwest::Client::new()
                .put(format!("http://{}/api/users/{person}", host.addr))
                .bearer_auth(token)
                .json(&serde_json::json!({"givenName": "Stored"}))
                .timeout(Duration::from_secs(10))
                .send()
        };
        let admin = HeldWriterHost::rs256_admin("root");
        // Each a person new to the directory: 201.
        assert_eq!(put("known", &admin).await.expect("put").status(), 201);
        let held = HeldPool::take(&host).await;
        // The token that stored "known" is remembered: "again" is stored meanwhile.
        let again = put("again", &admin).await.expect("put");
        assert_eq!(again.status(), 201);
        let hs256 = HeldWriterHost::token("root2", &["Administrator".into()]);
        assert_eq!(put("hs256", &hs256).await.expect("put").status(), 201);
        let fresh = tokio::spawn(put("fresh", &HeldWriterHost::rs256_admin("root3")));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!fresh.is_finished(), "a new token waits for the pool");
        held.release().await;
        let status = fresh.await.expect("task").expect("answered").status();
        assert_eq!(status, 201);
        host.stop().await;
    }

    /// A write whose token must be checked on the render pool waits for a place no
    /// longer than the request timeout: the router does not cut a write at that
    /// timeout, and a forged public-key token would otherwise wait as long as the
    /// renders ahead of it.
    #[tokio::test]
    async fn a_write_waits_for_the_render_pool_no_longer_than_the_request_timeout() {
        let host = HeldWriterHost::start_with(None, |c| c.limits.request_timeout_secs = 3).await;
        let held = HeldPool::take(&host).await;
        let sent = std::time::Instant::now();
        let answer = reqwest::Client::new()
            .put(format!("http://{}/api/users/fresh", host.addr))
            .bearer_auth(HeldWriterHost::rs256_admin("root3"))
            .json(&serde_json::json!({"givenName": "Stored"}))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .expect("answered");
        let waited = sent.elapsed();
        assert_eq!(answer.status(), 503);
        // The timeout, and not three of them (a machine with busy cores is slow, not
        // that slow).
        assert!(
            waited >= Duration::from_millis(2900) && waited < Duration::from_secs(9),
            "{waited:?}"
        );
        held.release().await;
        host.stop().await;
    }

    /// An action by a person whose claims the directory has not seen yet first
    /// compares them with the directory on the render pool, and waits for a place
    /// there no longer than the request timeout (a write is not cut by the router).
    /// Once the pool has room, the same action goes through.
    #[tokio::test]
    async fn an_action_waits_for_its_claims_look_no_longer_than_the_request_timeout() {
        let host = HeldWriterHost::start_with(None, |c| c.limits.request_timeout_secs = 6).await;
        for person in ["alice", "bob"] {
            assert_eq!(host.render(person).await.expect("render"), 200);
        }
        let held = HeldPool::take(&host).await;
        // Bob's claims are known: his action needs no place on the pool, and is done
        // at once. Only the look waits.
        let sent = std::time::Instant::now();
        let status = host.follow("bob", "alice").await.expect("answered");
        assert_eq!(status, 200);
        // Well within the timeout it would otherwise have waited (its commit's
        // fsync included, on a disk other tests share).
        assert!(
            sent.elapsed() < Duration::from_millis(4500),
            "{:?}",
            sent.elapsed()
        );
        let sent = std::time::Instant::now();
        let status = host.follow("newcomer", "bob").await.expect("answered");
        let waited = sent.elapsed();
        assert_eq!(status, 503);
        assert!(
            waited >= Duration::from_millis(5900) && waited < Duration::from_secs(15),
            "{waited:?}"
        );
        held.release().await;
        let status = host.follow("newcomer", "bob").await.expect("answered");
        assert_eq!(status, 200);
        host.stop().await;
    }

    /// Every place of a host's render pool, taken by jobs that wait until released.
    struct HeldPool {
        release: std::sync::mpsc::Sender<()>,
        jobs: Vec<tokio::task::JoinHandle<Result<(), crate::http::render_pool::NoAnswer>>>,
    }

    impl HeldPool {
        async fn take(host: &HeldWriterHost) -> Self {
            let pool = &host.state.render_pool;
            let (release, released) = std::sync::mpsc::channel::<()>();
            let released = Arc::new(std::sync::Mutex::new(released));
            // A render whose caller had gone gives its place back after letting its
            // answer go, a moment after its client saw the end.
            let started = std::time::Instant::now();
            while pool.free_places() < pool.threads() * 2 {
                assert!(started.elapsed() < Duration::from_secs(10), "places kept");
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let jobs = (0..pool.free_places())
                .map(|_| {
                    let released = Arc::clone(&released);
                    let state = Arc::clone(&host.state);
                    tokio::spawn(async move {
                        state
                            .render_pool
                            .run(move || {
                                let _ = released.lock().expect("lock").recv();
                            })
                            .await
                    })
                })
                .collect();
            let started = std::time::Instant::now();
            while pool.free_places() > 0 {
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "pool not taken"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Self { release, jobs }
        }

        async fn release(self) {
            for _ in 0..self.jobs.len() {
                self.release.send(()).expect("release");
            }
            for job in self.jobs {
                job.await.expect("job").expect("ran");
            }
        }
    }

    /// An administrator's client that hangs up while its DELETE waits for the writer
    /// still gets the person deleted, and the memo of their claims forgotten: their
    /// next token makes them again, so their actions are not refused as an unknown
    /// viewer's.
    #[tokio::test]
    async fn a_delete_whose_client_hung_up_forgets_the_persons_claims() {
        let host = HeldWriterHost::start(None).await;
        for user in ["alice", "person0"] {
            assert_eq!(host.render(user).await.expect("render"), 200);
        }
        let (release, holder) = host.hold_writer().await;
        let gone = reqwest::Client::new()
            .delete(format!("http://{}/api/users/alice", host.addr))
            .bearer_auth(HeldWriterHost::token("root", &["Administrator".into()]))
            .timeout(Duration::from_secs(2))
            .send();
        let hung_up = tokio::spawn(gone);
        host.slots_taken(1).await;
        assert!(hung_up.await.expect("task").is_err(), "the client gave up");
        release.send(()).expect("release");
        holder.join().expect("holder").expect("held write");
        let started = std::time::Instant::now();
        while host
            .state
            .social
            .read()
            .expect("read")
            .person("alice")
            .expect("person")
            .is_some()
        {
            assert!(started.elapsed() < Duration::from_secs(10), "never deleted");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The delete's task ends after its commit; the memo goes with it.
        let started = std::time::Instant::now();
        while host.state.write_slots.available_permits() < host.slots {
            assert!(started.elapsed() < Duration::from_secs(10), "slot kept");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let status = host.follow("alice", "person0").await.expect("follow");
        assert_eq!(status, 200, "alice is made again from her token");
        // The request whose client hung up is counted, as nginx would log it.
        let metrics = host.state.metrics.render(0);
        assert!(
            metrics
                .contains("widget_host_requests_total{route=\"/api/users/{id}\",status=\"499\"} 1"),
            "{metrics}"
        );
        host.stop().await;
    }

    /// The settings and the wrapper `serve` gives every connection, over an in-memory
    /// stream whose far end asks for a large answer and then stops reading.
    #[tokio::test(start_paused = true)]
    async fn a_client_that_stops_reading_the_answer_loses_its_connection() {
        let limits = Limits {
            request_timeout_secs: 30,
            ..Limits::default()
        };
        let (server_side, mut client) = tokio::io::duplex(4096);
        let service = service_fn(|_req| async {
            Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from(
                vec![b'x'; 1 << 20],
            ))))
        });
        let connection = http_connection(server_side, service, &limits, LingerFlag::default());
        client
            .write_all(b"GET / HTTP/1.1\r\nhost: example\r\n\r\n")
            .await
            .expect("request");
        let started = tokio::time::Instant::now();
        let ended = tokio::time::timeout(Duration::from_secs(600), connection)
            .await
            .expect("the connection must end instead of waiting for the reader forever");
        assert!(ended.is_err(), "a cut-off answer ends in an error");
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(30) && waited < Duration::from_secs(31),
            "{waited:?}"
        );
        // What the client had room for arrived; then the stream ends.
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.expect("read");
        assert!(got.starts_with(b"HTTP/1.1 200 OK"));
        assert!(got.len() < 1 << 20);
    }
}
