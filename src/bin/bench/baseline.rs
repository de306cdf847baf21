//! The machine's own ceilings, measured in the same run: a minimal hyper server that
//! answers a fixed HTML body (what HTTP alone costs on these cores; it runs in its own
//! process, like the host), and the disk's fdatasync latency (what one durable commit
//! cannot beat). The ratios are to a 2 KB body; a second baseline answers a
//! body the size of a home page, which tells the cost of the page's bytes from the cost
//! of rendering it.

use std::convert::Infallible;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::load::{Stats, stats_of};
use crate::synced::{Syncs, TimedFile};

/// The baseline body.
pub const BASELINE_BYTES: usize = 2048;

/// A well-formed, list-shaped HTML body of exactly `bytes` bytes (or just the markup
/// around the list, when that is longer).
pub fn body_of(bytes: usize) -> String {
    const OPEN: &str = "<div class=\"contacts-center-portlet\"><ul class=\"list-group\">";
    const ITEM: &str = "<li>Ana Silva</li>";
    const CLOSE: &str = "</ul></div>";
    let mut html = String::from(OPEN);
    while html.len() + ITEM.len() + CLOSE.len() <= bytes {
        html.push_str(ITEM);
    }
    while html.len() + CLOSE.len() < bytes {
        html.push(' ');
    }
    html.push_str(CLOSE);
    html
}

/// Serves a fixed HTML answer of `bytes` bytes on every connection `listener` accepts,
/// until the process ends (it runs in its own process: `bench --serve-baseline`).
pub async fn serve(listener: TcpListener, bytes: usize) {
    let body = Bytes::from(body_of(bytes));
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        let body = body.clone();
        tokio::spawn(async move {
            let service = service_fn(move |_req: Request<hyper::body::Incoming>| {
                let body = body.clone();
                async move {
                    let mut response = Response::new(Full::new(body));
                    response.headers_mut().insert(
                        hyper::header::CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static("text/html; charset=utf-8"),
                    );
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// fdatasync latency: `rounds` times, write 4 KiB at the start of a file in `dir` and
/// `sync_data` it.
pub fn fsync_floor(dir: &Path, rounds: usize) -> std::io::Result<Stats> {
    let path = dir.join("fsync-probe.bin");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)?;
    let block = [0x5au8; 4096];
    file.write_all(&block)?;
    file.sync_all()?;
    let mut latencies = Vec::with_capacity(rounds);
    let start = Instant::now();
    for _ in 0..rounds {
        let t = Instant::now();
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&block)?;
        file.sync_data()?;
        latencies.push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
    }
    let elapsed = start.elapsed();
    drop(file);
    let _ = std::fs::remove_file(&path);
    Ok(stats_of(&mut latencies, elapsed))
}

/// Durable actions per second with `writers` clients each toggling follows, on a fresh
/// database in `dir`: grouped commits (the host's mode) or one commit per action. Also
/// what the commits' own fdatasync took, and how much each commit wrote. The clients
/// are tasks on the caller's runtime that wait for each commit as the host's actions
/// do (`Social::act_async`), without a thread each.
pub async fn writers(
    dir: &Path,
    grouped: bool,
    writers: usize,
    duration: Duration,
) -> Result<(Stats, Syncs), Box<dyn std::error::Error>> {
    use widget_host::social::{Action, Done, PersonVerb, Social};
    use widget_host::store::{Person, StoreOptions};

    let path = dir.join(if grouped {
        "writers-grouped.redb"
    } else {
        "writers-single.redb"
    });
    // Opening and filling the file block: off the runtime, as the host does.
    let opened = tokio::task::spawn_blocking(move || -> Result<_, String> {
        let _ = std::fs::remove_file(&path);
        let (file, log) = TimedFile::open(&path).map_err(|e| e.to_string())?;
        let options = StoreOptions {
            grouped,
            ..StoreOptions::default()
        };
        let social = Social::open_on(file, options).map_err(|e| e.to_string())?;
        let people: Vec<Person> = (0..writers * 2)
            .map(|i| Person {
                id: format!("w{i}"),
                given_name: format!("Writer{i}"),
                family_name: "Bench".into(),
                ..Person::default()
            })
            .collect();
        social.upsert_people(people).map_err(|e| e.to_string())?;
        Ok((social, log))
    })
    .await??;
    let (social, log) = opened;
    log.reset();
    let start = Instant::now();
    let deadline = start + duration;
    let clients: Vec<_> = (0..writers)
        .map(|w| {
            let social = social.clone();
            tokio::spawn(async move {
                let me = format!("w{w}");
                let other = format!("w{}", w + writers);
                let mut latencies = Vec::new();
                let mut failures = 0u64;
                let mut follow = true;
                while Instant::now() < deadline {
                    let (verb, changed) = if follow {
                        (PersonVerb::Follow, Done::NowFollowing)
                    } else {
                        (PersonVerb::Unfollow, Done::Unfollowed)
                    };
                    follow = !follow;
                    let t = Instant::now();
                    // Durable actions are those that changed the graph, as over
                    // HTTP: an answer that found it already so wrote nothing.
                    match social.act_async(&me, Action::on(verb, other.clone())).await {
                        Ok(outcome) if wrote(&outcome, changed) => {
                            latencies.push(t.elapsed().as_micros().min(u32::MAX as u128) as u32)
                        }
                        Ok(_) | Err(_) => failures += 1,
                    }
                }
                (latencies, failures)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut failures = 0u64;
    for client in clients {
        match client.await {
            Ok((latencies, failed)) => {
                all.extend(latencies);
                failures += failed;
            }
            Err(_) => failures += 1,
        }
    }
    let elapsed = start.elapsed();
    // Read before the store closes: closing syncs once more, and that is no commit.
    let syncs = log.syncs(elapsed);
    // The last handle: dropping it joins the writer, which blocks.
    tokio::task::spawn_blocking(move || drop(social)).await?;
    // Each pair follows and unfollows by turns, which the rules always allow, and each
    // changes the graph: an action that failed, or found the graph already so, is the
    // store's fault, and a rate without it would not be this mode's.
    if failures > 0 {
        return Err(format!("{failures} writer actions failed or changed nothing").into());
    }
    Ok((stats_of(&mut all, elapsed), syncs))
}

/// Whether `outcome`, an action's on one person, is `changed`: the graph was written.
fn wrote(outcome: &widget_host::social::Outcome, changed: widget_host::social::Done) -> bool {
    matches!(&outcome.results[..], [one] if one.result == Ok(changed))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only an answer that changed the graph counts as a durable action: one that
    /// found it already so, or a refusal, wrote nothing.
    #[test]
    fn only_an_action_that_changed_the_graph_counts() {
        use widget_host::social::{Done, Outcome, TargetOutcome};
        let answered = |results: Vec<Result<Done, widget_host::social::Refusal>>| Outcome {
            results: results
                .into_iter()
                .map(|result| TargetOutcome {
                    target: "w1".into(),
                    result,
                })
                .collect(),
            standing: None,
        };
        assert!(wrote(
            &answered(vec![Ok(Done::NowFollowing)]),
            Done::NowFollowing
        ));
        assert!(!wrote(
            &answered(vec![Ok(Done::AlreadyFollowing)]),
            Done::NowFollowing
        ));
        assert!(!wrote(
            &answered(vec![Ok(Done::NowFollowing)]),
            Done::Unfollowed
        ));
        assert!(!wrote(&answered(vec![]), Done::NowFollowing));
        assert!(!wrote(
            &answered(vec![Ok(Done::NowFollowing), Ok(Done::NowFollowing)]),
            Done::NowFollowing
        ));
    }

    #[test]
    fn a_baseline_body_has_the_size_asked_for_and_closes_its_list() {
        for bytes in [2048, 25_000, 25_001] {
            let body = body_of(bytes);
            assert_eq!(body.len(), bytes);
            assert!(body.ends_with("</li></ul></div>") || body.ends_with(" </ul></div>"));
        }
        assert!(
            body_of(3).ends_with("</ul></div>"),
            "too small: the markup alone"
        );
    }
}
