//! vCard 3.0 / 4.0 writing: structure, escaping, folding, injection, file names.

use proptest::prelude::*;
use time::macros::datetime;
use widget_host::vcard::{
    Address, Card, Email, Kind, MAX_LINE_OCTETS, Phone, PhoneKind, Version, WebSite, filename_for,
    text, unfold, write,
};

fn jane() -> Card {
    Card {
        uid: "portal:20123".into(),
        rev: Some(datetime!(2024-03-05 14:07:09 +01:00)),
        given_name: "Jane".into(),
        middle_name: "Q".into(),
        family_name: "Doe".into(),
        full_name: "Jane Q. Doe".into(),
        job_title: Some("Engineer, R&D".into()),
        emails: vec![
            Email {
                address: "jane@example.com".into(),
                kind: Kind::Work,
                pref: false,
            },
            Email {
                address: "jane@home.example".into(),
                kind: Kind::Other,
                pref: false,
            },
        ],
        phones: vec![
            Phone {
                number: "+1 (555) 010-0199".into(),
                extension: String::new(),
                kind: PhoneKind::Mobile,
                pref: false,
            },
            Phone {
                number: "0800 123 ext. 4".into(),
                extension: String::new(),
                kind: PhoneKind::Work,
                pref: false,
            },
        ],
        addresses: vec![Address {
            street: vec!["1 Main St".into(), "Suite 2; rear".into()],
            locality: "Springfield".into(),
            region: "IL".into(),
            postal_code: "62701".into(),
            country: "USA".into(),
            kind: Kind::Work,
            pref: false,
        }],
        urls: vec![WebSite {
            url: "https://jane.example/blog?a=1,2".into(),
            kind: Kind::Home,
            pref: false,
        }],
        note: Some("Met at the conference.\nLikes tea.".into()),
    }
}

/// Unfolds as RFC 6350 section 3.2 says, not with the code under test: a line
/// break followed by one space or tab is removed, with that space or tab.
fn rfc_unfold(vcf: &str) -> String {
    vcf.replace("\r\n ", "").replace("\r\n\t", "")
}

/// Logical lines (unfolded), without the CRLFs.
fn logical_lines(vcf: &str) -> Vec<String> {
    rfc_unfold(vcf)
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The property name (before params) of a logical line.
fn name_of(line: &str) -> &str {
    line.split([';', ':']).next().unwrap_or("")
}

fn unescape(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The unescaped value of the first property `name`.
fn value_of(vcf: &str, name: &str) -> Option<String> {
    logical_lines(vcf)
        .into_iter()
        .find(|l| name_of(l) == name)
        .and_then(|l| l.split_once(':').map(|(_, v)| unescape(v)))
}

#[test]
fn version_3_has_the_required_properties_in_order() {
    let vcf = write(&[jane()], Version::V3);
    assert!(vcf.ends_with("\r\n"));
    assert!(!vcf.replace("\r\n", "").contains('\n'), "bare LF");
    let lines = logical_lines(&vcf);
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCARD"));
    assert_eq!(lines.get(1).map(String::as_str), Some("VERSION:3.0"));
    assert_eq!(lines.last().map(String::as_str), Some("END:VCARD"));
    for expected in [
        "UID:portal:20123",
        "FN:Jane Q. Doe",
        "N:Doe;Jane;Q;;",
        "TITLE:Engineer\\, R&D",
        "EMAIL;TYPE=INTERNET,WORK:jane@example.com",
        "EMAIL;TYPE=INTERNET:jane@home.example",
        "TEL;TYPE=CELL,VOICE:+1 (555) 010-0199",
        "TEL;TYPE=WORK,VOICE:0800 123 ext. 4",
        "ADR;TYPE=WORK:;;1 Main St\\nSuite 2\\; rear;Springfield;IL;62701;USA",
        "URL;TYPE=HOME:https://jane.example/blog?a=1,2",
        "NOTE:Met at the conference.\\nLikes tea.",
        "REV:20240305T130709Z",
    ] {
        assert!(
            lines.iter().any(|l| l == expected),
            "missing {expected:?} in\n{vcf}"
        );
    }
}

/// The portal's primary entry is marked as the one to use first: in 3.0 with PREF in
/// its TYPE list, in 4.0 with its own parameter; the others are not marked.
#[test]
fn the_preferred_entries_are_marked_in_each_versions_way() {
    let mut card = jane();
    card.emails[1].pref = true;
    card.phones[0].pref = true;
    card.addresses[0].pref = true;
    card.urls[0].kind = Kind::Other;
    card.urls[0].pref = true;
    let v3 = logical_lines(&write(&[card.clone()], Version::V3));
    let v4 = logical_lines(&write(&[card], Version::V4));
    for (lines, expected) in [
        (
            &v3,
            [
                "EMAIL;TYPE=INTERNET,WORK:jane@example.com",
                "EMAIL;TYPE=INTERNET,PREF:jane@home.example",
                "TEL;TYPE=CELL,VOICE,PREF:+1 (555) 010-0199",
                "TEL;TYPE=WORK,VOICE:0800 123 ext. 4",
                "ADR;TYPE=WORK,PREF:;;1 Main St\\nSuite 2\\; rear;Springfield;IL;62701;USA",
                "URL;TYPE=PREF:https://jane.example/blog?a=1,2",
            ],
        ),
        (
            &v4,
            [
                "EMAIL;TYPE=work:jane@example.com",
                "EMAIL;PREF=1:jane@home.example",
                "TEL;VALUE=uri;TYPE=cell,voice;PREF=1:tel:+1-555-010-0199",
                "TEL;TYPE=work,voice:0800 123 ext. 4",
                "ADR;TYPE=work;PREF=1:;;1 Main St,Suite 2\\; rear;Springfield;IL;62701;USA",
                "URL;PREF=1:https://jane.example/blog?a=1,2",
            ],
        ),
    ] {
        for line in expected {
            assert!(
                lines.iter().any(|l| l == line),
                "missing {line:?} in {lines:#?}"
            );
        }
    }
}

/// A lone CR (an old Mac's line break) is a line break, as LF and CRLF are, where
/// it was dropped and joined two lines into one word.
#[test]
fn every_kind_of_line_break_is_one_escaped_break() {
    for note in ["Likes\nTea", "Likes\r\nTea", "Likes\rTea"] {
        assert_eq!(text(note), "Likes\\nTea", "{note:?}");
    }
}

#[test]
fn an_address_with_nothing_in_it_is_left_out() {
    let mut card = jane();
    card.addresses.insert(
        0,
        Address {
            street: vec![" ".into()],
            kind: Kind::Home,
            pref: false,
            ..Address::default()
        },
    );
    for version in [Version::V3, Version::V4] {
        let vcf = write(&[card.clone()], version);
        let adr: Vec<String> = logical_lines(&vcf)
            .into_iter()
            .filter(|l| name_of(l) == "ADR")
            .collect();
        assert_eq!(adr.len(), 1, "{adr:?}");
        assert!(adr[0].contains("Springfield"), "{adr:?}");
    }
}

#[test]
fn version_4_uses_its_own_parameters() {
    let vcf = write(&[jane()], Version::V4);
    let lines = logical_lines(&vcf);
    assert_eq!(lines.get(1).map(String::as_str), Some("VERSION:4.0"));
    for expected in [
        "UID;VALUE=text:portal:20123",
        "FN:Jane Q. Doe",
        "EMAIL;TYPE=work:jane@example.com",
        "EMAIL:jane@home.example",
        "TEL;VALUE=uri;TYPE=cell,voice:tel:+1-555-010-0199",
        "TEL;TYPE=work,voice:0800 123 ext. 4",
        "ADR;TYPE=work:;;1 Main St,Suite 2\\; rear;Springfield;IL;62701;USA",
        "URL;TYPE=home:https://jane.example/blog?a=1,2",
    ] {
        assert!(
            lines.iter().any(|l| l == expected),
            "missing {expected:?} in\n{vcf}"
        );
    }
    assert!(!vcf.contains("INTERNET"), "3.0-only type in 4.0");
}

/// A card whose name parts show nothing (empty, or a zero-width space an old import
/// kept) carries the name FN shows in N's given name, escaped as any value is.
#[test]
fn a_card_with_no_visible_name_is_named_in_n_as_in_fn() {
    let card = Card {
        uid: "u1".into(),
        given_name: "\u{200B}".into(),
        full_name: "Doe; Jane".into(),
        ..Card::default()
    };
    for version in [Version::V3, Version::V4] {
        let lines = logical_lines(&write(std::slice::from_ref(&card), version));
        assert!(lines.iter().any(|l| l == "FN:Doe\\; Jane"), "{lines:?}");
        assert!(lines.iter().any(|l| l == "N:;Doe\\; Jane;;;"), "{lines:?}");
    }
}

#[test]
fn fn_is_never_empty() {
    let mut card = Card {
        uid: "u1".into(),
        given_name: "Ana".into(),
        family_name: "Lima".into(),
        ..Card::default()
    };
    assert_eq!(
        value_of(&write(&[card.clone()], Version::V3), "FN").as_deref(),
        Some("Ana Lima")
    );
    card.given_name.clear();
    card.family_name.clear();
    card.emails.push(Email {
        address: "ana@example.com".into(),
        kind: Kind::Other,
        pref: false,
    });
    assert_eq!(
        value_of(&write(&[card.clone()], Version::V4), "FN").as_deref(),
        Some("ana@example.com")
    );
    // With no name parts, N names the card as FN does, in the given name's place:
    // an address book that reads N alone (Apple's) would show "No Name".
    assert_eq!(
        value_of(&write(&[card.clone()], Version::V4), "N").as_deref(),
        Some(";ana@example.com;;;")
    );
    card.emails.clear();
    let written = write(&[card.clone()], Version::V3);
    assert_eq!(value_of(&written, "FN").as_deref(), Some("u1"));
    assert_eq!(value_of(&written, "N").as_deref(), Some(";u1;;;"));
    // A card with any name part keeps N as its parts.
    card.family_name = "Lima".into();
    let written = write(&[card], Version::V3);
    assert_eq!(value_of(&written, "N").as_deref(), Some("Lima;;;;"));
    // A name of nothing visible is passed over for the address, as an empty one is.
    let invisible = Card {
        uid: "u2".into(),
        full_name: "\u{200B}".into(),
        given_name: "\u{3164}".into(),
        emails: vec![Email {
            address: "ana@example.com".into(),
            kind: Kind::Other,
            pref: false,
        }],
        ..Card::default()
    };
    assert_eq!(invisible.display_name(), "ana@example.com");
    // A title or note of nothing visible is no property, not an empty one.
    let blank = Card {
        job_title: Some("\u{2067}\u{2069}".into()),
        note: Some("\u{200B} ".into()),
        ..invisible
    };
    for version in [Version::V3, Version::V4] {
        let written = write(std::slice::from_ref(&blank), version);
        assert_eq!(value_of(&written, "TITLE"), None, "{written}");
        assert_eq!(value_of(&written, "NOTE"), None, "{written}");
    }
}

#[test]
fn escaping_round_trips() {
    assert_eq!(text(r"a\b,c;d"), r"a\\b\,c\;d");
    assert_eq!(text("line1\r\nline2"), "line1\\nline2");
    assert_eq!(text("tab\there\u{0}\u{7}"), "tab here");
    // A right-to-left override would turn what follows it in an address book.
    assert_eq!(text("Ann\u{202E}eoD\u{2066}x\u{2069}"), "AnneoDx");
    assert_eq!(
        text("a\u{202A}\u{202B}\u{202C}\u{202D}\u{202E}\u{2066}\u{2067}\u{2068}\u{2069}b"),
        "ab"
    );
    let card = Card {
        uid: "u".into(),
        full_name: "O'Brien, Seán; \\ \"Jr\"\nsecond".into(),
        ..Card::default()
    };
    let vcf = write(&[card], Version::V4);
    assert_eq!(
        value_of(&vcf, "FN").as_deref(),
        Some("O'Brien, Seán; \\ \"Jr\"\nsecond")
    );
}

#[test]
fn injection_attempts_stay_inside_their_property() {
    let evil = "Mallory\r\nEMAIL:attacker@evil.example\r\nEND:VCARD\r\nBEGIN:VCARD\nFN:<script>alert(1)</script>";
    let card = Card {
        uid: "u\r\nUID:x".into(),
        given_name: evil.into(),
        family_name: "X;Y".into(),
        full_name: evil.into(),
        job_title: Some(evil.into()),
        note: Some(evil.into()),
        emails: vec![Email {
            address: "a@b.example\nTEL:1".into(),
            kind: Kind::Work,
            pref: false,
        }],
        urls: vec![WebSite {
            url: "https://x.example/\r\nEMAIL:z@evil.example".into(),
            kind: Kind::Other,
            pref: false,
        }],
        ..Card::default()
    };
    for version in [Version::V3, Version::V4] {
        let vcf = write(std::slice::from_ref(&card), version);
        let names: Vec<String> = logical_lines(&vcf)
            .iter()
            .map(|l| name_of(l).to_owned())
            .collect();
        let count = |n: &str| names.iter().filter(|x| *x == n).count();
        assert_eq!(count("BEGIN"), 1, "{vcf}");
        assert_eq!(count("END"), 1, "{vcf}");
        assert_eq!(count("EMAIL"), 1, "{vcf}");
        assert_eq!(count("UID"), 1, "{vcf}");
        assert_eq!(count("FN"), 1, "{vcf}");
        assert_eq!(count("TEL"), 0, "{vcf}");
        assert_eq!(
            count("URL"),
            0,
            "an URL with a line break is dropped: {vcf}"
        );
        // The script text survives only as an escaped value of FN, not as markup of its own line.
        assert_eq!(
            value_of(&vcf, "FN").as_deref(),
            Some(evil.replace('\r', "").as_str())
        );
        // The N components keep their positions: the ';' in the family name is escaped.
        let n = logical_lines(&vcf)
            .into_iter()
            .find(|l| name_of(l) == "N")
            .unwrap_or_default();
        assert!(n.starts_with("N:X\\;Y;"), "{n}");
    }
}

/// A name from a portal's claims may hold Unicode's line and paragraph separators,
/// which an importer that splits on every Unicode line boundary reads as line ends:
/// they are escaped like a newline, and no property comes of them.
#[test]
fn unicode_line_separators_stay_inside_their_property() {
    let sly = "Ann\u{2028}EMAIL:attacker@evil.example\u{2029}TEL:1\u{85}URL:x";
    let card = Card {
        uid: "ann".into(),
        given_name: sly.into(),
        family_name: "Archer".into(),
        full_name: sly.into(),
        job_title: Some(sly.into()),
        ..Card::default()
    };
    for version in [Version::V3, Version::V4] {
        let vcf = write(std::slice::from_ref(&card), version);
        // Every line boundary Python's str.splitlines knows.
        let names: Vec<&str> = vcf
            .split([
                '\n', '\r', '\u{b}', '\u{c}', '\u{1c}', '\u{1d}', '\u{1e}', '\u{85}', '\u{2028}',
                '\u{2029}',
            ])
            .filter(|l| !l.is_empty() && !l.starts_with(' '))
            .map(name_of)
            .collect();
        for gone in ["EMAIL", "TEL", "URL"] {
            assert!(!names.contains(&gone), "{gone}: {vcf}");
        }
        assert_eq!(
            value_of(&vcf, "FN").as_deref(),
            Some("Ann\nEMAIL:attacker@evil.example\nTEL:1URL:x")
        );
    }
}

#[test]
fn folding_respects_75_octets_and_utf8() {
    // 3-byte and 4-byte characters placed so that the boundary falls inside them.
    for prefix in 0..4 {
        let name = format!("{}{}", "a".repeat(prefix), "日本語😀".repeat(30));
        let card = Card {
            uid: "u".into(),
            full_name: name.clone(),
            ..Card::default()
        };
        for version in [Version::V3, Version::V4] {
            let vcf = write(std::slice::from_ref(&card), version);
            for physical in vcf.split("\r\n") {
                assert!(
                    physical.len() <= MAX_LINE_OCTETS,
                    "{} octets: {physical:?}",
                    physical.len()
                );
            }
            let folded_fn: Vec<&str> = vcf
                .split("\r\n")
                .skip_while(|l| !l.starts_with("FN:"))
                .take_while(|l| l.starts_with("FN:") || l.starts_with(' '))
                .collect();
            assert!(folded_fn.len() > 3, "a long FN folds over several lines");
            assert!(
                folded_fn[1..]
                    .iter()
                    .all(|l| l.starts_with(' ') && !l.starts_with("  "))
            );
            assert_eq!(value_of(&vcf, "FN").as_deref(), Some(name.as_str()));
        }
    }
}

#[test]
fn multiple_cards_follow_each_other() {
    let mut bob = jane();
    bob.uid = "portal:2".into();
    bob.full_name = "Bob".into();
    let vcf = write(&[jane(), bob], Version::V3);
    let lines = logical_lines(&vcf);
    assert_eq!(lines.iter().filter(|l| *l == "BEGIN:VCARD").count(), 2);
    assert_eq!(lines.iter().filter(|l| *l == "END:VCARD").count(), 2);
    let fns: Vec<&String> = lines.iter().filter(|l| l.starts_with("FN:")).collect();
    assert_eq!(fns, ["FN:Jane Q. Doe", "FN:Bob"]);
    assert_eq!(write(&[], Version::V3), "");
}

#[test]
fn versions_parse() {
    assert_eq!(Version::parse("3.0"), Some(Version::V3));
    assert_eq!(Version::parse("4.0"), Some(Version::V4));
    assert_eq!(Version::parse("2.1"), None);
    assert_eq!(Version::default(), Version::V3);
}

#[test]
fn file_names_are_safe() {
    assert_eq!(filename_for("Jane Doe"), "Jane_Doe.vcf");
    assert_eq!(
        filename_for("José Müller-Lüdenscheidt"),
        "José_Müller-Lüdenscheidt.vcf"
    );
    assert_eq!(filename_for("../../etc/passwd"), "etc_passwd.vcf");
    assert_eq!(
        filename_for("\"; filename=evil.exe"),
        "filename_evil.exe.vcf"
    );
    assert_eq!(filename_for(""), "contact.vcf");
    assert_eq!(filename_for("...."), "contact.vcf");
    assert_eq!(filename_for("山田\u{3000}太郎"), "山田_太郎.vcf");
    assert_eq!(filename_for("नमस्ते"), "नमस्ते.vcf", "vowel signs are kept");
    // A right-to-left override would show `…\u{202E}fdp.vcf` as `…fcv.pdf`.
    assert_eq!(filename_for("invoice\u{202E}fdp"), "invoice_fdp.vcf");
    assert_eq!(filename_for("\u{200B}"), "contact.vcf");
    // Tag characters and variation selectors are drawn as nothing too: a name of them
    // alone would be a download that reads `.vcf`.
    assert_eq!(filename_for("\u{E0041}\u{E0042}"), "contact.vcf");
    assert_eq!(filename_for("Ann\u{FE0F}\u{E0041}"), "Ann.vcf");
    let long = filename_for(&"x".repeat(500));
    assert_eq!(long.chars().count(), 64 + 4, "{long}");
    assert_eq!(filename_for(&"東".repeat(500)).chars().count(), 64 + 4);
}

/// What a text value reads as once written and read back: line breaks (LF, CRLF, a
/// lone CR, and the Unicode line and paragraph separators) as newlines, tabs as
/// spaces, other control characters and bidirectional controls left out.
fn as_read_back(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t' | '\r'))
        // The embeddings, overrides and isolates, named here rather than taken from
        // the writer's own predicate.
        .filter(|c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .map(|c| match c {
            '\t' => ' ',
            '\r' | '\u{2028}' | '\u{2029}' => '\n',
            c => c,
        })
        .collect()
}

/// Any text at all, up to 200 characters: control and format characters included.
fn any_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..200).prop_map(|c| c.into_iter().collect())
}

proptest! {
    #[test]
    fn any_text_folds_and_round_trips(name in any_text(), note in any_text()) {
        let card = Card { uid: "u".into(), full_name: name.clone(), note: Some(note.clone()), ..Card::default() };
        for version in [Version::V3, Version::V4] {
            let vcf = write(std::slice::from_ref(&card), version);
            for physical in vcf.split("\r\n") {
                prop_assert!(physical.len() <= MAX_LINE_OCTETS);
            }
            let lines = logical_lines(&vcf);
            prop_assert_eq!(lines.iter().filter(|l| name_of(l) == "BEGIN").count(), 1);
            prop_assert_eq!(lines.iter().filter(|l| name_of(l) == "END").count(), 1);
            // The crate's own unfolding reads what the RFC's does.
            prop_assert_eq!(unfold(&vcf), rfc_unfold(&vcf));
            // A name of nothing visible is passed over for the uid.
            if !widget_host::store::shows_nothing(name.trim()) {
                prop_assert_eq!(value_of(&vcf, "FN"), Some(as_read_back(name.trim())));
            }
            let written_note = value_of(&vcf, "NOTE");
            // A note of nothing visible (spaces, controls, bidirectional marks) is no
            // property.
            if widget_host::store::shows_nothing(&note) {
                prop_assert_eq!(written_note, None);
            } else {
                prop_assert_eq!(written_note, Some(as_read_back(&note)));
            }
        }
    }

    #[test]
    fn file_names_only_use_safe_characters(name in any::<String>()) {
        let f = filename_for(&name);
        prop_assert!(f.ends_with(".vcf") && f.len() > 4);
        prop_assert!(f.chars().all(|c| !c.is_control() && !c.is_whitespace()));
        prop_assert!(f.chars().all(|c| !c.is_ascii() || c.is_ascii_alphanumeric() || "._-".contains(c)));
        prop_assert!(!f.starts_with('.'));
        let header = widget_host::portal::download::content_disposition(&f);
        prop_assert!(header.is_ascii() && !header.contains(['\r', '\n']));
    }
}

#[test]
fn phone_extensions_survive_in_both_versions() {
    let card = Card {
        uid: "u1".into(),
        full_name: "Ext Ension".into(),
        phones: vec![
            Phone {
                number: "+1 555 0100".into(),
                extension: "12".into(),
                kind: PhoneKind::Work,
                pref: false,
            },
            Phone {
                number: "0800 123".into(),
                extension: "7".into(),
                kind: PhoneKind::Home,
                pref: false,
            },
        ],
        ..Card::default()
    };
    let v3 = write(std::slice::from_ref(&card), Version::V3);
    assert!(
        v3.contains("TEL;TYPE=WORK,VOICE:+1 555 0100 x12\r\n"),
        "{v3}"
    );
    assert!(v3.contains("TEL;TYPE=HOME,VOICE:0800 123 x7\r\n"), "{v3}");
    let v4 = write(&[card], Version::V4);
    assert!(v4.contains(":tel:+1-555-0100;ext=12\r\n"), "{v4}");
    assert!(v4.contains("TEL;TYPE=home,voice:0800 123 x7\r\n"), "{v4}");
}

/// In 4.0 a global number becomes a `tel:` URI, which dials exactly what it says: the
/// trunk prefix written `(0)` (dialled only from inside the country) is left out, a
/// bracketed area code is kept, and a bracket that is not closed leaves the number
/// as text. 3.0 keeps the text as written.
#[test]
fn a_bracketed_trunk_prefix_is_not_dialled_from_a_tel_uri() {
    let phone = |number: &str| Phone {
        number: number.into(),
        extension: String::new(),
        kind: PhoneKind::Work,
        pref: false,
    };
    let card = Card {
        uid: "u1".into(),
        full_name: "Tel Uri".into(),
        phones: vec![
            phone("+44 (0)20 7946 0958"),
            phone("+1 (555) 010-0199"),
            phone("+49 (30 1234"),
        ],
        ..Card::default()
    };
    let v4 = write(std::slice::from_ref(&card), Version::V4);
    assert!(v4.contains(":tel:+44-20-7946-0958\r\n"), "{v4}");
    assert!(v4.contains(":tel:+1-555-010-0199\r\n"), "{v4}");
    assert!(v4.contains("TEL;TYPE=work,voice:+49 (30 1234\r\n"), "{v4}");
    let v3 = write(&[card], Version::V3);
    assert!(
        v3.contains("TEL;TYPE=WORK,VOICE:+44 (0)20 7946 0958\r\n"),
        "{v3}"
    );
}

/// A work or home fax keeps whose it is, as a pair of types importers read.
#[test]
fn a_work_fax_is_a_work_fax() {
    for (kind, v3, v4) in [
        (
            PhoneKind::WorkFax,
            "TEL;TYPE=WORK,FAX:",
            "TYPE=work,fax:tel:",
        ),
        (
            PhoneKind::HomeFax,
            "TEL;TYPE=HOME,FAX:",
            "TYPE=home,fax:tel:",
        ),
    ] {
        let card = Card {
            phones: vec![Phone {
                number: "+1 555 0100".into(),
                extension: String::new(),
                kind,
                pref: false,
            }],
            ..jane()
        };
        let three = write(std::slice::from_ref(&card), Version::V3);
        assert!(three.contains(v3), "{three}");
        let four = write(&[card], Version::V4);
        assert!(four.contains(v4), "{four}");
    }
}
