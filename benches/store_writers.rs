//! 64 concurrent writer threads: grouped commits (one durable commit per drained batch)
//! against one durable commit per action, side by side, printing actions/s for both.
//!
//! Run: `cargo bench --bench store_writers` (optionally `-- <seconds-per-mode>`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use widget_host::social::{Action, PersonVerb, Social};
use widget_host::store::{Person, StoreOptions};

const THREADS: usize = 64;
const PEOPLE: usize = 256;

fn measure(grouped: bool, seconds: u64) -> f64 {
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
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (social, stop, done) = (social.clone(), Arc::clone(&stop), Arc::clone(&done));
            std::thread::spawn(move || {
                let (mut k, mut follow) = (1, true);
                while !stop.load(Ordering::Relaxed) {
                    // Follow then unfollow each other person in turn: every action writes.
                    let other = format!("u{}", (t + k) % PEOPLE);
                    let verb = if follow {
                        PersonVerb::Follow
                    } else {
                        PersonVerb::Unfollow
                    };
                    let out = social
                        .act(&format!("u{t}"), Action::on(verb, other))
                        .expect("act");
                    assert!(out.all_ok());
                    if !follow {
                        k = if k + 1 >= PEOPLE { 1 } else { k + 1 };
                    }
                    follow = !follow;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("writer thread");
    }
    let elapsed = started.elapsed().as_secs_f64();
    assert!(social.check_invariants().expect("check").is_empty());
    done.load(Ordering::Relaxed) as f64 / elapsed
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
    let seconds = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    let ungrouped = measure(false, seconds);
    let grouped = measure(true, seconds);
    println!("{THREADS} writer threads, {seconds} s per mode, Durability::Immediate");
    println!("one commit per action: {ungrouped:>10.0} actions/s");
    println!("grouped commits:       {grouped:>10.0} actions/s");
    println!("speed-up:              {:>10.1}x", grouped / ungrouped);
    println!("import of 100000 people: {:.1} s", import(100_000));
}
