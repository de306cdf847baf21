//! Search: case- and accent-insensitive prefix match; pagination yields every match
//! exactly once, in sort order.

use widget_host::social::{Action, PersonVerb, Social};
use widget_host::store::{Filter, Listed, Person};

fn person(id: &str, given: &str, family: &str, email: &str) -> Person {
    Person {
        id: id.into(),
        given_name: given.into(),
        family_name: family.into(),
        alternate_name: format!("{id}_screen"),
        email_address: email.into(),
        ..Person::default()
    }
}

fn ids(page: &[Listed]) -> Vec<String> {
    page.iter()
        .map(|i| match i {
            Listed::Person(p) => p.id.clone(),
            Listed::Entry(e) => e.entry_id.to_string(),
        })
        .collect()
}

/// Connects "viewer" with each of `others`: asked, then accepted.
fn connect_viewer_with(s: &Social, others: &[&str]) {
    use widget_host::social::RequestVerb;
    for &other in others {
        s.act("viewer", Action::on(PersonVerb::Connect, other))
            .unwrap();
        let request_id = s.read().unwrap().requests_received(other).unwrap()[0].request_id;
        s.act(
            other,
            Action::Request {
                verb: RequestVerb::Accept,
                request_id,
            },
        )
        .unwrap();
    }
}

fn found(s: &Social, q: &str) -> Vec<String> {
    ids(&s
        .read()
        .unwrap()
        .search("viewer", q, Filter::All, None, 50)
        .unwrap()
        .items)
}

#[test]
fn finds_jose_alvarez_by_prefixes_but_not_infix() {
    let s = Social::in_memory().unwrap();
    s.upsert_person(person("viewer", "Vi", "Ewer", "v@example.com"))
        .unwrap();
    s.upsert_person(person("ja", "José", "Álvarez", "jalvarez@acme.test"))
        .unwrap();
    s.upsert_person(person("other", "Joan", "Smith", "joan@acme.test"))
        .unwrap();
    for q in [
        "jose",
        "JOSÉ",
        "alv",
        "alvarez",
        "josé a",
        "José Álv",
        "jalv",
        "jalvarez@acme",
        "ja_scr",
        // A mention, as people type one, beside a name or another mention.
        "@ja_screen",
        "José @ja_screen",
        "@ja_screen @alv",
    ] {
        assert!(found(&s, q).contains(&"ja".to_owned()), "query {q:?}");
    }
    assert!(!found(&s, "jose").contains(&"other".to_owned()));
    assert_eq!(found(&s, "jo"), vec!["ja", "other"]); // Álvarez sorts before Smith
    for q in ["varez", "ose", "lvarez", "jose b"] {
        assert!(!found(&s, q).contains(&"ja".to_owned()), "query {q:?}");
    }
    // Long queries (past the indexed prefix length) still match exactly.
    assert_eq!(found(&s, "jalvarez@acme.test"), vec!["ja"]);
    assert_eq!(found(&s, "jalvarez@acme.tesx"), Vec::<String>::new());
    // Renaming keeps the index in sync.
    s.upsert_person(person("ja", "Pepe", "Ruiz", "pr@acme.test"))
        .unwrap();
    assert!(found(&s, "jose").is_empty());
    assert_eq!(found(&s, "ruiz"), vec!["ja"]);
    assert!(s.check_invariants().unwrap().is_empty());
}

/// `people`, and more people named `given` than a search page rejects before it
/// stops, who sort before them (family names Aa00000 …).
fn beside_a_crowd(mut people: Vec<Person>, given: &str) -> Vec<Person> {
    let tag = given.to_lowercase();
    for i in 0..widget_host::store::SEARCH_SCAN_LIMIT + 10 {
        people.push(person(
            &format!("{tag}{i:05}"),
            given,
            &format!("Aa{i:05}"),
            &format!("{tag}{i}@example.com"),
        ));
    }
    people
}

/// A fresh in-memory directory holding `people`.
fn directory_of(people: Vec<widget_host::store::Person>) -> Social {
    let s = Social::in_memory().unwrap();
    for p in people {
        s.upsert_person(p).unwrap();
    }
    s
}

/// Each word of a query starts a word of the person, in any order: a family name of
/// two words, a family name before the given one, a Japanese name (two characters
/// transliterate to two words), either half of a hyphenated name. The same rule holds for the directory (the prefix
/// index), for a list (the viewer's connections, scanned) and for personal contacts.
#[test]
fn each_word_of_a_query_starts_a_word_of_the_name_in_any_order() {
    use widget_host::social::EntryDraft;
    let s = directory_of(vec![
        person("viewer", "Vi", "Ewer", "v@example.com"),
        person("ggm", "Gabriel", "García Márquez", "gabo@example.com"),
        person("yamada", "太郎", "山田", "taro@example.jp"),
        person("js", "John", "Smith", "js@example.com"),
        person("gm", "Gabriel", "Marquez", "gm@example.com"),
        person("jp", "Jean-Pierre", "Dupont-Moretti", "jp@example.fr"),
        person("pp", "Pat", "Plus", "pat+news@acme.test"),
        person("ob", "Liam", "O'Brien", "liam@example.ie"),
        person("ds", "Dee", "D’Souza", "dee@example.in"),
    ]);
    connect_viewer_with(&s, &["ggm", "yamada", "js", "gm", "jp", "pp", "ob", "ds"]);
    s.act(
        "viewer",
        Action::SaveEntry(EntryDraft {
            full_name: "Ana María López-Ruiz".into(),
            email_address: "ana@example.org".into(),
            ..EntryDraft::default()
        }),
    )
    .unwrap();
    let search = |q: &str, filter: Filter| {
        ids(&s
            .read()
            .unwrap()
            .search("viewer", q, filter, None, 50)
            .unwrap()
            .items)
    };
    for (q, want) in [
        ("garcia marquez", vec!["ggm"]),
        ("García Márquez", vec!["ggm"]),
        ("marquez gabriel", vec!["ggm", "gm"]),
        ("gabriel marq", vec!["ggm", "gm"]),
        ("山田", vec!["yamada"]),
        ("山田 太郎", vec!["yamada"]),
        ("smith john", vec!["js"]),
        ("smith j", vec!["js"]),
        ("gabo@ex gabriel", vec!["ggm"]),
        ("pierre", vec!["jp"]),
        ("moretti jean", vec!["jp"]),
        ("dupont-mor", vec!["jp"]),
        ("jean-p", vec!["jp"]),
        // An address typed whole, though folding splits it at the "+".
        ("pat+news@acme.test", vec!["pp"]),
        ("pat+news@", vec!["pp"]),
        // A name with an apostrophe, typed with it, without it, or by its part.
        ("obrien", vec!["ob"]),
        ("O'Brien", vec!["ob"]),
        ("liam obri", vec!["ob"]),
        ("brien", vec!["ob"]),
        ("dsouza", vec!["ds"]),
        ("d'souza dee", vec!["ds"]),
        ("smith gabriel", vec![]),
        ("marquez x", vec![]),
    ] {
        assert_eq!(search(q, Filter::All), want, "directory, {q:?}");
        assert_eq!(search(q, Filter::Connections), want, "connections, {q:?}");
    }
    s.act(
        "viewer",
        Action::SaveEntry(EntryDraft {
            full_name: "Owen O'Neil".into(),
            email_address: "o'neil@example.org".into(),
            ..EntryDraft::default()
        }),
    )
    .unwrap();
    let entry = |q: &str| search(q, Filter::Contacts).len();
    for q in [
        "lopez ruiz",
        "ruiz ana",
        "maria",
        "ana@ex lopez",
        "o'neil@ex",
        "oneil",
        "owen o'ne",
    ] {
        assert_eq!(entry(q), 1, "contacts, {q:?}");
    }
    for q in ["lopez gomez", "example"] {
        assert_eq!(entry(q), 0, "contacts, {q:?}");
    }
    // The contact found without its apostrophe is the one who has it.
    let found = s
        .read()
        .unwrap()
        .search("viewer", "oneil", Filter::Contacts, None, 50)
        .unwrap()
        .items;
    assert!(
        matches!(found.as_slice(), [Listed::Entry(e)] if e.full_name == "Owen O'Neil"),
        "{found:?}"
    );
}

/// Keywords with no letter or digit in them start no word: such a search finds
/// nobody, in the directory, a list or the personal contacts, where it listed the
/// whole filter as if everyone matched. Empty keywords still list it.
#[test]
fn a_search_of_punctuation_alone_finds_nobody() {
    use widget_host::social::EntryDraft;
    let s = directory_of(vec![
        person("viewer", "Vi", "Ewer", "v@example.com"),
        person("js", "John", "Smith", "js@example.com"),
    ]);
    connect_viewer_with(&s, &["js"]);
    s.act(
        "viewer",
        Action::SaveEntry(EntryDraft {
            full_name: "Ana López".into(),
            email_address: "ana@example.org".into(),
            ..EntryDraft::default()
        }),
    )
    .unwrap();
    let search = |q: &str, filter: Filter| {
        s.read()
            .unwrap()
            .search("viewer", q, filter, None, 50)
            .unwrap()
    };
    for filter in [Filter::All, Filter::Connections, Filter::Contacts] {
        let listed = search("", filter).items.len();
        assert!(listed > 0, "{filter:?} listed");
        assert_eq!(search("   ", filter).items.len(), listed, "{filter:?}");
        for q in ["!!!", "'", " ? ", "«…»"] {
            let page = search(q, filter);
            assert!(page.items.is_empty(), "{filter:?}, {q:?}");
            assert_eq!(page.next_cursor, None, "{filter:?}, {q:?}");
        }
    }
}

fn walk(s: &Social, q: Option<&str>, filter: Filter, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let r = s.read().unwrap();
        let page = match q {
            Some(q) => r.search("viewer", q, filter, cursor.as_deref(), limit),
            None => r.list("viewer", filter, cursor.as_deref(), limit),
        }
        .unwrap();
        assert!(page.items.len() <= limit);
        out.extend(ids(&page.items));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

#[test]
fn pages_return_every_match_once_in_sort_order() {
    let s = Social::in_memory().unwrap();
    s.upsert_person(person("viewer", "Vi", "Zzz", "v@example.com"))
        .unwrap();
    let families = [
        "Moreno", "Álvarez", "Smith", "alvarado", "Núñez", "Álvarez", "Brown",
    ];
    let mut people = Vec::new();
    for i in 0..70 {
        let family = families[i % families.len()];
        people.push(person(
            &format!("u{i}"),
            &format!("Given{:02}", 70 - i),
            family,
            &format!("u{i}@m.org"),
        ));
    }
    s.upsert_people(people.clone()).unwrap();
    for i in (0..70).step_by(3) {
        s.act("viewer", Action::on(PersonVerb::Follow, format!("u{i}")))
            .unwrap();
    }
    let key = |p: &Person| {
        (
            widget_host::store::fold(&p.family_name),
            widget_host::store::fold(&p.given_name),
        )
    };
    let mut expected: Vec<&Person> = people.iter().collect();
    expected.sort_by_key(|p| key(p));
    // The order the key gives, written out: accents and case do not move a name.
    let mut families: Vec<&str> = expected.iter().map(|p| p.family_name.as_str()).collect();
    families.dedup();
    assert_eq!(
        families,
        ["alvarado", "Álvarez", "Brown", "Moreno", "Núñez", "Smith"]
    );
    for limit in [1, 4, 7, 100] {
        let got = walk(&s, Some("g"), Filter::All, limit);
        let want: Vec<String> = expected.iter().map(|p| p.id.clone()).collect();
        assert_eq!(got, want, "limit {limit}");
        let alv = walk(&s, Some("alv"), Filter::All, limit);
        let want: Vec<String> = expected
            .iter()
            .filter(|p| key(p).0.starts_with("alv"))
            .map(|p| p.id.clone())
            .collect();
        assert_eq!(alv, want);
        let following = walk(&s, None, Filter::Following, limit);
        let want: Vec<String> = expected
            .iter()
            .filter(|p| p.id[1..].parse::<usize>().unwrap() % 3 == 0)
            .map(|p| p.id.clone())
            .collect();
        assert_eq!(following, want);
        let following_alv = walk(&s, Some("alv"), Filter::Following, limit);
        // Both conditions at once, in the list's order: exactly the followed "alv"s.
        let both: Vec<String> = alv.iter().filter(|id| want.contains(id)).cloned().collect();
        assert!(!both.is_empty(), "the graph follows some \"alv\"");
        assert_eq!(following_alv, both, "limit {limit}");
        assert_eq!(walk(&s, None, Filter::All, limit).len(), 71);
    }
    assert!(
        s.read()
            .unwrap()
            .list("viewer", Filter::All, Some("garbage!"), 5)
            .is_err()
    );
}

#[test]
fn queries_past_one_word_page_exactly_through_the_filtered_scan() {
    let s = Social::in_memory().unwrap();
    let families = ["Álvarez", "alvarado", "Smith", "Alba", "Núñez", "Al Masri"];
    let people: Vec<Person> = (0..40)
        .map(|i| {
            let family = families[i % families.len()];
            person(&format!("p{i}"), "Ana", family, &format!("ana.{i}@x.org"))
        })
        .collect();
    s.upsert_people(people.clone()).unwrap();
    let key = |p: &Person| {
        (
            widget_host::store::fold(&p.family_name),
            widget_host::store::fold(&p.given_name),
            // Equal names list in the order they were stored (internal id).
            p.id[1..].parse::<usize>().unwrap(),
        )
    };
    let mut sorted: Vec<&Person> = people.iter().collect();
    sorted.sort_by_key(|p| key(p));
    // Multi-word and email queries are scanned by their first word and filtered;
    // every page must still hold exactly the matches, in list order.
    for (q, want_family) in [("ana al", "al"), ("Ana Álv", "alv"), ("ana al m", "al m")] {
        let want: Vec<String> = sorted
            .iter()
            .filter(|p| key(p).0.starts_with(want_family))
            .map(|p| p.id.clone())
            .collect();
        assert!(!want.is_empty());
        for limit in [1, 3, 100] {
            assert_eq!(
                walk(&s, Some(q), Filter::All, limit),
                want,
                "{q:?} limit {limit}"
            );
        }
    }
    assert_eq!(walk(&s, Some("ana.17@x.org"), Filter::All, 2), vec!["p17"]);
    assert_eq!(
        walk(&s, Some("ana.17@x.orx"), Filter::All, 2),
        Vec::<String>::new()
    );
}

/// Lists and search hand out rows: what a row shows and search matches, and no more
/// (a list without keywords, what a row shows).
/// A filtered search still finds people by a secondary email; `list` (used for
/// vCards) keeps the whole record.
#[test]
fn rows_keep_names_and_emails_and_lists_keep_whole_records() {
    use widget_host::store::{ContactInformation, EmailAddress, Phone, PostalAddress};
    let s = Social::in_memory().unwrap();
    s.upsert_person(person("viewer", "Vi", "Ewer", "v@example.com"))
        .unwrap();
    let mut ana = person("ana", "Ana", "Lou", "ana@example.com");
    ana.job_title = "Engineer".into();
    ana.user_account_contact_information = ContactInformation {
        email_addresses: vec![EmailAddress {
            email_address: "zeta@work.example".into(),
            kind: "business".into(),
            primary: false,
        }],
        telephones: vec![Phone {
            phone_number: "+1 555".into(),
            ..Phone::default()
        }],
        postal_addresses: vec![PostalAddress {
            address_locality: "Lisboa".into(),
            ..PostalAddress::default()
        }],
        ..ContactInformation::default()
    };
    s.upsert_person(ana.clone()).unwrap();
    s.act("ana", Action::on(PersonVerb::Follow, "viewer"))
        .unwrap();
    let r = s.read().unwrap();
    let only = |page: widget_host::store::Page<Listed>| match page.items.as_slice() {
        [Listed::Person(p)] => p.clone(),
        other => panic!("one person expected, got {other:?}"),
    };
    let row = only(r.search("viewer", "zeta", Filter::All, None, 10).unwrap());
    assert_eq!((&row.id, &row.job_title), (&ana.id, &ana.job_title));
    assert_eq!(
        row.user_account_contact_information.email_addresses,
        ana.user_account_contact_information.email_addresses
    );
    assert!(row.user_account_contact_information.telephones.is_empty());
    assert!(
        row.user_account_contact_information
            .postal_addresses
            .is_empty()
    );
    // Without keywords nothing looks at the other addresses: a plain list's row
    // holds what a row shows, and none of them.
    let row = only(r.search("viewer", "", Filter::Followers, None, 10).unwrap());
    assert_eq!((&row.id, &row.email_address), (&ana.id, &ana.email_address));
    assert!(
        row.user_account_contact_information
            .email_addresses
            .is_empty()
    );
    // A filtered search scans the list and matches each row against the secondary email.
    let row = only(
        r.search("viewer", "zeta", Filter::Followers, None, 10)
            .unwrap(),
    );
    assert_eq!(row.id, "ana");
    let whole = only(r.list("viewer", Filter::Followers, None, 10).unwrap());
    assert_eq!(whole, ana);
}

/// A multi-word query is looked up by its longest word and checked against the rest.
/// When that word is common, a page stops after `SEARCH_SCAN_LIMIT` rejected rows and
/// hands back a cursor; following the cursors still finds every match, once, in order.
#[test]
fn a_search_page_reads_a_bounded_number_of_rows_and_its_cursor_goes_on() {
    use widget_host::store::SEARCH_SCAN_LIMIT;
    let s = Social::in_memory().unwrap();
    let mut people = vec![person("viewer", "Vi", "Ewer", "v@example.com")];
    let crowd = SEARCH_SCAN_LIMIT * 2 + 10;
    // Everyone's given name is "Wang"; three family names start with "Xiu", and they
    // sort after all the others.
    let chosen = |i: usize| i % (SEARCH_SCAN_LIMIT - 1) == 5;
    for i in 0..crowd {
        let family = if chosen(i) { "Xiu" } else { "Li" };
        people.push(person(
            &format!("w{i:05}"),
            "Wang",
            &format!("{family}{i:05}"),
            &format!("w{i}@example.com"),
        ));
    }
    s.upsert_people(people).unwrap();
    let r = s.read().unwrap();
    let expected: Vec<String> = (0..crowd)
        .filter(|i| chosen(*i))
        .map(|i| format!("w{i:05}"))
        .collect();
    assert_eq!(expected.len(), 3);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        // The index finds everyone by "wang", the longer word; "wang xiu" starts only the chosen
        // three's "given family" token.
        let page = r
            .search("viewer", "wang xiu", Filter::All, cursor.as_deref(), 20)
            .unwrap();
        pages += 1;
        assert!(pages < 10, "the cursor does not advance");
        seen.extend(ids(&page.items));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, expected);
    assert!(
        pages >= 3,
        "a page read past the scan limit ({pages} pages)"
    );
}

/// A query is scanned by its longest word: "J. Smith" finds John Smith on its first
/// page however many people whose words start with "j" sort before him, where a scan
/// by its first word stopped at the limit with nobody found yet. An address that
/// folding split at its `+` is found by the word after it.
#[test]
fn a_query_is_scanned_by_its_longest_word() {
    let people = beside_a_crowd(
        vec![
            person("viewer", "Vi", "Ewer", "v@example.com"),
            person("js", "John", "Smith", "js@example.com"),
            person("tag", "Tess", "Ng", "tess+newsletters@example.org"),
        ],
        "Jane",
    );
    let s = Social::in_memory().unwrap();
    s.upsert_people(people).unwrap();
    let first_page = |q: &str| {
        let page = s
            .read()
            .unwrap()
            .search("viewer", q, Filter::All, None, 20)
            .unwrap();
        (ids(&page.items), page.next_cursor.is_some())
    };
    for q in ["J. Smith", "smith j", "j smi", "john smith", "Smith, J."] {
        assert_eq!(first_page(q), (vec!["js".to_owned()], false), "{q:?}");
    }
    assert_eq!(first_page("newsletters"), (vec!["tag".to_owned()], false));
    for q in ["tess news", "news tess", "ng newsl"] {
        assert_eq!(first_page(q), (vec!["tag".to_owned()], false), "{q:?}");
    }
    // One word is still a page straight from the index, every row a match.
    let (janes, more) = first_page("jane");
    assert_eq!((janes.len(), more), (20, true));
    // A personal contact's address is searched by its words the same way.
    use widget_host::social::EntryDraft;
    let saved = s
        .act(
            "viewer",
            Action::SaveEntry(EntryDraft {
                entry_id: None,
                full_name: "Tom Hall".into(),
                email_address: "tom+lists@example.net".into(),
                comments: String::new(),
            }),
        )
        .unwrap();
    assert!(saved.first().is_ok());
    for (q, found) in [
        ("lists", 1),
        ("tom lists", 1),
        ("hall lis", 1),
        ("example", 0),
    ] {
        let page = s
            .read()
            .unwrap()
            .search("viewer", q, Filter::Contacts, None, 20)
            .unwrap();
        assert_eq!(page.items.len(), found, "{q:?}");
    }
    assert!(s.check_invariants().unwrap().is_empty());
}

/// A search whose `SEARCH_SCAN_LIMIT`th rejected row is the last of its list has
/// ended: no cursor, so the page says nobody was found, not "keep searching". One
/// row more, and the page stops there with a cursor, whose page then ends the search.
/// The same in the directory, in a list, and in My Contacts at its cap.
#[test]
fn a_search_whose_limit_falls_on_the_last_row_has_ended() {
    use widget_host::social::{BulkEdge, EntryDraft, MAX_CONTACTS};
    use widget_host::store::SEARCH_SCAN_LIMIT;
    assert_eq!(MAX_CONTACTS as usize, SEARCH_SCAN_LIMIT, "My Contacts' cap");
    for extra in [0, 1] {
        let s = Social::in_memory().unwrap();
        let n = SEARCH_SCAN_LIMIT + extra;
        let mut people = vec![person("viewer", "Vi", "Ewer", "v@example.com")];
        people.extend((0..n).map(|i| {
            person(
                &format!("w{i:05}"),
                "Wang",
                &format!("Li{i:05}"),
                &format!("w{i}@example.com"),
            )
        }));
        s.upsert_people(people).unwrap();
        let follows = (0..n)
            .map(|i| BulkEdge::Follow("viewer".into(), format!("w{i:05}")))
            .collect();
        assert_eq!(s.link_many(follows).unwrap(), n);
        let mut filters = vec![Filter::All, Filter::Following];
        if extra == 0 {
            for i in 0..n {
                s.act(
                    "viewer",
                    Action::SaveEntry(EntryDraft {
                        entry_id: None,
                        full_name: format!("Wang Li{i:05}"),
                        email_address: format!("c{i}@example.org"),
                        comments: String::new(),
                    }),
                )
                .unwrap();
            }
            filters.push(Filter::Contacts);
        }
        let r = s.read().unwrap();
        // A list of exactly the scan limit's rows is read to its end: its last person,
        // or entry, is found behind every other row passed over (one rejection short
        // of the limit), and the list has ended. (Everyone's list is scanned by the
        // longest word, the last one's own name, and passes over nobody; the limit
        // itself is met below, where "wang xiu" matches no row.)
        for filter in filters.iter().filter(|_| extra == 0) {
            let last = r
                .search("viewer", &format!("wang li{:05}", n - 1), *filter, None, 20)
                .unwrap();
            assert_eq!(last.items.len(), 1, "{filter:?}");
            assert_eq!(last.next_cursor, None, "{filter:?}");
        }
        for filter in filters {
            let page = r.search("viewer", "wang xiu", filter, None, 20).unwrap();
            assert!(page.items.is_empty(), "{filter:?}");
            assert_eq!(
                page.next_cursor.is_some(),
                extra == 1,
                "{filter:?} over {n} rows"
            );
            if let Some(cursor) = page.next_cursor {
                let next = r
                    .search("viewer", "wang xiu", filter, Some(&cursor), 20)
                    .unwrap();
                assert!(next.items.is_empty(), "{filter:?}");
                assert_eq!(next.next_cursor, None, "{filter:?}");
            }
        }
    }
}

/// Names in Chinese, Japanese and Korean letters are found by those letters: 山 finds
/// 山田 and not Shannon or 杉本, whose Chinese readings start the same, and 张 finds 张
/// and not 章. The family and given names typed together find the person too, and the
/// Chinese reading still does, for those who type it. The same holds in a connections
/// list and in My Contacts.
#[test]
fn names_in_chinese_japanese_and_korean_letters_are_found_by_those_letters() {
    use widget_host::social::EntryDraft;
    let s = directory_of(vec![
        person("viewer", "Vi", "Ewer", "v@example.com"),
        person("yamada", "太郎", "山田", "taro@example.jp"),
        person("sugimoto", "花子", "杉本", "hanako@example.jp"),
        person("shannon", "Shannon", "Smith", "shannon@example.com"),
        person("zhangwei", "伟", "张", "wei@example.cn"),
        person("zhangming", "明", "章", "ming@example.cn"),
        person("kim", "민수", "김", "minsu@example.kr"),
        person("tanaka", "タロウ", "タナカ", "tanaka@example.jp"),
        person("sato", "Ken", "佐藤", "ken@example.jp"),
        person("takahashi", "一", "高橋", "ichi@example.jp"),
        person("takahashi2", "二", "髙橋", "ni@example.jp"),
    ]);
    connect_viewer_with(&s, &["yamada", "sugimoto", "shannon", "zhangwei"]);
    let search = |q: &str, filter: Filter| {
        ids(&s
            .read()
            .unwrap()
            .search("viewer", q, filter, None, 50)
            .unwrap()
            .items)
    };
    for (q, all, connections) in [
        ("山", vec!["yamada"], vec!["yamada"]),
        ("山田", vec!["yamada"], vec!["yamada"]),
        ("山田太郎", vec!["yamada"], vec!["yamada"]),
        ("太郎山田", vec!["yamada"], vec!["yamada"]),
        ("山田 太", vec!["yamada"], vec!["yamada"]),
        ("杉", vec!["sugimoto"], vec!["sugimoto"]),
        ("张", vec!["zhangwei"], vec!["zhangwei"]),
        ("章", vec!["zhangming"], vec![]),
        ("김", vec!["kim"], vec![]),
        ("김민수", vec!["kim"], vec![]),
        ("タナカ", vec!["tanaka"], vec![]),
        // A name's forms meet: hiragana, half-width katakana, a radical pasted
        // from a PDF, and a Latin given name typed straight after the family name.
        ("たなか", vec!["tanaka"], vec![]),
        ("ﾀﾅｶ ﾀﾛｳ", vec!["tanaka"], vec![]),
        ("\u{2F2D}田", vec!["yamada"], vec!["yamada"]),
        ("佐藤ken", vec!["sato"], vec![]),
        // Variant kanji are different letters (the README's 髙 and 高).
        ("高橋", vec!["takahashi"], vec![]),
        ("髙橋", vec!["takahashi2"], vec![]),
        ("山 smith", vec![], vec![]),
        // The Chinese reading still finds, beside the Latin name it spells too.
        ("shan tian", vec!["yamada"], vec!["yamada"]),
        (
            "shan",
            vec!["sugimoto", "yamada", "shannon"],
            vec!["sugimoto", "yamada", "shannon"],
        ),
    ] {
        assert_eq!(search(q, Filter::All), all, "directory, {q:?}");
        assert_eq!(
            search(q, Filter::Connections),
            connections,
            "connections, {q:?}"
        );
    }
    s.act(
        "viewer",
        Action::SaveEntry(EntryDraft {
            full_name: "鈴木 一郎".into(),
            email_address: "ichiro@example.jp".into(),
            ..EntryDraft::default()
        }),
    )
    .unwrap();
    for (q, want) in [
        ("鈴", 1),
        ("一郎", 1),
        ("鈴木一郎", 1),
        // Either order, as for the directory's people.
        ("一郎鈴木", 1),
        ("一郎鈴", 1),
        ("山", 0),
        ("ling", 1),
    ] {
        assert_eq!(search(q, Filter::Contacts).len(), want, "contacts, {q:?}");
    }
}

/// "o'brien" is looked up as "obrien", not by every word that starts with "o": Liam
/// O'Brien is on the first page however many Olivers sort before him. An initial
/// typed with its dot finds the name, and keywords of marks alone find nobody.
#[test]
fn a_name_typed_with_its_apostrophe_or_an_initial_with_its_dot_is_found_at_once() {
    let people = beside_a_crowd(
        vec![
            person("viewer", "Vi", "Ewer", "v@example.com"),
            person("ob", "Liam", "O'Brien", "liam@example.ie"),
            person("js", "John", "Smith", "js@example.com"),
        ],
        "Oliver",
    );
    let s = directory_of(people);
    let first_page = |q: &str| {
        ids(&s
            .read()
            .unwrap()
            .search("viewer", q, Filter::All, None, 20)
            .unwrap()
            .items)
    };
    assert_eq!(first_page("o'brien"), ["ob"]);
    assert_eq!(first_page("O’Brien liam"), ["ob"]);
    assert_eq!(first_page("J. Smith"), ["js"]);
    assert_eq!(first_page("smith, j."), ["js"]);
    for q in ["-", "@", "..."] {
        let page = s
            .read()
            .unwrap()
            .search("viewer", q, Filter::All, None, 20)
            .unwrap();
        assert!(page.items.is_empty() && page.next_cursor.is_none(), "{q:?}");
    }
}
