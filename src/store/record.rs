//! How a person is stored in `userid_person_record`: the fields a list row shows and
//! search reads as plain strings that redb hands out in place, then the secondary
//! email addresses and the rest of the contact information as two small JSON values.
//!
//! A list page reads a record for every row. As one JSON document (schema 2) each row
//! parsed, or at least scanned past, every phone, postal address and website; under
//! load serde_json was about 14% of the host's CPU in a home-view profile. Now a row
//! reads eight strings and one short JSON array, and only vCards and the person's card
//! parse the rest.

use redb::{Table, TableDefinition};
use serde::{Deserialize, Serialize};

use super::person::{ContactInformation, EmailAddress, Person, Phone, PostalAddress, WebUrl};
use super::{StoreError, UserId};

/// The stored tuple: id, given, additional and family name, screen name, primary email,
/// job title, portrait URL, then the JSON of `emailAddresses` and of [`OtherContact`].
pub(crate) type PersonRecord = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [u8],
    &'static [u8],
);

/// A stored record as read from a page, borrowing its strings from redb's buffer.
pub(crate) type RecordRef<'a> = <PersonRecord as redb::Value>::SelfType<'a>;

/// People by internal id (schema 3 on).
pub(crate) const USERID_PERSON: TableDefinition<u64, PersonRecord> =
    TableDefinition::new("userid_person_record");

/// Schema 2 and earlier: each person as one JSON document. Read only by the migration.
pub(crate) const USERID_PERSON_JSON: TableDefinition<u64, &[u8]> =
    TableDefinition::new("userid_person");

/// How much of a record a reader needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decode {
    /// What a row shows (names, title, primary email, portrait): nothing is parsed.
    /// Lists without keywords and the rows of requests and mutual connections.
    Shown,
    /// What a row shows and search matches (names, title, emails, portrait); phones,
    /// postal addresses and websites stay unparsed.
    Row,
    /// Everything, for vCards, the person's card and the writer's own checks.
    Full,
}

/// The contact information that is not an email address.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OtherContactOut<'a> {
    telephones: &'a [Phone],
    postal_addresses: &'a [PostalAddress],
    web_urls: &'a [WebUrl],
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct OtherContact {
    telephones: Vec<Phone>,
    postal_addresses: Vec<PostalAddress>,
    web_urls: Vec<WebUrl>,
}

fn json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::corrupt("encode", e))
}

fn parse<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::corrupt("userid_person_record", e))
}

/// Stores `person` under `user`, replacing any record there.
pub(crate) fn put(
    table: &mut Table<'_, u64, PersonRecord>,
    user: UserId,
    person: &Person,
) -> Result<(), StoreError> {
    let info = &person.user_account_contact_information;
    let emails = json(&info.email_addresses)?;
    let other = json(&OtherContactOut {
        telephones: &info.telephones,
        postal_addresses: &info.postal_addresses,
        web_urls: &info.web_urls,
    })?;
    let record: RecordRef<'_> = (
        &person.id,
        &person.given_name,
        &person.additional_name,
        &person.family_name,
        &person.alternate_name,
        &person.email_address,
        &person.job_title,
        person.image.as_deref(),
        &emails,
        &other,
    );
    table.insert(user, record)?;
    Ok(())
}

/// The person a record holds; with [`Decode::Row`] phones, addresses and websites are
/// left empty, and with [`Decode::Shown`] the other email addresses too.
pub(crate) fn person(record: RecordRef<'_>, how: Decode) -> Result<Person, StoreError> {
    let (id, given, additional, family, alternate, email, job, image, emails, other) = record;
    let email_addresses: Vec<EmailAddress> = match how {
        Decode::Shown => Vec::new(),
        Decode::Row | Decode::Full => parse(emails)?,
    };
    let other: OtherContact = match how {
        Decode::Shown | Decode::Row => OtherContact::default(),
        Decode::Full => parse(other)?,
    };
    Ok(Person {
        id: id.to_owned(),
        given_name: given.to_owned(),
        additional_name: additional.to_owned(),
        family_name: family.to_owned(),
        alternate_name: alternate.to_owned(),
        email_address: email.to_owned(),
        job_title: job.to_owned(),
        image: image.map(str::to_owned),
        user_account_contact_information: ContactInformation {
            email_addresses,
            telephones: other.telephones,
            postal_addresses: other.postal_addresses,
            web_urls: other.web_urls,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::person::tests::someone;
    use redb::{Database, ReadableTable, backends::InMemoryBackend};

    /// Stores `people` and reads each back with `how`.
    fn round_trip(people: &[Person], how: Decode) -> Vec<Person> {
        let db = Database::builder()
            .create_with_backend(InMemoryBackend::new())
            .expect("db");
        let txn = db.begin_write().expect("txn");
        let mut out = Vec::new();
        {
            let mut table = txn.open_table(USERID_PERSON).expect("table");
            for (n, p) in people.iter().enumerate() {
                put(&mut table, n as u64, p).expect("put");
            }
            for n in 0..people.len() {
                let value = table.get(n as u64).expect("get").expect("stored");
                out.push(person(value.value(), how).expect("decode"));
            }
        }
        out
    }

    #[test]
    fn a_full_read_gives_back_every_field() {
        let people = [someone(), Person::default(), {
            let mut p = someone();
            p.image = None;
            p.given_name = String::new();
            p
        }];
        assert_eq!(round_trip(&people, Decode::Full), people);
    }

    #[test]
    fn a_row_read_keeps_what_rows_show_and_search_reads() {
        let p = someone();
        let row = round_trip(std::slice::from_ref(&p), Decode::Row).remove(0);
        let mut expected = p.clone();
        let info = &mut expected.user_account_contact_information;
        info.telephones.clear();
        info.postal_addresses.clear();
        info.web_urls.clear();
        assert_eq!(row, expected);
        assert_eq!(row.search_tokens(), p.search_tokens());
    }
}
