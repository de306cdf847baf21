//! vCard writing: 3.0 (RFC 2426, what most address books import) and 4.0 (RFC 6350).
//!
//! [`Card`] knows nothing of storage: the Contacts Center fills it from a directory
//! entry, and this module only turns it into text. Everything a person can type goes
//! through one escaping function and one folding function, so a name holding a line
//! break or `<script>` stays inside its own property and cannot add others.

use std::fmt::Write as _;

use time::OffsetDateTime;

use crate::store::is_invisible;

/// Media type of a vCard download.
pub const CONTENT_TYPE: &str = "text/vcard; charset=utf-8";

/// Longest physical line, in octets, CRLF excluded (RFC 6350 section 3.2).
pub const MAX_LINE_OCTETS: usize = 75;

/// Identifies the writer in every card.
const PRODID: &str = "-//widget-host//Contacts Center//EN";

/// Which vCard version to write. 3.0 is the default: the version address books read
/// most widely (Outlook reads 2.1 and 3.0, not 4.0), which older Android and
/// Liferay's own export write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Version {
    #[default]
    V3,
    V4,
}

impl Version {
    /// Parses the `version` resource parameter (`3.0` or `4.0`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "3.0" | "3" => Some(Self::V3),
            "4.0" | "4" => Some(Self::V4),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::V3 => "3.0",
            Self::V4 => "4.0",
        }
    }
}

/// Where an address, e-mail or web site belongs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Kind {
    Work,
    Home,
    #[default]
    Other,
}

/// What a telephone number reaches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PhoneKind {
    Work,
    Home,
    Mobile,
    Fax,
    /// Liferay's `business-fax` and `personal-fax`: importers label a fax work or
    /// home from the pair of types.
    WorkFax,
    HomeFax,
    Pager,
    #[default]
    Other,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Email {
    pub address: String,
    pub kind: Kind,
    /// The one to use first (vCard's PREF): the portal's primary.
    pub pref: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Phone {
    pub number: String,
    /// Extension, if any: `;ext=` of a `tel:` URI, else ` x123` after the number.
    pub extension: String,
    pub kind: PhoneKind,
    /// The one to use first (vCard's PREF): the portal's primary.
    pub pref: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    /// Street lines, first to last.
    pub street: Vec<String>,
    pub locality: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
    pub kind: Kind,
    /// The one to use first (vCard's PREF): the portal's primary.
    pub pref: bool,
}

impl Address {
    /// Nothing to write: an `ADR:;;;;;;` would give an address book an empty entry.
    pub fn is_blank(&self) -> bool {
        self.street
            .iter()
            .chain([
                &self.locality,
                &self.region,
                &self.postal_code,
                &self.country,
            ])
            .all(|part| part.trim().is_empty())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebSite {
    pub url: String,
    pub kind: Kind,
    /// The one to use first (vCard's PREF): the portal's primary.
    pub pref: bool,
}

/// One person as a vCard sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Card {
    /// Stable id of the person across exports. Address books that sync by it
    /// (CardDAV) update a card they hold; most file imports (Google's, Apple's)
    /// add a card again whatever its UID and leave merging duplicates to the reader.
    pub uid: String,
    /// When the entry last changed.
    pub rev: Option<OffsetDateTime>,
    pub given_name: String,
    pub middle_name: String,
    pub family_name: String,
    /// The display name; built from the name parts when empty.
    pub full_name: String,
    pub job_title: Option<String>,
    pub emails: Vec<Email>,
    pub phones: Vec<Phone>,
    pub addresses: Vec<Address>,
    pub urls: Vec<WebSite>,
    pub note: Option<String>,
}

impl Card {
    /// FN is mandatory in both versions, and an empty one makes address books show
    /// nothing; fall back to the name parts, then the e-mail, then the uid. The name a
    /// download of the one card is given too.
    ///
    /// A name of nothing visible (a zero-width space an old import kept) is passed
    /// over as an empty one: an address book would show it as a blank card.
    pub fn display_name(&self) -> String {
        let shown = |s: &str| !crate::store::shows_nothing(s);
        let full = self.full_name.trim();
        if shown(full) {
            return full.to_owned();
        }
        let parts: Vec<&str> = [&self.given_name, &self.middle_name, &self.family_name]
            .into_iter()
            .map(|s| s.trim())
            .filter(|s| shown(s))
            .collect();
        if !parts.is_empty() {
            return parts.join(" ");
        }
        self.emails
            .iter()
            .map(|e| e.address.trim())
            .find(|a| !a.is_empty())
            .unwrap_or(&self.uid)
            .to_owned()
    }
}

/// All `cards`, one after another, in `version`. Lines end with CRLF.
pub fn write(cards: &[Card], version: Version) -> String {
    let mut out = String::new();
    for card in cards {
        append(&mut out, card, version);
    }
    out
}

/// `card` in `version` after what `out` holds, for a file written card by card.
pub fn append(out: &mut String, card: &Card, version: Version) {
    let v4 = version == Version::V4;
    line(out, "BEGIN:VCARD");
    line(out, &format!("VERSION:{}", version.as_str()));
    line(out, &format!("PRODID:{PRODID}"));
    if v4 {
        // UID is a URI in 4.0 unless reset to text; portal ids are plain text.
        line(out, &format!("UID;VALUE=text:{}", text(&card.uid)));
    } else {
        line(out, &format!("UID:{}", text(&card.uid)));
    }
    let shown = card.display_name();
    line(out, &format!("FN:{}", text(&shown)));
    // Apple's address books name a card by its N, not its FN, and show one whose
    // name parts are all empty as "No Name": the name the card is known by (a screen
    // name, an address, the id) stands in the given name's place there.
    // A part of nothing visible (a zero-width space an old import kept) names no one
    // either.
    let nameless = [&card.family_name, &card.given_name, &card.middle_name]
        .iter()
        .all(|part| crate::store::shows_nothing(part));
    let given = if nameless { &shown } else { &card.given_name };
    line(
        out,
        &format!(
            "N:{};{};{};;",
            text(&card.family_name),
            text(given),
            text(&card.middle_name)
        ),
    );
    // A value of nothing visible (bidirectional controls alone, which `text` drops)
    // would be an empty property, which some importers refuse.
    let shown = |s: &&str| !crate::store::shows_nothing(s);
    if let Some(title) = card.job_title.as_deref().filter(shown) {
        line(out, &format!("TITLE:{}", text(title)));
    }
    for email in card.emails.iter().filter(|e| !e.address.trim().is_empty()) {
        let params = match (version, email.kind) {
            (Version::V3, Kind::Other) => ";TYPE=INTERNET".to_owned(),
            (Version::V3, kind) => format!(";TYPE=INTERNET,{}", kind_v3(kind)),
            (Version::V4, Kind::Other) => String::new(),
            (Version::V4, kind) => format!(";TYPE={}", kind_v4(kind)),
        };
        let params = preferred(params, version, email.pref);
        line(
            out,
            &format!("EMAIL{params}:{}", text(email.address.trim())),
        );
    }
    for phone in card.phones.iter().filter(|p| !p.number.trim().is_empty()) {
        line(out, &tel(phone, version));
    }
    for address in card.addresses.iter().filter(|a| !a.is_blank()) {
        // 4.0 lists the street's lines with commas (RFC 6350 section 6.3.1). RFC 2426
        // allows that list in 3.0 too, but 3.0's address books (Apple's, Google's)
        // write the lines as one value with line breaks, and 3.0 importers that split
        // on semicolons alone (Android's) show the list as one line with its commas.
        let street = match version {
            Version::V3 => text(&address.street.join("\n")),
            Version::V4 => {
                let lines: Vec<String> = address.street.iter().map(|s| text(s)).collect();
                lines.join(",")
            }
        };
        let params = match (version, address.kind) {
            (_, Kind::Other) => String::new(),
            (Version::V3, kind) => format!(";TYPE={}", kind_v3(kind)),
            (Version::V4, kind) => format!(";TYPE={}", kind_v4(kind)),
        };
        let params = preferred(params, version, address.pref);
        // PO box and extended address are not kept; their slots stay empty.
        line(
            out,
            &format!(
                "ADR{params}:;;{};{};{};{};{}",
                street,
                text(&address.locality),
                text(&address.region),
                text(&address.postal_code),
                text(&address.country)
            ),
        );
    }
    for site in &card.urls {
        let Some(url) = uri(&site.url) else { continue };
        let params = match (version, site.kind) {
            (_, Kind::Other) => String::new(),
            (Version::V3, kind) => format!(";TYPE={}", kind_v3(kind)),
            (Version::V4, kind) => format!(";TYPE={}", kind_v4(kind)),
        };
        let params = preferred(params, version, site.pref);
        line(out, &format!("URL{params}:{url}"));
    }
    if let Some(note) = card.note.as_deref().filter(shown) {
        line(out, &format!("NOTE:{}", text(note)));
    }
    if let Some(rev) = card.rev {
        line(out, &format!("REV:{}", timestamp(rev)));
    }
    line(out, "END:VCARD");
}

/// A property's parameters, marked as the one to use first when `pref`: 3.0 adds PREF
/// to its TYPE list (RFC 2426 section 3.3.1), 4.0 has a PREF parameter of its own
/// (RFC 6350 section 5.3), 1 being the most preferred.
fn preferred(params: String, version: Version, pref: bool) -> String {
    match (pref, version) {
        (false, _) => params,
        (true, Version::V3) if params.contains(";TYPE=") => params + ",PREF",
        (true, Version::V3) => params + ";TYPE=PREF",
        (true, Version::V4) => params + ";PREF=1",
    }
}

fn kind_v3(kind: Kind) -> &'static str {
    match kind {
        Kind::Work => "WORK",
        Kind::Home => "HOME",
        Kind::Other => "OTHER",
    }
}

fn kind_v4(kind: Kind) -> &'static str {
    match kind {
        Kind::Work => "work",
        Kind::Home => "home",
        Kind::Other => "other",
    }
}

/// A TEL line. 4.0 prefers a `tel:` URI (RFC 3966), which needs a global number;
/// anything else stays free text, which both versions allow.
fn tel(phone: &Phone, version: Version) -> String {
    let extension = phone.extension.trim();
    let spoken = match extension {
        "" => phone.number.trim().to_owned(),
        ext => format!("{} x{ext}", phone.number.trim()),
    };
    let number = spoken.as_str();
    match version {
        Version::V3 => {
            let kind = match phone.kind {
                PhoneKind::Work => "WORK,VOICE",
                PhoneKind::Home => "HOME,VOICE",
                PhoneKind::Mobile => "CELL,VOICE",
                PhoneKind::Fax => "FAX",
                PhoneKind::WorkFax => "WORK,FAX",
                PhoneKind::HomeFax => "HOME,FAX",
                PhoneKind::Pager => "PAGER",
                PhoneKind::Other => "VOICE",
            };
            let params = preferred(format!(";TYPE={kind}"), version, phone.pref);
            format!("TEL{params}:{}", text(number))
        }
        Version::V4 => {
            let kind = match phone.kind {
                PhoneKind::Work => "work,voice",
                PhoneKind::Home => "home,voice",
                PhoneKind::Mobile => "cell,voice",
                PhoneKind::Fax => "fax",
                PhoneKind::WorkFax => "work,fax",
                PhoneKind::HomeFax => "home,fax",
                PhoneKind::Pager => "pager",
                PhoneKind::Other => "voice",
            };
            let uri = tel_uri(phone.number.trim()).and_then(|uri| match extension {
                "" => Some(uri),
                ext if ext.chars().all(|c| c.is_ascii_digit()) => Some(format!("{uri};ext={ext}")),
                // An extension in words cannot go in a URI: keep the free text.
                _ => None,
            });
            // Unquoted: RFC 6350's grammar is a list of values (section 5.6); a
            // quoted "work,voice" is one value, which a strict reader does not know.
            let params = preferred(format!(";TYPE={kind}"), version, phone.pref);
            match uri {
                Some(uri) => format!("TEL;VALUE=uri{params}:{uri}"),
                None => format!("TEL{params}:{}", text(number)),
            }
        }
    }
}

/// `tel:+1-555-0100` for a global number written with digits and the usual
/// separators; `None` for anything else (local numbers, extensions in words).
/// A bracketed `(0)` is the trunk prefix dialled only from inside the country
/// (`+44 (0)20 7946 0958`): the global number leaves it out. Other brackets
/// (`+1 (555) 0100`) only group digits.
fn tel_uri(number: &str) -> Option<String> {
    let rest = number.strip_prefix('+')?;
    let mut uri = String::from("tel:+");
    let mut digits = 0;
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '0'..='9' => {
                digits += 1;
                uri.push(c);
            }
            // RFC 3966 visual separators; a space becomes a hyphen.
            '-' | '.' | ' ' => {
                if !uri.ends_with('-') && !uri.ends_with('+') {
                    uri.push('-');
                }
            }
            '(' => {
                let mut group = String::new();
                loop {
                    match chars.next()? {
                        ')' => break,
                        c => group.push(c),
                    }
                }
                let group = group.trim();
                if group.is_empty() || !group.chars().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                if group != "0" {
                    digits += group.len();
                    uri.push_str(group);
                }
            }
            _ => return None,
        }
    }
    let uri = uri.trim_end_matches('-').to_owned();
    (digits >= 3).then_some(uri)
}

/// A URL value: URIs are not backslash-escaped, so anything that could end the line
/// (or hide in it) makes the URL unusable and it is left out.
fn uri(url: &str) -> Option<&str> {
    let url = url.trim();
    let clean = !url.is_empty() && !url.chars().any(|c| c.is_control() || c.is_whitespace());
    clean.then_some(url)
}

/// REV in the basic ISO 8601 form both versions accept: `19951031T222710Z`.
fn timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let mut s = String::with_capacity(16);
    // invariant: writing to a String cannot fail.
    let _ = write!(
        s,
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    s
}

/// Escapes a text value (RFC 6350 section 3.4): backslash, comma, semicolon and
/// newline are escaped; a CR alone is a line break and a tab a space; a CR before an
/// LF and other control characters are dropped, because no legitimate name or note
/// needs them and they could end the line. Unicode's line and
/// paragraph separators (U+2028, U+2029) are line breaks too, to a reader that splits
/// on every Unicode line boundary (Python's `splitlines`), and are escaped as one.
/// Bidirectional overrides, embeddings and isolates are dropped as the directory
/// drops them from names: in an address book they would turn the text after them.
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // A CR before an LF is the LF's; alone it is an old Mac's line break,
            // which would otherwise join its two lines into one word.
            '\r' if chars.peek() != Some(&'\n') => out.push_str("\\n"),
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' | '\u{2028}' | '\u{2029}' => out.push_str("\\n"),
            '\t' => out.push(' '),
            c if c.is_control() || crate::i18n::is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one logical line, folded: physical lines of at most 75 octets, never
/// splitting a UTF-8 character, each continuation starting with one space.
fn line(out: &mut String, logical: &str) {
    let mut budget = MAX_LINE_OCTETS;
    let mut used = 0;
    for c in logical.chars() {
        let width = c.len_utf8();
        if used + width > budget {
            out.push_str("\r\n ");
            // The leading space counts toward the 75 octets.
            budget = MAX_LINE_OCTETS - 1;
            used = 0;
        }
        out.push(c);
        used += width;
    }
    out.push_str("\r\n");
}

/// Undoes folding: every CRLF followed by one space or tab disappears.
pub fn unfold(folded: &str) -> String {
    folded.replace("\r\n ", "").replace("\r\n\t", "")
}

/// A safe download name for `name`'s card, in the name's own script: letters and
/// digits of any script, any other visible character outside ASCII, `.`, `_` and
/// `-`, every other run one `_`; never empty or
/// hidden; at most 64 characters before `.vcf`. The transport adds an ASCII fallback
/// ([`crate::portal::download::content_disposition`]).
pub fn filename_for(name: &str) -> String {
    let stem = crate::portal::download::safe_stem(name, |c| {
        c.is_alphanumeric() || !c.is_ascii() && !c.is_whitespace() && !is_invisible(c)
    });
    if stem.is_empty() {
        "contact.vcf".to_owned()
    } else {
        format!("{stem}.vcf")
    }
}
