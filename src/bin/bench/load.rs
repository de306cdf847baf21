//! The load generator: a fixed number of keep-alive HTTP/1.1 connections, each sending
//! its next request as soon as the previous answer is read (a closed loop), for a fixed
//! time. Raw tokio TCP keeps the client's own cost small and the same for every
//! server it drives, which is what makes the ratio to the baseline meaningful.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What one request asks for; latencies are kept per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Home,
    Filter,
    Search,
    Detail,
    Action,
    Baseline,
}

impl Kind {
    /// The kinds of the mixed workload, in the order the reports list them.
    pub const MIXED: [Kind; 5] = [
        Kind::Home,
        Kind::Filter,
        Kind::Search,
        Kind::Detail,
        Kind::Action,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Kind::Home => "home",
            Kind::Filter => "filter",
            Kind::Search => "search",
            Kind::Detail => "detail",
            Kind::Action => "action",
            Kind::Baseline => "hyper 2 KB",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One request of a run.
pub struct Request {
    pub kind: Kind,
    pub bytes: Vec<u8>,
    /// A JSON string the answer must hold to count as served: an action's outcome key,
    /// so that an action that changed nothing ("already following") is not counted as
    /// a durable action though its status is 200.
    pub says: Option<&'static str>,
}

impl Request {
    /// A request any 2xx answer serves.
    pub fn of(kind: Kind, bytes: Vec<u8>) -> Self {
        Self {
            kind,
            bytes,
            says: None,
        }
    }
}

/// Builds the bytes of the next request of a connection.
pub trait Requests: Send + Sync + 'static {
    /// The next request of connection `worker` (0-based, below the run's concurrency).
    fn next(&self, worker: usize, rng: &mut StdRng) -> Request;
}

/// The error "status" of a 2xx answer that did not say what the request asked for
/// (see [`Request::says`]); 0 is a connection that failed.
pub const NOT_AS_ASKED: u16 = 1;

/// Latencies of one run, per kind, in microseconds.
#[derive(Debug, Default, Clone)]
pub struct Samples {
    pub by_kind: [Vec<u32>; 6],
    pub errors: u64,
    /// Errors by HTTP status (0: the connection failed; [`NOT_AS_ASKED`]: an answer
    /// that did not say what was asked), so a refusal the rules meant (a 409 across a
    /// block, a 400 for following oneself) reads apart from a failure.
    pub error_statuses: std::collections::BTreeMap<u16, u64>,
    pub elapsed: Duration,
}

/// Throughput and latency of one kind in one run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl Samples {
    fn merge(&mut self, other: Samples) {
        for (mine, theirs) in self.by_kind.iter_mut().zip(other.by_kind) {
            mine.extend(theirs);
        }
        self.errors += other.errors;
        for (status, n) in other.error_statuses {
            *self.error_statuses.entry(status).or_default() += n;
        }
    }

    /// Two runs of one point as one: their answers pooled and their times added, so
    /// the rate is theirs over both runs' time and the percentiles are of both.
    pub fn joined(mut self, later: Samples) -> Samples {
        self.elapsed += later.elapsed;
        self.merge(later);
        self
    }

    pub fn failed(&mut self, status: u16) {
        self.errors += 1;
        *self.error_statuses.entry(status).or_default() += 1;
    }

    /// The error count with its statuses, e.g. `2 (409: 2)`.
    pub fn errors_label(&self) -> String {
        if self.errors == 0 {
            return "0".to_owned();
        }
        let by: Vec<String> = self
            .error_statuses
            .iter()
            .map(|(status, n)| match status {
                0 => format!("connection: {n}"),
                &NOT_AS_ASKED => format!("not as asked: {n}"),
                s => format!("{s}: {n}"),
            })
            .collect();
        format!("{} ({})", self.errors, by.join(", "))
    }

    pub fn stats(&self, kind: Kind) -> Stats {
        let mut v = self.by_kind[kind.index()].clone();
        stats_of(&mut v, self.elapsed)
    }

    /// How many answers were served, all kinds together (errors are not samples).
    pub fn served(&self) -> usize {
        self.by_kind.iter().map(Vec::len).sum()
    }

    /// All kinds together.
    pub fn total(&self) -> Stats {
        let mut v: Vec<u32> = self.by_kind.iter().flatten().copied().collect();
        stats_of(&mut v, self.elapsed)
    }
}

/// Percentiles of latencies in microseconds over a run of `elapsed`.
pub fn stats_of(v: &mut [u32], elapsed: Duration) -> Stats {
    if v.is_empty() {
        return Stats::default();
    }
    v.sort_unstable();
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize] as f64 / 1000.0;
    Stats {
        per_sec: v.len() as f64 / elapsed.as_secs_f64().max(1e-9),
        p50_ms: at(0.50),
        p99_ms: at(0.99),
    }
}

/// One keep-alive connection that reads whole answers (content-length or chunked).
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Whether `body` holds the JSON string `text` whole: `"text"`, not a longer string
/// that begins or ends with it (`you-are-not-following-this-user` is the start of
/// `you-are-not-following-this-user-anymore`).
fn says(body: &[u8], text: &str) -> bool {
    let text = text.as_bytes();
    body.windows(text.len() + 2)
        .any(|w| w[0] == b'"' && w[w.len() - 1] == b'"' && &w[1..w.len() - 1] == text)
}

fn bad(msg: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.to_owned())
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(64 * 1024),
        })
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(bad("connection closed"));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    async fn need(&mut self, n: usize) -> std::io::Result<()> {
        while self.buf.len() < n {
            self.fill().await?;
        }
        Ok(())
    }

    /// Sends `request` and reads the whole answer: (status, body bytes).
    pub async fn send(&mut self, request: &[u8]) -> std::io::Result<(u16, usize)> {
        let (status, bytes, _) = self.send_for(request, None).await?;
        Ok((status, bytes))
    }

    /// Sends `request` and reads the whole answer: (status, body bytes, whether the
    /// body holds the JSON string `wanted`, true when there is none to look for).
    pub async fn send_for(
        &mut self,
        request: &[u8],
        wanted: Option<&str>,
    ) -> std::io::Result<(u16, usize, bool)> {
        self.stream.write_all(request).await?;
        let head_end = loop {
            if let Some(at) = find(&self.buf, b"\r\n\r\n") {
                break at;
            }
            self.fill().await?;
        };
        let head = std::str::from_utf8(&self.buf[..head_end]).map_err(|_| bad("head"))?;
        let status: u16 = head
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("status line"))?;
        let mut length = None;
        let mut chunked = false;
        for line in head.split("\r\n").skip(1) {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            }
        }
        self.buf.drain(..head_end + 4);
        // A chunked body is kept whole only where it is to be read.
        let mut kept = Vec::new();
        let mut said = wanted.is_none();
        let body = if chunked {
            let mut total = 0;
            loop {
                let line_end = loop {
                    if let Some(at) = find(&self.buf, b"\r\n") {
                        break at;
                    }
                    self.fill().await?;
                };
                let size_text =
                    std::str::from_utf8(&self.buf[..line_end]).map_err(|_| bad("chunk"))?;
                let size =
                    usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                        .map_err(|_| bad("chunk size"))?;
                // A size near usize::MAX from a broken answer is an error, not a wrap.
                let end = size
                    .checked_add(line_end + 4)
                    .ok_or_else(|| bad("chunk size"))?;
                self.need(end).await?;
                if wanted.is_some() {
                    kept.extend_from_slice(&self.buf[line_end + 2..line_end + 2 + size]);
                }
                self.buf.drain(..end);
                total += size;
                if size == 0 {
                    if let Some(text) = wanted {
                        said = says(&kept, text);
                    }
                    break total;
                }
            }
        } else {
            // Without a length or chunks the body runs to the connection's close, which
            // a keep-alive client cannot tell from the next answer: only answers that
            // have no body may leave both out.
            let n = match length {
                Some(n) => n,
                None if status == 204 || status == 304 || status < 200 => 0,
                None => return Err(bad("an answer with neither a length nor chunks")),
            };
            self.need(n).await?;
            if let Some(text) = wanted {
                said = says(&self.buf[..n], text);
            }
            self.buf.drain(..n);
            n
        };
        Ok((status, body, said))
    }
}

/// How long one answer may take before it counts as failed (status 0) and its
/// connection is replaced: a hung answer must not hang the run, nor stretch its window.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether an answer counts as served. Only 2xx: a 303 or a 304 is not the page or the
/// outcome the workload asked for.
pub fn served(status: u16) -> bool {
    (200..300).contains(&status)
}

/// Runs `concurrency` connections against `addr` for `duration`. The connections are
/// open before the clock starts, so connecting is not part of the measured window.
pub async fn run(
    addr: SocketAddr,
    requests: Arc<dyn Requests>,
    concurrency: usize,
    duration: Duration,
    seed: u64,
) -> Samples {
    run_with_timeout(addr, requests, concurrency, duration, seed, ANSWER_TIMEOUT).await
}

async fn run_with_timeout(
    addr: SocketAddr,
    requests: Arc<dyn Requests>,
    concurrency: usize,
    duration: Duration,
    seed: u64,
    answer_timeout: Duration,
) -> Samples {
    let mut all = Samples::default();
    let mut conns = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        match Conn::open(addr).await {
            Ok(c) => conns.push(c),
            Err(_) => all.failed(0),
        }
    }
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::with_capacity(concurrency);
    for (worker, mut conn) in conns.into_iter().enumerate() {
        let requests = Arc::clone(&requests);
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed ^ (worker as u64).wrapping_mul(0x9E37_79B9));
            let mut samples = Samples::default();
            while Instant::now() < deadline {
                let request = requests.next(worker, &mut rng);
                let sent = Instant::now();
                let answer = conn.send_for(&request.bytes, request.says);
                match tokio::time::timeout(answer_timeout, answer).await {
                    Ok(Ok((status, _, true))) if served(status) => {
                        let us = sent.elapsed().as_micros().min(u32::MAX as u128) as u32;
                        samples.by_kind[request.kind.index()].push(us);
                    }
                    Ok(Ok((status, _, false))) if served(status) => samples.failed(NOT_AS_ASKED),
                    Ok(Ok((status, _, _))) => samples.failed(status),
                    // A broken or timed-out answer leaves the stream mid-answer.
                    Ok(Err(_)) | Err(_) => {
                        samples.failed(0);
                        match Conn::open(addr).await {
                            Ok(c) => conn = c,
                            Err(_) => return samples,
                        }
                    }
                }
            }
            samples
        }));
    }
    for task in tasks {
        match task.await {
            Ok(s) => all.merge(s),
            // A worker that panicked lost its samples: at least it is not a success.
            Err(_) => all.failed(0),
        }
    }
    all.elapsed = start.elapsed();
    all
}

/// Picks an index with probability proportional to its weight (cumulative table).
pub struct Weighted {
    cumulative: Vec<u64>,
}

impl Weighted {
    pub fn new(weights: impl IntoIterator<Item = u64>) -> Self {
        let mut sum = 0u64;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                sum += w;
                sum
            })
            .collect();
        Self { cumulative }
    }

    pub fn pick(&self, rng: &mut StdRng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0);
        if total == 0 {
            return 0;
        }
        let x = rng.random_range(0..total);
        self.cumulative.partition_point(|&c| c <= x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_read_off_the_sorted_latencies() {
        // 1..=100 ms, unsorted, over half a second.
        let mut v: Vec<u32> = (1..=100).rev().map(|ms| ms * 1000).collect();
        let s = stats_of(&mut v, Duration::from_millis(500));
        assert_eq!(s.per_sec, 200.0);
        assert_eq!(s.p50_ms, 51.0);
        assert_eq!(s.p99_ms, 99.0);
        let none = stats_of(&mut [], Duration::from_secs(1));
        assert_eq!((none.per_sec, none.p99_ms), (0.0, 0.0));
    }

    #[test]
    fn errors_read_by_status_and_add_up_across_connections() {
        let mut all = Samples::default();
        assert_eq!(all.errors_label(), "0");
        all.failed(409);
        all.by_kind[Kind::Home.index()].push(800);
        let mut other = Samples::default();
        other.failed(409);
        other.failed(0);
        other.by_kind[Kind::Home.index()].push(900);
        other.failed(NOT_AS_ASKED);
        all.merge(other);
        assert_eq!(all.errors, 4);
        assert_eq!(
            all.errors_label(),
            "4 (connection: 1, not as asked: 1, 409: 2)"
        );
        assert_eq!(all.by_kind[Kind::Home.index()], [800, 900]);
    }

    #[test]
    fn two_runs_joined_are_one_over_both_times() {
        let run = |ms: &[u32], secs: u64, status: u16| {
            let mut s = Samples {
                elapsed: Duration::from_secs(secs),
                ..Samples::default()
            };
            s.by_kind[Kind::Baseline.index()].extend(ms.iter().map(|m| m * 1000));
            s.failed(status);
            s
        };
        // 4 answers in 1 s, then 2 in 1 s: 3 a second over both, not 4 or 2.
        let both = run(&[1, 1, 1, 2], 1, 503).joined(run(&[9, 9], 1, 0));
        let s = both.total();
        assert_eq!(s.per_sec, 3.0);
        assert_eq!((s.p50_ms, s.p99_ms), (2.0, 9.0));
        assert_eq!(both.errors_label(), "2 (connection: 1, 503: 1)");
    }

    /// Answers each connection's requests with `answers`, one per request read.
    async fn canned(answers: Vec<&'static [u8]>) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            // One connection only: a client that reconnects is refused.
            drop(listener);
            let mut buf = [0u8; 1024];
            for answer in answers {
                if stream.read(&mut buf).await.unwrap_or(0) == 0 {
                    return;
                }
                if stream.write_all(answer).await.is_err() {
                    return;
                }
            }
            // Hold the connection open, reading on and answering nothing more.
            while stream.read(&mut buf).await.unwrap_or(0) > 0 {}
        });
        addr
    }

    #[tokio::test]
    async fn answers_are_read_whole_and_broken_ones_are_errors() {
        let addr = canned(vec![
            b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n\r\nto the close",
        ])
        .await;
        let mut conn = Conn::open(addr).await.expect("open");
        let get = b"GET / HTTP/1.1\r\n\r\n";
        assert_eq!(conn.send(get).await.expect("length"), (200, 5));
        assert_eq!(conn.send(get).await.expect("chunked"), (200, 5));
        assert_eq!(conn.send(get).await.expect("no body"), (204, 0));
        let no_length = conn.send(get).await.expect_err("neither length nor chunks");
        assert!(no_length.to_string().contains("neither"), "{no_length}");

        let addr = canned(vec![
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nffffffffffffffff\r\n",
        ])
        .await;
        let mut conn = Conn::open(addr).await.expect("open");
        let huge = conn.send(get).await.expect_err("a chunk size that wraps");
        assert!(huge.to_string().contains("chunk size"), "{huge}");
    }

    /// Only 2xx is served; a redirect or a refusal is counted, by status, as an error,
    /// and so is an answer that never comes.
    #[tokio::test]
    async fn a_run_counts_only_2xx_and_gives_up_on_a_hung_answer() {
        assert!(served(200) && served(204));
        assert!(!served(303) && !served(304) && !served(409) && !served(500));

        struct Get;
        impl Requests for Get {
            fn next(&self, _: usize, _: &mut StdRng) -> Request {
                Request::of(Kind::Home, b"GET / HTTP/1.1\r\n\r\n".to_vec())
            }
        }
        let addr = canned(vec![
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 303 See Other\r\ncontent-length: 0\r\n\r\n",
        ])
        .await;
        // One connection: 200, then 303, then no answer at all. The run lasts past
        // the timeout, and the reconnection finds no listener left.
        let timeout = Duration::from_millis(200);
        let started = std::time::Instant::now();
        let run = run_with_timeout(addr, Arc::new(Get), 1, timeout * 2, 0, timeout);
        let s = tokio::time::timeout(Duration::from_secs(10), run)
            .await
            .expect("the run gives up on a hung answer");
        assert_eq!(s.by_kind[Kind::Home.index()].len(), 1);
        assert_eq!(s.errors_label(), "2 (connection: 1, 303: 1)");
        // The third answer never came: the run gave up on it at the timeout, not later
        // and not at a closed connection.
        let took = started.elapsed();
        assert!(took >= timeout && took < timeout * 10, "{took:?}");
    }

    /// An action answered 200 that changed nothing is no durable action: it counts as
    /// an error, and only the answer that says the outcome asked for is a sample.
    #[tokio::test]
    async fn an_answer_that_does_not_say_what_was_asked_is_an_error() {
        assert!(says(br#"{"message":"done"}"#, "done"));
        assert!(!says(br#"{"message":"done-twice"}"#, "done"));
        assert!(!says(br#"{"message":"not-done"}"#, "done"));

        struct Follow;
        impl Requests for Follow {
            fn next(&self, _: usize, _: &mut StdRng) -> Request {
                Request {
                    kind: Kind::Action,
                    bytes: b"POST /follow HTTP/1.1\r\ncontent-length: 0\r\n\r\n".to_vec(),
                    says: Some("you-are-now-following-this-user"),
                }
            }
        }
        let addr = canned(vec![
            b"HTTP/1.1 200 OK\r\ncontent-length: 45\r\n\r\n{\"message\":\"you-are-now-following-this-user\"}",
            b"HTTP/1.1 200 OK\r\ncontent-length: 49\r\n\r\n{\"message\":\"you-are-already-following-this-user\"}",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n17\r\n{\"message\":\"you-are-now\r\n16\r\n-following-this-user\"}\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n31\r\n{\"message\":\"you-are-already-following-this-user\"}\r\n0\r\n\r\n",
        ])
        .await;
        let timeout = Duration::from_millis(200);
        let run = run_with_timeout(addr, Arc::new(Follow), 1, timeout * 2, 0, timeout);
        let s = tokio::time::timeout(Duration::from_secs(10), run)
            .await
            .expect("the run ends");
        // The first and the third (its key split across two chunks) are samples; the
        // second and the fourth changed nothing; the fifth never came.
        assert_eq!(s.by_kind[Kind::Action.index()].len(), 2);
        assert_eq!(s.errors_label(), "3 (connection: 1, not as asked: 2)");
    }

    #[test]
    fn weighted_picks_follow_the_weights() {
        let weights = Weighted::new([70, 0, 20, 10]);
        let mut rng = StdRng::seed_from_u64(7);
        let mut counts = [0usize; 4];
        for _ in 0..100_000 {
            counts[weights.pick(&mut rng)] += 1;
        }
        assert_eq!(counts[1], 0, "a zero weight is never picked");
        for (i, share) in [(0, 0.70), (2, 0.20), (3, 0.10)] {
            let got = counts[i] as f64 / 100_000.0;
            assert!((got - share).abs() < 0.01, "index {i}: {got}");
        }
        assert_eq!(Weighted::new([]).pick(&mut rng), 0);
    }
}
