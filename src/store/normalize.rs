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

/// Every prefix (up to [`MAX_PREFIX`]) of every token, deduplicated: one index row per
/// prefix lets a search page come straight out of a range scan in sort order.
pub(crate) fn prefixes<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for token in tokens {
        let t = &token[..token.len().min(MAX_PREFIX)];
        for end in 1..=t.len() {
            out.push(t[..end].to_owned());
        }
    }
    out.sort();
    out.dedup();
    out
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
}
