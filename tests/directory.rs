//! `import-users`: the three file shapes, bad records reported by position while the
//! good ones import, idempotent re-import, and deletion after connections.

use indicatif::ProgressBar;
use std::io::BufReader;

use widget_host::directory::{
    IdSource, ImportOptions, ImportReport, MAX_LISTED_REJECTIONS, import_reader, import_slice,
};
use widget_host::social::{Action, PersonVerb as P, RequestVerb as R, Social};

fn account(n: usize) -> String {
    format!(
        r#"{{"id": {n}, "alternateName": "screen{n}", "givenName": "Given{n}", "familyName": "Álvarez", "emailAddress": "u{n}@example.com", "jobTitle": "Dev", "roleBriefs": [{{"id": 1, "name": "User"}}], "userAccountContactInformation": {{"telephones": [{{"phoneNumber": "555-{n}", "phoneType": "business", "primary": true}}]}}}}"#
    )
}

fn import(social: &Social, text: &str) -> ImportReport {
    let options = ImportOptions {
        batch: 3,
        ..ImportOptions::default()
    };
    import_both(social, text.as_bytes(), options).unwrap_or_else(|e| panic!("import failed: {e}"))
}

/// Imports `text` into `social`, and imports it again read two bytes at a time,
/// as a file is read in pieces, into a fresh directory: both must tell the same.
fn import_both(
    social: &Social,
    text: &[u8],
    options: ImportOptions,
) -> Result<ImportReport, String> {
    let hidden = ProgressBar::hidden();
    let whole = import_slice(social, text, options, &hidden).map_err(|e| e.to_string());
    let fresh = Social::in_memory().unwrap();
    let pieces = BufReader::with_capacity(2, text);
    let trickled = import_reader(&fresh, pieces, options, &hidden).map_err(|e| e.to_string());
    // Updates, and which deactivated accounts are still stored, depend on who `social`
    // held before; everything else on the file alone.
    let file_alone = |r: &Result<ImportReport, String>| {
        r.clone().map(|r| ImportReport {
            updated: 0,
            inactive_stored: Vec::new(),
            ..r
        })
    };
    assert_eq!(
        file_alone(&whole),
        file_alone(&trickled),
        "read at once and read in pieces"
    );
    whole
}

fn clean(s: &Social) {
    assert_eq!(s.check_invariants().unwrap(), vec![]);
}

#[test]
fn page_object_pretty_printed() {
    let s = Social::in_memory().unwrap();
    let items: Vec<String> = (1..=7).map(account).collect();
    let page = format!(
        "{{\n  \"actions\": {{}},\n  \"facets\": [],\n  \"items\": [\n{}\n  ],\n  \"lastPage\": 1,\n  \"page\": 1,\n  \"pageSize\": 20,\n  \"totalCount\": 7\n}}\n",
        items.join(",\n")
    );
    let report = import(&s, &page);
    assert_eq!((report.records, report.imported), (7, 7), "{report:?}");
    assert!(report.complete());
    let r = s.read().unwrap();
    let p = r
        .person("5")
        .unwrap()
        .expect("numeric id becomes the user id");
    assert_eq!(p.alternate_name, "screen5");
    assert_eq!(p.full_name(), "Given5 Álvarez");
    assert_eq!(
        p.user_account_contact_information.telephones[0].phone_number,
        "555-5"
    );
    clean(&s);
}

/// A file saved from one `GET /user-accounts` holds one page (20 accounts unless
/// asked for more): it imports, and the report says the rest is not in it, whether
/// the paging keys come before or after the items.
#[test]
fn a_page_of_a_longer_answer_is_imported_and_said_to_be_partial() {
    let s = Social::in_memory().unwrap();
    let items = format!("[{}, {}]", account(1), account(2));
    for page in [
        format!(
            r#"{{"items": {items}, "lastPage": 3, "page": 1, "pageSize": 2, "totalCount": 6}}"#
        ),
        format!(r#"{{"page": 2, "lastPage": 3, "totalCount": 6, "items": {items}}}"#),
    ] {
        let report = import(&s, &page);
        assert_eq!(report.imported, 2, "{report:?}");
        assert!(!report.complete(), "{report:?}");
        let missing = report.missing_pages().expect("the rest is missing");
        assert!(missing.contains(" of 3, 2 of 6 accounts"), "{missing}");
    }
    // The count alone says so too; the last page of one is complete.
    let counted = format!(r#"{{"items": {items}, "totalCount": 9}}"#);
    assert_eq!(
        import(&s, &counted).missing_pages().as_deref(),
        Some("2 of 9 accounts")
    );
    let whole = format!(r#"{{"items": {items}, "lastPage": 1, "page": 1, "totalCount": 2}}"#);
    let report = import(&s, &whole);
    assert!(
        report.complete() && report.missing_pages().is_none(),
        "{report:?}"
    );
    // Paging keys that are not numbers say nothing.
    for odd in [
        format!(r#"{{"items": {items}, "lastPage": "3", "totalCount": null}}"#),
        format!(
            r#"{{"page": [1, [2]], "items": {items}, "lastPage": {{"n": 3}}, "totalCount": -9}}"#
        ),
        format!(r#"{{"items": {items}, "lastPage": 3.5, "totalCount": true}}"#),
    ] {
        assert!(import(&s, &odd).complete(), "{odd}");
    }
    clean(&s);
}

/// A deactivated account (`"status": "Inactive"`) is not imported: nobody can sign
/// in as it, and Liferay's own people lists leave it out. It is counted, not refused.
#[test]
fn deactivated_accounts_are_skipped_and_counted() {
    let s = Social::in_memory().unwrap();
    let text = r#"[{"id": 1, "givenName": "P1", "status": "Active"}, {"id": 2, "givenName": "P2", "status": "Inactive"}, {"id": 3, "givenName": "P3"}, {"id": 4, "givenName": "P4", "status": "inactive"}, {"id": 5, "givenName": "P5", "status": 0}, {"id": 6, "givenName": "P6", "status": 5}, {"id": 7, "givenName": "P7", "status": {"code": 0}}]"#;
    let report = import(&s, text);
    assert_eq!(
        (report.records, report.imported, report.inactive),
        (7, 4, 3),
        "{report:?}"
    );
    assert!(report.complete(), "{report:?}");
    assert_eq!(
        report.to_string(),
        "7 record(s): 4 imported, 0 rejected, 3 inactive skipped"
    );
    let r = s.read().unwrap();
    assert!(r.person("1").unwrap().is_some() && r.person("3").unwrap().is_some());
    assert!(r.person("2").unwrap().is_none() && r.person("4").unwrap().is_none());
    assert!(r.person("5").unwrap().is_some() && r.person("6").unwrap().is_none());
    assert!(
        r.person("7").unwrap().is_some(),
        "another shape refuses nothing"
    );
    assert!(report.inactive_stored.is_empty(), "{report:?}");
    drop(r);
    // Deactivated after an earlier import: skipped, stays, and is named, so that an
    // administrator can remove them.
    let later = r#"[{"id": 1, "givenName": "P1", "status": "Inactive"}, {"id": 2, "givenName": "P2", "status": "Inactive"}, {"id": 3, "givenName": "P3", "status": 5}]"#;
    let report = import(&s, later);
    assert_eq!(report.inactive, 3, "{report:?}");
    assert_eq!(report.inactive_stored, ["1", "3"], "{report:?}");
    assert!(s.read().unwrap().person("1").unwrap().is_some());
    clean(&s);
}

#[test]
fn single_line_page_object_and_missing_items() {
    let s = Social::in_memory().unwrap();
    let page = format!(
        r#"{{"items": [{}, {}], "page": 1}}"#,
        account(1),
        account(2)
    );
    assert_eq!(import(&s, &page).imported, 2);
    let err = import_both(
        &s,
        br#"{"page": 1,
             "totalCount": 0}"#,
        ImportOptions::default(),
    )
    .expect_err("a page without items is refused");
    assert!(err.to_string().contains("no items"), "{err}");
    // One account saved pretty-printed, or accounts one after another as
    // `jq '.items[]'` prints them: refused with the shapes that are read.
    let stream = "{\n  \"id\": 1,\n  \"givenName\": \"Ann\"\n}\n{\n  \"id\": 2,\n  \"givenName\": \"Bob\"\n}\n";
    let err = import_both(&s, stream.as_bytes(), ImportOptions::default())
        .expect_err("not a page object");
    let said = err.to_string();
    assert!(said.contains("starts with one account"), "{said}");
    assert!(said.contains("jq -c '.items[]'"), "{said}");
    // An error answer saved in place of the accounts, pretty-printed as Liferay
    // answers, is named as one.
    let problem = "{\n  \"status\": \"UNAUTHORIZED\",\n  \"title\": \"Access denied\"\n}\n";
    let err =
        import_both(&s, problem.as_bytes(), ImportOptions::default()).expect_err("not accounts");
    let said = err.to_string();
    assert!(
        said.contains("an error answer of Liferay's API (\"Access denied\")"),
        "{said}"
    );
}

#[test]
fn array_with_bad_records_reports_positions_and_imports_the_rest() {
    let s = Social::in_memory().unwrap();
    let text = format!(
        "[{}, {{\"givenName\": \"nobody\"}}, {}, {{\"id\": 9, \"emailAddress\": \"not-an-email\"}}, {{\"id\": [1]}}, {}]",
        account(1),
        account(2),
        account(3)
    );
    let report = import(&s, &text);
    assert_eq!(report.records, 6);
    assert_eq!(report.imported, 3);
    let at: Vec<(usize, Option<usize>)> =
        report.rejected.iter().map(|r| (r.record, r.line)).collect();
    assert_eq!(at, vec![(2, None), (4, None), (5, None)]);
    assert!(report.rejected[0].reason.contains("no user id"));
    assert!(report.rejected[1].reason.contains("not a valid email"));
    // A record with an id is named by it: the record's number is all an array gives.
    assert!(
        report.rejected[1].reason.starts_with("account \"9\": "),
        "{}",
        report.rejected[1].reason
    );
    assert!(!report.complete());
    let r = s.read().unwrap();
    assert!(r.person("3").unwrap().is_some() && r.person("9").unwrap().is_none());
    clean(&s);
}

/// A record that does not parse is named by the id it has, read apart from the field
/// that failed; one that is not UTF-8 is said to be so, with how to convert it.
#[test]
fn a_record_that_does_not_parse_is_named_by_its_id() {
    let s = Social::in_memory().unwrap();
    let mut text = format!(
        "{}\n{{\"id\": 7, \"givenName\": 5}}\n{{\"externalReferenceCode\": \"ext-8\", \"phones\": 1}}\n{{\"givenName\": []}}\n",
        account(1)
    )
    .into_bytes();
    text.extend_from_slice(b"{\"id\": 9, \"givenName\": \"Jos\xE9\"}\n");
    let report = import_both(&s, &text, ImportOptions::default()).expect("imported");
    assert_eq!(report.imported, 1, "{report:?}");
    let reasons: Vec<&str> = report.rejected.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(
        reasons[0].starts_with("account \"7\": invalid type"),
        "{reasons:?}"
    );
    assert!(reasons[1].starts_with("account \"ext-8\": "), "{reasons:?}");
    assert!(!reasons[2].starts_with("account "), "{reasons:?}");
    assert!(
        reasons[3].contains("the record is not UTF-8 text (a file saved as Latin-1"),
        "{reasons:?}"
    );
    clean(&s);
}

/// A record of ids alone (a sparse export, `?fields=id`) names nobody: it is rejected,
/// and the person stored under its id keeps their names.
#[test]
fn a_record_of_ids_alone_is_rejected_and_leaves_the_person_as_stored() {
    let s = Social::in_memory().unwrap();
    assert_eq!(import(&s, &format!("[{}]", account(1))).imported, 1);
    let report = import(
        &s,
        r#"[{"id": 1}, {"id": 1, "emailAddress": "1@no-emailaddress.com"}]"#,
    );
    assert_eq!(
        (report.imported, report.rejected_count()),
        (0, 2),
        "{report:?}"
    );
    assert!(
        report.rejected[0].reason.contains("describes nobody"),
        "{}",
        report.rejected[0].reason
    );
    let stored = s.read().unwrap().person("1").unwrap().expect("kept");
    assert_eq!(stored.given_name, "Given1");
    clean(&s);
}

#[test]
fn ndjson_reports_lines_and_skips_blank_ones() {
    let s = Social::in_memory().unwrap();
    let text = format!(
        "{}\n\n{}\n{{\"id\": 3, \"givenName\": \n{{\"alternateName\": \"bad id!\"}}\n{}\n",
        account(1),
        account(2),
        account(4)
    );
    let report = import(&s, &text);
    assert_eq!((report.records, report.imported), (5, 3), "{report:?}");
    let at: Vec<(usize, Option<usize>)> =
        report.rejected.iter().map(|r| (r.record, r.line)).collect();
    assert_eq!(at, vec![(3, Some(4)), (4, Some(5))]);
    assert!(report.rejected[1].reason.contains("must be 1-64"));
    assert_eq!(
        report.rejected[0].to_string().split(':').next(),
        Some("record 3 (line 4)")
    );
    clean(&s);
}

#[test]
fn ndjson_with_a_broken_first_line_rejects_that_line_only() {
    let s = Social::in_memory().unwrap();
    let text = format!(
        "{{\"id\": 1, \"givenName\": \"A\",}}\n{}\n{}\n",
        account(2),
        account(3)
    );
    let report = import(&s, &text);
    assert_eq!((report.records, report.imported), (3, 2), "{report:?}");
    assert_eq!(report.rejected[0].line, Some(1));
    // A pretty-printed page object still reads as one.
    let page = format!(
        "{{\n  \"items\": [\n{},\n{}\n]\n}}\n",
        account(4),
        account(5)
    );
    assert_eq!(import(&s, &page).imported, 2);
    let one_item = format!("{{\"items\": [\n{}\n]}}\n", account(6));
    assert_eq!(import(&s, &one_item).imported, 1);
    clean(&s);
}

#[test]
fn reimport_updates_without_duplicates() {
    let s = Social::in_memory().unwrap();
    let first = format!("[{}, {}]", account(1), account(2));
    assert_eq!(import(&s, &first).imported, 2);
    s.act("1", Action::on(P::Follow, "2")).unwrap();
    let renamed = account(2).replace("Given2", "Renamed");
    let report = import(&s, &format!("[{}, {renamed}]", account(1)));
    assert_eq!((report.imported, report.updated), (2, 2));
    assert_eq!(
        report.to_string(),
        "2 record(s): 2 imported (0 new, 2 updated), 0 rejected"
    );
    let r = s.read().unwrap();
    assert_eq!(r.person("2").unwrap().unwrap().given_name, "Renamed");
    assert_eq!(
        r.counts("1").unwrap().following,
        1,
        "edges survive a re-import"
    );
    let found = r
        .search("1", "renamed", widget_host::store::Filter::All, None, 10)
        .map(|p| p.items.len())
        .unwrap_or(0);
    assert_eq!(found, 1, "search follows the rename");
    clean(&s);
}

/// An id that comes twice in one file, in one batch or across two, is one person:
/// the later record wins, and the report counts it as an update, not a new person.
#[test]
fn a_repeated_id_is_one_person_and_counted_as_an_update() {
    let s = Social::in_memory().unwrap();
    let again_1 = account(1).replace("Given1", "Later");
    let again_2 = account(2).replace("Given2", "Last");
    // Batches of three: 1 comes again in its own batch, 2 in the next one.
    let text = format!(
        "[{}, {}, {again_1}, {}, {}, {again_2}]",
        account(1),
        account(2),
        account(3),
        account(4)
    );
    let report = import(&s, &text);
    assert_eq!((report.records, report.imported, report.updated), (6, 6, 2));
    assert_eq!(
        report.to_string(),
        "6 record(s): 6 imported (4 new, 2 updated), 0 rejected"
    );
    let r = s.read().unwrap();
    assert_eq!(r.person("1").unwrap().unwrap().given_name, "Later");
    assert_eq!(r.person("2").unwrap().unwrap().given_name, "Last");
    assert_eq!(r.directory_size().unwrap(), 4, "four people, not six");
    clean(&s);
}

#[test]
fn id_field_choice_and_external_reference_code() {
    let s = Social::in_memory().unwrap();
    let text = r#"[{"id": 1, "externalReferenceCode": "ERC-1", "alternateName": "jose"}]"#;
    import(&s, text);
    assert!(s.read().unwrap().person("ERC-1").unwrap().is_some());
    let report = import_both(
        &s,
        text.as_bytes(),
        ImportOptions {
            id_source: IdSource::ScreenName,
            ..ImportOptions::default()
        },
    )
    .unwrap();
    assert_eq!(report.imported, 1);
    assert!(s.read().unwrap().person("jose").unwrap().is_some());
    // A refused record is named by the id it would have been stored under.
    let bad = r#"[{"id": 1, "externalReferenceCode": "ERC-1", "alternateName": "jose", "emailAddress": "x"}]"#;
    let report = import_both(
        &s,
        bad.as_bytes(),
        ImportOptions {
            id_source: IdSource::ScreenName,
            ..ImportOptions::default()
        },
    )
    .unwrap();
    let reason = &report.rejected[0].reason;
    assert!(reason.starts_with("account \"jose\": "), "{reason}");
}

#[test]
fn broken_json_and_wrong_shapes_are_clear_errors() {
    let s = Social::in_memory().unwrap();
    for (text, why) in [
        ("", "empty"),
        ("   \n ", "empty"),
        ("42", "expected a page object"),
        (
            "[{\"id\": 1, \"givenName\": \"P1\"}, {\"id\": 2",
            "after 1 record",
        ),
    ] {
        let err = import_both(&s, text.as_bytes(), ImportOptions::default()).expect_err(text);
        assert!(err.to_string().contains(why), "{text:?}: {err}");
    }
    // The record before the break was imported.
    assert!(s.read().unwrap().person("1").unwrap().is_some());

    // A cut NDJSON download: its last line breaks off with no newline after it. That
    // is a cut file like the others (exit 2), not one more bad record.
    let cut = format!("{}\n{}\n{{\"id\": 9, \"giv", account(7), account(8));
    let err =
        import_both(&s, cut.as_bytes(), ImportOptions::default()).expect_err("a cut NDJSON file");
    assert!(
        err.to_string().contains("after 2 record(s), 2 imported"),
        "{err}"
    );
    assert!(s.read().unwrap().person("8").unwrap().is_some());
}

/// Windows tools write UTF-8 with a byte-order mark; it is not part of the JSON.
#[test]
fn a_byte_order_mark_is_skipped() {
    let s = Social::in_memory().unwrap();
    for text in [
        format!("\u{feff}[{}]", account(1)),
        format!("\u{feff}{}\n{}\n", account(2), account(3)),
    ] {
        let report = import(&s, &text);
        assert_eq!(report.rejected.len(), 0, "{report:?}");
    }
    assert_eq!(s.read().unwrap().directory_size().unwrap(), 3);
    // UTF-16 (Windows PowerShell 5's Out-File), with its mark or without: the error
    // says so, and nothing is imported.
    let text = format!("[{}]", account(4));
    let utf16le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let utf16be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    for bytes in [
        [&[0xFF, 0xFE][..], &utf16le].concat(),
        [&[0xFE, 0xFF][..], &utf16be].concat(),
        utf16le,
    ] {
        let err = import_both(&s, &bytes, ImportOptions::default()).expect_err("UTF-16");
        assert!(err.contains("the file is UTF-16"), "{err}");
    }
    assert_eq!(s.read().unwrap().directory_size().unwrap(), 3);
}

#[test]
fn deleting_a_connected_person_removes_everything_and_fixes_counts() {
    let s = Social::in_memory().unwrap();
    let text: Vec<String> = (1..=4).map(account).collect();
    import(&s, &text.join("\n"));
    let act = |actor: &str, action: Action| assert!(s.act(actor, action).unwrap().all_ok());
    act("1", Action::on(P::Connect, "2"));
    let req = s.read().unwrap().requests_received("2").unwrap()[0].request_id;
    act(
        "2",
        Action::Request {
            verb: R::Accept,
            request_id: req,
        },
    );
    act("3", Action::on(P::Follow, "2"));
    act("2", Action::on(P::Follow, "4"));
    act("2", Action::on(P::Connect, "3"));
    act("4", Action::on(P::Connect, "2"));
    act("2", Action::on(P::Block, "1"));
    act(
        "2",
        Action::SaveEntry(widget_host::social::EntryDraft {
            full_name: "Friend".into(),
            email_address: "friend@example.com".into(),
            ..Default::default()
        }),
    );
    assert!(s.delete_person("2").unwrap());
    assert!(!s.delete_person("2").unwrap(), "second delete finds nobody");
    let r = s.read().unwrap();
    assert!(r.person("2").unwrap().is_none());
    for other in ["1", "3", "4"] {
        let c = r.counts(other).unwrap();
        assert_eq!(
            (c.connections, c.following, c.followers, c.requests),
            (0, 0, 0, 0),
            "{other}"
        );
        assert!(r.requests_sent(other).unwrap().is_empty());
        assert!(r.requests_received(other).unwrap().is_empty());
    }
    clean(&s);
}

/// The file is read as it is imported, so its shape is told from its first lines,
/// read up to 1 MiB. A page object written on one longer line is still a page; a
/// longer line of a file of one account per line is a rejected record, read past
/// without being held; and a long run of blanks before the first record is skipped.
#[test]
fn shapes_are_told_from_the_first_mebibyte_and_long_lines_are_bounded() {
    const MIB: usize = 1024 * 1024;
    let options = ImportOptions::default();
    let s = Social::in_memory().unwrap();
    let items: Vec<String> = (1..=4000).map(account).collect();
    let page = format!(r#"{{"items": [{}], "page": 1}}"#, items.join(","));
    assert!(page.len() > MIB, "one line longer than the head");
    let report = import_both(&s, page.as_bytes(), options).unwrap();
    assert_eq!((report.records, report.imported), (4000, 4000));

    let s = Social::in_memory().unwrap();
    let huge = format!(r#"{{"id": 9001, "givenName": "{}"}}"#, "x".repeat(MIB + 10));
    let text = format!("{}\n{huge}\n{}\n", account(1), account(2));
    let report = import_both(&s, text.as_bytes(), options).unwrap();
    assert_eq!((report.records, report.imported), (3, 2), "{report:?}");
    assert_eq!(report.rejected[0].line, Some(2));
    // Refused for its length as a line, not read whole and refused for its name's.
    assert!(
        report.rejected[0]
            .reason
            .contains(&format!("the line is longer than {MIB} bytes")),
        "{report:?}"
    );
    assert!(s.read().unwrap().person("9001").unwrap().is_none());
    // The same record as the first line: as long as a page on one line, so read as
    // one, and the file's form is refused whole (as the README says).
    let s = Social::in_memory().unwrap();
    let text = format!("{huge}\n{}\n", account(2));
    let refused = import_both(&s, text.as_bytes(), options);
    assert!(refused.is_err(), "{refused:?}");
    assert!(s.read().unwrap().person("2").unwrap().is_none());

    let s = Social::in_memory().unwrap();
    let text = format!("{}\n{}\n{}\n", " ".repeat(MIB + 10), account(3), account(4));
    let report = import_both(&s, text.as_bytes(), options).unwrap();
    assert_eq!(
        (report.imported, report.rejected.len()),
        (2, 0),
        "{report:?}"
    );
    // The same run of blanks further down a file of one account per line, past the
    // two lines that tell its shape.
    let blanks = " ".repeat(MIB + 10);
    let text = format!("{}\n{}\n{blanks}\n{}\n", account(5), account(6), account(8));
    let report = import_both(&s, text.as_bytes(), options).unwrap();
    assert_eq!(
        (report.imported, report.rejected.len()),
        (3, 0),
        "{report:?}"
    );

    // More blank lines before the first record than the head holds: they are counted,
    // so a bad record's line number is still its line in the file.
    let s = Social::in_memory().unwrap();
    let newlines = "\n".repeat(MIB + 5);
    let text = format!(
        "{newlines}{}\n{{\"id\": [1]}}\n{}\n",
        account(9),
        account(10)
    );
    let report = import_both(&s, text.as_bytes(), options).unwrap();
    assert_eq!(report.imported, 2, "{report:?}");
    assert_eq!(report.rejected[0].line, Some(MIB + 5 + 2), "{report:?}");
    let text = format!("{newlines}[{}]", account(11));
    assert_eq!(
        import_both(&s, text.as_bytes(), options).unwrap().imported,
        1
    );
    let text = format!("{}[{}]", " ".repeat(MIB + 10), account(7));
    assert_eq!(
        import_both(&s, text.as_bytes(), options).unwrap().imported,
        1
    );
}

/// A file that cannot be read to its end (a disk error, a network share gone) stops
/// the import with a read error that says how far it got; what came before stays.
#[test]
fn a_read_error_partway_says_how_far_the_import_got() {
    struct Broken;
    impl std::io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("input/output error"))
        }
    }
    let s = Social::in_memory().unwrap();
    let options = ImportOptions {
        batch: 1,
        ..ImportOptions::default()
    };
    for text in [
        format!("{}\n{}\n{}", account(1), account(2), account(3)),
        format!("[\n{},\n{},\n{}\n]", account(1), account(2), account(3)),
    ] {
        let cut = text.rfind(&account(3)).expect("third record");
        let reader = BufReader::new(std::io::Read::chain(&text.as_bytes()[..cut], Broken));
        let err = import_reader(&s, reader, options, &ProgressBar::hidden())
            .expect_err("the read fails")
            .to_string();
        assert!(err.contains("input/output error"), "{err}");
        assert!(err.contains("after 2 record(s), 2 imported"), "{err}");
    }
    assert!(s.read().unwrap().person("2").unwrap().is_some());
}

/// A file whose records are nearly all refused lists the first thousand, counts the
/// rest, and quotes a long bad value cut short: the report does not grow with the
/// file. The good record among them imports.
#[test]
fn rejections_past_a_thousand_are_counted_not_listed() {
    let s = Social::in_memory().unwrap();
    let long = "x".repeat(100_000);
    let mut text = format!("{{\"id\": 7, \"emailAddress\": \"{long}\"}}\n");
    text.push_str(&account(1));
    text.push('\n');
    text.push_str(&"{}\n".repeat(2_500));
    let report = import(&s, &text);
    assert_eq!(report.records, 2_502);
    assert_eq!(report.imported, 1);
    assert_eq!(report.rejected.len(), MAX_LISTED_REJECTIONS);
    assert_eq!(report.rejected_unlisted, 2_501 - MAX_LISTED_REJECTIONS);
    assert_eq!(report.rejected_count(), 2_501);
    assert!(!report.complete());
    assert!(
        report.to_string().ends_with("1 imported, 2501 rejected"),
        "{report}"
    );
    let first = &report.rejected[0].reason;
    assert!(first.contains("not a valid email"), "{first}");
    assert_eq!(first.chars().count(), 300, "{first}");
    assert!(
        first.contains('…') && first.ends_with("is not a valid email address"),
        "{first}"
    );
    assert_eq!(
        report.rejected[1].record, 3,
        "the good record is not listed"
    );
    assert_eq!(report.rejected[999].line, Some(1_001));
    assert!(s.read().unwrap().person("1").unwrap().is_some());
}

/// A record of an array or page object is held whole while it is parsed: one longer
/// than 1 MiB stops the import there (where it ends is known only by parsing it),
/// saying how far it got, with the records before it imported. Records just under
/// the bound, one after another, import: the bound is per record, not per file.
#[test]
fn a_record_longer_than_a_mebibyte_stops_an_array_or_page_import() {
    const MIB: usize = 1024 * 1024;
    let options = ImportOptions {
        batch: 1,
        ..ImportOptions::default()
    };
    let big = |n: usize, len: usize| {
        format!(
            r#"{{"id": {n}, "givenName": "P", "dashboardURL": "{}"}}"#,
            "x".repeat(len)
        )
    };
    // The bound counts what the parser's 8 KiB buffer has read: 1 MiB give or take that.
    let too_long = format!("{}, {}, {}", account(1), big(2, MIB + 20_000), account(3));
    for text in [
        format!("[{too_long}]"),
        format!(r#"{{"page": 1, "items": [{too_long}]}}"#),
    ] {
        let s = Social::in_memory().unwrap();
        let err = import_both(&s, text.as_bytes(), options).expect_err("too long");
        assert!(
            err.contains("a record is longer than 1048576 bytes"),
            "{err}"
        );
        assert!(err.contains("after 1 record(s), 1 imported"), "{err}");
        let r = s.read().unwrap();
        assert!(r.person("1").unwrap().is_some() && r.person("3").unwrap().is_none());
    }
    // What is not a record is skipped, not held, and not counted: a page's other keys.
    let facets = format!(
        r#"{{"facets": ["{}"], "items": [{}]}}"#,
        "f".repeat(2 * MIB),
        account(1)
    );
    let s = Social::in_memory().unwrap();
    let report = import_both(&s, facets.as_bytes(), options).expect("imports");
    assert_eq!((report.records, report.imported), (1, 1), "{report}");
    let under: Vec<String> = (1..=3).map(|n| big(n, MIB - 100)).collect();
    assert!(under.iter().all(|u| u.len() < MIB));
    for text in [
        format!("[{}]", under.join(",")),
        format!(
            r#"{{"page": 1, "items": [{}], "totalCount": 3}}"#,
            under.join(",")
        ),
    ] {
        let s = Social::in_memory().unwrap();
        let report = import_both(&s, text.as_bytes(), options).expect("imports");
        assert_eq!((report.records, report.imported), (3, 3), "{report}");
    }
}

/// A file that begins with `lead` and then repeats `fill` without end, counting what
/// the import read of it.
struct Endless {
    lead: Vec<u8>,
    fill: u8,
    read: std::rc::Rc<std::cell::Cell<u64>>,
}

impl std::io::Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = if self.lead.is_empty() {
            buf.fill(self.fill);
            buf.len()
        } else {
            let n = self.lead.len().min(buf.len());
            buf[..n].copy_from_slice(&self.lead[..n]);
            self.lead.drain(..n);
            n
        };
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

/// A page object's keys and the values beside `items` are bounded too: a key that
/// never ends, or a value of endless `[` (the parser keeps a byte per level), stops
/// the import with a clear error after a bounded read, where it held the whole file.
#[test]
fn a_page_objects_keys_and_skipped_values_are_bounded() {
    const MIB: u64 = 1024 * 1024;
    for (lead, fill, said, most) in [
        (
            r#"{"items": [], ""#,
            b'a',
            "a key of the page object is longer than 1048576 bytes",
            2 * MIB,
        ),
        (
            r#"{"facets": "#,
            b'[',
            "a value of the page object is longer than 67108864 bytes",
            65 * MIB,
        ),
        (
            r#"{"items": ""#,
            b'a',
            "the value of items is longer than 1048576 bytes",
            2 * MIB,
        ),
    ] {
        let read = std::rc::Rc::new(std::cell::Cell::new(0));
        let file = Endless {
            lead: lead.as_bytes().to_vec(),
            fill,
            read: read.clone(),
        };
        let s = Social::in_memory().unwrap();
        let err = import_reader(
            &s,
            BufReader::new(file),
            ImportOptions::default(),
            &ProgressBar::hidden(),
        )
        .expect_err("an endless value stops the import");
        assert!(err.to_string().contains(said), "{err}");
        assert!(read.get() < most, "read {} bytes", read.get());
    }
}

/// An element of an array or page is read as a line of a file of one account per
/// line is: a field the import does not know may nest as deep as it likes in all
/// three shapes (a tree of values first refused past 128 levels, as a broken file).
#[test]
fn the_three_shapes_take_the_same_deeply_nested_record() {
    let deep = format!(
        r#"{{"id": 1, "emailAddress": "u1@example.com", "givenName": "Ann", "extra": {}{}}}"#,
        "[".repeat(300),
        "]".repeat(300)
    );
    let second = account(2);
    for text in [
        format!("[{deep}, {second}]"),
        format!(r#"{{"items": [{deep}, {second}]}}"#),
        format!("{deep}\n{second}\n"),
    ] {
        let s = Social::in_memory().unwrap();
        let report = import_both(&s, text.as_bytes(), ImportOptions::default())
            .unwrap_or_else(|e| panic!("{e}: {}", &text[..40]));
        assert_eq!((report.records, report.imported), (2, 2), "{report}");
        assert!(s.read().unwrap().person("1").unwrap().is_some());
    }
    // A key given twice refuses its record in each shape alike.
    let twice = r#"{"id": 1, "emailAddress": "u1@example.com", "id": 3}"#;
    for text in [
        format!("[{twice}, {second}]"),
        format!(r#"{{"items": [{twice}, {second}]}}"#),
        format!("{twice}\n{second}\n"),
    ] {
        let s = Social::in_memory().unwrap();
        let report = import_both(&s, text.as_bytes(), ImportOptions::default()).expect("imports");
        assert_eq!((report.records, report.imported), (2, 1), "{report}");
        assert!(
            report.rejected[0].reason.contains("duplicate field"),
            "{report}"
        );
    }
}

/// A record of a pretty-printed array or page spans lines: its refusal gives no
/// position, since serde's would count lines within the record, not the file's.
#[test]
fn a_refused_record_that_spans_lines_names_no_line_of_its_own() {
    let record = "{\n  \"id\": 7,\n  \"givenName\": \"Ann\",\n  \"emailAddress\": 5\n}";
    for text in [
        format!("[\n{},\n{record}\n]", account(1)),
        format!("{{\"items\": [\n{},\n{record}\n]}}", account(1)),
    ] {
        let s = Social::in_memory().unwrap();
        let report = import_both(&s, text.as_bytes(), ImportOptions::default()).expect("imports");
        assert_eq!((report.records, report.imported), (2, 1), "{report}");
        let reason = &report.rejected[0].reason;
        assert!(
            reason.starts_with("account \"7\": invalid type: integer `5`")
                && !reason.contains("line"),
            "{reason}"
        );
    }
}

/// `null` inside an account's contact information means nothing there, as a missing
/// field does: the person is imported with the rest of what they have, not refused.
#[test]
fn nulls_in_contact_information_are_read_as_nothing() {
    let s = Social::in_memory().unwrap();
    let record = r#"{"id": 7, "givenName": "Ann", "userAccountContactInformation": {"telephones": [{"phoneNumber": "+1 555 0100", "extension": null, "phoneType": null, "primary": null}], "postalAddresses": null, "webUrls": [{"url": "https://example.com", "urlType": null}], "emailAddresses": null}}"#;
    let report = import_both(&s, record.as_bytes(), ImportOptions::default()).expect("imports");
    assert_eq!((report.records, report.imported), (1, 1), "{report}");
    let ann = s.read().unwrap().person("7").unwrap().expect("imported");
    let contact = &ann.user_account_contact_information;
    assert_eq!(contact.telephones.len(), 1);
    assert_eq!(contact.telephones[0].phone_number, "+1 555 0100");
    assert_eq!(contact.telephones[0].extension, "");
    assert!(!contact.telephones[0].primary);
    assert!(contact.postal_addresses.is_empty());
    assert_eq!(contact.web_urls[0].url, "https://example.com");
}

/// With the default choice of id (`externalReferenceCode` first), an account the
/// directory holds under another of its ids (people signed in with tokens whose `sub`
/// is the numeric id, or a first import run with `--id-field id`) is refused, naming
/// the id it is held under and the option to give: stored, it would be a second
/// person beside the one whose relations are under that id. An earlier record of the
/// same file counts as held; an account held under the chosen id is updated as ever;
/// an id field given explicitly is the administrator's word.
#[test]
fn an_account_held_under_another_of_its_ids_is_refused_not_doubled() {
    let s = Social::in_memory().unwrap();
    let hidden = ProgressBar::hidden();
    let one_at_a_time = ImportOptions {
        batch: 1,
        ..ImportOptions::default()
    };
    let numbered = import_slice(
        &s,
        format!("[{}]", account(1042)).as_bytes(),
        one_at_a_time,
        &hidden,
    )
    .expect("imported");
    assert_eq!(numbered.imported, 1);
    let with_erc = |n: usize, erc: &str| {
        account(n).replacen('{', &format!("{{\"externalReferenceCode\": \"{erc}\", "), 1)
    };
    let text = format!(
        "[{}, {}, {}, {}]",
        with_erc(1042, "uuid-1042"),
        account(2000),
        with_erc(2000, "uuid-2000"),
        with_erc(3000, "uuid-3000"),
    );
    let report = import_slice(&s, text.as_bytes(), one_at_a_time, &hidden).expect("imported");
    assert_eq!((report.records, report.imported), (4, 2), "{report}");
    let refused: Vec<(usize, &str)> = report
        .rejected
        .iter()
        .map(|r| (r.record, r.reason.as_str()))
        .collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert_eq!(refused[0].0, 1);
    assert!(
        refused[0].1.starts_with(
            "account \"uuid-1042\": the directory holds someone under this account's id \"1042\", and no one under \"uuid-1042\"; import with --id-field id"
        ),
        "{refused:?}"
    );
    assert_eq!(refused[1].0, 3, "{refused:?}");
    {
        let r = s.read().unwrap();
        assert!(r.person("uuid-1042").unwrap().is_none());
        assert!(r.person("uuid-2000").unwrap().is_none());
        assert!(
            r.person("uuid-3000").unwrap().is_some(),
            "a new account is added"
        );
        assert_eq!(r.directory_size().unwrap(), 3);
    }
    // Held under the chosen id, it is updated, whoever else holds its other ids.
    import_slice(
        &s,
        format!("[{}]", account(3000)).as_bytes(),
        one_at_a_time,
        &hidden,
    )
    .expect("imported");
    let again = import_slice(
        &s,
        format!("[{}]", with_erc(3000, "uuid-3000")).as_bytes(),
        one_at_a_time,
        &hidden,
    )
    .expect("imported");
    assert_eq!((again.imported, again.updated), (1, 1), "{again}");
    // Chosen explicitly, the field is the administrator's word.
    let chosen = ImportOptions {
        id_source: IdSource::ExternalReferenceCode,
        ..one_at_a_time
    };
    let explicit = import_slice(
        &s,
        format!("[{}]", with_erc(1042, "uuid-1042")).as_bytes(),
        chosen,
        &hidden,
    )
    .expect("imported");
    assert_eq!(explicit.imported, 1, "{explicit}");
    clean(&s);
}

/// Within one batch too (the default holds 10,000 people), an earlier record counts
/// as held: where a batch ends does not decide whether a second person is made. A
/// refusal found when the batch is written is listed in file order with the others.
#[test]
fn an_earlier_record_of_the_same_batch_counts_as_held() {
    let s = Social::in_memory().unwrap();
    let hidden = ProgressBar::hidden();
    let text = format!(
        "{}\n{}\n{{\"id\": 7, \"givenName\": 5}}\n",
        account(2000),
        account(2000).replacen('{', "{\"externalReferenceCode\": \"uuid-2000\", ", 1),
    );
    let report =
        import_slice(&s, text.as_bytes(), ImportOptions::default(), &hidden).expect("imported");
    assert_eq!((report.records, report.imported), (3, 1), "{report}");
    let at: Vec<usize> = report.rejected.iter().map(|r| r.record).collect();
    assert_eq!(at, vec![2, 3], "in file order: {report:?}");
    assert!(
        report.rejected[0]
            .reason
            .contains("holds someone under this account's id \"2000\""),
        "{report:?}"
    );
    let r = s.read().unwrap();
    assert!(r.person("uuid-2000").unwrap().is_none());
    assert_eq!(r.directory_size().unwrap(), 1);
    drop(r);
    // A record that does not parse is named by the field the id is taken from.
    let by_id = ImportOptions {
        id_source: IdSource::Id,
        ..ImportOptions::default()
    };
    let odd = "{\"id\": 8, \"externalReferenceCode\": \"u-8\", \"givenName\": 5}\n";
    let report = import_slice(&s, odd.as_bytes(), by_id, &hidden).expect("imported");
    assert!(
        report.rejected[0].reason.starts_with("account \"8\": "),
        "{report:?}"
    );
    clean(&s);
}

/// Two accounts of one file whose ids agree from different fields (one's
/// `externalReferenceCode` "1042", another's numeric `id` 1042) are two people: the
/// later is refused, where it updated the first and one account vanished unsaid. The
/// same account twice, by the same field, is still an update (the last record wins).
#[test]
fn ids_that_agree_from_different_fields_are_not_one_person() {
    let s = Social::in_memory().unwrap();
    let hidden = ProgressBar::hidden();
    let text = concat!(
        "{\"externalReferenceCode\": \"1042\", \"givenName\": \"Ann\", \"emailAddress\": \"ann@example.com\"}\n",
        "{\"id\": 1042, \"givenName\": \"Bo\", \"emailAddress\": \"bo@example.com\"}\n",
        "{\"externalReferenceCode\": \"1042\", \"givenName\": \"Anna\", \"emailAddress\": \"ann@example.com\"}\n",
    );
    let report =
        import_slice(&s, text.as_bytes(), ImportOptions::default(), &hidden).expect("imported");
    assert_eq!((report.records, report.imported), (3, 2), "{report}");
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert_eq!(report.rejected[0].record, 2);
    assert!(
        report.rejected[0].reason.starts_with(
            "account \"1042\": an earlier record of this file has this id as its externalReferenceCode, this one as its id"
        ),
        "{report:?}"
    );
    let person = s.read().unwrap().person("1042").unwrap().expect("stored");
    assert_eq!(person.given_name, "Anna");
    // The same account, its id now taken from another of its fields, is an update;
    // a deactivated account whose id another account of the file gave from another
    // field is not named as left over (that person is the other account, imported
    // now: deleting them would remove someone active).
    let text = concat!(
        "{\"id\": 7, \"givenName\": \"Cy\"}\n",
        "{\"externalReferenceCode\": \"7\", \"id\": 7, \"givenName\": \"Cyrus\"}\n",
        "{\"id\": 1042, \"givenName\": \"Bo\", \"status\": \"Inactive\"}\n",
        "{\"externalReferenceCode\": \"1042\", \"givenName\": \"Ann\"}\n",
    );
    let report =
        import_slice(&s, text.as_bytes(), ImportOptions::default(), &hidden).expect("imported");
    assert_eq!((report.imported, report.inactive), (3, 1), "{report:?}");
    assert!(report.rejected.is_empty(), "{report:?}");
    assert!(report.inactive_stored.is_empty(), "{report:?}");
    let person = s.read().unwrap().person("7").unwrap().expect("stored");
    assert_eq!(person.given_name, "Cyrus");
    clean(&s);
}

/// More than a thousand deactivated accounts still in the directory are all found:
/// a portal's history of departures, where looking up the first thousand alone
/// undercounted those still shown to everyone.
#[test]
fn every_deactivated_account_still_held_is_found() {
    let s = Social::in_memory().unwrap();
    let hidden = ProgressBar::hidden();
    let count = 1_500;
    let active: Vec<String> = (1..=count)
        .map(|n| format!("{{\"id\": {n}, \"givenName\": \"P{n}\"}}"))
        .collect();
    let imported = import_slice(
        &s,
        active.join("\n").as_bytes(),
        ImportOptions::default(),
        &hidden,
    )
    .expect("imported");
    assert_eq!(imported.imported, count);
    let inactive: Vec<String> = (1..=count)
        .map(|n| format!("{{\"id\": {n}, \"givenName\": \"P{n}\", \"status\": \"Inactive\"}}"))
        .collect();
    let report = import_slice(
        &s,
        inactive.join("\n").as_bytes(),
        ImportOptions::default(),
        &hidden,
    )
    .expect("imported");
    assert_eq!(report.inactive, count);
    assert_eq!(report.inactive_not_looked_up, 0);
    assert_eq!(report.inactive_stored.len(), count);
    assert_eq!(
        report.inactive_stored.last().map(String::as_str),
        Some("1500")
    );
    clean(&s);
}

/// Past the first 100,000 deactivated accounts of a file, those with an id are counted
/// as not looked up, so that the command can say so rather than seem to have checked.
#[test]
fn deactivated_accounts_past_the_lookup_cap_are_counted() {
    let s = Social::in_memory().unwrap();
    let hidden = ProgressBar::hidden();
    let count = widget_host::directory::MAX_INACTIVE_LOOKED_UP + 2;
    let mut text = String::with_capacity(count * 48);
    for n in 1..=count {
        text.push_str(&format!("{{\"id\": {n}, \"status\": \"Inactive\"}}\n"));
    }
    // One without an id is skipped too, and not counted as unlooked-up.
    text.push_str("{\"givenName\": \"Nobody\", \"status\": \"Inactive\"}\n");
    let report =
        import_slice(&s, text.as_bytes(), ImportOptions::default(), &hidden).expect("imported");
    assert_eq!(report.inactive, count + 1);
    assert_eq!(report.inactive_not_looked_up, 2);
    assert!(report.inactive_stored.is_empty());
}
