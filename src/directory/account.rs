//! Liferay's `UserAccount` (headless-admin-user) as it arrives in exports and pages,
//! and its mapping into a [`Person`] with validation.
//!
//! Only the fields the Contacts Center shows are read; everything else (roles,
//! organizations, custom fields, ...) is ignored, so a full Liferay export imports
//! as it is.

use serde::Deserialize;

use crate::social::breaks_text;
use crate::social::rules::{is_made_up_email, is_valid_email};
use crate::store::{ContactInformation, Person, is_portal_user_id};

/// Longest name, screen name or job title kept, in characters. Liferay itself stops
/// at 75 for names; the margin admits other directories without letting a record
/// bloat every index row.
pub const MAX_NAME_CHARS: usize = 200;
pub use crate::social::MAX_URL_CHARS;
/// Longest phone number, extension or address line.
pub const MAX_FIELD_CHARS: usize = 200;
/// Most entries in each contact list (emails, phones, addresses, URLs).
pub const MAX_CONTACT_ITEMS: usize = 32;

/// Which `UserAccount` field becomes the portal user id (see the module doc of
/// [`crate::directory`] for why `Auto` picks what it picks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IdSource {
    /// `externalReferenceCode`, else `id`, else `alternateName`.
    #[default]
    Auto,
    ExternalReferenceCode,
    Id,
    /// `alternateName`.
    ScreenName,
}

/// Liferay sends `id` as a number; hand-made files sometimes quote it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum AccountId {
    Number(u64),
    Text(String),
}

/// The fields of a `UserAccount` that the directory keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserAccount {
    pub id: Option<AccountId>,
    pub external_reference_code: Option<String>,
    /// Screen name.
    pub alternate_name: Option<String>,
    pub given_name: Option<String>,
    pub additional_name: Option<String>,
    pub family_name: Option<String>,
    pub email_address: Option<String>,
    pub job_title: Option<String>,
    pub image: Option<String>,
    pub user_account_contact_information: Option<ContactInformation>,
    /// `Active` or `Inactive` (a deactivated account, which cannot sign in) in the
    /// headless API; a number in Liferay's older JSON web services (5 is inactive).
    /// Read as any JSON value, so that another shape refuses nothing.
    pub status: Option<serde_json::Value>,
    /// Not an account's field: the `title` of the problem Liferay's API answers with
    /// (`{"status": "UNAUTHORIZED", "title": "..."}`), read to say so when such an
    /// answer was saved in place of the accounts.
    #[serde(rename = "title")]
    pub problem_title: Option<String>,
}

/// A field's text, unless it has none to show: a name of zero-width spaces or Hangul
/// fillers is stored as no name, so that the person is shown by their id and a record
/// that names nobody else is refused, instead of a blank row in every list. One with
/// a character no text keeps (`breaks_text`) is present, and refused for it.
fn present(s: &Option<String>) -> Option<&str> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !crate::store::shows_nothing(s) || s.chars().any(breaks_text))
}

fn text(field: &str, value: &Option<String>, max: usize) -> Result<String, String> {
    let Some(v) = present(value) else {
        return Ok(String::new());
    };
    // Combining marks past a few in a row are left out: stacked by the hundred they
    // are drawn over other people's rows (`with_few_marks`).
    let v = typed_on_one_line(v);
    checked(field, crate::store::with_few_marks(&v).into_owned(), max)
}

/// An address (`image`, a website's `url`) as it came: a tab or line break inside
/// one is no typing to tidy, and the record is refused for it.
fn address(field: &str, value: &Option<String>) -> Result<String, String> {
    let Some(v) = present(value) else {
        return Ok(String::new());
    };
    checked(field, v.to_owned(), MAX_URL_CHARS)
}

fn checked(field: &str, v: String, max: usize) -> Result<String, String> {
    if v.chars().count() > max {
        return Err(format!("{field} is longer than {max} characters"));
    }
    if v.chars().any(breaks_text) {
        return Err(format!(
            "{field} contains a control character or a bidirectional override"
        ));
    }
    Ok(v)
}

/// Tabs and line breaks (Unicode's line and paragraph separators among them), with
/// the spaces around them, as one space: a job title
/// pasted from a document ("Head of\r\nSales") or a name typed with a tab is the
/// person's text, and the directory shows it on one line, as a portal's token
/// claims are (`social::apply_profile`). Refusing the whole record for them would
/// leave the person out of the directory. Every other control character still
/// refuses it (`breaks_text`): those are damage, not typing.
fn typed_on_one_line(v: &str) -> String {
    const BREAKS: [char; 5] = ['\t', '\n', '\r', '\u{2028}', '\u{2029}'];
    if !v.contains(BREAKS) {
        return v.to_owned();
    }
    v.split(BREAKS)
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An address as it is stored: composed (NFC), as a personal contact's is, so that
/// one typed with `é` and again with `e` and a combining accent is one address to
/// every comparison, and shows once on a card.
fn email(field: &str, value: &str) -> Result<String, String> {
    use unicode_normalization::UnicodeNormalization;
    // Checked as stored: composing may lengthen an address.
    let v: String = value.trim().nfc().collect();
    if is_valid_email(&v) {
        Ok(v)
    } else {
        Err(format!("{field} {v:?} is not a valid email address"))
    }
}

/// Why a record with neither a name nor an email address is refused.
pub const DESCRIBES_NOBODY: &str = "it describes nobody: no givenName, familyName, alternateName or emailAddress (Liferay's made-up <id>@no-emailaddress.com is none), and a person stored under its id stays as stored";

impl UserAccount {
    /// A deactivated account: Liferay keeps it (and exports it) but lets nobody sign in
    /// as it, and its own people lists leave it out. The import skips it.
    pub fn is_inactive(&self) -> bool {
        match &self.status {
            Some(serde_json::Value::String(s)) => s.trim().eq_ignore_ascii_case("inactive"),
            // WorkflowConstants.STATUS_INACTIVE.
            Some(serde_json::Value::Number(n)) => n.as_u64() == Some(5),
            _ => false,
        }
    }

    /// Whether the account names someone: a given, family or screen name, or an email
    /// address that is not Liferay's made-up one. Stored, an account that does not
    /// would replace a person with one of no name and no address: what a sparse export
    /// (`?fields=id,externalReferenceCode`) holds. The import and `PUT` both ask this.
    pub fn names_someone(&self) -> bool {
        [&self.given_name, &self.family_name, &self.alternate_name]
            .into_iter()
            .any(|name| present(name).is_some())
            || present(&self.email_address).is_some_and(|e| !is_made_up_email(e))
    }

    /// The portal user id this account will be known by, before validation.
    pub fn portal_id(&self, source: IdSource) -> Option<String> {
        self.portal_id_and_field(source).map(|(id, _)| id)
    }

    /// The ids `Auto` passed over for `chosen`, with their fields: where the
    /// directory holds the account under one of them (its people signed in with
    /// tokens whose `sub` is the numeric id, say), storing it under `chosen` would
    /// put a second of them beside it.
    pub(crate) fn passed_over_ids(&self, chosen: &str) -> Vec<(String, &'static str)> {
        let mut others: Vec<(String, &'static str)> = Vec::new();
        for source in [
            IdSource::ExternalReferenceCode,
            IdSource::Id,
            IdSource::ScreenName,
        ] {
            if let Some((id, field)) = self.portal_id_from(source)
                && id != chosen
                && !others.iter().any(|(o, _)| *o == id)
            {
                others.push((id, field));
            }
        }
        others
    }

    /// Whether the account's `field` (as [`Self::portal_id_and_field`] names fields)
    /// holds `id`: one account, whichever of its fields an id was taken from.
    pub(crate) fn has_id_in(&self, field: &str, id: &str) -> bool {
        [
            IdSource::ExternalReferenceCode,
            IdSource::Id,
            IdSource::ScreenName,
        ]
        .into_iter()
        .filter_map(|source| self.portal_id_from(source))
        .any(|(value, named)| named == field && value == id)
    }

    /// [`Self::portal_id`], and the field it was taken from.
    pub(crate) fn portal_id_and_field(&self, source: IdSource) -> Option<(String, &'static str)> {
        let erc = || self.portal_id_from(IdSource::ExternalReferenceCode);
        let id = || self.portal_id_from(IdSource::Id);
        let screen = || self.portal_id_from(IdSource::ScreenName);
        match source {
            IdSource::Auto => erc().or_else(id).or_else(screen),
            other => self.portal_id_from(other),
        }
    }

    fn portal_id_from(&self, source: IdSource) -> Option<(String, &'static str)> {
        match source {
            IdSource::ExternalReferenceCode => present(&self.external_reference_code)
                .map(|v| (v.to_owned(), "externalReferenceCode")),
            IdSource::Id => match &self.id {
                Some(AccountId::Number(n)) => Some((n.to_string(), "id")),
                Some(AccountId::Text(t)) => present(&Some(t.clone())).map(|v| (v.to_owned(), "id")),
                None => None,
            },
            IdSource::ScreenName => {
                present(&self.alternate_name).map(|v| (v.to_owned(), "alternateName"))
            }
            IdSource::Auto => self.portal_id_and_field(IdSource::Auto),
        }
    }

    /// The person this account describes, or why it cannot be one (a sentence for
    /// the import report).
    pub fn to_person(&self, source: IdSource) -> Result<Person, String> {
        let problem =
            present(&self.problem_title).filter(|_| self.portal_id(IdSource::Auto).is_none());
        if let Some(title) = problem {
            let shown: String = title.chars().take(120).collect();
            return Err(format!(
                "not an account but an error answer of Liferay's API ({shown:?}): export the accounts again as a user allowed to read them"
            ));
        }
        let (id, field) = self
            .portal_id_and_field(source)
            .ok_or_else(|| match source {
                IdSource::Auto => {
                    "no user id: needs externalReferenceCode, id or alternateName".to_owned()
                }
                IdSource::ExternalReferenceCode => "no externalReferenceCode".to_owned(),
                IdSource::Id => "no id".to_owned(),
                IdSource::ScreenName => "no alternateName (screen name)".to_owned(),
            })?;
        if !is_portal_user_id(&id) {
            let shown: String = id.chars().take(80).collect();
            return Err(format!(
                "user id {shown:?} (its {field}) must be 1-64 of letters, digits, '.', '_', '@', '-'; if your portal's tokens name people by another field, choose it with --id-field"
            ));
        }
        // Liferay's made-up address for an account without one is no address.
        let email_address = match present(&self.email_address) {
            Some(e) if is_made_up_email(e) => String::new(),
            Some(e) => email("emailAddress", e)?,
            None => String::new(),
        };
        let image = match present(&self.image) {
            Some(_) => Some(address("image", &self.image)?),
            None => None,
        };
        let contact = match &self.user_account_contact_information {
            Some(c) => contact_information(c)?,
            None => ContactInformation::default(),
        };
        let person = Person {
            id,
            given_name: text("givenName", &self.given_name, MAX_NAME_CHARS)?,
            additional_name: text("additionalName", &self.additional_name, MAX_NAME_CHARS)?,
            family_name: text("familyName", &self.family_name, MAX_NAME_CHARS)?,
            alternate_name: text("alternateName", &self.alternate_name, MAX_NAME_CHARS)?,
            email_address,
            job_title: text("jobTitle", &self.job_title, MAX_NAME_CHARS)?,
            image,
            user_account_contact_information: contact,
        };
        // Asked last: a record with a field that is wrong is refused for that field.
        if !self.names_someone() {
            return Err(DESCRIBES_NOBODY.to_owned());
        }
        Ok(person)
    }
}

fn field(name: &str, value: &str, max: usize) -> Result<String, String> {
    text(name, &Some(value.to_owned()), max)
}

fn contact_information(c: &ContactInformation) -> Result<ContactInformation, String> {
    let lists = [
        ("emailAddresses", c.email_addresses.len()),
        ("telephones", c.telephones.len()),
        ("postalAddresses", c.postal_addresses.len()),
        ("webUrls", c.web_urls.len()),
    ];
    for (name, len) in lists {
        if len > MAX_CONTACT_ITEMS {
            return Err(format!(
                "userAccountContactInformation.{name} has {len} entries (at most {MAX_CONTACT_ITEMS})"
            ));
        }
    }
    let mut out = c.clone();
    // An entry with no address (`{"type": "work"}`, or `null`, which the document
    // allows as "no value") carries nothing to keep, as a made-up one does not.
    out.email_addresses.retain(|e| {
        !crate::store::shows_nothing(e.email_address.trim()) && !is_made_up_email(&e.email_address)
    });
    for e in &mut out.email_addresses {
        e.email_address = email("userAccountContactInformation email", &e.email_address)?;
        e.kind = field("email type", &e.kind, MAX_FIELD_CHARS)?;
    }
    for p in &mut out.telephones {
        p.phone_number = field("phoneNumber", &p.phone_number, MAX_FIELD_CHARS)?;
        p.extension = field("extension", &p.extension, MAX_FIELD_CHARS)?;
        p.phone_type = field("phoneType", &p.phone_type, MAX_FIELD_CHARS)?;
    }
    for a in &mut out.postal_addresses {
        for (name, value) in [
            ("streetAddressLine1", &mut a.street_address_line1),
            ("streetAddressLine2", &mut a.street_address_line2),
            ("streetAddressLine3", &mut a.street_address_line3),
            ("addressLocality", &mut a.address_locality),
            ("addressRegion", &mut a.address_region),
            ("postalCode", &mut a.postal_code),
            ("addressCountry", &mut a.address_country),
            ("addressType", &mut a.address_type),
        ] {
            *value = field(name, value, MAX_FIELD_CHARS)?;
        }
    }
    for u in &mut out.web_urls {
        u.url = address("url", &Some(u.url.clone()))?;
        u.url_type = field("urlType", &u.url_type, MAX_FIELD_CHARS)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(json: &str) -> UserAccount {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    /// A name with nothing to show (zero-width spaces, Hangul fillers, a braille blank)
    /// is no name: a record that names nobody else is refused, and one with an address
    /// is stored without the blank name, so that lists show its id, not an empty link.
    #[test]
    fn a_name_with_nothing_to_show_is_no_name() {
        for blank in [
            "\u{200B}",
            "\u{3164}\u{3164}",
            " \u{FEFF}\u{2060} ",
            "\u{2800}",
        ] {
            let record = serde_json::json!({"id": 7, "givenName": blank, "familyName": blank});
            let refused = account(&record.to_string()).to_person(IdSource::Auto);
            assert_eq!(refused, Err(DESCRIBES_NOBODY.to_owned()), "{blank:?}");
            let record = serde_json::json!({
                "id": 7, "givenName": blank, "jobTitle": blank, "emailAddress": "a@example.com"
            });
            let person = account(&record.to_string())
                .to_person(IdSource::Auto)
                .expect("named by the address");
            assert_eq!(
                (person.given_name.as_str(), person.job_title.as_str()),
                ("", "")
            );
        }
        // A field of a character no text keeps is refused for it, as one with a
        // letter beside it is: damage, not a blank.
        for broken in ["\u{0007}", "\u{202E}"] {
            let record = serde_json::json!({
                "id": 7, "givenName": broken, "emailAddress": "a@example.com"
            });
            let refused = account(&record.to_string()).to_person(IdSource::Auto);
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|e| e.contains("givenName contains")),
                "{broken:?}: {refused:?}"
            );
        }
        // A name with a letter in it keeps its invisible characters as they came.
        let person = account(r#"{"id": 7, "givenName": "\u200bZo\u00e9"}"#)
            .to_person(IdSource::Auto)
            .expect("a name");
        assert_eq!(person.given_name, "\u{200B}Zoé");
    }

    #[test]
    fn id_prefers_erc_then_numeric_id_then_screen_name() {
        let full =
            account(r#"{"id": 42, "externalReferenceCode": "erc-1", "alternateName": "jose"}"#);
        assert_eq!(full.portal_id(IdSource::Auto).as_deref(), Some("erc-1"));
        assert_eq!(full.portal_id(IdSource::Id).as_deref(), Some("42"));
        assert_eq!(
            full.portal_id(IdSource::ScreenName).as_deref(),
            Some("jose")
        );
        let no_erc =
            account(r#"{"id": 42, "externalReferenceCode": " ", "alternateName": "jose"}"#);
        assert_eq!(no_erc.portal_id(IdSource::Auto).as_deref(), Some("42"));
        let only_screen = account(r#"{"alternateName": "jose"}"#);
        assert_eq!(
            only_screen.portal_id(IdSource::Auto).as_deref(),
            Some("jose")
        );
        assert_eq!(only_screen.portal_id(IdSource::Id), None);
    }

    #[test]
    fn maps_names_contacts_and_trims() {
        let p = account(
            r#"{"id": "7", "givenName": " José ", "familyName": "Álvarez", "jobTitle": "Dev",
                "emailAddress": "jose@example.com", "image": "/image/7",
                "roles": [1, 2], "customFields": [{"x": 1}],
                "userAccountContactInformation": {"telephones": [{"phoneNumber": "+34 1", "phoneType": "business", "primary": true, "id": 9}]}}"#,
        )
        .to_person(IdSource::Auto)
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.id, "7");
        assert_eq!(p.given_name, "José");
        assert_eq!(p.full_name(), "José Álvarez");
        assert_eq!(p.image.as_deref(), Some("/image/7"));
        assert_eq!(
            p.user_account_contact_information.telephones[0].phone_number,
            "+34 1"
        );
    }

    /// Liferay makes `<userId>@no-emailaddress.com` up for an account without an
    /// address: read from an import or a PUT, it is no address, on the account and
    /// in its list of addresses; a real one beside it stays.
    #[test]
    fn liferays_made_up_address_is_no_address() {
        let p = account(
            r#"{"id": 20123, "givenName": "Ana", "emailAddress": "20123@no-emailaddress.com",
                "userAccountContactInformation": {"emailAddresses": [
                    {"emailAddress": "20123@NO-EMAILADDRESS.COM", "type": "email-address"},
                    {"emailAddress": "ana@example.com", "type": "email-address"}]}}"#,
        )
        .to_person(IdSource::Auto)
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.email_address, "");
        assert_eq!(listed_emails(&p), ["ana@example.com"]);
    }

    /// The addresses of a person's list of email addresses.
    fn listed_emails(p: &Person) -> Vec<&str> {
        p.user_account_contact_information
            .email_addresses
            .iter()
            .map(|e| e.email_address.as_str())
            .collect()
    }

    /// A name stacked with combining marks keeps a few of them, as a claim does.
    #[test]
    fn names_keep_few_stacked_marks() {
        let json = format!(r#"{{"id": 7, "givenName": "Z{}"}}"#, "\u{346}".repeat(150));
        let p = account(&json)
            .to_person(IdSource::Auto)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            p.given_name,
            format!("Z{}", "\u{346}".repeat(crate::store::MAX_MARKS))
        );
    }

    /// Addresses are stored composed (NFC), the account's own and those of its list,
    /// as a personal contact's are: one typed with a combining accent is the same
    /// string as one typed with `é`.
    #[test]
    fn addresses_are_stored_composed() {
        let p = account(
            "{\"id\": 7, \"givenName\": \"José\", \"emailAddress\": \"jose\\u0301@x.es\",
                \"userAccountContactInformation\": {\"emailAddresses\": [
                    {\"emailAddress\": \"pe\\u0301rez@x.es\", \"type\": \"email-address\"}]}}",
        )
        .to_person(IdSource::Auto)
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.email_address, "jos\u{E9}@x.es");
        assert_eq!(
            p.user_account_contact_information.email_addresses[0].email_address,
            "p\u{E9}rez@x.es"
        );
    }

    #[test]
    fn refusals_say_why() {
        let cases = [
            (r#"{"givenName": "x"}"#, "no user id"),
            (r#"{"alternateName": "a b"}"#, "must be 1-64"),
            (r#"{"alternateName": "a b"}"#, "its alternateName"),
            (
                r#"{"externalReferenceCode": "user:jdoe", "id": 7}"#,
                "its externalReferenceCode) must be 1-64 of letters, digits, '.', '_', '@', '-'; if your portal's tokens name people by another field, choose it with --id-field",
            ),
            (
                r#"{"status": "UNAUTHORIZED", "title": "Access denied"}"#,
                "an error answer of Liferay's API (\"Access denied\")",
            ),
            (r#"{"id": 1, "emailAddress": "nope"}"#, "not a valid email"),
            (r#"{"id": 1, "givenName": "a\u0007"}"#, "control character"),
            (
                r#"{"id": 1, "familyName": "Mallory\u202e"}"#,
                "bidirectional override",
            ),
            (
                r#"{"id": 1, "givenName": "\u2067Eve"}"#,
                "bidirectional override",
            ),
            (
                r#"{"id": 1, "userAccountContactInformation": {"emailAddresses": [{"emailAddress": "x@"}]}}"#,
                "not a valid email",
            ),
        ];
        for (json, why) in cases {
            let err = account(json)
                .to_person(IdSource::Auto)
                .err()
                .unwrap_or_default();
            assert!(err.contains(why), "{json}: {err:?}");
        }
        let long = format!(
            r#"{{"id": 1, "familyName": "{}"}}"#,
            "x".repeat(MAX_NAME_CHARS + 1)
        );
        let err = account(&long)
            .to_person(IdSource::Auto)
            .err()
            .unwrap_or_default();
        assert!(err.contains("familyName is longer"), "{err}");
        // The marks that mixed-script names are written with stay.
        let marked = account(r#"{"id": 1, "givenName": "\u05d3\u05e0\u05d4\u200f 2"}"#)
            .to_person(IdSource::Auto)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(marked.given_name, "\u{5d3}\u{5e0}\u{5d4}\u{200f} 2");
        // Tabs and line breaks are typing: one space each run, the record kept.
        let typed = account(
            r#"{"id": 1, "givenName": "Ana\tMaria", "jobTitle": "Head of \r\n Sales\u2029EMEA",
                "userAccountContactInformation": {"postalAddresses": [{"streetAddressLine1": "1 Main St\t"}]}}"#,
        )
        .to_person(IdSource::Auto)
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (typed.given_name.as_str(), typed.job_title.as_str()),
            ("Ana Maria", "Head of Sales EMEA")
        );
        assert_eq!(
            typed.user_account_contact_information.postal_addresses[0].street_address_line1,
            "1 Main St"
        );
        // An address is not typing: a break inside it still refuses the record.
        for json in [
            r#"{"id": 1, "givenName": "a", "image": "https://x.example/a\nb.png"}"#,
            r#"{"id": 1, "givenName": "a", "userAccountContactInformation": {"webUrls": [{"url": "https://x.example/\tb"}]}}"#,
        ] {
            let err = account(json)
                .to_person(IdSource::Auto)
                .err()
                .unwrap_or_default();
            assert!(err.contains("control character"), "{json}: {err:?}");
        }
        let long_id = format!(r#"{{"alternateName": "{}"}}"#, "x".repeat(65));
        assert!(account(&long_id).to_person(IdSource::Auto).is_err());
    }

    /// A record that names nobody (ids alone, or Liferay's made-up address alone) is
    /// refused: stored, it would blank the person of that id. One name is enough.
    #[test]
    fn a_record_of_ids_alone_describes_nobody() {
        for json in [
            r#"{"id": 7}"#,
            r#"{"id": 7, "externalReferenceCode": "erc-7", "givenName": "  "}"#,
            r#"{"id": 7, "emailAddress": "7@no-emailaddress.com"}"#,
        ] {
            let err = account(json)
                .to_person(IdSource::Auto)
                .err()
                .unwrap_or_default();
            assert_eq!(err, DESCRIBES_NOBODY, "{json}");
        }
        for json in [
            r#"{"id": 7, "givenName": "Ana"}"#,
            r#"{"id": 7, "familyName": "Silva"}"#,
            r#"{"alternateName": "ana"}"#,
            r#"{"id": 7, "emailAddress": "ana@example.com"}"#,
        ] {
            assert!(account(json).to_person(IdSource::Auto).is_ok(), "{json}");
        }
    }

    /// A `null` in a list of the contact information is no entry, as a `null` field
    /// is no value: the account is kept, with the entries there are.
    #[test]
    fn nulls_in_contact_lists_are_no_entries() {
        let person = account(
            r#"{"id": 1, "givenName": "Ana", "userAccountContactInformation": {
                "telephones": [null, {"phoneNumber": "555-1"}, null],
                "emailAddresses": [null], "postalAddresses": null, "webUrls": []}}"#,
        )
        .to_person(IdSource::Auto)
        .unwrap_or_else(|e| panic!("{e}"));
        let contact = &person.user_account_contact_information;
        assert_eq!(contact.telephones.len(), 1);
        assert_eq!(contact.telephones[0].phone_number, "555-1");
        assert!(contact.email_addresses.is_empty() && contact.postal_addresses.is_empty());
    }

    /// An email entry without its address (the API's document allows `emailAddress`
    /// left out or `null`) is no entry, where it refused the whole account.
    #[test]
    fn an_email_entry_without_its_address_is_no_entry() {
        let person = account(
            r#"{"id": 1, "givenName": "Ana", "userAccountContactInformation": {
                "emailAddresses": [{"type": "work"}, {"emailAddress": null},
                    {"emailAddress": "  "}, {"emailAddress": "\u200b"},
                    {"emailAddress": "\u202e"},
                    {"emailAddress": "ana@example.com"}]}}"#,
        )
        .to_person(IdSource::Auto)
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(listed_emails(&person), ["ana@example.com"]);
        // One that is there and wrong is still refused.
        let refused = account(
            r#"{"id": 1, "givenName": "Ana", "userAccountContactInformation": {
                "emailAddresses": [{"emailAddress": "not an address"}]}}"#,
        )
        .to_person(IdSource::Auto);
        assert!(refused.is_err(), "{refused:?}");
    }
}
