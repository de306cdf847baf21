//! A person of the portal's directory, shaped after Liferay's headless-admin-user
//! `UserAccount`, so that the integration API answers with the field names a Liferay
//! integration already reads. Bodies that come in (`PUT /api/users/{id}`, imports) are
//! read as `directory::UserAccount`, which checks them, and become a `Person`.

use serde::{Deserialize, Serialize};

use super::normalize::{
    every_word_starts, fold, fold_without_apostrophes, is_plausible_email, keeps_its_script,
    name_words, prefixes, script_fold, words_of_whole,
};

/// One directory entry, stored under its internal id as a record (see `record`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Person {
    /// The portal user id (Liferay's `externalReferenceCode`, or its numeric id as text).
    pub id: String,
    pub given_name: String,
    /// Middle name.
    pub additional_name: String,
    pub family_name: String,
    /// Screen name.
    pub alternate_name: String,
    /// Primary email address.
    pub email_address: String,
    pub job_title: String,
    /// Portrait URL.
    pub image: Option<String>,
    pub user_account_contact_information: ContactInformation,
}

/// `UserAccountContactInformation`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContactInformation {
    #[serde(deserialize_with = "nulls_left_out")]
    pub email_addresses: Vec<EmailAddress>,
    #[serde(deserialize_with = "nulls_left_out")]
    pub telephones: Vec<Phone>,
    #[serde(deserialize_with = "nulls_left_out")]
    pub postal_addresses: Vec<PostalAddress>,
    #[serde(deserialize_with = "nulls_left_out")]
    pub web_urls: Vec<WebUrl>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EmailAddress {
    #[serde(deserialize_with = "null_as_default")]
    pub email_address: String,
    #[serde(rename = "type")]
    #[serde(deserialize_with = "null_as_default")]
    pub kind: String,
    #[serde(deserialize_with = "null_as_default")]
    pub primary: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Phone {
    #[serde(deserialize_with = "null_as_default")]
    pub phone_number: String,
    #[serde(deserialize_with = "null_as_default")]
    pub extension: String,
    #[serde(deserialize_with = "null_as_default")]
    pub phone_type: String,
    #[serde(deserialize_with = "null_as_default")]
    pub primary: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PostalAddress {
    #[serde(deserialize_with = "null_as_default")]
    pub street_address_line1: String,
    #[serde(deserialize_with = "null_as_default")]
    pub street_address_line2: String,
    #[serde(deserialize_with = "null_as_default")]
    pub street_address_line3: String,
    #[serde(deserialize_with = "null_as_default")]
    pub address_locality: String,
    #[serde(deserialize_with = "null_as_default")]
    pub address_region: String,
    #[serde(deserialize_with = "null_as_default")]
    pub postal_code: String,
    #[serde(deserialize_with = "null_as_default")]
    pub address_country: String,
    #[serde(deserialize_with = "null_as_default")]
    pub address_type: String,
    #[serde(deserialize_with = "null_as_default")]
    pub primary: bool,
}

/// Countries whose addresses set the postal code before the town ("10117 Berlin",
/// "75004 Paris", "28014 Madrid"), by their ISO 3166 code, English name and own
/// names, as [`fold`](crate::store::fold) writes them (lower case, accents and
/// scripts spelled out in ASCII: "ÖSTERREICH" and "Österreich" are `osterreich`,
/// "Ελλάδα" is `ellada`), since `addressCountry` may hold any of them, in any case.
#[rustfmt::skip]
const POSTCODE_FIRST: &[&str] = &[
    "ar", "argentina",
    "at", "austria", "osterreich",
    "be", "belgium", "belgique", "belgie", "belgien",
    "bg", "bulgaria",
    "ch", "switzerland", "schweiz", "suisse", "svizzera",
    "cz", "czechia", "czech republic", "cesko", "ceska republika",
    "de", "germany", "deutschland",
    "dk", "denmark", "danmark",
    "ee", "estonia", "eesti",
    "es", "spain", "espana",
    "fi", "finland", "suomi",
    "fr", "france",
    "gr", "greece", "ellada",
    "hr", "croatia", "hrvatska",
    "is", "iceland", "island",
    "it", "italy", "italia",
    "li", "liechtenstein",
    "lt", "lithuania", "lietuva",
    "lu", "luxembourg", "luxemburg", "letzebuerg",
    "mx", "mexico",
    "nl", "netherlands", "the netherlands", "nederland", "holland",
    "no", "norway", "norge",
    "pl", "poland", "polska",
    "pt", "portugal",
    "ro", "romania",
    "rs", "serbia", "srbija",
    "se", "sweden", "sverige",
    "si", "slovenia", "slovenija",
    "sk", "slovakia", "slovensko",
    "tr", "turkey", "turkiye",
];

impl PostalAddress {
    /// The address's text from the street to the country, as it is written out.
    pub fn parts(&self) -> [&str; 7] {
        [
            &self.street_address_line1,
            &self.street_address_line2,
            &self.street_address_line3,
            &self.address_locality,
            &self.address_region,
            &self.postal_code,
            &self.address_country,
        ]
    }

    /// The address as a card writes it on one line: the street, the town with its
    /// postal code as the address's country writes them, then the country; without
    /// the empty parts, and without a region that only repeats the locality (Berlin,
    /// Madrid, Vienna: a city that is its own state). Where the country writes the
    /// code before the town ([`POSTCODE_FIRST`]: "10117 Berlin"), so does the card;
    /// elsewhere the code follows the region ("Diamond Bar, CA 91765") or the town
    /// ("London SW1A 1AA"). A vCard keeps every part in its own place.
    pub fn one_line(&self) -> String {
        let locality = self.address_locality.trim();
        let region = self.address_region.trim();
        let region = if crate::store::fold(region) == crate::store::fold(locality) {
            ""
        } else {
            region
        };
        let code = self.postal_code.trim();
        let country = self.address_country.trim();
        let joined = |a: &str, b: &str, between: &str| match (a.is_empty(), b.is_empty()) {
            (false, false) => format!("{a}{between}{b}"),
            (false, true) => a.to_owned(),
            _ => b.to_owned(),
        };
        let town = if POSTCODE_FIRST.contains(&crate::store::fold(country).as_str()) {
            joined(&joined(code, locality, " "), region, ", ")
        } else {
            joined(&joined(locality, region, ", "), code, " ")
        };
        [
            self.street_address_line1.trim(),
            self.street_address_line2.trim(),
            self.street_address_line3.trim(),
            town.as_str(),
            country,
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebUrl {
    #[serde(deserialize_with = "null_as_default")]
    pub url: String,
    #[serde(deserialize_with = "null_as_default")]
    pub url_type: String,
    #[serde(deserialize_with = "null_as_default")]
    pub primary: bool,
}

/// Reads JSON `null` as the field's default, as a missing field is read: an exporter
/// that writes `"extension": null` means no extension, and refusing the whole person
/// for it would leave them out of the directory.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A list that may be `null`, or hold `null`s: each is no entry, as a `null` field is
/// no value.
fn nulls_left_out<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    let entries = Option::<Vec<Option<T>>>::deserialize(deserializer)?;
    Ok(entries.into_iter().flatten().flatten().collect())
}

impl Person {
    /// Whether the screen name may be shown or searched on a placement that shows
    /// addresses (`addresses_shown`) or hides them. One that is an address (a portal
    /// whose usernames are emails, or whose `preferred_username` claim carries one)
    /// is an address, hidden with them, unless it is the person's user id, which is
    /// shown wherever the id is (a person with no name is listed by it).
    pub fn screen_name_shown(&self, addresses_shown: bool) -> bool {
        addresses_shown
            || !is_plausible_email(&self.alternate_name)
            || self.alternate_name == self.id
    }

    /// A name to show even for a directory entry without one (people added by
    /// `token`, or by a portal's token without profile claims): the full name, else
    /// the user id.
    pub fn display_name(&self) -> String {
        let name = self.full_name();
        // Also a name of nothing but invisible characters, which a portal's claims or
        // an older import may have stored: its link would have no text to click.
        if super::shows_nothing(&name) {
            self.id.clone()
        } else {
            name
        }
    }

    /// The name as it is written: "Given Middle Family", skipping empty parts; or,
    /// for a name written in Chinese, Japanese or Korean letters, the family name first
    /// and no spaces (山田太郎, 陈伟, 홍길동), as those languages write a name whatever
    /// the language of the page around it. A name in katakana alone is a foreign
    /// name spelled out, which keeps its own order.
    pub fn full_name(&self) -> String {
        if self.written_family_first() {
            let parts = [&self.family_name, &self.additional_name, &self.given_name];
            return parts.iter().map(|p| p.trim()).collect();
        }
        self.given_first()
    }

    /// Whether [`Self::full_name`] writes the family name first: both names are in
    /// Han, kana or Hangul letters, and not both in katakana alone.
    pub fn written_family_first(&self) -> bool {
        let (family, given) = (self.family_name.trim(), self.given_name.trim());
        // With the ideographic iteration and closing marks (々 in 佐々木, 〆, 〇), which
        // are written inside such names but are not letters search keeps.
        let letter = |c: char| keeps_its_script(c) || matches!(c, '\u{3005}'..='\u{3007}');
        let in_those_letters = |s: &str| !s.is_empty() && s.chars().all(letter);
        let katakana = |s: &str| {
            s.chars()
                .all(|c| matches!(c, '\u{30A0}'..='\u{30FF}' | '\u{FF66}'..='\u{FF9F}'))
        };
        in_those_letters(family)
            && in_those_letters(given)
            && self.additional_name.trim().chars().all(letter)
            && !(katakana(family) && katakana(given))
    }

    /// "Given Middle Family" whatever the script: what the search index was built
    /// with, which must not change under files already written.
    fn given_first(&self) -> String {
        let parts = [&self.given_name, &self.additional_name, &self.family_name];
        // One string, sized once: every row of every list makes its person's name.
        let mut name = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
        for part in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
            if !name.is_empty() {
                name.push(' ');
            }
            name.push_str(part);
        }
        name
    }

    /// The bytes of text this person holds, every field and list entry counted: what
    /// a batch of people costs in memory, give or take the structures around them.
    pub fn text_bytes(&self) -> usize {
        let info = &self.user_account_contact_information;
        let strings = [
            &self.id,
            &self.given_name,
            &self.additional_name,
            &self.family_name,
            &self.alternate_name,
            &self.email_address,
            &self.job_title,
        ];
        strings.iter().map(|s| s.len()).sum::<usize>()
            + self.image.as_ref().map_or(0, String::len)
            + info
                .email_addresses
                .iter()
                .map(|e| e.email_address.len() + e.kind.len())
                .sum::<usize>()
            + info
                .telephones
                .iter()
                .map(|p| p.phone_number.len() + p.extension.len() + p.phone_type.len())
                .sum::<usize>()
            + info
                .postal_addresses
                .iter()
                .map(|a| a.address_type.len() + a.parts().iter().map(|s| s.len()).sum::<usize>())
                .sum::<usize>()
            + info
                .web_urls
                .iter()
                .map(|w| w.url.len() + w.url_type.len())
                .sum::<usize>()
    }

    /// Lists sort by family name, then given name; the unit separator keeps "Li, Zoe"
    /// before "Lim, Al".
    pub(crate) fn sort_key(&self) -> String {
        let mut key = format!(
            "{}\u{1f}{}",
            fold(&self.family_name),
            fold(&self.given_name)
        );
        // Bounded so that index keys stay small whatever the directory sends.
        super::normalize::cut_to(&mut key, 128);
        key
    }

    /// Whole-word tokens search matches by prefix: names (and the parts of hyphenated
    /// ones), full names, screen name, emails. A screen name or an address is a token
    /// whole and, where folding split it ("john+news@acme.com" is
    /// "john news@acme.com"), each of its words too, as [`Self::matches_in`] reads it.
    pub(crate) fn search_tokens(&self) -> Vec<String> {
        let mut tokens: Vec<String> = Vec::new();
        for name in [&self.given_name, &self.additional_name, &self.family_name] {
            tokens.extend(name_words(&fold(name)).map(str::to_owned));
            if let Some(joined) = fold_without_apostrophes(name) {
                tokens.extend(name_words(&joined).map(str::to_owned));
            }
        }
        tokens.push(fold(&self.given_first()));
        tokens.push(fold(&format!("{} {}", self.given_name, self.family_name)));
        // Names in Chinese, Japanese or Korean letters are found by those letters too
        // (the folds above spell them in Chinese readings), and by the family and
        // given names written together, as people there write and type them.
        for name in [&self.given_name, &self.additional_name, &self.family_name] {
            if let Some(kept) = script_fold(name) {
                tokens.extend(name_words(&kept).map(str::to_owned));
            }
        }
        tokens.extend(script_fold(&self.given_first()));
        // The texts a query may start whole: with their words, which any word of a
        // query, the one the index is scanned by among them, may start.
        let mut whole = vec![fold(&self.alternate_name), fold(&self.email_address)];
        for e in &self.user_account_contact_information.email_addresses {
            whole.push(fold(&e.email_address));
        }
        whole.extend(script_fold(&self.alternate_name));
        whole.extend(self.names_written_together());
        for text in &whole {
            tokens.extend(words_of_whole(text).map(str::to_owned));
        }
        tokens.extend(whole);
        tokens.retain(|t| !t.is_empty());
        tokens.sort();
        tokens.dedup();
        tokens
    }

    /// Family and given name written as one word, both ways round (山田太郎), when
    /// both are in letters search keeps as written.
    fn names_written_together(&self) -> Vec<String> {
        match (
            script_fold(&self.family_name),
            script_fold(&self.given_name),
        ) {
            (Some(family), Some(given)) => {
                vec![format!("{family}{given}"), format!("{given}{family}")]
            }
            _ => Vec::new(),
        }
    }

    pub(crate) fn search_prefixes(&self) -> Vec<String> {
        let tokens = self.search_tokens();
        prefixes(tokens.iter().map(String::as_str))
    }

    /// Does a folded query match this person: does each of its words start a word
    /// that `fields` lets a search see, in any order, or does the whole query start the
    /// screen name or a visible address? The words are those of the names, and the
    /// screen name and each visible email address both whole and word by word: the
    /// ones whose heads the prefix index holds, so that whichever word of the query the
    /// index is scanned by ([`super::normalize::scan_prefix`]), it can only match rows
    /// in that scan. "garcia marquez" finds
    /// Gabriel García Márquez and "smith j" John Smith; one word is a prefix of a
    /// token, as [`Self::search_tokens`] lists them. Filtered searches call this for
    /// every row they scan, so it folds each field once and collects nothing else.
    pub(crate) fn matches_in(&self, folded_query: &str, fields: Searchable) -> bool {
        let mut texts: Vec<(String, bool)> = Vec::with_capacity(6);
        for name in [&self.given_name, &self.additional_name, &self.family_name] {
            texts.push((fold(name), true));
            texts.extend(script_fold(name).map(|kept| (kept, true)));
            texts.extend(fold_without_apostrophes(name).map(|joined| (joined, true)));
        }
        // Where addresses are hidden, trying a hidden screen name's prefixes would
        // spell it out.
        if self.screen_name_shown(fields.email) {
            texts.push((fold(&self.alternate_name), false));
            texts.extend(script_fold(&self.alternate_name).map(|kept| (kept, false)));
        }
        texts.extend(
            self.names_written_together()
                .into_iter()
                .map(|t| (t, false)),
        );
        if fields.email {
            texts.push((fold(&self.email_address), false));
        }
        if fields.other_emails {
            // A directory may list the primary address among the others again:
            // hidden as primary, it stays hidden there.
            texts.extend(
                self.user_account_contact_information
                    .email_addresses
                    .iter()
                    .filter(|e| {
                        fields.email || !same_mailbox(&e.email_address, &self.email_address)
                    })
                    .map(|e| (fold(&e.email_address), false)),
            );
        }
        let mut words: Vec<&str> = Vec::with_capacity(8);
        for (text, split) in &texts {
            match split {
                true => words.extend(name_words(text)),
                // By each word folding made of it ("john news@acme.com"), as the
                // index holds them: any word of the query may be the one the index
                // is scanned by. (A query word, having no space, starts the whole
                // text only where it starts its first word.)
                false => words.extend(words_of_whole(text)),
            }
        }
        words.retain(|w| !w.is_empty());
        // A screen name or an address typed whole (or its start) is found too, though
        // folding made words of it: "john+news@acme.com" folds to "john news@acme.com",
        // whose second word starts none of the person's.
        let whole = texts
            .iter()
            .any(|(text, split)| !split && !text.is_empty() && text.starts_with(folded_query));
        whole || every_word_starts(folded_query, &words)
    }
}

/// Whether two addresses name one mailbox, as far as the host can tell: the same
/// address but for ASCII case, surrounding spaces and how an accent was typed (one
/// stored composed, another from before addresses were, decomposed).
pub fn same_mailbox(a: &str, b: &str) -> bool {
    use unicode_normalization::UnicodeNormalization;
    let (a, b) = (a.trim(), b.trim());
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.nfc()
        .map(|c| c.to_ascii_lowercase())
        .eq(b.nfc().map(|c| c.to_ascii_lowercase()))
}

/// Which fields beside the names a search may match. A placement that hides email
/// addresses must not let a search find people by them either: trying prefixes
/// would spell a hidden address out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Searchable {
    /// The primary email address.
    pub email: bool,
    /// The other email addresses of the contact information.
    pub other_emails: bool,
}

impl Searchable {
    pub const ALL: Self = Self {
        email: true,
        other_emails: true,
    };
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A name stored with nothing to show (by an import or a portal's claims before
    /// those were read as no name) is shown as the person's id, not as an empty link.
    #[test]
    fn a_name_with_nothing_to_show_is_shown_as_the_id() {
        let blank = Person {
            id: "u7".into(),
            given_name: "\u{200B}".into(),
            family_name: "\u{3164}".into(),
            ..Person::default()
        };
        assert_eq!(blank.display_name(), "u7");
        // Tags, variation selectors and the braille blank show nothing either.
        for nothing in [
            "\u{E0041}\u{E0042}",
            "\u{FE0F}\u{180B}",
            "\u{2800}\u{1D173}",
        ] {
            let unseen = Person {
                given_name: nothing.into(),
                ..blank.clone()
            };
            assert_eq!(unseen.display_name(), "u7", "{nothing:?}");
        }
        let named = Person {
            given_name: "\u{200B}Zoé".into(),
            family_name: String::new(),
            ..blank
        };
        assert_eq!(named.display_name(), "\u{200B}Zoé");
    }

    #[test]
    fn one_mailbox_whatever_its_case_or_how_its_accent_was_typed() {
        assert!(same_mailbox(" Ann@Example.com", "ann@example.com "));
        assert!(same_mailbox("jos\u{E9}@x.es", "JOSe\u{301}@X.es"));
        assert!(!same_mailbox("jos\u{E9}@x.es", "jose@x.es"));
        assert!(!same_mailbox("ann@example.com", "anne@example.com"));
    }

    #[test]
    fn a_region_that_repeats_the_locality_is_written_once() {
        let berlin = PostalAddress {
            street_address_line1: "Friedrichstraße 68".into(),
            address_locality: "Berlin".into(),
            address_region: " berlin".into(),
            postal_code: "10117".into(),
            address_country: "Germany".into(),
            ..PostalAddress::default()
        };
        assert_eq!(
            berlin.one_line(),
            "Friedrichstraße 68, 10117 Berlin, Germany"
        );
        let lyon = PostalAddress {
            address_region: "Auvergne-Rhône-Alpes".into(),
            address_locality: "Lyon".into(),
            postal_code: "69002".into(),
            address_country: " FRANCE ".into(),
            ..berlin.clone()
        };
        assert_eq!(
            lyon.one_line(),
            "Friedrichstraße 68, 69002 Lyon, Auvergne-Rhône-Alpes, FRANCE"
        );
        // An address with no locality or region at all keeps the rest.
        let bare = PostalAddress {
            address_locality: String::new(),
            address_region: String::new(),
            ..berlin.clone()
        };
        assert_eq!(bare.one_line(), "Friedrichstraße 68, 10117, Germany");
    }

    /// The countries' own names, as their people write them, are in the list as
    /// `fold` writes them.
    #[test]
    fn own_names_of_the_countries_fold_into_the_list() {
        for name in [
            "Ελλάδα",
            "Србија",
            "Österreich",
            "Česká republika",
            "Türkiye",
            "España",
            "México",
            "Lëtzebuerg",
            "België",
            "Ísland",
            "Nederland",
            "Hrvatska",
        ] {
            let folded = crate::store::fold(name);
            assert!(
                POSTCODE_FIRST.contains(&folded.as_str()),
                "{name}: {folded}"
            );
        }
        // Every entry is what `fold` leaves of it.
        for entry in POSTCODE_FIRST {
            assert_eq!(crate::store::fold(entry), *entry);
        }
    }

    /// The postal code stands where the address's country writes it: before the town
    /// in most of Europe, after the region or the town elsewhere (and where the country
    /// is not known to the host).
    #[test]
    fn the_postal_code_stands_where_the_country_writes_it() {
        let address = |locality: &str, region: &str, code: &str, country: &str| PostalAddress {
            street_address_line1: "1 Main St".into(),
            street_address_line2: " ".into(),
            address_locality: locality.into(),
            address_region: region.into(),
            postal_code: code.into(),
            address_country: country.into(),
            ..PostalAddress::default()
        };
        for (a, line) in [
            (
                address("Diamond Bar", "CA", "91765", "United States"),
                "1 Main St, Diamond Bar, CA 91765, United States",
            ),
            (
                address("London", "", "SW1A 1AA", "United Kingdom"),
                "1 Main St, London SW1A 1AA, United Kingdom",
            ),
            (
                address("Madrid", "Madrid", "28014", "España"),
                "1 Main St, 28014 Madrid, España",
            ),
            (
                address("Wien", "Wien", "1010", "AT"),
                "1 Main St, 1010 Wien, AT",
            ),
            // Any case, accents composed or not, and the country's own script.
            (
                address("Graz", "Steiermark", "8010", "ÖSTERREICH"),
                "1 Main St, 8010 Graz, Steiermark, ÖSTERREICH",
            ),
            (
                address("Linz", "", "4020", "O\u{308}sterreich"),
                "1 Main St, 4020 Linz, O\u{308}sterreich",
            ),
            (
                address("İstanbul", "ISTANBUL", "34000", "TÜRKİYE"),
                "1 Main St, 34000 İstanbul, TÜRKİYE",
            ),
            (
                address("Αθήνα", "", "105 57", "ΕΛΛΑΔΑ"),
                "1 Main St, 105 57 Αθήνα, ΕΛΛΑΔΑ",
            ),
            (
                address("Amsterdam", "", "1012 AB", "the Netherlands"),
                "1 Main St, 1012 AB Amsterdam, the Netherlands",
            ),
            (
                address("Roma", "RM", "00184", "Italy"),
                "1 Main St, 00184 Roma, RM, Italy",
            ),
            (
                address("São Paulo", "SP", "01304-001", "Brazil"),
                "1 Main St, São Paulo, SP 01304-001, Brazil",
            ),
            // No country, or none the host knows: the code after the town's line.
            (
                address("Springfield", "", "62704", ""),
                "1 Main St, Springfield 62704",
            ),
            // A part missing leaves no stray separator.
            (
                address("", "CA", "91765", "United States"),
                "1 Main St, CA 91765, United States",
            ),
            (
                address("", "", "10117", "Germany"),
                "1 Main St, 10117, Germany",
            ),
            (
                address("Berlin", "", "", "Germany"),
                "1 Main St, Berlin, Germany",
            ),
        ] {
            assert_eq!(a.one_line(), line);
        }
    }

    /// Every string a person holds, found by walking its JSON, is counted: a field
    /// added later and left out of `text_bytes` fails here.
    #[test]
    fn text_bytes_counts_every_string_the_person_holds() {
        fn strings(v: &serde_json::Value) -> usize {
            match v {
                serde_json::Value::String(s) => s.len(),
                serde_json::Value::Array(a) => a.iter().map(strings).sum(),
                serde_json::Value::Object(o) => o.values().map(strings).sum(),
                _ => 0,
            }
        }
        /// Fills every empty string, so that no field counts zero by chance.
        fn filled(v: &mut serde_json::Value) {
            match v {
                serde_json::Value::String(s) if s.is_empty() => s.push('x'),
                serde_json::Value::Array(a) => a.iter_mut().for_each(filled),
                serde_json::Value::Object(o) => o.values_mut().for_each(filled),
                _ => {}
            }
        }
        let mut json = serde_json::to_value(someone()).expect("json");
        filled(&mut json);
        let person: Person = serde_json::from_value(json.clone()).expect("a person");
        assert_eq!(person.text_bytes(), strings(&json));
        assert!(person.text_bytes() > 100, "{}", person.text_bytes());
        assert_eq!(Person::default().text_bytes(), 0);
    }

    /// A person with every kind of field filled, accents and all.
    pub(crate) fn someone() -> Person {
        Person {
            id: "jalvarez".into(),
            given_name: "José Luis".into(),
            additional_name: "María".into(),
            family_name: "Álvarez-Núñez".into(),
            alternate_name: "jose.alvarez".into(),
            email_address: "jose@example.com".into(),
            job_title: "Ingeniero".into(),
            image: Some("https://example.com/j.png".into()),
            user_account_contact_information: ContactInformation {
                email_addresses: vec![EmailAddress {
                    email_address: "jla@work.example".into(),
                    kind: "business".into(),
                    primary: false,
                }],
                telephones: vec![Phone {
                    phone_number: "+34 600".into(),
                    ..Phone::default()
                }],
                postal_addresses: vec![PostalAddress {
                    address_locality: "Madrid".into(),
                    ..PostalAddress::default()
                }],
                web_urls: vec![WebUrl {
                    url: "https://jla.example".into(),
                    ..WebUrl::default()
                }],
            },
        }
    }

    #[test]
    fn matches_agrees_with_the_tokens_it_stands_for() {
        let p = someone();
        let tokens = p.search_tokens();
        let mut queries: Vec<String> = Vec::new();
        for t in &tokens {
            for end in 1..=t.len() {
                if t.is_char_boundary(end) {
                    queries.push(t[..end].to_owned());
                }
            }
        }
        queries.extend(
            [
                "x",
                "zz",
                "jose luis maria alvarez nunez z",
                "madrid",
                "+34",
            ]
            .map(String::from),
        );
        let all = Searchable::ALL;
        for q in &queries {
            let expected = tokens.iter().any(|t| t.starts_with(q.as_str()));
            assert_eq!(p.matches_in(q, all), expected, "query {q:?}");
        }
        assert!(
            p.matches_in("jla@work", all),
            "secondary emails are searched"
        );
        assert!(!p.matches_in("madrid", all), "addresses are not");
    }

    #[test]
    fn each_word_of_a_query_starts_a_word_it_may_see_in_any_order() {
        let p = someone();
        let all = Searchable::ALL;
        for q in [
            "alvarez-nunez jose",
            "maria alv",
            "luis jose",
            "alv j",
            "jose.alv jose@ex",
            "jla@w luis",
        ] {
            assert!(p.matches_in(q, all), "query {q:?}");
        }
        // Parts of an address or a screen name joined by dots or its `@` are not
        // words of their own, and the rest of the record is not searched.
        for q in ["alvarez luis z", "example jose", "work jose", "luis madrid"] {
            assert!(!p.matches_in(q, all), "query {q:?}");
        }
        let names_only = Searchable {
            email: false,
            other_emails: false,
        };
        assert!(p.matches_in("maria jose", names_only), "names always");
        assert!(
            !p.matches_in("jose jla@work", names_only),
            "a hidden address"
        );
        // A screen name that is an address is hidden with the addresses; one that
        // is not stays searchable.
        let addressed = Person {
            alternate_name: "jdoe@acme.com".into(),
            ..p.clone()
        };
        assert!(addressed.matches_in("jdoe@acme.c", all));
        assert!(!addressed.matches_in("jdoe@acme.c", names_only));
        let handle = Person {
            alternate_name: "@jdoe".into(),
            ..p.clone()
        };
        assert!(handle.matches_in("@jdoe", names_only));
        // As a mention is looked up: without its sign, which the index holds too.
        assert!(handle.matches_in("jdoe", names_only));
        assert!(handle.search_prefixes().contains(&"jdoe".to_owned()));
        // What folding splits an address or a screen name into (at a `+`, a space)
        // are words, as the index holds them; a hidden one's are hidden with it.
        let tagged = Person {
            email_address: "jose+work@example.com".into(),
            alternate_name: "Pepe Alv".into(),
            ..p.clone()
        };
        for q in ["work", "work@ex", "jose work", "pepe", "alv pepe"] {
            assert!(tagged.matches_in(q, all), "query {q:?}");
        }
        assert!(!tagged.matches_in("work", names_only));
        assert!(
            tagged.matches_in("pepe", names_only),
            "a screen name not an address"
        );
        let listed_by_it = Person {
            id: "jdoe@acme.com".into(),
            alternate_name: "jdoe@acme.com".into(),
            ..p
        };
        assert!(listed_by_it.matches_in("jdoe", names_only));
    }

    #[test]
    fn a_full_name_joins_the_names_it_has_with_one_space() {
        let named = |given: &str, additional: &str, family: &str| Person {
            given_name: given.to_owned(),
            additional_name: additional.to_owned(),
            family_name: family.to_owned(),
            ..Person::default()
        };
        assert_eq!(named("Ann", "", "Archer").full_name(), "Ann Archer");
        assert_eq!(named(" Ann ", "B.", " Archer").full_name(), "Ann B. Archer");
        assert_eq!(named("", "  ", "Álvarez").full_name(), "Álvarez");
        assert_eq!(named("Ann", " ", "").full_name(), "Ann");
        assert_eq!(named(" ", "", "\t").full_name(), "");
        // Chinese, Japanese and Korean names: family name first, no space.
        assert_eq!(named("太郎", "", "山田").full_name(), "山田太郎");
        assert_eq!(named("伟", "", "陈").full_name(), "陈伟");
        assert_eq!(named("길동", "", "홍").full_name(), "홍길동");
        assert_eq!(named(" さくら ", "", "山田").full_name(), "山田さくら");
        assert_eq!(named("奈々", "", "佐々木").full_name(), "佐々木奈々");
        // A foreign name in katakana, or a name in two scripts, keeps its order.
        assert_eq!(named("ジョン", "", "スミス").full_name(), "ジョン スミス");
        assert_eq!(named("Ken", "", "佐藤").full_name(), "Ken 佐藤");
        assert_eq!(named("太郎", "", "").full_name(), "太郎");
        assert_eq!(named("", "", "山田").full_name(), "山田");
    }

    #[test]
    fn a_search_sees_only_the_email_addresses_it_may() {
        let p = someone();
        let primary = fold(&p.email_address);
        let other = "jla@work";
        let names_only = Searchable {
            email: false,
            other_emails: false,
        };
        for (fields, finds_primary, finds_other) in [
            (Searchable::ALL, true, true),
            (names_only, false, false),
            (
                Searchable {
                    email: true,
                    other_emails: false,
                },
                true,
                false,
            ),
        ] {
            assert_eq!(p.matches_in(&primary, fields), finds_primary, "{fields:?}");
            assert_eq!(p.matches_in(other, fields), finds_other, "{fields:?}");
            assert!(p.matches_in(&fold(&p.family_name), fields), "names always");
        }
        // The primary listed again among the others, in another case, stays hidden.
        let mut again = p.clone();
        again
            .user_account_contact_information
            .email_addresses
            .push(EmailAddress {
                email_address: p.email_address.to_uppercase(),
                kind: "work".into(),
                primary: false,
            });
        let others_only = Searchable {
            email: false,
            other_emails: true,
        };
        assert!(!again.matches_in(&primary, others_only));
        assert!(again.matches_in(other, others_only));
    }

    proptest::proptest! {
        /// The index and the check agree, whatever the names and addresses: every
        /// prefix the index holds for a person is, as a query of one word, a match
        /// (such a page takes the index's rows unchecked), and every query the person
        /// matches lies in the range it is scanned by, whichever word that is.
        #[test]
        fn the_index_holds_every_match_and_only_matches(
            given in "[A-Za-zé' .+-]{0,10}( 山田)?",
            family in "[A-Za-zø'+-]{0,10}|佐藤",
            screen in "@?[a-z.+ 山]{0,10}",
            local in "[a-z]{1,4}([+.][a-z]{1,4})?",
            pick in proptest::collection::vec((0usize..64, 1usize..14), 1..4),
            probe in "[山a]{1,2}|佐藤山",
        ) {
            let p = Person {
                id: "p".into(),
                given_name: given,
                family_name: family,
                alternate_name: screen,
                email_address: format!("{local}@acme.test"),
                ..Person::default()
            };
            let indexed = p.search_prefixes();
            for prefix in &indexed {
                proptest::prop_assert!(p.matches_in(prefix, Searchable::ALL), "{prefix:?}");
            }
            // A query of words cut from the person's tokens, the start of a token
            // typed whole, and a word that may or may not be the person's.
            let tokens = p.search_tokens();
            proptest::prop_assume!(!tokens.is_empty());
            let words: Vec<&str> = tokens.iter().flat_map(|t| t.split(' ')).collect();
            let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
            let query = pick
                .iter()
                .map(|&(i, n)| cut(words[i % words.len()], n))
                .collect::<Vec<_>>()
                .join(" ");
            let (first, n) = pick[0];
            let typed = cut(&tokens[first % tokens.len()], n * 2);
            for q in [query, typed, probe] {
                let q = q.trim();
                if q.is_empty() || !p.matches_in(q, Searchable::ALL) {
                    continue;
                }
                let (prefix, _) = crate::store::normalize::scan_prefix(q);
                proptest::prop_assert!(
                    prefix.is_empty() || indexed.iter().any(|x| x == prefix),
                    "{q:?} is scanned by {prefix:?}, which {indexed:?} lacks"
                );
            }
        }
    }
}
