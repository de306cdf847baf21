//! How a download's file name reaches the browser, on every transport: one
//! `Content-Disposition` value with an ASCII `filename` that every client reads, and,
//! when the name people read is not ASCII, `filename*` (RFC 6266, RFC 8187) carrying
//! it in UTF-8. A Japanese reader saving 山田太郎's card gets `山田太郎.vcf`, not the
//! Chinese reading that ASCII folding makes of it.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What RFC 8187 lets through unencoded (`attr-char`): letters, digits and
/// `!#$&+-.^_`|~`.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment` with `name`; the name is made safe again here, so a widget's mistake
/// cannot break the header.
pub fn content_disposition(name: &str) -> String {
    let fallback = ascii_name(name);
    let readable: String = name
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | '/'))
        .collect();
    if readable == fallback || readable.is_empty() {
        format!("attachment; filename=\"{fallback}\"")
    } else {
        format!(
            "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
            utf8_percent_encode(&readable, ATTR_CHAR)
        )
    }
}

/// `name` folded to ASCII (`José` → `Jose`, `東京` → `Dong_Jing`), only
/// `[A-Za-z0-9._-]`, its extension kept; `download` when nothing is left of the stem.
pub fn ascii_name(name: &str) -> String {
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, ext)) if !ext.is_empty() && ext.chars().all(|c| c.is_ascii_alphanumeric()) => {
            (stem, Some(ext))
        }
        _ => (name, None),
    };
    let mut folded = safe_stem(&deunicode::deunicode(stem), |c| c.is_ascii_alphanumeric());
    if folded.is_empty() {
        folded = "download".to_owned();
    }
    match extension {
        Some(ext) => format!("{folded}.{ext}"),
        None => folded,
    }
}

/// Longest file name stem, in characters, so that a long name cannot make an
/// unwieldy header or a name a file system refuses.
pub const MAX_STEM_CHARS: usize = 64;

/// `text` as a file name stem: the characters `keep` accepts and `.`, `_`, `-`; every
/// other run becomes one `_`; no separator at either end (no hidden file, no `..`);
/// at most [`MAX_STEM_CHARS`].
pub fn safe_stem(text: &str, keep: impl Fn(char) -> bool) -> String {
    let mut stem = String::new();
    for c in text.chars() {
        let c = if keep(c) || matches!(c, '.' | '_' | '-') {
            c
        } else {
            '_'
        };
        // Collapse runs of separators so "Jane  Doe" is "Jane_Doe", not "Jane__Doe".
        if c == '_' && stem.ends_with('_') {
            continue;
        }
        stem.push(c);
    }
    let stem = stem.trim_matches(is_separator);
    let stem: String = stem.chars().take(MAX_STEM_CHARS).collect();
    stem.trim_end_matches(is_separator).to_owned()
}

fn is_separator(c: char) -> bool {
    matches!(c, '.' | '_' | '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ascii_name_is_sent_as_it_is() {
        assert_eq!(
            content_disposition("Jane_Doe.vcf"),
            "attachment; filename=\"Jane_Doe.vcf\""
        );
    }

    #[test]
    fn a_name_in_another_script_keeps_it_beside_a_folded_one() {
        assert_eq!(
            content_disposition("山田_太郎.vcf"),
            "attachment; filename=\"Shan_Tian_Tai_Lang.vcf\"; \
             filename*=UTF-8''%E5%B1%B1%E7%94%B0_%E5%A4%AA%E9%83%8E.vcf"
        );
        assert_eq!(
            content_disposition("José_Müller.vcf"),
            "attachment; filename=\"Jose_Muller.vcf\"; filename*=UTF-8''Jos%C3%A9_M%C3%BCller.vcf"
        );
    }

    #[test]
    fn nothing_a_name_holds_breaks_the_header() {
        let header = content_disposition("a\"; filename=evil.exe\r\n\\x/é.vcf");
        assert!(header.is_ascii(), "{header}");
        assert!(!header.contains(['\r', '\n', '\\']), "{header}");
        let (fallback, encoded) = header
            .strip_prefix("attachment; filename=\"")
            .and_then(|h| h.split_once("\"; filename*=UTF-8''"))
            .expect("both names");
        assert!(!fallback.contains('"'), "{fallback}");
        assert!(!encoded.contains(['"', ';', ' ']), "{encoded}");
        assert!(encoded.ends_with(".vcf"), "{encoded}");
        assert_eq!(ascii_name("東京"), "Dong_Jing");
        assert_eq!(ascii_name("....vcf"), "download.vcf");
    }
}
