//! Folding of names for sorting and search: case- and accent-insensitive, so that
//! "jose" finds "José Álvarez" and lists sort the way people read them.

use deunicode::deunicode;

/// Longest prefix stored in the search index. Longer queries scan by their first
/// `MAX_PREFIX` characters and filter, which keeps the index small for bulk imports.
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

/// Portal user ids: 1–64 of `[A-Za-z0-9._@-]`, one directory for all consumers.
pub fn is_portal_user_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'))
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

/// Whether each word of a folded query starts one of `words`, in any order; two query
/// words may start the same one.
pub(crate) fn every_word_starts(folded_query: &str, words: &[&str]) -> bool {
    folded_query
        .split(' ')
        .all(|q| words.iter().any(|w| w.starts_with(q)))
}

/// The part of a folded token the search index covers: up to its first space or `@`.
///
/// Later words of a full name start with an earlier word that is a token of its own
/// (the given name's first word), and an email's domain only follows its local part,
/// so indexing heads alone loses no match: a query is scanned by its own head
/// ([`scan_prefix`]) and the rows found are filtered by the whole query. This keeps the
/// index at a few rows per word rather than one per character of every full name.
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
        let h = head(token);
        let t = &h[..h.len().min(MAX_PREFIX)];
        out.extend((1..=t.len()).map(|end| &t[..end]));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The index prefix a folded query is scanned by, and whether the rows found must
/// still be checked against the whole query (it is longer or has more than one word).
///
/// Any token that starts with the query has a head that starts with the query's head,
/// so every match lies in this prefix's range.
pub(crate) fn scan_prefix(folded_query: &str) -> (&str, bool) {
    let h = head(folded_query);
    let p = &h[..h.len().min(MAX_PREFIX)];
    (p, p.len() != folded_query.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_case_and_punctuation() {
        assert_eq!(fold("  José   ÁLVAREZ! "), "jose alvarez");
        assert_eq!(fold("Jo.Se@Example.com"), "jo.se@example.com");
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

    #[test]
    fn scan_prefix_is_the_query_head() {
        assert_eq!(scan_prefix("jo"), ("jo", false));
        assert_eq!(scan_prefix("jose a"), ("jose", true));
        assert_eq!(scan_prefix("jalvarez@acme"), ("jalvarez", true));
        assert_eq!(scan_prefix("abcdefghijklmnop"), ("abcdefghijkl", true));
        // Whatever a token starts with the query, its head starts with the scan prefix.
        for (token, query) in [("jose maria alvarez", "jose m"), ("a@b.c", "a@b")] {
            assert!(token.starts_with(query));
            assert!(head(token).starts_with(scan_prefix(query).0));
        }
    }
}
