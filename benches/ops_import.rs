//! Release measurement of `import-users`: writes 100,000 Liferay `UserAccount` records
//! (a page object with `items`, as headless-admin-user exports them) to a temporary
//! file and imports them into a fresh database on disk.
//!
//! Run: `cargo bench --bench ops_import` (`OPS_BENCH_USERS=N` to change the size).
//! Target on the 2-core reference machine: under 20 s.

use std::io::Write;
use std::time::Instant;

use indicatif::ProgressBar;
use widget_host::directory::{ImportOptions, import_file};
use widget_host::social::Social;

const GIVEN: &[&str] = &[
    "José", "Zoë", "Łukasz", "太郎", "Anna", "Björn", "Chloé", "Wei",
];
const FAMILY: &[&str] = &[
    "Álvarez", "Nguyễn", "山田", "Müller", "Smith", "Kowalski", "Rossi",
];

fn main() {
    let users: usize = std::env::var("OPS_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("users.json");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).expect("create"));
    write!(out, "{{\"items\": [").expect("write");
    for i in 0..users {
        let (g, f) = (GIVEN[i % GIVEN.len()], FAMILY[(i / 7) % FAMILY.len()]);
        if i > 0 {
            out.write_all(b",\n").expect("write");
        }
        write!(
            out,
            r#"{{"id": {id}, "externalReferenceCode": "erc-{i}", "alternateName": "user{i}", "givenName": "{g}", "familyName": "{f}", "emailAddress": "user{i}@example.com", "jobTitle": "Engineer", "image": "/image/user_portrait?img_id={i}", "roleBriefs": [{{"id": 20101, "name": "User"}}], "userAccountContactInformation": {{"emailAddresses": [{{"emailAddress": "user{i}@example.org", "type": "email-address", "primary": false}}], "telephones": [{{"phoneNumber": "+1 555 {i:07}", "phoneType": "business", "primary": true}}], "postalAddresses": [{{"streetAddressLine1": "{i} Main St", "addressLocality": "Diamond Bar", "addressRegion": "CA", "postalCode": "91765", "addressCountry": "United States", "addressType": "business", "primary": true}}], "webUrls": []}}}}"#,
            id = 40_000 + i
        )
        .expect("write");
    }
    write!(
        out,
        "], \"page\": 1, \"pageSize\": {users}, \"totalCount\": {users}}}"
    )
    .expect("write");
    out.flush().expect("flush");
    drop(out);
    let json_bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);

    let db = dir.path().join("widget-host.redb");
    let social = Social::open(&db).expect("open");
    let start = Instant::now();
    let report = import_file(
        &social,
        &file,
        ImportOptions::default(),
        &ProgressBar::hidden(),
    )
    .expect("import");
    let elapsed = start.elapsed();
    assert_eq!(report.imported, users, "{report}");
    let db_bytes = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    println!(
        "ops_import: {users} UserAccount records ({:.1} MiB JSON) imported in {:.2} s ({:.0} records/s); database {:.1} MiB",
        json_bytes as f64 / 1048576.0,
        elapsed.as_secs_f64(),
        users as f64 / elapsed.as_secs_f64(),
        db_bytes as f64 / 1048576.0
    );
}
