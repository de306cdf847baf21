//! A hub renames: a person with many followers and connections gets a new name from the
//! portal's claims. Every list that shows them is sorted by name, so each of those rows
//! moves. Prints how long the rename's own write takes to be acknowledged, how long an
//! unrelated action sent a moment later waits, and how long until every list shows the
//! hub in its new place; then the same for deleting the hub, which still ends all its
//! relations in one write.
//!
//! Run: `cargo bench --bench store_rename` (optionally `-- <followers>`; 100,000 by
//! default, the benchmark graph's people).

use std::time::{Duration, Instant};

use widget_host::portal::Profile;
use widget_host::social::{Action, BulkEdge, PersonVerb, Social};
use widget_host::store::Person;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// An action of someone unrelated (u1 on u2) sent a millisecond from now: how long
/// it waits behind whatever the writer is doing.
fn bystander(social: &Social, verb: PersonVerb) -> std::thread::JoinHandle<Duration> {
    let social = social.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1));
        let sent = Instant::now();
        social.act("u1", Action::on(verb, "u2")).expect("act");
        sent.elapsed()
    })
}

fn main() {
    let followers: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let social = Social::open(dir.path().join("rename.redb")).expect("open store");
    let people: Vec<Person> = (0..=followers)
        .map(|i| Person {
            id: format!("u{i}"),
            given_name: format!("Given{i}"),
            family_name: format!("Family{}", i % 977),
            ..Person::default()
        })
        .collect();
    social.upsert_people(people).expect("people");
    // u0 is the hub: everyone follows them, one in ten is connected to them.
    let edges: Vec<BulkEdge> = (1..=followers)
        .flat_map(|i| {
            let follow = BulkEdge::Follow(format!("u{i}"), "u0".into());
            let connect = (i % 10 == 0).then(|| BulkEdge::Connection("u0".into(), format!("u{i}")));
            std::iter::once(follow).chain(connect)
        })
        .collect();
    let rows = social.link_many(edges).expect("edges");
    println!("hub u0 with {rows} relations");
    // Everyone else follows a score of others, so that the hub's rows lie scattered
    // among some two million, as in the benchmark graph.
    for chunk in (1..=followers).collect::<Vec<_>>().chunks(10_000) {
        let edges: Vec<BulkEdge> = chunk
            .iter()
            .flat_map(|&i| {
                (1..=19).map(move |k| {
                    let other = 1 + (i * 7919 + k * 104_729) % followers;
                    BulkEdge::Follow(format!("u{i}"), format!("u{other}"))
                })
            })
            .collect();
        social.link_many(edges).expect("background edges");
    }

    let renamed = Profile {
        given_name: Some("Zelda".into()),
        family_name: Some("Renamed".into()),
        ..Profile::default()
    };
    let started = Instant::now();
    let meanwhile = bystander(&social, PersonVerb::Unfollow);
    social.refresh_profile("u0", &renamed).expect("rename");
    let acknowledged = started.elapsed();
    let waited = meanwhile.join().expect("bystander");
    let deadline = Instant::now() + Duration::from_secs(600);
    while social
        .read()
        .expect("read")
        .resorts_pending()
        .expect("pending")
        > 0
    {
        assert!(
            Instant::now() < deadline,
            "the rename's rows never finished moving"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let settled = started.elapsed();
    println!(
        "rename acknowledged after {:.1} ms",
        acknowledged.as_secs_f64() * 1000.0
    );
    println!(
        "an unrelated action sent meanwhile waited {:.1} ms",
        waited.as_secs_f64() * 1000.0
    );
    println!(
        "every list in order after {:.1} ms",
        settled.as_secs_f64() * 1000.0
    );
    assert!(social.check_invariants().expect("check").is_empty());

    // Deleting the hub (`DELETE /api/users/u0`) still ends every relation in one write.
    let started = Instant::now();
    let meanwhile = bystander(&social, PersonVerb::Follow);
    assert!(social.delete_person("u0").expect("delete"));
    let deleted = started.elapsed();
    let waited = meanwhile.join().expect("bystander");
    println!(
        "delete acknowledged after {:.1} ms",
        deleted.as_secs_f64() * 1000.0
    );
    println!(
        "an unrelated action sent meanwhile waited {:.1} ms",
        waited.as_secs_f64() * 1000.0
    );
}
