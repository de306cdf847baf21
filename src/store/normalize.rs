//! Folding of names for sorting and search: case- and accent-insensitive, so that
//! "jose" finds "José Álvarez" and lists sort the way people read them.

use deunicode::{deunicode, deunicode_char};

/// Longest prefix stored in the search index. A longer query word is scanned by its
/// first `MAX_PREFIX` characters and the rows filtered, which keeps the index small
/// for bulk imports.
pub(crate) const MAX_PREFIX: usize = 12;

/// Lowercase ASCII with accents removed; characters other than letters, digits and
/// `@._-` become single spaces. The result is ASCII, so byte slicing is safe.
pub fn fold(s: &str) -> String {
    let ascii = deunicode(s).to_ascii_lowercase();
    let mut out = String::with_capacity(ascii.len());
    let mut space = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '@' | '.' | '_' | '-') {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else {
            space = true;
        }
    }
    out
}

/// `s` cut to at most `max` bytes, at a character's edge. The sort keys it cuts are
/// [`fold`]'s ASCII today; a key of another folding (one keeping CJK letters, say)
/// must not panic the writer at the 128th byte of a long name.
pub(crate) fn cut_to(s: &mut String, max: usize) {
    if s.len() > max {
        let at = (0..=max)
            .rev()
            .find(|&i| s.is_char_boundary(i))
            .unwrap_or(0);
        s.truncate(at);
    }
}

/// Whether `c` is written in a script whose letters [`fold`] spells in a Chinese
/// reading: Han (Chinese hanzi, Japanese kanji), kana and Hangul. Search keeps these
/// as written, so that 山 finds 山田 and not Shannon, and 张 finds 张 and not 章, whose
/// readings are the same. The katakana middle dot (・), which separates the words of
/// a foreign name, and the double hyphen (゠) are punctuation, not letters: they fold
/// to a hyphen, so each part of such a name is a word (see [`name_words`]).
pub(crate) fn keeps_its_script(c: char) -> bool {
    matches!(c,
        '\u{3041}'..='\u{309F}'          // hiragana
        | '\u{30A1}'..='\u{30FA}'        // katakana
        | '\u{30FC}'..='\u{30FF}'        // prolonged sound mark, iteration marks
        | '\u{31F0}'..='\u{31FF}'        // katakana phonetic extensions
        | '\u{FF66}'..='\u{FF9F}'        // half-width katakana
        | '\u{3400}'..='\u{4DBF}'        // CJK extension A
        | '\u{4E00}'..='\u{9FFF}'        // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}'        // CJK compatibility ideographs
        | '\u{20000}'..='\u{3134F}'      // CJK extensions B to G
        | '\u{1100}'..='\u{11FF}'        // Hangul jamo
        | '\u{3131}'..='\u{318E}'        // Hangul compatibility jamo
        | '\u{AC00}'..='\u{D7A3}'        // Hangul syllables
    )
}

/// Characters that Unicode's compatibility normalization (NFKC) turns into letters of
/// [`keeps_its_script`]: half-width katakana (ｽﾐｽ), CJK compatibility ideographs,
/// Kangxi and CJK radicals (⾼, pasted from a PDF), enclosed and squared forms.
fn folds_into_those_scripts(c: char) -> bool {
    matches!(c,
        '\u{2E80}'..='\u{2FDF}'          // CJK radicals supplement, Kangxi radicals
        | '\u{3200}'..='\u{33FF}'        // enclosed letters and months, squared words
        | '\u{F900}'..='\u{FAFF}'        // CJK compatibility ideographs
        | '\u{FF61}'..='\u{FFDC}'        // half-width katakana and Hangul
        | '\u{2F800}'..='\u{2FA1F}'      // CJK compatibility ideographs supplement
    )
}

/// [`fold`] for search, keeping the letters of [`keeps_its_script`] as written: a run
/// of them is a word of its own, apart from Latin letters beside it (山田taro is two
/// words), and the different forms of one letter meet. Compatibility forms are
/// normalized (NFKC: ｽﾐｽ is スミス, ⾼ is 高) and katakana read as hiragana (タナカ
/// is たなか), since a reader types either for the same name. A character deunicode
/// does not know parts words, as [`fold`]'s "[?]" does. Text with none of those
/// letters, nor forms of them, folds exactly as [`fold`] folds it.
pub fn fold_for_search(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let normalized: std::borrow::Cow<'_, str> = if s
        .chars()
        .any(|c| keeps_its_script(c) || folds_into_those_scripts(c))
    {
        s.nfkc().collect::<String>().into()
    } else {
        s.into()
    };
    let mut out = String::with_capacity(normalized.len());
    // Whether a separator is due before the next letter, and whether the last letter
    // was one of those scripts (a change of script parts words too).
    let mut space = false;
    let mut last_kept: Option<bool> = None;
    // `kept`: whether `c` is a letter of those scripts, `None` for the marks that
    // join words (`@._-`), which belong to neither.
    let mut push = |c: char, kept: Option<bool>, out: &mut String, space: &mut bool| {
        if let Some(kept) = kept {
            if last_kept.is_some_and(|was| was != kept) {
                *space = true;
            }
            last_kept = Some(kept);
        }
        if *space && !out.is_empty() {
            out.push(' ');
        }
        *space = false;
        out.push(c);
    };
    for c in normalized.chars() {
        if keeps_its_script(c) {
            push(as_hiragana(c), Some(true), &mut out, &mut space);
            continue;
        }
        let Some(spelled) = deunicode_char(c) else {
            space = true;
            continue;
        };
        for a in spelled.chars().map(|a| a.to_ascii_lowercase()) {
            if a.is_ascii_alphanumeric() {
                push(a, Some(false), &mut out, &mut space);
            } else if matches!(a, '@' | '.' | '_' | '-') {
                push(a, None, &mut out, &mut space);
            } else {
                space = true;
            }
        }
    }
    out
}

/// A katakana letter as the hiragana of the same sound; any other character as it is.
fn as_hiragana(c: char) -> char {
    match c {
        '\u{30A1}'..='\u{30F6}' | '\u{30FD}'..='\u{30FE}' => {
            char::from_u32(u32::from(c) - 0x60).unwrap_or(c)
        }
        _ => c,
    }
}

/// The search spelling of `s` when it differs from [`fold`]'s: text with letters of
/// [`keeps_its_script`] is searched both ways (a Chinese reader may type the pinyin).
pub(crate) fn script_fold(s: &str) -> Option<String> {
    s.chars()
        .any(|c| keeps_its_script(c) || folds_into_those_scripts(c))
        .then(|| fold_for_search(s))
}

/// Controls, and every character a renderer draws as nothing: zero-width spaces and
/// joiners, bidirectional marks and overrides (which could make a download's `.vcf`
/// read as another extension), the byte order mark, variation selectors, tags.
pub fn is_invisible(c: char) -> bool {
    c.is_control() || is_default_ignorable(c)
}

/// Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): characters a
/// renderer draws as nothing unless it supports them. Some are letters or marks by
/// their category (the Hangul fillers, the soft hyphen, the combining grapheme
/// joiner, Khmer's inherent vowels), so no category test finds them all.
fn is_default_ignorable(c: char) -> bool {
    matches!(c,
        '\u{AD}' | '\u{34F}' | '\u{61C}' | '\u{115F}'..='\u{1160}' | '\u{17B4}'..='\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// Whether `c` draws something: not a space, not [`is_invisible`], and not the
/// braille blank, a symbol by its category that is drawn as nothing. A name made of
/// tag characters or variation selectors alone would otherwise be a link with no text
/// in every list, and a request from nobody anyone can see.
pub fn is_shown(c: char) -> bool {
    !(c.is_whitespace() || is_invisible(c) || c == '\u{2800}')
}

/// Most combining marks kept after one character. Real text stacks few (Vietnamese
/// typed decomposed two, Thai three, Tibetan's subjoined letters and vowel signs about
/// six); a letter with a hundred marks ("Zalgo" text) is drawn far above and below its
/// line, over the rows around it: other people's names, and their Accept buttons.
pub const MAX_MARKS: usize = 8;

/// `text` with at most [`MAX_MARKS`] combining marks in a row; the rest are left out.
/// A character drawn as nothing (a zero-width joiner, say) between marks does not
/// start a new row: the marks after it stack on the same letter. A space or a line
/// break does: a comment's next line starts on a letter of its own.
pub fn with_few_marks(text: &str) -> std::borrow::Cow<'_, str> {
    use unicode_normalization::char::is_combining_mark;
    // A fresh count for each pass over the text.
    let keeper = || {
        let mut run = 0;
        move |c: char| {
            if is_combining_mark(c) {
                run += 1;
                run <= MAX_MARKS
            } else {
                if !is_invisible(c) || c.is_whitespace() {
                    run = 0;
                }
                true
            }
        }
    };
    if text.chars().all(keeper()) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut keep = keeper();
    std::borrow::Cow::Owned(text.chars().filter(|&c| keep(c)).collect())
}

/// Whether `s` would show as nothing: a name of zero-width spaces or Hangul fillers
/// is no name, however many characters it has.
pub fn shows_nothing(s: &str) -> bool {
    !s.chars().any(is_shown)
}

/// Longest portal user id (a token's `sub`), in bytes.
pub const MAX_USER_ID_LEN: usize = 64;

/// Portal user ids: 1–64 of `[A-Za-z0-9._@-]`, one directory for all consumers. The
/// limit keeps ids safe in keys, URLs and logs without escaping.
pub fn is_portal_user_id(s: &str) -> bool {
    (1..=MAX_USER_ID_LEN).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'))
}

/// What every address the directory ever stored has: one `@` with something on
/// each side, a dot in the domain, no spaces or controls. `check-db` holds entries to
/// this, not to the rule a new one meets (`social::rules::is_valid_email`): addresses saved before its parts were checked
/// (`a..b@x.com`, which a browser's email field lets through) are a person's data,
/// not a damaged file, and a backup holding them still restores.
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A name with an apostrophe, folded with the apostrophes left out ("obrien" for
/// O'Brien), or `None` for a name without one. [`fold`] parts O'Brien into "o" and
/// "brien", so a reader who types the name without its apostrophe, as many do,
/// would find nobody: search also knows the words of this spelling. Apostrophes are
/// looked for after transliteration, which spells each mark written as one (’ ‘ ´ ʻ)
/// and letters such as the Cyrillic soft sign (Кузьмина, "kuz'mina") with `'`.
pub(crate) fn fold_without_apostrophes(name: &str) -> Option<String> {
    const MARKS: [char; 2] = ['\'', '`'];
    // The common case, asked of every row a filtered search scans.
    if name.is_ascii() && !name.contains(MARKS) {
        return None;
    }
    let spelt = deunicode(name);
    spelt
        .contains(MARKS)
        .then(|| fold(&spelt.replace(MARKS, "")))
}

/// The words of a folded name that a search can start: each word, and each part of a
/// hyphenated one ("alvarez-nunez", "alvarez" and "nunez"), so that either half of a
/// double-barrelled name (Smith-Jones, Jean-Pierre) finds the person.
pub(crate) fn name_words(folded: &str) -> impl Iterator<Item = &str> {
    folded
        .split(' ')
        .flat_map(|word| {
            let parts = word.contains('-').then(|| word.split('-'));
            std::iter::once(word).chain(parts.into_iter().flatten())
        })
        .filter(|word| !word.is_empty())
}

/// The words of a folded screen name or address that a search may start besides the
/// whole text: each word folding made of it ("john+news@acme.com" folds to
/// "john news@acme.com"), and a word that starts with `@` (a handle, `@jdoe`) without
/// it too: a token's head ends at its `@`, so the index would hold nothing of such a
/// screen name, and a mention typed (`@jdoe`) is looked up without its sign. The index
/// (`Person::search_tokens`) and the check (`Person::matches_in`) both read them here.
pub(crate) fn words_of_whole(text: &str) -> impl Iterator<Item = &str> {
    text.split(' ').flat_map(|word| {
        let bare = word.trim_start_matches('@');
        std::iter::once(word).chain((bare.len() != word.len()).then_some(bare))
    })
}

/// Whether each word of a folded query starts one of `words`, in any order; two query
/// words may start the same one.
pub(crate) fn every_word_starts(folded_query: &str, words: &[&str]) -> bool {
    folded_query
        .split(' ')
        .all(|q| words.iter().any(|w| w.starts_with(q)))
}

/// The keywords of a search as it looks them up, or `None` when they can start no
/// word (no letter or digit: "!!!", a lone apostrophe, "@" or "-").
///
/// Two ways of typing a name meet the index's: a name with its apostrophe
/// ("o'brien") is looked up as it is written without one ("obrien", which the index
/// holds for every such name); split at the apostrophe, its first word would be "o",
/// whose scan walks everyone with a word starting so. And an initial typed with its
/// dot ("J. García") is the letter alone, as the name's words are. Only keywords that
/// read as a name (letters, spaces, apostrophes, hyphens, in no script search keeps
/// as written) are joined: an address or a screen name holding an apostrophe
/// (`o'brien.l`) is matched as typed, and Chinese, Japanese or Korean letters would
/// turn into their readings. Keywords holding an address (`@`) keep their dots.
pub(crate) fn search_query(keywords: &str) -> Option<String> {
    // "@jsmith" is how people type a mention of a screen name, and no address
    // starts with its `@`: the name is looked up, wherever the mention stands
    // ("Ann @jdoe"). A word with another sign inside is an address's, kept as typed.
    let unmentioned: String;
    let keywords = if keywords.contains(MENTION_SIGNS) {
        unmentioned = keywords
            .split_whitespace()
            .map(|word| match word.strip_prefix(MENTION_SIGNS) {
                Some(rest) if !rest.contains(MENTION_SIGNS) => rest,
                _ => word,
            })
            .collect::<Vec<_>>()
            .join(" ");
        &unmentioned
    } else {
        keywords
    };
    let address = keywords.contains('@');
    // Judged before folding, which spells symbols as letters ("©" as "(c)", "✓" as
    // "ok", "€" as "EUR"): a word of them would have to start one of the person's
    // ("Smith ©"), and a query of them alone would list everyone whose words start so.
    let kept: String;
    let keywords = if address {
        keywords
    } else {
        kept = keywords
            .split_whitespace()
            .filter(|word| word.chars().any(char::is_alphanumeric))
            .collect::<Vec<_>>()
            .join(" ");
        &kept
    };
    if !keywords.chars().any(char::is_alphanumeric) {
        return None;
    }
    // A comma, or a dot ending a word, is how names are typed ("O'Brien, Liam",
    // "J. O'Brien"); a dot, `_` or `@` inside a word is an address's or a screen
    // name's. Combining marks are letters typed decomposed (NFD).
    let chars: Vec<char> = keywords.chars().collect();
    let name_like = chars.iter().enumerate().all(|(at, &c)| {
        let ends_a_word = || {
            chars
                .get(at + 1)
                .is_none_or(|n| n.is_whitespace() || *n == ',')
        };
        c.is_alphabetic()
            || c.is_whitespace()
            || matches!(c, '-' | ',')
            || is_apostrophe_mark(c)
            || unicode_normalization::char::is_combining_mark(c)
            || (c == '.' && ends_a_word())
    });
    let joined = (name_like && script_fold(keywords).is_none())
        .then(|| fold_without_apostrophes(keywords))
        .flatten();
    let folded = joined.unwrap_or_else(|| fold_for_search(keywords));
    let folded = if address {
        folded
    } else {
        // A dash or dot pasted before a word ("–Smith") goes; an underscore stays,
        // which a screen name may start with (`_svc-backup`).
        folded
            .split(' ')
            .map(|word| {
                word.trim_start_matches(['.', '-'])
                    .trim_end_matches(['.', '-', '_'])
            })
            .filter(|word| word.chars().any(char::is_alphanumeric))
            .collect::<Vec<_>>()
            .join(" ")
    };
    folded.chars().any(char::is_alphanumeric).then_some(folded)
}

/// The signs a mention starts with: the full-width ones are what a Chinese or Japanese
/// input method types.
const MENTION_SIGNS: [char; 3] = ['@', '＠', '﹫'];

/// The marks people type for an apostrophe in a name (O'Brien, O’Brien, Hawaiʻi).
fn is_apostrophe_mark(c: char) -> bool {
    matches!(c, '\'' | '’' | '‘' | '´' | 'ʻ' | '`')
}

/// The part of a folded token the search index covers: up to its first space or `@`.
///
/// Later words of a full name are tokens of their own (each name's words), each word of
/// a screen name or an address that folding split ("john news@acme.com") too, and an
/// email's domain only follows its local part, so indexing heads alone loses no match:
/// a query is scanned by one of its words' heads ([`scan_prefix`]) and the rows found
/// are filtered by the whole query. This keeps the index at a few rows per word rather
/// than one per character of every full name.
fn head(token: &str) -> &str {
    token.split([' ', '@']).next().unwrap_or(token)
}

/// Every prefix (up to [`MAX_PREFIX`]) of every token's head, deduplicated: one index
/// row per prefix lets a search page come straight out of a range scan in sort order.
pub(crate) fn prefixes<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    prefix_slices(tokens)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// [`prefixes`] borrowed from the tokens, for bulk writes that build many at once.
pub(crate) fn prefix_slices<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for token in tokens {
        let t = first_chars(head(token), MAX_PREFIX);
        out.extend(t.char_indices().map(|(at, c)| &t[..at + c.len_utf8()]));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The index prefix a folded query is scanned by, and whether the rows found must
/// still be checked against the whole query (it is longer or has more than one word).
///
/// A person matches when each word of the query starts one of their words (or the
/// whole query starts a screen name or an address, whose words are indexed too), so
/// every match lies in the range of any query word's head. The longest is taken, the
/// first of equals: the longer a prefix, the fewer people share it, and a page that
/// must reject fewer rows is less likely to stop at [`crate::store::reader`]'s
/// scan limit before it finds anyone. An initial ("j smith") is scanned by only when
/// every word is one ("j k"). Length is counted in characters: "smith 山田" is scanned
/// by "smith", though two Chinese letters are often the rarer.
pub(crate) fn scan_prefix(folded_query: &str) -> (&str, bool) {
    let mut p = "";
    let mut longest = 0;
    for word in folded_query.split(' ') {
        let w = first_chars(head(word), MAX_PREFIX);
        let n = w.chars().count();
        if n > longest || p.is_empty() {
            (p, longest) = (w, n);
        }
    }
    (p, p.len() != folded_query.len())
}

/// The first `n` characters of `s` (folded text is ASCII but for the letters search
/// keeps in their script, so prefixes count characters, not bytes).
fn first_chars(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(at, _)| &s[..at])
}

#[cfg(test)]
mod tests {
    /// Real text keeps every mark; a stack past [`super::MAX_MARKS`] loses the rest,
    /// and the count starts again at the next letter.
    #[test]
    fn marks_stacked_past_a_few_are_left_out() {
        use super::{MAX_MARKS, with_few_marks};
        for real in ["Nguye\u{302}\u{303}n", "नमस्ते", "བསྒྲུབས", "ผู้ใหญ่"]
        {
            assert!(
                matches!(with_few_marks(real), std::borrow::Cow::Borrowed(_)),
                "{real}"
            );
        }
        let stacked = format!("A{}B{}", "\u{346}".repeat(199), "\u{301}".repeat(3));
        let kept = with_few_marks(&stacked);
        assert_eq!(
            kept,
            format!("A{}B{}", "\u{346}".repeat(MAX_MARKS), "\u{301}".repeat(3))
        );
        assert_eq!(
            with_few_marks(&"\u{346}".repeat(20)).chars().count(),
            MAX_MARKS
        );
        // A zero-width joiner between runs of marks does not start a new row.
        let joined = format!("Z{}", format!("{}\u{200D}", "\u{346}".repeat(8)).repeat(25));
        let kept = with_few_marks(&joined);
        assert_eq!(kept.chars().filter(|&c| c == '\u{346}').count(), MAX_MARKS);
        // A line break does: marks that start a comment's next line are its own.
        let lines = format!("{0}\n{0}", "\u{346}".repeat(MAX_MARKS));
        assert!(matches!(
            with_few_marks(&lines),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    /// A cut lands on a character's edge: at the byte asked for in ASCII, before a
    /// letter that would straddle it otherwise.
    #[test]
    fn cuts_fall_between_characters() {
        let mut ascii = "a".repeat(200);
        super::cut_to(&mut ascii, 128);
        assert_eq!(ascii.len(), 128);
        // 山 is three bytes: 42 of them are 126, the 43rd would end at 129.
        let mut cjk = "山".repeat(60);
        super::cut_to(&mut cjk, 128);
        assert_eq!(cjk, "山".repeat(42));
        let mut short = String::from("ab");
        super::cut_to(&mut short, 128);
        assert_eq!(short, "ab");
    }

    use super::*;

    #[test]
    fn folds_accents_case_and_punctuation() {
        assert_eq!(fold("  José   ÁLVAREZ! "), "jose alvarez");
        assert_eq!(fold("Jo.Se@Example.com"), "jo.se@example.com");
    }

    #[test]
    fn search_keeps_chinese_japanese_and_korean_letters_as_written() {
        assert_eq!(fold_for_search("山田 太郎"), "山田 太郎");
        // The middle dot folds as a hyphen does, and either part is a word.
        assert_eq!(fold_for_search("  ヤマダ・タロウ "), "やまだ-たろう");
        assert_eq!(
            name_words("やまだ-たろう").collect::<Vec<_>>(),
            ["やまだ-たろう", "やまだ", "たろう"]
        );
        assert_eq!(fold_for_search("김민수"), "김민수");
        // A change of script parts words, as a space would.
        assert_eq!(fold_for_search("山田Taro!"), "山田 taro");
        // One letter's forms meet: katakana reads as hiragana, half-width and radical
        // forms as the letters they stand for.
        assert_eq!(fold_for_search("タナカ"), "たなか");
        assert_eq!(fold_for_search("ﾀﾅｶ"), "たなか");
        assert_eq!(fold_for_search("ｶﾞｯﾂ"), fold_for_search("ガッツ"));
        assert_eq!(fold_for_search("\u{2FBC}橋"), "高橋");
        assert_eq!(script_fold("ﾀﾅｶ").as_deref(), Some("たなか"));
        assert_eq!(
            fold_without_apostrophes("Liam O'Brien").as_deref(),
            Some("liam obrien")
        );
        assert_eq!(
            fold_without_apostrophes("D’Souza-N'Diaye").as_deref(),
            Some("dsouza-ndiaye")
        );
        assert_eq!(fold_without_apostrophes("Zoë Smith"), None);
        for (name, joined) in [
            ("Ka‘iulani", "kaiulani"),
            ("O´Brien", "obrien"),
            ("Hawaiʻi", "hawaii"),
            ("O＇Neil", "oneil"),
            ("Кузьмина", "kuzmina"),
        ] {
            assert_eq!(
                fold_without_apostrophes(name).as_deref(),
                Some(joined),
                "{name}"
            );
        }
        // The readings fold gives are another spelling of the same letters.
        assert_eq!(fold("山田"), "shan tian");
        assert_eq!(script_fold("山田 太郎").as_deref(), Some("山田 太郎"));
        assert_eq!(script_fold("José"), None);
    }

    /// Text without letters search keeps as written folds for search exactly as
    /// `fold` folds it, character by character and whole, so that nothing stored
    /// before changes for it.
    #[test]
    fn search_folds_every_other_character_as_fold_does() {
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            if keeps_its_script(c) || folds_into_those_scripts(c) {
                continue;
            }
            let text = c.to_string();
            assert_eq!(
                fold_for_search(&text),
                fold(&text),
                "{c:?} U+{:04X}",
                u32::from(c)
            );
        }
        for text in [
            "  José   ÁLVAREZ! ",
            "Jo.Se@Example.com",
            "Øyvind Åsmund-Ærø",
            "Ελένη Παπαδοπούλου",
            "Владимир Ἀθῆναι ß ﬁ",
            "O'Brien & \"Sons\"",
            // A character deunicode does not know parts words in both.
            "Ann\u{E000}Marie",
            "x\u{E000}\u{E001}y z",
        ] {
            assert_eq!(fold_for_search(text), fold(text), "{text}");
        }
    }

    #[test]
    fn prefixes_count_characters() {
        let p = prefixes(["山田太郎ABCDEFGHIJKLMN"]);
        assert!(p.contains(&"山".to_owned()) && p.contains(&"山田".to_owned()));
        assert!(p.iter().all(|x| x.chars().count() <= MAX_PREFIX), "{p:?}");
        assert_eq!(p.len(), MAX_PREFIX);
        assert_eq!(scan_prefix("山田太郎"), ("山田太郎", false));
        assert_eq!(scan_prefix("山田 太郎"), ("山田", true));
        let long = "山".repeat(20);
        let (prefix, filtered) = scan_prefix(&long);
        assert_eq!((prefix.chars().count(), filtered), (MAX_PREFIX, true));
    }

    #[test]
    fn portal_user_ids() {
        assert!(is_portal_user_id("jose.alvarez@acme-1_x"));
        assert!(!is_portal_user_id(""));
        assert!(!is_portal_user_id("a b"));
        assert!(!is_portal_user_id(&"a".repeat(65)));
    }

    #[test]
    fn prefixes_are_capped_and_unique() {
        let p = prefixes(["jose", "jo", "abcdefghijklmnopq"]);
        assert!(p.contains(&"j".to_owned()) && p.contains(&"jose".to_owned()));
        assert_eq!(p.iter().filter(|x| x.as_str() == "jo").count(), 1);
        assert!(p.iter().all(|x| x.len() <= MAX_PREFIX));
    }

    #[test]
    fn prefixes_cover_heads_only() {
        let p = prefixes(["jose alvarez", "jalvarez@acme.test"]);
        assert!(p.contains(&"jose".to_owned()) && p.contains(&"jalvarez".to_owned()));
        assert!(p.iter().all(|x| !x.contains([' ', '@'])), "{p:?}");
        // "j" is shared: 4 + 8 - 1.
        assert_eq!(p.len(), 11);
    }

    /// A name typed with its apostrophe is looked up without it, an initial without
    /// its dot, an address as typed; keywords that can start no word are none.
    #[test]
    fn keywords_as_a_search_looks_them_up() {
        assert_eq!(search_query("O'Brien").as_deref(), Some("obrien"));
        assert_eq!(search_query("liam o’brien").as_deref(), Some("liam obrien"));
        assert_eq!(search_query("J. García").as_deref(), Some("j garcia"));
        assert_eq!(search_query("garcía, j.").as_deref(), Some("garcia j"));
        assert_eq!(
            search_query("j.doe@acme.com").as_deref(),
            Some("j.doe@acme.com")
        );
        assert_eq!(search_query("山田 太郎").as_deref(), Some("山田 太郎"));
        // An address or screen name with an apostrophe is matched as typed; a word
        // starting with a mark keeps it; a lone mark between words is no word; a
        // Chinese, Japanese or Korean query keeps its letters.
        assert_eq!(search_query("o'brien.l").as_deref(), Some("o brien.l"));
        assert_eq!(
            search_query("O'Brien, Liam").as_deref(),
            Some("obrien liam")
        );
        assert_eq!(search_query("J. O'Brien").as_deref(), Some("j obrien"));
        assert_eq!(
            search_query("Jose\u{301} O'Brien").as_deref(),
            Some("jose obrien")
        );
        assert_eq!(search_query("_svc").as_deref(), Some("_svc"));
        assert_eq!(search_query("–Smith").as_deref(), Some("smith"));
        assert_eq!(search_query("-jones").as_deref(), Some("jones"));
        assert_eq!(
            search_query("smith - jones").as_deref(),
            Some("smith jones")
        );
        assert_eq!(search_query("山 o'brien").as_deref(), Some("山 o brien"));
        // A mention is looked up without its sign; keywords holding another `@` are
        // an address's, looked up as typed.
        assert_eq!(search_query("@jsmith").as_deref(), Some("jsmith"));
        assert_eq!(search_query("＠jsmith").as_deref(), Some("jsmith"));
        assert_eq!(search_query(" @j.smith").as_deref(), Some("j.smith"));
        assert_eq!(search_query("@a@b.c").as_deref(), Some("@a@b.c"));
        // Wherever it stands, beside a name or another mention.
        assert_eq!(search_query("Ann @jdoe").as_deref(), Some("ann jdoe"));
        assert_eq!(search_query("@ann ＠jdoe").as_deref(), Some("ann jdoe"));
        assert_eq!(
            search_query("@jdoe ann@acme.test").as_deref(),
            Some("jdoe ann@acme.test")
        );
        // A word of symbols beside others is left out, not spelt as letters.
        assert_eq!(search_query("Smith ©").as_deref(), Some("smith"));
        assert_eq!(search_query("✓ anna 🌸").as_deref(), Some("anna"));
        for none in [
            "-", ".", "_", "@", "...", "'", "!!!", "・", "–", "©", "✓", "№", "€", "§", "🚀",
        ] {
            assert_eq!(search_query(none), None, "{none:?}");
        }
    }

    #[test]
    fn scan_prefix_is_the_longest_words_head() {
        assert_eq!(scan_prefix("jo"), ("jo", false));
        assert_eq!(scan_prefix("jose a"), ("jose", true));
        assert_eq!(scan_prefix("j smith"), ("smith", true));
        assert_eq!(scan_prefix("ana maria"), ("maria", true));
        // The first of equals; an address's domain does not count.
        assert_eq!(scan_prefix("ann lee"), ("ann", true));
        assert_eq!(scan_prefix("jo news@acme.test"), ("news", true));
        assert_eq!(scan_prefix("jalvarez@acme"), ("jalvarez", true));
        assert_eq!(scan_prefix("abcdefghijklmnop"), ("abcdefghijkl", true));
        assert_eq!(scan_prefix("山田 太郎"), ("山田", true));
        assert_eq!(scan_prefix("j 山田太郎"), ("山田太郎", true));
        // Whatever a token starts with the query, one of its words' heads starts with
        // the scan prefix (`Person::search_tokens` has each such word as a token).
        for (token, query) in [
            ("jose maria alvarez", "jose m"),
            ("jose maria alvarez", "jose maria alv"),
            ("a@b.c", "a@b"),
            ("john news@acme.com", "john news@ac"),
        ] {
            assert!(token.starts_with(query));
            let (prefix, _) = scan_prefix(query);
            assert!(
                token.split(' ').any(|w| head(w).starts_with(prefix)),
                "{query}"
            );
        }
    }
}
