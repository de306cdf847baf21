//! 64 concurrent writers (tasks, as the host's actions are): grouped commits (one durable commit per drained batch)
//! against one durable commit per action, side by side, printing actions/s for both.
//!
//! Run: `cargo bench --bench store_writers` (optionally `-- <seconds-per-mode>`, and
//! `grouped` to measure only the host's mode).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use widget_host::social::{Action, PersonVerb, Social};
use widget_host::store::{Person, StoreOptions};

// The host's allocator, so that the writer's profile is the host's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CLIENTS: usize = 64;
const PEOPLE: usize = 256;

/// Actions per second and the p50 / p99 latency of one action, in milliseconds.
struct Measured {
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn measure(grouped: bool, seconds: u64) -> Measured {
    let dir = tempfile::tempdir().expect("temp dir");
    let social = Social::open_with(
        dir.path().join("bench.redb"),
        StoreOptions {
            grouped,
            ..StoreOptions::default()
        },
    )
    .expect("open store");
    let people = (0..PEOPLE)
        .map(|i| Person {
            id: format!("u{i}"),
            given_name: format!("G{i}"),
            family_name: format!("F{i}"),
            ..Person::default()
        })
        .collect();
    social.upsert_people(people).expect("seed people");
    // The clients are tasks that wait for each commit as the host's actions do
    // (`Social::act_async`), without a thread each.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let micros: Vec<u32> = runtime.block_on(async {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|t| {
                let (social, stop) = (social.clone(), Arc::clone(&stop));
                tokio::spawn(async move {
                    let (mut k, mut follow) = (1, true);
                    let mut micros: Vec<u32> = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        // Follow then unfollow each other person in turn: every action
                        // writes.
                        let other = format!("u{}", (t + k) % PEOPLE);
                        let verb = if follow {
                            PersonVerb::Follow
                        } else {
                            PersonVerb::Unfollow
                        };
                        let sent = Instant::now();
                        let out = social
                            .act_async(&format!("u{t}"), Action::on(verb, other))
                            .await
                            .expect("act");
                        micros.push(sent.elapsed().as_micros().min(u32::MAX as u128) as u32);
                        assert!(out.all_ok());
                        if !follow {
                            k = if k + 1 >= PEOPLE { 1 } else { k + 1 };
                        }
                        follow = !follow;
                    }
                    micros
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let mut micros: Vec<u32> = Vec::new();
        for client in clients {
            micros.extend(client.await.expect("writer client"));
        }
        micros
    });
    let mut micros = micros;
    let elapsed = started.elapsed().as_secs_f64();
    assert!(social.check_invariants().expect("check").is_empty());
    assert!(!micros.is_empty(), "no action completed in {seconds} s");
    micros.sort_unstable();
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q) as usize] as f64 / 1000.0;
    Measured {
        rate: micros.len() as f64 / elapsed,
        p50_ms: at(0.50),
        p99_ms: at(0.99),
    }
}

/// Bulk import of 100,000 directory records (the `import-users` budget is 20 s).
fn import(count: usize) -> f64 {
    let dir = tempfile::tempdir().expect("temp dir");
    let social = Social::open(dir.path().join("import.redb")).expect("open store");
    let people: Vec<Person> = (0..count)
        .map(|i| Person {
            id: format!("user{i}"),
            given_name: format!("Given{i}"),
            additional_name: "Maria".into(),
            family_name: format!("Álvarez{}", i % 977),
            alternate_name: format!("screen{i}"),
            email_address: format!("user{i}@example.com"),
            job_title: "Engineer".into(),
            ..Person::default()
        })
        .collect();
    let started = Instant::now();
    social.upsert_people(people).expect("import");
    started.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seconds = args.iter().find_map(|a| a.parse().ok()).unwrap_or(5);
    // `grouped` alone measures the host's mode only, for quick comparisons.
    let grouped_only = args.iter().any(|a| a == "grouped");
    println!("{CLIENTS} writer tasks, {seconds} s per mode, Durability::Immediate");
    let show = |name: &str, m: &Measured| {
        println!(
            "{name:<22} {:>10.0} actions/s, p50 {:.2} ms, p99 {:.2} ms",
            m.rate, m.p50_ms, m.p99_ms
        );
    };
    let grouped = measure(true, seconds);
    show("grouped commits:", &grouped);
    if grouped_only {
        return;
    }
    let ungrouped = measure(false, seconds);
    show("one commit per action:", &ungrouped);
    println!(
        "speed-up:              {:>10.1}x",
        grouped.rate / ungrouped.rate
    );
    println!("import of 100000 people: {:.1} s", import(100_000));
}
