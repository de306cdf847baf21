//! Language bundles: parsing, fallback, plurals, negotiation, completeness.

use widget_host::i18n::{
    Languages, PluralCategory, SUPPORTED_LANGUAGE_IDS, dates_tag, liferay_id, negotiate,
    negotiate_locale, normalize, number, parse, plural_category, singular_key,
};

#[test]
fn properties_syntax() {
    let b = parse(
        "# comment\n! also a comment\n  \n\
         plain=Plain text\n\
         spaced   =   value with spaces  \n\
         colon: after colon\n\
         ws-sep value after whitespace\n\
         empty=\n\
         cont=first \\\n      second \\\n  third\n\
         esc=tab\\there\\nnew\\\\back\n\
         uni=caf\\u00e9 \\u65e5\\u672c\n\
         pair=\\uD83D\\uDE00\n\
         bad=\\u12G4 stays\n\
         signed=\\u+041 stays\n\
         key\\=with\\:sep=v\n\
         quote=It''s {0}'s\n\
         dup=first\n\
         dup=second\n\
         trailing=odd\\\\\n\
         next=after even backslashes\n",
    );
    assert_eq!(b["plain"], "Plain text");
    assert_eq!(b["spaced"], "value with spaces  ");
    assert_eq!(b["colon"], "after colon");
    assert_eq!(b["ws-sep"], "value after whitespace");
    assert_eq!(b["empty"], "");
    assert_eq!(b["cont"], "first second third");
    assert_eq!(b["esc"], "tab\there\nnew\\back");
    assert_eq!(b["uni"], "café 日本");
    assert_eq!(b["pair"], "😀");
    assert_eq!(b["bad"], "\\u12G4 stays");
    assert_eq!(b["signed"], "\\u+041 stays");
    assert_eq!(b["key=with:sep"], "v");
    assert_eq!(b["quote"], "It''s {0}'s", "quotes are plain text");
    assert_eq!(b["dup"], "second");
    assert_eq!(b["trailing"], "odd\\");
    assert_eq!(b["next"], "after even backslashes");
    assert!(!b.contains_key("#"));
    assert_eq!(b.len(), 16);
}

#[test]
fn continuation_at_end_of_file_and_crlf() {
    let b = parse("a=one\r\nb=two \\\r\n   three\r\nc=last\\");
    assert_eq!(b["a"], "one");
    assert_eq!(b["b"], "two three");
    assert_eq!(b["c"], "last");
}

fn sample() -> Languages {
    Languages::from_bundles([
        (
            "",
            "hello=Hello\nonly-en=English only\nyou-have-x-connection=You have {0} connection.\nyou-have-x-connections=You have {0} connections.\nx-likes-y={0} likes {1}.",
        ),
        ("pt", "hello=Olá (pt)\n"),
        ("pt_BR", "hello=Olá (pt_BR)\n"),
        (
            "fr",
            "you-have-x-connection=Vous avez {0} relation.\nyou-have-x-connections=Vous avez {0} relations.\n",
        ),
        (
            "ja",
            "you-have-x-connection=A{0}\nyou-have-x-connections=B{0}\n",
        ),
    ])
}

#[test]
fn fallback_chain() {
    let l = sample();
    assert_eq!(l.get("pt_BR", "hello"), "Olá (pt_BR)");
    assert_eq!(l.get("pt-BR", "hello"), "Olá (pt_BR)");
    assert_eq!(l.get("pt_PT", "hello"), "Olá (pt)");
    assert_eq!(l.get("pt_BR", "only-en"), "English only");
    assert_eq!(l.get("xx_YY", "hello"), "Hello");
    assert_eq!(l.get("pt_BR", "no-such-key"), "no-such-key");
}

#[test]
fn a_region_without_texts_of_its_own_reads_its_languages_texts() {
    // The built-in bundles have no `pt` or `zh` of their own: Portuguese is `pt_BR`
    // and Chinese `zh_CN`, so `pt_PT` and `zh_SG` (a WSRP portlet's default locale,
    // kept as the descriptor writes it) must find those, as the fragment's language
    // tag says, and not fall through to English.
    let l = Languages::builtin();
    for (locale, texts) in [("pt_PT", "pt_BR"), ("zh_SG", "zh_CN"), ("de_AT", "de_DE")] {
        assert_eq!(
            l.get(locale, "connections"),
            l.get(texts, "connections"),
            "{locale}"
        );
        assert_ne!(l.get(locale, "connections"), "Connections", "{locale}");
        assert_eq!(
            widget_host::i18n::language_tag(locale),
            texts.replace('_', "-"),
            "{locale}"
        );
    }
    // A bundle of the language itself still comes before another region's.
    assert_eq!(sample().get("pt_PT", "hello"), "Olá (pt)");
}

/// Traditional Chinese is not read in the Simplified texts, as CLDR and Java's
/// bundles (Liferay's) have it: a reader of `zh_TW`, `zh-HK` or `zh-Hant` gets their
/// next language, else English, where they got Simplified characters labelled
/// `zh-CN`. Simplified in Taiwan (`zh-Hans-TW`) is still Simplified.
#[test]
fn traditional_chinese_does_not_read_the_simplified_texts() {
    use widget_host::i18n::{language_tag, negotiate, normalize};
    let l = Languages::builtin();
    for traditional in [
        "zh_TW",
        "zh-HK",
        "zh-MO",
        "zh-Hant",
        "zh-Hant-CN",
        "ZH-hant-tw",
    ] {
        assert_eq!(normalize(traditional), None, "{traditional}");
        assert_eq!(language_tag(traditional), "en-US", "{traditional}");
        assert_eq!(
            l.get(traditional, "connections"),
            l.get("en_US", "connections")
        );
    }
    for simplified in ["zh", "zh-CN", "zh-SG", "zh-Hans-TW", "zh-Hans-HK"] {
        assert_eq!(normalize(simplified), Some("zh_CN"), "{simplified}");
    }
    assert_eq!(negotiate(Some("zh_TW"), None, None), "en_US");
    assert_eq!(
        negotiate(None, None, Some("zh-TW, ja;q=0.8, en;q=0.5")),
        "ja_JP"
    );
    // Chrome's header for a Taiwanese reader adds the bare `zh`: not a wish for
    // Simplified; a Simplified entry named as such is.
    assert_eq!(
        negotiate(None, None, Some("zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7")),
        "en_US"
    );
    assert_eq!(
        negotiate(None, None, Some("zh-TW, zh-CN;q=0.8")),
        "zh_CN",
        "asked for"
    );
    assert_eq!(
        negotiate(None, None, Some("zh, en;q=0.5")),
        "zh_CN",
        "bare zh alone"
    );
}

/// Accept-Language's q parameter is named in any case (RFC 9110, section 12.4.2).
#[test]
fn a_quality_named_in_capitals_is_read() {
    assert_eq!(
        widget_host::i18n::negotiate(None, None, Some("de;Q=0.1, fr;Q=0.9")),
        "fr_FR"
    );
}

#[test]
fn format_fills_placeholders() {
    let l = sample();
    assert_eq!(
        l.format("en_US", "x-likes-y", &["Ana", "Bo"]),
        "Ana likes Bo."
    );
    assert_eq!(
        l.format("en_US", "x-likes-y", &["Ana"]),
        "Ana likes {1}.",
        "missing arg stays visible"
    );
    assert_eq!(
        l.format("en_US", "x-likes-y", &["{1}", "Bo"]),
        "{1} likes Bo.",
        "arguments are not re-expanded"
    );
    assert_eq!(l.format("en_US", "{", &[]), "{");
}

#[test]
fn plural_selection() {
    let l = sample();
    assert_eq!(
        l.plural("en_US", "you-have-x-connections", 1),
        "You have 1 connection."
    );
    assert_eq!(
        l.plural("en_US", "you-have-x-connections", 0),
        "You have 0 connections."
    );
    assert_eq!(
        l.plural("en_US", "you-have-x-connections", 2),
        "You have 2 connections."
    );
    let builtin = Languages::builtin();
    assert_eq!(
        builtin.plural("en_US", "you-have-x-pending-requests", 1),
        "You have 1 pending request."
    );
    assert_eq!(
        builtin.plural("fr_FR", "you-have-x-pending-requests", 2),
        "Vous avez 2 demandes en attente."
    );
    // French counts 0 as singular.
    assert_eq!(
        l.plural("fr_FR", "you-have-x-connections", 0),
        "Vous avez 0 relation."
    );
    assert_eq!(
        l.plural("fr_FR", "you-have-x-connections", 2),
        "Vous avez 2 relations."
    );
    // Japanese never uses the singular key.
    assert_eq!(l.plural("ja_JP", "you-have-x-connections", 1), "B1");
    // Without a singular key the plural key serves.
    assert_eq!(l.plural_key("en_US", "hello", 1), "hello");
}

#[test]
fn singular_keys() {
    assert_eq!(
        singular_key("you-have-x-connections").as_deref(),
        Some("you-have-x-connection")
    );
    assert_eq!(
        singular_key("you-have-x-connections-in-this-site").as_deref(),
        Some("you-have-x-connection-in-this-site")
    );
    assert_eq!(
        singular_key("x-has-x-connections").as_deref(),
        Some("x-has-x-connection")
    );
    assert_eq!(
        singular_key("you-are-following-x-people").as_deref(),
        Some("you-are-following-x-person")
    );
    // A modifier between `x` and the noun stays; the noun is singularised.
    assert_eq!(
        singular_key("you-have-x-pending-requests").as_deref(),
        Some("you-have-x-pending-request")
    );
    assert_eq!(
        singular_key("you-have-x-mutual-connections").as_deref(),
        Some("you-have-x-mutual-connection")
    );
    assert_eq!(singular_key("you-have-x-pending-request"), None);
    assert_eq!(singular_key("connections"), None);
    assert_eq!(singular_key("x"), None);
}

#[test]
fn plural_categories() {
    use PluralCategory::{One, Other};
    assert_eq!(plural_category("en_US", 1), One);
    assert_eq!(plural_category("de_DE", 0), Other);
    assert_eq!(plural_category("pt_BR", 0), One);
    assert_eq!(plural_category("zh_CN", 1), Other);
}

#[test]
fn counts_are_grouped_as_each_language_writes_them() {
    assert_eq!(number("en_US", 0), "0");
    assert_eq!(number("en_US", 999), "999");
    assert_eq!(number("en_US", 1_234), "1,234");
    assert_eq!(number("en_US", 1_234_567), "1,234,567");
    assert_eq!(number("ja_JP", 12_345), "12,345");
    assert_eq!(number("zh_CN", 100_000), "100,000");
    assert_eq!(number("de_DE", 1_234), "1.234");
    assert_eq!(number("pt_BR", 1_000_000), "1.000.000");
    assert_eq!(number("fr_FR", 12_345), "12\u{202F}345");
    // Spain's minimum grouping digits: four digits stay together.
    assert_eq!(number("es_ES", 1_234), "1234");
    assert_eq!(number("es_ES", 12_345), "12.345");
    assert_eq!(number("es_ES", 123_456_789), "123.456.789");
    assert_eq!(number("en_US", u64::MAX), "18,446,744,073,709,551,615");
}

/// A region that writes numbers otherwise than its language's first country is
/// written its own way (CLDR 48, as ICU 78 formats them); one CLDR gives no way of
/// its own, or an unknown one, its language's.
#[test]
fn counts_are_grouped_as_the_readers_region_writes_them() {
    for (locale, n, written) in [
        ("de_CH", 12_345, "12'345"),
        ("de-LI", 1_234_567, "1'234'567"),
        ("de_AT", 12_345, "12\u{A0}345"),
        ("de_LU", 12_345, "12.345"),
        ("es_MX", 1_234, "1,234"),
        ("es-419", 12_345, "12,345"),
        ("es_US", 1_000_000, "1,000,000"),
        ("es_GT", 1_234, "1,234"),
        ("es_AR", 1_234, "1.234"),
        ("es_CO", 12_345, "12.345"),
        ("es_CR", 1_234, "1\u{A0}234"),
        ("es_PH", 1_234, "1234"),
        ("fr_CA", 12_345, "12\u{A0}345"),
        ("fr_CH", 12_345, "12\u{202F}345"),
        ("fr_LU", 12_345, "12.345"),
        ("pt_PT", 1_234, "1234"),
        ("pt_PT", 12_345, "12\u{A0}345"),
        ("pt_MZ", 1_234_567, "1\u{A0}234\u{A0}567"),
        ("pt_AO", 1_234, "1\u{A0}234"),
        ("pt_BR", 1_234, "1.234"),
        ("en_IN", 999, "999"),
        ("en_IN", 1_234, "1,234"),
        ("en_IN", 123_456, "1,23,456"),
        ("en-IN", 12_345_678, "1,23,45,678"),
        ("en_GB", 123_456, "123,456"),
        ("en_DE", 12_345, "12.345"),
        ("en_CH", 12_345, "12'345"),
        ("en_ZA", 12_345, "12\u{A0}345"),
        ("en_FR", 12_345, "12\u{202F}345"),
        ("ja_JP", 12_345, "12,345"),
        ("zh_TW", 12_345, "12,345"),
        ("en_XX", 12_345, "12,345"),
    ] {
        assert_eq!(number(locale, n), written, "{locale}");
    }
}

#[test]
fn counted_texts_group_their_number() {
    let l = Languages::from_bundles([
        ("", "you-have-x-connections=You have {0} connections."),
        ("de", "you-have-x-connections=Sie haben {0} Kontakte."),
    ]);
    assert_eq!(
        l.plural("en_US", "you-have-x-connections", 2_500),
        "You have 2,500 connections."
    );
    assert_eq!(
        l.plural("de_DE", "you-have-x-connections", 2_500),
        "Sie haben 2.500 Kontakte."
    );
}

#[test]
fn negotiation_order_and_normalisation() {
    assert_eq!(negotiate(Some("es_ES"), Some("de_DE"), Some("fr")), "es_ES");
    assert_eq!(
        negotiate(Some("xx_XX"), Some("de_DE"), Some("fr")),
        "de_DE",
        "unsupported languageId skipped"
    );
    assert_eq!(negotiate(None, Some("pt-br"), None), "pt_BR");
    assert_eq!(
        negotiate(None, None, Some("fr-CA,fr;q=0.9,en;q=0.8")),
        "fr_FR"
    );
    assert_eq!(
        negotiate(None, None, Some("en;q=0.5, ja-JP;q=0.9, de;q=0.7")),
        "ja_JP"
    );
    assert_eq!(negotiate(None, None, Some("xx, zh-Hans-CN;q=0.3")), "zh_CN");
    assert_eq!(
        negotiate(None, None, Some("de;q=0, *;q=1")),
        "en_US",
        "q=0 means not acceptable"
    );
    assert_eq!(
        negotiate(None, None, Some("es;q=0.5,pt;q=0.5")),
        "es_ES",
        "ties keep header order"
    );
    assert_eq!(negotiate(None, None, Some("garbage;;q=x,,")), "en_US");
    assert_eq!(negotiate(None, None, None), "en_US");
    assert_eq!(normalize("en-GB"), Some("en_US"));
    assert_eq!(normalize("pt_PT"), Some("pt_BR"));
    assert_eq!(normalize("ES"), Some("es_ES"));
    assert_eq!(normalize("ko_KR"), None);
    assert_eq!(normalize(""), None);
}

/// Dates are written in the reader's region of the texts' language: the negotiation
/// keeps the region of whichever source won, and takes none of another language.
#[test]
fn dates_keep_the_readers_region() {
    let dates = |l: Option<&str>, t: Option<&str>, a: Option<&str>| {
        let n = negotiate_locale(l, t, a);
        (n.id, n.dates)
    };
    assert_eq!(dates(Some("en_GB"), None, None), ("en_US", "en-GB".into()));
    assert_eq!(
        dates(None, Some("pt-pt"), Some("en-AU")),
        ("pt_BR", "pt-PT".into()),
        "the token's locale before the header"
    );
    assert_eq!(
        dates(None, None, Some("ko, en-AU;q=0.5, de-AT;q=0.4")),
        ("en_US", "en-AU".into()),
        "the header's best entry the host has texts for"
    );
    assert_eq!(
        dates(Some("xx_XX"), None, Some("fr-CA")),
        ("fr_FR", "fr-CA".into())
    );
    assert_eq!(dates(Some("de"), None, None), ("de_DE", "de-DE".into()));
    assert_eq!(
        dates(Some("zh-Hans-TW"), None, None),
        ("zh_CN", "zh-Hans-TW".into()),
        "the texts' script"
    );
    assert_eq!(
        dates(Some("zh-Hant-TW"), None, None),
        ("en_US", "en-US".into()),
        "Traditional Chinese reads English, dates too"
    );
    assert_eq!(
        dates(None, None, Some("es-419")),
        ("es_ES", "es-419".into()),
        "an area of three digits"
    );
    assert_eq!(
        dates(None, None, Some("en-u-ca-buddhist")),
        ("en_US", "en-US".into()),
        "an extension names no region"
    );
    assert_eq!(dates(None, None, None), ("en_US", "en-US".into()));
    // Only two letters or three digits make a region: nothing else reaches the markup.
    assert_eq!(
        dates(Some("en-\"><b>"), None, None),
        ("en_US", "en-US".into())
    );
    assert_eq!(
        dates_tag("en_US", "fr-CA"),
        "en-US",
        "no French dates in English"
    );
    assert_eq!(dates_tag("ja_JP", "ja-jp"), "ja-JP");
}

/// Links carry the portal's own language id back in Liferay's form, its region
/// included, for any language the host has texts for; nothing for the rest.
#[test]
fn a_links_language_id_keeps_the_portals_region() {
    for (tag, id) in [
        ("en-gb", Some("en_GB")),
        ("en_GB", Some("en_GB")),
        ("pt_PT", Some("pt_PT")),
        ("zh-Hans-CN", Some("zh_CN")),
        // Chinese keeps its script, which Liferay's ids say by the region alone.
        ("zh-Hant", Some("zh_TW")),
        ("zh-Hant-CN", Some("zh_TW")),
        ("zh-Hans-TW", Some("zh_CN")),
        ("zh-Hant-HK", Some("zh_HK")),
        ("zh", Some("zh")),
        (" DE ", Some("de")),
        ("en-u-ca-buddhist", Some("en")),
        ("es-419", Some("es")),
        ("ko_KR", None),
        ("", None),
        ("de_DE_with_a_tail_far_too_long_for_a_tag", None),
    ] {
        assert_eq!(liferay_id(tag).as_deref(), id, "{tag:?}");
    }
}

/// French sets its high punctuation (`?`, `!`, `:`, `;`) off with a narrow no-break
/// space, as the bundle does everywhere: a plain space lets the mark wrap onto a line
/// of its own, in a confirm dialog's question as anywhere.
#[test]
fn french_punctuation_keeps_to_its_word() {
    let languages = Languages::builtin();
    let french = languages.bundle("fr").expect("French bundle");
    let mut checked = 0;
    for (key, text) in french {
        let chars: Vec<char> = text.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            // A URL's colon is no punctuation.
            if !matches!(c, '?' | '!' | ':' | ';') || chars.get(i + 1) == Some(&'/') {
                continue;
            }
            checked += 1;
            let before = i.checked_sub(1).map(|b| chars[b]);
            assert!(
                matches!(before, Some('\u{202F}' | '\u{A0}')),
                "fr: {key}: {c:?} after {before:?} in {text:?}"
            );
        }
    }
    assert!(checked >= 8, "{checked} marks checked");
}

#[test]
fn every_bundle_has_every_english_key() {
    let languages = Languages::builtin();
    let english = languages.english().expect("English bundle");
    assert!(
        english.len() > 50,
        "English bundle parsed: {}",
        english.len()
    );
    for id in ["es", "de", "fr", "pt_BR", "ja", "zh_CN"] {
        let bundle = languages
            .bundle(id)
            .unwrap_or_else(|| panic!("bundle {id}"));
        let mut missing: Vec<&String> = english
            .keys()
            .filter(|k| !bundle.contains_key(*k))
            .collect();
        missing.sort();
        assert!(
            missing.is_empty(),
            "Language_{id}.properties lacks {missing:?}"
        );
        let mut extra: Vec<&String> = bundle
            .keys()
            .filter(|k| !english.contains_key(*k))
            .collect();
        extra.sort();
        assert!(
            extra.is_empty(),
            "Language_{id}.properties has keys English lacks: {extra:?}"
        );
        for (key, text) in bundle {
            assert!(!text.trim().is_empty(), "{id}: {key} is empty");
            // A translation keeps the placeholders of the English text.
            for n in 0..4 {
                let p = format!("{{{n}}}");
                assert_eq!(
                    english[key].contains(&p),
                    text.contains(&p),
                    "{id}: {key} placeholder {p}"
                );
            }
        }
    }
}

/// Each translation speaks to the reader in one voice and writes alike throughout: the
/// Spanish bundle says "tú" (no formal imperative), the Chinese one "您" (never the
/// informal "你"), Japanese sets a count against its counter word ("{0}人", "1件"), and
/// French writes one kind of apostrophe.
#[test]
fn each_bundle_keeps_one_voice_and_one_way_of_writing() {
    let languages = Languages::builtin();
    let bundle = |id: &str| {
        languages
            .bundle(id)
            .unwrap_or_else(|| panic!("bundle {id}"))
    };
    for (key, text) in bundle("es") {
        let lower = text.to_lowercase();
        for formal in [
            "elija",
            "seleccione",
            "introduzca",
            "vuelva",
            "inténtelo",
            "usted",
        ] {
            assert!(!lower.contains(formal), "es: {key} says {formal:?}: {text}");
        }
    }
    for (key, text) in bundle("zh_CN") {
        assert!(!text.contains('你'), "zh_CN: {key} says 你: {text}");
    }
    for (key, text) in bundle("ja") {
        for spaced in [" 人", " 件"] {
            assert!(!text.contains(spaced), "ja: {key} spaces its count: {text}");
        }
    }
    let curly = bundle("fr").values().filter(|t| t.contains('’')).count();
    let straight = bundle("fr").values().filter(|t| t.contains('\'')).count();
    assert!(
        curly == 0 || straight == 0,
        "fr: {curly} texts with ’ and {straight} with '"
    );
}

/// Rules a native reader holds each translation to that the placeholders and the
/// keys alone do not show.
#[test]
fn translations_keep_the_rules_their_readers_read_by() {
    let languages = Languages::builtin();
    let tabs = [
        "all",
        "connections",
        "following",
        "followers",
        "my-contacts",
        "requests",
        "blocked",
    ];
    for id in ["en_US", "es", "de", "fr", "pt_BR", "ja", "zh_CN"] {
        let bundle = if id == "en_US" {
            languages.english()
        } else {
            languages.bundle(id)
        }
        .unwrap_or_else(|| panic!("bundle {id}"));
        // Side by side, one tab's label inside another's reads as the same list
        // (Chinese once had 联系, connections, beside 我的联系人, my contacts).
        for a in tabs {
            for b in tabs.iter().filter(|b| **b != a) {
                let (outer, inner) = (bundle[*b].to_lowercase(), bundle[a].to_lowercase());
                assert!(
                    !outer.contains(&inner),
                    "{id}: the tab {a} ({inner}) is part of the tab {b} ({outer})"
                );
            }
        }
        // The preferences form lists these labels together: no two may read alike
        // (Brazilian Portuguese once had "Mostrar sites" twice).
        let mut shown: Vec<(&String, &String)> = bundle
            .iter()
            .filter(|(k, _)| k.starts_with("show-") && !k.ends_with("-help"))
            .collect();
        assert!(shown.len() >= 10, "{id}: {} show- labels", shown.len());
        shown.sort_by_key(|(_, text)| text.to_lowercase());
        for pair in shown.windows(2) {
            assert_ne!(
                pair[0].1.to_lowercase(),
                pair[1].1.to_lowercase(),
                "{id}: {} and {} read alike",
                pair[0].0,
                pair[1].0
            );
        }
    }
    // French elides "de", "que", "le" before a vowel, and a name may begin with one
    // ("de Émile" is wrong): a name is never set right after them. The one exception
    // is a range of dates, whose numbers begin with no vowel.
    let french = languages.bundle("fr").expect("French bundle");
    let mut names = 0;
    for (key, text) in french {
        if key == "from-x-to-x" {
            continue;
        }
        for (i, _) in text.match_indices('{') {
            names += 1;
            let before = text[..i].to_lowercase();
            for word in [" de ", " que ", " le ", " je ", " ne ", " se "] {
                assert!(
                    !before.ends_with(word) && before != word.trim_start(),
                    "fr: {key} sets a placeholder after {word:?}: {text}"
                );
            }
        }
    }
    assert!(names >= 30, "{names} French placeholders checked");
    // Japanese counts people with 人 and things with 件: a connection is a person.
    let japanese = languages.bundle("ja").expect("Japanese bundle");
    let mut counted = 0;
    for (key, text) in japanese {
        if key.contains("x-connection") {
            counted += 1;
            assert!(
                !text.contains('件'),
                "ja: {key} counts people with 件: {text}"
            );
            assert!(text.contains('人'), "ja: {key} counts no people: {text}");
        }
    }
    assert_eq!(counted, 5, "Japanese counts of connections");
}

#[test]
fn every_supported_language_resolves_to_its_own_texts() {
    let l = Languages::shared();
    for id in SUPPORTED_LANGUAGE_IDS {
        assert_eq!(normalize(id), Some(id));
        let text = l.get(id, "you-are-now-following-this-user");
        if id != "en_US" {
            assert_ne!(
                text, "You are now following this user.",
                "{id} falls back to English"
            );
        }
        assert_ne!(text, "you-are-now-following-this-user");
    }
    assert_eq!(
        l.plural("es_ES", "you-have-x-connections", 1),
        "Tienes 1 conexión."
    );
    assert_eq!(
        l.plural("de_DE", "you-are-following-x-people", 1),
        "Sie folgen 1 Person."
    );
    assert_eq!(
        l.plural("en_US", "you-are-following-x-people", 3),
        "You are following 3 people."
    );
}

#[test]
fn every_counted_key_of_the_bundle_has_its_singular() {
    let l = Languages::builtin();
    let english = l.english().expect("English");
    let counted = ["you-have-x-", "you-are-following-x-", "x-has-x-"];
    let mut checked = 0;
    for key in english
        .keys()
        .filter(|k| counted.iter().any(|p| k.starts_with(p)))
    {
        // Singular keys themselves have no further singular.
        let Some(one) = singular_key(key) else {
            continue;
        };
        assert!(english.contains_key(&one), "{key} lacks its singular {one}");
        checked += 1;
    }
    assert!(checked >= 5, "checked {checked}");
}

/// The tag a fragment says it is in: the language its texts are in.
#[test]
fn language_tags_name_the_texts_language() {
    for (locale, tag) in [
        ("en_US", "en-US"),
        ("pt_BR", "pt-BR"),
        ("de-DE", "de-DE"),
        ("es_MX", "es-ES"),
        ("it_IT", "en-US"),
        ("", "en-US"),
    ] {
        assert_eq!(widget_host::i18n::language_tag(locale), tag, "{locale:?}");
    }
}

/// A name set into a sentence is isolated from it, and direction controls inside it
/// go: an override left open, or an isolate closed early, would turn the rest.
#[test]
fn names_are_isolated_with_their_own_controls_removed() {
    use widget_host::i18n::isolate;
    assert_eq!(isolate("דנה לוי"), "\u{2068}דנה לוי\u{2069}");
    assert_eq!(
        isolate("Eve\u{202E}Lee\u{2069}\u{2066}x\u{202A}"),
        "\u{2068}EveLeex\u{2069}"
    );
    // Marks stay: they are how names that mix scripts are written.
    assert_eq!(isolate("Ana\u{200F}"), "\u{2068}Ana\u{200F}\u{2069}");
}
