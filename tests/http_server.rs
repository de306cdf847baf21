//! The HTTP server's own duties: health, metrics, limits and graceful shutdown.

mod common;

use rustix::process::Signal;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A widget call the host itself refuses (here a form past the 64 KiB an action
/// takes, as a huge paste makes one) is worded in the person's language, the URL's
/// languageId first, then the browser's, as the widget's own refusals are.
#[tokio::test]
async fn the_hosts_own_refusal_of_a_widget_call_is_in_the_readers_language() {
    let server = common::start(|_, _| {}).await;
    let client = reqwest::Client::new();
    let languages = widget_host::i18n::Languages::builtin();
    let key = "the-request-is-too-large";
    for (query, lang, locale) in [
        ("", "fr-FR", "fr_FR"),
        ("?languageId=es_ES", "es-ES", "es_ES"),
    ] {
        let answer = client
            .post(server.url(&format!("/widgets/contacts_center/actions/follow{query}")))
            .header("accept", "text/html")
            .header("accept-language", "fr, en;q=0.5")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("note={}", "x".repeat(70_000)))
            .send()
            .await
            .expect("post");
        assert_eq!(answer.status(), 413);
        assert_eq!(answer.headers()["content-language"], lang);
        let page = answer.text().await.expect("page");
        assert!(
            page.contains(&format!(
                "<h1>{}</h1>",
                languages.get(locale, key).replace('\'', "&#x27;")
            )),
            "{page}"
        );
    }
}

/// The fragment's script waits 35 s past the host's configured request timeout for
/// an answer: a host allowed 90 s gives it 125 s, where a fixed 65 s gave up first.
#[tokio::test]
async fn the_fragments_script_waits_past_the_configured_request_timeout() {
    let server = common::start(|c, _| {
        common::with_consumer(c);
        c.limits.request_timeout_secs = 90;
    })
    .await;
    let fragment = reqwest::Client::new()
        .get(server.url("/widgets/contacts_center/render"))
        .bearer_auth(common::token("ann", &[]))
        .send()
        .await
        .expect("render")
        .text()
        .await
        .expect("fragment");
    assert!(
        fragment.contains("controller.abort();\n}, 125000);"),
        "{fragment}"
    );
    server.stop().await;
}

/// RFC 9112, section 3.2: an HTTP/1.1 request without a Host field, with two, or
/// with one that is no host gets 400; HTTP/1.0 may leave it out, and an empty one
/// stands for a target without an authority.
#[tokio::test]
async fn an_http_1_1_request_needs_exactly_one_valid_host() {
    let server = common::start(|_, _| {}).await;
    let status_of = |head: &'static str| raw_status(server.addr, head);
    for (head, status) in [
        ("GET /healthz HTTP/1.1\r\nconnection: close\r\n\r\n", "400"),
        (
            "GET /healthz HTTP/1.1\r\nhost: a\r\nhost: b\r\nconnection: close\r\n\r\n",
            "400",
        ),
        (
            "GET /healthz HTTP/1.1\r\nhost: a b\r\nconnection: close\r\n\r\n",
            "400",
        ),
        (
            "GET /healthz HTTP/1.1\r\nhost: user@portal.example\r\nconnection: close\r\n\r\n",
            "400",
        ),
        (
            "GET /healthz HTTP/1.1\r\nhost: portal.example:http\r\nconnection: close\r\n\r\n",
            "400",
        ),
        (
            "GET /healthz HTTP/1.1\r\nhost: widget_host:8080\r\nconnection: close\r\n\r\n",
            "200",
        ),
        (
            "GET /healthz HTTP/1.1\r\nhost: portal.example:8080\r\nconnection: close\r\n\r\n",
            "200",
        ),
        (
            "GET /healthz HTTP/1.1\r\nhost:\r\nconnection: close\r\n\r\n",
            "200",
        ),
        ("GET /healthz HTTP/1.0\r\n\r\n", "200"),
    ] {
        assert_eq!(status_of(head).await, status, "{head:?}");
    }
    server.stop().await;
}

/// The status of the answer to `head`, sent as it is over a connection of its own:
/// what a client library would not send (two Host fields, a doubled slash).
async fn raw_status(address: std::net::SocketAddr, head: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    answer.split(' ').nth(1).unwrap_or_default().to_owned()
}

/// A path is routed as it was sent: `//metrics` is no route, where a proxy that keeps
/// `/metrics` and `/wsrp` to its own network would pass it on as another path.
#[tokio::test]
async fn a_doubled_leading_slash_reaches_no_route() {
    let server = common::start(|_, _| {}).await;
    for (request, status) in [
        ("GET /metrics", "200"),
        ("GET //metrics", "404"),
        ("GET ///readyz", "404"),
        ("GET //healthz", "404"),
        ("GET //widgets", "404"),
        ("POST //wsrp/v2/registration", "404"),
    ] {
        let head = format!(
            "{request} HTTP/1.1\r\nhost: a\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        );
        assert_eq!(raw_status(server.addr, &head).await, status, "{request}");
    }
    server.stop().await;
}

#[tokio::test]
async fn health_metrics_and_unknown_routes() {
    let server = common::start(|_, _| {}).await;
    let client = reqwest::Client::new();
    let health = client
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    // How things stand now is never kept by a cache, nor is a refusal: a 404 would
    // outlive the widget deployed a moment later.
    assert_eq!(health.headers()["cache-control"], "no-store");
    let missing = client
        .get(server.url("/nowhere"))
        .send()
        .await
        .expect("404");
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["cache-control"], "no-store");
    let body: serde_json::Value = missing.json().await.expect("json error body");
    assert_eq!(body["ok"], false);
    assert_eq!(body["message"], "not-found");
    // A known path with a method it does not take: 405, naming the ones it does.
    for (method, path, allow) in [
        (reqwest::Method::POST, "/healthz", "GET, HEAD"),
        (
            reqwest::Method::POST,
            "/api/openapi.json",
            "GET, HEAD, OPTIONS",
        ),
        (reqwest::Method::POST, "/wsrp/v2/wsdl", "GET, HEAD"),
        (reqwest::Method::GET, "/wsrp/v2/markup", "POST"),
        (
            reqwest::Method::DELETE,
            "/widgets/contacts_center/render",
            "GET, HEAD, OPTIONS",
        ),
        (
            reqwest::Method::GET,
            "/widgets/contacts_center/actions/follow",
            "POST, OPTIONS",
        ),
        (
            reqwest::Method::GET,
            "/api/users/alice",
            "PUT, DELETE, OPTIONS",
        ),
        (reqwest::Method::GET, "/api/backup", "POST, OPTIONS"),
    ] {
        let answer = client
            .request(method.clone(), server.url(path))
            .send()
            .await
            .expect("send");
        assert_eq!(answer.status(), 405, "{method} {path}");
        assert_eq!(
            answer.headers().get("allow").and_then(|v| v.to_str().ok()),
            Some(allow),
            "{method} {path}"
        );
    }
    // HEAD is answered as GET, without the body (RFC 9110, section 9.3.2).
    for path in ["/healthz", "/wsrp/v2/wsdl", "/api/openapi.json"] {
        let got = client.get(server.url(path)).send().await.expect("get");
        let head = client.head(server.url(path)).send().await.expect("head");
        assert_eq!(head.status(), 200, "HEAD {path}");
        let length = |r: &reqwest::Response| r.headers().get("content-length").cloned();
        assert_eq!(length(&head), length(&got), "HEAD {path}");
        assert_eq!(
            head.headers().get("content-type"),
            got.headers().get("content-type"),
            "HEAD {path}"
        );
        assert!(head.bytes().await.expect("body").is_empty(), "HEAD {path}");
    }
    let ready = client
        .get(server.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.headers()["cache-control"], "no-store");
    let metrics = common::metrics_text(&server).await;
    common::exposition(&metrics);
    assert!(
        metrics.contains("widget_host_requests_total{route=\"/readyz\",status=\"200\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("widget_host_requests_total{route=\"not-found\",status=\"404\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("widget_host_request_duration_seconds_count{route=\"/healthz\"}"),
        "{metrics}"
    );
    let answer = client
        .get(server.url("/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(answer.headers()["cache-control"], "no-store");
    // The text format's own type, as Prometheus asks for it.
    assert_eq!(
        answer.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    server.stop().await;
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let server = common::start(|c, _| c.limits.max_body_bytes = 1024).await;
    let client = reqwest::Client::new();
    // A known action: an unknown one is 404 whatever its body.
    let url = server.url("/widgets/contacts_center/actions/connect");
    // Declared too large: refused before reading.
    let declared = client
        .post(&url)
        .body(vec![b'a'; 4096])
        .send()
        .await
        .expect("post");
    assert_eq!(declared.status(), 413);
    // Its body unread, the answer is the connection's last, and says so.
    assert_eq!(declared.headers()["connection"], "close");
    // Chunked (no length): refused once the limit is crossed.
    let chunk = "a".repeat(600);
    let request = format!(
        "POST /widgets/contacts_center/actions/connect HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n258\r\n{chunk}\r\n258\r\n{chunk}\r\n0\r\n\r\n"
    );
    let (chunked, _) = raw_exchange(server.addr, request.into_bytes()).await;
    assert!(chunked.starts_with("HTTP/1.1 413"), "{chunked}");
    // Within the limit: read, then routed (no credentials here).
    let small = client
        .post(&url)
        .body(vec![b'a'; 100])
        .send()
        .await
        .expect("post small");
    assert_eq!(small.status(), 403);
    assert_eq!(
        small.headers().get("connection"),
        None,
        "read, it keeps alive"
    );
    server.stop().await;

    // Actions take 64 KiB at most, whatever the general limit: anyone may send one.
    let server = common::start(|_, _| {}).await;
    let url = server.url("/widgets/contacts_center/actions/connect");
    for (bytes, status) in [(64 * 1024, 403), (64 * 1024 + 1, 413)] {
        let answer = client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(vec![b'a'; bytes])
            .send()
            .await
            .expect("post");
        assert_eq!(answer.status(), status, "{bytes} bytes");
    }
    server.stop().await;
}

/// A body in a transfer coding other than chunked is refused unread with 501, where
/// hyper would hand on its bytes still coded; chunked alone is read as before.
#[tokio::test]
async fn a_transfer_coding_other_than_chunked_gets_501() {
    let server = common::start(|_, _| {}).await;
    let post = |coding: &str| {
        format!(
            "POST /widgets/contacts_center/actions/connect HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ntransfer-encoding: {coding}\r\nconnection: close\r\n\r\n3\r\na=b\r\n0\r\n\r\n"
        )
        .into_bytes()
    };
    for coding in ["gzip, chunked", "GZIP,chunked", "deflate , chunked"] {
        let (answer, _) = raw_exchange(server.addr, post(coding)).await;
        assert!(answer.starts_with("HTTP/1.1 501"), "{coding}: {answer}");
        assert!(
            answer.contains("\"message\":\"not-implemented\""),
            "{answer}"
        );
        assert!(answer.contains("\r\nconnection: close\r\n"), "{answer}");
    }
    // Read, then routed: no credentials here.
    for coding in ["chunked", "Chunked"] {
        let (answer, _) = raw_exchange(server.addr, post(coding)).await;
        assert!(answer.starts_with("HTTP/1.1 403"), "{coding}: {answer}");
    }
    server.stop().await;
}

/// What a client that writes the whole of `request` before it reads anything (after
/// `pause` connected) reads back, until the host closes.
async fn sent_whole_then_read(
    addr: std::net::SocketAddr,
    request: Vec<u8>,
    pause: Duration,
) -> std::io::Result<String> {
    tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        std::thread::sleep(pause);
        s.write_all(&request)?;
        let mut answer = String::new();
        s.read_to_string(&mut answer)?;
        Ok(answer)
    })
    .await
    .expect("client")
}

/// A POST of `bytes` of body to an action of a widget that does not exist.
fn big_post(bytes: usize) -> Vec<u8> {
    let mut request = format!(
        "POST /widgets/contacts_center/actions/connect HTTP/1.1\r\nhost: x\r\ncontent-length: {bytes}\r\n\r\n"
    )
    .into_bytes();
    request.resize(request.len() + bytes, b'a');
    request
}

/// A client that sends its whole body before it reads the answer (as Python's
/// `http.client` does) still reads the 413: the host keeps taking, and dropping, the
/// rest of the body after answering, instead of closing on it with a reset.
#[tokio::test]
async fn a_client_that_sends_its_whole_body_first_reads_the_413() {
    let server = common::start(|c, _| c.limits.max_body_bytes = 1024).await;
    let outcome = sent_whole_then_read(server.addr, big_post(16 << 20), Duration::ZERO).await;
    let answer = outcome.expect("the whole body was taken and the answer read");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn headers_over_the_limit_are_refused() {
    let server = common::start(|c, _| c.limits.max_header_bytes = 8192).await;
    let client = reqwest::Client::new();
    let huge = "x".repeat(64 * 1024);
    let response = client
        .get(server.url("/healthz"))
        .header("x-big", huge)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 431);
    // A head hyper cannot parse gets its 400 from hyper too.
    let (answer, _) = raw_exchange(server.addr, b"NOT AN HTTP REQUEST\r\n\r\n".to_vec()).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    // Neither reached the router: /metrics counts them by why hyper ended them (each
    // once its connection's task has ended).
    let wanted = [
        "widget_host_connections_ended_total{reason=\"head-too-large\"} 1",
        "widget_host_connections_ended_total{reason=\"malformed-head\"} 1",
    ];
    let metrics = metrics_once(&server, |metrics| {
        wanted
            .iter()
            .all(|line| metrics.lines().any(|l| l == *line))
    })
    .await;
    for line in wanted {
        assert!(metrics.lines().any(|l| l == line), "{line} in {metrics}");
    }
    server.stop().await;
}

/// `/metrics` once `done` holds of it, or after two seconds as it is then: a
/// connection's end is counted when its task has ended, a moment after the client's.
async fn metrics_once(server: &common::TestServer, done: impl Fn(&str) -> bool) -> String {
    let mut metrics = String::new();
    // Up to 20 s: only a failure waits that long.
    for _ in 0..400 {
        metrics = common::metrics_text(server).await;
        if done(&metrics) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    metrics
}

/// What a raw connection that sends `bytes` and then waits reads back before the host
/// closes it (10 s at most), and how long that took.
async fn raw_exchange(addr: std::net::SocketAddr, bytes: Vec<u8>) -> (String, Duration) {
    tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        stream.write_all(&bytes).expect("write");
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        (
            String::from_utf8_lossy(&answer).into_owned(),
            started.elapsed(),
        )
    })
    .await
    .expect("client")
}

/// The README's other two limits on a head: at most 100 fields (431 past them), and
/// a head that never ends is dropped after `request_timeout_secs`, counted in
/// /metrics as `head-timeout`.
#[tokio::test]
async fn a_head_of_too_many_fields_or_that_never_ends_is_refused() {
    // Three seconds: told apart from a fixed limit under the client's own 10 s (the
    // 2 s a refused connection is given) and from hyper's default 30 s.
    let server = common::start(|c, _| c.limits.request_timeout_secs = 3).await;
    let head = |fields: usize| {
        let mut head = String::from("GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n");
        for i in 2..fields {
            head.push_str(&format!("x-field-{i}: 1\r\n"));
        }
        head.push_str("\r\n");
        head.into_bytes()
    };
    let (answer, _) = raw_exchange(server.addr, head(100)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "100 fields: {answer}");
    let (answer, _) = raw_exchange(server.addr, head(101)).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "101 fields: {answer}");

    let (answer, took) = raw_exchange(
        server.addr,
        b"GET /healthz HTTP/1.1\r\nhost: x\r\n".to_vec(),
    )
    .await;
    // Dropped, or told so: nothing else, and at the timeout, not before it nor at
    // the client's own give-up (10 s).
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    assert!(
        took >= Duration::from_millis(2_800) && took < Duration::from_secs(7),
        "closed after {took:?}"
    );
    let counted = |metrics: &str| {
        metrics.lines().any(|l| {
            l.strip_prefix("widget_host_connections_ended_total{reason=\"head-timeout\"} ")
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|n| n >= 1)
        })
    };
    let metrics = metrics_once(&server, counted).await;
    assert!(
        counted(&metrics),
        "the head that never ended is counted: {metrics}"
    );
    server.stop().await;
}

/// A client that sends a whole head over the limit before it reads (16 MiB of one
/// header) still reads the 431: the host drains what is left of the head after
/// answering, instead of closing on unread bytes with a reset.
#[tokio::test]
async fn a_client_that_sends_a_huge_head_first_reads_the_431() {
    let server = common::start(|c, _| c.limits.max_header_bytes = 8192).await;
    let mut head = b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ".to_vec();
    head.extend(std::iter::repeat_n(b'x', 16 << 20));
    head.extend_from_slice(b"\r\n\r\n");
    let outcome = sent_whole_then_read(server.addr, head, Duration::ZERO).await;
    let answer = outcome.expect("the whole head was taken and the answer read");
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    server.stop().await;
}

/// A connection over the limit whose client sends a whole request (with a body larger
/// than the socket buffers) before it reads still reads the 503.
#[tokio::test]
async fn a_refused_connection_that_sends_first_reads_the_503() {
    let server = common::start(|c, _| c.limits.max_connections = 1).await;
    let addr = server.addr;
    // The one place is held by a request in the middle of its body.
    let held = tokio::task::spawn_blocking(move || busy_connection(addr))
        .await
        .expect("client");
    // At once, and after a pause in which the host has answered already.
    for pause in [Duration::ZERO, Duration::from_millis(300)] {
        let answer = sent_whole_then_read(addr, big_post(4 << 20), pause)
            .await
            .expect("the request was taken and the answer read");
        assert!(answer.starts_with("HTTP/1.1 503"), "{pause:?}: {answer}");
    }
    drop(held);
    server.stop().await;
}

/// A connection holding a place in the middle of a request: an action whose body is
/// still coming, so no answer comes. A connection refused (the test host's own
/// readiness check may still hold a place for a moment) is tried again.
fn busy_connection(addr: std::net::SocketAddr) -> TcpStream {
    for _ in 0..100 {
        let mut s = TcpStream::connect(addr).expect("connect");
        s.write_all(
            b"POST /widgets/contacts_center/actions/follow HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 100\r\n\r\nabc",
        )
        .expect("write");
        // Long enough that a refusal still on its way on a busy machine is not taken
        // for a held place (a refusal comes in milliseconds; only a held place waits).
        s.set_read_timeout(Some(Duration::from_secs(3)))
            .expect("timeout");
        let mut buf = [0u8; 64];
        match s.read(&mut buf) {
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return s;
            }
            _ => {
                BUSY_REFUSED.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
    panic!("no place came free for a request");
}

/// Connections [`busy_connection`] saw refused and tried again, which the host counts.
static BUSY_REFUSED: AtomicU64 = AtomicU64::new(0);

#[tokio::test]
async fn connections_beyond_the_limit_are_refused_cleanly() {
    let server = common::start(|c, _| {
        c.limits.max_connections = 2;
        common::with_consumer(c);
    })
    .await;
    let addr = server.addr;
    let held = tokio::task::spawn_blocking(move || {
        // Two connections hold the two places, each in the middle of a request.
        let mut held = vec![busy_connection(addr), busy_connection(addr)];
        // The third gets a 503 and is closed.
        let past_the_limit = |request: &str| {
            let mut third = TcpStream::connect(addr).expect("connect past the limit");
            third
                .set_read_timeout(Some(Duration::from_secs(5)))
                .expect("timeout");
            third.write_all(request.as_bytes()).expect("write");
            let mut answer = String::new();
            third.read_to_string(&mut answer).expect("read until close");
            answer
        };
        // One that sends nothing gets it too, once the host stops waiting for a head.
        let silent = past_the_limit("");
        assert!(silent.starts_with("HTTP/1.1 503"), "{silent}");
        // Marked as every other refusal is: not kept by a cache, not sniffed.
        for header in ["cache-control: no-store\r\n", "x-content-type-options: nosniff\r\n"] {
            assert!(silent.contains(header), "{silent}");
        }
        let answer = past_the_limit("GET /widgets HTTP/1.1\r\nhost: x\r\n\r\n");
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
        assert!(answer.contains("connection: close"), "{answer}");
        assert!(answer.contains("retry-after"), "{answer}");
        // The key and text every refusal has, in a body as long as it says.
        let (head, body) = answer.split_once("\r\n\r\n").expect("head and body");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{answer}"
        );
        let refusal: serde_json::Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(refusal["message"], "too-many-connections", "{answer}");
        // A portal page's script reads it (and its Retry-After) as it reads any other
        // answer: an allowed origin is named, as everywhere.
        let names_portal = format!("access-control-allow-origin: {}\r\n", common::PORTAL_ORIGIN);
        let cross = past_the_limit(&format!(
            "GET /widgets HTTP/1.1\r\nhost: x\r\norigin: {}\r\n\r\n",
            common::PORTAL_ORIGIN
        ));
        assert!(cross.starts_with("HTTP/1.1 503"), "{cross}");
        assert!(cross.contains(&names_portal), "{cross}");
        assert!(cross.contains("x-content-type-options: nosniff"), "{cross}");
        // Retry-After is not a header a script may read unless it is exposed.
        assert!(
            cross.contains("access-control-expose-headers: Retry-After\r\n"),
            "{cross}"
        );
        // Another origin, or none, is named nowhere.
        let stranger = past_the_limit(
            "GET /widgets HTTP/1.1\r\nhost: x\r\norigin: https://evil.test\r\n\r\n",
        );
        assert!(stranger.starts_with("HTTP/1.1 503"), "{stranger}");
        for refused in [&stranger, &answer] {
            assert!(!refused.contains("access-control-"), "{refused}");
        }
        // Its preflight is answered, or the browser would never send the call.
        let preflight = past_the_limit(&format!(
            "OPTIONS /widgets/contacts_center/resources/contacts HTTP/1.1\r\nhost: x\r\norigin: {}\r\naccess-control-request-method: GET\r\naccess-control-request-headers: authorization\r\n\r\n",
            common::PORTAL_ORIGIN
        ));
        assert!(preflight.starts_with("HTTP/1.1 204"), "{preflight}");
        assert!(
            preflight.contains(&names_portal)
                && preflight.contains("access-control-allow-headers: Authorization"),
            "{preflight}"
        );
        // A supervisor's probes still get their answers: a host that is only busy is
        // neither restarted nor taken out of its balancer for it.
        let alive = past_the_limit("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n");
        assert!(alive.starts_with("HTTP/1.1 200"), "{alive}");
        assert!(alive.ends_with("\r\n\r\nok\n"), "{alive}");
        let ready = past_the_limit("GET /readyz HTTP/1.1\r\nhost: x\r\n\r\n");
        assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
        assert!(ready.contains(r#""status":"ready""#), "{ready}");
        // And a scraper: a host that is full is when its metrics matter, and a scrape
        // refused would read as the host being down. The refusals so far are counted.
        let scraped = past_the_limit("GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n");
        assert!(scraped.starts_with("HTTP/1.1 200"), "{scraped}");
        let (_, text) = scraped.split_once("\r\n\r\n").expect("head and body");
        let refused = common::exposition(text)["widget_host_connections_refused_total"];
        assert!(refused >= 7.0, "{text}");
        // An action sent whole to a connection past the limit reads its 503, not a
        // reset over it.
        let action = past_the_limit(
            "POST /widgets/contacts_center/actions/follow HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 5\r\n\r\nabcde",
        );
        assert!(action.starts_with("HTTP/1.1 503"), "{action}");
        // The same form from a person's browser, without the script: the busy page in
        // their language, to read and come back from, not the JSON a script reads.
        let from_a_browser = past_the_limit(
            "POST /widgets/contacts_center/actions/follow HTTP/1.1\r\nhost: x\r\naccept: text/html\r\naccept-language: de-DE\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 5\r\n\r\nabcde",
        );
        assert!(from_a_browser.starts_with("HTTP/1.1 503"), "{from_a_browser}");
        let busy = widget_host::i18n::Languages::shared()
            .get("de_DE", "the-server-is-busy-please-try-again-shortly");
        for part in [
            "content-type: text/html",
            "retry-after: 1",
            "<html lang=\"de-DE\">",
            &format!("<h1>{busy}</h1>"),
        ] {
            assert!(from_a_browser.contains(part), "{part}: {from_a_browser}");
        }
        // Freeing one lets a new connection in: a request past the limit would get a 503
        // (a probe would not tell, being answered either way). The host sees the freed
        // connection close a moment after the client does, so a few may still be
        // refused first; each counts.
        drop(held.pop());
        let freed = Instant::now();
        let mut refused_after = 0;
        loop {
            let answer = past_the_limit("GET /widgets HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
            if answer.starts_with("HTTP/1.1 200") {
                break;
            }
            assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
            refused_after += 1;
            assert!(freed.elapsed() < Duration::from_secs(10), "the place never came free");
            std::thread::sleep(Duration::from_millis(20));
        }
        (held, refused_after)
    })
    .await
    .expect("client thread");
    let (held, refused_after) = held;
    drop(held);
    let metrics = reqwest::get(server.url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    // The ten connections past the limit, those refused before the freed place showed,
    // and any `busy_connection` had to try again (tests run in parallel, so that count
    // may include another test's: it only loosens this).
    let refused: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("widget_host_connections_refused_total "))
        .and_then(|n| n.trim().parse().ok())
        .expect("the refusals counted");
    let refused_here = 10 + refused_after;
    assert!(
        (refused_here..=refused_here + BUSY_REFUSED.load(Ordering::Relaxed)).contains(&refused),
        "{metrics}"
    );
    server.stop().await;
}

/// SIGTERM stops accepting but finishes the request in flight, then exits 0.
#[test]
fn sigterm_drains_requests_in_flight() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, addr, mut in_flight, log) = host_with_half_a_request(dir.path());
    sigterm(&child);
    // New connections are no longer accepted: the listener is closed before the host
    // says it drains.
    said(&log, "shutting down: draining requests in flight");
    assert!(
        TcpStream::connect(&addr).is_err(),
        "listener must be closed after SIGTERM"
    );
    // The request in flight still gets its answer.
    in_flight.write_all(b"world").expect("write rest");
    in_flight
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut answer = String::new();
    let _ = in_flight.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 404"),
        "request in flight must complete: {answer:?}"
    );
    let exit = wait_with_timeout(&mut child, Duration::from_secs(10));
    assert_eq!(exit, Some(0), "server must exit cleanly after draining");
}

/// A second SIGTERM while a request drains stops the host at once, with status 130.
#[test]
fn a_second_sigterm_stops_the_host_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The drain would wait for the rest of the body until the request's timeout.
    let (mut child, _addr, in_flight, log) = host_with_half_a_request(dir.path());
    sigterm(&child);
    said(&log, "shutting down: draining requests in flight");
    assert_eq!(
        child.try_wait().expect("wait"),
        None,
        "the first signal drains"
    );
    sigterm(&child);
    let exit = wait_with_timeout(&mut child, Duration::from_secs(5));
    assert_eq!(exit, Some(130), "the second stops it");
    drop(in_flight);
}

/// A host process serving in `dir`, its address, a connection in the middle of a
/// request (its head and half its body sent), and the host's log lines from then on.
fn host_with_half_a_request(
    dir: &std::path::Path,
) -> (
    std::process::Child,
    String,
    TcpStream,
    std::sync::mpsc::Receiver<String>,
) {
    let mut child = spawn_host(dir, "--no-demo", true);
    let (addr, _, log) = serving_address_and_log(&mut child);
    let in_flight = half_a_request(&addr);
    (child, addr, in_flight, log)
}

/// Waits (10 s at most) for the host to log a line containing `text`.
fn said(log: &std::sync::mpsc::Receiver<String>, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let wait = deadline.saturating_duration_since(Instant::now());
        let line = log
            .recv_timeout(wait)
            .unwrap_or_else(|_| panic!("the host never said {text:?}"));
        if line.contains(text) {
            return;
        }
    }
}

/// A connection to `addr` in the middle of a request: its head and half its body
/// sent, once the host holds it open (its gauge of open connections counts it beside
/// the request that reads the gauge), and as long again as a check without the gauge
/// once waited, for it to read the head: nothing the host tells says it has.
fn half_a_request(addr: &str) -> TcpStream {
    let mut in_flight = TcpStream::connect(addr).expect("connect");
    in_flight
        .write_all(b"POST /widgets/no_such_widget/actions/connect HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\nhello")
        .expect("write head");
    let deadline = Instant::now() + Duration::from_secs(10);
    while open_connections(addr) < 2 {
        assert!(
            Instant::now() < deadline,
            "the host never held the connection"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    in_flight
}

/// The host's gauge of open connections, read over a connection of its own.
fn open_connections(addr: &str) -> u64 {
    let mut probe = TcpStream::connect(addr).expect("connect");
    probe
        .write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .expect("write");
    // A host that stopped answering fails the test instead of hanging it.
    probe
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut answer = String::new();
    probe.read_to_string(&mut answer).expect("read");
    answer
        .lines()
        .find_map(|l| l.strip_prefix("widget_host_open_connections "))
        .and_then(|n| n.trim().parse().ok())
        .expect("the gauge")
}

fn sigterm(child: &std::process::Child) {
    signal(child, Signal::TERM);
}

/// Sends `sig` to `child` itself, not through a `kill` program the machine may lack.
fn signal(child: &std::process::Child, sig: Signal) {
    let pid = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .expect("a child's pid");
    rustix::process::kill_process(pid, sig).expect("kill");
}

/// A second Ctrl-C while the host is still starting (a migration or a check after a
/// crash can take minutes) stops it at once, with status 130, as it does while
/// requests drain. The start is held here by a JWKS file that is a named pipe: the
/// host's read of it waits for a writer that never comes, after it has logged the
/// warnings of its configuration and so after its signal handlers are in place.
#[test]
fn a_second_ctrl_c_during_a_long_start_stops_the_host_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pipe = dir.path().join("keys.jwks");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &pipe,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        0,
    )
    .expect("mkfifo");
    let config = dir.path().join("host.toml");
    std::fs::write(
        &config,
        format!(
            "[[consumers]]\nid = \"portal\"\njwks_file = {:?}\n",
            pipe.to_str().expect("a UTF-8 path")
        ),
    )
    .expect("write");
    let mut child = Reaped(
        host_process()
            .arg("--config")
            .arg(&config)
            .args(["serve", "--no-demo", "--listen", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .spawn()
            .expect("spawn"),
    );
    let log = log_of(&mut child.0);
    said(&log, "without an audience");
    signal(&child.0, Signal::INT);
    // Heard: the next signal is a second one, not one merged with the first.
    said(&log, "shutdown signal received");
    assert_eq!(
        child.0.try_wait().expect("wait"),
        None,
        "the first signal waits for the start"
    );
    signal(&child.0, Signal::INT);
    let exit = wait_with_timeout(&mut child.0, Duration::from_secs(5));
    assert_eq!(exit, Some(130), "the second stops the start");
}

/// A host process killed and reaped when the test ends, passed or failed: a failed
/// assertion must not leave it serving, or blocked on a pipe whose folder is gone.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A second host started on a data folder one already serves is refused, in words
/// that say which process holds it, and the first serves on.
#[test]
fn a_second_host_on_a_served_data_folder_is_refused_as_such() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut first = Reaped(spawn_host(dir.path(), "--no-demo", true));
    let addr = serving_address(&mut first.0);
    let mut second = Reaped(spawn_host(dir.path(), "--no-demo", true));
    let log = log_of(&mut second.0);
    // A second host that got the file would serve: held to a time, not waited for.
    let exit = wait_with_timeout(&mut second.0, Duration::from_secs(10));
    // Every line it wrote: the readers end at its pipes' end, once it has exited.
    let said: Vec<String> = log.iter().collect();
    assert_eq!(exit, Some(2), "{said:?}");
    assert!(
        said.iter()
            .any(|l| l.contains("is locked: another widget-host serves this data folder")),
        "{said:?}"
    );
    assert!(
        !said.iter().any(|l| l.contains("Cannot acquire lock")),
        "{said:?}"
    );
    let mut health = TcpStream::connect(&addr).expect("connect");
    health
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .expect("write");
    let mut answer = String::new();
    health.read_to_string(&mut answer).expect("read");
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "the first still serves: {answer}"
    );
    sigterm(&first.0);
    assert_eq!(
        wait_with_timeout(&mut first.0, Duration::from_secs(10)),
        Some(0)
    );
}

/// SIGINT (Ctrl-C in a terminal) stops the host as SIGTERM does, and a request that
/// never finishes holds the stop for `shutdown_grace_secs` only, after which the host
/// exits 0. (That what was acknowledged survives a stop at any moment is the crash
/// test's to show: `tests/store_crash.rs`.)
#[test]
fn sigint_drains_and_the_grace_period_ends_the_drain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("host.toml");
    std::fs::write(&config, "[limits]\nshutdown_grace_secs = 1\n").expect("write");
    let mut child = host_process()
        .arg("--config")
        .arg(&config)
        .args(["serve", "--no-demo", "--listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--descriptors-dir")
        .arg(dir.path().join("none"))
        .env("NO_COLOR", "1")
        .spawn()
        .expect("spawn server");
    let addr = serving_address(&mut child);
    let in_flight = half_a_request(&addr);
    signal(&child, Signal::INT);
    let started = std::time::Instant::now();
    let exit = wait_with_timeout(&mut child, Duration::from_secs(10));
    let took = started.elapsed();
    assert_eq!(exit, Some(0), "a clean exit after the grace period");
    assert!(
        took >= Duration::from_millis(800) && took < Duration::from_secs(5),
        "stopped after {took:?}, with a grace of 1 s"
    );
    drop(in_flight);
}

/// The address from the child's "serving" log line. Both output streams are drained
/// from then on, so the child never blocks on a full pipe.
/// The host binary serving on a port of its own choosing, with its data and (absent)
/// descriptors under `dir`, `demo` being `--demo` or `--no-demo`, and its output piped.
/// `no_color` sets NO_COLOR; without it the host decides for itself.
/// The host's command line, its output piped to the test: without the test's own
/// `WIDGET_HOST_` settings, which are not the test's (a developer's
/// `WIDGET_HOST_CONFIG` would change what the host serves).
fn host_process() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_widget-host"));
    for (name, _) in std::env::vars_os() {
        if name.as_encoded_bytes().starts_with(b"WIDGET_HOST_") {
            command.env_remove(name);
        }
    }
    // The lines these tests wait for are at info, which a RUST_LOG of the shell
    // the tests run in could filter out.
    command.env_remove("RUST_LOG");
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

fn spawn_host(dir: &std::path::Path, demo: &str, no_color: bool) -> std::process::Child {
    // The server picks its own port and says which: a port found free here and handed
    // over could be taken by another test's server in between.
    let mut command = host_process();
    command
        .args(["serve", demo, "--listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--descriptors-dir")
        .arg(dir.join("none"));
    if no_color {
        command.env("NO_COLOR", "1");
    } else {
        command.env_remove("NO_COLOR");
    }
    command.spawn().expect("spawn server")
}

fn serving_address(child: &mut std::process::Child) -> String {
    serving_address_and_log(child).0
}

/// The address the spawned server serves on, the log lines read until it said so,
/// and the lines that follow, as they come.
fn serving_address_and_log(
    child: &mut std::process::Child,
) -> (String, Vec<String>, std::sync::mpsc::Receiver<String>) {
    let found = log_of(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    loop {
        let wait = deadline.saturating_duration_since(Instant::now());
        let line = found
            .recv_timeout(wait)
            .expect("the server never said where it serves");
        seen.push(line.clone());
        if !line.contains("serving") {
            continue;
        }
        if let Some(at) = line.find("127.0.0.1:") {
            // With the release, for whoever reads the log of an upgrade.
            assert!(
                line.contains(concat!("version=", env!("CARGO_PKG_VERSION")))
                    || line.contains(concat!("\"version\":\"", env!("CARGO_PKG_VERSION"))),
                "{line}"
            );
            let port: String = line[at + "127.0.0.1:".len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            return (format!("127.0.0.1:{port}"), seen, found);
        }
    }
}

/// The spawned host's log lines, stdout's and stderr's, as they come.
fn log_of(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (lines, found) = std::sync::mpsc::channel::<String>();
    for stream in [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stream)
                .lines()
                .map_while(Result::ok)
            {
                let _ = lines.send(line);
            }
        });
    }
    found
}

/// SIGHUP (a `systemctl reload`) neither reloads nor stops the host: it says so and
/// serves on. Its log, read through a pipe as a service manager reads it, carries no
/// colour codes even without NO_COLOR.
#[test]
fn sighup_is_logged_and_the_host_serves_on_and_a_piped_log_has_no_colours() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = spawn_host(dir.path(), "--no-demo", false);
    let (addr, mut log, lines) = serving_address_and_log(&mut child);
    assert!(
        log.iter().all(|l| !l.contains("made-up people")),
        "a fresh database holds no demo people: {log:?}"
    );
    signal(&child, Signal::HUP);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !log.iter().any(|l| l.contains("SIGHUP received")) {
        let wait = deadline.saturating_duration_since(Instant::now());
        log.push(lines.recv_timeout(wait).expect("SIGHUP is logged"));
    }
    let mut health = TcpStream::connect(&addr).expect("still serving after SIGHUP");
    health
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .expect("write");
    let mut answer = String::new();
    let _ = health.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    signal(&child, Signal::TERM);
    assert_eq!(
        wait_with_timeout(&mut child, Duration::from_secs(10)),
        Some(0)
    );
    log.extend(lines.try_iter());
    assert!(
        log.iter().all(|l| !l.contains('\u{1b}')),
        "colour codes in a piped log: {log:?}"
    );
}

fn wait_with_timeout(child: &mut std::process::Child, limit: Duration) -> Option<i32> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn a_body_that_stops_arriving_gets_408() {
    let server = common::start(|c, _| c.limits.request_timeout_secs = 1).await;
    let addr = server.addr;
    let started = std::time::Instant::now();
    let answer = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        // An action's form, announced at 100 bytes, of which 10 ever come.
        let head = "POST /widgets/contacts_center/actions/follow HTTP/1.1\r\nhost: x\r\n\
                    content-type: application/x-www-form-urlencoded\r\ncontent-length: 100\r\n\r\n";
        s.write_all(head.as_bytes()).expect("write head");
        s.write_all(b"userId=abc").expect("write part");
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer
    })
    .await
    .expect("client");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request-timeout"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));
    server.stop().await;
}

/// A request the request timeout cuts off is counted under its own route, where an
/// administrator looks for slow answers, not under a route of its own. The render is
/// made slow by an administrator's template that builds a 50 MB string hundreds of
/// times (a loop of few instructions: a loop of many runs out of fuel first).
#[tokio::test]
async fn a_request_cut_off_by_the_timeout_counts_under_its_route() {
    let server = common::start(|c, dir| {
        c.limits.request_timeout_secs = 1;
        let templates = dir.join("slow-templates");
        std::fs::create_dir_all(templates.join("contacts_center")).expect("dir");
        std::fs::write(
            templates.join("contacts_center/guest.html"),
            "{% for a in range(100) %}{% set s = 'x' * (50000000 + a) %}{% endfor %}",
        )
        .expect("template");
        c.templates_dir = Some(templates);
    })
    .await;
    let client = reqwest::Client::new();
    let started = Instant::now();
    let answer = client
        .get(server.url("/widgets/contacts_center/render"))
        .send()
        .await
        .expect("render");
    assert_eq!(answer.status(), 503, "after {:?}", started.elapsed());
    let metrics = common::metrics_text(&server).await;
    assert!(
        metrics.contains(
            "widget_host_requests_total{route=\"/widgets/{portletId}/render\",status=\"503\"} 1"
        ),
        "{metrics}"
    );
    assert!(!metrics.contains("route=\"timeout\""), "{metrics}");
    server.stop().await;
}

/// The host says at start which database file it serves, whether it just made it, and
/// how many people it holds; a host that serves portals warns when its database is
/// new, since a mistyped `data_dir` starts an empty directory silently otherwise.
#[test]
fn the_database_served_is_named_at_start_and_a_new_one_for_portals_is_warned_of() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stop = |child: &mut std::process::Child| {
        signal(child, Signal::TERM);
        assert_eq!(wait_with_timeout(child, Duration::from_secs(10)), Some(0));
    };
    let database = dir
        .path()
        .join("data/widget-host.redb")
        .display()
        .to_string();
    let opened = |log: &[String]| {
        log.iter()
            .find(|l| l.contains("database opened"))
            .unwrap_or_else(|| panic!("not named: {log:?}"))
            .clone()
    };
    let mut first = spawn_host(dir.path(), "--demo", true);
    let (_, log, _) = serving_address_and_log(&mut first);
    stop(&mut first);
    let line = opened(&log);
    assert!(
        line.contains(&database) && line.contains("people=0") && line.contains("new=true"),
        "{line}"
    );
    assert!(
        log.iter().all(|l| !l.contains("new, empty database")),
        "the demo's own: {log:?}"
    );
    let mut again = spawn_host(dir.path(), "--demo", true);
    let (_, log, _) = serving_address_and_log(&mut again);
    stop(&mut again);
    let line = opened(&log);
    assert!(
        line.contains("people=50") && line.contains("new=false"),
        "{line}"
    );
    // A portal's host on a data_dir with no database yet.
    let config = dir.path().join("host.toml");
    std::fs::write(
        &config,
        "[[consumers]]\nid = \"liferay\"\nhs256_secret = \"a secret of this test, long enough...\"\nallowed_origins = [\"https://portal.example\"]\n",
    )
    .expect("config");
    let mut portal = host_process()
        .arg("--config")
        .arg(&config)
        // Relative, as under a service manager: said as the absolute path it is.
        .current_dir(dir.path())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            "elsewhere",
        ])
        .arg("--descriptors-dir")
        .arg(dir.path().join("none"))
        .env("NO_COLOR", "1")
        .spawn()
        .expect("spawn server");
    let (_, log, _) = serving_address_and_log(&mut portal);
    stop(&mut portal);
    let warning = log
        .iter()
        .find(|l| l.contains("new, empty database"))
        .unwrap_or_else(|| panic!("no warning: {log:?}"));
    let elsewhere = dir
        .path()
        .join("elsewhere/widget-host.redb")
        .display()
        .to_string();
    assert!(
        warning.contains("WARN") && warning.contains(&elsewhere),
        "{warning}"
    );
    assert!(opened(&log).contains(&elsewhere), "{log:?}");
}

/// A host started with the demo off on a `data_dir` where the demo ran says that the
/// demo's made-up people are still in its directory.
#[test]
fn demo_people_left_in_a_real_directory_are_reported_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spawn = |demo: &str| spawn_host(dir.path(), demo, true);
    let stop = |child: &mut std::process::Child| {
        signal(child, Signal::TERM);
        assert_eq!(wait_with_timeout(child, Duration::from_secs(10)), Some(0));
    };
    let mut demo = spawn("--demo");
    let (_, log, _) = serving_address_and_log(&mut demo);
    assert!(
        log.iter().all(|l| !l.contains("made-up people")),
        "the demo itself is not warned about: {log:?}"
    );
    stop(&mut demo);
    let mut real = spawn("--no-demo");
    let (_, log, _) = serving_address_and_log(&mut real);
    stop(&mut real);
    let warning = log
        .iter()
        .find(|l| l.contains("made-up people"))
        .unwrap_or_else(|| panic!("no warning: {log:?}"));
    assert!(
        warning.contains("WARN") && warning.contains("people=50"),
        "{warning}"
    );
}

/// A portal rotates its signing key while the host runs: once the new JWKS file is
/// renamed into place, the host reads it within its poll (5 s) and the new key signs
/// people in, while the old key's tokens, accepted a moment before, are refused.
/// `/metrics` counts the keys in use, and `/readyz` names a file that cannot be used.
#[tokio::test]
async fn a_running_host_reads_a_rotated_jwks_file() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let keys = common::repo_root().join("tests/fixtures/keys");
    let dir = tempfile::tempdir().expect("tempdir");
    let jwks = dir.path().join("liferay-jwks.json");
    std::fs::copy(keys.join("jwks.json"), &jwks).expect("copy");
    let file = jwks.clone();
    let server = common::start(move |c, _| {
        c.consumers.push(widget_host::config::ConsumerConfig {
            id: "liferay".into(),
            hs256_secret: None,
            jwks_file: Some(file),
            allowed_origins: vec![common::PORTAL_ORIGIN.into()],
            wsrp_secret: None,
            audience: Some("widget-host".into()),
            wsrp_guest_users: Vec::new(),
        })
    })
    .await;
    let signed = |pem: &str, kid: &str| {
        let key = std::fs::read(keys.join(pem)).expect("key");
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.into());
        let exp = jsonwebtoken::get_current_timestamp() + 600;
        let claims = serde_json::json!({"iss": "liferay", "sub": "rotated", "aud": "widget-host", "exp": exp});
        jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_rsa_pem(&key).expect("pem"),
        )
        .expect("sign")
    };
    let (old, new) = (signed("rsa-1.pem", "rsa-1"), signed("rsa-2.pem", "rsa-2"));
    let client = reqwest::Client::new();
    let status = |token: String| {
        let request = client
            .get(server.url("/widgets/contacts_center/render"))
            .bearer_auth(token);
        async move { request.send().await.expect("render").status() }
    };
    assert_eq!(status(old.clone()).await, 200);
    assert_eq!(status(new.clone()).await, 401);
    let staged = dir.path().join(".liferay-jwks.json.new");
    std::fs::copy(keys.join("jwks-rotated.json"), &staged).expect("copy");
    std::fs::rename(&staged, &jwks).expect("rename");
    let deadline = Instant::now() + Duration::from_secs(20);
    while status(new.clone()).await != 200 {
        assert!(Instant::now() < deadline, "the rotated key was never read");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status(old).await, 401, "the old key is gone");
    let text = |path: &'static str| {
        let request = client.get(server.url(path));
        async move {
            request
                .send()
                .await
                .expect(path)
                .text()
                .await
                .expect("text")
        }
    };
    let metrics = common::exposition(&text("/metrics").await);
    assert_eq!(metrics["widget_host_jwks_keys{consumer=\"liferay\"}"], 2.0);
    let ready: serde_json::Value = serde_json::from_str(&text("/readyz").await).expect("json");
    assert_eq!(ready["jwksProblems"], serde_json::json!([]));
    // A rotation that goes wrong (the file half written) shows where an operator
    // looks, and the keys read before still sign people in.
    std::fs::write(&jwks, "{\"keys\": [").expect("write");
    let deadline = Instant::now() + Duration::from_secs(20);
    let ready = loop {
        let ready: serde_json::Value = serde_json::from_str(&text("/readyz").await).expect("json");
        if ready["jwksProblems"] != serde_json::json!([]) {
            break ready;
        }
        assert!(Instant::now() < deadline, "the broken file was never noted");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["jwksProblems"][0]["consumer"], "liferay");
    let problem = ready["jwksProblems"][0]["problem"]
        .as_str()
        .unwrap_or_default();
    assert!(problem.contains("liferay-jwks.json"), "{problem}");
    assert_eq!(status(new).await, 200, "the keys read before stay");
    server.stop().await;
}

/// The exposition check the metrics tests rely on refuses each rule broken.
#[test]
fn the_exposition_check_refuses_broken_texts() {
    let good = "# HELP a_total A.\n# TYPE a_total counter\na_total{r=\"x\\\"y\"} 1\n# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 0.7\nh_count 2\n";
    let samples = common::exposition(good);
    assert_eq!(samples["a_total{r=\"x\\\"y\"}"], 1.0);
    let broken = [
        ("no HELP", "# TYPE a_total counter\na_total 1\n"),
        ("no TYPE", "# HELP a_total A.\na_total 1\n"),
        (
            "a counter not _total",
            "# HELP a A.\n# TYPE a counter\na 1\n",
        ),
        (
            "HELP twice",
            "# HELP a_total A.\n# HELP a_total A.\n# TYPE a_total counter\n",
        ),
        (
            "a family apart",
            "# HELP a_total A.\n# TYPE a_total counter\na_total{r=\"1\"} 1\n# HELP g G.\n# TYPE g gauge\ng 1\na_total{r=\"2\"} 1\n",
        ),
        ("a series twice", "# HELP g G.\n# TYPE g gauge\ng 1\ng 2\n"),
        (
            "a raw quote",
            "# HELP g G.\n# TYPE g gauge\ng{r=\"a\"b\"} 1\n",
        ),
        ("a bad value", "# HELP g G.\n# TYPE g gauge\ng one\n"),
        (
            "buckets that shrink",
            "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"0.5\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
        ),
        (
            "+Inf not the count",
            "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
        ),
    ];
    for (rule, text) in broken {
        let checked = std::panic::catch_unwind(|| common::exposition(text));
        assert!(checked.is_err(), "{rule} passed:\n{text}");
    }
}
