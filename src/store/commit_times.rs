//! How long the writer's commits take, for `/metrics`: a commit's time is mostly its
//! fdatasync, so these buckets are the disk's latency as the host's actions meet it,
//! and an operator can alert on them before a slow disk turns into requests answered
//! busy. The slow-commit log line says the same once a commit passes a second.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the buckets, in seconds: a healthy disk syncs a grouped commit in
/// one to a few milliseconds (BENCHMARKS.md), a failing or throttled one in seconds.
pub const COMMIT_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0, 30.0,
];

/// Counters the writer thread adds to once a commit and any thread reads. Relaxed:
/// a scrape may see a commit's time and not yet its writes, which the next scrape
/// mends, and nothing orders on them. The count of commits is not a counter of its
/// own but the buckets' sum, read once: a scrape between two additions would
/// otherwise see a bucket above the count, which the format forbids.
#[derive(Debug, Default)]
pub struct CommitTimes {
    /// Commits by the first bucket they fit in.
    in_bucket: [AtomicU64; COMMIT_BUCKETS.len()],
    /// Commits slower than the last bucket.
    slower: AtomicU64,
    micros: AtomicU64,
    writes: AtomicU64,
}

/// What [`CommitTimes`] held when read, cumulative as Prometheus buckets are.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitTotals {
    /// Commits that took at most each of [`COMMIT_BUCKETS`].
    pub at_most: [u64; COMMIT_BUCKETS.len()],
    pub commits: u64,
    pub seconds: f64,
    /// Write jobs those commits made durable (an action whose rules refused it
    /// included: they are read in the writer's transaction).
    pub writes: u64,
}

impl CommitTimes {
    /// Counts a commit that took `took` and made `writes` jobs durable (none for one
    /// that failed, whose time was the disk's all the same).
    pub(crate) fn record(&self, took: Duration, writes: usize) {
        let secs = took.as_secs_f64();
        match COMMIT_BUCKETS.iter().position(|upper| secs <= *upper) {
            Some(i) => self.in_bucket[i].fetch_add(1, Ordering::Relaxed),
            None => self.slower.fetch_add(1, Ordering::Relaxed),
        };
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.micros.fetch_add(micros, Ordering::Relaxed);
        self.writes
            .fetch_add(u64::try_from(writes).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    pub fn totals(&self) -> CommitTotals {
        let mut at_most = [0; COMMIT_BUCKETS.len()];
        let mut so_far = 0;
        for (total, n) in at_most.iter_mut().zip(&self.in_bucket) {
            so_far += n.load(Ordering::Relaxed);
            *total = so_far;
        }
        CommitTotals {
            at_most,
            commits: so_far + self.slower.load(Ordering::Relaxed),
            seconds: self.micros.load(Ordering::Relaxed) as f64 / 1e6,
            writes: self.writes.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_counts_in_its_bucket_and_every_one_above() {
        let times = CommitTimes::default();
        times.record(Duration::from_micros(300), 3);
        times.record(Duration::from_millis(1), 1);
        times.record(Duration::from_millis(7), 40);
        times.record(Duration::from_secs(45), 2);
        let t = times.totals();
        assert_eq!(t.at_most, [1, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3]);
        assert_eq!((t.commits, t.writes), (4, 46));
        assert!((t.seconds - 45.0083).abs() < 1e-9, "{}", t.seconds);
    }
}
