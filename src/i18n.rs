//! Liferay-format `Language.properties` bundles and locale negotiation.
//!
//! Bundles live in `content/` exactly as a Liferay module keeps them:
//! `Language.properties` is English and the last resort, `Language_es.properties`,
//! `Language_pt_BR.properties` … hold the translations. Keeping Liferay's file names
//! and keys (`you-have-x-connections`, `you-are-now-following-this-user`) means
//! translators can work on them with Liferay's own tools.
//!
//! Lookup falls back `pt_BR` → `pt` → English → the key itself, so a missing
//! translation shows English and a missing key shows the key (easy to spot), never
//! an empty string.
//!
//! **Plurals.** Like Liferay, a counted text has two keys: the plural ("other") key,
//! which callers name, and its singular ("one") key, which is the same key with the
//! counted word singular: the first word after the last `x` in the key that is not a
//! modifier (`pending`, `new`, `mutual` …) loses its final `s`
//! (`you-have-x-connections` → `you-have-x-connection`,
//! `you-have-x-pending-requests` → `you-have-x-pending-request`,
//! `you-have-x-connections-in-this-site` → `you-have-x-connection-in-this-site`), and
//! `people` becomes `person`. Which form a number takes follows the language (CLDR
//! cardinal rules): English, Spanish and German use "one" for 1 only; French and
//! Brazilian Portuguese for 0 and 1; Japanese and Chinese never distinguish.
//!
//! Placeholders are `{0}`, `{1}` …; unlike Java's `MessageFormat`, `'` is not special,
//! as in Liferay's language files.

use rustc_hash::FxHashMap;
use std::sync::OnceLock;

/// The language every negotiation ends in when nothing else matches.
pub const DEFAULT_LANGUAGE_ID: &str = "en_US";

/// Liferay language ids the host has texts for, the default first.
pub const SUPPORTED_LANGUAGE_IDS: [&str; 7] = [
    "en_US", "es_ES", "de_DE", "fr_FR", "pt_BR", "ja_JP", "zh_CN",
];

/// The embedded bundles: (bundle id as in the file name, text). `""` is English.
const BUILTIN_BUNDLES: [(&str, &str); 7] = [
    ("", include_str!("../content/Language.properties")),
    ("es", include_str!("../content/Language_es.properties")),
    ("de", include_str!("../content/Language_de.properties")),
    ("fr", include_str!("../content/Language_fr.properties")),
    (
        "pt_BR",
        include_str!("../content/Language_pt_BR.properties"),
    ),
    ("ja", include_str!("../content/Language_ja.properties")),
    (
        "zh_CN",
        include_str!("../content/Language_zh_CN.properties"),
    ),
];

/// One parsed `.properties` file: key to text. Hashed with Fx rather than SipHash:
/// the keys are the host's own and an administrator's, and a list render looks up
/// about 70 of them, which SipHash made 1.5% of its instructions.
pub type Bundle = FxHashMap<String, String>;

/// All bundles, by bundle id (`""`, `es`, `pt_BR` …).
#[derive(Debug, Clone, Default)]
pub struct Languages {
    bundles: FxHashMap<String, Bundle>,
}

impl Languages {
    /// The bundles compiled into the host.
    pub fn builtin() -> Self {
        let bundles = BUILTIN_BUNDLES
            .iter()
            .map(|(id, text)| ((*id).to_owned(), parse(text)))
            .collect();
        Self { bundles }
    }

    /// One process-wide copy of [`Languages::builtin`], parsed on first use.
    pub fn shared() -> &'static Self {
        static SHARED: OnceLock<Languages> = OnceLock::new();
        SHARED.get_or_init(Self::builtin)
    }

    /// Bundles from texts, for tests and for bundles read from disk.
    pub fn from_bundles<'a>(bundles: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let bundles = bundles
            .into_iter()
            .map(|(id, text)| (id.to_owned(), parse(text)))
            .collect();
        Self { bundles }
    }

    /// The English bundle, whose keys every other bundle must have.
    pub fn english(&self) -> Option<&Bundle> {
        self.bundles.get("")
    }

    /// A bundle by its id (`""`, `es`, `pt_BR` …).
    pub fn bundle(&self, id: &str) -> Option<&Bundle> {
        self.bundles.get(id)
    }

    /// The text of `key` in `locale`, falling back to the language, then English,
    /// then the key itself.
    pub fn get<'a>(&'a self, locale: &'a str, key: &'a str) -> &'a str {
        self.chain(locale).get(key)
    }

    /// The bundles `locale` reads, found once: a render that prints dozens of texts
    /// looks each up in these instead of finding the bundles again every time.
    pub fn chain<'a>(&'a self, locale: &'a str) -> Chain<'a> {
        // Requests carry `en_US` already; only a `en-US` needs a copy.
        let id: std::borrow::Cow<'_, str> = if locale.contains('-') {
            locale.replace('-', "_").into()
        } else {
            locale.into()
        };
        let language = id.split('_').next().unwrap_or("");
        // A region the host has no texts for reads its language's: `pt_PT` the
        // Brazilian texts and `zh_SG` the Chinese, which is what `language_tag` says
        // the fragment is written in, rather than English under a `pt-BR` tag. Not
        // Traditional Chinese (`zh_TW`), which is not read in Simplified characters
        // (see `normalize`).
        let language_bundle = if is_traditional_chinese(&id) {
            None
        } else {
            self.bundles.get(language).or_else(|| {
                supported_id_of(language).and_then(|supported| self.bundles.get(supported))
            })
        };
        let bundles = [
            self.bundles.get(id.as_ref()),
            language_bundle,
            self.bundles.get(""),
        ];
        Chain {
            locale,
            numbers: locale,
            bundles,
        }
    }

    /// The text of `key` with `{0}`, `{1}` … replaced by `args`.
    pub fn format(&self, locale: &str, key: &str, args: &[&str]) -> String {
        self.chain(locale).format(key, args)
    }

    /// The key that fits `n` in `locale`: `key` itself (the plural key) or its
    /// singular key, when the language calls `n` "one" and the singular exists.
    pub fn plural_key<'a>(&self, locale: &str, key: &'a str, n: u64) -> std::borrow::Cow<'a, str> {
        self.chain(locale).plural_key(key, n)
    }

    /// The counted text for `n`, with `{0}` = `n`.
    pub fn plural(&self, locale: &str, key: &str, n: u64) -> String {
        self.chain(locale).plural(key, n)
    }
}

/// The bundles one locale reads, most specific first (`pt_BR`, `pt`, English); each
/// may be missing.
#[derive(Debug, Clone, Copy)]
pub struct Chain<'a> {
    locale: &'a str,
    /// The tag numbers are grouped by: `locale`, or the reader's region of it
    /// ([`Chain::numbers_in`]).
    numbers: &'a str,
    bundles: [Option<&'a Bundle>; 3],
}

impl<'a> Chain<'a> {
    /// Which bundles this is, by address: two chains with the same identity give every
    /// key the same text (the plural rule aside, which also reads the locale).
    pub fn identity(&self) -> [usize; 3] {
        self.bundles
            .map(|b| b.map_or(0, |b| std::ptr::from_ref(b) as usize))
    }

    fn lookup(&self, key: &str) -> Option<&'a str> {
        self.bundles
            .iter()
            .flatten()
            .find_map(|bundle| bundle.get(key))
            .map(String::as_str)
    }

    /// The text of `key`, or the key itself when no bundle has it.
    pub fn get<'k>(&self, key: &'k str) -> &'k str
    where
        'a: 'k,
    {
        self.lookup(key).unwrap_or(key)
    }

    /// The text of `key` with `{0}`, `{1}` … replaced by `args`.
    pub fn format(&self, key: &str, args: &[&str]) -> String {
        fill(self.get(key), args)
    }

    /// See [`Languages::plural_key`].
    pub fn plural_key<'k>(&self, key: &'k str, n: u64) -> std::borrow::Cow<'k, str> {
        if plural_category(self.locale, n) == PluralCategory::One
            && let Some(one) = singular_key(key)
            && self.lookup(&one).is_some()
        {
            return one.into();
        }
        key.into()
    }

    /// The counted text for `n`, with `{0}` = `n` written as the language writes it.
    pub fn plural(&self, key: &str, n: u64) -> String {
        let chosen = self.plural_key(key, n);
        fill(self.get(&chosen), &[&self.number(n)])
    }

    /// This chain, its numbers grouped as `tag` writes them: the reader's own form of
    /// the texts' language (`de-CH` reading `de_DE`'s texts; see [`dates_tag`]), whose
    /// region decides the grouping as it decides dates'.
    pub fn numbers_in(self, tag: &'a str) -> Self {
        Self {
            numbers: tag,
            ..self
        }
    }

    /// `n` with the reader's digit grouping (see [`number`]).
    pub fn number(&self, n: u64) -> String {
        number(self.numbers, n)
    }
}

/// `name` set apart from the sentence it is written into (between U+2068 FIRST STRONG
/// ISOLATE and U+2069 POP DIRECTIONAL ISOLATE), as `<bdi>` would in markup, which an
/// attribute, a `confirm()` question and a JSON answer's `text` cannot hold. Without
/// it a Hebrew or Arabic name takes the words next to it into its own direction:
/// "Not done for: דנה לוי, משה כהן" shows the two names in reverse order, and a name
/// ending in a digit sees it jump to the sentence's other side. Overrides, embeddings
/// and isolates inside the name go (the directory drops them from people's names; a
/// personal contact's name may still hold one), so that none ends the pair early or
/// turns the rest of the sentence.
pub fn isolate(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 6);
    out.push('\u{2068}');
    out.extend(name.chars().filter(|&c| !is_bidi_control(c)));
    out.push('\u{2069}');
    out
}

/// Unicode's bidirectional embeddings, overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069): characters that reorder the text after them. The left-to-right
/// and right-to-left marks are not among them.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `n` with the digit grouping of `locale`, from CLDR: `12,345` in English, Japanese
/// and Chinese; `12.345` in German, Portuguese and Spanish; `12 345` in French, with
/// the narrow no-break space (U+202F) so a count never breaks across lines. Spanish
/// (Spain) leaves four digits ungrouped (CLDR's minimum grouping digits of 2): `1234`,
/// but `12.345`.
///
/// Where a region writes numbers otherwise than its language's first country, the
/// region's way ([`grouping`]): a reader in Zürich reads `12'345`, in Mexico City
/// `12,345`, in Lisbon `1234` and `12 345` (a no-break space), in Delhi `1,23,456`
/// (groups of two after the first three).
pub fn number(locale: &str, n: u64) -> String {
    let mut parts = locale.split(['_', '-']);
    let language = parts.next().unwrap_or("");
    let region = parts.next().unwrap_or("");
    let (separator, minimum_grouping) = grouping(language, region);
    // India's lakh and crore: the last three digits, then pairs.
    let pairs_above_thousands = (language, region) == ("en", "IN");
    let digits = n.to_string();
    if digits.len() < 3 + minimum_grouping {
        return digits;
    }
    let mut out = String::with_capacity(digits.len() + digits.len() / 2 * 3);
    for (i, digit) in digits.chars().enumerate() {
        let left = digits.len() - i;
        let starts_a_group = if pairs_above_thousands {
            left == 3 || (left > 3 && (left - 3).is_multiple_of(2))
        } else {
            left.is_multiple_of(3)
        };
        if i > 0 && starts_a_group {
            out.push(separator);
        }
        out.push(digit);
    }
    out
}

/// The digit group separator of `language` as written in `region`, and CLDR's minimum
/// grouping digits (2: a four-digit number stays whole). From CLDR 48, as ICU 78
/// formats integers, for every region it gives the languages the host has texts in;
/// a region it does not list takes its language's way.
fn grouping(language: &str, region: &str) -> (char, usize) {
    const NO_BREAK: char = '\u{A0}';
    const NARROW_NO_BREAK: char = '\u{202F}';
    match (language, region) {
        ("en", "AT" | "BE" | "DE" | "DK" | "ES" | "ID" | "IT" | "NL" | "PL" | "RO" | "SI")
        | ("es", "AR" | "BO" | "CL" | "CO" | "EC" | "PY" | "UY" | "VE")
        | ("fr", "LU" | "MA") => ('.', 1),
        ("en" | "de", "CH") | ("de", "LI") => ('\'', 1),
        (
            "en",
            "CZ" | "EE" | "FI" | "HU" | "LT" | "LV" | "NO" | "PT" | "SE" | "SK" | "UA" | "ZA",
        )
        | ("de", "AT")
        | ("es", "CR")
        | ("fr", "CA")
        | ("pt", "AO") => (NO_BREAK, 1),
        ("en", "FR" | "GE") => (NARROW_NO_BREAK, 1),
        (
            "es",
            "419" | "BR" | "BZ" | "CU" | "DO" | "GT" | "HN" | "MX" | "NI" | "PA" | "PE" | "PR"
            | "SV" | "US",
        ) => (',', 1),
        ("pt", "CH" | "CV" | "GQ" | "GW" | "LU" | "MO" | "MZ" | "PT" | "ST" | "TL") => {
            (NO_BREAK, 2)
        }
        ("de" | "pt", _) => ('.', 1),
        ("es", _) => ('.', 2),
        ("fr", _) => (NARROW_NO_BREAK, 1),
        _ => (',', 1),
    }
}

/// CLDR cardinal categories the supported languages use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluralCategory {
    One,
    Other,
}

/// The plural category of `n` in `locale`'s language.
pub fn plural_category(locale: &str, n: u64) -> PluralCategory {
    let language = locale.split(['_', '-']).next().unwrap_or("");
    let one = match language {
        "ja" | "zh" => false,
        "fr" | "pt" => n <= 1,
        _ => n == 1,
    };
    if one {
        PluralCategory::One
    } else {
        PluralCategory::Other
    }
}

/// Words between `x` and the counted noun that describe it and never take a plural:
/// `you-have-x-new-messages`, `you-have-x-mutual-connections`. Participles in `-ing`
/// (`pending`, `remaining`) are recognised by their ending.
const MODIFIERS: &[&str] = &["new", "unread", "mutual", "other", "more", "open"];

/// The singular key of a plural key (see the module doc), if it has one.
pub fn singular_key(key: &str) -> Option<String> {
    let words: Vec<&str> = key.split('-').collect();
    let after_x = words.iter().rposition(|w| *w == "x")? + 1;
    // The counted noun is the first word after `x` that is not a modifier.
    let at = (after_x..words.len())
        .find(|&i| !(MODIFIERS.contains(&words[i]) || words[i].ends_with("ing")))?;
    let singular = match words[at] {
        "people" => "person",
        w => w.strip_suffix('s').filter(|s| !s.is_empty())?,
    };
    let mut out: Vec<&str> = words.clone();
    out[at] = singular;
    Some(out.join("-"))
}

/// Replaces `{0}`, `{1}` … with `args`. Placeholders without an argument stay as
/// written, so a missing argument is visible rather than silently empty.
fn fill(pattern: &str, args: &[&str]) -> String {
    // Room for each argument once: a name in a sentence grew it every time.
    let mut out =
        String::with_capacity(pattern.len() + args.iter().map(|a| a.len()).sum::<usize>());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let arg = after.find('}').and_then(|close| {
            let index: usize = after[..close].parse().ok()?;
            Some((args.get(index)?, close))
        });
        match arg {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Parses Java `.properties` text. Never fails: a malformed `\u` escape is kept as
/// written, so a typo in one line shows up as odd text, not as a host that will not start.
///
/// Rules (those of `java.util.Properties.load`): lines starting with `#` or `!` are
/// comments; a line ending in an odd number of backslashes continues on the next,
/// whose leading whitespace is dropped; the key ends at the first unescaped `=`, `:`
/// or whitespace; escapes `\t \n \r \f \uXXXX`, and `\` before any other character
/// stands for that character. A repeated key keeps its last value.
pub fn parse(text: &str) -> Bundle {
    let mut bundle = Bundle::default();
    let mut lines = text.lines();
    while let Some(first) = lines.next() {
        let first = first.trim_start_matches([' ', '\t', '\u{c}']);
        if first.is_empty() || first.starts_with('#') || first.starts_with('!') {
            continue;
        }
        let mut logical = String::from(first);
        while ends_with_odd_backslashes(&logical) {
            logical.pop();
            match lines.next() {
                Some(next) => logical.push_str(next.trim_start_matches([' ', '\t', '\u{c}'])),
                None => break,
            }
        }
        let (key, value) = split_key_value(&logical);
        bundle.insert(unescape(key), unescape(value));
    }
    bundle
}

fn ends_with_odd_backslashes(line: &str) -> bool {
    line.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 1
}

/// Splits a logical line into its raw (still escaped) key and value.
fn split_key_value(line: &str) -> (&str, &str) {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'=' | b':' | b' ' | b'\t' | b'\x0c' => break,
            _ => i += 1,
        }
    }
    let key_end = i.min(bytes.len());
    let key = &line[..key_end];
    let mut rest = line[key_end..].trim_start_matches([' ', '\t', '\u{c}']);
    if let Some(r) = rest.strip_prefix(['=', ':']) {
        rest = r.trim_start_matches([' ', '\t', '\u{c}']);
    }
    (key, rest)
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.clone().take(4).collect();
                match hex4(&hex) {
                    Some(code) => {
                        for _ in 0..4 {
                            chars.next();
                        }
                        push_utf16_unit(&mut out, &mut chars, code);
                    }
                    None => out.push_str("\\u"),
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// The code unit `\uXXXX` names: exactly four hex digits, as Java reads them
/// (`from_str_radix` alone would also take `+041`).
fn hex4(hex: &str) -> Option<u32> {
    (hex.len() == 4 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| u32::from_str_radix(hex, 16).ok())
        .flatten()
}

/// Pushes one `\uXXXX` code unit, joining a surrogate pair written as two escapes
/// (`\uD83D\uDE00`). A lone surrogate becomes U+FFFD.
fn push_utf16_unit(out: &mut String, chars: &mut std::str::Chars<'_>, code: u32) {
    if (0xD800..0xDC00).contains(&code) {
        let ahead: String = chars.clone().take(6).collect();
        let low = ahead
            .strip_prefix("\\u")
            .and_then(hex4)
            .filter(|l| (0xDC00..0xE000).contains(l));
        if let Some(low) = low {
            for _ in 0..6 {
                chars.next();
            }
            let joined = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            out.push(char::from_u32(joined).unwrap_or('\u{FFFD}'));
            return;
        }
    }
    out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
}

/// The Liferay language id for a language tag (`pt-BR`, `pt_br`, `es`, `zh-Hans-CN`),
/// if the host supports its language. A region the host has no texts for falls back
/// to the language's supported id (`en-GB` → `en_US`, `pt-PT` → `pt_BR`).
pub fn normalize(tag: &str) -> Option<&'static str> {
    let (language, region) = language_and_region(tag)?;
    if let Some(region) = region {
        let exact = format!("{language}_{region}");
        // Of the same script: `zh-Hant-CN` is no reader of `zh_CN`'s texts.
        if let Some(id) = SUPPORTED_LANGUAGE_IDS
            .iter()
            .find(|id| **id == exact && is_traditional_chinese(id) == is_traditional_chinese(tag))
        {
            return Some(id);
        }
    }
    if is_traditional_chinese(tag) {
        return None;
    }
    supported_id_of(&language)
}

/// Whether `tag` asks for Chinese in Traditional characters: its script says so
/// (`zh-Hant`), or, with none named, its region writes them (Taiwan, Hong Kong,
/// Macao). Such a reader does not get the Simplified texts: CLDR gives `zh-Hant` no
/// parent but the root, and Java's bundles, Liferay's among them, fall from `zh_TW`
/// to the default language, not to `zh_CN`. The reader's next language (the
/// header's next entry) or English is read instead.
fn is_traditional_chinese(tag: &str) -> bool {
    let mut subtags = tag.trim().split(['-', '_']);
    if !subtags
        .next()
        .is_some_and(|language| language.eq_ignore_ascii_case("zh"))
    {
        return false;
    }
    let mut script = None;
    let mut traditional_region = false;
    for subtag in subtags.take_while(|s| s.len() > 1) {
        if subtag.len() == 4 && subtag.bytes().all(|b| b.is_ascii_alphabetic()) && script.is_none()
        {
            script = Some(subtag.to_ascii_lowercase());
        } else if ["TW", "HK", "MO"]
            .iter()
            .any(|r| subtag.eq_ignore_ascii_case(r))
        {
            traditional_region = true;
        }
    }
    match script.as_deref() {
        Some(script) => script == "hant",
        None => traditional_region,
    }
}

/// A language tag in Liferay's form (`en-gb` as `en_GB`, `zh-Hans-CN` as `zh_CN`),
/// when its language is one the host has texts for. For links that carry the page's
/// `languageId` back to the portal: the portal reads it too, so its own region is
/// kept where [`normalize`] would pick the one the host has texts for (`en_GB`, not
/// `en_US`), and a value the host cannot read at all is not carried.
pub fn liferay_id(tag: &str) -> Option<String> {
    let (mut id, region) = language_and_region(tag)?;
    supported_id_of(&id)?;
    if let Some(region) = region {
        id.push('_');
        id.push_str(&region);
    }
    // Liferay's ids name no script, so Chinese keeps its own by the region Liferay
    // writes it for: `zh-Hant` carried as `zh` would come back read as Simplified,
    // and `zh-Hans-TW` as `zh_TW` as Traditional.
    if is_traditional_chinese(tag) != is_traditional_chinese(&id) {
        id = if is_traditional_chinese(tag) {
            "zh_TW"
        } else {
            "zh_CN"
        }
        .to_owned();
    }
    Some(id)
}

/// The first of `tags` (a reader's languages in order of preference, as WSRP's
/// `locales` lists them) the host has texts for, with the tag it came from. A bare
/// `zh` beside a Traditional Chinese entry is passed over, as in a header
/// ([`negotiate`]): it echoes that entry, and is no wish for the Simplified texts.
pub fn first_readable<'a>(tags: &[&'a str]) -> Option<(&'static str, &'a str)> {
    let traditional = tags.iter().any(|tag| is_traditional_chinese(tag));
    tags.iter()
        .filter(|tag| !(traditional && tag.trim().eq_ignore_ascii_case("zh")))
        .find_map(|tag| normalize(tag).map(|id| (id, *tag)))
}

/// A tag's language in lower case and its first two-letter region in upper case, as
/// Liferay ids and BCP 47 tags both spell them; `None` for an empty or over-long tag.
fn language_and_region(tag: &str) -> Option<(String, Option<String>)> {
    let (language, region) = language_and_any_region(tag)?;
    Some((language, region.filter(|r| r.len() == 2)))
}

/// [`language_and_region`], where the region may also be BCP 47's three digits of
/// an area (`es-419`, Latin America), which Liferay ids do not spell. The region is
/// looked for only before the first singleton: what follows `u` or `x` is an
/// extension (`en-u-ca-buddhist` names a calendar, not Canada).
fn language_and_any_region(tag: &str) -> Option<(String, Option<String>)> {
    let tag = tag.trim();
    if tag.is_empty() || tag.len() > 35 {
        return None;
    }
    let mut parts = tag.split(['-', '_']);
    let language = parts.next()?.to_ascii_lowercase();
    let region = parts
        .take_while(|p| p.len() > 1)
        .find(|p| {
            (p.len() == 2 && p.bytes().all(|b| b.is_ascii_alphabetic()))
                || (p.len() == 3 && p.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(str::to_ascii_uppercase);
    Some((language, region))
}

/// The host's first supported id in `language` (`pt` → `pt_BR`), if it has texts in it.
fn supported_id_of(language: &str) -> Option<&'static str> {
    SUPPORTED_LANGUAGE_IDS
        .iter()
        .find(|id| id.split('_').next() == Some(language))
        .copied()
}

/// The BCP 47 tag (`pt-BR`) of the language `locale`'s texts are in: its supported
/// Liferay id, or English for a locale the host has no texts for. What a fragment
/// says it is written in, as `Content-Language` and as its root's `lang`.
pub fn language_tag(locale: &str) -> String {
    normalize(locale)
        .unwrap_or(DEFAULT_LANGUAGE_ID)
        .replace('_', "-")
}

/// Most `Accept-Language` entries looked at; the header is caller-controlled.
const MAX_ACCEPT_LANGUAGE_ENTRIES: usize = 32;

/// The request's language: `languageId`, then the token's `locale`, then the best
/// supported `Accept-Language` entry by q-value, else [`DEFAULT_LANGUAGE_ID`].
/// Always a supported Liferay language id.
pub fn negotiate(
    language_id: Option<&str>,
    token_locale: Option<&str>,
    accept_language: Option<&str>,
) -> String {
    negotiate_locale(language_id, token_locale, accept_language)
        .id
        .to_owned()
}

/// What [`negotiate_locale`] found: the texts' language, and the reader's own form of
/// it, which can name a region the host has no texts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// A supported Liferay language id (`en_US`): the texts, `lang`, `Content-Language`.
    pub id: &'static str,
    /// The BCP 47 tag dates are written in (see [`dates_tag`]).
    pub dates: String,
}

/// [`negotiate`], with the tag the reader's dates are written in: a British reader
/// (`languageId=en_GB`, or `en-GB` first in `Accept-Language`) reads English texts and
/// British dates.
pub fn negotiate_locale(
    language_id: Option<&str>,
    token_locale: Option<&str>,
    accept_language: Option<&str>,
) -> Negotiated {
    let supported = |tag: &str| normalize(tag).map(|id| (id, dates_tag(id, tag)));
    let (id, dates) = language_id
        .and_then(supported)
        .or_else(|| token_locale.and_then(supported))
        .or_else(|| {
            accept_language
                .and_then(best_accepted)
                .map(|(id, tag)| (id, dates_tag(id, tag)))
        })
        .unwrap_or_else(|| (DEFAULT_LANGUAGE_ID, language_tag(DEFAULT_LANGUAGE_ID)));
    Negotiated { id, dates }
}

/// The BCP 47 tag for dates of a reader who asked for `tag` and reads the texts of
/// `id`: the texts' language with the region of `tag` (`en-GB` for `en_GB`, whose
/// texts are `en_US`; `pt-PT` for `pt_PT`, read in `pt_BR`; `es-419`), else the
/// texts' own tag. A date's order and clock (day first, 24 hours) are the region's
/// habit, not the language's; a region of another language than the texts' is not
/// taken, so an English text holds no French date. Chinese keeps the texts' script
/// (`zh-Hans-TW`): a date in Traditional characters would sit among Simplified
/// texts. The tag is built from checked letters and digits only.
pub fn dates_tag(id: &str, tag: &str) -> String {
    match language_and_any_region(tag) {
        Some((language, Some(region))) if id.split('_').next() == Some(language.as_str()) => {
            if language == "zh" {
                format!("zh-Hans-{region}")
            } else {
                format!("{language}-{region}")
            }
        }
        _ => language_tag(id),
    }
}

/// The best supported `Accept-Language` entry: its language id and its tag as sent.
fn best_accepted(header: &str) -> Option<(&'static str, &str)> {
    let mut ranked: Vec<(u16, usize, &'static str, &str)> = Vec::new();
    // Browsers add a language's bare tag after the regional one a reader chose (Chrome
    // sends `zh-TW,zh;q=0.9,en-US;q=0.8`): beside a Traditional Chinese entry, a bare
    // `zh` is that echo, not a wish for the Simplified texts.
    let mut traditional = false;
    let mut bare_chinese = Vec::new();
    for (position, entry) in header
        .split(',')
        .take(MAX_ACCEPT_LANGUAGE_ENTRIES)
        .enumerate()
    {
        let mut fields = entry.split(';');
        let tag = fields.next().unwrap_or("").trim();
        let mut quality = 1000;
        for param in fields {
            // The parameter's name is case-insensitive (RFC 9110, section 12.4.2).
            if let Some(q) = param
                .trim()
                .split_once('=')
                .filter(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
                .map(|(_, q)| q)
            {
                quality = parse_quality(q.trim()).unwrap_or(0);
            }
        }
        if quality == 0 || tag == "*" {
            continue;
        }
        traditional |= is_traditional_chinese(tag);
        if tag.eq_ignore_ascii_case("zh") {
            bare_chinese.push(position);
        }
        if let Some(id) = normalize(tag) {
            ranked.push((quality, position, id, tag));
        }
    }
    if traditional {
        ranked.retain(|(_, position, _, _)| !bare_chinese.contains(position));
    }
    // Highest q first; among equals, the order the browser gave.
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.first().map(|(_, _, id, tag)| (*id, *tag))
}

/// A q-value in thousandths (RFC 9110: `0`–`1` with up to three decimals); `None`
/// for anything else (`abc`, `NaN`, `2`), which callers read as a refusal.
pub(crate) fn parse_quality(q: &str) -> Option<u16> {
    let value: f32 = q.parse().ok()?;
    (0.0..=1.0)
        .contains(&value)
        .then(|| (value * 1000.0).round() as u16)
}
