//! Operations: `seed`, `check-db`, `backup`/`restore` and `token`, through the
//! library and through the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;

mod common;
use redb::{Database, ReadableDatabase, TableDefinition, TableHandle};
use widget_host::directory::{SeedOptions, seed, seeded_id};
use widget_host::social::{Action, EntryDraft, PersonVerb as P, Social};
use widget_host::store::{Filter, StoreError, backup_file, inspect_file, restore_file};

fn seeded(users: usize, degree: f64, seed_value: u64) -> Social {
    let s = Social::in_memory().unwrap();
    let options = SeedOptions {
        users,
        degree,
        seed_value,
    };
    seed(&s, options, &ProgressBar::hidden()).unwrap();
    s
}

/// Seeds a database file at `path` and closes it.
fn seed_file(path: &Path, users: usize, degree: f64, seed_value: u64) {
    let s = Social::open(path).unwrap();
    let options = SeedOptions {
        users,
        degree,
        seed_value,
    };
    seed(&s, options, &ProgressBar::hidden()).unwrap();
}

fn degrees(s: &Social, users: usize) -> Vec<u64> {
    let r = s.read().unwrap();
    let mut d: Vec<u64> = (0..users)
        .map(|i| {
            let c = r.counts(&seeded_id(i)).unwrap();
            c.connections + c.following + c.followers
        })
        .collect();
    d.sort_unstable();
    d
}

#[test]
fn seed_keeps_every_invariant_with_skewed_degrees_and_varied_names() {
    let users = 3_000;
    let s = seeded(users, 12.0, 7);
    assert_eq!(s.check_invariants().unwrap(), vec![]);
    let d = degrees(&s, users);
    let (median, max) = (d[users / 2], d[users - 1]);
    let mean = d.iter().sum::<u64>() as f64 / users as f64;
    assert!((9.0..=13.0).contains(&mean), "mean degree {mean}");
    assert!(max >= 10 * median.max(1), "max {max} vs median {median}");
    // Skewed through the body, not only at the head: the median person has well under
    // the mean, and the top 1% hold a large share of all relation ends (with one end of
    // each relation uniform, the median was 0.83 of the mean and the top 1% held 10%).
    assert!(
        (median as f64) <= 0.7 * mean,
        "median {median} vs mean {mean}"
    );
    let ends: u64 = d.iter().sum();
    let top: u64 = d[users - users / 100..].iter().sum();
    assert!(
        top as f64 >= 0.15 * ends as f64,
        "the top 1% hold {top} of {ends} relation ends"
    );
    let r = s.read().unwrap();
    let people: Vec<_> = (0..users)
        .map(|i| r.person(&seeded_id(i)).unwrap().unwrap())
        .collect();
    let non_ascii = people.iter().filter(|p| !p.full_name().is_ascii()).count();
    assert!(
        non_ascii > users / 10 && non_ascii < users,
        "{non_ascii} non-ASCII names"
    );
    let blocked: u64 = people
        .iter()
        .map(|p| {
            r.list(&p.id, widget_host::store::Filter::Blocked, None, 1000)
                .unwrap()
                .items
                .len() as u64
        })
        .sum();
    let pending: u64 = people
        .iter()
        .map(|p| r.counts(&p.id).unwrap().requests)
        .sum();
    assert!(
        blocked > 0 && pending > 0,
        "blocks {blocked}, pending {pending}"
    );
}

/// Each seeded person as a seed makes them: their record, counts and connections.
fn seeded_people(s: &Social, users: usize) -> Vec<String> {
    let r = s.read().unwrap();
    (0..users)
        .map(|i| {
            let id = seeded_id(i);
            let connections: Vec<String> = r
                .list(&id, widget_host::store::Filter::Connections, None, 1000)
                .unwrap()
                .items
                .into_iter()
                .map(|item| match item {
                    widget_host::store::Listed::Person(p) => p.id,
                    other => panic!("a person: {other:?}"),
                })
                .collect();
            let person = r.person(&id).unwrap();
            format!("{person:?} {:?} {connections:?}", r.counts(&id).unwrap())
        })
        .collect()
}

#[test]
fn seed_is_deterministic_and_refuses_to_seed_twice() {
    // The same seed makes the same people with the same relations, each of them, not
    // only the same spread of degrees.
    let a = seeded_people(&seeded(400, 6.0, 3), 400);
    let b = seeded_people(&seeded(400, 6.0, 3), 400);
    let c = seeded_people(&seeded(400, 6.0, 4), 400);
    assert_eq!(a, b);
    assert_ne!(a, c);
    let s = seeded(50, 4.0, 1);
    let again = seed(
        &s,
        SeedOptions {
            users: 50,
            degree: 4.0,
            seed_value: 2,
        },
        &ProgressBar::hidden(),
    );
    assert!(again.is_err());

    // Nor into a directory of real people, whose ids it does not use; nor beyond its
    // size limit (which would otherwise panic sizing its buffers).
    let dir = tempfile::tempdir().unwrap();
    let real = Social::open(dir.path().join("real.redb")).unwrap();
    let jane = widget_host::store::Person {
        id: "jane".into(),
        given_name: "Jane".into(),
        ..Default::default()
    };
    real.upsert_people(vec![jane]).unwrap();
    let options = |users| SeedOptions {
        users,
        degree: 4.0,
        seed_value: 1,
    };
    let refused = seed(&real, options(50), &ProgressBar::hidden()).unwrap_err();
    assert!(refused.to_string().contains("1 people"), "{refused}");
    assert!(
        !refused.to_string().contains("JSON"),
        "not an import: {refused}"
    );
    let empty = Social::open(dir.path().join("empty.redb")).unwrap();
    let refused = seed(&empty, options(usize::MAX), &ProgressBar::hidden()).unwrap_err();
    assert!(refused.to_string().contains("at most"), "{refused}");
    assert!(
        !refused.to_string().contains("JSON"),
        "not an import: {refused}"
    );
    let huge = SeedOptions {
        users: 1_000_000,
        degree: 10_000.0,
        seed_value: 1,
    };
    let refused = seed(&empty, huge, &ProgressBar::hidden()).unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("a seed draws at most 20000000"),
        "{refused}"
    );
    assert_eq!(empty.read().unwrap().directory_size().unwrap(), 0);
}

#[test]
fn tiny_directories_do_not_loop_forever() {
    let s = seeded(3, 50.0, 1);
    assert_eq!(s.check_invariants().unwrap(), vec![]);
    let s = seeded(0, 5.0, 1);
    assert_eq!(s.check_invariants().unwrap(), vec![]);
}

/// What `check-db` finds in the file at `path`, as it words it.
fn violations(path: &Path) -> Vec<String> {
    inspect_file(path)
        .unwrap()
        .violations
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Gives the first seeded person a personal contact, in the closed file at `path`.
fn add_a_contact(path: &Path) {
    let s = Social::open(path).unwrap();
    let draft = EntryDraft {
        entry_id: None,
        full_name: "Pat Doe".into(),
        email_address: "pat@example.com".into(),
        comments: String::new(),
    };
    s.act(&seeded_id(1), Action::SaveEntry(draft)).unwrap();
}

/// A closed database file of a seeded graph (`users` people, four relations each)
/// that breaks no invariant, in a folder of its own.
fn seeded_file(users: usize, seed_value: u64) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let s = Social::open(&path).unwrap();
    let options = SeedOptions {
        users,
        degree: 4.0,
        seed_value,
    };
    seed(&s, options, &ProgressBar::hidden()).unwrap();
    drop(s);
    assert_eq!(inspect_file(&path).unwrap().violations, vec![]);
    (dir, path)
}

fn reopen(path: &Path) -> Database {
    let start = Instant::now();
    loop {
        match Database::open(path) {
            Ok(db) => return db,
            Err(e) if start.elapsed() > Duration::from_secs(10) => panic!("{e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

#[test]
fn backup_while_writing_is_consistent_and_restores() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.redb");
    let copy = dir.path().join("backup.redb");
    let social = Social::open(&live).unwrap();
    let users = 200;
    seed(
        &social,
        SeedOptions {
            users,
            degree: 6.0,
            seed_value: 11,
        },
        &ProgressBar::hidden(),
    )
    .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let applied = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (social, stop, applied) = (social.clone(), stop.clone(), applied.clone());
        std::thread::spawn(move || {
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let verb = [P::Follow, P::Connect, P::Block, P::Unfollow, P::Unblock][i % 5];
                let (a, b) = (seeded_id(i % users), seeded_id((i * 7 + 3) % users));
                social.act(&a, Action::on(verb, b)).unwrap();
                applied.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        })
    };
    while applied.load(Ordering::Relaxed) < 20 {
        std::thread::yield_now();
    }
    social.backup_to(&copy).unwrap();
    let during = applied.load(Ordering::Relaxed);
    while applied.load(Ordering::Relaxed) < during + 20 {
        std::thread::yield_now();
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();

    let summary = inspect_file(&copy).unwrap();
    assert_eq!(summary.violations, vec![]);
    assert_eq!(summary.people, users as u64);
    assert!(summary.connections > 0 && summary.follows > 0);

    // The live database is held by the running store: restore must refuse.
    let target = dir.path().join("live.redb");
    match restore_file(&copy, &target) {
        Err(StoreError::Locked(p)) => assert_eq!(p, target),
        other => panic!("restore over a locked database: {other:?}"),
    }
    let person = social
        .read()
        .unwrap()
        .person(&seeded_id(5))
        .unwrap()
        .unwrap();
    drop(social);
    drop(reopen(&live));

    let restored = dir.path().join("restored").join("db.redb");
    std::fs::create_dir_all(restored.parent().unwrap()).unwrap();
    let summary = restore_file(&copy, &restored).unwrap().summary;
    assert_eq!(summary.people, users as u64);
    let back = Social::open(&restored).unwrap();
    assert_eq!(
        back.read().unwrap().person(&seeded_id(5)).unwrap(),
        Some(person)
    );
    assert_eq!(back.check_invariants().unwrap(), vec![]);
    drop(back);

    // Every table of the live file is in the backup.
    let tables = |path: &Path| -> Vec<String> {
        let db = reopen(path);
        let txn = db.begin_read().unwrap();
        let mut names: Vec<String> = txn
            .list_tables()
            .unwrap()
            .map(|t| t.name().to_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(tables(&live), tables(&copy));
    assert!(tables(&copy).len() > 20);
}

const CONNECTED: TableDefinition<(u64, u64), ()> = TableDefinition::new("userid_connectedid");

/// Deletes one direction of one connection, behind the store's back.
fn corrupt(path: &Path) {
    let db = reopen(path);
    let txn = db.begin_write().unwrap();
    {
        let mut t = txn.open_table(CONNECTED).unwrap();
        let first = redb::ReadableTable::first(&t)
            .unwrap()
            .map(|(k, _)| k.value())
            .unwrap();
        t.remove(first).unwrap();
    }
    txn.commit().unwrap();
}

#[test]
fn check_db_finds_a_request_row_that_names_no_request() {
    const PARTICIPATION: TableDefinition<(u64, u64), ()> = TableDefinition::new("userid_requestid");
    let (_dir, path) = seeded_file(30, 2);
    let db = reopen(&path);
    let txn = db.begin_write().unwrap();
    txn.open_table(PARTICIPATION)
        .unwrap()
        .insert((1, 999_999), ())
        .unwrap();
    txn.commit().unwrap();
    drop(db);
    let found = inspect_file(&path).unwrap().violations;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].to_string().contains("(1, 999999)"), "{found:?}");
}

/// A request of someone to themselves, which the store never writes, is found in a
/// file that holds one with every index row a request has.
#[test]
fn check_db_finds_a_request_to_oneself() {
    const REQUESTS: TableDefinition<u64, &[u8]> = TableDefinition::new("requestid_request");
    const PAIRS: [&str; 2] = ["receiverid_requesterid", "requesterid_receiverid"];
    const ROWS: [&str; 2] = ["receiverid_requestid", "userid_requestid"];
    let (_dir, path) = seeded_file(30, 2);
    let clean = inspect_file(&path).unwrap().violations;
    assert!(clean.is_empty(), "{clean:?}");
    let (id, me) = (999_999, 1);
    let db = reopen(&path);
    let txn = db.begin_write().unwrap();
    let record = format!(
        r#"{{"id":{id},"requester":{me},"receiver":{me},"created_at":1,"status":"Pending"}}"#
    );
    txn.open_table(REQUESTS)
        .unwrap()
        .insert(id, record.as_bytes())
        .unwrap();
    for name in PAIRS {
        let def: TableDefinition<(u64, u64), u64> = TableDefinition::new(name);
        txn.open_table(def).unwrap().insert((me, me), id).unwrap();
    }
    for name in ROWS {
        let def: TableDefinition<(u64, u64), ()> = TableDefinition::new(name);
        txn.open_table(def).unwrap().insert((me, id), ()).unwrap();
    }
    txn.commit().unwrap();
    drop(db);
    let found = inspect_file(&path).unwrap().violations;
    let text = format!("{found:?}");
    assert!(
        text.contains(&format!("request {id} is of")) && text.contains("to themselves"),
        "{text}"
    );
}

/// The list and search indexes, checked row by row: a row missing, one too many, one
/// naming no relation, one under a key not its other's, and a relation listed twice
/// under two keys are each found, the first three also where the rows are as many as
/// the relations. (A relation listed twice under keys a re-sort allows, with no other
/// fault, is left out: it needs a re-sort record written by hand.)
#[test]
fn check_db_finds_every_kind_of_stray_index_row() {
    type ListRow = (u64, u8, String, u64);
    const LISTS: TableDefinition<(u64, u8, &str, u64), ()> =
        TableDefinition::new("userid_list_sortkey_otherid");
    const PREFIXES: TableDefinition<(&str, &str, u64), ()> =
        TableDefinition::new("prefix_sortkey_userid");
    const SORTKEYS: TableDefinition<u64, &str> = TableDefinition::new("userid_sortkey");
    let (dir, path) = seeded_file(40, 3);
    let (a, b, prefix_row, stranger) = {
        let db = reopen(&path);
        let txn = db.begin_read().unwrap();
        let lists = txn.open_table(LISTS).unwrap();
        let mut rows = redb::ReadableTable::iter(&lists).unwrap().map(|row| {
            let guard = row.unwrap().0;
            let (owner, kind, key, other) = guard.value();
            (owner, kind, key.to_owned(), other)
        });
        let (a, b): (ListRow, ListRow) = (rows.next().unwrap(), rows.next().unwrap());
        // Someone in no relation of `a`'s kind with `a`'s owner, under their own key.
        let others: std::collections::HashSet<u64> = redb::ReadableTable::iter(&lists)
            .unwrap()
            .filter_map(|row| {
                let (owner, kind, _, other) = row.unwrap().0.value();
                ((owner, kind) == (a.0, a.1)).then_some(other)
            })
            .collect();
        let sortkeys = txn.open_table(SORTKEYS).unwrap();
        let stranger = redb::ReadableTable::iter(&sortkeys)
            .unwrap()
            .map(|row| {
                let (id, key) = row.unwrap();
                (id.value(), key.value().to_owned())
            })
            .find(|(id, _)| *id != a.0 && !others.contains(id))
            .expect("someone unrelated");
        let prefixes = txn.open_table(PREFIXES).unwrap();
        let (k, _) = redb::ReadableTable::first(&prefixes).unwrap().unwrap();
        let (prefix, key, id) = k.value();
        (a, b, (prefix.to_owned(), key.to_owned(), id), stranger)
    };
    let remove = |t: &redb::WriteTransaction, (o, kind, key, other): &ListRow| {
        let mut lists = t.open_table(LISTS).unwrap();
        assert!(
            lists
                .remove((*o, *kind, key.as_str(), *other))
                .unwrap()
                .is_some()
        );
    };
    let insert = |t: &redb::WriteTransaction, (o, kind, key, other): &ListRow| {
        let mut lists = t.open_table(LISTS).unwrap();
        lists.insert((*o, *kind, key.as_str(), *other), ()).unwrap();
    };
    let (owner, _, _, _) = a.clone();
    let (prefix, key, id) = prefix_row;
    let drop_prefix = |t: &redb::WriteTransaction| {
        let mut prefixes = t.open_table(PREFIXES).unwrap();
        let row = (prefix.as_str(), key.as_str(), id);
        assert!(prefixes.remove(row).unwrap().is_some());
    };
    let stray_prefix = |t: &redb::WriteTransaction| {
        let mut prefixes = t.open_table(PREFIXES).unwrap();
        prefixes.insert(("zzz", key.as_str(), id), ()).unwrap();
    };
    type Tamper<'a> = Box<dyn Fn(&redb::WriteTransaction) + 'a>;
    let tampers: Vec<(&str, Tamper)> = vec![
        ("userid_list_sortkey_otherid", Box::new(|t| remove(t, &a))),
        // As many rows as relations, but one relation listed twice and one not at all.
        (
            "userid_list_sortkey_otherid",
            Box::new(|t| {
                remove(t, &a);
                insert(t, &(b.0, b.1, format!("{}~", b.2), b.3));
            }),
        ),
        // As many rows as relations, each row under its other's key and listed
        // once, but one naming someone the owner has no such relation with.
        (
            "userid_list_sortkey_otherid",
            Box::new(|t| {
                remove(t, &a);
                insert(t, &(a.0, a.1, stranger.1.clone(), stranger.0));
            }),
        ),
        // As many rows as relations, each a relation listed once, one of them under
        // a key that is not its other's.
        (
            "userid_list_sortkey_otherid",
            Box::new(|t| {
                remove(t, &a);
                insert(t, &(a.0, a.1, format!("{}~", a.2), a.3));
            }),
        ),
        // No one has a relation with themselves.
        (
            "userid_list_sortkey_otherid",
            Box::new(|t| insert(t, &(owner, 1, "nobody".into(), owner))),
        ),
        ("prefix_sortkey_userid", Box::new(|t| drop_prefix(t))),
        // One row too many.
        ("prefix_sortkey_userid", Box::new(|t| stray_prefix(t))),
        // As many rows as before, one of them not the person's.
        (
            "prefix_sortkey_userid",
            Box::new(|t| {
                drop_prefix(t);
                stray_prefix(t);
            }),
        ),
    ];
    for (n, (table, tamper)) in tampers.iter().enumerate() {
        let copy = dir.path().join(format!("copy{n}.redb"));
        std::fs::copy(&path, &copy).unwrap();
        let db = reopen(&copy);
        let txn = db.begin_write().unwrap();
        tamper(&txn);
        txn.commit().unwrap();
        drop(db);
        let found = violations(&copy);
        assert!(
            found.iter().any(|v| v.starts_with(table)),
            "tamper {n}, {table}: {found:?}"
        );
    }
}

/// A pending-request index row whose request record is gone is reported by name.
#[test]
fn check_db_finds_an_index_row_whose_request_is_gone() {
    const REQUESTS: TableDefinition<u64, &[u8]> = TableDefinition::new("requestid_request");
    const BY_RECEIVER: TableDefinition<(u64, u64), u64> =
        TableDefinition::new("receiverid_requesterid");
    let (_dir, path) = seeded_file(200, 2);
    let db = reopen(&path);
    let txn = db.begin_write().unwrap();
    let ((receiver, requester), id) = {
        let index = txn.open_table(BY_RECEIVER).unwrap();
        let (k, v) = redb::ReadableTable::first(&index)
            .unwrap()
            .expect("the seed makes pending requests");
        (k.value(), v.value())
    };
    assert!(
        txn.open_table(REQUESTS)
            .unwrap()
            .remove(id)
            .unwrap()
            .is_some()
    );
    txn.commit().unwrap();
    drop(db);
    let found = violations(&path);
    let expected = format!(
        "pending request index row {receiver}<-{requester} names request {id}, which is not pending between them"
    );
    assert_eq!(
        found.iter().filter(|v| v.contains(&expected)).count(),
        1,
        "reported once: {found:#?}"
    );
}

/// A counter of `meta` at or below an id in use would hand that id out again: the
/// check reports it (each counter, lowered or missing), and restore refuses the file.
#[test]
fn check_db_finds_an_id_counter_behind_the_ids_in_use_and_restore_refuses_it() {
    const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("db.redb");
    seed_file(&live, 60, 4.0, 1);
    add_a_contact(&live);
    drop(reopen(&live));
    assert_eq!(inspect_file(&live).unwrap().violations, vec![]);
    let cases: [(&str, Option<u64>); 4] = [
        ("next_user_id", Some(1)),
        ("next_user_id", None),
        ("next_request_id", Some(1)),
        ("next_entry_id", None),
    ];
    for (counter, value) in cases {
        let copy = dir.path().join(format!("{counter}-{value:?}.redb"));
        backup_file(&live, &copy, &|| false).unwrap();
        let db = reopen(&copy);
        let txn = db.begin_write().unwrap();
        {
            let mut meta = txn.open_table(META).unwrap();
            match value {
                Some(v) => meta.insert(counter, v.to_le_bytes().as_slice()).unwrap(),
                None => meta.remove(counter).unwrap(),
            };
        }
        txn.commit().unwrap();
        drop(db);
        let found = violations(&copy);
        assert_eq!(found.len(), 1, "{counter} {value:?}: {found:?}");
        assert!(
            found[0].starts_with(&format!("meta {counter} is 1, but id ")),
            "{found:?}"
        );
        let err = restore_file(&copy, &live).unwrap_err();
        assert!(err.to_string().contains(counter), "{err}");
    }
    assert_eq!(inspect_file(&live).unwrap().violations, vec![]);
}

/// The id counters of a closed database file.
fn counters(path: &Path) -> Vec<Option<u64>> {
    const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
    let db = reopen(path);
    let txn = db.begin_read().unwrap();
    let meta = txn.open_table(META).unwrap();
    ["next_user_id", "next_request_id", "next_entry_id"]
        .iter()
        .map(|key| {
            let value = redb::ReadableTable::get(&meta, *key).unwrap()?;
            Some(u64::from_le_bytes(value.value().try_into().unwrap()))
        })
        .collect()
}

/// A request issued after the backup was taken keeps its id to itself: the receiver's
/// Confirm form for it, still open in a tab, must not confirm another request that
/// took the id after the restore.
#[test]
fn ids_issued_after_a_backup_are_not_issued_again_after_restoring_it() {
    use widget_host::social::{Refusal, RequestVerb};
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("db.redb");
    let backup = dir.path().join("monday.redb");
    let people = ["ana", "bo", "cy"];
    let s = Social::open(&live).unwrap();
    for id in people {
        s.upsert_person(widget_host::store::Person {
            id: id.into(),
            given_name: id.into(),
            family_name: "Example".into(),
            email_address: format!("{id}@example.com"),
            ..Default::default()
        })
        .unwrap();
    }
    drop(s);
    backup_file(&live, &backup, &|| false).unwrap();
    let backed_up = counters(&backup);
    let s = Social::open(&live).unwrap();
    s.act("ana", Action::on(P::Connect, "bo")).unwrap();
    let draft = EntryDraft {
        entry_id: None,
        full_name: "Written Later".into(),
        email_address: "later@example.com".into(),
        comments: String::new(),
    };
    s.act("bo", Action::SaveEntry(draft)).unwrap();
    let asked = s.read().unwrap().requests_received("bo").unwrap()[0].request_id;
    drop(s);
    let issued = counters(&live);
    assert_ne!(issued, backed_up, "the actions issued ids");

    let restored = restore_file(&backup, &live).unwrap();
    assert!(restored.ids_kept_ahead);
    assert_eq!(counters(&live), issued);
    let s = Social::open(&live).unwrap();
    s.act("cy", Action::on(P::Connect, "bo")).unwrap();
    let reader = s.read().unwrap();
    let received = reader.requests_received("bo").unwrap();
    assert!(received[0].request_id > asked, "{received:?}");
    let confirm = Action::Request {
        verb: RequestVerb::Accept,
        request_id: asked,
    };
    assert_eq!(
        s.act("bo", confirm).unwrap().first(),
        Err(Refusal::NotPending)
    );
    assert!(
        !s.read()
            .unwrap()
            .relationship("bo", "cy")
            .unwrap()
            .connected
    );
    assert_eq!(s.check_invariants().unwrap(), vec![]);
}

/// A counter of the replaced database near the end of its range (written by
/// something else, or damaged) is not taken over: the restored file keeps ids to give,
/// and gives them from 2^32 past its own, beyond any the replaced one may have issued
/// since the backup. Its other counters, from the same doubtful file, are not
/// trusted either: each moves 2^32 past the larger of the two files'.
#[test]
fn a_replaced_counter_near_the_end_is_not_taken_over() {
    const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("db.redb");
    seed_file(&live, 20, 3.0, 4);
    drop(reopen(&live));
    let backup = dir.path().join("monday.redb");
    backup_file(&live, &backup, &|| false).unwrap();
    let db = reopen(&live);
    let txn = db.begin_write().unwrap();
    {
        let mut meta = txn.open_table(META).unwrap();
        meta.insert("next_user_id", (u64::MAX - 1).to_le_bytes().as_slice())
            .unwrap();
        // Requests issued since the backup: that counter reads, and is taken over.
        meta.insert("next_request_id", 5_000u64.to_le_bytes().as_slice())
            .unwrap();
    }
    txn.commit().unwrap();
    drop(db);
    let restored = restore_file(&backup, &live).unwrap();
    // Not one the host wrote: its ids are not known, and the restore says so.
    assert!(!restored.ids_kept_ahead);
    let (ours, now) = (counters(&backup), counters(&live));
    assert_eq!(now[0], ours[0].map(|n| n + (1 << 32)));
    assert_eq!(
        now[1],
        Some(5_000 + (1 << 32)),
        "from the live file's, ahead"
    );
    assert_eq!(now[2], Some(ours[2].unwrap_or(1) + (1 << 32)));
    assert_eq!(inspect_file(&live).unwrap().violations, vec![]);
}

/// A file the command cannot look at (a link that loops here; for a service user, a
/// backup under root's home) is refused with the system's reason, not as one that is
/// not there.
#[cfg(unix)]
#[test]
fn a_file_that_cannot_be_looked_at_is_not_called_missing() {
    let dir = tempfile::tempdir().unwrap();
    let looped = dir.path().join("monday.redb");
    std::os::unix::fs::symlink("monday.redb", &looped).unwrap();
    let live = dir.path().join("db.redb");
    let refused = restore_file(&looped, &live).unwrap_err().to_string();
    assert!(!refused.contains("no such file"), "{refused}");
    assert!(refused.contains("monday.redb"), "{refused}");
    let refused = inspect_file(&looped).unwrap_err().to_string();
    assert!(!refused.contains("no database file here"), "{refused}");
    // One that is not there is said to be missing.
    let missing = dir.path().join("tuesday.redb");
    let refused = restore_file(&missing, &live).unwrap_err().to_string();
    assert!(refused.contains("no such file"), "{refused}");
    assert!(!live.exists(), "nothing made");
}

/// `check-db` reads what the host reads besides the graph: a placement's preferences
/// that do not decode (its renders would fail) and a host key of the wrong length
/// (the host would not start) are violations, named.
#[test]
fn check_db_reads_preferences_and_the_host_key() {
    const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
    const PREFERENCES: TableDefinition<&str, &[u8]> = TableDefinition::new("portletid_preferences");
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("db.redb");
    seed_file(&live, 10, 2.0, 5);
    assert_eq!(inspect_file(&live).unwrap().violations, vec![]);
    let db = reopen(&live);
    let txn = db.begin_write().unwrap();
    {
        let mut preferences = txn.open_table(PREFERENCES).unwrap();
        preferences
            .insert(
                "contacts_center_INSTANCE_ok",
                br#"{"pageSize":["10"]}"#.as_slice(),
            )
            .unwrap();
        preferences
            .insert("contacts_center_INSTANCE_bad", b"not json".as_slice())
            .unwrap();
        txn.open_table(META)
            .unwrap()
            .insert("host_key", b"short".as_slice())
            .unwrap();
    }
    txn.commit().unwrap();
    drop(db);
    let found: Vec<String> = inspect_file(&live)
        .unwrap()
        .violations
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found[0]
            .starts_with("the preferences of placement contacts_center_INSTANCE_bad do not decode"),
        "{found:#?}"
    );
    assert_eq!(found[1], "meta host_key is 5 bytes, not 32");
}

/// Where no database is there to replace (a lost disk, a new machine), nobody knows
/// what was issued after the backup: its counters move 2^32 ahead and the restore
/// says so. Likewise over a live file whose counters are behind the backup's, which
/// is no later state of it: one a start made after the database was lost.
#[test]
fn a_restore_with_no_later_database_to_read_moves_its_ids_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("db.redb");
    seed_file(&live, 20, 3.0, 4);
    Social::open(&live)
        .unwrap()
        .act(
            &seeded_id(1),
            Action::SaveEntry(EntryDraft {
                entry_id: None,
                full_name: "Kept Contact".into(),
                email_address: "kept@example.com".into(),
                comments: String::new(),
            }),
        )
        .unwrap();
    let backup = dir.path().join("monday.redb");
    backup_file(&live, &backup, &|| false).unwrap();
    // Requests too, which the backup never issued.
    let ahead: Vec<_> = counters(&backup)
        .iter()
        .map(|n| Some(n.unwrap_or(1) + (1 << 32)))
        .collect();

    let elsewhere = dir.path().join("new-machine").join("db.redb");
    std::fs::create_dir(elsewhere.parent().unwrap()).unwrap();
    let restored = restore_file(&backup, &elsewhere).unwrap();
    assert_eq!(restored.replaced_kept_as, None);
    assert!(!restored.ids_kept_ahead);
    assert_eq!(counters(&elsewhere), ahead);
    assert_eq!(inspect_file(&elsewhere).unwrap().violations, vec![]);

    // A database a start made after the old one was lost: behind the backup.
    std::fs::remove_file(&live).unwrap();
    drop(Social::open(&live).unwrap());
    let restored = restore_file(&backup, &live).unwrap();
    assert!(restored.replaced_kept_as.is_some());
    assert!(!restored.ids_kept_ahead);
    assert_eq!(counters(&live), ahead);

    // The live file is the backup's later state: its own counters, no gap.
    let restored = restore_file(&backup, &live).unwrap();
    assert!(restored.ids_kept_ahead);
    assert_eq!(counters(&live), ahead);
}

/// The database file's other names beside it: what restores kept.
fn kept_beside(path: &Path) -> Vec<PathBuf> {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut kept: Vec<PathBuf> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("{name}.replaced-"))
        })
        .collect();
    kept.sort();
    kept
}

#[test]
fn a_restore_keeps_the_database_it_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("db.redb");
    seed_file(&live, 40, 4.0, 2);
    drop(reopen(&live));
    let backup = dir.path().join("monday.redb");
    backup_file(&live, &backup, &|| false).unwrap();
    // Written after the backup: what restoring it would otherwise lose for good.
    let draft = EntryDraft {
        entry_id: None,
        full_name: "Written Later".into(),
        email_address: "later@example.com".into(),
        comments: String::new(),
    };
    Social::open(&live)
        .unwrap()
        .act(&seeded_id(1), Action::SaveEntry(draft))
        .unwrap();
    let entries_before = inspect_file(&live).unwrap().entries;

    let restored = restore_file(&backup, &live).unwrap();
    let kept = restored
        .replaced_kept_as
        .expect("the replaced file is kept");
    assert_eq!(kept_beside(&live), vec![kept.clone()]);
    assert_eq!(restored.summary.entries, entries_before - 1);
    assert_eq!(inspect_file(&live).unwrap().entries, entries_before - 1);
    let old = inspect_file(&kept).unwrap();
    assert_eq!((old.entries, old.violations), (entries_before, vec![]));
    // Restored again at once (within the second, as a script would): a name of its own.
    let again = restore_file(&backup, &live)
        .unwrap()
        .replaced_kept_as
        .expect("kept");
    assert_ne!(again, kept);
    assert_eq!(kept_beside(&live).len(), 2);
    std::fs::remove_file(&again).unwrap();

    // A refused restore keeps no second name; one with no database to replace has none.
    std::fs::remove_file(&kept).unwrap();
    let junk = dir.path().join("junk.redb");
    std::fs::write(&junk, b"not a database").unwrap();
    assert!(restore_file(&junk, &live).is_err());
    assert_eq!(kept_beside(&live), Vec::<PathBuf>::new());
    let fresh = dir.path().join("fresh.redb");
    assert_eq!(
        restore_file(&backup, &fresh).unwrap().replaced_kept_as,
        None
    );
    assert_eq!(kept_beside(&fresh), Vec::<PathBuf>::new());
}

#[test]
fn check_db_names_each_person_that_does_not_decode() {
    let (_dir, path) = seeded_file(30, 2);
    let db = reopen(&path);
    let txn = db.begin_write().unwrap();
    {
        let mut people = txn.open_table(RECORDS).unwrap();
        for id in [3, 7] {
            // Emails that are not the JSON array a record holds.
            let record = (
                "x",
                "A",
                "",
                "B",
                "ab",
                "",
                "",
                None,
                &b"not json"[..],
                &b"{}"[..],
            );
            people.insert(id, record).unwrap();
        }
    }
    txn.commit().unwrap();
    drop(db);
    let found: Vec<String> = violations(&path);
    for id in [3, 7] {
        assert!(
            found
                .iter()
                .any(|v| v.starts_with(&format!("person {id} does not decode"))),
            "{found:?}"
        );
    }
    // Their edges, counts and requests are not reported as naming nobody: the lines
    // that matter are not buried.
    assert!(!found.iter().any(|v| v.contains("unknown")), "{found:?}");

    // A file of an older schema, whose upgrade rebuilds the search index, still
    // opens: the two records are left out of the index (with a warning), not the
    // whole directory refused.
    let db = reopen(&path);
    let txn = db.begin_write().unwrap();
    txn.open_table(META)
        .unwrap()
        .insert("schema_version", 8u64.to_le_bytes().as_slice())
        .unwrap();
    txn.commit().unwrap();
    drop(db);
    let social = Social::open(&path).expect("the upgrade opens the file");
    let found = social
        .read()
        .unwrap()
        .search(&seeded_id(1), &seeded_id(4), Filter::All, None, 5)
        .unwrap();
    assert_eq!(found.items.len(), 1, "the others are indexed");
    drop(social);
    let after: Vec<String> = violations(&path);
    for id in [3, 7] {
        assert!(
            after
                .iter()
                .any(|v| v.starts_with(&format!("person {id} does not decode"))),
            "{after:?}"
        );
    }
}

/// A request or a contact whose record does not decode is one line each, and the check
/// goes on: the lines of everything else are still listed, where one such record used
/// to end the whole check as "database damaged".
#[test]
fn check_db_names_a_request_and_a_contact_that_do_not_decode_and_goes_on() {
    const REQUESTS: TableDefinition<u64, &[u8]> = TableDefinition::new("requestid_request");
    const ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entryid_entry");
    const BY_RECEIVER: TableDefinition<(u64, u64), u64> =
        TableDefinition::new("receiverid_requesterid");
    let (_dir, path) = seeded_file(200, 2);
    add_a_contact(&path);
    let db = reopen(&path);
    let txn = db.begin_write().unwrap();
    let (request, entry) = {
        let index = txn.open_table(BY_RECEIVER).unwrap();
        let (_, request) = redb::ReadableTable::first(&index)
            .unwrap()
            .expect("the seed makes pending requests");
        let request = request.value();
        let mut requests = txn.open_table(REQUESTS).unwrap();
        requests.insert(request, &b"not a request"[..]).unwrap();
        let mut entries = txn.open_table(ENTRIES).unwrap();
        let entry = redb::ReadableTable::first(&entries)
            .unwrap()
            .expect("the contact")
            .0
            .value();
        entries.insert(entry, &b"not a contact"[..]).unwrap();
        (request, entry)
    };
    txn.commit().unwrap();
    drop(db);
    let found = violations(&path);
    for line in [
        format!("request {request} does not decode"),
        format!("entry {entry} does not decode"),
    ] {
        assert!(
            found.iter().any(|v| v.starts_with(&line)),
            "{line}: {found:#?}"
        );
    }
    // Their index rows and counts are not reported besides: nothing else is wrong.
    assert_eq!(found.len(), 2, "{found:#?}");
}

/// Writes `version` as the schema of the closed database file at `path`, as a host
/// of that schema would have left it.
fn stamp_schema(path: &Path, version: u64) {
    const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
    let db = reopen(path);
    let txn = db.begin_write().unwrap();
    txn.open_table(META)
        .unwrap()
        .insert("schema_version", version.to_le_bytes().as_slice())
        .unwrap();
    txn.commit().unwrap();
}

/// A seed run against a directory that holds people is refused before the file is
/// opened as a host opens it: an older file is not migrated for a seed certain to be
/// refused, and stays one its own release opens. An empty data folder is seeded.
#[test]
fn a_refused_seed_leaves_an_older_file_as_it_was() {
    let (dir, seeded) = seeded_file(20, 3);
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let path = data.join("widget-host.redb");
    std::fs::rename(&seeded, &path).unwrap();
    stamp_schema(&path, 7);
    let o = host(&data, &["seed", "--users", "10"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(
            "{}: the database already holds 20 people",
            path.display()
        )),
        "{}",
        text(&o)
    );
    const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
    let db = reopen(&path);
    let txn = db.begin_read().unwrap();
    let meta = txn.open_table(META).unwrap();
    let version = meta
        .get("schema_version")
        .unwrap()
        .unwrap()
        .value()
        .to_vec();
    assert_eq!(version, 7u64.to_le_bytes(), "the file was migrated");
    drop((meta, txn, db));
    let empty = dir.path().join("empty");
    let o = host(&empty, &["seed", "--users", "10"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        widget_host::store::people_in_file(&empty.join("widget-host.redb")).unwrap(),
        10
    );
}

#[test]
fn an_offline_backup_refuses_a_file_of_a_newer_schema() {
    let (dir, path) = seeded_file(20, 3);
    stamp_schema(&path, 999);
    let dest = dir.path().join("copy.redb");
    match backup_file(&path, &dest, &|| false) {
        Err(StoreError::SchemaTooNew { found: 999, .. }) => {}
        other => panic!("backup of a newer file: {other:?}"),
    }
    assert!(!dest.exists());
}

#[test]
fn restore_refuses_a_corrupt_or_foreign_file_and_keeps_the_old_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.redb");
    seed_file(&db, 60, 4.0, 1);
    drop(reopen(&db));
    let good = dir.path().join("good.redb");
    backup_file(&db, &good, &|| false).unwrap();
    let bad = dir.path().join("bad.redb");
    std::fs::copy(&good, &bad).unwrap();
    corrupt(&bad);
    let err = restore_file(&bad, &db).unwrap_err();
    assert!(matches!(err, StoreError::BadBackup { .. }), "{err}");
    assert!(err.to_string().contains("one-sided"), "{err}");
    let junk = dir.path().join("junk.redb");
    std::fs::write(&junk, b"not a database at all").unwrap();
    assert!(matches!(
        restore_file(&junk, &db),
        Err(StoreError::BadBackup { .. })
    ));
    // A backup cut short (a download that broke off) is the backup's fault, not the
    // disk's.
    let whole = std::fs::read(&good).unwrap();
    let cut = dir.path().join("cut.redb");
    std::fs::write(&cut, &whole[..whole.len() / 2]).unwrap();
    match restore_file(&cut, &db) {
        Err(StoreError::BadBackup { path, .. }) => assert_eq!(path, cut),
        other => panic!("restore of a cut backup: {other:?}"),
    }
    assert!(restore_file(&dir.path().join("missing"), &db).is_err());
    assert_eq!(inspect_file(&db).unwrap().violations, vec![]);
    let leftovers: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Bytes altered inside a data page, as a bad disk or a copy gone wrong leaves them:
/// redb checks page checksums only when asked, and decoding the altered value would
/// panic. Restore refuses the file, and check-db names the damage, with no panic.
#[test]
fn restore_and_check_db_refuse_a_file_whose_pages_were_altered() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.redb");
    seed_file(&db, 40, 3.0, 1);
    {
        let social = Social::open(&db).unwrap();
        social
            .upsert_person(widget_host::store::Person {
                id: "marked".into(),
                given_name: "Zqxjmarker".into(),
                family_name: "Zqxjmarker".into(),
                ..Default::default()
            })
            .unwrap();
    }
    let altered = dir.path().join("altered.redb");
    backup_file(&db, &altered, &|| false).unwrap();
    let mut bytes = std::fs::read(&altered).unwrap();
    let marker = b"zqxjmarker";
    let mut hits = 0;
    for at in 0..bytes.len() - marker.len() {
        if &bytes[at..at + marker.len()] == marker {
            bytes[at..at + marker.len()].fill(0xff);
            hits += 1;
        }
    }
    assert!(hits > 0, "the folded name is stored as text");
    std::fs::write(&altered, bytes).unwrap();
    let err = restore_file(&altered, &db).unwrap_err();
    assert!(matches!(err, StoreError::BadBackup { .. }), "{err}");
    let damage = inspect_file(&altered).unwrap_err();
    assert!(damage.is_damage(), "{damage:?}");
    assert_eq!(inspect_file(&db).unwrap().violations, vec![]);
}

#[test]
fn restore_replaces_a_live_file_that_no_longer_opens() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.redb");
    seed_file(&db, 30, 3.0, 2);
    let good = dir.path().join("good.redb");
    backup_file(&db, &good, &|| false).unwrap();
    let whole = std::fs::read(&db).unwrap();
    // What a full disk or a cut copy leaves: the live file cut short, or zeroed.
    for damaged in [whole[..100].to_vec(), vec![0u8; whole.len()]] {
        std::fs::write(&db, &damaged).unwrap();
        // ... and reads as damage (check-db's exit 1), not as a failure to check.
        let refused = inspect_file(&db).expect_err("the damaged file must not open");
        assert!(refused.is_damage(), "{refused:?}");
        // What an earlier restore killed mid-copy left beside it goes first.
        let stale = dir.path().join(".db.redb.tmp-4242-0123456789abcdef");
        std::fs::write(&stale, &whole).unwrap();
        let restored = restore_file(&good, &db).unwrap();
        assert!(!stale.exists(), "an earlier copy's temporary file was left");
        assert_eq!(restored.summary.violations, vec![]);
        // Its ids are not known: the restored file gives ids past any it could have
        // issued since the backup, so no form left open acts on a newer request.
        assert!(!restored.ids_kept_ahead);
        let (ours, now) = (counters(&good), counters(&db));
        for (backed_up, restored) in ours.iter().zip(&now) {
            assert_eq!(*restored, Some(backed_up.unwrap_or(1) + (1 << 32)));
        }
        // The damaged file is kept as it was, for whoever wants to look into it.
        let kept = restored.replaced_kept_as.expect("kept");
        assert_eq!(std::fs::read(&kept).unwrap(), damaged);
        std::fs::remove_file(&kept).unwrap();
        let back = Social::open(&db).unwrap();
        assert_eq!(back.read().unwrap().directory_size().unwrap(), 30);
    }
}

/// A person as schema 3 stores it (see `src/store/record.rs`).
type Record = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [u8],
    &'static [u8],
);
const RECORDS: TableDefinition<u64, Record> = TableDefinition::new("userid_person_record");
const JSON_PEOPLE: TableDefinition<u64, &[u8]> = TableDefinition::new("userid_person");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const REGISTRATIONS: TableDefinition<&str, &[u8]> =
    TableDefinition::new("registrationhandle_registration");

/// Rewrites a closed file the way an early schema 2 host left it: each person one JSON
/// document, no records, and no WSRP registrations table (it came later without a
/// schema change).
fn make_schema_2(path: &Path, people: &[widget_host::store::Person]) {
    let db = reopen(path);
    let txn = db.begin_write().unwrap();
    {
        let records = txn.open_table(RECORDS).unwrap();
        let mut json = txn.open_table(JSON_PEOPLE).unwrap();
        for row in redb::ReadableTable::iter(&records).unwrap() {
            let (user, stored) = row.unwrap();
            let id = stored.value().0;
            let person = people.iter().find(|p| p.id == id).unwrap();
            json.insert(user.value(), serde_json::to_vec(person).unwrap().as_slice())
                .unwrap();
        }
        let mut meta = txn.open_table(META).unwrap();
        meta.insert("schema_version", 2u64.to_le_bytes().as_slice())
            .unwrap();
    }
    txn.delete_table(RECORDS).unwrap();
    assert!(
        txn.delete_table(REGISTRATIONS).unwrap(),
        "the table was there"
    );
    txn.commit().unwrap();
}

#[test]
fn a_backup_from_a_schema_2_host_is_migrated_by_restore() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.redb");
    let users = 40;
    let s = Social::open(&live).unwrap();
    let options = SeedOptions {
        users,
        degree: 4.0,
        seed_value: 3,
    };
    seed(&s, options, &ProgressBar::hidden()).unwrap();
    let people: Vec<_> = {
        let r = s.read().unwrap();
        (0..users)
            .map(|i| r.person(&seeded_id(i)).unwrap().unwrap())
            .collect()
    };
    assert!(
        people
            .iter()
            .any(|p| !p.user_account_contact_information.telephones.is_empty()),
        "the seed gives some people phones, so the whole record is exercised"
    );
    let old = dir.path().join("old-backup.redb");
    s.backup_to(&old).unwrap();
    drop(s);
    make_schema_2(&old, &people);

    match inspect_file(&old) {
        Err(StoreError::SchemaOlder { found: 2, current }) => assert!(current > 2),
        other => panic!("check-db of a schema 2 file: {other:?}"),
    }
    // The offline `backup` of a file an older host left copies it as it is.
    let copy = dir.path().join("copy-of-old.redb");
    backup_file(&old, &copy, &|| false).unwrap();
    for (n, from) in [old, copy].iter().enumerate() {
        let restored = dir.path().join(format!("restored-{n}.redb"));
        let summary = restore_file(from, &restored).unwrap().summary;
        assert_eq!(summary.people, users as u64);
        assert_eq!(summary.violations, vec![]);
        let back = Social::open(&restored).unwrap();
        let r = back.read().unwrap();
        for p in &people {
            assert_eq!(r.person(&p.id).unwrap().as_ref(), Some(p));
        }
    }
}

#[test]
fn backups_to_one_name_at_once_each_finish_whole() {
    let dir = tempfile::tempdir().unwrap();
    let s = Social::open(dir.path().join("live.redb")).unwrap();
    let options = SeedOptions {
        users: 200,
        degree: 6.0,
        seed_value: 5,
    };
    seed(&s, options, &ProgressBar::hidden()).unwrap();
    let dest = dir.path().join("same-second.redb");
    for _ in 0..5 {
        let results: Vec<_> = std::thread::scope(|scope| {
            let runs: Vec<_> = (0..3).map(|_| scope.spawn(|| s.backup_to(&dest))).collect();
            runs.into_iter().map(|r| r.join().unwrap()).collect()
        });
        for result in results {
            result.unwrap();
        }
        let summary = inspect_file(&dest).unwrap();
        assert_eq!((summary.people, summary.violations), (200, vec![]));
    }
    let leftovers = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().contains(".tmp-")
        })
        .count();
    assert_eq!(leftovers, 0);
}

/// Ctrl-C (SIGINT) during `backup FILE` stops the copy: the command exits 130 and
/// says nothing was written, and neither `FILE` nor the temporary file beside it is
/// left (it lies wherever `FILE` is, where no later start would look for it).
#[test]
fn an_interrupted_offline_backup_leaves_nothing_behind() {
    let data = tempfile::tempdir().unwrap();
    let seeded = host(data.path(), &["seed", "--users", "20000", "--degree", "20"]);
    assert!(seeded.status.success(), "{}", text(&seeded));
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("copy.redb");
    // A copy that finishes before the signal lands (a runner that starves this test
    // for the second it takes) proves nothing either way: it is taken away and the
    // test tries again, three times at most.
    for attempt in 1..=3 {
        let mut child = host_command(data.path(), &["backup", dest.to_str().unwrap()])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The copy has begun once its temporary file is there.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let began = loop {
            let temporary = std::fs::read_dir(out.path()).unwrap().any(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".copy.redb.tmp-")
            });
            if temporary {
                break true;
            }
            if child.try_wait().unwrap().is_some() {
                break false;
            }
            assert!(std::time::Instant::now() < deadline, "no copy began");
            std::thread::sleep(std::time::Duration::from_millis(1));
        };
        if began {
            // Sent itself, not through a `kill` program the machine may lack.
            let pid = i32::try_from(child.id())
                .ok()
                .and_then(rustix::process::Pid::from_raw)
                .expect("a child's pid");
            rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
        }
        let done = child.wait_with_output().unwrap();
        if done.status.success() && dest.is_file() && attempt < 3 {
            std::fs::remove_file(&dest).unwrap();
            continue;
        }
        assert_eq!(done.status.code(), Some(130), "{}", text(&done));
        assert!(
            text(&done).contains("was stopped; nothing was written there"),
            "{}",
            text(&done)
        );
        let left: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
        return;
    }
}

fn host(data: &Path, args: &[&str]) -> Output {
    host_command(data, args).output().unwrap()
}

/// A database the command may read but not write: redb opens every file for writing,
/// so `check-db`, `backup` and `restore` cannot run on it. Each names the live file
/// and says what it needs, where redb's error named no file and `restore` seemed to
/// blame the backup it was given. Run as another user where the test is root (root
/// may write any file), else with the file made read-only.
#[test]
fn a_database_the_command_may_not_write_is_named() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let seeded = host(&data, &["seed", "--users", "10"]);
    assert!(seeded.status.success(), "{seeded:?}");
    let copy = dir.path().join("copy.redb");
    let backed_up = host(&data, &["backup", copy.to_str().unwrap()]);
    assert!(backed_up.status.success(), "{backed_up:?}");
    let live = data.join("widget-host.redb");
    let mode = |path: &Path, bits| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(bits)).unwrap()
    };
    mode(dir.path(), 0o755);
    mode(&data, 0o755);
    mode(&live, 0o444);
    mode(&copy, 0o444);
    let before = std::fs::read(&live).unwrap();
    let elsewhere = dir.path().join("elsewhere.redb");
    let root = rustix::process::geteuid().is_root();
    // The other user runs a link to the binary in the test's own folder, which it may
    // enter wherever the checkout lies (under /root, say).
    let bin = dir.path().join("widget-host");
    if root {
        let built = env!("CARGO_BIN_EXE_widget-host");
        std::fs::hard_link(built, &bin)
            .or_else(|_| std::fs::copy(built, &bin).map(drop))
            .unwrap();
    }
    for args in [
        vec!["check-db"],
        vec!["backup", elsewhere.to_str().unwrap()],
        vec!["restore", copy.to_str().unwrap()],
    ] {
        let mut cmd = if root {
            let mut cmd = binary_command(&bin, &data, &args);
            cmd.uid(65534).gid(65534);
            cmd
        } else {
            host_command(&data, &args)
        };
        let o = cmd.output().unwrap();
        let said = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {said}");
        assert!(
            said.contains(&format!("{}: ", live.display()))
                && said.contains("run this as the file's owner"),
            "{args:?}: {said}"
        );
    }
    assert_eq!(std::fs::read(&live).unwrap(), before);
    assert!(!elsewhere.exists());
}

/// A reader that stops reading (`check-db | head -1`) ends the output, not the
/// command: its exit code is still the check's, not a panic's 101, and nothing on
/// stderr says it failed.
#[test]
fn a_closed_pipe_on_stdout_leaves_the_exit_code_to_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let seeded = host(&data, &["seed", "--users", "10"]);
    assert!(seeded.status.success(), "{seeded:?}");
    // A folder of no widget is a problem to report: exit 1.
    let folder = dir.path().to_str().unwrap();
    for (args, code) in [
        (vec!["check-db"], 0),
        (vec!["descriptors", "check", folder], 1),
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        // Closed before the command writes its first line.
        drop(reader);
        let o = host_command(&data, &args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {said}");
        assert!(!said.contains("panicked"), "{args:?}: {said}");
    }
    // Output that cannot be written for another reason (a full disk: /dev/full) is
    // no success: a token printed nowhere, a report lost.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = host_command(&data, &["check-db"])
        .stdout(full)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{said}");
    assert_eq!(
        said.matches("cannot write the output: No space left on device")
            .count(),
        1,
        "{said}"
    );
}

/// `check-db` and `backup` run on a relative data folder name the database in full,
/// as `import-users` does: run without the service's `--config`, `./data` would read
/// as the service's own file.
#[test]
fn offline_commands_name_a_relative_data_folder_in_full() {
    let dir = tempfile::tempdir().unwrap();
    let in_dir = |args: &[&str]| {
        let mut cmd = host_command(Path::new("data"), args);
        cmd.current_dir(dir.path());
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "{args:?}: {o:?}");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    in_dir(&["seed", "--users", "10"]);
    let full = dir.path().join("data").join("widget-host.redb");
    let checked = in_dir(&["check-db"]);
    assert!(
        checked.starts_with(&format!("{}: schema", full.display())),
        "{checked}"
    );
    let backed_up = in_dir(&["backup", "copy.redb"]);
    assert_eq!(
        backed_up,
        format!("backed up {} to copy.redb\n", full.display())
    );
}

/// The database file named where its folder is meant: said so, where the system's
/// words were "File exists".
#[test]
fn a_data_folder_that_is_a_file_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let seeded = host(&data, &["seed", "--users", "10"]);
    assert!(seeded.status.success(), "{seeded:?}");
    let file = data.join("widget-host.redb");
    let before = std::fs::read(&file).unwrap();
    let people = dir.path().join("people.json");
    std::fs::write(&people, r#"[{"id": 1, "givenName": "Ann"}]"#).unwrap();
    let copy = dir.path().join("copy.redb");
    for args in [
        vec!["seed", "--users", "10"],
        vec!["import-users", people.to_str().unwrap()],
        vec!["check-db"],
        vec!["backup", copy.to_str().unwrap()],
    ] {
        let o = host(&file, &args);
        let said = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {said}");
        assert!(
            said.contains(&format!("{}: it is a file, not a folder", file.display())),
            "{args:?}: {said}"
        );
    }
    assert_eq!(std::fs::read(&file).unwrap(), before);
    assert!(!copy.exists());
}

/// The host's command line on `data` with `args`, none of the test's own
/// `WIDGET_HOST_` settings passed on.
fn host_command(data: &Path, args: &[&str]) -> Command {
    binary_command(Path::new(env!("CARGO_BIN_EXE_widget-host")), data, args)
}

/// [`host_command`], run from `binary`.
fn binary_command(binary: &Path, data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(binary);
    for (k, _) in std::env::vars() {
        if k.starts_with("WIDGET_HOST_") {
            cmd.env_remove(k);
        }
    }
    // Lines some tests look for are at info, which a RUST_LOG of the shell the tests
    // run in could filter out.
    cmd.env_remove("RUST_LOG");
    cmd.arg("--data-dir").arg(data).args(args);
    cmd
}

/// A relative path in the configuration file is read from the folder the host is
/// started in, not from the file's own folder, as README says: a service's unit sets
/// its working folder, and the paths follow it.
#[test]
fn relative_paths_in_the_config_file_are_read_from_the_working_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (config_dir, working) = (dir.path().join("etc"), dir.path().join("srv"));
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::create_dir_all(&working).unwrap();
    let config = config_dir.join("host.toml");
    std::fs::write(&config, "data_dir = \"state\"\n").unwrap();
    let mut seed = Command::new(env!("CARGO_BIN_EXE_widget-host"));
    for (k, _) in std::env::vars() {
        if k.starts_with("WIDGET_HOST_") {
            seed.env_remove(k);
        }
    }
    let o = seed
        .arg("--config")
        .arg(&config)
        .args(["seed", "--users", "3", "--degree", "1"])
        .current_dir(&working)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        working.join("state/widget-host.redb").is_file(),
        "{}",
        text(&o)
    );
    assert!(!config_dir.join("state").exists());
}

/// With JSON logs, the reason the host could not start is a JSON line too, at ERROR,
/// where a log collector reading JSON kept nothing of the plain line.
#[test]
fn a_host_that_cannot_start_says_why_in_its_json_log() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let o = host_command(
        &blocker.join("data"),
        &["--log-format", "json", "serve", "--listen", "127.0.0.1:0"],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let logged = stderr
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line["level"] == "ERROR")
        .unwrap_or_else(|| panic!("no JSON line at ERROR: {stderr}"));
    let error = logged["fields"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("cannot create data folder"), "{logged}");
}

/// A configuration that cannot be read is said in a JSON line at ERROR too when the
/// command line or the environment asks for JSON logs (the file, which might also,
/// is what failed), and in the plain line as before; without either, only the plain
/// line is written.
#[test]
fn a_configuration_error_is_a_json_line_when_json_logs_are_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "listen = 8080\n").unwrap();
    let config = broken.to_str().unwrap();
    let asked: [(&[&str], Option<&str>); 3] = [
        (&["--log-format", "json"], None),
        (&[], Some("json")),
        (&[], None),
    ];
    for (flags, env) in asked {
        let mut cmd = host_command(&dir.path().join("data"), flags);
        cmd.args(["--config", config, "check-db"]);
        if let Some(format) = env {
            cmd.env("WIDGET_HOST_LOG_FORMAT", format);
        }
        let o = cmd.output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{flags:?} {env:?}: {}", text(&o));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            stderr
                .lines()
                .any(|line| line.starts_with("widget-host: ") && line.contains(config)),
            "{flags:?} {env:?}: no plain line naming the file: {stderr}"
        );
        let logged = stderr
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .find(|line| line["level"] == "ERROR");
        if flags.is_empty() && env.is_none() {
            assert!(logged.is_none(), "a JSON line nobody asked for: {stderr}");
            continue;
        }
        let logged = logged.unwrap_or_else(|| panic!("{flags:?} {env:?}: no JSON line: {stderr}"));
        let error = logged["fields"]["error"].as_str().unwrap_or_default();
        assert!(error.contains(config), "{logged}");
    }
}

/// WIDGET_HOST_CONFIG names the configuration file as --config does, where it was
/// passed over and the host ran on its defaults; --config still wins over it.
#[test]
fn widget_host_config_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "listen = 8080\n").unwrap();
    let o = host_command(&data, &["check-db"])
        .env("WIDGET_HOST_CONFIG", &broken)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(
            "configuration file {} (named by WIDGET_HOST_CONFIG): line 1",
            broken.display()
        )),
        "{}",
        text(&o)
    );
    // A file that is not there, named by the variable, is blamed on it; named by the
    // flag, it is not.
    let missing = dir.path().join("missing.toml");
    let o = host_command(&data, &["check-db"])
        .env("WIDGET_HOST_CONFIG", &missing)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(
            "cannot read configuration file {} (named by WIDGET_HOST_CONFIG): ",
            missing.display()
        )),
        "{}",
        text(&o)
    );
    let o = host_command(&data, &["--config", missing.to_str().unwrap(), "check-db"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(
            "cannot read configuration file {}: ",
            missing.display()
        )),
        "{}",
        text(&o)
    );
    // A value out of range in it is said to be in the file the variable named.
    let out_of_range = dir.path().join("limits.toml");
    std::fs::write(&out_of_range, "[limits]\nmax_connections = 0\n").unwrap();
    let o = host_command(&data, &["check-db"])
        .env("WIDGET_HOST_CONFIG", &out_of_range)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(
            "configuration key limits.max_connections (in {}, named by WIDGET_HOST_CONFIG): ",
            out_of_range.display()
        )),
        "{}",
        text(&o)
    );
    let o = host_command(
        &data,
        &["--config", out_of_range.to_str().unwrap(), "check-db"],
    )
    .output()
    .unwrap();
    assert!(
        text(&o).contains(&format!(
            "configuration key limits.max_connections (in {}): ",
            out_of_range.display()
        )),
        "{}",
        text(&o)
    );
    let fine = dir.path().join("fine.toml");
    std::fs::write(&fine, "").unwrap();
    let o = host_command(&data, &["--config", fine.to_str().unwrap(), "check-db"])
        .env("WIDGET_HOST_CONFIG", &broken)
        .output()
        .unwrap();
    // The flag's file read, the check ran: it found no database in the folder.
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no database file here"), "{}", text(&o));
    assert!(!text(&o).contains("broken.toml"), "{}", text(&o));
}

/// An empty WIDGET_HOST_CONFIG (an unset `${CONFIG}` in a compose file) stops the host
/// with an error naming the variable, where clap's message named only `--config`, a
/// flag the administrator never typed.
#[test]
fn an_empty_widget_host_config_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let o = host_command(&dir.path().join("data"), &["check-db"])
        .env("WIDGET_HOST_CONFIG", "")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("is WIDGET_HOST_CONFIG set but empty"),
        "{}",
        text(&o)
    );
}

/// Runs `serve` on `data` with `env`, which must fail to start: a host that started
/// would serve until killed, so it gets 30 s, then the test fails.
fn serve_must_fail(data: &Path, env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_widget-host"));
    for (k, _) in std::env::vars() {
        if k.starts_with("WIDGET_HOST_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .arg("--data-dir")
        .arg(data)
        .args(["--listen", "127.0.0.1:0", "--no-demo"])
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the host started with {env:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn serve_refuses_to_start_with_a_broken_or_missing_templates_dir() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    std::fs::create_dir_all(templates.join("contacts_center")).unwrap();
    std::fs::write(templates.join("contacts_center/detail.html"), "{% for %}").unwrap();
    for (folder, expect) in [
        (templates.clone(), "contacts_center/detail.html"),
        (dir.path().join("no-such-folder"), "is not a folder"),
    ] {
        let o = serve_must_fail(
            &dir.path().join("data"),
            &[("WIDGET_HOST_TEMPLATES_DIR", &folder)],
        );
        assert_eq!(o.status.code(), Some(2), "could not start: {}", text(&o));
        assert!(text(&o).contains(expect), "{}", text(&o));
    }
}

/// The host opens its database file itself (to advise the kernel on it): a path it
/// cannot open stops the start with exit 2, naming the path once.
#[test]
fn serve_refuses_to_start_on_a_database_path_that_is_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let database = data.join("widget-host.redb");
    std::fs::create_dir_all(&database).unwrap();
    let o = serve_must_fail(&data, &[]);
    assert_eq!(o.status.code(), Some(2), "could not start: {}", text(&o));
    let said = text(&o);
    let named = database.display().to_string();
    assert!(
        said.contains(&format!("cannot open database {named}: ")),
        "{said}"
    );
    assert_eq!(said.matches(&named).count(), 1, "{said}");
}

/// A database the host cannot serve stops the start with what to do next: a newer
/// release's file, another application's redb file, a damaged one.
#[test]
fn serve_says_what_to_do_with_a_database_it_cannot_serve() {
    const THEIRS: TableDefinition<&str, u64> = TableDefinition::new("their_counts");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let database = data.join("widget-host.redb");
    drop(Social::open(&database).unwrap());
    stamp_schema(&database, 999);
    let o = serve_must_fail(&data, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("a newer widget-host wrote it; run that release, or restore a backup"),
        "{}",
        text(&o)
    );

    std::fs::remove_file(&database).unwrap();
    let db = Database::create(&database).unwrap();
    let txn = db.begin_write().unwrap();
    txn.open_table(THEIRS).unwrap().insert("visits", 7).unwrap();
    txn.commit().unwrap();
    drop(db);
    let o = serve_must_fail(&data, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    for said in [
        "not widget-host's database",
        "restore a backup (`widget-host restore FILE`, with the host stopped), or move the file aside",
    ] {
        assert!(text(&o).contains(said), "{said}: {}", text(&o));
    }
    // Refused untouched: no table of the host's was added.
    let db = reopen(&database);
    let tables: Vec<String> = db
        .begin_read()
        .unwrap()
        .list_tables()
        .unwrap()
        .map(|t| t.name().to_owned())
        .collect();
    assert_eq!(tables, ["their_counts"]);
}

/// Bytes of `path` in the operating system's page cache, counted in whole pages as
/// util-linux's `fincore` counts them, and asked the way it asks: the file is mapped,
/// never touched (so nothing is read in), and mincore(2) says which pages are
/// resident. Asked here, the README's `cargo test` needs no tool installed.
#[cfg(target_os = "linux")]
fn cached_bytes(path: &Path) -> u64 {
    let file = std::fs::File::open(path).unwrap();
    let length = usize::try_from(file.metadata().unwrap().len()).unwrap();
    if length == 0 {
        return 0;
    }
    // SAFETY: sysconf has no memory effects.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap();
    // SAFETY: a private read-only mapping of an open file, chosen by the kernel; its
    // memory is never read here, only handed to mincore, and unmapped below.
    let map = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            length,
            libc::PROT_READ,
            libc::MAP_PRIVATE,
            std::os::fd::AsRawFd::as_raw_fd(&file),
            0,
        )
    };
    assert_ne!(map, libc::MAP_FAILED, "{}", std::io::Error::last_os_error());
    let mut resident = vec![0u8; length.div_ceil(page)];
    // SAFETY: `map` spans `length` bytes, and `resident` has a byte for each of its pages.
    let said = unsafe { libc::mincore(map, length, resident.as_mut_ptr()) };
    let error = std::io::Error::last_os_error();
    // SAFETY: the mapping made above, of this length, unused from here on.
    unsafe { libc::munmap(map, length) };
    assert_eq!(said, 0, "mincore: {error}");
    let pages = resident.iter().filter(|page| *page & 1 == 1).count();
    (pages * page) as u64
}

/// The offline commands read the whole file with the kernel's read-ahead, which Linux
/// caches in large folios that would make a host started next pay on every page it
/// writes; each drops the file's pages when done. Each command first finds the file
/// wholly cached, so "nothing cached after" is the command's doing. In the target
/// folder, not /tmp: the page cache of a tmpfs cannot be dropped.
#[cfg(target_os = "linux")]
#[test]
fn offline_commands_leave_the_database_out_of_the_page_cache() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let data = dir.path().join("data");
    let live = data.join("widget-host.redb");
    let o = host(&data, &["seed", "--users", "300", "--degree", "8"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(
            "{}: a new database, made by this command",
            live.display()
        )),
        "{}",
        text(&o)
    );
    let backup = dir.path().join("copy.redb");
    for (command, args) in [
        ("check-db", vec!["check-db"]),
        ("backup", vec!["backup", backup.to_str().unwrap()]),
        ("restore", vec!["restore", backup.to_str().unwrap()]),
    ] {
        let length = std::fs::read(&live).unwrap().len() as u64;
        assert!(
            cached_bytes(&live) >= length,
            "{command}: the file is cached before"
        );
        let o = host(&data, &args);
        assert_eq!(o.status.code(), Some(0), "{command}: {}", text(&o));
        assert_eq!(cached_bytes(&live), 0, "{command} left the file cached");
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn cli_seed_check_db_corrupt_backup_restore() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = host(&data, &["check-db"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    // A degree more than a tiny directory can hold is drawn short, and said so.
    let tiny = dir.path().join("tiny");
    let o = host(&tiny, &["seed", "--users", "3", "--degree", "100"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o)
            .contains("note: --degree asked for 150 connections and follows; the draw stopped at"),
        "{}",
        text(&o)
    );
    let o = host(
        &data,
        &[
            "seed",
            "--users",
            "300",
            "--degree",
            "8",
            "--seed-value",
            "5",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("seeded 300 people"), "{}", text(&o));
    assert!(!text(&o).contains("note:"), "{}", text(&o));
    let o = host(&data, &["check-db"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("300 people"), "{}", text(&o));

    let backup = dir.path().join("b.redb");
    let o = host(&data, &["backup", backup.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    // A name already taken is refused, the file there left as it was: an earlier
    // backup given the same name, or the live database.
    let taken = std::fs::read(&backup).unwrap();
    for target in [backup.clone(), data.join("widget-host.redb")] {
        let before = std::fs::read(&target).unwrap();
        let o = host(&data, &["backup", target.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("already exists"), "{}", text(&o));
        assert_eq!(std::fs::read(&target).unwrap(), before);
    }
    assert_eq!(std::fs::read(&backup).unwrap(), taken);
    // A folder is told to hold the backup's file, not to be removed.
    let o = host(&data, &["backup", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(
            "it is a folder: name a new file in it, such as {}",
            dir.path().join("widget-host-backup.redb").display()
        )),
        "{}",
        text(&o)
    );

    corrupt(&data.join("widget-host.redb"));
    let o = host(&data, &["check-db"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("violation: connection"), "{}", text(&o));
    // Named by the portal ids an administrator knows, beside the rows' own ids.
    let said = text(&o);
    let line = said
        .lines()
        .find(|l| l.starts_with("violation: connection"))
        .unwrap_or_default();
    assert!(
        line.matches("user0").count() == 2 && line.matches(" (#").count() == 2,
        "{said}"
    );
    // A backup is checked by its name, whatever the live file holds: a copy taken
    // while the server runs is how it is checked then.
    let o = host(&data, &["check-db", backup.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("{}: schema", backup.display())),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("all invariants hold"), "{}", text(&o));
    // An empty file (a copy that failed) is refused by its own name.
    let empty = dir.path().join("empty.redb");
    std::fs::write(&empty, b"").unwrap();
    let o = host(&data, &["restore", empty.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(
            "{} is not a usable backup: the file is empty",
            empty.display()
        )),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains(".tmp-"), "{}", text(&o));
    let o = host(&data, &["check-db", empty.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("is empty (a copy that failed?)"),
        "{}",
        text(&o)
    );

    let o = host(&data, &["restore", backup.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    // It says where the database it replaced went.
    let kept = kept_beside(&data.join("widget-host.redb"));
    assert_eq!(kept.len(), 1, "{}", text(&o));
    assert!(
        text(&o).contains(&format!("kept as {}", kept[0].display())),
        "{}",
        text(&o)
    );
    assert!(
        text(&o).contains("to go back to it, stop the host and restore it"),
        "{}",
        text(&o)
    );
    std::fs::remove_file(&kept[0]).unwrap();
    let o = host(&data, &["check-db"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // A file that is no longer a whole database (a cut copy, a zeroed disk block) is
    // a violation too (exit 1), not a check that could not run.
    let live = data.join("widget-host.redb");
    let whole = std::fs::read(&live).unwrap();
    for (what, damaged) in [
        ("cut", whole[..whole.len() / 2].to_vec()),
        ("zeroed", vec![0u8; whole.len()]),
    ] {
        std::fs::write(&live, &damaged).unwrap();
        let o = host(&data, &["check-db"]);
        assert_eq!(o.status.code(), Some(1), "{what}: {}", text(&o));
        assert!(
            text(&o).contains(&format!(
                "violation: the database file {} is damaged",
                live.display()
            )),
            "{what}: {}",
            text(&o)
        );
    }
    std::fs::write(&live, &whole).unwrap();

    // While something holds the database, backup, restore and check-db say what to
    // do.
    let held = Database::open(data.join("widget-host.redb")).unwrap();
    let o = host(&data, &["check-db"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("check-db FILE"), "{}", text(&o));
    let o = host(
        &data,
        &["backup", dir.path().join("b2.redb").to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("POST /api/backup"), "{}", text(&o));
    let o = host(&data, &["restore", backup.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("a widget-host server serves it"),
        "{}",
        text(&o)
    );
    // A mistyped backup is told before the live file is looked at: a folder named
    // as the backup, or a file that is not there.
    let folder = dir.path().to_str().unwrap();
    let o = host(&data, &["restore", folder]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("is a folder: name the backup file in it"),
        "{}",
        text(&o)
    );
    let typo = dir.path().join("cpoy.redb");
    let o = host(&data, &["restore", typo.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("no such file"), "{}", text(&o));
    // The commands that write say which file is held.
    let people = dir.path().join("people.json");
    std::fs::write(&people, r#"[{"id": 1}]"#).unwrap();
    for args in [
        vec!["import-users", people.to_str().unwrap()],
        vec!["seed", "--users", "10"],
    ] {
        let o = host(&data, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            text(&o).contains(&format!("{} is locked", live.display())),
            "{args:?}: {}",
            text(&o)
        );
    }
    // Held by another command as much as by a server: a nightly backup meeting a long
    // import is not told to ask a server that is not there.
    let o = host(
        &data,
        &["backup", dir.path().join("n.redb").to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("a widget-host server serves it, or a backup, restore, check-db, seed or import-users is running on it. If it is the server, use POST /api/backup instead."),
        "{}",
        text(&o)
    );
    // A folder that is not there is told at once, before the database is opened:
    // here it is held, and the answer is about the folder.
    let missing = dir.path().join("not-mounted");
    let o = host(&data, &["backup", missing.join("n.redb").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains(&format!("its folder {}: No such file", missing.display())),
        "{}",
        text(&o)
    );
    let o = host(&data, &["backup", people.join("n.redb").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains(&format!("{} is not a folder", people.display())),
        "{}",
        text(&o)
    );
    drop(held);

    // A backup into a folder that is not there names where it was to go.
    let nowhere = dir.path().join("missing").join("b.redb");
    let o = host(&data, &["backup", nowhere.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains(&format!(" to {}", nowhere.display())),
        "{}",
        text(&o)
    );
    // And a restore from a file that is not there names it.
    let o = host(&data, &["restore", nowhere.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains(&format!("cannot restore {}", nowhere.display())),
        "{}",
        text(&o)
    );
    let o = host(&data, &["check-db"]);
    assert_eq!(o.status.code(), Some(0), "the live file is untouched");

    // A file that is no backup, given where there is no data folder yet: refused by
    // its own name, and no empty folder is left behind to be served by mistake.
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, b"restore on Monday").unwrap();
    let stub = dir.path().join("stub.redb");
    std::fs::write(&stub, b"redb").unwrap();
    for (file, said) in [
        (&notes, "not a database"),
        (&stub, "not a database"),
        (&empty, "the file is empty"),
    ] {
        let o = host_command(Path::new("not-made"), &["restore", file.to_str().unwrap()])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(
            text(&o).contains(&format!(
                "{} is not a usable backup: {said}",
                file.display()
            )),
            "{}",
            text(&o)
        );
        assert!(!dir.path().join("not-made").exists(), "{}", file.display());
    }
    // check-db says the same of such a file, as a violation.
    let o = host(&data, &["check-db", notes.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("{} is not a database", notes.display())),
        "{}",
        text(&o)
    );

    // A restore run from another folder without the service's configuration: it
    // makes a database where none was, and says so with the whole path.
    let o = host_command(
        Path::new("elsewhere"),
        &["restore", backup.to_str().unwrap()],
    )
    .current_dir(dir.path())
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    // As the command names it, from the working folder's real path.
    let made = dir
        .path()
        .canonicalize()
        .unwrap()
        .join("elsewhere")
        .join("widget-host.redb");
    assert!(made.is_file());
    assert!(
        text(&o).contains(&format!("into {}:", made.display())),
        "{}",
        text(&o)
    );
    assert!(
        text(&o).contains("there was no database here: the restored one is new"),
        "{}",
        text(&o)
    );
    // What was issued after the backup is not known here either, and it says so.
    assert!(
        text(&o).contains("ids 4,294,967,296 past the larger of its own"),
        "{}",
        text(&o)
    );
}

#[test]
fn cli_import_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let good = dir.path().join("good.json");
    std::fs::write(
        &good,
        r#"{"items": [{"id": 1, "givenName": "Zoë"}, {"id": 2, "givenName": "P2"}]}"#,
    )
    .unwrap();
    let o = host(&data, &["import-users", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("2 imported, 0 rejected"), "{}", text(&o));
    assert!(!text(&o).contains("made-up people"), "{}", text(&o));
    // The database written is named in full, and said to be new where the command
    // made it: an import into the wrong folder shows before the portal's users see it.
    let database = data.join("widget-host.redb");
    assert!(
        text(&o).contains(&format!(
            "{}: a new database, made by this command",
            database.display()
        )),
        "{}",
        text(&o)
    );
    let o = host(&data, &["import-users", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("{}: written", database.display())),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("a new database"), "{}", text(&o));
    // A data folder given relative is named in full.
    let o = host_command(
        Path::new("relative-data"),
        &["import-users", good.to_str().unwrap()],
    )
    .current_dir(dir.path())
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(
            "\n{}: a new database",
            dir.path()
                .join("relative-data")
                .join("widget-host.redb")
                .display()
        )),
        "{}",
        text(&o)
    );
    // Into a data dir where the demo ran: said at once, the import done all the same.
    let demo_data = dir.path().join("demo-data");
    std::fs::create_dir(&demo_data).unwrap();
    let demo = Social::open(demo_data.join("widget-host.redb")).unwrap();
    widget_host::demo::prepare(&demo).unwrap();
    drop(demo);
    let o = host(&demo_data, &["import-users", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("2 imported"), "{}", text(&o));
    assert!(
        text(&o).contains("of the demo's made-up people (the demo ran on this data dir)"),
        "{}",
        text(&o)
    );
    let mixed = dir.path().join("mixed.ndjson");
    std::fs::write(
        &mixed,
        "{\"id\": 3, \"givenName\": \"P3\"}\n{\"givenName\": \"x\"}\n",
    )
    .unwrap();
    let o = host(&data, &["import-users", mixed.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("record 2 (line 2): no user id"),
        "{}",
        text(&o)
    );
    // Past the first thousand, refused records are counted in one line.
    let refused = dir.path().join("refused.ndjson");
    std::fs::write(&refused, "{}\n".repeat(1_003)).unwrap();
    let o = host(&data, &["import-users", refused.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert_eq!(out.matches(": no user id").count(), 1_000);
    assert!(
        out.contains("3 more rejected record(s) not listed"),
        "{out}"
    );
    assert!(
        out.contains("1003 record(s): 0 imported, 1003 rejected"),
        "{out}"
    );
    // A file that breaks off stops the import, and what it imported before stays:
    // where it went is said as on success.
    let cut = dir.path().join("cut.json");
    std::fs::write(
        &cut,
        r#"{"items": [{"id": 1, "givenName": "P1"}, {"id": 2, "givenName": "P2"}, {"id": "#,
    )
    .unwrap();
    let o = host(&data, &["import-users", cut.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(
            "{}: the database imported into",
            database.display()
        )),
        "{}",
        text(&o)
    );
    let o = host(
        &data,
        &[
            "import-users",
            dir.path().join("nope.json").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("cannot read"), "{}", text(&o));
    let o = host(&data, &["check-db"]);
    assert!(text(&o).contains("3 people"), "{}", text(&o));

    // One page of Liferay's answer imports, and exits 1 saying the rest is not there.
    let page = dir.path().join("page.json");
    std::fs::write(
        &page,
        r#"{"items": [{"id": 4, "givenName": "P4"}, {"id": 5, "givenName": "P5"}], "lastPage": 3, "page": 1, "pageSize": 2, "totalCount": 6}"#,
    )
    .unwrap();
    let o = host(&data, &["import-users", page.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("2 imported, 0 rejected"), "{}", text(&o));
    assert!(
        text(&o).contains("one page of Liferay's answer (page 1 of 3, 2 of 6 accounts)"),
        "{}",
        text(&o)
    );
    // A deactivated account is skipped, said, and is no failure.
    let inactive = dir.path().join("inactive.json");
    std::fs::write(
        &inactive,
        r#"[{"id": 6, "givenName": "P6", "status": "Active"}, {"id": 7, "status": "Inactive"}]"#,
    )
    .unwrap();
    let o = host(&data, &["import-users", inactive.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("2 record(s): 1 imported, 0 rejected, 1 inactive skipped"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("still in the directory"), "{}", text(&o));
    // Person 6, deactivated since: still there, and named.
    std::fs::write(&inactive, r#"[{"id": 6, "status": "Inactive"}]"#).unwrap();
    let o = host(&data, &["import-users", inactive.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("1 of them still in the directory (imported before): 6"),
        "{}",
        text(&o)
    );
    let o = host(&data, &["check-db"]);
    assert!(text(&o).contains("6 people"), "{}", text(&o));
}

/// An import of a file it cannot read, or a seed it refuses, stops before the
/// database: no file is created (nor, for an older one, migrated).
#[test]
fn refused_imports_and_seeds_touch_no_database() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let missing = dir.path().join("users.jsn");
    let o = host(&data, &["import-users", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("cannot read {}", missing.display())),
        "{}",
        text(&o)
    );
    let o = host(&data, &["seed", "--users", "5000000"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--users must be at most"), "{}", text(&o));
    let o = host(&data, &["seed", "--users", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("--users must be 1 or more"),
        "{}",
        text(&o)
    );
    // Files the import refuses by their first bytes: refused before the database.
    let mut blank_then_json = " \n".repeat(40_000).into_bytes();
    blank_then_json.extend_from_slice(b"<users/>");
    for (name, bytes, why) in [
        ("empty.json", b" \n\n".to_vec(), "the file is empty"),
        (
            "utf16.json",
            b"\xFF\xFE[\x00{\x00".to_vec(),
            "the file is UTF-16",
        ),
        (
            "users.xml",
            b"\xEF\xBB\xBF <users/>".to_vec(),
            "expected a page object",
        ),
        // A folder named in place of a file cannot be read.
        ("a-folder", Vec::new(), "Is a directory"),
        // After a UTF-8 byte-order mark, the import reads UTF-8, as the check does.
        (
            "marked.json",
            b"\xEF\xBB\xBF\xFF\xFE[".to_vec(),
            "expected a page object",
        ),
        // JSON written in Windows-1252 (an accent as one byte): said so, with how to
        // convert it, before an array stops at it or a file of lines loses each line
        // holding one; the byte is counted from the file's start, its mark included.
        (
            "latin1.json",
            b"\xEF\xBB\xBF[{\"id\": 1, \"givenName\": \"Jos\xE9\"}]".to_vec(),
            "the file is not UTF-8: the byte at offset 31 is 0xe9 (a file saved as Latin-1",
        ),
        // Blank space past what is read first: the import judges it (and refuses
        // it too, after the database is open).
        ("blank.json", blank_then_json, "expected a page object"),
    ] {
        let file = dir.path().join(name);
        if name == "a-folder" {
            std::fs::create_dir(&file).unwrap();
        } else {
            std::fs::write(&file, bytes).unwrap();
        }
        let o = host(&data, &["import-users", file.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", text(&o));
        assert!(text(&o).contains(why), "{name}: {}", text(&o));
        assert!(
            text(&o).contains(&file.display().to_string()),
            "{name}: {}",
            text(&o)
        );
        assert_eq!(
            data.join("widget-host.redb").exists(),
            name == "blank.json",
            "{name}: only the import itself opens the database"
        );
    }
}

/// Input that can be read only once (a pipe, as `curl … | widget-host import-users
/// /dev/stdin` gives) is imported as it is read: the check of a file's start reads
/// only files it can read again.
#[test]
fn import_users_reads_a_pipe() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut child = host_command(&data, &["import-users", "/dev/stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input
        .write_all(br#"[{"externalReferenceCode": "piped", "givenName": "Pip"}]"#)
        .unwrap();
    drop(input);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("1 imported"), "{}", text(&o));
    let social = Social::open(data.join("widget-host.redb")).unwrap();
    let piped = social.read().unwrap().person("piped").unwrap();
    assert_eq!(piped.map(|p| p.given_name), Some("Pip".to_owned()));
}

/// `import-users --id-field` takes each person's portal user id from the field named,
/// and `auto` from the first present of externalReferenceCode, id, alternateName.
#[test]
fn import_users_takes_the_id_from_the_field_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("people.json");
    std::fs::write(
        &file,
        r#"{"items": [{"id": 7, "externalReferenceCode": "erc-7", "alternateName": "jdoe", "givenName": "Jo"}]}"#,
    )
    .unwrap();
    for (field, expected) in [
        ("screen-name", "jdoe"),
        ("id", "7"),
        ("external-reference-code", "erc-7"),
        ("auto", "erc-7"),
    ] {
        let data = dir.path().join(field);
        let o = host(
            &data,
            &["import-users", "--id-field", field, file.to_str().unwrap()],
        );
        assert_eq!(o.status.code(), Some(0), "{field}: {}", text(&o));
        let social = Social::open(data.join("widget-host.redb")).unwrap();
        let reader = social.read().unwrap();
        for id in ["jdoe", "7", "erc-7"] {
            assert_eq!(
                reader.person(id).unwrap().is_some(),
                id == expected,
                "{field}: {id}"
            );
        }
    }
}

#[test]
fn cli_token_mints_for_hs256_consumers_only() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("host.toml");
    let jwks = dir.path().join("jwks.json");
    std::fs::write(&jwks, r#"{"keys": []}"#).unwrap();
    std::fs::write(
        &config,
        format!(
            "[[consumers]]\nid = \"portal-a\"\nhs256_secret = \"0123456789abcdef0123456789abcdef\"\n\n[[consumers]]\nid = \"portal-b\"\njwks_file = {:?}\n\n[[consumers]]\nid = \"portal-c\"\nwsrp_secret = \"sixteen-bytes-ok\"\n",
            jwks.to_str().unwrap()
        ),
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    let data = dir.path().join("data");
    let o = host(
        &data,
        &[
            "--config",
            cfg,
            "token",
            "--consumer",
            "portal-a",
            "--user",
            "jose",
            "--roles",
            "admin",
            "user",
            "--ttl",
            "60",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let token = String::from_utf8_lossy(&o.stdout).trim().to_owned();
    let claims = token.split('.').nth(1).unwrap();
    use base64::Engine;
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["sub"], "jose");
    assert_eq!(claims["iss"], "portal-a");
    // Counted from the second after the one it was minted in, unless minted on the
    // second's very start: it lives 60 seconds at least.
    let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
    assert!((60..=61).contains(&lifetime), "{lifetime}");
    // Signed with portal-a's secret, as the server checks it, roles included.
    let mut parsed =
        widget_host::config::Config::from_toml(&std::fs::read_to_string(&config).unwrap())
            .expect("config");
    // portal-b's key set is empty on purpose (it cannot mint); the verifier needs keys.
    parsed.consumers.retain(|c| c.id == "portal-a");
    let verifier = widget_host::portal::auth::Verifier::from_config(&parsed).expect("keys");
    let user = verifier
        .verify_bearer(&token)
        .expect("the host accepts its own token");
    assert_eq!(
        (user.consumer.as_str(), user.user_id.as_str()),
        ("portal-a", "jose")
    );
    assert_eq!(user.roles, ["admin", "user"]);
    let mut forged = token.clone();
    forged.pop();
    forged.push(if token.ends_with('A') { 'B' } else { 'A' });
    assert!(
        verifier.verify_bearer(&forged).is_err(),
        "a changed signature"
    );
    // `token` for `consumer`'s user jose, with this configuration.
    let token_of = |consumer: &str| {
        host(
            &data,
            &[
                "--config",
                cfg,
                "token",
                "--consumer",
                consumer,
                "--user",
                "jose",
            ],
        )
    };
    // Without `--ttl`, an hour.
    let o = token_of("portal-a");
    assert!(o.status.success(), "{}", text(&o));
    let hourly = String::from_utf8_lossy(&o.stdout).trim().to_owned();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(hourly.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
    assert!((3600..=3601).contains(&lifetime), "{lifetime}");
    let o = token_of("nobody");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("unknown consumer \"nobody\" (configured: portal-a, portal-b, portal-c): add a [[consumers]] table with id = \"nobody\" and an hs256_secret to the --config file"),
        "{}",
        text(&o)
    );
    // Where the demo runs (no consumer configured), its consumer is not one to
    // configure: its key stays in the database. Where it does not, `demo` is a
    // consumer like any other.
    let o = token_of("demo");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("unknown consumer \"demo\" (configured: portal-a"),
        "{}",
        text(&o)
    );
    let bare = dir.path().join("bare.toml");
    std::fs::write(&bare, "").unwrap();
    // A token for the demo's consumer, on a host with no configuration but `flags`.
    let demo_token = |flags: &[&str]| {
        let mut args = vec!["--config", bare.to_str().unwrap()];
        args.extend_from_slice(flags);
        args.extend(["token", "--consumer", "demo", "--user", "jose"]);
        host(&data, &args)
    };
    let o = demo_token(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("consumer \"demo\" is the demo portal's own")
            && !text(&o).contains("with id = \"demo\""),
        "{}",
        text(&o)
    );
    // A host on every address is opened at loopback, as its start line says.
    let o = demo_token(&["--listen", "0.0.0.0:8181"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("open http://127.0.0.1:8181/ and switch people there"),
        "{}",
        text(&o)
    );
    let o = token_of("portal-b");
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("JWKS"), "{}", text(&o));
    // A consumer over WSRP alone takes no Bearer token: there is none to mint.
    let o = token_of("portal-c");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("consumes over WSRP alone, and no Bearer token is taken in its name"),
        "{}",
        text(&o)
    );
    let o = host(
        &data,
        &[
            "--config",
            cfg,
            "token",
            "--consumer",
            "portal-a",
            "--user",
            "bad id",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
}

/// The first line `serve` logs with `args` and `env`, then the host is killed.
fn first_log_line(args: &[&str], env: &[(&str, &str)]) -> String {
    log_until_serving(args, env).swap_remove(0)
}

/// The lines `serve` logs with `args` and `env` up to "serving", which it logs once
/// it listens; then the host is killed. The test fails if it does not get there in
/// 30 s.
fn log_until_serving(args: &[&str], env: &[(&str, &str)]) -> Vec<String> {
    log_serving_for(args, env, Duration::ZERO)
}

/// [`log_until_serving`], and the lines logged for `more` after "serving".
fn log_serving_for(args: &[&str], env: &[(&str, &str)], more: Duration) -> Vec<String> {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_widget-host"));
    for (k, _) in std::env::vars() {
        if k.starts_with("WIDGET_HOST_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["--listen", "127.0.0.1:0", "--no-demo"])
        .args(args)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut lines = Vec::new();
    let served = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(Ok(line)) => {
                let serving = line.contains("serving");
                lines.push(line);
                if serving {
                    break true;
                }
            }
            _ => break false,
        }
    };
    let until = std::time::Instant::now() + more;
    while served && !more.is_zero() {
        let left = until.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(Ok(line)) => lines.push(line),
            _ => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(served, "not serving within 30 s: {lines:?}");
    lines
}

/// A portlet its liferay-portlet.xml turns off is said at start, once: not again by
/// the watcher's first read of the folder, which finds nothing changed.
#[test]
fn a_portlet_turned_off_is_said_once_at_start() {
    let dir = tempfile::tempdir().unwrap();
    for widget in ["contacts-center", "notifications"] {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("widget-descriptors");
        common::copy_widget(&shipped.join(widget), &dir.path().join(widget));
    }
    let liferay = dir.path().join("notifications/liferay-portlet.xml");
    let wrapper = "<css-class-wrapper>notifications-portlet</css-class-wrapper>";
    let text = std::fs::read_to_string(&liferay).unwrap();
    assert!(text.contains(wrapper), "the shipped file changed");
    std::fs::write(
        &liferay,
        text.replace(wrapper, &format!("{wrapper}<active>false</active>")),
    )
    .unwrap();
    let descriptors = dir.path().to_str().unwrap();
    // Given a moment past "serving" for the watcher's first read.
    let lines = log_serving_for(
        &["--descriptors-dir", descriptors],
        &[],
        Duration::from_millis(1500),
    );
    let said: Vec<&String> = lines.iter().filter(|l| l.contains("not served")).collect();
    assert!(
        said.len() == 1 && said[0].contains("portlet=notifications"),
        "{lines:?}"
    );
}

/// With the demo on, the start says which page to open, at the port it serves on;
/// without it, no such line.
#[test]
fn the_demo_start_says_which_page_to_open() {
    let lines = log_until_serving(&["--demo"], &[]);
    let serving = lines.last().expect("the serving line");
    let port = serving
        .rsplit("127.0.0.1:")
        .next()
        .map(|p| {
            p.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .expect("a port");
    assert!(!port.is_empty(), "{serving}");
    let open = format!("the demo portal: open http://127.0.0.1:{port}/");
    assert!(lines.iter().any(|l| l.contains(&open)), "{lines:?}");
    let lines = log_until_serving(&[], &[]);
    assert!(
        !lines.iter().any(|l| l.contains("demo portal")),
        "{lines:?}"
    );
}

/// A variable of another program under the host's prefix (a test harness's
/// `WIDGET_HOST_BIN`) does not stop the host: it serves, and says that it passed the
/// variable over. A misspelt setting does stop it (the config module's tests).
#[test]
fn another_programs_variable_is_passed_over_with_a_warning() {
    let lines = log_until_serving(&[], &[("WIDGET_HOST_BIN", "/usr/local/bin/widget-host")]);
    assert!(
        lines.iter().any(|l| l.contains("WARN")
            && l.contains("WIDGET_HOST_BIN")
            && l.contains("passed over")),
        "{lines:?}"
    );
}

/// `--log-format json` and `WIDGET_HOST_LOG_FORMAT=json` write one JSON object per
/// line, for log collectors; the default is text for people.
#[test]
fn serve_logs_json_lines_when_asked() {
    for (args, env) in [
        (&["--log-format", "json"][..], &[][..]),
        (&[][..], &[("WIDGET_HOST_LOG_FORMAT", "json")][..]),
    ] {
        let line = first_log_line(args, env);
        let record: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("{args:?} {env:?}: not JSON ({e}): {line}"));
        assert!(record.get("level").is_some(), "{line}");
        assert!(record.get("fields").is_some(), "{line}");
    }
    let text = first_log_line(&[], &[]);
    assert!(
        serde_json::from_str::<serde_json::Value>(&text).is_err(),
        "{text}"
    );
    assert!(text.contains("INFO"), "{text}");
}

/// The `token` command mints with whatever secret the consumer has: a short one is
/// the portal's choice (DESIGN sets no minimum), warned of when the host starts.
#[test]
fn cli_token_mints_with_a_short_secret() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("host.toml");
    std::fs::write(
        &config,
        "[[consumers]]\nid = \"acceptance\"\nhs256_secret = \"test-secret\"\n",
    )
    .unwrap();
    let o = host(
        &dir.path().join("data"),
        &[
            "--config",
            config.to_str().unwrap(),
            "token",
            "--consumer",
            "acceptance",
            "--user",
            "jose",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let token = String::from_utf8_lossy(&o.stdout).trim().to_owned();
    let parsed = widget_host::config::Config::from_toml(&std::fs::read_to_string(&config).unwrap())
        .expect("config");
    let user = widget_host::portal::auth::Verifier::from_config(&parsed)
        .expect("keys")
        .verify_bearer(&token)
        .expect("the host accepts the token");
    assert_eq!(user.user_id, "jose");
}

/// DESIGN says `import-users` shows progress. A bar draws only on a terminal; with
/// stderr a pipe (a service's log, a script) plain lines say how far it got.
#[test]
fn cli_import_shows_progress_in_a_log() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("people.ndjson");
    let lines: String = (1..=25_000)
        .map(|i| format!("{{\"id\": {i}, \"givenName\": \"P{i}\"}}\n"))
        .collect();
    std::fs::write(&file, lines).unwrap();
    // `host` reads stderr through a pipe: not a terminal.
    let o = host(
        &dir.path().join("data"),
        &["import-users", file.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let log = String::from_utf8_lossy(&o.stderr);
    let progress: Vec<&str> = log
        .lines()
        .filter(|l| l.starts_with("import-users: "))
        .collect();
    assert_eq!(
        progress,
        [
            "import-users: read 10000 records",
            "import-users: read 20000 records",
            "import-users: imported 25000 users",
        ],
        "{log}"
    );
}

/// `serve` with `config`, logging JSON lines: the address it serves on, the log lines
/// as they come, and the child to kill.
fn serve_logging(
    dir: &Path,
    config: &str,
) -> (
    std::process::Child,
    String,
    std::sync::mpsc::Receiver<String>,
) {
    serve_logging_as(dir, config, "json", None)
}

/// [`serve_logging`] with the log's format (`json` or `text`) and `RUST_LOG` given.
fn serve_logging_as(
    dir: &Path,
    config: &str,
    format: &str,
    rust_log: Option<&str>,
) -> (
    std::process::Child,
    String,
    std::sync::mpsc::Receiver<String>,
) {
    use std::io::BufRead;
    let file = dir.join("host.toml");
    std::fs::write(&file, config).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_widget-host"));
    for (k, _) in std::env::vars() {
        if k.starts_with("WIDGET_HOST_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    if let Some(filter) = rust_log {
        cmd.env("RUST_LOG", filter);
    }
    let mut child = cmd
        .arg("--config")
        .arg(&file)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--no-demo",
            "--log-format",
            format,
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // The lines before "serving" (the start's) are handed on too.
    let (early, later) = std::sync::mpsc::channel();
    let address = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("a log line");
        let _ = early.send(line.clone());
        if format == "text" {
            if let Some((_, address)) = line.split_once(" serving address=") {
                // Up to the next field (the release's `version`).
                let address = address.split_whitespace().next().unwrap_or_default();
                break address.to_owned();
            }
            continue;
        }
        let line: serde_json::Value = serde_json::from_str(&line).expect("JSON lines");
        if line["fields"]["message"] == "serving" {
            break line["fields"]["address"]
                .as_str()
                .expect("address")
                .to_owned();
        }
    };
    std::thread::spawn(move || {
        for line in rx {
            if early.send(line).is_err() {
                break;
            }
        }
    });
    (child, address, later)
}

/// Sends `request` (a whole HTTP/1.1 request) to `address` and reads the answer.
fn exchange(address: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    // A host that stopped answering fails the test instead of hanging it.
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// Kills the host once it has answered one more request, so that the lines of the
/// requests before are written, and returns every line it logged.
fn stop_and_collect(
    mut child: std::process::Child,
    address: &str,
    rx: std::sync::mpsc::Receiver<String>,
) -> Vec<String> {
    exchange(
        address,
        &format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"),
    );
    let _ = child.kill();
    let _ = child.wait();
    rx.iter().collect()
}

/// A portal's token refused gets only "sign in again", so the cause goes to the log
/// at `warn`, where an administrator wiring the portal looks, without RUST_LOG set:
/// one line per 10 s however many are refused, since anyone can send bad tokens.
#[test]
fn a_refused_bearer_token_says_why_in_the_log_once_per_interval() {
    let dir = tempfile::tempdir().unwrap();
    let (child, address, rx) = serve_logging(
        dir.path(),
        "[[consumers]]\nid = \"acceptance\"\nhs256_secret = \"0123456789abcdef0123456789abcdef\"\nallowed_origins = [\"https://portal.example\"]\n",
    );
    // Signed with another secret than the consumer's.
    let forged = widget_host::portal::auth::mint(
        "acceptance",
        "another secret of thirty-two bytes!",
        "jose",
        &[],
        &Default::default(),
        Duration::from_secs(300),
    )
    .unwrap();
    for _ in 0..3 {
        let answer = exchange(
            &address,
            &format!(
                "GET /widgets/contacts_center/render HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {forged}\r\nConnection: close\r\n\r\n"
            ),
        );
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
        assert!(
            !answer.contains("signature"),
            "the answer keeps the cause: {answer}"
        );
    }
    let lines = stop_and_collect(child, &address, rx);
    let refused: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("a bearer token was refused"))
        .collect();
    assert_eq!(refused.len(), 1, "{lines:#?}");
    let line: serde_json::Value = serde_json::from_str(refused[0]).expect("JSON");
    assert_eq!(line["level"], "WARN", "{line}");
    assert_eq!(
        line["fields"]["error"], "the token signature is invalid",
        "{line}"
    );
    // It names the consumer the token claims to come from, and that it names no key.
    assert_eq!(line["fields"]["consumer"], "acceptance", "{line}");
    assert_eq!(line["fields"]["kid"], "-", "{line}");
}

/// A person deleted through the user API is said at `info`, with their id and the
/// administrator's: the list to delete again from after a restore of an older backup.
/// A DELETE that found nobody says nothing.
#[test]
fn a_deleted_person_is_said_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "0123456789abcdef0123456789abcdef";
    let (child, address, rx) = serve_logging(
        dir.path(),
        &format!("[[consumers]]\nid = \"ops\"\nhs256_secret = \"{secret}\"\n"),
    );
    let admin = widget_host::portal::auth::mint(
        "ops",
        secret,
        "root7",
        &["Administrator".to_owned()],
        &Default::default(),
        Duration::from_secs(300),
    )
    .unwrap();
    let send = |method: &str, body: &str| {
        exchange(
            &address,
            &format!(
                "{method} /api/users/gone.person HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {admin}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
    };
    let put = send("PUT", r#"{"givenName":"Gone","familyName":"Person"}"#);
    assert!(put.starts_with("HTTP/1.1 201"), "{put}");
    let deleted = send("DELETE", "");
    assert!(deleted.starts_with("HTTP/1.1 204"), "{deleted}");
    let again = send("DELETE", "");
    assert!(again.starts_with("HTTP/1.1 404"), "{again}");
    let lines = stop_and_collect(child, &address, rx);
    let said: Vec<serde_json::Value> = lines
        .iter()
        .filter(|l| l.contains("a person was deleted"))
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(said.len(), 1, "{lines:#?}");
    assert_eq!(said[0]["level"], "INFO", "{}", said[0]);
    assert_eq!(said[0]["fields"]["user"], "gone.person", "{}", said[0]);
    assert_eq!(said[0]["fields"]["by"], "root7", "{}", said[0]);
}

/// A descriptors_dir missing at start serves the built-in widgets: said at `info`
/// where no portal is configured (the demo, `cargo run`), at `warn` where one is, since
/// a host serving portals was most likely given descriptors of its own and a mistyped
/// path would serve the shipped ones without a word at the default level.
#[test]
fn a_missing_descriptors_folder_is_a_warning_where_portals_are_served() {
    for (consumers, level) in [
        (
            "[[consumers]]\nid = \"acceptance\"\nhs256_secret = \"0123456789abcdef0123456789abcdef\"\n",
            "WARN",
        ),
        ("", "INFO"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("widgts");
        let config = format!("descriptors_dir = \"{}\"\n{consumers}", missing.display());
        let (child, address, rx) = serve_logging(dir.path(), &config);
        let lines = stop_and_collect(child, &address, rx);
        let said: Vec<serde_json::Value> = lines
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|l| {
                l["fields"]["message"]
                    == "descriptors folder not found; serving the built-in widgets until it is made"
            })
            .collect();
        assert_eq!(said.len(), 1, "{lines:#?}");
        assert_eq!(said[0]["level"], level, "{consumers:?}: {}", said[0]);
        assert_eq!(
            said[0]["fields"]["dir"],
            missing.display().to_string(),
            "{}",
            said[0]
        );
    }
}

/// A WSRP fault goes to the log too, and what the request put into it (here a
/// header's namespace) is escaped: a line break there cannot start a forged line
/// in a text log.
#[test]
fn a_wsrp_fault_is_logged_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let (child, address, rx) = serve_logging(dir.path(), "");
    let forged = "urn:a\n2026-01-01T00:00:00Z  INFO widget_host: forged";
    let body = format!(
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Header><h:x xmlns:h=\"{forged}\" s:mustUnderstand=\"1\"/></s:Header><s:Body/></s:Envelope>"
    );
    let answer = exchange(
        &address,
        &format!(
            "POST /wsrp/v2/markup HTTP/1.1\r\nHost: {address}\r\nContent-Type: text/xml; charset=utf-8\r\nSOAPAction: \"\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(answer.starts_with("HTTP/1.1 500"), "{answer}");
    let lines = stop_and_collect(child, &address, rx);
    let faults: Vec<serde_json::Value> = lines
        .iter()
        .filter(|l| l.contains("a WSRP call was answered with a fault"))
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(faults.len(), 1, "{lines:#?}");
    let fault = faults[0]["fields"]["fault"].as_str().expect("fault");
    assert!(fault.contains("urn:a\\n2026"), "{fault}");
    assert!(!fault.contains('\n'), "{fault}");
}

/// A `templates_dir` file named like no built-in template (here a folder spelled like
/// the descriptor's) is said at start, at `warn`, where it would be passed over
/// without a word; a replaced built-in template is said at `info`.
#[test]
fn a_templates_dir_file_that_replaces_nothing_is_said_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    for folder in ["contacts-center", "contacts_center"] {
        std::fs::create_dir_all(templates.join(folder)).unwrap();
    }
    std::fs::write(templates.join("contacts-center/home.html"), "<p>mine</p>").unwrap();
    let builtin = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/contacts_center/guest.html"),
    )
    .unwrap();
    std::fs::write(templates.join("contacts_center/guest.html"), builtin).unwrap();
    let (child, address, rx) = serve_logging(
        dir.path(),
        &format!("templates_dir = {:?}\n", templates.display().to_string()),
    );
    let lines: Vec<serde_json::Value> = stop_and_collect(child, &address, rx)
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let said = |message: &str| -> Vec<&serde_json::Value> {
        lines
            .iter()
            .filter(|l| {
                l["fields"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(message))
            })
            .collect()
    };
    let passed_over = said("replaces no built-in template");
    assert_eq!(passed_over.len(), 1, "{lines:#?}");
    assert_eq!(passed_over[0]["level"], "WARN");
    assert_eq!(
        passed_over[0]["fields"]["file"],
        "contacts-center/home.html"
    );
    let replaced = said("a built-in template is replaced");
    assert_eq!(replaced.len(), 1, "{lines:#?}");
    assert_eq!(replaced[0]["fields"]["file"], "contacts_center/guest.html");
}

/// A refused WSRP registration answers every caller alike, but the log tells the
/// administrator setting a portal up which `consumerName` came (Liferay sends its
/// virtual host name, which cannot be set) and what was wrong, escaped.
#[test]
fn a_refused_wsrp_registration_logs_the_name_it_sent_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let (child, address, rx) = serve_logging(
        dir.path(),
        "[[consumers]]\nid = \"portal\"\nwsrp_secret = \"0123456789abcdef0123456789abcdef\"\n",
    );
    let register = |consumer: &str, secret: &str| {
        let body = format!(
            "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:t=\"urn:oasis:names:tc:wsrp:v2:types\"><s:Body>\
             <t:register><t:registrationData><t:consumerName>{consumer}</t:consumerName>\
             <t:registrationProperties name=\"wsrp_secret\"><t:stringValue>{secret}</t:stringValue></t:registrationProperties>\
             </t:registrationData></t:register></s:Body></s:Envelope>"
        );
        let answer = exchange(
            &address,
            &format!(
                "POST /wsrp/v2/registration HTTP/1.1\r\nHost: {address}\r\nContent-Type: text/xml; charset=utf-8\r\nSOAPAction: \"\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        );
        assert!(
            answer.contains("unknown consumer or wrong secret"),
            "{answer}"
        );
    };
    register(
        "liferay.example&#10;forged",
        "0123456789abcdef0123456789abcdef",
    );
    register("portal", "not the secret");
    let lines = stop_and_collect(child, &address, rx);
    let refused: Vec<serde_json::Value> = lines
        .iter()
        .filter(|l| l.contains("a WSRP registration was refused"))
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(refused.len(), 2, "{lines:#?}");
    assert_eq!(refused[0]["level"], "WARN");
    assert_eq!(
        refused[0]["fields"]["consumer_name"],
        "liferay.example\\nforged"
    );
    assert_eq!(refused[0]["fields"]["why"], "no consumer has this id");
    assert_eq!(refused[1]["fields"]["consumer_name"], "portal");
    assert_eq!(refused[1]["fields"]["why"], "wrong secret");
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("not the secret") || l.contains("0123456789abcdef")),
        "secrets stay out of the log"
    );
}

/// A `RUST_LOG` the host cannot read logs at `info`, as an unset one does: the
/// "serving" line comes (the helper waits for it), and no request's debug line (a
/// host logging at `debug` writes one for the request that stops it).
#[test]
fn an_unreadable_rust_log_logs_at_info() {
    let dir = tempfile::tempdir().unwrap();
    let (child, address, rx) = serve_logging_as(dir.path(), "", "json", Some("widget_host=loudly"));
    let lines = stop_and_collect(child, &address, rx);
    assert!(
        !lines.iter().any(|l| l.contains("\"level\":\"DEBUG\"")),
        "{lines:#?}"
    );
    // The same host with a readable `debug` does write it.
    let dir = tempfile::tempdir().unwrap();
    let (child, address, rx) = serve_logging_as(dir.path(), "", "json", Some("debug"));
    let lines = stop_and_collect(child, &address, rx);
    assert!(
        lines.iter().any(|l| l.contains("\"level\":\"DEBUG\"")
            && l.contains("\"message\":\"request\"")
            && l.contains("/healthz")),
        "{lines:#?}"
    );
}

/// In a text log, where a line break would start a line of its own, with every
/// level logged: the first fault's line (a warning) and the next one's (a debug
/// line, while the warning is throttled) keep the request's line break escaped.
#[test]
fn wsrp_faults_are_logged_escaped_at_every_level() {
    let dir = tempfile::tempdir().unwrap();
    let (child, address, rx) = serve_logging_as(dir.path(), "", "text", Some("debug"));
    let forged = "2026-01-01T00:00:00Z  INFO widget_host: forged";
    let post = |port: &str, action: &str, body: String| {
        exchange(
            &address,
            &format!(
                "POST /wsrp/v2/{port} HTTP/1.1\r\nHost: {address}\r\nContent-Type: text/xml; charset=utf-8\r\nSOAPAction: \"{action}\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
    };
    for _ in 0..2 {
        let body = format!(
            "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Header><h:x xmlns:h=\"urn:a\n{forged}\" s:mustUnderstand=\"1\"/></s:Header><s:Body/></s:Envelope>"
        );
        let answer = post("markup", "", body);
        assert!(answer.starts_with("HTTP/1.1 500"), "{answer}");
    }
    let lines = stop_and_collect(child, &address, rx);
    let quoting: Vec<&String> = lines.iter().filter(|l| l.contains("forged")).collect();
    // The two faults: the warning, then a debug line.
    assert!(
        quoting
            .iter()
            .any(|l| l.contains("WARN") && l.contains("fault"))
            && quoting
                .iter()
                .any(|l| l.contains("DEBUG") && l.contains("WSRP fault")),
        "{lines:#?}"
    );
    for line in &lines {
        assert!(!line.starts_with(forged), "a forged line: {lines:#?}");
    }
    for line in quoting {
        assert!(line.contains("\\n2026"), "{line}");
    }
}

/// README, "Erasing someone for good": a backup copies rows, not the file's pages, so
/// a backup taken after a person was deleted holds no byte of them, while the live
/// file's freed pages may. A backup taken before the delete does hold them: the
/// search below finds what is there.
#[test]
fn a_backup_holds_no_bytes_of_a_deleted_person() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("db.redb");
    seed_file(&live, 60, 4.0, 1);
    let holds = |path: &Path, text: &str| {
        let bytes = std::fs::read(path).unwrap();
        bytes.windows(text.len()).any(|w| w == text.as_bytes())
    };
    let (name, address) = ("Quixotically", "quixotic.erasable@example.com");
    // The search and sort indexes keep the names folded to lower case: those copies
    // must go too, not only the record's own spelling. Neither folded name is a
    // part of the address, which holds its own copy.
    let texts = [name, address, "quixotically", "vanishable"];
    let social = Social::open(&live).unwrap();
    social
        .upsert_people(vec![widget_host::store::Person {
            id: "gone".into(),
            given_name: name.into(),
            family_name: "Vanishable".into(),
            email_address: address.into(),
            ..Default::default()
        }])
        .unwrap();
    social
        .act("gone", Action::on(P::Connect, seeded_id(1)))
        .unwrap();
    social
        .act("gone", Action::on(P::Follow, seeded_id(2)))
        .unwrap();
    drop(social);
    let before = dir.path().join("before.redb");
    backup_file(&live, &before, &|| false).unwrap();
    for text in texts {
        assert!(holds(&before, text), "the search finds {text} where it is");
    }
    let social = Social::open(&live).unwrap();
    assert!(social.delete_person("gone").unwrap());
    drop(social);
    let after = dir.path().join("after.redb");
    backup_file(&live, &after, &|| false).unwrap();
    for text in texts {
        assert!(!holds(&after, text), "{text}");
    }
    assert_eq!(inspect_file(&after).unwrap().violations, vec![]);
}
