//! Prometheus text metrics: requests by route and status, and a latency histogram per
//! route. Routes are the matched patterns (`/widgets/{portletId}/render`), never raw
//! paths, so the number of series stays bounded whatever clients send.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds: up past the default request
/// timeout (30 s; a request cut off there is timed a little over it, so the bound
/// above it is 40 s), so that a p99 of requests that time out, or of actions waiting
/// on a slow disk, reads as what it is, not as the last bound.
const BUCKETS: [f64; 17] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0,
    40.0, 80.0,
];

#[derive(Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    /// WSRP faults by `faultcode` and kind: their answers are all 500 (or a transport
    /// status), so `requests` cannot tell a consumer's mistakes from the producer's.
    wsrp_faults: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    refused_connections: AtomicU64,
    open_connections: AtomicU64,
    /// Connections hyper ended before a request reached the router, by
    /// [`ENDED_REASONS`].
    ended: [AtomicU64; 3],
}

/// Why hyper ends a connection itself: a head over `max_header_bytes` (it answers
/// 431), a head it cannot parse (400), and no head within the request timeout (a
/// client that stalls, or a keep-alive connection left idle).
const ENDED_REASONS: [&str; 3] = ["head-too-large", "malformed-head", "head-timeout"];

/// A connection counted in `widget_host_open_connections` while this lives.
pub struct OpenConnection(Arc<Metrics>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.open_connections.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    pub fn observe(&self, route: &'static str, status: u16, elapsed: Duration) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests.entry((route, status)).or_default() += 1;
        }
        if let Ok(mut latency) = self.latency.lock() {
            let h = latency.entry(route).or_default();
            let secs = elapsed.as_secs_f64();
            for (i, upper) in BUCKETS.iter().enumerate() {
                if secs <= *upper {
                    h.buckets[i] += 1;
                }
            }
            h.count += 1;
            h.sum_seconds += secs;
        }
    }

    /// Counts a WSRP fault answered, by its `faultcode` (`Client`, `Server` …) and
    /// its kind (`InvalidRegistration` …); both come from a closed set.
    pub fn wsrp_fault(&self, code: &'static str, kind: &'static str) {
        if let Ok(mut faults) = self.wsrp_faults.lock() {
            *faults.entry((code, kind)).or_default() += 1;
        }
    }

    /// Counts a connection hyper ended with `error`, when it is one of
    /// [`ENDED_REASONS`]; a client that went away is not counted.
    pub fn connection_ended(&self, error: &hyper::Error) {
        let reason = if error.is_parse_too_large() {
            0
        } else if error.is_parse() {
            1
        } else if error.is_timeout() {
            2
        } else {
            return;
        };
        self.ended[reason].fetch_add(1, Ordering::Relaxed);
    }

    pub fn connection_refused(&self) {
        self.refused_connections.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a connection as open until the returned guard drops: also when the
    /// connection's task ends in a panic, which would skip a call at its end.
    pub fn connection_opened(self: &Arc<Self>) -> OpenConnection {
        self.open_connections.fetch_add(1, Ordering::Relaxed);
        OpenConnection(Arc::clone(self))
    }

    /// The Prometheus text exposition format, version 0.0.4. `snapshots` is the
    /// store's count of read transactions begun (one per render, in the steady state).
    pub fn render(&self, snapshots: u64) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP widget_host_read_snapshots_total Snapshots taken of the database, one a render (readers share a read transaction until the next commit).\n",
        );
        out.push_str("# TYPE widget_host_read_snapshots_total counter\n");
        let _ = writeln!(out, "widget_host_read_snapshots_total {snapshots}");
        out.push_str("# HELP widget_host_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE widget_host_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((route, status), n) in requests.iter() {
                let _ = writeln!(
                    out,
                    "widget_host_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str(
            "# HELP widget_host_request_duration_seconds Time to answer a request, by route.\n",
        );
        out.push_str("# TYPE widget_host_request_duration_seconds histogram\n");
        if let Ok(latency) = self.latency.lock() {
            for (route, h) in latency.iter() {
                for (upper, n) in BUCKETS.iter().zip(h.buckets.iter()) {
                    let _ = writeln!(
                        out,
                        "widget_host_request_duration_seconds_bucket{{route=\"{route}\",le=\"{upper:?}\"}} {n}"
                    );
                }
                let _ = writeln!(
                    out,
                    "widget_host_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(
                    out,
                    "widget_host_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                    h.sum_seconds
                );
                let _ = writeln!(
                    out,
                    "widget_host_request_duration_seconds_count{{route=\"{route}\"}} {}",
                    h.count
                );
            }
        }
        out.push_str("# HELP widget_host_wsrp_faults_total WSRP faults answered, by faultcode (Client: the consumer's call was refused; Server: the producer failed or was busy) and kind.\n");
        out.push_str("# TYPE widget_host_wsrp_faults_total counter\n");
        if let Ok(faults) = self.wsrp_faults.lock() {
            for ((code, kind), n) in faults.iter() {
                let _ = writeln!(
                    out,
                    "widget_host_wsrp_faults_total{{faultcode=\"{code}\",fault=\"{kind}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP widget_host_connections_refused_total Connections past the limit: answered 503 and closed, or a probe or metrics scrape answered and closed.\n");
        out.push_str("# TYPE widget_host_connections_refused_total counter\n");
        let _ = writeln!(
            out,
            "widget_host_connections_refused_total {}",
            self.refused_connections.load(Ordering::Relaxed)
        );
        out.push_str("# HELP widget_host_connections_ended_total Connections the HTTP layer ended before a request reached the host: a head too large (431), a head it could not parse (400), or no head in time (a stalled client, or an idle keep-alive connection).\n");
        out.push_str("# TYPE widget_host_connections_ended_total counter\n");
        for (reason, count) in ENDED_REASONS.iter().zip(&self.ended) {
            let _ = writeln!(
                out,
                "widget_host_connections_ended_total{{reason=\"{reason}\"}} {}",
                count.load(Ordering::Relaxed)
            );
        }
        write_gauge(
            &mut out,
            "widget_host_open_connections",
            "Connections being served now.",
            self.open_connections.load(Ordering::Relaxed),
        );
        out
    }
}

/// The store's commits as a histogram of their time (mostly the disk's sync), and the
/// writes they made durable: a disk slowing down shows here before actions time out.
pub fn write_commit_times(out: &mut String, totals: &crate::store::CommitTotals) {
    let name = "widget_host_store_commit_duration_seconds";
    let _ = writeln!(
        out,
        "# HELP {name} Time the store's writer took to commit a group of writes durably (mostly its fdatasync), failed commits included; the steps that move a renamed person's list rows commit apart and are not counted."
    );
    let _ = writeln!(out, "# TYPE {name} histogram");
    for (upper, n) in crate::store::COMMIT_BUCKETS.iter().zip(&totals.at_most) {
        let _ = writeln!(out, "{name}_bucket{{le=\"{upper:?}\"}} {n}");
    }
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", totals.commits);
    let _ = writeln!(out, "{name}_sum {}", totals.seconds);
    let _ = writeln!(out, "{name}_count {}", totals.commits);
    let name = "widget_host_store_committed_writes_total";
    let _ = writeln!(
        out,
        "# HELP {name} Writes that went through a durable commit (each widget action or API change is one, whatever its rules decided); divided by the commits that did not fail, how many a commit groups."
    );
    let _ = writeln!(out, "# TYPE {name} counter");
    let _ = writeln!(out, "{name} {}", totals.writes);
}

/// A help text as the format asks: a backslash and a line break escaped, so that a
/// text made with `format!` cannot end its line early.
fn escaped_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

/// Appends one gauge to an exposition, with its help and type lines. The help is
/// escaped as the format asks (a backslash and a line break), so that a text made with
/// `format!` cannot end its line early.
pub fn write_gauge(out: &mut String, name: &str, help: &str, value: u64) {
    let help = escaped_help(help);
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
    let _ = writeln!(out, "{name} {value}");
}

/// Appends one gauge with a series per value of `label`, the values escaped as the
/// format asks (a backslash, a double quote and a line break).
pub fn write_labelled_gauge(
    out: &mut String,
    name: &str,
    help: &str,
    label: &str,
    series: &[(String, usize)],
) {
    let help = escaped_help(help);
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
    for (value, count) in series {
        let value = value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        let _ = writeln!(out, "{name}{{{label}=\"{value}\"}} {count}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A label's value with a quote, a backslash or a line break stays inside its
    /// quotes, escaped.
    #[test]
    fn a_labels_value_is_escaped() {
        let mut out = String::new();
        write_labelled_gauge(
            &mut out,
            "g",
            "h",
            "c",
            &[("a\"b\\c\nd".into(), 2), ("e".into(), 0)],
        );
        assert_eq!(
            out,
            "# HELP g h\n# TYPE g gauge\ng{c=\"a\\\"b\\\\c\\nd\"} 2\ng{c=\"e\"} 0\n"
        );
    }

    /// A help text with a line break or a backslash stays on its line, escaped.
    #[test]
    fn a_gauges_help_is_escaped() {
        let mut out = String::new();
        write_gauge(&mut out, "g", "a\\b\nc", 3);
        assert_eq!(out, "# HELP g a\\\\b\\nc\n# TYPE g gauge\ng 3\n");
    }

    #[tokio::test]
    async fn a_connection_whose_task_panics_is_no_longer_counted_open() {
        let m = Arc::new(Metrics::default());
        let open = m.connection_opened();
        assert!(m.render(0).contains("widget_host_open_connections 1"));
        let task = tokio::spawn(async move {
            let _held = open;
            panic!("a handler bug");
        });
        assert!(task.await.is_err(), "the task panicked");
        let text = m.render(0);
        assert!(text.contains("widget_host_open_connections 0"), "{text}");
    }

    #[test]
    fn counts_and_buckets() {
        let m = Metrics::default();
        m.observe("/healthz", 200, Duration::from_micros(300));
        m.observe("/healthz", 200, Duration::from_millis(30));
        m.observe("/healthz", 404, Duration::from_millis(3));
        let text = m.render(7);
        assert!(
            text.contains("widget_host_read_snapshots_total 7"),
            "{text}"
        );
        assert!(
            text.contains("widget_host_requests_total{route=\"/healthz\",status=\"200\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("widget_host_requests_total{route=\"/healthz\",status=\"404\"} 1"),
            "{text}"
        );
        assert!(
            text.contains(
                "widget_host_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.0005\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "widget_host_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.005\"} 2"
            ),
            "{text}"
        );
        assert!(
            text.contains("widget_host_request_duration_seconds_count{route=\"/healthz\"} 3"),
            "{text}"
        );
        // A bound is written as a float, as Prometheus keeps it (`le="1.0"`, not "1").
        assert!(
            text.contains(
                "widget_host_request_duration_seconds_bucket{route=\"/healthz\",le=\"1.0\"} 3"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_request_as_slow_as_the_timeout_has_a_bucket_of_its_own() {
        let timeout = crate::config::Limits::default().request_timeout_secs;
        // The bound above the timeout is near it, so a p99 of requests cut off there
        // reads near it too.
        let above = BUCKETS
            .iter()
            .find(|&&b| b > timeout as f64)
            .expect("a bound past the timeout");
        assert!(*above <= timeout as f64 * 1.5, "{BUCKETS:?}");
        let m = Metrics::default();
        // Cut off at the timeout, and timed once the timer has fired.
        m.observe("/x", 503, Duration::from_millis(timeout * 1000 + 50));
        m.observe("/x", 200, Duration::from_secs(4));
        let text = m.render(0);
        let bucket = |le: &str| {
            let line =
                format!("widget_host_request_duration_seconds_bucket{{route=\"/x\",le=\"{le}\"}} ");
            text.lines()
                .find_map(|l| l.strip_prefix(line.as_str()))
                .unwrap_or_else(|| panic!("no {le} in {text}"))
                .to_owned()
        };
        assert_eq!(bucket("2.5"), "0");
        assert_eq!(bucket("5.0"), "1");
        assert_eq!(bucket("20.0"), "1");
        assert_eq!(bucket("40.0"), "2");
        assert_eq!(bucket("+Inf"), "2");
    }
}
