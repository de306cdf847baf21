//! Shared helpers for integration tests: a host started in-process on 127.0.0.1:0.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::sync::oneshot;
use widget_host::config::Config;

pub struct TestServer {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), widget_host::error::HostError>>>,
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Asks the server to stop and waits for it to drain.
    pub async fn stop(self) {
        self.stop_keeping_data().await;
    }

    /// Stops the server and hands back its folder, for a restart on the same data.
    pub async fn stop_keeping_data(mut self) -> tempfile::TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server result");
        }
        self.dir
    }
}

/// A configuration rooted in a fresh temporary folder: its own data dir and no
/// descriptors dir unless the test makes one.
pub fn test_config(dir: &std::path::Path) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        data_dir: dir.join("data"),
        descriptors_dir: dir.join("widget-descriptors"),
        demo: Some(false),
        ..Config::default()
    }
}

pub async fn start(adjust: impl FnOnce(&mut Config, &std::path::Path)) -> TestServer {
    start_in(tempfile::tempdir().expect("tempdir"), adjust).await
}

/// Starts a host whose data lives in `dir` (so a test can stop it and start another
/// on the same data).
pub async fn start_in(
    dir: tempfile::TempDir,
    adjust: impl FnOnce(&mut Config, &std::path::Path),
) -> TestServer {
    let mut config = test_config(dir.path());
    adjust(&mut config, dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(widget_host::launch(config, listener, async move {
        let _ = stopped.await;
    }));
    // Wait until it answers: a host that never does fails here, not in the test's
    // first request with an error that hides why.
    let client = reqwest::Client::new();
    let mut answered = false;
    for _ in 0..200 {
        if client
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .is_ok()
        {
            answered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(answered, "the test host did not answer /healthz within 5 s");
    TestServer {
        addr,
        dir,
        stop: Some(stop),
        task: Some(task),
    }
}

/// What `/metrics` answers now, as text.
pub async fn metrics_text(server: &TestServer) -> String {
    reqwest::Client::new()
        .get(server.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text")
}

/// The repository root (for shipped descriptors and the shared specs beside it).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The consumer every test server trusts.
pub const CONSUMER: &str = "test-portal";
pub const SECRET: &str = "test-portal-hs256-secret-0123456789abcdef";
pub const PORTAL_ORIGIN: &str = "https://portal.test";

/// Adds the test consumer to a configuration.
pub fn with_consumer(config: &mut Config) {
    config.consumers.push(widget_host::config::ConsumerConfig {
        id: CONSUMER.into(),
        hs256_secret: Some(SECRET.into()),
        jwks_file: None,
        allowed_origins: vec![PORTAL_ORIGIN.into()],
        wsrp_secret: Some("test-wsrp-secret".into()),
        audience: None,
        wsrp_guest_users: Vec::new(),
    });
}

/// A JWT of the test consumer for `user` with `roles`.
pub fn token(user: &str, roles: &[&str]) -> String {
    let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
    let profile = widget_host::portal::Profile {
        given_name: Some(format!("Given{user}")),
        family_name: Some(format!("Family{user}")),
        ..Default::default()
    };
    widget_host::portal::auth::mint(
        CONSUMER,
        SECRET,
        user,
        &roles,
        &profile,
        std::time::Duration::from_secs(600),
    )
    .expect("mint")
}

/// Where an answer sends the client: its `Location`, or "" when it has none.
pub fn location(answer: &reqwest::Response) -> String {
    answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Checks `text` against the Prometheus text exposition format (version 0.0.4) and
/// returns the samples it holds, by series: every family has one HELP and one TYPE
/// line before its samples, and its samples lie together; names and labels are well
/// formed and label values escaped; a counter's name ends in `_total`; no series
/// comes twice; a histogram's buckets only grow with `le`, and its `+Inf` bucket is
/// its `_count`. Panics naming the line that breaks a rule.
pub fn exposition(text: &str) -> std::collections::BTreeMap<String, f64> {
    use std::collections::{BTreeMap, BTreeSet};
    fn name_ok(name: &str, colon: bool) -> bool {
        let mut chars = name.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || (colon && c == ':'))
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || (colon && c == ':'))
    }
    /// `{a="x",b="y"}` into its pairs, escapes undone.
    fn labels(text: &str, line: &str) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            let (name, after) = rest
                .split_once("=\"")
                .unwrap_or_else(|| panic!("label in {line}"));
            assert!(name_ok(name, false), "label name {name:?} in {line}");
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next() {
                    Some((_, '\\')) => match chars.next() {
                        Some((_, '\\')) => value.push('\\'),
                        Some((_, '"')) => value.push('"'),
                        Some((_, 'n')) => value.push('\n'),
                        other => panic!("escape {other:?} in {line}"),
                    },
                    Some((i, '"')) => break i,
                    Some((_, c)) => value.push(c),
                    None => panic!("unterminated label value in {line}"),
                }
            };
            pairs.push((name.to_owned(), value));
            rest = &after[end + 1..];
            rest = rest.strip_prefix(',').unwrap_or_else(|| {
                assert!(rest.is_empty(), "after a label value: {rest:?} in {line}");
                rest
            });
        }
        pairs
    }
    let mut kinds: BTreeMap<String, String> = BTreeMap::new();
    let mut helped = BTreeSet::new();
    let mut finished = BTreeSet::new();
    let mut current: Option<String> = None;
    let mut samples = BTreeMap::new();
    // Per histogram series (its labels less `le`): the buckets in order, and `_count`.
    let mut buckets: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    let mut counts: BTreeMap<String, f64> = BTreeMap::new();
    let mut enter = |family: &str, current: &mut Option<String>, line: &str| {
        if current.as_deref() != Some(family) {
            if let Some(previous) = current.take() {
                finished.insert(previous);
            }
            assert!(
                !finished.contains(family),
                "{family} comes back apart: {line}"
            );
            *current = Some(family.to_owned());
        }
    };
    for line in text.lines() {
        assert!(!line.is_empty(), "an empty line in:\n{text}");
        if let Some(help) = line.strip_prefix("# HELP ") {
            let (name, _) = help.split_once(' ').unwrap_or_else(|| panic!("{line}"));
            assert!(name_ok(name, true), "{line}");
            enter(name, &mut current, line);
            assert!(helped.insert(name.to_owned()), "HELP twice: {line}");
            assert!(!kinds.contains_key(name), "HELP after TYPE: {line}");
        } else if let Some(kind) = line.strip_prefix("# TYPE ") {
            let (name, kind) = kind.split_once(' ').unwrap_or_else(|| panic!("{line}"));
            enter(name, &mut current, line);
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            assert!(
                kind != "counter" || name.ends_with("_total"),
                "a counter's name ends in _total: {line}"
            );
            assert!(
                kinds.insert(name.to_owned(), kind.to_owned()).is_none(),
                "TYPE twice: {line}"
            );
        } else {
            assert!(!line.starts_with('#'), "{line}");
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("value in {line}"));
            let (name, pairs) = match series.split_once('{') {
                Some((name, rest)) => {
                    let inner = rest.strip_suffix('}').unwrap_or_else(|| panic!("{line}"));
                    (name, labels(inner, line))
                }
                None => (series, Vec::new()),
            };
            assert!(name_ok(name, true), "{line}");
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| {
                    name.strip_suffix(suffix)
                        .filter(|f| kinds.get(*f).map(String::as_str) == Some("histogram"))
                })
                .unwrap_or(name);
            assert!(helped.contains(family), "no HELP before {line}");
            assert!(kinds.contains_key(family), "no TYPE before {line}");
            enter(family, &mut current, line);
            assert!(
                samples.insert(series.to_owned(), value).is_none(),
                "a series twice: {line}"
            );
            if family != name {
                let others: Vec<String> = pairs
                    .iter()
                    .filter(|(k, _)| k != "le")
                    .map(|(k, v)| format!("{k}={v:?}"))
                    .collect();
                let key = format!("{family}{{{}}}", others.join(","));
                if name.ends_with("_bucket") {
                    let le = pairs
                        .iter()
                        .find(|(k, _)| k == "le")
                        .unwrap_or_else(|| panic!("a bucket without le: {line}"));
                    let le: f64 = match le.1.as_str() {
                        "+Inf" => f64::INFINITY,
                        bound => bound.parse().unwrap_or_else(|_| panic!("le in {line}")),
                    };
                    buckets.entry(key).or_default().push((le, value));
                } else if name.ends_with("_count") {
                    counts.insert(key, value);
                }
            }
        }
    }
    assert_eq!(
        buckets.keys().collect::<Vec<_>>(),
        counts.keys().collect::<Vec<_>>(),
        "each histogram series has buckets and a count"
    );
    for (series, bounds) in &buckets {
        assert!(
            bounds
                .windows(2)
                .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
            "{series}: buckets in order and cumulative: {bounds:?}"
        );
        let last = bounds.last().expect("a bucket");
        assert!(last.0.is_infinite(), "{series} ends with +Inf");
        assert_eq!(last.1, counts[series], "{series}: +Inf is the count");
    }
    samples
}

/// Copies a widget folder's three descriptors from `from` into `to`, made if needed.
pub fn copy_widget(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for name in ["portlet.xml", "liferay-portlet.xml", "liferay-display.xml"] {
        std::fs::copy(from.join(name), to.join(name)).expect("copy");
    }
}
